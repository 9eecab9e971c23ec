package checkout

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/moka"
)

// Temporary: replaced as the handlers and the Moka client land.

var errPending = echo.NewHTTPError(http.StatusNotImplemented, "not implemented yet")

type pendingPayer struct{}

func (pendingPayer) StartThreeD(context.Context, moka.ThreeDRequest) (*moka.ThreeDResult, error) {
	return nil, errors.New("moka client not wired yet")
}

func (pendingPayer) StartThreeDMarketPlace(context.Context, moka.ThreeDRequest) (*moka.ThreeDResult, error) {
	return nil, errors.New("moka client not wired yet")
}

func newMokaClient(Merchant, time.Duration) payer { return pendingPayer{} }

func mokaAPIError(error) *apiError { return nil }

func (s *Server) handleHealth(c echo.Context) error      { return errPending }
func (s *Server) handleLink(c echo.Context) error        { return errPending }
func (s *Server) handlePayPage(c echo.Context) error     { return errPending }
func (s *Server) handlePaySubmit(c echo.Context) error   { return errPending }
func (s *Server) handleReturn(c echo.Context) error      { return errPending }
func (s *Server) handleResult(c echo.Context) error      { return errPending }
func (s *Server) handleCreateOrder(c echo.Context) error { return errPending }
func (s *Server) handleGetOrder(c echo.Context) error    { return errPending }
func (s *Server) handleFindOrder(c echo.Context) error   { return errPending }

func (s *Server) requireAPIKey(next echo.HandlerFunc) echo.HandlerFunc { return next }
