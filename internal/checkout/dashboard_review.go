package checkout

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// handleDashReview lists the orders the checkout could not settle by itself (payment
// conflicts, attempts and actions reconciliation left, refunds Moka has not completed),
// each with what is known and what to do.
func (s *Server) handleDashReview(c echo.Context) error {
	m := currentUser(c).Merchant
	p := templates.DashReviewPage{DashPage: s.dashPage(c, "review")}
	items, err := s.store.NeedsReview(c.Request().Context(), m.ID, orders.ReviewOptions{})
	if err != nil {
		return err
	}
	for _, it := range items {
		p.Items = append(p.Items, s.dashReviewItem(p.Lang, it))
	}
	return s.renderPage(c, http.StatusOK, dashboardCSP, templates.DashReview(p))
}

func (s *Server) dashReviewItem(lang string, it orders.ReviewItem) templates.DashReviewItem {
	o := it.Order
	reason := string(it.Reason)
	r := templates.DashReviewItem{
		OrderID: o.ID, Reference: o.Reference, Reason: reason,
		ReasonText: templates.DT(lang, "rev_reason_"+reason),
		Known:      templates.DT(lang, "rev_known_"+reason),
		Todo:       templates.DT(lang, "rev_todo_"+reason),
	}
	fact := func(key, value string) {
		if value != "" {
			r.Facts = append(r.Facts, templates.DashFact{Label: templates.DT(lang, key), Value: value})
		}
	}
	fact("rev_since", s.dashTime(it.Since))
	fact("rev_order_status", templates.DT(lang, "status_"+string(o.Status)))
	fact("rev_order_amount", formatAmount(lang, o.Currency, o.Amount))
	if a := it.Attempt; a != nil {
		fact("rev_attempt_started", s.dashTime(a.CreatedAt))
		fact("rev_other_trx_code", a.OtherTrxCode)
		if a.CardLast4 != "" {
			fact("card", a.CardBrand+" •••• "+a.CardLast4)
		}
		fact("rev_bank_order", a.TrxCode)
		if a.ResultCode != "" || a.ResultMessage != "" {
			fact("rev_result", joinNonEmpty(" — ", a.ResultCode, a.ResultMessage))
		}
	}
	if a := it.Action; a != nil {
		fact("rev_action", templates.DT(lang, "rev_kind_"+string(a.Kind)))
		if a.Kind != orders.ActionApprove {
			fact("rev_action_amount", formatAmount(lang, o.Currency, a.Amount))
		}
		fact("rev_action_started", s.dashTime(a.CreatedAt))
		fact("rev_refund_request", a.RefundRequestID)
		if pay := o.Payment(); pay != nil {
			fact("rev_other_trx_code", pay.OtherTrxCode)
		}
	}
	return r
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}
