package checkout

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// recoverPanics turns a panic into a 500 answer and an error log line. The log carries
// the panic value and the path only: never the request body, where card data lives.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic", "path", c.Request().URL.Path, "request_id", requestIDOf(c), "panic", fmt.Sprint(r))
				err = echo.NewHTTPError(http.StatusInternalServerError)
			}
		}()
		return next(c)
	}
}

// requestID gives every request an id (or keeps a sane one sent by a proxy), echoed in
// X-Request-Id and logged with every line about the request.
func (s *Server) requestID() echo.MiddlewareFunc {
	return middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: func() string { return strings.ToLower(rand.Text()) },
		RequestIDHandler: func(c echo.Context, id string) {
			if !saneRequestID(id) {
				id = strings.ToLower(rand.Text())
				c.Response().Header().Set(echo.HeaderXRequestID, id)
			}
			c.Set("request_id", id)
		},
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func requestIDOf(c echo.Context) string {
	id, _ := c.Get("request_id").(string)
	return id
}

// securityHeaders sets the headers every answer carries. Pages for buyers replace the CSP
// with their own (buyerCSP). No HSTS: it belongs to the TLS terminator, and on plain http
// (the demo) it would be wrong.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin: the bank and the merchant never learn our URLs (order and attempt
		// ids) from Referer, while our own pages still see theirs.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		// For browsers without CSP frame-ancestors; a buyer page its merchant may embed
		// drops it (render), since it cannot name several origins.
		h.Set("X-Frame-Options", "DENY")
		h.Set("Reporting-Endpoints", `csp="`+cspReportPath+`"`)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=(), serial=(), bluetooth=(), payment=()")
		if s.hsts != "" {
			h.Set("Strict-Transport-Security", s.hsts)
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		// Every 503 (load shed, a write the store could not take) may be retried: say when.
		res := c.Response()
		res.Before(func() {
			if res.Status == http.StatusServiceUnavailable {
				h.Set("Retry-After", retryAfter)
			}
		})
		return next(c)
	}
}

// buyerCSP is the policy of a buyer page of merchant m. form-action must list Moka's
// origin: Chrome applies it to the 303 that follows the card form's POST. frame-ancestors
// lists the merchant's embedding origins, or 'none'.
func buyerCSP(m *merchant) string {
	formAction := "'self'"
	ancestors := "'none'"
	if m != nil {
		formAction += " " + strings.Join(m.bankOrigins, " ")
		if len(m.AllowedOrigins) > 0 {
			ancestors = strings.Join(m.AllowedOrigins, " ")
		}
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"base-uri 'none'; form-action " + formAction + "; frame-ancestors " + ancestors + cspReportDirectives
}
