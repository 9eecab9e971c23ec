package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
)

// Result codes of actions settled by reconciliation.
const (
	// CodeActionNotDone: Moka's records show the capture or void never happened.
	CodeActionNotDone = "checkout.not_done_at_moka"
	// CodeRefundNotFound: no refund appeared at Moka within RefundWatch of a request
	// whose answer was lost.
	CodeRefundNotFound = "checkout.refund_not_found"
)

// approver is the part of the Moka client that re-sends a pool approval whose answer was
// lost: approving again is safe, Moka refuses an approval twice.
type approver interface {
	ApprovePoolPayment(ctx context.Context, req moka.ApproveRequest) (*moka.BankResult, error)
}

func (r *Reconciler) actionAfter() time.Duration {
	if r.ActionAfter > 0 {
		return r.ActionAfter
	}
	return 2 * time.Minute
}

func (r *Reconciler) refundWatch() time.Duration {
	if r.RefundWatch > 0 {
		return r.RefundWatch
	}
	return 72 * time.Hour
}

// settleActions settles the merchant actions Moka's answer did not: pending ones older
// than ActionAfter (their call has surely ended) and refund requests not yet done.
// Actions on hold for review are left alone: what Moka holds for them needs a person.
func (r *Reconciler) settleActions(ctx context.Context, now time.Time, rep *Report) error {
	open, err := r.Store.OpenActions(ctx, now.Add(-r.actionAfter()))
	if err != nil {
		return err
	}
	ids := make([]string, len(open))
	for i, a := range open {
		ids[i] = a.ID
	}
	held, err := r.Store.HeldItems(ctx, ids)
	if err != nil {
		return err
	}
	for _, a := range open {
		if held[a.ID] {
			continue
		}
		release := r.take(ctx, "action:"+a.ID)
		if release == nil {
			continue // another instance is on it
		}
		outcome, err := r.settleAction(ctx, a, now)
		release()
		switch {
		case err != nil:
			rep.Left++
			r.Log.Error("reconcile action", "action_id", a.ID, "order_id", a.OrderID, "kind", string(a.Kind), "error", err.Error())
		case outcome == settledAction:
			rep.Actions++
		case outcome == settledFlagged:
			rep.Flagged++
		}
	}
	return nil
}

// settleAction asks Moka about one action and records what its records show. It reports
// whether the action was settled or flagged for review; an error means a later pass or a
// person must look.
func (r *Reconciler) settleAction(ctx context.Context, a orders.Action, now time.Time) (settled, error) {
	o, err := r.Store.GetOrder(ctx, a.OrderID)
	if err != nil {
		return settledNothing, err
	}
	if cur := o.Action(a.ID); cur == nil || cur.Status != a.Status {
		return settledNothing, nil // settled since the list was read
	}
	pay := o.Payment()
	if pay == nil {
		return settledNothing, errors.New("the order has no payment")
	}
	client := r.Moka(o.MerchantID)
	if client == nil {
		return settledNothing, fmt.Errorf("no Moka client for merchant %s", o.MerchantID)
	}
	if a.Kind == orders.ActionApprove {
		return changed(r.resendApproval(ctx, client, a, pay))
	}
	res, err := client.PaymentDetail(ctx, moka.PaymentDetailRequest{OtherTrxCode: pay.OtherTrxCode})
	if err != nil {
		return settledNothing, fmt.Errorf("ask Moka: %w", err)
	}
	d := res.PaymentDetail
	switch a.Kind {
	case orders.ActionCapture:
		if int64(d.PaymentStatus) == moka.PaymentStatusPayment {
			if !d.Amount.Decimal.Equal(a.Amount) {
				// Captured, but not what was asked: a person must look. The action stays
				// pending, so no second capture can start, and is put on hold.
				return r.holdAction(ctx, o, a, orders.ReviewAmountMismatch,
					fmt.Sprintf("Moka reports %s captured, the capture asked for %s", d.Amount.Decimal, a.Amount))
			}
			return changed(r.finish(ctx, a, orders.ActionResult{Status: orders.ActionSucceeded, ResultMessage: "confirmed with Moka by reconciliation", Reconciled: true}))
		}
		return changed(r.finish(ctx, a, orders.ActionResult{Status: orders.ActionFailed, ResultCode: CodeActionNotDone,
			ResultMessage: "Moka's records show no capture", Reconciled: true}))
	case orders.ActionVoid:
		if int64(d.PaymentStatus) == moka.PaymentStatusCancel {
			return changed(r.finish(ctx, a, orders.ActionResult{Status: orders.ActionSucceeded, ResultMessage: "confirmed with Moka by reconciliation", Reconciled: true}))
		}
		return changed(r.finish(ctx, a, orders.ActionResult{Status: orders.ActionFailed, ResultCode: CodeActionNotDone,
			ResultMessage: "Moka's records show no cancel", Reconciled: true}))
	case orders.ActionRefund:
		return changed(r.settleRefund(ctx, o, a, res, now))
	}
	return settledNothing, fmt.Errorf("unknown action kind %s", a.Kind)
}

// changed turns whether an action changed into what settleAction reports.
func changed(ok bool, err error) (settled, error) {
	if err != nil || !ok {
		return settledNothing, err
	}
	return settledAction, nil
}

// holdAction flags a's order for review and puts a on hold.
func (r *Reconciler) holdAction(ctx context.Context, o *orders.Order, a orders.Action, reason orders.ReviewReason, detail string) (settled, error) {
	flagged, err := r.Store.HoldForReview(ctx, o.ID, a.ID, reason, detail)
	if err != nil {
		return settledNothing, err
	}
	r.Log.Warn("order flagged for review", "order_id", o.ID, "action_id", a.ID, "kind", string(a.Kind),
		"reason", string(reason), "detail", detail, "already_flagged", !flagged)
	if !flagged {
		return settledHeld, nil
	}
	return settledFlagged, nil
}

// refundMatchSlack allows for the clocks of Moka and ours differing: a refund transaction
// dated a little before our request was made may still be its.
const refundMatchSlack = 5 * time.Minute

// settleRefund finds this refund's transaction among Moka's: a finished refund transaction
// (succeeded or refused) for this amount, dated from the request on, that no other refund
// of the order has been matched to (each action keeps its transaction's id). A refund
// transaction of another amount, or one made in Moka's panel, is never taken for it.
func (r *Reconciler) settleRefund(ctx context.Context, o *orders.Order, a orders.Action, res *moka.PaymentDetailResult, now time.Time) (bool, error) {
	taken := map[int64]bool{}
	for _, x := range o.Actions {
		if x.MokaTrxID != 0 {
			taken[x.MokaTrxID] = true
		}
	}
	var match *moka.Trx
	unmatched := 0
	for i, t := range res.PaymentTrxDetailList {
		if int64(t.TrxType) != moka.TrxTypeRefund || int64(t.TrxStatus) == moka.TrxStatusPending || taken[int64(t.DealerPaymentTrxID)] {
			continue
		}
		at, err := moka.ParseTrxDate(t.TrxDate)
		if err != nil || at.Before(a.CreatedAt.Add(-refundMatchSlack)) || !t.Amount.Decimal.Equal(a.Amount) {
			unmatched++
			continue
		}
		if match == nil {
			match = &res.PaymentTrxDetailList[i]
		}
	}
	if match == nil {
		if a.Status == orders.ActionPending && now.Sub(a.CreatedAt) > r.refundWatch() {
			return r.finish(ctx, a, orders.ActionResult{Status: orders.ActionFailed, ResultCode: CodeRefundNotFound,
				ResultMessage: "no refund appeared at Moka for a request whose answer was lost", Reconciled: true})
		}
		if unmatched > 0 {
			r.Log.Warn("Moka holds refund transactions no refund of ours matches", "order_id", o.ID, "action_id", a.ID, "count", unmatched)
		}
		return false, nil // Moka has not completed it yet
	}
	msg := strings.TrimSpace(match.ResultMessage)
	_, changed, err := r.Store.CompleteRefund(ctx, a.ID, int64(match.TrxStatus) == moka.TrxStatusSuccess, msg, int64(match.DealerPaymentTrxID))
	return changed, err
}

// resendApproval approves again: Moka answers success, or PaymentAlreadyApproved when the
// lost call went through; both mean approved.
func (r *Reconciler) resendApproval(ctx context.Context, client Detailer, a orders.Action, pay *orders.Attempt) (bool, error) {
	ap, ok := client.(approver)
	if !ok {
		return false, errors.New("the Moka client cannot approve pool payments")
	}
	var parts []moka.SubDealerPart
	for _, sh := range a.Shares {
		if sh.DealerID != 0 {
			parts = append(parts, moka.SubDealerPart{DealerID: moka.Int(sh.DealerID)})
		}
	}
	_, err := ap.ApprovePoolPayment(ctx, moka.ApproveRequest{VirtualPosOrderID: pay.TrxCode, OtherTrxCode: pay.OtherTrxCode, SubDealer: parts})
	var me *moka.Error
	switch {
	case err == nil, moka.IsCode(err, "PaymentDealer.DoApprovePoolPayment.PaymentAlreadyApproved"):
		return r.finish(ctx, a, orders.ActionResult{Status: orders.ActionSucceeded, ResultMessage: "confirmed with Moka by reconciliation", Reconciled: true})
	case errors.As(err, &me):
		return r.finish(ctx, a, orders.ActionResult{Status: orders.ActionFailed, ResultCode: strings.TrimSpace(me.ResultCode),
			ResultMessage: strings.TrimSpace(me.ResultMessage), Reconciled: true})
	default:
		return false, fmt.Errorf("ask Moka: %w", err)
	}
}

func (r *Reconciler) finish(ctx context.Context, a orders.Action, res orders.ActionResult) (bool, error) {
	_, after, err := r.Store.FinishAction(ctx, a.ID, res, nil)
	if err != nil {
		return false, err
	}
	return after.Status == res.Status && a.Status != after.Status, nil
}
