package checkout

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// DefaultMaxInFlight is Options.MaxInFlight when none is set.
const DefaultMaxInFlight = 256

// retryAfter is the Retry-After (seconds) of every 503: load passes in well under that.
const retryAfter = "1"

// errOverloaded answers a request shed because too many are in flight.
var errOverloaded = &apiError{Status: http.StatusServiceUnavailable, Code: "overloaded",
	Message: "the checkout is busy; retry in a moment"}

// returnWait is how long the bank's return may wait for a slot when all are taken.
// /healthz and the static files are never shed.
const returnWait = time.Second

// limitInFlight bounds the requests being served at once. Past the bound a request is
// answered 503 with Retry-After at once, before it reads its body or touches the store:
// overload turns into a fast, clear answer instead of queues, memory and timeouts, and a
// buyer turned away has paid nothing (a card post is refused before any attempt).
//
// The bank's return is the exception, since its buyer may have paid already: it has a
// reserve of half the bound on top, and when that is taken too it waits up to
// returnWait for a slot before it is turned away (reconciliation then records the
// payment later). /healthz is never shed: a busy checkout is not a dead one.
func (s *Server) limitInFlight(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() == "/healthz" || c.Path() == "/static/*" {
			// Static files are served from memory and touch no store: a card page that
			// was let in gets its script and styles.
			return next(c)
		}
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
			return next(c)
		default:
		}
		if c.Path() == returnRoute {
			t := time.NewTimer(returnWait)
			defer t.Stop()
			select {
			case s.returnSlots <- struct{}{}:
				defer func() { <-s.returnSlots }()
				return next(c)
			case s.slots <- struct{}{}:
				defer func() { <-s.slots }()
				return next(c)
			case <-t.C:
			case <-c.Request().Context().Done():
			}
		}
		s.shed.Add(1)
		return errOverloaded
	}
}

// Shed is how many requests were answered 503 because too many were in flight.
func (s *Server) Shed() int64 { return s.shed.Load() }
