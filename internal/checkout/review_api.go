package checkout

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
)

// resolveReviewRequest is the body of POST /api/v1/orders/{id}/review/resolve.
type resolveReviewRequest struct {
	Note *string `json:"note"`
}

// reviewResolvedBy is who the API's resolutions are recorded as; the dashboard records
// the user's email.
const reviewResolvedBy = "api"

// handleResolveReview marks the order's needs-review flag resolved with the merchant's
// note (docs/api.md, "Needs review"), and answers the order. Another merchant's order is
// 404; an order without an open flag is 409 review_not_open. Idempotency-Key works as for
// every POST.
func (s *Server) handleResolveReview(c echo.Context) error {
	m := apiMerchant(c)
	body, err := readAPIBody(c)
	if err != nil {
		return err
	}
	answer := func(o *orders.Order, _ *orders.Action, err error) (int, []byte) {
		if err != nil {
			return errorAnswer(reviewAPIError(err))
		}
		b, jerr := json.Marshal(s.orderJSON(o))
		if jerr != nil {
			return http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
		}
		return http.StatusOK, b
	}
	idem, err := s.idemFor(c, m, body, answer)
	if err != nil {
		return err
	}
	if idem != nil {
		if done, err := s.replayKnown(c, idem); done || err != nil {
			return err
		}
	}
	note, err := parseResolveReview(body)
	if err != nil {
		return err
	}
	o, err := s.store.ResolveReviewIdem(c.Request().Context(), m.ID, c.Param("id"), reviewResolvedBy, note, idem)
	if err != nil {
		return s.answerRefusal(c, idem, reviewAPIError(err))
	}
	status, b := answer(o, nil, nil)
	return c.JSONBlob(status, b)
}

func parseResolveReview(body []byte) (string, error) {
	var req resolveReviewRequest
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := refuseDuplicateKeys(body); err != nil {
			return "", err
		}
		if err := decodeStrict(body, &req); err != nil {
			return "", err
		}
	}
	if req.Note == nil {
		return "", badRequest(orders.CodeReviewNoteInvalid, "note", "say in note what was done about the order")
	}
	return *req.Note, nil
}

// reviewAPIError maps the review's domain refusals to what the API shows, and leaves any
// other error as it is. (These codes belong in toAPIError's table, with the others; they
// are mapped here until that file takes them.)
func reviewAPIError(err error) error {
	var oe *orders.Error
	if !errors.As(err, &oe) {
		return err
	}
	switch oe.Code {
	case orders.CodeReviewNotOpen:
		return &apiError{Status: http.StatusConflict, Code: oe.Code, Message: oe.Message}
	case orders.CodeReviewNoteInvalid:
		return &apiError{Status: http.StatusBadRequest, Code: oe.Code, Field: oe.Field, Message: oe.Message}
	}
	return err
}
