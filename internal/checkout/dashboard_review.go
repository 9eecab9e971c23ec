package checkout

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// handleDashReview lists the orders flagged for review (each with a form that marks it
// resolved), then what the checkout derives from events and ages (conflicts recorded
// before flags existed, attempts and actions reconciliation left, refunds Moka has not
// completed), each with what is known and what to do.
func (s *Server) handleDashReview(c echo.Context) error {
	p := templates.DashReviewQueue{DashReviewPage: templates.DashReviewPage{DashPage: s.dashPage(c, "review")}}
	if id := c.QueryParam("resolved"); id != "" {
		o, err := s.store.GetOrder(c.Request().Context(), id)
		if err == nil && o.MerchantID == currentUser(c).Merchant.ID && o.Review != nil && !o.Review.Open() {
			p.Flash = fmt.Sprintf(templates.DT(p.Lang, "rev_resolved_flash"), o.Reference)
		}
	}
	return s.renderReview(c, http.StatusOK, p, nil)
}

// renderReview fills the queue and renders it. refused, when set, is the flagged order
// whose resolution was refused: its form shows the note typed and why.
func (s *Server) renderReview(c echo.Context, status int, p templates.DashReviewQueue, refused *templates.DashFlaggedOrder) error {
	ctx := c.Request().Context()
	m := currentUser(c).Merchant
	flagged, err := s.store.FlaggedOrders(ctx, m.ID, 0)
	if err != nil {
		return err
	}
	for i := range flagged {
		f := s.dashFlaggedOrder(p.Lang, &flagged[i])
		if refused != nil && refused.OrderID == f.OrderID {
			f.Note, f.Error = refused.Note, refused.Error
		}
		p.Flagged = append(p.Flagged, f)
	}
	items, err := s.store.NeedsReview(ctx, m.ID, orders.ReviewOptions{})
	if err != nil {
		return err
	}
	for _, it := range items {
		p.Items = append(p.Items, s.dashReviewItem(p.Lang, it))
	}
	return s.renderPage(c, status, dashboardCSP, templates.DashReview(p))
}

func (s *Server) dashFlaggedOrder(lang string, o *orders.Order) templates.DashFlaggedOrder {
	reason := string(o.Review.Reason)
	f := templates.DashFlaggedOrder{OrderID: o.ID, Reference: o.Reference, Reason: reason,
		ReasonText: templates.DT(lang, "rev_reason_"+reason), Detail: o.Review.Detail,
		Todo: templates.DT(lang, "rev_todo_"+reason), ResolveURL: dashboardRoute + "/orders/" + o.ID + "/review/resolve"}
	fact := func(key, value string) {
		if value != "" {
			f.Facts = append(f.Facts, templates.DashFact{Label: templates.DT(lang, key), Value: value})
		}
	}
	fact("rev_flagged_at", s.dashTime(o.Review.FlaggedAt))
	fact("rev_order_status", templates.DT(lang, "status_"+string(o.Status)))
	fact("rev_order_amount", formatAmount(lang, o.Currency, o.Amount))
	// The attempt the flag is about: its detail names it.
	for _, a := range o.Attempts {
		if strings.Contains(o.Review.Detail, a.ID) || strings.Contains(o.Review.Detail, a.OtherTrxCode) {
			fact("rev_attempt_started", s.dashTime(a.CreatedAt))
			fact("rev_other_trx_code", a.OtherTrxCode)
			if a.CardLast4 != "" {
				fact("card", a.CardBrand+" •••• "+a.CardLast4)
			}
			fact("rev_bank_order", a.TrxCode)
			break
		}
	}
	return f
}

// handleDashResolveReview marks a flagged order resolved with the note typed, writes it to
// the audit log, and goes back to the review page. A note missing or too long, or an order
// without an open flag, shows the page again with why; another merchant's order is 404.
func (s *Server) handleDashResolveReview(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	note := c.FormValue("note")
	o, err := s.store.ResolveReview(ctx, u.Merchant.ID, c.Param("id"), u.User.Email, note)
	p := templates.DashReviewQueue{DashReviewPage: templates.DashReviewPage{DashPage: s.dashPage(c, "review")}}
	switch orders.ErrorCode(err) {
	case "":
	case orders.CodeNotFound:
		return s.dashboardError(c, http.StatusNotFound, dashMsgNotFound)
	case orders.CodeReviewNoteInvalid:
		return s.renderReview(c, http.StatusBadRequest, p, &templates.DashFlaggedOrder{OrderID: c.Param("id"), Note: note,
			Error: templates.DT(p.Lang, "rev_err_note")})
	case orders.CodeReviewNotOpen:
		p.Flash, p.FlashError = templates.DT(p.Lang, "rev_err_not_open"), true
		return s.renderReview(c, http.StatusConflict, p, nil)
	default:
		return err
	}
	// The resolution is stored; an audit row that cannot be written is logged, not shown
	// as if the resolution had failed.
	detail := "reason " + string(o.Review.Reason) + "; note: " + o.Review.Note
	if err := s.store.Audit(context.WithoutCancel(ctx), orders.AuditEntry{MerchantID: u.Merchant.ID, UserID: u.User.ID,
		Email: u.User.Email, IP: c.RealIP(), Action: "review_resolved", OrderID: o.ID, Detail: detail}); err != nil {
		s.log.Error("a review was resolved but not written to the audit log", "request_id", requestIDOf(c),
			"order_id", o.ID, "error", err.Error())
	}
	return c.Redirect(http.StatusSeeOther, dashboardRoute+"/review?resolved="+url.QueryEscape(o.ID))
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
