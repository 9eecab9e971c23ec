package checkout

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/hashverify"
	"github.com/mokacheckout/checkout/internal/orders"
)

// loadAttempt reads the attempt of the path; it must belong to the path's order.
func (s *Server) loadAttempt(c echo.Context) (*orders.Attempt, error) {
	a, err := s.store.GetAttempt(c.Request().Context(), c.Param("attempt"))
	if errors.Is(err, orders.ErrNotFound) || (err == nil && a.OrderID != c.Param("order")) {
		return nil, newPageError(http.StatusNotFound, msgNotFound, msgNotFoundText)
	}
	return a, err
}

// handleReturn takes the bank's answer, which Moka posts (or, by some banks, sends as a
// query) to the attempt's RedirectUrl. The post is cross-site and carries no cookie: the
// unpredictable attempt id in the path is the only key, and hashverify alone decides what
// the post means. The outcome is recorded at most once; whatever happens the buyer is
// sent on to the result page, which shows what is recorded.
func (s *Server) handleReturn(c echo.Context) error {
	a, err := s.loadAttempt(c)
	if err != nil {
		return err
	}
	r := c.Request()
	if err := r.ParseForm(); err != nil {
		return newPageError(http.StatusBadRequest, msgInvalidRequest, msgInvalidRequestText)
	}
	// The result page is where the buyer lands in every case.
	result := "/pay/" + url.PathEscape(a.OrderID) + "/result/" + url.PathEscape(a.ID)
	if a.CodeForHash == "" {
		s.log.Warn("bank return for an attempt that never reached the bank", "attempt_id", a.ID, "order_id", a.OrderID)
		return c.Redirect(http.StatusSeeOther, result)
	}
	verdict, err := hashverify.Check(a.CodeForHash, r.Form.Get("hashValue"))
	if err != nil {
		s.log.Warn("bank return with an invalid hash; nothing recorded", "attempt_id", a.ID, "order_id", a.OrderID)
		return c.Redirect(http.StatusSeeOther, result)
	}
	out := orders.Outcome{
		Success:       verdict == hashverify.Success,
		TrxCode:       clip(r.Form.Get("trxCode"), 100),
		ResultCode:    clip(r.Form.Get("resultCode"), 200),
		ResultMessage: clip(r.Form.Get("resultMessage"), 500),
		// A failure counts as a card decline (velocity.go), with the keys stored with the
		// attempt by whichever instance started it.
		CountDecline: true,
	}
	rr, err := s.store.RecordOutcome(context.WithoutCancel(r.Context()), a.ID, out)
	if err != nil {
		return err
	}
	if rr.Recorded {
		s.opts.Metrics.ObserveOutcome(OutcomeName(rr), "return")
	}
	switch {
	case rr.Conflict:
		s.log.Error("payment recorded for an order that had moved on: the buyer may have paid twice",
			"attempt_id", a.ID, "order_id", a.OrderID, "other_trx_code", a.OtherTrxCode, "order_status", string(rr.Order.Status))
	case rr.Recorded:
		s.log.Info("payment outcome recorded", "attempt_id", a.ID, "order_id", a.OrderID,
			"success", out.Success, "order_status", string(rr.Order.Status))
	}
	return c.Redirect(http.StatusSeeOther, result)
}

// clip trims a value from the bank to a sane length before it is stored.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	return truncateRunes(s, n)
}

// OutcomeName names a recorded outcome for metrics: paid, authorized, conflict or failed.
func OutcomeName(rr orders.RecordResult) string {
	switch {
	case rr.Conflict:
		return "conflict"
	case rr.Attempt != nil && rr.Attempt.Status == orders.AttemptSucceeded && rr.Order.Status == orders.StatusAuthorized:
		return "authorized"
	case rr.Attempt != nil && rr.Attempt.Status == orders.AttemptSucceeded:
		return "paid"
	default:
		return "failed"
	}
}
