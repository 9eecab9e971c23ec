package checkout

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
)

// apiError is an error with everything the API shows: status, stable code, message and
// the request field it concerns.
type apiError struct {
	Status         int
	Code           string
	Message        string
	Field          string
	MokaResultCode string
}

func (e *apiError) Error() string {
	if e.Field != "" {
		return e.Code + " (" + e.Field + "): " + e.Message
	}
	return e.Code + ": " + e.Message
}

func badRequest(code, field, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Field: field, Message: msg}
}

// pageError is an error shown to a buyer as a message page.
type pageError struct {
	Status   int
	Heading  string // message keys, translated when rendered
	Message  string
	Args     []any
	LinkURL  string
	LinkText string // message key
	Lang     string // "" = from Accept-Language
	Embedded bool
	Origin   string    // the embedding page's origin (validated), for frame.js's resize messages
	merchant *merchant // for branding and CSP, when known
}

func (e *pageError) Error() string { return e.Heading + ": " + e.Message }

func newPageError(status int, heading, message string, args ...any) *pageError {
	return &pageError{Status: status, Heading: heading, Message: message, Args: args}
}

// errorJSON is the body of every API error.
type errorJSON struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code           string `json:"code"`
	Message        string `json:"message"`
	Field          string `json:"field,omitempty"`
	MokaResultCode string `json:"moka_result_code,omitempty"`
}

// errBodyTooLarge answers a body over the 1 MiB limit, whoever notices it first.
var errBodyTooLarge = &apiError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
	Message: "the body is larger than 1 MiB"}

// toAPIError maps any error a handler returns to what the API shows. Domain codes of the
// orders store and Moka's failures are mapped here and nowhere else.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if he.Code == http.StatusRequestEntityTooLarge {
			return errBodyTooLarge // the body limit middleware's answer, in our words
		}
		code := strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		msg, _ := he.Message.(string)
		if msg == "" {
			msg = http.StatusText(he.Code)
		}
		return &apiError{Status: he.Code, Code: code, Message: msg}
	}
	var oe *orders.Error
	if errors.As(err, &oe) {
		status := http.StatusInternalServerError
		switch oe.Code {
		case orders.CodeNotFound:
			status = http.StatusNotFound
		case orders.CodeDuplicateReference, orders.CodeAttemptInFlight, orders.CodeOrderNotPayable,
			orders.CodeOrderExpired, orders.CodeAttemptsExhausted, orders.CodeInvalidTransition,
			orders.CodeActionInProgress, orders.CodeRefundInProgress, orders.CodeNotPoolPayment,
			orders.CodeAlreadyApproved, orders.CodeRefundNotYetPossible, orders.CodeVoidWindowClosed,
			orders.CodeNothingToRefund, orders.CodeReviewNotOpen, orders.CodeUnderReview:
			status = http.StatusConflict
		case orders.CodeUnknownMerchant, orders.CodeInvalidFormToken, orders.CodeInvalidCursor, orders.CodeReviewNoteInvalid:
			status = http.StatusBadRequest
		case orders.CodeAmountInvalid, orders.CodeSubDealersInvalid:
			// Well-formed, but not what this order allows (more than authorised or left).
			status = http.StatusUnprocessableEntity
		case orders.CodeUnavailable:
			// Nothing was written; the same request may be sent again.
			return &apiError{Status: http.StatusServiceUnavailable, Code: oe.Code,
				Message: "the checkout is busy; retry in a moment"}
		}
		msg := oe.Message
		if status == http.StatusInternalServerError {
			msg = "internal error"
		}
		return &apiError{Status: status, Code: oe.Code, Message: msg, Field: oe.Field, MokaResultCode: mokaCodeOf[oe.Code]}
	}
	if ae := mokaAPIError(err); ae != nil {
		return ae
	}
	return &apiError{Status: http.StatusInternalServerError, Code: orders.CodeInternal, Message: "internal error"}
}

func isAPIPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz"
}

// handleError is echo's central error handler: JSON for the API, a message page for
// buyers. Server-side failures are logged here, once.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if isAPIPath(c.Request().URL.Path) {
		ae := toAPIError(err)
		s.logFailure(c, ae.Status, err)
		if ae.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="checkout"`)
		}
		_ = c.JSON(ae.Status, errorJSON{Error: errorBody{Code: ae.Code, Message: ae.Message, Field: ae.Field, MokaResultCode: ae.MokaResultCode}})
		return
	}
	pe := s.toPageError(err)
	s.logFailure(c, pe.Status, err)
	if rerr := s.renderMessage(c, nil, pe); rerr != nil {
		s.log.Error("render error page", "request_id", requestIDOf(c), "error", rerr.Error())
	}
}

// logFailure logs an answer the server is to blame for, once. A request shed for load is
// not logged here (the access log has its 503): under overload that would be one more
// line per request turned away. A write the store could not commit is, with its cause.
func (s *Server) logFailure(c echo.Context, status int, err error) {
	switch {
	case errors.Is(err, orders.ErrCommitFailed):
		s.log.Error("write not committed; answered 503", "path", c.Request().URL.Path, "request_id", requestIDOf(c), "error", err.Error())
	case status == http.StatusServiceUnavailable:
	case status >= 500:
		s.log.Error("request failed", "path", c.Request().URL.Path, "request_id", requestIDOf(c), "error", err.Error())
	}
}

// toPageError maps an error to the page a buyer sees.
func (s *Server) toPageError(err error) *pageError {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.Status < 500 {
		return newPageError(ae.Status, msgInvalidRequest, msgRawText, ae.Message)
	}
	if ae := toAPIError(err); ae.Status == http.StatusServiceUnavailable {
		return newPageError(http.StatusServiceUnavailable, msgBusy, msgBusyText)
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return newPageError(http.StatusNotFound, msgNotFound, msgNotFoundText)
		case http.StatusMethodNotAllowed:
			return newPageError(he.Code, msgInvalidRequest, msgMethodNotAllowed)
		}
		if he.Code < 500 {
			return newPageError(he.Code, msgInvalidRequest, msgInvalidRequestText)
		}
	}
	if errors.Is(err, orders.ErrNotFound) {
		return newPageError(http.StatusNotFound, msgNotFound, msgNotFoundText)
	}
	return newPageError(http.StatusInternalServerError, msgServerError, msgServerErrorText)
}
