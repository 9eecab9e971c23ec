package checkout

import (
	"net/http"

	"github.com/labstack/echo/v4/middleware"
)

// returnRoute is the bank's return: the RedirectUrl given to Moka.
const returnRoute = "/pay/:order/return/:attempt"

// routes registers every route of the server, in one place.
func (s *Server) routes() {
	e := s.echo
	// The access log wraps recovery so that a panic is logged with its 500 status.
	// limitInFlight comes before anything that costs; a shed answer is still logged and
	// carries the security headers.
	e.Use(s.requestID(), s.accessLog, s.securityHeaders, s.limitInFlight, s.recoverPanics, middleware.BodyLimit("1M"))

	e.GET("/healthz", s.handleHealth)
	e.GET("/static/*", s.handleStatic)

	e.GET("/link", s.handleLink)

	e.GET("/pay/:order", s.handlePayPage)
	e.POST("/pay/:order", s.handlePaySubmit)
	// The bank posts the buyer's browser here cross-site, with no cookie: the attempt id in
	// the path is the only key, and this path alone is exempt from form checks.
	e.Match([]string{http.MethodGet, http.MethodPost}, returnRoute, s.handleReturn)
	e.GET("/pay/:order/result/:attempt", s.handleResult)

	api := e.Group("/api/v1", s.requireAPIKey)
	api.POST("/orders", s.handleCreateOrder)
	api.GET("/orders/:id", s.handleGetOrder)
	api.POST("/orders/:id/capture", s.handleCapture)
	api.POST("/orders/:id/approve", s.handleApprove)
	api.POST("/orders/:id/cancel", s.handleCancel)
	api.POST("/orders/:id/refunds", s.handleRefund)
	api.GET("/orders", s.handleListOrders)
	api.GET("/transactions", s.handleTransactions)
}
