package checkout

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compressServer serves a few answers of known sizes through compress alone.
func compressServer(t *testing.T) *httptest.Server {
	t.Helper()
	e := echo.New()
	e.Use((&Server{}).compress())
	page := strings.Repeat("<p>a page of ours</p>\n", 200) // 4.4 KB, as the card page
	e.GET("/page", func(c echo.Context) error { return c.HTML(http.StatusOK, page) })
	e.GET("/small", func(c echo.Context) error { return c.String(http.StatusOK, "tiny") })
	e.GET("/teapot", func(c echo.Context) error { return c.HTML(http.StatusTeapot, page) })
	e.GET("/redirect", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/page") })
	e.GET("/large", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "text/csv")
		c.Response().WriteHeader(http.StatusOK)
		for i := range 20000 { // 20000 lines, far past compressBuffered
			if _, err := io.WriteString(c.Response(), "line "+strconv.Itoa(i)+"\n"); err != nil {
				return err
			}
		}
		return nil
	})
	e.GET("/flush", func(c echo.Context) error {
		c.Response().WriteHeader(http.StatusOK)
		_, _ = io.WriteString(c.Response(), "first\n")
		c.Response().Flush()
		_, _ = io.WriteString(c.Response(), "second\n")
		return nil
	})
	e.GET("/abort", func(c echo.Context) error {
		_, _ = io.WriteString(c.Response(), page)
		panic(http.ErrAbortHandler)
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

type compressAnswer struct {
	status   int
	header   http.Header
	body     string // uncompressed
	encoding string
}

func getCompressed(t *testing.T, url string, gz bool) compressAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip") // set by hand: the transport does not decompress then
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		require.NoError(t, err)
		r = zr
	}
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return compressAnswer{status: resp.StatusCode, header: resp.Header, body: string(b), encoding: resp.Header.Get("Content-Encoding")}
}

// TestCompressAnswers: a page is compressed whole, with its length and its status; a tiny
// answer and a redirect go out as they are; an answer past the buffer, or one that
// flushes, is streamed compressed; a client that does not ask gets no gzip.
func TestCompressAnswers(t *testing.T) {
	srv := compressServer(t)
	page := strings.Repeat("<p>a page of ours</p>\n", 200)

	r := getCompressed(t, srv.URL+"/page", true)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "gzip", r.encoding)
	assert.Equal(t, page, r.body)
	assert.NotEmpty(t, r.header.Get("Content-Length"), "a whole page is sent with its length, not chunked")
	assert.Contains(t, r.header.Get("Content-Type"), "text/html")
	assert.Contains(t, r.header.Get("Vary"), "Accept-Encoding")

	r = getCompressed(t, srv.URL+"/teapot", true)
	assert.Equal(t, http.StatusTeapot, r.status)
	assert.Equal(t, "gzip", r.encoding)
	assert.Equal(t, page, r.body)

	r = getCompressed(t, srv.URL+"/small", true)
	assert.Empty(t, r.encoding)
	assert.Equal(t, "tiny", r.body)
	assert.Equal(t, "4", r.header.Get("Content-Length"))

	r = getCompressed(t, srv.URL+"/redirect", true)
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Empty(t, r.encoding)
	assert.Equal(t, "/page", r.header.Get("Location"))

	r = getCompressed(t, srv.URL+"/large", true)
	assert.Equal(t, "gzip", r.encoding)
	assert.Equal(t, "text/csv", r.header.Get("Content-Type"))
	assert.Equal(t, 20000, strings.Count(r.body, "\n"))
	assert.True(t, strings.HasPrefix(r.body, "line 0\nline 1\n") && strings.HasSuffix(r.body, "line 19999\n"))

	r = getCompressed(t, srv.URL+"/flush", true)
	assert.Equal(t, "gzip", r.encoding)
	assert.Equal(t, "first\nsecond\n", r.body)

	// An aborted answer is aborted: what the handler wrote before never goes out.
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/abort", nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Encoding", "gzip")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("an aborted answer arrived: %s", resp.Status)
	}

	r = getCompressed(t, srv.URL+"/page", false)
	assert.Empty(t, r.encoding)
	assert.Equal(t, page, r.body)
	assert.Contains(t, r.header.Get("Vary"), "Accept-Encoding")
}

// TestGzipPoolKeepsItsCapacity: writers given back past the free list's capacity are
// dropped, so the list never holds more than it was made for.
func TestGzipPoolKeepsItsCapacity(t *testing.T) {
	p := newGzipPool(2, gzip.HuffmanOnly)
	var ws []*gzip.Writer
	for range 5 {
		ws = append(ws, p.get(io.Discard))
	}
	for _, w := range ws {
		p.put(w)
	}
	assert.Len(t, p.free, 2)
	assert.Same(t, ws[0], p.get(io.Discard), "a writer given back is used again")
}
