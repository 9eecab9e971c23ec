package sandbox

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// maxRequestBytes bounds a Moka request body, counted before charset decoding.
const maxRequestBytes = 1 << 20

// requestBody returns the request body decoded to UTF-8 by the charset of its
// Content-Type, as Moka (a .NET service) reads it: a .NET client may send
// "application/json; charset=utf-16" with a UTF-16LE body. Charset names are the WHATWG
// Encoding Standard's labels (htmlindex), so "utf-16" means UTF-16LE, as in .NET and in
// browsers. A byte order mark, when there is one, wins over the label and is dropped; a
// body without charset is UTF-8. ok is false for a charset nobody knows.
func requestBody(w http.ResponseWriter, r *http.Request) (body io.Reader, ok bool) {
	limited := http.MaxBytesReader(w, r.Body, maxRequestBytes)
	var fallback transform.Transformer = transform.Nop
	if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil {
		if cs := strings.TrimSpace(params["charset"]); cs != "" {
			enc, err := htmlindex.Get(cs)
			if err != nil {
				return nil, false
			}
			fallback = enc.NewDecoder()
		}
	}
	if fallback != transform.Nop {
		return transform.NewReader(limited, unicode.BOMOverride(fallback)), true
	}
	// No charset: UTF-8, unless a byte order mark says otherwise. Most bodies have
	// neither, and are read as they are (a transform.Reader costs two 4 KiB buffers).
	b, err := io.ReadAll(limited)
	if err != nil {
		return nil, false
	}
	if hasBOM(b) {
		return transform.NewReader(bytes.NewReader(b), unicode.BOMOverride(fallback)), true
	}
	return bytes.NewReader(b), true
}

// hasBOM reports a UTF-8 or UTF-16 byte order mark at the start of b.
func hasBOM(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) ||
		bytes.HasPrefix(b, []byte{0xFF, 0xFE})
}
