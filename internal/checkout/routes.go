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
	// carries the security headers. Compression comes after the shedding (a shed answer is
	// tiny) and wraps recovery, so a 500 page is compressed like any other page.
	e.Use(s.requestID(), s.accessLog, s.securityHeaders, s.limitInFlight, s.compress(), s.recoverPanics, middleware.BodyLimit("1M"))

	e.GET("/healthz", s.handleHealth)
	e.Match([]string{http.MethodGet, http.MethodHead}, "/static/*", s.handleStatic)
	e.POST(cspReportPath, s.handleCSPReport)
	e.GET("/logo/:merchant", s.handleLogo)

	e.GET("/link", s.handleLink)

	e.GET("/pay/:order", s.handlePayPage)
	e.POST("/pay/:order", s.handlePaySubmit)
	e.GET("/pay/:order/installments", s.handleInstallments)
	// The bank posts the buyer's browser here cross-site, with no cookie: the attempt id in
	// the path is the only key, and this path alone is exempt from form checks.
	e.Match([]string{http.MethodGet, http.MethodPost}, returnRoute, s.handleReturn)
	e.GET("/pay/:order/result/:attempt", s.handleResult)

	// The merchant dashboard: cross-origin posts are refused before anything else, every
	// page but the login needs a session, and every form of a session its CSRF token.
	dash := e.Group("/dashboard", s.refuseCrossOrigin)
	dash.GET("/login", s.handleLoginPage)
	dash.POST("/login", s.handleLogin)
	in := dash.Group("", s.requireSession)
	in.GET("", s.handleDashboardHome)
	in.POST("/logout", s.handleLogout)
	in.GET("/orders", s.handleDashOrders)
	in.GET("/orders/:id", s.handleDashOrder)
	// Each action is its form (answered with a confirmation page) and, with confirm=1,
	// the confirmation itself; both post to the same path.
	in.POST("/orders/:id/capture", s.handleDashCapture)
	in.POST("/orders/:id/approve", s.handleDashApprove)
	in.POST("/orders/:id/cancel", s.handleDashCancel)
	in.POST("/orders/:id/refund", s.handleDashRefund)
	in.POST("/orders/:id/events/:event/redeliver", s.handleDashRedeliver)
	in.GET("/review", s.handleDashReview)
	in.POST("/orders/:id/review/resolve", s.handleDashResolveReview)
	in.GET("/transactions", s.handleDashTransactions)
	in.GET("/transactions.csv", s.handleDashTransactionsCSV)
	in.GET("/links", s.handleDashLinks)
	in.POST("/links", s.handleDashCreateLink)
	in.GET("/links/qr.png", s.handleDashLinkQR)
	in.GET("/audit", s.handleDashAudit)
	in.GET("/settings", s.handleDashSettings)

	api := e.Group("/api/v1", s.requireAPIKey)
	api.POST("/orders", s.handleCreateOrder)
	api.GET("/orders/:id", s.handleGetOrder)
	api.POST("/orders/:id/capture", s.handleCapture)
	api.POST("/orders/:id/approve", s.handleApprove)
	api.POST("/orders/:id/cancel", s.handleCancel)
	api.POST("/orders/:id/refunds", s.handleRefund)
	api.POST("/orders/:id/review/resolve", s.handleResolveReview)
	api.GET("/orders", s.handleListOrders)
	api.GET("/transactions", s.handleTransactions)
	api.GET("/events", s.handleListEvents)
	api.GET("/events/:id", s.handleGetEvent)
	api.POST("/events/:id/redeliver", s.handleRedeliver)
}
