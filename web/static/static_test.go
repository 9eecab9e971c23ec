package static

import (
	"crypto/sha512"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var assetNames = []string{"app.css", "brand.js", "card.js", "frame.js", "result.js", "embed.js", "dashboard.css", "copy.js", "favicon.svg",
	"visa.svg", "mastercard.svg", "troy.svg", "amex.svg"}

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestPathIsHashedAndServedImmutable(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	hashed := regexp.MustCompile(`^/static/[a-z]+\.[0-9a-f]{8}\.(css|js|svg)$`)
	for _, name := range assetNames {
		t.Run(name, func(t *testing.T) {
			p := Path(name)
			assert.Regexp(t, hashed, p)
			resp, body := get(t, srv, p)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "public, max-age=31536000, immutable", resp.Header.Get("Cache-Control"))
			assert.Equal(t, "cross-origin", resp.Header.Get("Cross-Origin-Resource-Policy"))
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			want, err := files.ReadFile(name)
			require.NoError(t, err)
			assert.Equal(t, string(want), body)
		})
	}
}

func TestUnhashedNameHasShortCache(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, body := get(t, srv, "/static/embed.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "public, max-age=300", resp.Header.Get("Cache-Control"))
	assert.Equal(t, "cross-origin", resp.Header.Get("Cross-Origin-Resource-Policy"))
	assert.Contains(t, body, "window.MokaCheckout")
}

func TestContentTypes(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	tests := []struct{ name, want string }{
		{"app.css", "text/css; charset=utf-8"},
		{"card.js", "text/javascript; charset=utf-8"},
		{"embed.js", "text/javascript; charset=utf-8"},
		{"favicon.svg", "image/svg+xml"},
	}
	for _, tt := range tests {
		resp, _ := get(t, srv, Path(tt.name))
		assert.Equal(t, tt.want, resp.Header.Get("Content-Type"), tt.name)
	}
}

func TestUnknownIsNotFound(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	stale := strings.Replace(Path("app.css"), contentHash(mustRead(t, "app.css")), "00000000", 1)
	for _, p := range []string{
		"/static/nope.js",
		"/static/",
		"/static/static.go",
		"/static/../static.go",
		stale,
		"/app.css",
	} {
		resp, _ := get(t, srv, p)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, p)
	}
	assert.Equal(t, "/static/nope.js", Path("nope.js"))
}

func TestOnlyGetAndHead(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+Path("app.css"), "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	// HEAD answers what GET would, without the body.
	resp, err = http.Head(srv.URL + Path("app.css"))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, body)
	assert.Equal(t, "text/css; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, strconv.Itoa(len(mustRead(t, "app.css"))), resp.Header.Get("Content-Length"))
}

func TestRevalidationByETag(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, _ := get(t, srv, "/static/embed.js")
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/static/embed.js", nil)
	require.NoError(t, err)
	req.Header.Set("If-None-Match", etag)
	resp2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp2.Body.Close()
	assert.Equal(t, http.StatusNotModified, resp2.StatusCode)
}

func TestHashFollowsContent(t *testing.T) {
	a := contentHash([]byte("body{color:red}"))
	b := contentHash([]byte("body{color:blue}"))
	assert.Len(t, a, 8)
	assert.NotEqual(t, a, b)
	assert.Equal(t, a, contentHash([]byte("body{color:red}")))
	assert.Equal(t, "app."+a+".css", hashedName("app.css", a))
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := files.ReadFile(name)
	require.NoError(t, err)
	return b
}

// TestDocsPinCurrentEmbedJS: the pin merchants copy from docs/embedding.md names the
// embed.js this build serves, with its integrity hash, and the hash is right.
func TestDocsPinCurrentEmbedJS(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "embedding.md"))
	require.NoError(t, err)
	assert.Contains(t, string(doc), `/static/embed.`+strings.Split(Path("embed.js"), ".")[1]+`.js"`, "docs/embedding.md pins an old embed.js: update the hashed name")
	assert.Contains(t, string(doc), `integrity="`+Integrity("embed.js")+`"`, "docs/embedding.md pins an old embed.js: update the integrity hash")

	body, err := files.ReadFile("embed.js")
	require.NoError(t, err)
	sum := sha512.Sum384(body)
	assert.Equal(t, "sha384-"+base64.StdEncoding.EncodeToString(sum[:]), Integrity("embed.js"))
	assert.Empty(t, Integrity("nope.js"))

	// A pinned script is loaded with crossorigin="anonymous": it needs CORS.
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, _ := get(t, srv, Path("embed.js"))
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
}
