package checkout

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// payContext is what every buyer handler works out first: the order, its merchant, the
// page language and whether the page runs in the merchant's iframe.
type payContext struct {
	order    *orders.Order
	merchant *merchant
	lang     string
	embedded bool
	origin   string // the embedding merchant page's origin, when embedded
}

// loadPay reads the order of the path and the embedding parameters. An unknown order is
// a 404 page; embed=1 with an origin the merchant did not list is a 400 page.
func (s *Server) loadPay(c echo.Context) (*payContext, error) {
	o, err := s.store.GetOrder(c.Request().Context(), c.Param("order"))
	if errors.Is(err, orders.ErrNotFound) {
		return nil, newPageError(http.StatusNotFound, msgNotFound, msgNotFoundText)
	}
	if err != nil {
		return nil, err
	}
	m := s.merchant(o.MerchantID)
	if m == nil {
		return nil, newPageError(http.StatusNotFound, msgNotFound, msgNotFoundText)
	}
	pc := &payContext{order: o, merchant: m, lang: pickLang(o.Locale, c.Request().Header.Get("Accept-Language"))}
	if embed := c.QueryParam("embed"); embed != "" {
		origin := c.QueryParam("origin")
		if embed != "1" || !m.allowsOrigin(origin) {
			return nil, pc.pageError(http.StatusBadRequest, msgInvalidRequest, msgBadEmbed)
		}
		pc.embedded, pc.origin = true, origin
	}
	return pc, nil
}

func (pc *payContext) pageError(status int, heading, message string, args ...any) *pageError {
	return &pageError{Status: status, Heading: heading, Message: message, Args: args,
		Lang: pc.lang, Embedded: pc.embedded, Origin: pc.origin, merchant: pc.merchant}
}

// embedQuery keeps iframe mode across the buyer's pages.
func embedQuery(embedded bool, origin string) string {
	if !embedded {
		return ""
	}
	return "?" + url.Values{"embed": {"1"}, "origin": {origin}}.Encode()
}

// unpayable returns the page to show instead of the card form, or nil when the order can
// be paid now. submit is true for the form's POST, where a paid order is a conflict.
func (s *Server) unpayable(pc *payContext, submit bool) *pageError {
	o := pc.order
	done := http.StatusOK
	if submit {
		done = http.StatusConflict
	}
	var pe *pageError
	switch o.Status {
	case orders.StatusOpen:
		if o.FlaggedForReview() {
			// Moka may hold money for it already: no second payment until a person looked.
			return pc.pageError(http.StatusConflict, msgUnderReview, msgUnderReviewText)
		}
		if s.now().Before(o.ExpiresAt) {
			return nil
		}
		pe = pc.pageError(http.StatusGone, msgOrderExpired, msgOrderExpiredText)
	case orders.StatusProcessing:
		pe = pc.pageError(http.StatusConflict, msgInProgress, msgInProgressText)
		if a := o.InFlight(); a != nil {
			if bank := s.bankURL(pc, a); bank != "" {
				pe.LinkURL, pe.LinkText = bank, msgContinueAtBank
			}
		}
	case orders.StatusPaid, orders.StatusPartiallyRefunded:
		pe = pc.pageError(done, msgOrderPaid, msgOrderPaidText)
	case orders.StatusAuthorized:
		pe = pc.pageError(done, msgOrderAuthorized, msgOrderPaidText)
	case orders.StatusRefunded:
		pe = pc.pageError(done, msgOrderRefunded, msgOrderRefundedText)
	case orders.StatusExpired:
		pe = pc.pageError(http.StatusGone, msgOrderExpired, msgOrderExpiredText)
	default:
		pe = pc.pageError(http.StatusGone, msgOrderCanceled, msgOrderCanceledText)
		if o.CancelReason == orders.CancelReasonAttemptsExhausted {
			pe.Message = msgExhaustedText
		}
	}
	if o.ReturnURL != "" && !pc.embedded && o.Status != orders.StatusProcessing {
		pe.LinkURL, pe.LinkText = continueURL(o), msgBackToShop
	}
	return pe
}

// installmentsFor lists the counts the buyer may choose: for TRY the order's counts that
// the merchant offers, else (or when none is left) a single payment.
func installmentsFor(o *orders.Order, m *merchant) []int {
	if o.Currency != "TRY" {
		return []int{1}
	}
	offered := m.Installments
	if len(offered) == 0 {
		offered = []int{1}
	}
	var out []int
	for _, n := range o.Installments {
		if containsInt(offered, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return []int{1}
	}
	return out
}

// payVM builds the card form page.
func (s *Server) payVM(pc *payContext, selected int) templates.PayPage {
	o := pc.order
	p := basePage(pc.merchant, pc.lang)
	// With the parent's origin, frame.js tells the embedding page the form's height.
	p.Embedded, p.ParentOrigin = pc.embedded, pc.origin
	amount := formatAmount(pc.lang, o.Currency, o.Amount)
	p.Title = tr(pc.lang, msgPayTitle, amount)
	vm := templates.PayPage{
		Page:        p,
		OrderID:     o.ID,
		Amount:      amount,
		Description: o.Description,
		Action:      "/pay/" + url.PathEscape(o.ID) + embedQuery(pc.embedded, pc.origin),
		FormToken:   o.FormToken,
		CancelURL:   o.CancelURL,
	}
	counts := installmentsFor(o, pc.merchant)
	if len(counts) > 1 {
		// The card page's script asks which of these the card's bank offers.
		vm.InstallmentsURL = "/pay/" + url.PathEscape(o.ID) + "/installments" + embedQuery(pc.embedded, pc.origin)
		vm.InstallmentsNote = tr(pc.lang, msgCardInstallments)
	}
	if !containsInt(counts, selected) {
		selected = counts[0]
	}
	for _, n := range counts {
		vm.Installments = append(vm.Installments, templates.Installment{Count: n, Label: s.installmentLabel(pc, n, nil), Selected: n == selected})
	}
	return vm
}

// payVMTable is payVM with the card's bank table in place of the order's counts: only
// the options the card can take, each with its monthly amount and total. An empty table
// keeps the order's counts.
func (s *Server) payVMTable(pc *payContext, selected int, table []installmentOption) templates.PayPage {
	vm := s.payVM(pc, selected)
	if len(table) == 0 {
		return vm
	}
	vm.Installments = vm.Installments[:0:0]
	for _, o := range table {
		vm.Installments = append(vm.Installments, templates.Installment{Count: o.Count, Label: s.installmentLabel(pc, o.Count, &o),
			Selected: o.Count == selected, Monthly: o.Monthly.StringFixed(2), Total: o.Total.StringFixed(2)})
	}
	vm.TableChecked = true
	return vm
}

// handlePayPage shows the card form, or what has become of the order.
func (s *Server) handlePayPage(c echo.Context) error {
	pc, err := s.loadPay(c)
	if err != nil {
		return err
	}
	if pe := s.unpayable(pc, false); pe != nil {
		return pe
	}
	return s.render(c, pc.merchant, http.StatusOK, templates.Pay(s.payVM(pc, 0)))
}

// checkFormPost refuses a card form that was not posted from our own page: a cross-site
// post (Sec-Fetch-Site) or a missing or wrong form token.
func checkFormPost(c echo.Context, pc *payContext) error {
	if c.Request().Header.Get("Sec-Fetch-Site") == "cross-site" {
		return pc.pageError(http.StatusForbidden, msgForbidden, msgCrossSite)
	}
	token := c.Request().PostFormValue("form_token")
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(pc.order.FormToken)) != 1 {
		return pc.pageError(http.StatusForbidden, msgForbidden, msgBadFormToken)
	}
	return nil
}
