package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// The dashboard's order page and its actions. An action is two posts: the form (amount,
// parts, dealers) answers with a confirmation page that repeats exactly what will be done,
// as the domain plans it; the confirmation (confirm=1) carries that request and a random
// idempotency_key, and runs performAction, the API's one code path, under the key
// "dashboard:"+key. A confirmation sent twice finds the key used and acts once. After it
// the browser is sent back to the order page with ?done=<key>, which the page resolves
// from the key's record in the store (never from the query text): the action it names, or
// the refusal stored for it.

// dashKeyPrefix keeps the dashboard's idempotency keys apart from the API's.
const dashKeyPrefix = "dashboard:"

// dashActionKinds are the dashboard's action paths and the domain's kinds.
var dashActionKinds = map[string]orders.ActionKind{
	"capture": orders.ActionCapture, "refund": orders.ActionRefund,
	"cancel": orders.ActionVoid, "approve": orders.ActionApprove,
}

var formKeyRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *Server) handleDashCapture(c echo.Context) error { return s.dashAction(c, "capture") }
func (s *Server) handleDashRefund(c echo.Context) error  { return s.dashAction(c, "refund") }
func (s *Server) handleDashCancel(c echo.Context) error  { return s.dashAction(c, "cancel") }
func (s *Server) handleDashApprove(c echo.Context) error { return s.dashAction(c, "approve") }

// dashOrder is the session merchant's order of the path, or nil (not found, or another
// merchant's: the same answer, so ids of others cannot be probed).
func (s *Server) dashOrder(c echo.Context) (*orders.Order, error) {
	o, err := s.store.GetOrder(c.Request().Context(), c.Param("id"))
	if errors.Is(err, orders.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if o.MerchantID != currentUser(c).Merchant.ID {
		return nil, nil
	}
	return o, nil
}

// handleDashOrder shows one order: facts, timeline, the actions it allows now and the
// webhook deliveries of its events.
func (s *Server) handleDashOrder(c echo.Context) error {
	o, err := s.dashOrder(c)
	if err != nil {
		return err
	}
	if o == nil {
		return s.dashboardError(c, http.StatusNotFound, dashMsgNotFound)
	}
	p, err := s.orderPage(c, o)
	if err != nil {
		return err
	}
	if key := c.QueryParam("done"); formKeyRE.MatchString(key) {
		if p.Notice, err = s.doneNotice(c.Request().Context(), p.Lang, o, key); err != nil {
			return err
		}
	}
	if ev := c.QueryParam("redelivered"); ev != "" && p.Notice == nil {
		p.Notice = redeliveredNotice(p.Lang, p.Deliveries, ev)
	}
	return s.renderPage(c, http.StatusOK, dashboardCSP, templates.DashOrder(p))
}

// renderOrderNotice shows the order page with a notice, nothing having changed.
func (s *Server) renderOrderNotice(c echo.Context, o *orders.Order, status int, n *templates.DashNotice) error {
	p, err := s.orderPage(c, o)
	if err != nil {
		return err
	}
	p.Notice = n
	return s.renderPage(c, status, dashboardCSP, templates.DashOrder(p))
}

// dashAction answers an action's form (the confirmation page) and its confirmation (the
// action, then a redirect to the order page).
func (s *Server) dashAction(c echo.Context, name string) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	lang := s.dashLang(c)
	if fl := c.Request().PostFormValue("form_lang"); fl == "tr" || fl == "en" {
		lang = fl // amounts are read in the language the form was shown in
	}
	o, err := s.dashOrder(c)
	if err != nil {
		return err
	}
	if o == nil {
		return s.dashboardError(c, http.StatusNotFound, dashMsgNotFound)
	}
	confirm := c.FormValue("confirm") == "1"
	req, err := dashActionRequest(c, name, o, lang, confirm)
	if err != nil {
		ae := toAPIError(err)
		return s.renderOrderNotice(c, o, ae.Status, refusalNotice(lang, ae))
	}
	if !confirm {
		planned, err := s.store.PlanAction(o, req)
		if err != nil {
			ae := toAPIError(err)
			return s.renderOrderNotice(c, o, ae.Status, refusalNotice(lang, ae))
		}
		return s.renderConfirm(c, o, name, req, planned)
	}
	key := c.FormValue("idempotency_key")
	if !formKeyRE.MatchString(key) {
		return s.renderOrderNotice(c, o, http.StatusBadRequest, &templates.DashNotice{Error: true, Text: templates.DT(lang, "err_form_key")})
	}
	if _, err := s.store.LookupIdempotency(ctx, u.Merchant.ID, dashKeyPrefix+key); err == nil {
		// This confirmation was sent before (a double click, a reload): performAction
		// finds the key and answers as it did, whatever the order has become since.
	} else if !errors.Is(err, orders.ErrNotFound) {
		return err
	} else if c.Request().PostFormValue("version") != orderVersion(o) {
		// The order changed since the confirmation was shown (another action, through the
		// API or another tab): what was confirmed may no longer be what would happen.
		return s.renderOrderNotice(c, o, http.StatusConflict, &templates.DashNotice{Error: true, Text: templates.DT(lang, "err_order_changed")})
	}
	idem := &orders.Idem{MerchantID: u.Merchant.ID, Key: dashKeyPrefix + key, RequestHash: dashRequestHash(o.ID, name, req), Answer: s.actionAnswer}
	_, a, err := s.performAction(ctx, u.Merchant, o.ID, req, idem, c.RealIP(), requestIDOf(c))
	done := dashboardRoute + "/orders/" + o.ID + "?done=" + key
	var used *orders.KeyUsedError
	switch {
	case errors.As(err, &used):
		if used.Record.RequestHash != idem.RequestHash {
			return s.renderOrderNotice(c, o, http.StatusConflict, &templates.DashNotice{Error: true, Text: templates.DT(lang, "err_form_reused")})
		}
		// The same confirmation again (a double click, a reload): it acted once; show
		// what became of it.
		return c.Redirect(http.StatusSeeOther, done)
	case orders.ErrorCode(err) == orders.CodeUnavailable:
		// Refused before the write ran: nothing is stored for the key; the same
		// confirmation may be sent again.
		return s.renderOrderNotice(c, o, http.StatusServiceUnavailable, refusalNotice(lang, toAPIError(err)))
	case orders.ErrorCode(err) == orders.CodeInternal:
		return err
	case err != nil:
		// A refusal of the domain, stored as the key's answer by BeginAction.
		s.auditAction(c, name, o, req, "refused: "+orders.ErrorCode(err))
		return c.Redirect(http.StatusSeeOther, done)
	}
	outcome := string(a.Status)
	if a.Status == orders.ActionFailed {
		outcome += ": " + a.ResultCode
	}
	if a.Kind != dashActionKinds[name] {
		outcome = "done as " + string(a.Kind) + " (a full refund on the payment's day); " + outcome
	}
	s.auditAction(c, name, o, orders.ActionRequest{Kind: a.Kind, Amount: &a.Amount, Shares: a.Shares}, outcome)
	return c.Redirect(http.StatusSeeOther, done)
}

// auditAction writes the action to the audit log. It runs after Moka answered, so a
// failure to write it is logged rather than shown as if the action had failed.
func (s *Server) auditAction(c echo.Context, name string, o *orders.Order, req orders.ActionRequest, outcome string) {
	u := currentUser(c)
	var what []string
	if req.Kind != orders.ActionApprove {
		amount := "all"
		if req.Amount != nil {
			amount = money(*req.Amount) + " " + o.Currency
		}
		what = append(what, "amount "+amount)
	}
	for _, sh := range req.Shares {
		part := "dealer " + strconv.FormatInt(sh.DealerID, 10)
		if sh.Amount != nil {
			part += " " + money(*sh.Amount)
		}
		what = append(what, part)
	}
	detail := strings.Join(append(what, outcome), "; ")
	err := s.store.Audit(context.WithoutCancel(c.Request().Context()), orders.AuditEntry{MerchantID: u.Merchant.ID,
		UserID: u.User.ID, Email: u.User.Email, IP: c.RealIP(), Action: name, OrderID: o.ID, Detail: detail})
	if err != nil {
		s.log.Error("a dashboard action was done but not written to the audit log", "request_id", requestIDOf(c),
			"order_id", o.ID, "action", name, "detail", detail, "error", err.Error())
	}
}

// dashActionRequest reads an action's form. The form's amounts are typed by people: in
// Turkish "1.234,50" or "100,5", in English "1,234.50"; the confirmation carries the
// amounts as plain decimals ("1234.50"), read strictly.
func dashActionRequest(c echo.Context, name string, o *orders.Order, lang string, strict bool) (orders.ActionRequest, error) {
	req := orders.ActionRequest{Kind: dashActionKinds[name]}
	read := func(text, field string) (decimal.Decimal, error) {
		if !strict {
			text = normalizeAmount(lang, text)
		}
		return parseAmount(text, field)
	}
	switch req.Kind {
	case orders.ActionCapture, orders.ActionRefund:
		if text := strings.TrimSpace(c.FormValue("amount")); text != "" {
			d, err := read(text, "amount")
			if err != nil {
				return req, err
			}
			req.Amount = &d
		}
		if len(o.SubDealers) < 2 {
			return req, nil // the domain derives a single sub-dealer's part
		}
		for _, sd := range o.SubDealers {
			field := "part_" + strconv.FormatInt(sd.DealerID, 10)
			text := strings.TrimSpace(c.FormValue(field))
			if zero, err := decimal.NewFromString(normalizeAmount(lang, text)); text == "" || err == nil && zero.IsZero() {
				continue // a sub-dealer left out gets nothing
			}
			d, err := read(text, field)
			if err != nil {
				return req, err
			}
			req.Shares = append(req.Shares, orders.Share{DealerID: sd.DealerID, Amount: &d})
		}
	case orders.ActionApprove:
		for _, v := range c.Request().Form["dealer"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return req, badRequest(orders.CodeSubDealersInvalid, "dealer", "not a dealer id")
			}
			req.Shares = append(req.Shares, orders.Share{DealerID: id})
		}
		if len(o.SubDealers) > 0 && len(req.Shares) == 0 {
			return req, badRequest("dealer_required", "dealer", "choose at least one sub-dealer")
		}
	}
	return req, nil
}

// amountSpaces are the spaces a person may type, or paste, inside an amount.
var amountSpaces = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "")

// normalizeAmount turns an amount as a person types it into a plain decimal. A comma is
// the decimal point in Turkish and a thousands separator in English; in Turkish a point is
// a thousands separator when groups of three digits follow it ("1.234"), else a decimal
// point ("100.50"). Whatever it makes, parseAmount checks, and the confirmation shows it.
func normalizeAmount(lang, text string) string {
	text = amountSpaces.Replace(text)
	if lang != "tr" {
		// In English a comma only groups thousands ("1,234.50"); anywhere else ("1,50")
		// it is left in, and the amount is refused rather than read a hundred times larger.
		if englishGroupsRE.MatchString(text) {
			return strings.ReplaceAll(text, ",", "")
		}
		return text
	}
	if strings.Contains(text, ",") {
		return strings.ReplaceAll(strings.ReplaceAll(text, ".", ""), ",", ".")
	}
	if thousandsRE.MatchString(text) {
		return strings.ReplaceAll(text, ".", "")
	}
	return text
}

var (
	thousandsRE     = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{3})+$`)
	englishGroupsRE = regexp.MustCompile(`^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,2})?$`)
)

// inputAmount writes an amount as the form's input shows it: "1234,50" in Turkish.
func inputAmount(lang string, d decimal.Decimal) string {
	s := d.StringFixed(2)
	if lang == "tr" {
		return strings.Replace(s, ".", ",", 1)
	}
	return s
}

// dashRequestHash identifies a confirmation's request for its idempotency key.
func dashRequestHash(orderID, name string, req orders.ActionRequest) string {
	var b strings.Builder
	b.WriteString(orderID + "|" + name)
	if req.Amount != nil {
		b.WriteString("|" + money(*req.Amount))
	}
	for _, sh := range req.Shares {
		fmt.Fprintf(&b, "|%d", sh.DealerID)
		if sh.Amount != nil {
			b.WriteString(":" + money(*sh.Amount))
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// renderConfirm asks to confirm the planned action. The confirmation carries the
// planned amount itself, so what is confirmed is what was shown; the parts are the ones
// given (the domain derives the others again, as it did for the plan).
func (s *Server) renderConfirm(c echo.Context, o *orders.Order, name string, req orders.ActionRequest, planned orders.Action) error {
	p := templates.DashConfirmPage{DashPage: s.dashPage(c, "orders"), OrderID: o.ID, Reference: o.Reference, Action: name}
	lang := p.Lang
	amount := formatAmount(lang, o.Currency, planned.Amount)
	fields := []templates.DashHidden{{Name: "confirm", Value: "1"}, {Name: "idempotency_key", Value: randomToken()},
		{Name: "version", Value: orderVersion(o)}}
	switch {
	case name == "approve":
		p.Question = fmt.Sprintf(templates.DT(lang, "confirm_approve"), o.Reference)
		for _, sh := range planned.Shares {
			if sh.DealerID == 0 {
				p.Lines = append(p.Lines, templates.DashLine{Name: "amount", Label: templates.DT(lang, "amount"), Value: formatAmount(lang, o.Currency, o.Amount)})
				continue
			}
			fields = append(fields, templates.DashHidden{Name: "dealer", Value: strconv.FormatInt(sh.DealerID, 10)})
			p.Lines = append(p.Lines, templates.DashLine{Name: "dealer_" + strconv.FormatInt(sh.DealerID, 10),
				Label: fmt.Sprintf(templates.DT(lang, "sub_dealer_n"), sh.DealerID), Value: shareOf(lang, o, sh.DealerID)})
		}
	case name == "cancel":
		p.Question = fmt.Sprintf(templates.DT(lang, "confirm_cancel"), amount, o.Reference)
		p.Note = templates.DT(lang, "confirm_cancel_note")
	default:
		p.Question = fmt.Sprintf(templates.DT(lang, "confirm_"+name), amount, o.Reference)
		fields = append(fields, templates.DashHidden{Name: "amount", Value: money(planned.Amount)})
		for _, sh := range req.Shares {
			fields = append(fields, templates.DashHidden{Name: "part_" + strconv.FormatInt(sh.DealerID, 10), Value: money(*sh.Amount)})
		}
		for _, sh := range planned.Shares {
			p.Lines = append(p.Lines, templates.DashLine{Name: "part_" + strconv.FormatInt(sh.DealerID, 10),
				Label: fmt.Sprintf(templates.DT(lang, "sub_dealer_n"), sh.DealerID), Value: formatAmount(lang, o.Currency, *sh.Amount)})
		}
		switch {
		case planned.Kind == orders.ActionVoid:
			p.Note = templates.DT(lang, "confirm_refund_is_void")
		case name == "refund":
			p.Note = templates.DT(lang, "confirm_refund_note")
		case name == "capture" && planned.Amount.LessThan(o.Amount):
			p.Note = fmt.Sprintf(templates.DT(lang, "confirm_capture_note"), formatAmount(lang, o.Currency, o.Amount.Sub(planned.Amount)))
		}
	}
	p.Title = templates.DT(lang, "confirm_title")
	p.Fields = fields
	return s.renderPage(c, http.StatusOK, dashboardCSP, templates.DashConfirm(p))
}

func shareOf(lang string, o *orders.Order, dealerID int64) string {
	for _, sd := range o.SubDealers {
		if sd.DealerID == dealerID {
			return formatAmount(lang, o.Currency, sd.Amount)
		}
	}
	return ""
}

// doneNotice says what became of the confirmation with the key: the action it started
// (which must be this order's), or the refusal stored for it.
func (s *Server) doneNotice(ctx context.Context, lang string, o *orders.Order, key string) (*templates.DashNotice, error) {
	rec, err := s.store.LookupIdempotency(ctx, o.MerchantID, dashKeyPrefix+key)
	if errors.Is(err, orders.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rec.ActionID != "" {
		if a := o.Action(rec.ActionID); a != nil {
			return actionNotice(lang, o, a), nil
		}
		return nil, nil
	}
	var ej errorJSON
	if rec.InProgress() || json.Unmarshal(rec.Body, &ej) != nil || ej.Error.Code == "" {
		return nil, nil
	}
	return refusalNotice(lang, &apiError{Code: ej.Error.Code, Message: ej.Error.Message, MokaResultCode: ej.Error.MokaResultCode}), nil
}

// actionNotice says in plain words what became of an action.
func actionNotice(lang string, o *orders.Order, a *orders.Action) *templates.DashNotice {
	amount := formatAmount(lang, o.Currency, a.Amount)
	switch a.Status {
	case orders.ActionFailed:
		n := refusalNotice(lang, actionFailure(a))
		n.MokaCode = a.ResultCode
		return n
	case orders.ActionPending:
		return &templates.DashNotice{Text: templates.DT(lang, "done_pending")}
	case orders.ActionRequested:
		return &templates.DashNotice{Text: fmt.Sprintf(templates.DT(lang, "done_refund_requested"), amount)}
	}
	if a.Kind == orders.ActionApprove {
		return &templates.DashNotice{Text: templates.DT(lang, "done_approve")}
	}
	return &templates.DashNotice{Text: fmt.Sprintf(templates.DT(lang, "done_"+string(a.Kind)), amount)}
}

// refusalNotice puts an error in plain words, with Moka's code beside it. The API's own
// message stays as the detail: it carries the specifics (limits, dates).
func refusalNotice(lang string, ae *apiError) *templates.DashNotice {
	n := &templates.DashNotice{Error: true, Text: ae.Message, MokaCode: ae.MokaResultCode}
	if templates.HasDT("err_" + ae.Code) {
		n.Text, n.Detail = templates.DT(lang, "err_"+ae.Code), ae.Message
	}
	return n
}

// orderPage builds the order page's view: facts, sub-dealers, timeline and forms.
func (s *Server) orderPage(c echo.Context, o *orders.Order) (templates.DashOrderPage, error) {
	p := templates.DashOrderPage{DashPage: s.dashPage(c, "orders"), ID: o.ID, Reference: o.Reference}
	lang := p.Lang
	t := func(key string) string { return templates.DT(lang, key) }
	cur := func(d decimal.Decimal) string { return formatAmount(lang, o.Currency, d) }
	p.Title = t("order") + " " + o.Reference
	status := s.orderJSON(o).Status
	p.Status, p.StatusText = string(status), t("status_"+string(status))

	fact := func(name, value string) {
		if value != "" {
			p.Facts = append(p.Facts, templates.DashLine{Name: name, Label: t("fact_" + name), Value: value})
		}
	}
	fact("reference", o.Reference)
	fact("order_id", o.ID)
	fact("status", p.StatusText)
	fact("amount", cur(o.Amount))
	if o.Payment() != nil {
		fact("paid", cur(o.PaidAmount()))
		fact("refunded", cur(o.RefundedAmount()))
		fact("refundable", cur(o.RefundableAmount()))
	}
	fact("capture", t("capture_"+o.Capture))
	fact("pool", t(map[bool]string{true: "yes", false: "no"}[o.Pool]))
	if o.CommissionScenario > 0 {
		fact("scenario", strconv.Itoa(o.CommissionScenario))
	}
	fact("description", o.Description)
	fact("created", s.dashTime(o.CreatedAt))
	if status == orders.StatusOpen || status == orders.StatusProcessing {
		fact("expires", s.dashTime(o.ExpiresAt))
	}
	if o.PaidAt != nil {
		fact("paid_at", s.dashTime(*o.PaidAt))
	}
	if o.ApprovedAt != nil {
		fact("approved_at", s.dashTime(*o.ApprovedAt))
	}
	if o.CancelReason != "" {
		reason := o.CancelReason
		if templates.HasDT("cancel_reason_" + reason) {
			reason = t("cancel_reason_" + reason)
		}
		fact("cancel_reason", reason)
	}
	fact("buyer_name", o.Buyer.Name)
	fact("buyer_email", o.Buyer.Email)
	fact("buyer_phone", o.Buyer.Phone)
	fact("buyer_address", o.Buyer.Address)

	approved := map[int64]time.Time{}
	for _, ap := range o.Approvals {
		approved[ap.DealerID] = ap.ApprovedAt
	}
	for _, sd := range o.SubDealers {
		row := templates.DashSubDealer{DealerID: sd.DealerID, Amount: cur(sd.Amount)}
		if at, ok := approved[sd.DealerID]; ok {
			row.ApprovedAt = s.dashTime(at)
		}
		p.SubDealers = append(p.SubDealers, row)
	}

	events, err := s.store.OrderEvents(c.Request().Context(), o.MerchantID, o.ID)
	if err != nil {
		return p, err
	}
	p.Timeline = s.timeline(lang, o, events)
	s.actionForms(&p, o)
	if p.Deliveries, err = s.deliveries(c.Request().Context(), lang, currentUser(c).Merchant, o); err != nil {
		return p, err
	}
	return p, nil
}

// timeline is the order's history, oldest first: attempts, actions and events.
func (s *Server) timeline(lang string, o *orders.Order, events []orders.Event) []templates.DashTimelineItem {
	t := func(key string) string { return templates.DT(lang, key) }
	cur := func(d decimal.Decimal) string { return formatAmount(lang, o.Currency, d) }
	when := func(at time.Time) string { return at.In(s.istanbul).Format("2006-01-02 15:04:05") }
	type item struct {
		at time.Time
		templates.DashTimelineItem
	}
	var items []item
	for _, a := range o.Attempts {
		it := templates.DashTimelineItem{Kind: "attempt", ID: a.ID, When: when(a.CreatedAt), Title: t("tl_attempt"),
			Status: string(a.Status), StatusText: t("attempt_" + string(a.Status)), MokaCode: a.ResultCode, Message: a.ResultMessage}
		if a.CardLast4 != "" {
			// First six and last four only: the number and the CVC are never stored.
			it.Lines = append(it.Lines, templates.DashLine{Name: "card", Label: t("card"),
				Value: strings.TrimSpace(a.CardFirst6 + " •••••• " + a.CardLast4 + " " + a.CardBrand)})
		}
		inst := t("single_payment")
		if a.Installments > 1 {
			inst = fmt.Sprintf(t("n_installments"), a.Installments)
		}
		it.Lines = append(it.Lines, templates.DashLine{Name: "installments", Label: t("installments"), Value: inst})
		if a.CompletedAt != nil {
			it.Lines = append(it.Lines, templates.DashLine{Name: "at_bank", Label: t("at_bank"), Value: duration(lang, a.CompletedAt.Sub(a.CreatedAt))})
		}
		items = append(items, item{a.CreatedAt, it})
	}
	for i := range o.Actions {
		a := &o.Actions[i]
		it := templates.DashTimelineItem{Kind: "action", ID: a.ID, When: when(a.CreatedAt), Title: t("tl_" + string(a.Kind)),
			Status: string(a.Status), StatusText: t("act_" + string(a.Status)), MokaCode: a.ResultCode}
		if a.Kind != orders.ActionApprove {
			it.Amount = cur(a.Amount)
		}
		for _, sh := range a.Shares {
			if sh.DealerID == 0 {
				continue
			}
			v := t("approved")
			if sh.Amount != nil {
				v = cur(*sh.Amount)
			}
			it.Lines = append(it.Lines, templates.DashLine{Name: "dealer_" + strconv.FormatInt(sh.DealerID, 10),
				Label: fmt.Sprintf(t("sub_dealer_n"), sh.DealerID), Value: v})
		}
		if a.RefundRequestID != "" {
			it.Lines = append(it.Lines, templates.DashLine{Name: "refund_request", Label: t("refund_request_id"), Value: a.RefundRequestID})
		}
		if a.CompletedAt != nil {
			it.Lines = append(it.Lines, templates.DashLine{Name: "completed", Label: t("completed"), Value: when(*a.CompletedAt)})
		}
		if a.Status == orders.ActionFailed {
			it.Message = refusalNotice(lang, actionFailure(a)).Text
			if a.ResultMessage != "" && a.ResultMessage != it.Message {
				it.Lines = append(it.Lines, templates.DashLine{Name: "moka_message", Label: t("moka_message"), Value: a.ResultMessage})
			}
		}
		items = append(items, item{a.CreatedAt, it})
	}
	for _, e := range events {
		title := t("ev_" + e.Type)
		if !templates.HasDT("ev_" + e.Type) {
			title = e.Type
		}
		items = append(items, item{e.CreatedAt, templates.DashTimelineItem{Kind: "event", ID: e.ID, When: when(e.CreatedAt), Title: title, Status: e.Type}})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].at.Before(items[j].at) })
	out := make([]templates.DashTimelineItem, len(items))
	for i, it := range items {
		out[i] = it.DashTimelineItem
	}
	return out
}

// duration writes a short time span: "12 s", "3 min 5 s".
func duration(lang string, d time.Duration) string {
	sec := int64(d.Round(time.Second) / time.Second)
	m, sc := sec/60, sec%60
	unitM, unitS := "min", "s"
	if lang == "tr" {
		unitM, unitS = "dk", "sn"
	}
	if m == 0 {
		return fmt.Sprintf("%d %s", sc, unitS)
	}
	return fmt.Sprintf("%d %s %d %s", m, unitM, sc, unitS)
}

// actionForms offers the actions the domain would take now, each with what it would do
// by default, and says why the usual ones are not possible when that helps.
func (s *Server) actionForms(p *templates.DashOrderPage, o *orders.Order) {
	lang := p.Lang
	cur := func(d decimal.Decimal) string { return formatAmount(lang, o.Currency, d) }
	hint := func(key string) {
		if txt := templates.DT(lang, key); !contains(p.Hints, txt) {
			p.Hints = append(p.Hints, txt)
		}
	}
	plan := func(kind orders.ActionKind) (orders.Action, string) {
		a, err := s.store.PlanAction(o, orders.ActionRequest{Kind: kind})
		if orders.ErrorCode(err) == orders.CodeActionInProgress {
			hint("hint_action_in_progress")
		}
		return a, orders.ErrorCode(err)
	}
	amountForm := func(a orders.Action) *templates.DashAmountForm {
		f := &templates.DashAmountForm{Default: inputAmount(lang, a.Amount), Limit: cur(a.Amount)}
		if len(o.SubDealers) > 1 {
			for _, sh := range a.Shares {
				f.Parts = append(f.Parts, templates.DashPart{DealerID: sh.DealerID, Default: inputAmount(lang, *sh.Amount), Limit: cur(*sh.Amount)})
			}
		}
		return f
	}
	if a, code := plan(orders.ActionCapture); code == "" {
		p.Capture = amountForm(a)
	}
	switch a, code := plan(orders.ActionVoid); code {
	case "":
		p.Cancel = cur(a.Amount)
	case orders.CodeVoidWindowClosed:
		hint("hint_void_window_closed")
	}
	switch a, code := plan(orders.ActionRefund); {
	case code == "" && a.Kind == orders.ActionRefund:
		p.Refund = amountForm(a)
	case code == "":
		hint("hint_refund_tomorrow") // on the payment's day a full refund is a cancel
	case code == orders.CodeRefundNotYetPossible || code == orders.CodeRefundInProgress:
		hint("hint_" + code)
	}
	if a, code := plan(orders.ActionApprove); code == "" {
		p.Approve = &templates.DashApproveForm{}
		for _, sh := range a.Shares {
			if sh.DealerID != 0 {
				p.Approve.Dealers = append(p.Approve.Dealers, templates.DashDealerChoice{DealerID: sh.DealerID, Amount: shareOf(lang, o, sh.DealerID)})
			}
		}
	}
}

// orderVersion names the order's state a confirmation was shown for: its last change of
// status and its actions so far (a refund request or an approval changes no status).
func orderVersion(o *orders.Order) string {
	return o.UpdatedAt.UTC().Format(time.RFC3339Nano) + "/" + strconv.Itoa(len(o.Actions))
}

// deliveries reads the webhook deliveries of the order's events, newest first, with the
// answer to each one's last try.
func (s *Server) deliveries(ctx context.Context, lang string, m *merchant, o *orders.Order) (templates.DashDeliveries, error) {
	out := templates.DashDeliveries{Configured: m.WebhookURL != ""}
	events, _, err := s.store.ListEventDeliveries(ctx, o.MerchantID, orders.EventFilter{OrderID: o.ID, Limit: orders.MaxListLimit})
	if err != nil {
		return out, err
	}
	t := func(key string) string { return templates.DT(lang, key) }
	for i := range events {
		e := &events[i]
		row := templates.DashDelivery{EventID: e.ID, Type: e.Type, TypeText: e.Type, When: s.dashTime(e.CreatedAt), State: "none"}
		if templates.HasDT("ev_" + e.Type) {
			row.TypeText = t("ev_" + e.Type)
		}
		if d := e.Delivery; d != nil {
			row.State, row.Tries, row.LastError = string(d.State), d.Attempts, d.LastError
			if d.State == orders.DeliveryPending {
				row.NextTry = s.dashTime(d.NextTryAt)
			}
			if d.DeliveredAt != nil {
				row.DeliveredAt = s.dashTime(*d.DeliveredAt)
			}
			if d.Attempts > 0 {
				// An order has a handful of events: one read each for its last try is cheap.
				_, tries, err := s.store.GetEventDelivery(ctx, o.MerchantID, e.ID)
				if err != nil {
					return out, err
				}
				if n := len(tries); n > 0 && tries[n-1].HTTPStatus != 0 {
					row.LastStatus = strconv.Itoa(tries[n-1].HTTPStatus)
				}
			}
		}
		row.StateText = t("wh_state_" + row.State)
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// handleDashRedeliver asks for a new try of one of the order's events, as POST
// /api/v1/events/{id}/redeliver does, writes it to the audit log, and sends the browser
// back to the order page. Like the API's, it is naturally idempotent: a second post asks
// for the same thing.
func (s *Server) handleDashRedeliver(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	lang := s.dashLang(c)
	o, err := s.dashOrder(c)
	if err != nil {
		return err
	}
	if o == nil {
		return s.dashboardError(c, http.StatusNotFound, dashMsgNotFound)
	}
	ev, _, err := s.store.GetEventDelivery(ctx, u.Merchant.ID, c.Param("event"))
	if errors.Is(err, orders.ErrNotFound) || err == nil && ev.OrderID != o.ID {
		return s.dashboardError(c, http.StatusNotFound, dashMsgNotFound)
	}
	if err != nil {
		return err
	}
	if u.Merchant.WebhookURL == "" {
		return s.renderOrderNotice(c, o, errWebhookNotConfigured.Status, refusalNotice(lang, errWebhookNotConfigured))
	}
	if _, err := s.store.Redeliver(ctx, u.Merchant.ID, ev.ID); err != nil {
		return err
	}
	err = s.store.Audit(context.WithoutCancel(ctx), orders.AuditEntry{MerchantID: u.Merchant.ID, UserID: u.User.ID,
		Email: u.User.Email, IP: c.RealIP(), Action: "redeliver", OrderID: o.ID, Detail: ev.ID + " (" + ev.Type + ")"})
	if err != nil {
		s.log.Error("a webhook redelivery was asked for but not written to the audit log", "request_id", requestIDOf(c),
			"order_id", o.ID, "event_id", ev.ID, "error", err.Error())
	}
	return c.Redirect(http.StatusSeeOther, dashboardRoute+"/orders/"+o.ID+"?redelivered="+url.QueryEscape(ev.ID)+"#deliveries")
}

// redeliveredNotice confirms a redelivery asked for, when the query names one of the
// order's events that has a delivery; it says only that a try was asked for, which the
// deliveries table shows the truth of.
func redeliveredNotice(lang string, d templates.DashDeliveries, eventID string) *templates.DashNotice {
	for _, r := range d.Rows {
		if r.EventID == eventID && r.State != "none" {
			return &templates.DashNotice{Text: fmt.Sprintf(templates.DT(lang, "wh_redelivered"), r.TypeText+" ("+r.EventID+")")}
		}
	}
	return nil
}
