// Package reconcile settles what the bank's return left open. Moka has no webhooks: a
// buyer who closes the tab at the bank, or a return lost on the way, leaves an attempt at
// the bank and its order in processing. Once the bank session has run out, the reconciler
// asks Moka about each such attempt by its OtherTrxCode and records what Moka says:
//
//   - paid (or pre-authorised for a manual-capture order) for the order's amount: the
//     order's payment, exactly as a verified return would record it;
//   - no such payment, or a failed one: the attempt is abandoned and the buyer may pay
//     again;
//   - still pending: left alone, since the buyer may yet finish at the bank, until GiveUp;
//     then abandoned all the same, but watched: Moka is asked again until Watch has passed,
//     and a payment that went through after all is still recorded;
//   - paid, but not what the order asked for (another amount, or a pre-authorisation for
//     an order captured automatically), or paid for an attempt that never got its bank
//     URL: the order is flagged for review (orders.HoldForReview) once, with one
//     order.needs_review event, and the attempt is put on hold: it stays as it is, so the
//     order cannot be paid twice, and Moka is not asked about it again;
//   - no answer: left for the next pass.
//
// An attempt still created never gave the buyer a bank URL: the process stopped while the
// 3-D start call was at Moka. The buyer cannot finish it, so Moka is asked about it as
// soon as UnsentAfter has passed (longer than a Moka call lasts), not After. No payment,
// a failed one, or one still pending (a 3-D session nobody was sent to) ends it
// abandoned, and it does not use up one of the buyer's attempts; the order is open again.
//
// It also expires overdue open orders, settles merchant actions whose Moka answer was lost
// (and refund requests, once Moka completes them) from Moka's records (a capture Moka
// holds for another amount is flagged and held the same way), sweeps Moka's payment list
// by date window for payments of ours we hold as not paid (Sweep), and purges
// Idempotency-Keys older than a day.
package reconcile

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
)

// Result codes of attempts ended by reconciliation.
const (
	// CodeAbandoned: Moka holds no payment for the attempt, or a failed one.
	CodeAbandoned = "checkout.abandoned"
	// CodePendingTimeout: Moka still reported the payment pending after GiveUp. Such
	// attempts are watched until Watch has passed.
	CodePendingTimeout = "checkout.pending_timeout"
)

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
	// UnsentAfter is how old an attempt that never got its bank URL (still created: the
	// process stopped during the 3-D start call) must be before Moka is asked: longer
	// than a Moka call may last, so the call is over. 0, or more than After, = After.
	UnsentAfter time.Duration
	// GiveUp is how old an attempt Moka still reports pending may get before it is
	// abandoned, so that its order can be paid again; 0 = 1h.
	GiveUp time.Duration
	// Watch is how long after its start an attempt abandoned while pending is still
	// asked about; 0 = 24h.
	Watch time.Duration
	// ActionAfter is how old a merchant action still waiting for Moka's answer (a
	// capture, void, refund or approval whose answer was lost) must be before Moka's
	// records settle it: longer than a Moka call lasts; 0 = 2m.
	ActionAfter time.Duration
	// RefundWatch is how long a refund request whose answer was lost is looked for in
	// Moka's records before it is marked failed; 0 = 72h.
	RefundWatch time.Duration
	// SweepEvery is how often RunOnce sweeps Moka's payment list (Sweep) over the last
	// SweepWindow; 0 = 1h, negative = never (checkout reconcile sweeps by itself).
	SweepEvery time.Duration
	// SweepWindow is how far back a sweep of RunOnce looks; 0 = 48h. Sweeps overlap, so
	// a sweep that fails is made up for by the next.
	SweepWindow time.Duration
	Now         func() time.Time
	Log         *slog.Logger
	// Observe, when set, is told of every pass of Run: for metrics.
	Observe func(Report, error)
	// Owner names this reconciler in the leases it takes (orders.Store.TakeLease) while
	// it asks Moka about an attempt or an action and records the answer, or sweeps: of
	// the instances sharing a database, one does each at a time, and an item settled
	// meanwhile by another is left alone. "" = a random name, made once.
	Owner string
	// Lease is how long a lease holds if its reconciler stops before giving it back;
	// 0 = 2m (longer than a Moka call).
	Lease time.Duration

	mu        sync.Mutex
	lastSweep time.Time // when RunOnce last swept; zero = never
	owner     string
}

// take takes the lease on item for this reconciler and returns the function that gives
// it back, or nil when another instance holds it (the item is skipped) or the lease
// cannot be written (the item's next pass tries again).
func (r *Reconciler) take(ctx context.Context, item string) func() {
	r.mu.Lock()
	if r.owner == "" {
		r.owner = r.Owner
		if r.owner == "" {
			r.owner = "reconciler-" + rand.Text()
		}
	}
	owner := r.owner
	r.mu.Unlock()
	d := r.Lease
	if d <= 0 {
		d = 2 * time.Minute
	}
	took, err := r.Store.TakeLease(ctx, item, owner, d)
	if err != nil {
		r.Log.Error("reconcile lease", "item", item, "error", err.Error())
	}
	if !took {
		return nil
	}
	return func() {
		if err := r.Store.ReleaseLease(context.WithoutCancel(ctx), item, owner); err != nil {
			r.Log.Error("reconcile lease", "item", item, "error", err.Error()) // it runs out
		}
	}
}

// Report counts what one pass did.
type Report struct {
	Expired, Paid, Abandoned, Left int
	// Actions counts merchant actions settled (captures, voids, refunds, approvals).
	Actions int
	// Flagged counts orders flagged for review by this pass (a sweep's included).
	Flagged int
}

// Run reconciles every interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := r.RunOnce(ctx)
		if r.Observe != nil && ctx.Err() == nil {
			r.Observe(rep, err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return // shutting down: the pass was cut short, nothing went wrong
			}
			r.Log.Error("reconcile", "error", err.Error())
		} else if rep != (Report{}) {
			r.Log.Info("reconciled", "expired", rep.Expired, "paid", rep.Paid, "abandoned", rep.Abandoned,
				"actions", rep.Actions, "flagged", rep.Flagged, "left", rep.Left)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce expires overdue open orders, settles every attempt older than After, asks
// again about the attempts abandoned while pending, settles open merchant actions, sweeps
// Moka's payment list when SweepEvery has passed since the last sweep, and purges old
// Idempotency-Keys. An attempt or action left as it was for now is counted in Left; a
// sweep that could not list a merchant's payments is logged.
func (r *Reconciler) RunOnce(ctx context.Context) (Report, error) {
	var rep Report
	n, err := r.Store.ExpireDue(ctx)
	rep.Expired = n
	if err != nil {
		return rep, err
	}
	now := r.Now()
	// Created attempts are due after UnsentAfter, those at the bank after After.
	atBank := now.Add(-r.After)
	stale, err := r.Store.StaleAttempts(ctx, now.Add(-r.unsentAfter()))
	if err != nil {
		return rep, err
	}
	stale = slices.DeleteFunc(stale, func(a orders.Attempt) bool {
		return a.Status != orders.AttemptCreated && !a.CreatedAt.Before(atBank)
	})
	watched, err := r.Store.AbandonedAttempts(ctx, CodePendingTimeout, now.Add(-r.watch()))
	if err != nil {
		return rep, err
	}
	for _, a := range append(stale, watched...) {
		release := r.take(ctx, "attempt:"+a.ID)
		if release == nil {
			continue // another instance is on it
		}
		outcome, err := r.settle(ctx, a, now)
		release()
		switch {
		case err != nil:
			rep.Left++
			r.Log.Error("reconcile attempt", "attempt_id", a.ID, "order_id", a.OrderID,
				"other_trx_code", a.OtherTrxCode, "error", err.Error())
		case outcome == settledPaid:
			rep.Paid++
		case outcome == settledAbandoned:
			rep.Abandoned++
		case outcome == settledFlagged:
			rep.Flagged++
		case outcome == settledHeld:
			// On hold now; its order was flagged already.
		case a.Status != orders.AttemptAbandoned:
			rep.Left++ // a watched attempt still unpaid is not news
		}
	}
	if err := r.settleActions(ctx, now, &rep); err != nil {
		return rep, err
	}
	if r.sweepDue(now) {
		srep, err := r.Sweep(ctx, now.Add(-r.sweepWindow()), now)
		rep.Paid += srep.Recorded
		rep.Flagged += srep.Flagged
		rep.Left += srep.Left
		if err != nil {
			if ctx.Err() != nil {
				return rep, err
			}
			// Not the pass's failure: the next sweep's window covers the same payments.
			r.Log.Error("reconcile sweep", "error", err.Error())
		}
	}
	if _, err := r.Store.PurgeIdempotency(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

func (r *Reconciler) unsentAfter() time.Duration {
	if r.UnsentAfter > 0 && r.UnsentAfter < r.After {
		return r.UnsentAfter
	}
	return r.After
}

func (r *Reconciler) giveUp() time.Duration {
	if r.GiveUp > 0 {
		return r.GiveUp
	}
	return time.Hour
}

func (r *Reconciler) watch() time.Duration {
	if r.Watch > 0 {
		return r.Watch
	}
	return 24 * time.Hour
}

type settled int

const (
	settledNothing settled = iota
	settledPaid
	settledAbandoned
	settledFlagged // the order was flagged for review now, the item put on hold
	settledHeld    // the item was put on hold; its order was flagged already
	settledAction  // a merchant action was settled
)

// settle asks Moka about one attempt and records the answer. An error means a person or
// a later pass must look; nothing was changed.
func (r *Reconciler) settle(ctx context.Context, a orders.Attempt, now time.Time) (settled, error) {
	o, err := r.Store.GetOrder(ctx, a.OrderID)
	if err != nil {
		return settledNothing, err
	}
	if cur := o.Attempt(a.ID); cur == nil || cur.Status != a.Status {
		// Settled since the list was read (by another instance whose lease ran out).
		return settledNothing, nil
	}
	client := r.Moka(o.MerchantID)
	if client == nil {
		return settledNothing, fmt.Errorf("no Moka client for merchant %s", o.MerchantID)
	}
	watched := a.Status == orders.AttemptAbandoned
	// An attempt that never got its bank URL (the process stopped mid-call) was not the
	// buyer's doing: however it ends, it does not use up one of their attempts.
	unsent := a.Status == orders.AttemptCreated
	res, err := client.PaymentDetail(ctx, moka.PaymentDetailRequest{OtherTrxCode: a.OtherTrxCode})
	var me *moka.Error
	switch {
	case errors.As(err, &me) && strings.HasSuffix(strings.TrimSpace(me.ResultCode), ".PaymentNotFound"):
		if watched {
			return settledNothing, nil
		}
		return r.abandon(ctx, a, orders.Failure{ResultCode: CodeAbandoned,
			ResultMessage: "Moka holds no payment for this attempt", NotCounted: unsent})
	case err != nil:
		return settledNothing, fmt.Errorf("ask Moka: %w", err)
	}
	d := res.PaymentDetail
	switch {
	case watched && d.TrxStatus != moka.TrxStatusSuccess:
		return settledNothing, nil
	case d.TrxStatus == moka.TrxStatusFailed:
		return r.abandon(ctx, a, orders.Failure{ResultCode: CodeAbandoned,
			ResultMessage: "Moka reports the payment failed: " + strings.TrimSpace(firstMessage(res)), NotCounted: unsent})
	case d.TrxStatus != moka.TrxStatusSuccess:
		// Pending: the buyer may still be at the bank. Only after GiveUp is the order
		// freed; the attempt is then watched in case the bank still takes the money. A
		// buyer never sent to the bank cannot finish there: that order is freed at once.
		if !unsent && now.Sub(a.CreatedAt) < r.giveUp() {
			return settledNothing, nil
		}
		return r.abandon(ctx, a, orders.Failure{ResultCode: CodePendingTimeout,
			ResultMessage: "Moka still reported the payment pending", NotCounted: unsent})
	}
	if reason, err := matches(d, o); err != nil {
		// The bank took money, but not what the order asked for: a person must look. The
		// attempt stays as it is, so the order cannot be paid twice meanwhile, and is put
		// on hold, so Moka is not asked about it on every pass.
		return r.hold(ctx, o, a, reason, err.Error())
	}
	if unsent || a.CodeForHash == "" {
		// No CodeForHash was stored, so the store cannot record a success for it; a paid
		// payment here means the process stopped between Moka's answer and our commit.
		// (A watched attempt abandoned while still created has none either.)
		return r.hold(ctx, o, a, orders.ReviewPaidUnrecorded,
			fmt.Sprintf("Moka reports %s paid for attempt %s (Moka reference %s), which never got its bank URL: no bank return can be verified for it",
				d.Amount.Decimal.StringFixed(2), a.ID, a.OtherTrxCode))
	}
	rr, err := r.Store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: trxCode(res),
		At: paidAt(res), ResultMessage: "confirmed with Moka by reconciliation"})
	if err != nil {
		return settledNothing, err
	}
	if !rr.Recorded {
		return settledNothing, nil // the bank's return came in meanwhile
	}
	if rr.Conflict {
		r.Log.Error("payment recorded for an order that had moved on: the buyer may have paid twice",
			"attempt_id", a.ID, "order_id", a.OrderID, "other_trx_code", a.OtherTrxCode, "order_status", string(rr.Order.Status))
	}
	return settledPaid, nil
}

func (r *Reconciler) abandon(ctx context.Context, a orders.Attempt, f orders.Failure) (settled, error) {
	_, ended, err := r.Store.AbandonAttempt(ctx, a.ID, f)
	if err != nil || !ended {
		return settledNothing, err // !ended: the bank's return came in meanwhile
	}
	return settledAbandoned, nil
}

// hold flags a's order for review and puts a on hold: reconciliation leaves it alone
// from now on.
func (r *Reconciler) hold(ctx context.Context, o *orders.Order, a orders.Attempt, reason orders.ReviewReason, detail string) (settled, error) {
	flagged, err := r.Store.HoldForReview(ctx, o.ID, a.ID, reason, detail)
	if err != nil {
		return settledNothing, err
	}
	r.Log.Warn("order flagged for review", "order_id", o.ID, "attempt_id", a.ID, "other_trx_code", a.OtherTrxCode,
		"reason", string(reason), "detail", detail, "already_flagged", !flagged)
	if !flagged {
		return settledHeld, nil
	}
	return settledFlagged, nil
}

// matches checks that Moka's successful payment is the one the order asked for: its
// amount, and a payment for automatic capture or a pre-authorisation for manual capture.
// A payment that is not is a mismatch of the reason returned.
func matches(d moka.PaymentDetail, o *orders.Order) (orders.ReviewReason, error) {
	want := moka.PaymentStatusPayment
	if o.Capture == orders.CaptureManual {
		want = moka.PaymentStatusPreAuth
	}
	if int64(d.PaymentStatus) != int64(want) {
		return orders.ReviewCaptureMismatch, fmt.Errorf("Moka reports payment status %d for an order captured %s", int64(d.PaymentStatus), o.Capture)
	}
	if amount := d.Amount.Decimal; !amount.Equal(o.Amount) {
		return orders.ReviewAmountMismatch, fmt.Errorf("Moka reports %s paid for an order of %s", amount, o.Amount)
	}
	return "", nil
}

// paidAt is when Moka's successful payment (or pre-authorisation) transaction was made;
// zero when Moka gives no readable date.
func paidAt(res *moka.PaymentDetailResult) time.Time {
	for _, t := range res.PaymentTrxDetailList {
		typ := int64(t.TrxType)
		if (typ == moka.TrxTypePayment || typ == moka.TrxTypePreAuth) && int64(t.TrxStatus) == moka.TrxStatusSuccess {
			if at, err := moka.ParseTrxDate(t.TrxDate); err == nil {
				return at
			}
		}
	}
	return time.Time{}
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

// firstMessage is the bank's message on the payment's first transaction.
func firstMessage(res *moka.PaymentDetailResult) string {
	for _, t := range res.PaymentTrxDetailList {
		if m := strings.TrimSpace(t.ResultMessage); m != "" {
			return m
		}
	}
	return "no message"
}
