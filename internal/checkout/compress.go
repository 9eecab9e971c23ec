package checkout

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// compressMin is the smallest answer worth the gzip header and the CPU.
const compressMin = 1024

// compressSmall is the size under which an answer is compressed with Huffman coding
// alone. Such an answer, with its headers, fits in the first flight of a new TCP
// connection (ten segments, about 14 KiB) compressed or not, so a better ratio saves the
// buyer no round trip, and it costs the server three times the CPU. The card page (4.4 KB)
// becomes 1.6 KB at the default level in about 150 µs with the caches cold, as in a busy
// server, and 2.9 KB with Huffman coding alone in about 45 µs.
const compressSmall = 16 << 10

// compressBuffered is how much of an answer is held back to be compressed in one go.
// Every page of ours is far smaller; a larger answer (a long CSV export), or one that
// flushes, is compressed as it is written instead.
const compressBuffered = 64 << 10

// compress gzips pages, CSS and scripts for browsers that accept it. It leaves out the
// bank's return (a bodiless 303 that must reach the browser as it is), the merchant API and
// the CSP reports (JSON for machines), and the dashboard's QR image (already compressed).
// Answers under compressMin are not worth the gzip header.
//
// An answer is collected first and compressed once the handler is done, so a gzip
// writer (about 1 MiB of state each, in compress/flate) is taken only for the few
// microseconds of the compression, never while a handler waits for the store or for
// Moka. The writers are kept in small free lists of about one per CPU: a middleware that
// held one per request in flight kept one per concurrent page (27 MiB with 32 buyers),
// and allocated them again after every GC emptied its sync.Pool.
func (s *Server) compress() echo.MiddlewareFunc {
	skip := func(c echo.Context) bool {
		switch p := c.Path(); {
		case p == returnRoute, p == cspReportPath, p == "/healthz", p == "/dashboard/links/qr.png":
			return true
		case strings.HasPrefix(p, "/api/"):
			return true
		}
		return false
	}
	n := max(2, runtime.GOMAXPROCS(0))
	small, large := newGzipPool(n, gzip.HuffmanOnly), newGzipPool(n, gzip.DefaultCompression)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if skip(c) {
				return next(c)
			}
			res := c.Response()
			res.Header().Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
			if !strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
				return next(c)
			}
			cw := &compressWriter{ResponseWriter: res.Writer, small: small, large: large, buf: large.getBuffer()}
			// The static files are cached by browsers for a year: they get the better ratio.
			cw.cached = c.Path() == "/static/*"
			res.Writer = cw
			defer func() {
				res.Writer = cw.ResponseWriter
				if p := recover(); p != nil {
					// http.ErrAbortHandler (recoverPanics handles the others): the answer
					// is aborted, so nothing collected may go out.
					cw.release()
					panic(p)
				}
				cw.finish()
			}()
			return next(c)
		}
	}
}

// compressWriter collects an answer up to compressBuffered bytes and writes it,
// compressed or not, in finish; past that, or on Flush, it streams it through gzip.
type compressWriter struct {
	http.ResponseWriter
	small, large *gzipPool // compressSmall answers; larger, cached, or streamed ones
	cached       bool
	buf          *bytes.Buffer
	code         int
	wroteHeader  bool
	stream       *gzip.Writer // set once the answer is streamed
}

func (w *compressWriter) WriteHeader(code int) {
	// The length the handler gave is the uncompressed one (echo's issue #444).
	w.Header().Del(echo.HeaderContentLength)
	w.wroteHeader, w.code = true, code
}

func (w *compressWriter) Write(b []byte) (int, error) {
	if w.stream != nil {
		return w.stream.Write(b)
	}
	if w.buf.Len()+len(b) > compressBuffered {
		w.startStream()
		return w.stream.Write(b)
	}
	return w.buf.Write(b)
}

// Flush sends what was written so far: from then on the answer is streamed.
func (w *compressWriter) Flush() {
	if w.stream == nil {
		w.startStream()
	}
	_ = w.stream.Flush()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *compressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *compressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// sniff sets the Content-Type from the uncompressed start of the answer, as net/http
// would, before the compressed bytes hide it.
func (w *compressWriter) sniff() {
	if w.Header().Get(echo.HeaderContentType) == "" {
		w.Header().Set(echo.HeaderContentType, http.DetectContentType(w.buf.Bytes()))
	}
}

func (w *compressWriter) writeHeader() {
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(w.code)
	}
}

func (w *compressWriter) startStream() {
	w.sniff()
	w.Header().Set(echo.HeaderContentEncoding, "gzip")
	w.writeHeader()
	w.stream = w.large.get(w.ResponseWriter)
	_, _ = w.stream.Write(w.buf.Bytes())
	w.buf.Reset()
}

// release gives back what the writer borrowed, writing nothing.
func (w *compressWriter) release() {
	if w.stream != nil {
		w.large.put(w.stream)
		w.stream = nil
	}
	w.large.putBuffer(w.buf)
	w.buf = nil
}

// finish writes the answer collected, compressed when it is worth it, and gives back
// what it borrowed.
func (w *compressWriter) finish() {
	defer w.release()
	if w.stream != nil {
		_ = w.stream.Close()
		return
	}
	if w.buf.Len() == 0 {
		// A bodiless answer (a redirect, a 304), or none yet: an error returned by the
		// handler is then written by the error handler, uncompressed.
		w.writeHeader()
		return
	}
	w.sniff()
	h := w.Header()
	if w.buf.Len() < compressMin || h.Get(echo.HeaderContentEncoding) != "" {
		h.Set(echo.HeaderContentLength, strconv.Itoa(w.buf.Len()))
		w.writeHeader()
		_, _ = w.ResponseWriter.Write(w.buf.Bytes())
		return
	}
	pool := w.large
	if w.buf.Len() < compressSmall && !w.cached {
		pool = w.small
	}
	out := w.large.getBuffer()
	defer w.large.putBuffer(out)
	z := pool.get(out)
	_, _ = z.Write(w.buf.Bytes())
	_ = z.Close()
	pool.put(z)
	h.Set(echo.HeaderContentEncoding, "gzip")
	h.Set(echo.HeaderContentLength, strconv.Itoa(out.Len()))
	w.writeHeader()
	_, _ = w.ResponseWriter.Write(out.Bytes())
}

// gzipPool is a free list of gzip writers of one level, and a pool of buffers. Unlike a
// sync.Pool the list is not emptied by the GC, and it keeps at most its capacity: a
// writer given back to a full list is dropped.
type gzipPool struct {
	level int
	free  chan *gzip.Writer
	bufs  sync.Pool // the answers' buffers
}

func newGzipPool(n, level int) *gzipPool {
	return &gzipPool{level: level, free: make(chan *gzip.Writer, n)}
}

func (p *gzipPool) get(w io.Writer) *gzip.Writer {
	select {
	case z := <-p.free:
		z.Reset(w)
		return z
	default:
		z, _ := gzip.NewWriterLevel(w, p.level)
		return z
	}
}

func (p *gzipPool) put(z *gzip.Writer) {
	z.Reset(io.Discard) // keep no reference to the answer
	select {
	case p.free <- z:
	default:
	}
}

func (p *gzipPool) getBuffer() *bytes.Buffer {
	if b, ok := p.bufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (p *gzipPool) putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 2*compressBuffered {
		p.bufs.Put(b)
	}
}
