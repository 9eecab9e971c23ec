package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
)

// operator is the part of the Moka client the merchant's actions use.
type operator interface {
	Capture(ctx context.Context, req moka.CaptureRequest) (*moka.BankResult, error)
	Void(ctx context.Context, req moka.VoidRequest) (*moka.BankResult, error)
	CreateRefundRequest(ctx context.Context, req moka.RefundRequest) (*moka.BankResult, error)
	ApprovePoolPayment(ctx context.Context, req moka.ApproveRequest) (*moka.BankResult, error)
}

// actionRequest is the body of the capture and refund endpoints (amount, sub_dealers)
// and of approve (dealer_ids); cancel takes none.
type actionRequest struct {
	Amount     json.RawMessage      `json:"amount"`
	SubDealers []actionShareRequest `json:"sub_dealers"`
	DealerIDs  []int64              `json:"dealer_ids"`
}

type actionShareRequest struct {
	DealerID int64           `json:"dealer_id"`
	Amount   json.RawMessage `json:"amount"`
}

func (s *Server) handleCapture(c echo.Context) error { return s.runAction(c, orders.ActionCapture) }
func (s *Server) handleApprove(c echo.Context) error { return s.runAction(c, orders.ActionApprove) }
func (s *Server) handleCancel(c echo.Context) error  { return s.runAction(c, orders.ActionVoid) }
func (s *Server) handleRefund(c echo.Context) error  { return s.runAction(c, orders.ActionRefund) }

// parseAction reads an action's body, allowing only the fields its kind takes.
func parseAction(kind orders.ActionKind, body []byte) (orders.ActionRequest, error) {
	req := orders.ActionRequest{Kind: kind}
	if len(strings.TrimSpace(string(body))) == 0 {
		return req, nil
	}
	if err := refuseDuplicateKeys(body); err != nil {
		return req, err
	}
	var in actionRequest
	if err := decodeStrict(body, &in); err != nil {
		return req, err
	}
	allowed := map[orders.ActionKind][]string{
		orders.ActionCapture: {"amount", "sub_dealers"},
		orders.ActionRefund:  {"amount", "sub_dealers"},
		orders.ActionApprove: {"dealer_ids"},
		orders.ActionVoid:    {},
	}[kind]
	given := map[string]bool{"amount": len(in.Amount) > 0, "sub_dealers": in.SubDealers != nil, "dealer_ids": in.DealerIDs != nil}
	for _, f := range []string{"amount", "sub_dealers", "dealer_ids"} {
		if given[f] && !contains(allowed, f) {
			return req, badRequest("unknown_field", f, fmt.Sprintf("unknown field %q", f))
		}
	}
	text, present, err := jsonString(in.Amount, "amount")
	if err != nil {
		return req, err
	}
	if present {
		d, err := parseAmount(text, "amount")
		if err != nil {
			return req, err
		}
		req.Amount = &d
	}
	for i, sd := range in.SubDealers {
		field := fmt.Sprintf("sub_dealers[%d].amount", i)
		d, err := requiredAmount(sd.Amount, field)
		if err != nil {
			return req, err
		}
		req.Shares = append(req.Shares, orders.Share{DealerID: sd.DealerID, Amount: &d})
	}
	for _, id := range in.DealerIDs {
		req.Shares = append(req.Shares, orders.Share{DealerID: id})
	}
	if in.SubDealers != nil && len(in.SubDealers) == 0 || in.DealerIDs != nil && len(in.DealerIDs) == 0 {
		return req, badRequest("sub_dealers_invalid", map[bool]string{true: "sub_dealers", false: "dealer_ids"}[in.SubDealers != nil],
			"leave the list out rather than sending it empty")
	}
	return req, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// runAction answers one merchant action of the API. The action itself is performAction,
// which the dashboard calls too.
func (s *Server) runAction(c echo.Context, kind orders.ActionKind) error {
	m := apiMerchant(c)
	body, err := readAPIBody(c)
	if err != nil {
		return err
	}
	idem, err := s.idemFor(c, m, body, s.actionAnswer)
	if err != nil {
		return err
	}
	if idem != nil {
		if done, err := s.replayKnown(c, idem); done || err != nil {
			return err
		}
	}
	req, err := parseAction(kind, body)
	if err != nil {
		return err // an input error is not stored: the merchant may fix the body and retry
	}
	o, a, err := s.performAction(c.Request().Context(), m, c.Param("id"), req, idem, c.RealIP(), requestIDOf(c))
	if err != nil {
		return s.answerRefusal(c, idem, err)
	}
	status, answer := s.actionAnswer(o, a, nil)
	return c.JSONBlob(status, answer)
}

// performAction runs one merchant action, for the API and the dashboard alike: the action
// is written pending (with the Idempotency-Key claimed) before Moka is called, and Moka's
// answer is recorded with the order's change, its event and the key's answer in one
// transaction. Moka is called under a context the caller cannot cancel: once asked, its
// answer is always recorded. A refusal before Moka is asked is an error (an *orders.Error,
// or *orders.KeyUsedError); Moka's own refusal is a failed action, not an error.
func (s *Server) performAction(ctx context.Context, m *merchant, orderID string, req orders.ActionRequest,
	idem *orders.Idem, clientIP, requestID string) (*orders.Order, *orders.Action, error) {
	o, a, err := s.store.BeginAction(ctx, m.ID, orderID, req, idem)
	if err != nil {
		return nil, nil, err
	}
	res := s.callMoka(context.WithoutCancel(ctx), m, o, a, clientIP)
	if res.Status == orders.ActionPending {
		s.log.Warn("Moka's answer to an action was lost; it stays pending for reconciliation",
			"request_id", requestID, "order_id", o.ID, "action_id", a.ID, "kind", string(a.Kind), "error", res.ResultMessage)
	}
	done, finished, err := s.store.FinishAction(context.WithoutCancel(ctx), a.ID, res, idem)
	if err != nil {
		// Moka has answered but the answer is not stored: the action is still pending in
		// the database, and reconciliation settles it from Moka's records. Say so rather
		// than "nothing was done".
		s.log.Error("Moka's answer to an action could not be recorded; it stays pending for reconciliation",
			"request_id", requestID, "order_id", o.ID, "action_id", a.ID, "kind", string(a.Kind), "error", err.Error())
		return o, a, nil
	}
	return done, finished, nil
}

// answerRefusal answers a write that refused the request: from the key's record when the
// key had been used, else the refusal itself (stored for the key by the store if it is a
// domain refusal).
func (s *Server) answerRefusal(c echo.Context, idem *orders.Idem, err error) error {
	var used *orders.KeyUsedError
	if errors.As(err, &used) {
		return s.replayRecord(c, idem, used.Record)
	}
	if status, body := errorAnswer(err); idem != nil && status < 500 {
		// The bytes stored for the key, so that a repeat gets exactly this answer.
		return c.JSONBlob(status, body)
	}
	return err
}

// callMoka sends the action to Moka and says what became of it. clientIP is the
// merchant's, who asked for it (Moka's ClientIP of DoCapture and DoVoid). A refusal by Moka or the
// bank fails the action; no usable answer leaves it pending.
func (s *Server) callMoka(ctx context.Context, m *merchant, o *orders.Order, a *orders.Action, clientIP string) orders.ActionResult {
	ctx, cancel := context.WithTimeout(ctx, s.opts.MokaTimeout)
	defer cancel()
	pay := o.Payment()
	if pay == nil {
		return orders.ActionResult{Status: orders.ActionFailed, ResultCode: "checkout.no_payment", ResultMessage: "the order has no payment"}
	}
	var parts []moka.SubDealerPart
	// A full capture or refund names no parts: Moka splits it as the payment was split.
	// Only a partial one must say who gets what. (The parts of a full action may not add
	// up to its amount: in commission scenarios 4 to 6 the main dealer keeps a share.)
	full := (a.Kind == orders.ActionCapture && a.Amount.Equal(o.Amount)) ||
		(a.Kind == orders.ActionRefund && o.RefundableAmount().IsZero())
	for _, sh := range a.Shares {
		if full {
			break
		}
		p := moka.SubDealerPart{DealerID: moka.Int(sh.DealerID)}
		if sh.Amount != nil {
			p.Amount = moka.AmountPtr(*sh.Amount)
		}
		parts = append(parts, p)
	}
	var res *moka.BankResult
	var err error
	switch a.Kind {
	case orders.ActionCapture:
		res, err = m.ops.Capture(ctx, moka.CaptureRequest{VirtualPosOrderID: pay.TrxCode, OtherTrxCode: pay.OtherTrxCode,
			Amount: moka.NewAmount(a.Amount), ClientIP: clientIP, SubDealer: parts})
	case orders.ActionVoid:
		res, err = m.ops.Void(ctx, moka.VoidRequest{VirtualPosOrderID: pay.TrxCode, OtherTrxCode: pay.OtherTrxCode, ClientIP: clientIP})
	case orders.ActionRefund:
		res, err = m.ops.CreateRefundRequest(ctx, moka.RefundRequest{VirtualPosOrderID: pay.TrxCode, OtherTrxCode: pay.OtherTrxCode,
			Amount: moka.NewAmount(a.Amount), SubDealer: parts})
	case orders.ActionApprove:
		if len(parts) == 1 && parts[0].DealerID == 0 {
			parts = nil // a pool payment without sub-dealers is approved as a whole
		}
		res, err = m.ops.ApprovePoolPayment(ctx, moka.ApproveRequest{VirtualPosOrderID: pay.TrxCode, OtherTrxCode: pay.OtherTrxCode, SubDealer: parts})
	}
	return actionResult(a.Kind, res, err)
}

// actionResult turns Moka's answer into the action's outcome.
func actionResult(kind orders.ActionKind, res *moka.BankResult, err error) orders.ActionResult {
	var me *moka.Error
	var ve *moka.ValidationError
	switch {
	case err == nil && kind == orders.ActionRefund:
		return orders.ActionResult{Status: orders.ActionRequested, RefundRequestID: string(res.RefundRequestID)}
	case err == nil:
		return orders.ActionResult{Status: orders.ActionSucceeded}
	case errors.As(err, &me) && (me.Bank || refusedBeforeActing(me.ResultCode)):
		return orders.ActionResult{Status: orders.ActionFailed, ResultCode: strings.TrimSpace(me.ResultCode),
			ResultMessage: strings.TrimSpace(me.ResultMessage)}
	case errors.As(err, &me):
		// EX, or a code we do not know: Moka may have acted before it failed. The
		// outcome is unknown until Moka's records settle it; never "nothing happened".
		return orders.ActionResult{Status: orders.ActionPending, ResultMessage: "Moka answered " + strings.TrimSpace(me.ResultCode)}
	case errors.As(err, &ve):
		return orders.ActionResult{Status: orders.ActionFailed, ResultCode: "checkout.invalid_request", ResultMessage: ve.Error()}
	default:
		// Timeout, 5xx, no connection or an unreadable answer: Moka may have acted.
		return orders.ActionResult{Status: orders.ActionPending, ResultMessage: err.Error()}
	}
}

// refusedBeforeActing reports a Moka result code that means the request was refused as it
// stood, so nothing was done: the seeds' checks of the account, the request, the amount and
// the payment's state. EX and anything else are not on the list.
func refusedBeforeActing(code string) bool {
	code = strings.TrimSpace(code)
	for _, suffix := range []string{".InvalidRequest", ".InvalidAccount", ".VirtualPosNotFound", ".InvalidAmount",
		"MustGiven", "Mismatch", "PaymentNotFound", ".PaymentAlreadyApproved", ".PaymentIsNotPoolPayment",
		".RefundRequestAlreadyExist", ".PaymentNotAvailable", ".RefundNotAvailableOnPaymentDay"} {
		if strings.HasSuffix(code, suffix) {
			return true
		}
	}
	return false
}

// actionJSON is an action as the API shows it.
type actionJSON struct {
	ID              string              `json:"id"`
	Kind            orders.ActionKind   `json:"kind"`
	Status          orders.ActionStatus `json:"status"`
	Amount          string              `json:"amount,omitempty"`
	SubDealers      []shareJSON         `json:"sub_dealers,omitempty"`
	RefundRequestID string              `json:"refund_request_id,omitempty"`
	MokaResultCode  string              `json:"moka_result_code,omitempty"`
	Message         string              `json:"message,omitempty"`
	CreatedAt       time.Time           `json:"created_at"`
	CompletedAt     *time.Time          `json:"completed_at,omitempty"`
}

type shareJSON struct {
	DealerID int64   `json:"dealer_id"`
	Amount   *string `json:"amount,omitempty"`
}

func toActionJSON(a orders.Action) actionJSON {
	out := actionJSON{ID: a.ID, Kind: a.Kind, Status: a.Status, RefundRequestID: a.RefundRequestID,
		MokaResultCode: a.ResultCode, Message: a.ResultMessage, CreatedAt: a.CreatedAt, CompletedAt: a.CompletedAt}
	if a.Kind != orders.ActionApprove {
		out.Amount = money(a.Amount)
	}
	for _, sh := range a.Shares {
		out.SubDealers = append(out.SubDealers, shareJSON{DealerID: sh.DealerID, Amount: moneyPtr(sh.Amount)})
	}
	return out
}

// actionAnswerJSON is the answer of an action endpoint: the action and the order after it.
type actionAnswerJSON struct {
	Action actionJSON `json:"action"`
	Order  orderJSON  `json:"order"`
}

// actionAnswer is the answer to an action request, and the one stored for its
// Idempotency-Key: 200 when done, 202 when a refund was requested or Moka's answer was
// lost (pending), an error when refused. It must depend only on its arguments.
func (s *Server) actionAnswer(o *orders.Order, a *orders.Action, err error) (int, []byte) {
	if err != nil {
		return errorAnswer(err)
	}
	if a.Status == orders.ActionFailed {
		return errorAnswer(actionFailure(a))
	}
	status := http.StatusOK
	if a.Status == orders.ActionPending || a.Status == orders.ActionRequested {
		status = http.StatusAccepted
	}
	b, jerr := json.Marshal(actionAnswerJSON{Action: toActionJSON(*a), Order: s.orderJSON(o)})
	if jerr != nil {
		return http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	return status, b
}

// errorAnswer is the JSON error answer for err, as handleError would write it.
func errorAnswer(err error) (int, []byte) {
	ae := toAPIError(err)
	b, _ := json.Marshal(errorJSON{Error: errorBody{Code: ae.Code, Message: ae.Message, Field: ae.Field, MokaResultCode: ae.MokaResultCode}})
	return ae.Status, b
}

// actionFailure maps Moka's refusal of an action to our error.
func actionFailure(a *orders.Action) *apiError {
	e := mokaCodeError(a.ResultCode, a.ResultMessage)
	if e.Message == "" {
		e.Message = "Moka refused the " + string(a.Kind)
	}
	return e
}

// mokaCodeError maps one of Moka's result codes (or a bank's) to our error: our code, a
// message a merchant can act on, and Moka's code beside it. It is the one table for every
// Moka refusal the API shows (actions, the transaction list).
func mokaCodeError(code, msg string) *apiError {
	code, msg = strings.TrimSpace(code), strings.TrimSpace(msg)
	e := &apiError{Status: http.StatusBadGateway, Code: "moka_error", Message: msg, MokaResultCode: code}
	switch {
	case strings.Contains(code, ".CheckPaymentDealerAuthentication.") ||
		code == "PaymentDealer.DoCreateRefundRequest.InvalidAccount" || code == "PaymentDealer.DoCreateRefundRequest.InvalidRequest":
		// DoCreateRefundRequest checks the account under its own prefix (seed 002).
		e.Code, e.Message = "moka_account_refused", "Moka refused the merchant's account or request: check the dealer code, username and password ("+msg+")"
	case strings.HasSuffix(code, ".InvalidRequest"):
		e.Code = "moka_request_invalid"
	case strings.HasSuffix(code, ".RefundNotAvailableOnPaymentDay"):
		e.Status, e.Code = http.StatusConflict, orders.CodeRefundNotYetPossible
	case strings.HasSuffix(code, ".DealerNotAuthorized"):
		e.Code, e.Message = "moka_not_authorized", "Moka does not let this dealer account list transactions; ask Moka to enable it ("+msg+")"
	case strings.HasSuffix(code, ".InvalidAmount"):
		e.Status, e.Code, e.Field = http.StatusUnprocessableEntity, orders.CodeAmountInvalid, "amount"
	case strings.HasSuffix(code, ".PaymentAlreadyApproved"):
		e.Status, e.Code = http.StatusConflict, orders.CodeAlreadyApproved
	case strings.HasSuffix(code, ".PaymentIsNotPoolPayment"):
		e.Status, e.Code = http.StatusConflict, orders.CodeNotPoolPayment
	case strings.HasSuffix(code, ".RefundRequestAlreadyExist"):
		e.Status, e.Code = http.StatusConflict, orders.CodeRefundInProgress
	case strings.HasSuffix(code, "PaymentNotFound") || strings.HasSuffix(code, ".PaymentNotAvailable"):
		e.Status, e.Code = http.StatusConflict, "payment_not_available"
	case strings.HasSuffix(code, "MustGiven") || strings.HasSuffix(code, "Mismatch") || code == "checkout.invalid_request" ||
		strings.HasSuffix(code, ".InvalidDateTimeFormat") || strings.HasSuffix(code, ".InvalidTrxType") ||
		strings.HasSuffix(code, ".InvalidTrxStatus"):
		e.Code = "moka_request_invalid"
	case code == "EX":
		e.Message = "Moka had an unexpected error; nothing changed, try again"
	case code != "" && !strings.Contains(code, "."):
		// A bank's own code (ISO 8583): the bank refused.
		e.Status, e.Code = http.StatusPaymentRequired, "bank_declined"
	}
	if e.Message == "" {
		e.Message = "Moka refused the request"
	}
	return e
}

// mokaCodeOf is Moka's code for the refusals we make ourselves before asking Moka, so
// that the merchant sees the same moka_result_code either way.
var mokaCodeOf = map[string]string{
	orders.CodeAlreadyApproved:  "PaymentDealer.DoApprovePoolPayment.PaymentAlreadyApproved",
	orders.CodeNotPoolPayment:   "PaymentDealer.DoApprovePoolPayment.PaymentIsNotPoolPayment",
	orders.CodeRefundInProgress: "PaymentDealer.DoCreateRefundRequest.RefundRequestAlreadyExist",
}
