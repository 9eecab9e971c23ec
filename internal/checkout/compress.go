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
// Moka. The writers are kept in a small free list of about one per CPU: a middleware that
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
	gz := newGzipPool(max(2, runtime.GOMAXPROCS(0)))
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
			cw := &compressWriter{ResponseWriter: res.Writer, pool: gz, buf: gz.getBuffer()}
			res.Writer = cw
			defer func() {
				res.Writer = cw.ResponseWriter
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
	pool        *gzipPool
	buf         *bytes.Buffer
	code        int
	wroteHeader bool
	stream      *gzip.Writer // set once the answer is streamed
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
	w.stream = w.pool.get(w.ResponseWriter)
	_, _ = w.stream.Write(w.buf.Bytes())
	w.buf.Reset()
}

// finish writes the answer collected, compressed when it is worth it, and gives back
// what it borrowed.
func (w *compressWriter) finish() {
	defer w.pool.putBuffer(w.buf)
	if w.stream != nil {
		_ = w.stream.Close()
		w.pool.put(w.stream)
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
	out := w.pool.getBuffer()
	defer w.pool.putBuffer(out)
	z := w.pool.get(out)
	_, _ = z.Write(w.buf.Bytes())
	_ = z.Close()
	w.pool.put(z)
	h.Set(echo.HeaderContentEncoding, "gzip")
	h.Set(echo.HeaderContentLength, strconv.Itoa(out.Len()))
	w.writeHeader()
	_, _ = w.ResponseWriter.Write(out.Bytes())
}

// gzipPool is a free list of gzip writers, and a pool of buffers. Unlike a sync.Pool it is not emptied by the
// GC, and it keeps at most its capacity: a writer given back to a full list is dropped.
type gzipPool struct {
	free chan *gzip.Writer
	bufs sync.Pool // the answers' buffers
}

func newGzipPool(n int) *gzipPool { return &gzipPool{free: make(chan *gzip.Writer, n)} }

func (p *gzipPool) get(w io.Writer) *gzip.Writer {
	select {
	case z := <-p.free:
		z.Reset(w)
		return z
	default:
		// BestSpeed: a page of ours compresses about 7% less than at the default
		// level, in two thirds of the time.
		z, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
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
