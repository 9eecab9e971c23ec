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

// lister is the part of a Moka client a sweep uses: *moka.Client has it. A client without
// it (a test's fake) is not swept.
type lister interface {
	AllPaymentTrx(ctx context.Context, from, to time.Time, filter moka.TrxListFilter) (*moka.AllTrxResult, error)
}

// SweepReport counts what one Sweep found and did.
type SweepReport struct {
	From, To time.Time
	// Merchants is how many merchants' payment lists were read.
	Merchants int
	// Payments counts the successful payments Moka listed in the window.
	Payments int
	// Unpaid counts those of them that are ours (one of our attempts' OtherTrxCode) while
	// we hold the attempt as not paid, and not on hold for review.
	Unpaid int
	// Recorded: payments recorded as their order's payment.
	Recorded int
	// Flagged: orders newly flagged for review.
	Flagged int
	// Left: payments that could not be settled now (an error; logged).
	Left int
	// Found lists what was recorded or flagged, in the order found.
	Found []SweepFinding
}

// SweepFinding is one payment a sweep recorded or flagged.
type SweepFinding struct {
	OrderID, AttemptID, OtherTrxCode string
	Recorded                         bool                // recorded as the order's payment
	Flagged                          orders.ReviewReason // the reason the order was flagged now, or ""
}

func (r *Reconciler) sweepEvery() time.Duration {
	if r.SweepEvery != 0 {
		return r.SweepEvery
	}
	return time.Hour
}

func (r *Reconciler) sweepWindow() time.Duration {
	if r.SweepWindow > 0 {
		return r.SweepWindow
	}
	return 48 * time.Hour
}

// sweepDue reports whether RunOnce should sweep now, and if so counts the sweep as made:
// a sweep that fails is not retried before SweepEvery has passed, since the next one's
// window covers the same payments.
func (r *Reconciler) sweepDue(now time.Time) bool {
	every := r.sweepEvery()
	if every < 0 {
		return false
	}
	r.mu.Lock()
	if !r.lastSweep.IsZero() && now.Sub(r.lastSweep) < every {
		r.mu.Unlock()
		return false
	}
	r.lastSweep = now
	r.mu.Unlock()
	return true
}

// Sweep reads Moka's payment list (GetPaymentTrxList, split past Moka's cap) for every
// merchant over [from, to) and looks for successful payments of ours that we hold as not
// paid: the bank's return and the reconciler's questions both missed them (an attempt
// abandoned when Moka did not yet know the payment, a return that said failed, an order
// expired or canceled meanwhile).
//
//   - For an attempt still at the bank (past the bank session, After) or abandoned, a
//     payment of the order's amount and kind is recorded as the order's payment, as
//     RunOnce would (RecordOutcome; an order that has moved on gets a payment conflict
//     and is flagged by the store). One that does not match is flagged
//     (amount_mismatch, capture_mismatch) and the attempt put on hold.
//   - For an attempt that failed or never got its bank URL, money Moka still holds (a
//     payment or pre-authorisation, not canceled or refunded) is flagged paid_unrecorded
//     and the attempt put on hold: it cannot be recorded, a person must look.
//
// Attempts on hold are not looked at again, so overlapping sweeps flag an order once. A
// merchant whose list cannot be read is skipped and its error returned with the others'
// once every merchant has been swept.
func (r *Reconciler) Sweep(ctx context.Context, from, to time.Time) (SweepReport, error) {
	rep := SweepReport{From: from, To: to}
	merchants, err := r.Store.MerchantIDs(ctx)
	if err != nil {
		return rep, err
	}
	var errs []error
	for _, m := range merchants {
		client, ok := r.Moka(m).(lister)
		if !ok || client == nil {
			continue // not configured, or a client that cannot list
		}
		release := r.take(ctx, "sweep:"+m)
		if release == nil {
			continue // another instance is sweeping this merchant's list now
		}
		err := r.sweepMerchant(ctx, m, client, from, to, &rep)
		release()
		if err != nil {
			if ctx.Err() != nil {
				return rep, err
			}
			errs = append(errs, fmt.Errorf("sweep merchant %s: %w", m, err))
		}
	}
	return rep, errors.Join(errs...)
}

func (r *Reconciler) sweepMerchant(ctx context.Context, merchantID string, client lister, from, to time.Time, rep *SweepReport) error {
	res, err := client.AllPaymentTrx(ctx, from, to, moka.TrxListFilter{TrxStatus: moka.SomeInt(moka.TrxStatusSuccess)})
	if err != nil {
		return fmt.Errorf("list Moka payments: %w", err)
	}
	rep.Merchants++
	byCode := map[string]moka.Payment{}
	var codes []string
	for _, p := range res.Payments {
		code := strings.TrimSpace(p.PaymentDetail.OtherTrxCode)
		if int64(p.PaymentDetail.TrxStatus) != moka.TrxStatusSuccess || code == "" {
			continue
		}
		rep.Payments++
		if _, seen := byCode[code]; !seen {
			codes = append(codes, code)
		}
		byCode[code] = p
	}
	unpaid, err := r.Store.UnpaidAttemptsByOtherTrxCode(ctx, merchantID, codes)
	if err != nil {
		return err
	}
	now := r.Now()
	for _, a := range unpaid {
		atBank := a.Status == orders.AttemptCreated || a.Status == orders.AttemptRedirected
		if atBank && now.Sub(a.CreatedAt) < r.After {
			continue // the buyer may still come back from the bank; RunOnce asks later
		}
		rep.Unpaid++
		p := byCode[a.OtherTrxCode]
		recorded, flagged, err := r.sweepAttempt(ctx, a, p)
		if err != nil {
			rep.Left++
			r.Log.Error("sweep attempt", "attempt_id", a.ID, "order_id", a.OrderID, "other_trx_code", a.OtherTrxCode, "error", err.Error())
			continue
		}
		if recorded {
			rep.Recorded++
		}
		if flagged != "" {
			rep.Flagged++
		}
		if recorded || flagged != "" {
			rep.Found = append(rep.Found, SweepFinding{OrderID: a.OrderID, AttemptID: a.ID, OtherTrxCode: a.OtherTrxCode,
				Recorded: recorded, Flagged: flagged})
		}
	}
	return nil
}

// sweepAttempt settles one attempt we hold as not paid for which Moka lists payment p: it
// reports whether the payment was recorded and the reason the order was flagged now, if
// it was (a payment recorded as a conflict is both).
func (r *Reconciler) sweepAttempt(ctx context.Context, a orders.Attempt, p moka.Payment) (recorded bool, flagged orders.ReviewReason, err error) {
	o, err := r.Store.GetOrder(ctx, a.OrderID)
	if err != nil {
		return false, "", err
	}
	d := p.PaymentDetail
	res := &moka.PaymentDetailResult{IsSuccessful: true, PaymentDetail: d, PaymentTrxDetailList: p.PaymentTrxDetailList}
	amount := d.Amount.Decimal.StringFixed(2)
	switch a.Status {
	case orders.AttemptRedirected, orders.AttemptAbandoned:
		if reason, err := matches(d, o); err != nil {
			return r.sweepHold(ctx, o, a, reason, err.Error()+" (found in Moka's payment list)")
		}
		rr, err := r.Store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: trxCode(res),
			At: paidAt(res), ResultMessage: "found in Moka's payment list by reconciliation"})
		if err != nil || !rr.Recorded {
			return false, "", err // !Recorded: the bank's return came in meanwhile
		}
		r.Log.Warn("lost payment recorded from Moka's payment list", "order_id", o.ID, "attempt_id", a.ID,
			"other_trx_code", a.OtherTrxCode, "conflict", rr.Conflict, "order_status", string(rr.Order.Status))
		if rr.Conflict && !o.FlaggedForReview() && rr.Order.FlaggedForReview() {
			return true, rr.Order.Review.Reason, nil
		}
		return true, "", nil
	}
	if s := int64(d.PaymentStatus); s != moka.PaymentStatusPayment && s != moka.PaymentStatusPreAuth {
		return false, "", nil // canceled or refunded at Moka: no money is held
	}
	var why string
	switch a.Status {
	case orders.AttemptCreated:
		why = "never got its bank URL, so no bank return can be verified for it"
	default:
		why = "ended " + string(a.Status)
		if code := strings.TrimSpace(a.ResultCode); code != "" {
			why += " (" + code + ")"
		}
	}
	return r.sweepHold(ctx, o, a, orders.ReviewPaidUnrecorded,
		fmt.Sprintf("Moka holds a successful payment of %s for attempt %s (Moka reference %s), which %s; the order is %s",
			amount, a.ID, a.OtherTrxCode, why, o.Status))
}

func (r *Reconciler) sweepHold(ctx context.Context, o *orders.Order, a orders.Attempt, reason orders.ReviewReason, detail string) (bool, orders.ReviewReason, error) {
	outcome, err := r.hold(ctx, o, a, reason, detail)
	if err != nil || outcome != settledFlagged {
		return false, "", err
	}
	return false, reason, nil
}
