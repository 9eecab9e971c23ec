package checkout

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// DefaultMaxInFlight is Options.MaxInFlight when none is set.
const DefaultMaxInFlight = 256

// retryAfter is the Retry-After (seconds) of every 503: load passes in well under that.
const retryAfter = "1"

// errOverloaded answers a request shed because too many are in flight.
var errOverloaded = &apiError{Status: http.StatusServiceUnavailable, Code: "overloaded",
	Message: "the checkout is busy; retry in a moment"}

// limitInFlight bounds the requests being served at once. Past the bound a request is
// answered 503 with Retry-After at once, before it reads its body or touches the store:
// overload turns into a fast, clear answer instead of queues, memory and timeouts. The
// bank's return has a reserve of a quarter on top, so a buyer who has paid at the bank
// is still recorded while new checkouts are being turned away. /healthz is never shed:
// a busy checkout is not a dead one.
func (s *Server) limitInFlight(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() == "/healthz" {
			return next(c)
		}
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
			return next(c)
		default:
		}
		if c.Path() == returnRoute {
			select {
			case s.returnSlots <- struct{}{}:
				defer func() { <-s.returnSlots }()
				return next(c)
			default:
			}
		}
		s.shed.Add(1)
		return errOverloaded
	}
}

// Shed is how many requests were answered 503 because too many were in flight.
func (s *Server) Shed() int64 { return s.shed.Load() }
