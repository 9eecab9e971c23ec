package checkout_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/web/static"
)

func gunzip(t *testing.T, body string) string {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(body))
	require.NoError(t, err)
	out, err := io.ReadAll(zr)
	require.NoError(t, err)
	return string(out)
}

// TestCompression: pages, CSS and scripts go out gzipped to a browser that accepts it; the
// bank's return answers its 303 as it is.
func TestCompression(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)

	page := e.get("/pay/"+id, "Accept-Encoding", "gzip")
	require.Equal(t, http.StatusOK, page.status)
	assert.Equal(t, "gzip", page.header.Get("Content-Encoding"))
	assert.Contains(t, page.header.Get("Vary"), "Accept-Encoding")
	assert.Contains(t, gunzip(t, page.body), `id="card-form"`)
	assert.NotEmpty(t, page.header.Get("Content-Security-Policy"), "the page keeps its headers")

	for _, name := range []string{"app.css", "card.js", "embed.js"} {
		r := e.get(static.Path(name), "Accept-Encoding", "gzip")
		require.Equal(t, http.StatusOK, r.status, name)
		assert.Equal(t, "gzip", r.header.Get("Content-Encoding"), name)
		assert.NotEmpty(t, gunzip(t, r.body), name)
	}
	plain := e.get(static.Path("app.css"))
	assert.Empty(t, plain.header.Get("Content-Encoding"), "no gzip for a client that did not ask")

	r := e.submitCard("/pay/"+id, failCard)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	action, fields := e.bankReturn(r.location(), sandbox.DemoOTP)
	ret := e.postForm(action, fields, "Sec-Fetch-Site", "cross-site", "Accept-Encoding", "gzip")
	assert.Equal(t, http.StatusSeeOther, ret.status)
	assert.Empty(t, ret.header.Get("Content-Encoding"), "the bank return's 303 is not compressed")
	assert.True(t, strings.HasPrefix(ret.location(), "/pay/"+id+"/result/"), ret.location())
}

// TestStaticHead: HEAD on a static file answers its headers without a body.
func TestStaticHead(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"app.css", "embed.js", "favicon.svg"} {
		req, err := http.NewRequest(http.MethodHead, e.url+static.Path(name), nil)
		require.NoError(t, err)
		r := e.do(req)
		assert.Equal(t, http.StatusOK, r.status, name)
		assert.Empty(t, r.body, name)
		assert.NotEmpty(t, r.header.Get("Content-Type"), name)
		assert.NotEmpty(t, r.header.Get("ETag"), name)
	}
	fav := e.get(static.Path("favicon.svg"))
	assert.Equal(t, "image/svg+xml", fav.header.Get("Content-Type"))
	assert.Contains(t, fav.body, "<svg")
}
