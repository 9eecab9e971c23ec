// Package static embeds the checkout's CSS and scripts and serves them under content-hashed
// names, so pages can cache them forever and a new build changes every URL that changed.
package static

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed app.css brand.js card.js frame.js result.js embed.js dashboard.css copy.js favicon.svg visa.svg mastercard.svg troy.svg amex.svg
var files embed.FS

// prefix is where the checkout server mounts Handler.
const prefix = "/static/"

// asset is one embedded file with its hashed name, computed once.
type asset struct {
	name        string // "app.css"
	hashedName  string // "app.3f9a2c1b.css"
	hash        string
	contentType string
	body        []byte
}

// registry maps both the plain and the hashed name to the asset. It is built once at package
// init from the embedded files and never changed afterwards.
var registry = buildRegistry()

func buildRegistry() map[string]*asset {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic("static: read embedded files: " + err.Error())
	}
	reg := make(map[string]*asset, 2*len(entries))
	for _, e := range entries {
		body, err := files.ReadFile(e.Name())
		if err != nil {
			panic("static: read " + e.Name() + ": " + err.Error())
		}
		h := contentHash(body)
		a := &asset{
			name:        e.Name(),
			hashedName:  hashedName(e.Name(), h),
			hash:        h,
			contentType: contentType(e.Name()),
			body:        body,
		}
		reg[a.name] = a
		reg[a.hashedName] = a
	}
	return reg
}

// contentHash is the first 8 hex digits of the SHA-256 of a file: short enough for URLs, and
// a change of content changes it.
func contentHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])[:8]
}

// hashedName puts the hash before the extension: "app.css" -> "app.3f9a2c1b.css".
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	default:
		return "application/octet-stream"
	}
}

// Path returns the content-hashed URL of an embedded file, e.g. "/static/app.3f9a2c1b.css".
// An unknown name gives its plain URL, which Handler answers with 404, so a typo shows up as
// a missing file rather than a crash.
func Path(name string) string {
	a, ok := registry[name]
	if !ok {
		return prefix + name
	}
	return prefix + a.hashedName
}

// Integrity is the Subresource Integrity value of an embedded file ("sha384-..."), for a
// merchant who pins embed.js by its hashed name; "" for an unknown name.
func Integrity(name string) string {
	a, ok := registry[name]
	if !ok {
		return ""
	}
	sum := sha512.Sum384(a.body)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Handler serves the embedded files. Hashed names ("/static/app.3f9a2c1b.css") are cached
// for a year as immutable; plain names ("/static/embed.js", the stable URL merchants put in
// their pages) for five minutes. Every file may be loaded cross-origin, because embed.js runs
// on merchant pages. GET and HEAD are answered (HEAD with the headers and no body); anything
// else is 405, an unknown file 404.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, prefix)
	a, found := registry[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	// A merchant's page loads embed.js with crossorigin="anonymous" to check its
	// integrity hash; that needs CORS. The files are public and carry no credentials.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("ETag", `"`+a.hash+`"`)
	if name == a.hashedName {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}
