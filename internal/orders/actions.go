package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
	"github.com/shopspring/decimal"
)

// ActionKind is what a merchant asks Moka to do with an order's payment.
type ActionKind string

// Action kinds.
const (
	ActionCapture ActionKind = "capture" // DoCapture of a pre-authorisation
	ActionVoid    ActionKind = "void"    // DoVoid on the payment's own day
	ActionRefund  ActionKind = "refund"  // DoCreateRefundRequest from the next day
	ActionApprove ActionKind = "approve" // DoApprovePoolPayment
)

// ActionStatus is where an action stands.
//
// An action is written pending, committed before Moka is called. Moka's answer ends it
// succeeded or failed; a refund request Moka took becomes requested until the refund is
// done (succeeded) or the bank refuses it (failed). When Moka's answer is lost (timeout,
// 5xx, unreadable), the action stays pending until reconciliation settles it from Moka's
// own records. At most one action of an order is pending at a time.
type ActionStatus string

// Action states.
const (
	ActionPending   ActionStatus = "pending"
	ActionRequested ActionStatus = "requested"
	ActionSucceeded ActionStatus = "succeeded"
	ActionFailed    ActionStatus = "failed"
)

// ResultRefundRefused is the ResultCode of a refund Moka took the request for and the
// bank then refused.
const ResultRefundRefused = "checkout.refund_refused"

// CancelReasonVoided is the CancelReason of an order whose payment was voided.
const CancelReasonVoided = "voided"

// VoidCutoffHour: Moka voids a payment until 22:00 Turkey time on the day it was made.
const VoidCutoffHour = 22

// Istanbul is Turkey's time, in which Moka keeps its days: UTC+3 all year since 2016.
var Istanbul = time.FixedZone("Europe/Istanbul", 3*60*60)

// Share is one sub-dealer's part of an action. Amount is nil for an approval.
type Share struct {
	DealerID int64            `json:"dealer_id"`
	Amount   *decimal.Decimal `json:"amount,omitempty"`
}

// Action is one capture, void, refund or approval of an order.
type Action struct {
	ID              string
	OrderID         string
	Kind            ActionKind
	Status          ActionStatus
	Amount          decimal.Decimal // zero for an approval
	Shares          []Share         // the sub-dealers' parts (marketplace orders), or the approved dealers
	RefundRequestID string          // Moka's RefundRequestId of a refund request
	ResultCode      string          // Moka's code of a failure
	ResultMessage   string
	CreatedAt       time.Time
	CompletedAt     *time.Time
}

// Approval records when one sub-dealer's share of a pool payment was approved. DealerID
// 0 is a pool payment without sub-dealers, approved as a whole.
type Approval struct {
	DealerID   int64
	ActionID   string
	ApprovedAt time.Time
}

// ActionRequest is what the merchant asked for.
type ActionRequest struct {
	Kind ActionKind
	// Amount of a capture or refund; nil means all (the authorised amount, or what is
	// left to refund).
	Amount *decimal.Decimal
	// Shares: for a capture or refund of a marketplace order, the sub-dealers' parts
	// (nil: the order's own split when that is unambiguous); for an approval, the dealers
	// to approve (nil: all not yet approved).
	Shares []Share
}

// ActionResult is what Moka answered to an action.
type ActionResult struct {
	// Status: succeeded, failed, requested (a refund request Moka took), or pending
	// when the answer was lost.
	Status          ActionStatus
	RefundRequestID string
	ResultCode      string
	ResultMessage   string
	// Reconciled marks a result learnt from Moka's records rather than its answer: a
	// failure then writes an order.action_failed event, since nobody heard of it.
	Reconciled bool
}

// Error codes of actions.
const (
	CodeAmountInvalid        = "amount_invalid"
	CodeSubDealersInvalid    = "sub_dealers_invalid"
	CodeActionInProgress     = "action_in_progress"
	CodeRefundInProgress     = "refund_in_progress"
	CodeNotPoolPayment       = "not_pool_payment"
	CodeAlreadyApproved      = "already_approved"
	CodeRefundNotYetPossible = "refund_not_yet_possible"
	CodeVoidWindowClosed     = "void_window_closed"
	CodeNothingToRefund      = "nothing_to_refund"
)

// Event types of actions.
const (
	EventOrderCaptured        = "order.captured"
	EventOrderApproved        = "order.approved"
	EventOrderRefundRequested = "order.refund_requested"
	EventOrderRefundFailed    = "order.refund_failed"
	EventOrderActionFailed    = "order.action_failed"
)

// Payment returns the attempt that took the order's money, if any.
func (o *Order) Payment() *Attempt { return o.succeeded() }

// PendingAction returns the order's action waiting for Moka's answer, if any.
func (o *Order) PendingAction() *Action {
	for i := range o.Actions {
		if o.Actions[i].Status == ActionPending {
			return &o.Actions[i]
		}
	}
	return nil
}

// Action returns the order's action with the given id, if any.
func (o *Order) Action(id string) *Action {
	for i := range o.Actions {
		if o.Actions[i].ID == id {
			return &o.Actions[i]
		}
	}
	return nil
}

// PaidAmount is what the buyer paid: the captured amount of a manual-capture order, the
// order's amount once paid otherwise, zero before.
func (o *Order) PaidAmount() decimal.Decimal {
	if o.Capture == CaptureManual {
		return o.sumActions(ActionCapture, ActionSucceeded)
	}
	if o.succeeded() == nil {
		return decimal.Zero
	}
	return o.Amount
}

// RefundedAmount is the sum of the refunds Moka completed.
func (o *Order) RefundedAmount() decimal.Decimal {
	return o.sumActions(ActionRefund, ActionSucceeded)
}

// RefundableAmount is what may still be refunded: paid, less refunded and requested.
func (o *Order) RefundableAmount() decimal.Decimal {
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return decimal.Zero
	}
	return o.PaidAmount().Sub(o.RefundedAmount()).Sub(o.sumActions(ActionRefund, ActionRequested, ActionPending))
}

func (o *Order) sumActions(kind ActionKind, statuses ...ActionStatus) decimal.Decimal {
	sum := decimal.Zero
	for _, a := range o.Actions {
		if a.Kind != kind {
			continue
		}
		for _, st := range statuses {
			if a.Status == st {
				sum = sum.Add(a.Amount)
			}
		}
	}
	return sum
}

// PaidAt is when the order's payment (a capture, for manual capture) went through; for an
// authorised order, when it was authorised. Zero when nothing was paid.
func (o *Order) paymentTime() time.Time {
	if o.PaidAt != nil {
		return *o.PaidAt
	}
	if a := o.succeeded(); a != nil && a.CompletedAt != nil {
		return *a.CompletedAt
	}
	return time.Time{}
}

// paidShares is what each sub-dealer was paid: the capture's split, or the order's.
func (o *Order) paidShares() map[int64]decimal.Decimal {
	out := map[int64]decimal.Decimal{}
	if o.Capture == CaptureManual {
		for _, a := range o.Actions {
			if a.Kind == ActionCapture && a.Status == ActionSucceeded {
				for _, sh := range a.Shares {
					if sh.Amount != nil {
						out[sh.DealerID] = out[sh.DealerID].Add(*sh.Amount)
					}
				}
			}
		}
		return out
	}
	for _, sd := range o.SubDealers {
		out[sd.DealerID] = out[sd.DealerID].Add(sd.Amount)
	}
	return out
}

// refundableShares is what each sub-dealer may still have refunded.
func (o *Order) refundableShares() map[int64]decimal.Decimal {
	left := o.paidShares()
	for _, a := range o.Actions {
		if a.Kind != ActionRefund || a.Status == ActionFailed {
			continue
		}
		for _, sh := range a.Shares {
			if sh.Amount != nil {
				left[sh.DealerID] = left[sh.DealerID].Sub(*sh.Amount)
			}
		}
	}
	return left
}

// istanbulDay is the calendar day of t in Turkey, at midnight Turkey time.
func istanbulDay(t time.Time) time.Time {
	y, m, d := t.In(Istanbul).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Istanbul)
}

// canVoid reports whether Moka still voids a payment made at paid: the same Turkish day,
// before 22:00.
func canVoid(paid, now time.Time) bool {
	day := istanbulDay(paid)
	return istanbulDay(now).Equal(day) && now.Before(day.Add(VoidCutoffHour*time.Hour))
}

// plan checks req against the order and returns the action to send to Moka: its kind (a
// full refund on the payment's own day is a void), amount and shares.
func (s *Store) plan(o *Order, req ActionRequest, now time.Time) (Action, error) {
	a := Action{Kind: req.Kind, Amount: decimal.Zero}
	if p := o.PendingAction(); p != nil {
		return a, newError(CodeActionInProgress, "", "a %s of this order is waiting for Moka's answer", p.Kind)
	}
	switch req.Kind {
	case ActionCapture:
		if o.Status != StatusAuthorized {
			return a, newError(CodeInvalidTransition, "status", "only an authorized order can be captured; this one is %s", o.Status)
		}
		amount := o.Amount
		if req.Amount != nil {
			amount = *req.Amount
		}
		if !amount.IsPositive() || amount.GreaterThan(o.Amount) {
			return a, newError(CodeAmountInvalid, "amount", "the capture must be more than 0 and at most the authorised %s", formatMoney(o.Amount))
		}
		shares, err := splitShares(o, amount, req.Shares, o.Amount, func(id int64) (decimal.Decimal, bool) {
			for _, sd := range o.SubDealers {
				if sd.DealerID == id {
					return sd.Amount, true
				}
			}
			return decimal.Zero, false
		})
		if err != nil {
			return a, err
		}
		a.Amount, a.Shares = amount, shares
	case ActionVoid:
		if o.Status != StatusPaid && o.Status != StatusAuthorized {
			return a, newError(CodeInvalidTransition, "status", "only a paid or authorized order can be canceled at the bank; this one is %s", o.Status)
		}
		if err := voidable(o, now); err != nil {
			return a, err
		}
		a.Amount = o.PaidAmount()
		if o.Status == StatusAuthorized {
			a.Amount = o.Amount
		}
	case ActionRefund:
		return s.planRefund(o, req, now)
	case ActionApprove:
		shares, err := planApproval(o, req.Shares)
		if err != nil {
			return a, err
		}
		a.Shares = shares
	default:
		return a, fmt.Errorf("unknown action %q", req.Kind)
	}
	return a, nil
}

func voidable(o *Order, now time.Time) error {
	for _, r := range o.Actions {
		if r.Kind == ActionRefund && r.Status != ActionFailed {
			return newError(CodeInvalidTransition, "status", "an order with a refund cannot be voided")
		}
	}
	paid := o.paymentTime()
	if !canVoid(paid, now) {
		return newError(CodeVoidWindowClosed, "", "Moka cancels a payment only on its own day until %02d:00 Turkey time; this one was made on %s: refund it instead",
			VoidCutoffHour, istanbulDay(paid).Format("2006-01-02"))
	}
	return nil
}

func (s *Store) planRefund(o *Order, req ActionRequest, now time.Time) (Action, error) {
	a := Action{Kind: ActionRefund, Amount: decimal.Zero}
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return a, newError(CodeInvalidTransition, "status", "only a paid order can be refunded; this one is %s", o.Status)
	}
	for _, r := range o.Actions {
		if r.Kind == ActionRefund && r.Status == ActionRequested {
			return a, newError(CodeRefundInProgress, "", "refund %s is waiting for Moka to complete it; Moka takes one refund request at a time", r.ID)
		}
	}
	left := o.RefundableAmount()
	if !left.IsPositive() {
		return a, newError(CodeNothingToRefund, "", "nothing is left to refund")
	}
	amount := left
	if req.Amount != nil {
		amount = *req.Amount
	}
	if !amount.IsPositive() || amount.GreaterThan(left) {
		return a, newError(CodeAmountInvalid, "amount", "the refund must be more than 0 and at most the %s left to refund", formatMoney(left))
	}
	paid := o.paymentTime()
	if istanbulDay(now).Equal(istanbulDay(paid)) {
		// Moka refunds from the day after the payment. On its own day the bank can still
		// cancel it: a full refund is a void, a partial one must wait.
		full := amount.Equal(o.PaidAmount()) && req.Shares == nil
		if full && canVoid(paid, now) {
			if err := voidable(o, now); err != nil {
				return a, err
			}
			return Action{Kind: ActionVoid, Amount: amount}, nil
		}
		from := istanbulDay(paid).AddDate(0, 0, 1)
		what := "a partial refund"
		if full {
			what = "after 22:00 Turkey time a refund"
		}
		return a, newError(CodeRefundNotYetPossible, "amount", "%s of a payment made today is possible from %s (Europe/Istanbul); a full refund before %02d:00 on the payment's day cancels it instead",
			what, from.Format("2006-01-02 15:04"), VoidCutoffHour)
	}
	remaining := o.refundableShares()
	shares, err := splitShares(o, amount, req.Shares, left, func(id int64) (decimal.Decimal, bool) {
		v, ok := remaining[id]
		return v, ok
	})
	if err != nil {
		return a, err
	}
	a.Amount, a.Shares = amount, shares
	return a, nil
}

// splitShares checks or derives the sub-dealers' parts of a capture or refund of amount.
// whole is the amount for which each dealer's limit is its part (the authorised amount,
// or what is left to refund): then, and for a single sub-dealer, the parts may be left
// out. A plain order takes no parts.
func splitShares(o *Order, amount decimal.Decimal, given []Share, whole decimal.Decimal, limit func(int64) (decimal.Decimal, bool)) ([]Share, error) {
	if len(o.SubDealers) == 0 {
		if len(given) > 0 {
			return nil, newError(CodeSubDealersInvalid, "sub_dealers", "the order has no sub-dealers")
		}
		return nil, nil
	}
	if len(given) == 0 {
		switch {
		case amount.Equal(whole):
			var out []Share
			for _, sd := range o.SubDealers {
				if v, ok := limit(sd.DealerID); ok && v.IsPositive() {
					out = append(out, Share{DealerID: sd.DealerID, Amount: &v})
				}
			}
			return out, nil
		case len(o.SubDealers) == 1:
			v := amount
			return []Share{{DealerID: o.SubDealers[0].DealerID, Amount: &v}}, nil
		default:
			return nil, newError(CodeSubDealersInvalid, "sub_dealers", "a partial amount of an order with several sub-dealers needs sub_dealers: each one's part")
		}
	}
	sum := decimal.Zero
	seen := map[int64]bool{}
	out := make([]Share, 0, len(given))
	for i, sh := range given {
		field := fmt.Sprintf("sub_dealers[%d]", i)
		max, ok := limit(sh.DealerID)
		switch {
		case !ok:
			return nil, newError(CodeSubDealersInvalid, field+".dealer_id", "dealer %d is not a sub-dealer of this order", sh.DealerID)
		case seen[sh.DealerID]:
			return nil, newError(CodeSubDealersInvalid, field+".dealer_id", "dealer %d appears more than once", sh.DealerID)
		case sh.Amount == nil:
			return nil, newError(CodeSubDealersInvalid, field+".amount", "%s.amount is required", field)
		case sh.Amount.IsNegative() || sh.Amount.GreaterThan(max):
			return nil, newError(CodeSubDealersInvalid, field+".amount", "dealer %d's part must be between 0 and %s", sh.DealerID, formatMoney(max))
		}
		seen[sh.DealerID] = true
		sum = sum.Add(*sh.Amount)
		v := *sh.Amount
		out = append(out, Share{DealerID: sh.DealerID, Amount: &v})
	}
	if !sum.Equal(amount) {
		return nil, newError(CodeSubDealersInvalid, "sub_dealers", "the parts add up to %s, not %s", formatMoney(sum), formatMoney(amount))
	}
	return out, nil
}

func planApproval(o *Order, given []Share) ([]Share, error) {
	const notPool = "the order is not a pool payment"
	if !o.Pool {
		return nil, newError(CodeNotPoolPayment, "", notPool)
	}
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return nil, newError(CodeInvalidTransition, "status", "only a paid pool order can be approved; this one is %s", o.Status)
	}
	approved := map[int64]bool{}
	for _, ap := range o.Approvals {
		approved[ap.DealerID] = true
	}
	dealers := []int64{0}
	if len(o.SubDealers) > 0 {
		dealers = dealers[:0]
		for _, sd := range o.SubDealers {
			dealers = append(dealers, sd.DealerID)
		}
	}
	var out []Share
	if len(given) == 0 {
		for _, id := range dealers {
			if !approved[id] {
				out = append(out, Share{DealerID: id})
			}
		}
	}
	seen := map[int64]bool{}
	for i, sh := range given {
		field := fmt.Sprintf("dealer_ids[%d]", i)
		known := false
		for _, id := range dealers {
			known = known || (id == sh.DealerID && id != 0)
		}
		switch {
		case !known:
			return nil, newError(CodeSubDealersInvalid, field, "dealer %d is not a sub-dealer of this order", sh.DealerID)
		case seen[sh.DealerID]:
			return nil, newError(CodeSubDealersInvalid, field, "dealer %d appears more than once", sh.DealerID)
		}
		seen[sh.DealerID] = true
		if !approved[sh.DealerID] {
			out = append(out, Share{DealerID: sh.DealerID})
		}
	}
	if len(out) == 0 {
		return nil, newError(CodeAlreadyApproved, "", "the payment is already approved")
	}
	return out, nil
}

// BeginAction checks a merchant's action against the order and, in one transaction,
// writes it pending (and, with idem, claims the Idempotency-Key for it) before Moka is
// called. A refusal is returned as an *Error and, with idem, stored as the key's answer
// in the same transaction. A key already used returns *KeyUsedError and changes nothing.
// The returned order includes the new action; the returned action says what to send to
// Moka (a full refund on the payment's own day comes back as a void).
func (s *Store) BeginAction(ctx context.Context, merchantID, orderID string, req ActionRequest, idem *Idem) (*Order, *Action, error) {
	var out *Order
	var act *Action
	err := s.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := checkKey(ctx, tx, idem); err != nil {
			return err
		}
		o, err := loadOrder(ctx, tx, "id = ? AND merchant_id = ?", orderID, merchantID)
		if err != nil {
			return s.refuse(ctx, tx, idem, nil, err)
		}
		a, err := s.plan(o, req, s.txNow(ctx))
		if err != nil {
			return s.refuse(ctx, tx, idem, o, err)
		}
		a.ID, a.OrderID, a.Status, a.CreatedAt = newActionID(), o.ID, ActionPending, s.txNow(ctx)
		if err := insertAction(ctx, tx, &a); err != nil {
			return err
		}
		if idem != nil {
			if err := s.insertKey(ctx, tx, idem, 0, nil, a.ID); err != nil {
				return err
			}
		}
		o.Actions = append(o.Actions, a)
		out, act = o, &a
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("begin %s of order %s: %w", req.Kind, orderID, err)
	}
	return out, act, nil
}

// refuse stores a refusal as the key's answer (when there is a key) and returns it so
// that the write commits the answer alone.
func (s *Store) refuse(ctx context.Context, tx *sql.Tx, idem *Idem, o *Order, err error) error {
	var de *Error
	if idem == nil || !errors.As(err, &de) {
		return err
	}
	status, body := idem.Answer(o, nil, err)
	if kerr := s.insertKey(ctx, tx, idem, status, body, ""); kerr != nil {
		return kerr
	}
	return committed{err}
}

// FinishAction records Moka's answer to a pending action, in one transaction with the
// order's change, its event and (with idem) the key's answer:
//   - succeeded: a capture makes the order paid (order.captured), a void canceled
//     (order.canceled), an approval records each share's approval time and, once every
//     share is approved, the order's approved_at (order.approved);
//   - requested: the refund request's id is kept (order.refund_requested);
//   - failed: the action ends with Moka's code; the order is unchanged;
//   - pending: the answer was lost; the action stays pending for reconciliation.
//
// An action that is no longer pending (reconciliation settled it meanwhile) is left as it
// is: the current state is returned.
func (s *Store) FinishAction(ctx context.Context, actionID string, r ActionResult, idem *Idem) (*Order, *Action, error) {
	var out *Order
	var act *Action
	err := s.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, a, err := loadActionOrder(ctx, tx, actionID)
		if err != nil {
			return err
		}
		if a.Status == ActionPending && r.Status != ActionPending {
			if err := s.settleAction(ctx, tx, o, a, r); err != nil {
				return err
			}
		}
		if idem != nil {
			status, body := idem.Answer(o, a, nil)
			if err := s.answerKey(ctx, tx, idem, status, body); err != nil {
				return err
			}
		}
		out, act = o, a
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("finish action %s: %w", actionID, err)
	}
	return out, act, nil
}

// settleAction moves a pending action (a points into o.Actions) to r's status and the
// order with it.
func (s *Store) settleAction(ctx context.Context, tx *sql.Tx, o *Order, a *Action, r ActionResult) error {
	now := s.txNow(ctx)
	a.Status, a.ResultCode, a.ResultMessage = r.Status, r.ResultCode, r.ResultMessage
	if r.RefundRequestID != "" {
		a.RefundRequestID = r.RefundRequestID
	}
	if r.Status != ActionRequested {
		a.CompletedAt = &now
	}
	if err := updateAction(ctx, tx, a); err != nil {
		return err
	}
	switch {
	case r.Status == ActionFailed:
		if a.Kind == ActionRefund {
			return s.insertActionEvent(ctx, tx, EventOrderRefundFailed, o, a)
		}
		if r.Reconciled {
			return s.insertActionEvent(ctx, tx, EventOrderActionFailed, o, a)
		}
		return nil
	case r.Status == ActionRequested:
		return s.insertActionEvent(ctx, tx, EventOrderRefundRequested, o, a)
	case r.Status != ActionSucceeded:
		return fmt.Errorf("action %s: cannot settle as %s", a.ID, r.Status)
	}
	switch a.Kind {
	case ActionCapture:
		return s.moveOrderEvent(ctx, tx, o, StatusPaid, nil, a, EventOrderCaptured)
	case ActionVoid:
		o.CancelReason = CancelReasonVoided
		return s.moveOrderEvent(ctx, tx, o, StatusCanceled, nil, a, EventOrderCanceled)
	case ActionApprove:
		return s.approve(ctx, tx, o, a, now)
	case ActionRefund:
		return s.refunded(ctx, tx, o, a)
	}
	return fmt.Errorf("action %s: unknown kind %s", a.ID, a.Kind)
}

func (s *Store) approve(ctx context.Context, tx *sql.Tx, o *Order, a *Action, now time.Time) error {
	for _, sh := range a.Shares {
		if _, err := tx.ExecContext(ctx, `INSERT INTO approvals (order_id, dealer_id, action_id, approved_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (order_id, dealer_id) DO NOTHING`, o.ID, sh.DealerID, a.ID, formatTime(now)); err != nil {
			return fmt.Errorf("insert approval: %w", err)
		}
		o.Approvals = append(o.Approvals, Approval{DealerID: sh.DealerID, ActionID: a.ID, ApprovedAt: now})
	}
	all := len(o.Approvals) > 0
	for _, sd := range o.SubDealers {
		found := false
		for _, ap := range o.Approvals {
			found = found || ap.DealerID == sd.DealerID
		}
		all = all && found
	}
	if all && o.ApprovedAt == nil {
		o.ApprovedAt = &now
		o.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET approved_at = ?, updated_at = ? WHERE id = ?`,
			formatTime(now), formatTime(now), o.ID); err != nil {
			return fmt.Errorf("approve order: %w", err)
		}
	}
	return s.insertActionEvent(ctx, tx, EventOrderApproved, o, a)
}

// refunded moves the order once a refund is done: refunded when nothing is left,
// partially_refunded otherwise.
func (s *Store) refunded(ctx context.Context, tx *sql.Tx, o *Order, a *Action) error {
	to := StatusPartiallyRefunded
	if !o.PaidAmount().Sub(o.RefundedAmount()).IsPositive() {
		to = StatusRefunded
	}
	return s.moveOrderEvent(ctx, tx, o, to, nil, a, statusEvents[to])
}

// CompleteRefund records what became of a refund request (or of a refund whose request's
// answer was lost): done (succeeded, and the order becomes partially_refunded or
// refunded) or refused by the bank (failed, order.refund_failed). A refund already
// settled is left alone; done reports whether this call settled it.
func (s *Store) CompleteRefund(ctx context.Context, actionID string, success bool, message string) (o *Order, done bool, err error) {
	err = s.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var a *Action
		o, a, err = loadActionOrder(ctx, tx, actionID)
		if err != nil {
			return err
		}
		if a.Kind != ActionRefund || (a.Status != ActionPending && a.Status != ActionRequested) {
			return nil
		}
		r := ActionResult{Status: ActionSucceeded, ResultMessage: message}
		if !success {
			r = ActionResult{Status: ActionFailed, ResultCode: ResultRefundRefused, ResultMessage: message}
		}
		done = true
		return s.settleAction(ctx, tx, o, a, r)
	})
	if err != nil {
		return nil, false, fmt.Errorf("complete refund %s: %w", actionID, err)
	}
	return o, done, nil
}

// OpenActions lists the actions reconciliation must settle: pending ones created before
// before (their Moka call has surely ended), and every refund request not yet done.
func (s *Store) OpenActions(ctx context.Context, before time.Time) ([]Action, error) {
	as, err := loadActions(ctx, s.r, `(status = ? AND created_at < ?) OR status = ? ORDER BY created_at, rowid`,
		ActionPending, formatTime(before), ActionRequested)
	if err != nil {
		return nil, fmt.Errorf("list open actions: %w", err)
	}
	return as, nil
}

func loadActionOrder(ctx context.Context, q querier, actionID string) (*Order, *Action, error) {
	var orderID string
	err := q.QueryRowContext(ctx, `SELECT order_id FROM actions WHERE id = ?`, actionID).Scan(&orderID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := loadOrder(ctx, q, "id = ?", orderID)
	if err != nil {
		return nil, nil, err
	}
	a := o.Action(actionID)
	if a == nil {
		return nil, nil, fmt.Errorf("action %s not loaded with order %s", actionID, orderID)
	}
	return o, a, nil
}

const actionColumns = `id, order_id, kind, status, amount, shares, refund_request_id, result_code,
	result_message, created_at, completed_at`

func insertAction(ctx context.Context, tx *sql.Tx, a *Action) error {
	shares, err := json.Marshal(a.Shares)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO actions ("+actionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.OrderID, a.Kind, a.Status, formatMoney(a.Amount), string(shares), a.RefundRequestID,
		a.ResultCode, a.ResultMessage, formatTime(a.CreatedAt), formatTimePtr(a.CompletedAt))
	if isConstraint(err, sqlite3.ErrConstraintUnique) {
		return newError(CodeActionInProgress, "", "another action of this order is waiting for Moka's answer")
	}
	if err != nil {
		return fmt.Errorf("insert action: %w", err)
	}
	return nil
}

// updateAction writes a's outcome; only a pending or requested action may change.
func updateAction(ctx context.Context, tx *sql.Tx, a *Action) error {
	res, err := tx.ExecContext(ctx, `UPDATE actions SET status = ?, refund_request_id = ?, result_code = ?,
		result_message = ?, completed_at = ? WHERE id = ? AND status IN (?, ?)`,
		a.Status, a.RefundRequestID, a.ResultCode, a.ResultMessage, formatTimePtr(a.CompletedAt), a.ID,
		ActionPending, ActionRequested)
	if err != nil {
		return fmt.Errorf("update action %s: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("update action %s: it was already settled", a.ID)
	}
	return nil
}

func loadActions(ctx context.Context, q querier, where string, args ...any) ([]Action, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+actionColumns+" FROM actions WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var amount, shares, created string
		var completed sql.NullString
		if err := rows.Scan(&a.ID, &a.OrderID, &a.Kind, &a.Status, &amount, &shares, &a.RefundRequestID,
			&a.ResultCode, &a.ResultMessage, &created, &completed); err != nil {
			return nil, err
		}
		if a.Amount, err = decimal.NewFromString(amount); err != nil {
			return nil, fmt.Errorf("stored action amount %q: %w", amount, err)
		}
		if err := json.Unmarshal([]byte(shares), &a.Shares); err != nil {
			return nil, fmt.Errorf("stored action %s shares: %w", a.ID, err)
		}
		if a.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if a.CompletedAt, err = parseNullTime(completed); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func loadApprovals(ctx context.Context, q querier, orderID string) ([]Approval, error) {
	rows, err := q.QueryContext(ctx, `SELECT dealer_id, action_id, approved_at FROM approvals
		WHERE order_id = ? ORDER BY approved_at, dealer_id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Approval
	for rows.Next() {
		var ap Approval
		var at string
		if err := rows.Scan(&ap.DealerID, &ap.ActionID, &at); err != nil {
			return nil, err
		}
		if ap.ApprovedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, ap)
	}
	return out, rows.Err()
}

// GetAction returns an action with its order.
func (s *Store) GetAction(ctx context.Context, actionID string) (*Order, *Action, error) {
	var o *Order
	var a *Action
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		o, a, err = loadActionOrder(ctx, tx, actionID)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("get action %s: %w", actionID, err)
	}
	return o, a, nil
}
