package sandbox

import (
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
	return transform.NewReader(limited, unicode.BOMOverride(fallback)), true
}
