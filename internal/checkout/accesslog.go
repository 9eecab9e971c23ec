package checkout

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// accessQueue bounds the access log lines waiting to be written.
const accessQueue = 4096

// accessRecord is one request's access log line, queued for the writer.
type accessRecord struct {
	at        time.Time
	method    string
	path      string
	status    int
	duration  time.Duration
	requestID string
	flushed   chan struct{} // set on a flush marker instead of a line
}

// accessLogger writes the access log from its own goroutine, so a slow log sink (a pipe
// to a busy journald or container runtime) never holds a request: the request only puts
// its line in a bounded queue. When the queue is full the line is dropped and counted,
// never waited for.
type accessLogger struct {
	log     *slog.Logger
	queue   chan accessRecord
	dropped atomic.Int64
	done    chan struct{}

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
}

func newAccessLogger(log *slog.Logger) *accessLogger {
	a := &accessLogger{log: log, queue: make(chan accessRecord, accessQueue), done: make(chan struct{})}
	go a.run()
	return a
}

func (a *accessLogger) run() {
	defer close(a.done)
	h := a.log.Handler()
	ctx := context.Background()
	for r := range a.queue {
		if r.flushed != nil {
			close(r.flushed)
			continue
		}
		if !h.Enabled(ctx, slog.LevelInfo) {
			continue
		}
		rec := slog.NewRecord(r.at, slog.LevelInfo, "request", 0)
		rec.AddAttrs(
			slog.String("method", r.method),
			slog.String("path", r.path),
			slog.Int("status", r.status),
			slog.Duration("duration", r.duration),
			slog.String("request_id", r.requestID),
		)
		_ = h.Handle(ctx, rec)
	}
}

// add queues a line, or drops it when the queue is full or the logger closed.
func (a *accessLogger) add(r accessRecord) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		a.dropped.Add(1)
		return
	}
	select {
	case a.queue <- r:
	default:
		a.dropped.Add(1)
	}
}

// flush waits until every line queued before it is written.
func (a *accessLogger) flush() {
	a.mu.RLock()
	if a.closed {
		a.mu.RUnlock()
		return
	}
	done := make(chan struct{})
	a.queue <- accessRecord{flushed: done}
	a.mu.RUnlock()
	<-done
}

// close writes what is queued and stops the writer.
func (a *accessLogger) close() {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.queue)
	}
	a.mu.Unlock()
	<-a.done
}

// accessLog writes one JSON line per request: method, path without the query (links carry
// buyer data in it), status, duration and request id. Never bodies or form values. The
// line is written by the access logger's goroutine, after the answer.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		s.opts.Metrics.ObserveRequest(c.Path(), c.Request().Method, c.Response().Status, time.Since(start))
		s.access.add(accessRecord{
			at:        start,
			method:    c.Request().Method,
			path:      c.Request().URL.Path,
			status:    c.Response().Status,
			duration:  time.Since(start),
			requestID: requestIDOf(c),
		})
		return nil
	}
}

// Close writes the access log lines still queued. Call it once the HTTP server has
// stopped; requests served after it are no longer logged.
func (s *Server) Close() { s.access.close() }

// AccessLogDropped is how many access log lines were dropped because the log could not
// keep up.
func (s *Server) AccessLogDropped() int64 { return s.access.dropped.Load() }
