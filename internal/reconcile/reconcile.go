// Package reconcile settles what the bank's return left open. Moka has no webhooks: a
// buyer who closes the tab at the bank, or a return lost on the way, leaves an attempt at
// the bank and its order in processing. After the bank session has run out, the
// reconciler asks Moka about each such attempt by its OtherTrxCode and records what Moka
// says: paid (or pre-authorised) becomes the order's payment, anything else ends the
// attempt as abandoned so the buyer may pay again. It also expires overdue open orders.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
)

// CodeAbandoned is the result code of an attempt ended by reconciliation.
const CodeAbandoned = "checkout.abandoned"

// Detailer is the part of the Moka client the reconciler uses.
type Detailer interface {
	PaymentDetail(ctx context.Context, req moka.PaymentDetailRequest) (*moka.PaymentDetailResult, error)
}

// Reconciler asks Moka about stale attempts. Its fields are set once, before Run.
type Reconciler struct {
	Store *orders.Store
	// Moka returns the Moka client of a merchant, or nil for one not configured.
	Moka func(merchantID string) Detailer
	// After is how old an unfinished attempt must be before Moka is asked: longer than
	// the bank keeps a 3-D session open, so the buyer can no longer finish it.
	After time.Duration
	Now   func() time.Time
	Log   *slog.Logger
}

// Report counts what one pass did.
type Report struct {
	Expired, Paid, Abandoned, Left int
}

// Run reconciles every interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if rep, err := r.RunOnce(ctx); err != nil {
			r.Log.Error("reconcile", "error", err.Error())
		} else if rep != (Report{}) {
			r.Log.Info("reconciled", "expired", rep.Expired, "paid", rep.Paid, "abandoned", rep.Abandoned, "left", rep.Left)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce expires overdue open orders and settles every attempt older than After. An
// attempt Moka cannot answer for now is left for the next pass (counted in Left).
func (r *Reconciler) RunOnce(ctx context.Context) (Report, error) {
	var rep Report
	n, err := r.Store.ExpireDue(ctx)
	rep.Expired = n
	if err != nil {
		return rep, err
	}
	stale, err := r.Store.StaleAttempts(ctx, r.Now().Add(-r.After))
	if err != nil {
		return rep, err
	}
	for _, a := range stale {
		outcome, err := r.settle(ctx, a)
		if err != nil {
			r.Log.Warn("reconcile attempt", "attempt_id", a.ID, "order_id", a.OrderID, "error", err.Error())
		}
		switch outcome {
		case settledPaid:
			rep.Paid++
		case settledAbandoned:
			rep.Abandoned++
		default:
			rep.Left++
		}
	}
	return rep, nil
}

type settled int

const (
	settledNothing settled = iota
	settledPaid
	settledAbandoned
)

// settle asks Moka about one attempt and records the answer.
func (r *Reconciler) settle(ctx context.Context, a orders.Attempt) (settled, error) {
	o, err := r.Store.GetOrder(ctx, a.OrderID)
	if err != nil {
		return settledNothing, err
	}
	client := r.Moka(o.MerchantID)
	if client == nil {
		return settledNothing, fmt.Errorf("no Moka client for merchant %s", o.MerchantID)
	}
	res, err := client.PaymentDetail(ctx, moka.PaymentDetailRequest{OtherTrxCode: a.OtherTrxCode})
	var me *moka.Error
	switch {
	case errors.As(err, &me) && strings.HasSuffix(strings.TrimSpace(me.ResultCode), ".PaymentNotFound"):
		return r.abandon(ctx, a, "Moka holds no payment for this attempt")
	case err != nil:
		return settledNothing, fmt.Errorf("ask Moka: %w", err)
	}
	d := res.PaymentDetail
	if !paid(d, o) {
		return r.abandon(ctx, a, fmt.Sprintf("Moka reports payment status %d, transaction status %d",
			int64(d.PaymentStatus), int64(d.TrxStatus)))
	}
	if amount := d.Amount.Decimal; !amount.Equal(o.Amount) {
		// Not what the order asked for: a person must look. The attempt stays open, so
		// the order cannot be paid twice meanwhile.
		return settledNothing, fmt.Errorf("Moka reports %s paid for an order of %s", amount, o.Amount)
	}
	if a.Status == orders.AttemptCreated {
		// No CodeForHash was stored, so the store cannot record a success for it; a paid
		// payment here means the process stopped between Moka's answer and our commit.
		return settledNothing, errors.New("Moka reports a payment for an attempt that never got its bank URL")
	}
	rr, err := r.Store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: trxCode(res),
		ResultMessage: "confirmed with Moka by reconciliation"})
	if err != nil {
		return settledNothing, err
	}
	if !rr.Recorded {
		return settledNothing, nil // the bank's return came in meanwhile
	}
	return settledPaid, nil
}

func (r *Reconciler) abandon(ctx context.Context, a orders.Attempt, why string) (settled, error) {
	before := a.Status
	got, err := r.Store.AbandonAttempt(ctx, a.ID, orders.Failure{ResultCode: CodeAbandoned, ResultMessage: why})
	if err != nil {
		return settledNothing, err
	}
	for _, x := range got.Attempts {
		if x.ID == a.ID && x.Status == orders.AttemptAbandoned && before != orders.AttemptAbandoned {
			return settledAbandoned, nil
		}
	}
	return settledNothing, nil // the bank's return came in meanwhile
}

// paid reports Moka's word that the payment went through: PaymentStatus 2 (payment) with
// TrxStatus 1 (success), or PaymentStatus 1 (pre-authorisation) for a manual-capture order.
func paid(d moka.PaymentDetail, o *orders.Order) bool {
	if d.TrxStatus != moka.TrxStatusSuccess {
		return false
	}
	return d.PaymentStatus == moka.PaymentStatusPayment ||
		(d.PaymentStatus == moka.PaymentStatusPreAuth && o.Capture == orders.CaptureManual)
}

// trxCode is the bank's order id (VirtualPosOrderId) of the payment's first transaction.
func trxCode(res *moka.PaymentDetailResult) string {
	for _, t := range res.PaymentTrxDetailList {
		if v := strings.TrimSpace(t.VirtualPosOrderID); v != "" {
			return v
		}
	}
	return ""
}
