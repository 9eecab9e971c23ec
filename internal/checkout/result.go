package checkout

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// handleResult shows what is recorded for an attempt: paid or authorized, failed (with a
// way to try again while the order is open), or pending while no verified answer has come.
// In iframe mode the page tells the merchant's page the outcome (result.js), addressed to
// the origin checked when the attempt started.
func (s *Server) handleResult(c echo.Context) error {
	a, err := s.loadAttempt(c)
	if err != nil {
		return err
	}
	o, err := s.store.GetOrder(c.Request().Context(), a.OrderID)
	if err != nil {
		return err
	}
	m := s.merchant(o.MerchantID)
	if m == nil {
		return newPageError(http.StatusNotFound, msgNotFound, msgNotFoundText)
	}
	lang := pickLang(o.Locale, c.Request().Header.Get("Accept-Language"))
	p := basePage(m, lang)
	p.Embedded = a.Embedded
	if a.Embedded && m.allowsOrigin(a.ParentOrigin) {
		p.ParentOrigin = a.ParentOrigin
	}
	vm := templates.ResultPage{
		Page:    p,
		OrderID: o.ID,
		Status:  string(o.Status),
		Amount:  formatAmount(lang, o.Currency, o.Amount),
	}
	final := true
	switch a.Status {
	case orders.AttemptSucceeded:
		vm.Success = true
		vm.Heading, vm.Message = tr(lang, msgResultPaid), tr(lang, msgResultPaidText)
		if o.Status == orders.StatusAuthorized {
			vm.Heading, vm.Message = tr(lang, msgResultAuthorized), tr(lang, msgResultAuthText)
		}
	case orders.AttemptFailed, orders.AttemptAbandoned:
		vm.Heading = tr(lang, msgResultFailed)
		vm.Message = tr(lang, msgResultFailedFinal)
		if o.Status == orders.StatusOpen && s.now().Before(o.ExpiresAt) {
			vm.Message = tr(lang, msgResultFailedRetry)
			vm.RetryURL = "/pay/" + url.PathEscape(o.ID) + embedQuery(p.ParentOrigin != "", p.ParentOrigin)
			final = false
		}
		// A code we know is said in our words and the page's language; the bank's own
		// text (often English on a Turkish page) stays, as a detail under it.
		if key, ok := bankReasons[strings.TrimSpace(a.ResultCode)]; ok {
			vm.Message = tr(lang, key) + " " + vm.Message
		}
		if msg := strings.TrimSpace(a.ResultMessage); msg != "" {
			vm.BankDetail = msg
		}
		vm.Failed = true
	default:
		vm.Pending = true
		vm.Heading, vm.Message = tr(lang, msgResultPending), tr(lang, msgResultPendingText)
		final = false
	}
	p.Title = vm.Heading
	vm.Page.Title = vm.Heading
	// Only a settled result continues to the shop: a buyer who may still retry, or whose
	// payment is being confirmed, stays here rather than being carried off by result.js.
	if final && o.ReturnURL != "" {
		vm.ContinueURL = continueURL(o)
	}
	// A buyer who gives up after a failure needs a way back to the shop: the cancel_url,
	// else the return_url (which tells the shop the order is still unpaid).
	if vm.Failed && vm.ContinueURL == "" {
		switch {
		case o.CancelURL != "":
			vm.ShopURL = o.CancelURL
		case o.ReturnURL != "":
			vm.ShopURL = continueURL(o)
		}
	}
	return s.render(c, m, http.StatusOK, templates.Result(vm))
}

// continueURL is the merchant's return_url with the order id and status added.
func continueURL(o *orders.Order) string {
	u, err := url.Parse(o.ReturnURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("order", o.ID)
	q.Set("status", string(o.Status))
	u.RawQuery = q.Encode()
	return u.String()
}

// bankReasons maps the result codes a failed 3-D return carries to our own message keys.
// 000002 is the sandbox's 3-D authentication failure (as the Moka test host answers it);
// the two-digit ones are the ISO 8583 answers Moka passes through from the card's bank.
// A lost or stolen card (41, 43) reads as a plain decline, as the card schemes ask.
var bankReasons = map[string]string{
	"000002": msgReason3DFailed,
	"05":     msgReasonDeclined,
	"41":     msgReasonDeclined,
	"43":     msgReasonDeclined,
	"14":     msgReasonInvalidCard,
	"51":     msgReasonFunds,
	"54":     msgReasonExpired,
	"57":     msgReasonNotPermitted,
	"62":     msgReasonNotPermitted,
	"91":     msgReasonBankDown,
	"96":     msgReasonBankDown,
}
