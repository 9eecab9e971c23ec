package checkout

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// handlePaySubmit takes the card form: it checks the card, opens an attempt (committed
// before Moka is called, so reconciliation finds it whatever happens next), starts Moka's
// 3-D payment and sends the buyer to the bank. The card number and CVC go to Moka and
// nowhere else: not to the store, not to logs, not back into the page.
func (s *Server) handlePaySubmit(c echo.Context) error {
	pc, err := s.loadPay(c)
	if err != nil {
		return err
	}
	if err := checkFormPost(c, pc); err != nil {
		return err
	}
	if pc.order.Status == orders.StatusProcessing {
		return s.inFlight(c, pc)
	}
	if pe := s.unpayable(pc, true); pe != nil {
		return pe
	}
	form := c.Request().PostFormValue
	card, errs := cardForm(form, installmentsFor(pc.order, pc.merchant), s.now(), s.istanbul)
	if len(errs) > 0 {
		vm := s.payVM(pc, card.Installments)
		// Only values that passed their own check come back (card.Holder is empty when the
		// field held a card number): a card number typed into the wrong box is never echoed.
		vm.CardHolder, vm.ExpMonth, vm.ExpYear = card.Holder, checkedField(errs, "exp_month", card.ExpMonth, "%02d"),
			checkedField(errs, "exp_year", card.ExpYear, "%d")
		vm.Errors = make(map[string]string, len(errs))
		for field, key := range errs {
			vm.Errors[field] = tr(pc.lang, key)
		}
		vm.Alert = tr(pc.lang, msgFixErrors)
		return s.render(c, pc.merchant, http.StatusUnprocessableEntity, templates.Pay(vm))
	}
	ctx := c.Request().Context()
	// Card testing: past a decline limit nothing reaches Moka and no attempt is used up.
	declineKeys := s.velocity.keysFor(pc.merchant, card.Number, c.RealIP())
	refused, wait, err := s.velocity.blocked(ctx, declineKeys, s.now())
	if err != nil {
		return err
	}
	if refused {
		return s.tooManyDeclines(c, pc, card, wait)
	}
	// A count the card's bank does not offer is refused here, not declined by the bank
	// after an attempt was used up.
	if table, refused := s.checkInstallments(ctx, pc, card); refused {
		vm := s.payVMTable(pc, card.Installments, table)
		vm.CardHolder, vm.ExpMonth, vm.ExpYear = card.Holder, fmt.Sprintf("%02d", card.ExpMonth), strconv.Itoa(card.ExpYear)
		vm.Errors = map[string]string{"installments": tr(pc.lang, errInstallmentCard)}
		vm.Alert = tr(pc.lang, msgFixErrors)
		return s.render(c, pc.merchant, http.StatusUnprocessableEntity, templates.Pay(vm))
	}
	attempt := &orders.Attempt{
		Installments: card.Installments,
		CardHolder:   card.Holder,
		CardFirst6:   cardPrefix(card.Number),
		CardLast4:    card.Number[len(card.Number)-4:],
		CardBrand:    cardBrand(card.Number),
		Embedded:     pc.embedded,
		ParentOrigin: pc.origin,
		// A decline, at Moka's 3-D start or in the bank's return (on any instance), counts
		// against these.
		DeclineKeys: declineKeys.keys(),
	}
	order, err := s.store.StartAttempt(ctx, pc.order.ID, attempt)
	if err != nil {
		return s.attemptRefused(c, pc, err)
	}
	pc.order = order

	// From here on the attempt exists: finish it even if the buyer goes away.
	ctx = context.WithoutCancel(ctx)
	res, err := s.startThreeD(ctx, c, pc, card, attempt)
	if err != nil {
		return s.mokaFailed(c, pc, attempt, card, err)
	}
	if err := s.store.MarkRedirected(ctx, attempt.ID, res.CodeForHash, res.URL); err != nil {
		failure := orders.Failure{ResultCode: "checkout.internal", ResultMessage: "could not record the redirect", NotCounted: true}
		if _, ferr := s.store.FailAttempt(ctx, attempt.ID, failure); ferr != nil {
			s.log.Error("fail attempt", "attempt_id", attempt.ID, "order_id", pc.order.ID, "error", ferr.Error())
		}
		return fmt.Errorf("mark attempt %s redirected: %w", attempt.ID, err)
	}
	return s.toBank(c, res.URL)
}

// toBank sends the buyer to the bank's 3-D page, and closes the buyer's connection with
// that answer. The browser sends nothing more on it: the buyer comes back, if at all, a
// minute or more later, from the bank's page. Held open, the idle connection would cost
// the server about 18 KiB (net/http's read and write buffers and its goroutine's stack)
// for every buyer at the bank. Behind a proxy (TrustProxyHeaders) the connection is the
// proxy's, shared by many buyers, and is kept.
func (s *Server) toBank(c echo.Context, bankURL string) error {
	if !s.opts.TrustProxyHeaders {
		c.Response().Header().Set(echo.HeaderConnection, "close")
	}
	return c.Redirect(http.StatusSeeOther, bankURL)
}

// inFlight answers a card form posted while the order has an attempt in flight: the same
// bank session when there is one to join, else the page saying what became of the order.
func (s *Server) inFlight(c echo.Context, pc *payContext) error {
	bank, err := s.joinAttempt(c, pc)
	if err != nil {
		return err
	}
	if bank != "" {
		return s.toBank(c, bank)
	}
	if pe := s.unpayable(pc, true); pe != nil {
		return pe
	}
	// The attempt in flight ended while this post waited: show the form again.
	return c.Redirect(http.StatusSeeOther, "/pay/"+url.PathEscape(pc.order.ID)+embedQuery(pc.embedded, pc.origin))
}

// joinAttempt finds the bank session to send a card form posted while the order's attempt
// is in flight (a double click, a second tab, the back button): it waits up to the Moka
// timeout for the first post's Moka call, so the buyer is never left on an "in progress"
// page while their payment waits at the bank. It returns "" when there is no session to
// join, and reloads pc.order either way.
func (s *Server) joinAttempt(c echo.Context, pc *payContext) (string, error) {
	ctx := c.Request().Context()
	// Real time, not the server's clock: this waits on another request's Moka call.
	deadline := time.Now().Add(s.opts.MokaTimeout)
	for {
		o, err := s.store.GetOrder(ctx, pc.order.ID)
		if err != nil {
			return "", err
		}
		pc.order = o
		a := o.InFlight()
		switch {
		case a == nil:
			return "", nil
		case a.Status == orders.AttemptRedirected:
			return s.bankURL(pc, a), nil
		case !time.Now().Before(deadline):
			return "", nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// bankURL is the bank page of the attempt in flight while its session may still be open,
// else "".
func (s *Server) bankURL(pc *payContext, a *orders.Attempt) string {
	if a.Status != orders.AttemptRedirected || a.BankURL == "" || a.Embedded != pc.embedded ||
		!s.now().Before(a.CreatedAt.Add(s.opts.BankSessionTimeout)) {
		return ""
	}
	return a.BankURL
}

// attemptRefused shows why the store would not start an attempt.
func (s *Server) attemptRefused(c echo.Context, pc *payContext, err error) error {
	switch orders.ErrorCode(err) {
	case orders.CodeAttemptInFlight:
		return s.inFlight(c, pc)
	case orders.CodeOrderExpired:
		return pc.pageError(http.StatusGone, msgOrderExpired, msgOrderExpiredText)
	case orders.CodeAttemptsExhausted:
		return pc.pageError(http.StatusConflict, msgOrderCanceled, msgExhaustedText)
	case orders.CodeUnderReview:
		return pc.pageError(http.StatusConflict, msgUnderReview, msgUnderReviewText)
	case orders.CodeOrderNotPayable:
		o, gerr := s.store.GetOrder(c.Request().Context(), pc.order.ID)
		if gerr != nil {
			return gerr
		}
		pc.order = o
		if pe := s.unpayable(pc, true); pe != nil {
			return pe
		}
	}
	return err
}

// startThreeD calls the right Moka 3-D service and checks its answer is usable.
func (s *Server) startThreeD(ctx context.Context, c echo.Context, pc *payContext, card cardInput, a *orders.Attempt) (*moka.ThreeDResult, error) {
	req := s.threeDRequest(c, pc, card, a)
	ctx, cancel := context.WithTimeout(ctx, s.opts.MokaTimeout)
	defer cancel()
	start := pc.merchant.moka.StartThreeD
	if len(pc.order.SubDealers) > 0 {
		start = pc.merchant.moka.StartThreeDMarketPlace
	}
	res, err := start(ctx, req)
	if err != nil {
		return nil, err
	}
	if res == nil || res.CodeForHash == "" || !isHTTPURL(res.URL) {
		return nil, fmt.Errorf("3-D answer without URL or CodeForHash: %w", errMalformedAnswer)
	}
	if o := originOf(res.URL); !slices.Contains(pc.merchant.bankOrigins, o) {
		// The card page's CSP form-action would make the browser block this redirect.
		s.log.Error("moka 3-D URL on an origin the card page does not allow; add it to the merchant's threed_origins",
			"merchant_id", pc.merchant.ID, "origin", o)
		return nil, fmt.Errorf("3-D URL on origin %s: %w", o, errMalformedAnswer)
	}
	return res, nil
}

func isHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// originOf is the origin of an absolute URL as browsers compare origins: scheme and host
// in lower case, the scheme's default port left out.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host
}

// mokaFailed ends the attempt whose Moka call failed and shows the form again with an
// alert: 402 when Moka refused the card, 502 when Moka could not be used at all. Ending
// the attempt is safe even after a timeout, when Moka may have opened a 3-D session: the
// buyer never got its URL, and a 3-D payment cannot complete without the buyer's step at
// the bank. Reconciliation still finds the attempt by its OtherTrxCode. Only a declined
// card uses up one of the order's attempts: an outage or a merchant's misconfiguration
// must not lock the buyer out.
func (s *Server) mokaFailed(c echo.Context, pc *payContext, a *orders.Attempt, card cardInput, cause error) error {
	installments := card.Installments
	code := mokaResultCode(cause)
	message, refused := mokaMessage(cause)
	declined := cardDeclined(cause)
	s.log.Warn("moka 3-D start failed", "attempt_id", a.ID, "order_id", pc.order.ID, "result_code", code)
	order, err := s.store.FailAttempt(context.WithoutCancel(c.Request().Context()), a.ID,
		orders.Failure{ResultCode: code, ResultMessage: message, NotCounted: !declined, Declined: declined})
	if err != nil {
		return err
	}
	pc.order = order
	if pe := s.unpayable(pc, true); pe != nil {
		return pe
	}
	status, alert := http.StatusBadGateway, msgMokaUnavailable
	if declined {
		status, alert = http.StatusPaymentRequired, msgDeclined
	} else if refused {
		alert = msgMokaFailed
	}
	vm := s.payVM(pc, installments)
	// The form passed its checks before Moka was asked: show what was read, not the raw
	// fields.
	vm.CardHolder, vm.ExpMonth, vm.ExpYear = card.Holder, fmt.Sprintf("%02d", card.ExpMonth), strconv.Itoa(card.ExpYear)
	vm.Alert = tr(pc.lang, alert)
	return s.render(c, pc.merchant, status, templates.Pay(vm))
}

// threeDRequest builds Moka's 3-D request for the attempt.
func (s *Server) threeDRequest(c echo.Context, pc *payContext, card cardInput, a *orders.Attempt) moka.ThreeDRequest {
	o := pc.order
	req := moka.ThreeDRequest{
		CardHolderFullName: card.Holder,
		CardNumber:         card.Number,
		ExpMonth:           fmt.Sprintf("%02d", card.ExpMonth),
		ExpYear:            strconv.Itoa(card.ExpYear),
		CvcNumber:          card.CVC,
		Amount:             moka.NewAmount(o.Amount),
		Currency:           mokaCurrency(o.Currency),
		InstallmentNumber:  moka.Int(card.Installments),
		ClientIP:           c.RealIP(),
		OtherTrxCode:       a.OtherTrxCode,
		IsPoolPayment:      boolInt(o.Pool),
		IsPreAuth:          boolInt(o.Capture == orders.CaptureManual),
		Software:           "checkout",
		Description:        truncateRunes(o.Description, 200),
		ReturnHash:         1,
		RedirectURL:        s.opts.PublicURL + "/pay/" + url.PathEscape(o.ID) + "/return/" + url.PathEscape(a.ID),
		RedirectType:       boolInt(pc.embedded),
	}
	if len(o.SubDealers) > 0 {
		req.CommissionScenario = moka.Int(o.CommissionScenario)
		req.SubDealer = mokaSubDealers(o.SubDealers)
	}
	if b := o.Buyer; b != (orders.Buyer{}) {
		req.BuyerInformation = &moka.BuyerInformation{BuyerFullName: b.Name, BuyerEmail: b.Email,
			BuyerGsmNumber: b.Phone, BuyerAddress: b.Address}
	}
	for _, item := range o.Basket {
		req.BasketProduct = append(req.BasketProduct, moka.BasketProduct{ProductID: moka.Int(item.ProductID),
			ProductCode: item.ProductCode, UnitPrice: moka.NewAmount(item.UnitPrice), Quantity: moka.Int(item.Quantity)})
	}
	return req
}

func boolInt(b bool) moka.Int {
	if b {
		return 1
	}
	return 0
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// checkedField is a card form field's value to show again after an error: the value as
// read when the field passed its check, else nothing.
func checkedField(errs map[string]string, field string, v int, format string) string {
	if _, bad := errs[field]; bad || v == 0 {
		return ""
	}
	return fmt.Sprintf(format, v)
}
