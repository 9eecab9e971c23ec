package checkout

import (
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// compress gzips pages, CSS and scripts for browsers that accept it. It leaves out the
// bank's return (a bodiless 303 that must reach the browser as it is), the merchant API and
// the CSP reports (JSON for machines), and the dashboard's QR image (already compressed).
// Answers under 1 KiB are not worth the gzip header.
func (s *Server) compress() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		MinLength: 1024,
		Skipper: func(c echo.Context) bool {
			switch p := c.Path(); {
			case p == returnRoute, p == cspReportPath, p == "/healthz", p == "/dashboard/links/qr.png":
				return true
			case strings.HasPrefix(p, "/api/"):
				return true
			}
			return false
		},
	})
}
