package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// reviewConflict makes an order whose first attempt's money came after the buyer had
// started a second one: order.payment_conflict. The second attempt then fails, so the
// order ends paid by the first and nothing else is open.
func (f *fixture) reviewConflict(t *testing.T, reference string, mutate ...func(*orders.Order)) (*orders.Order, *orders.Attempt) {
	t.Helper()
	ctx := context.Background()
	o := f.newOrder(t, reference, mutate...)
	a := f.redirectedAttempt(t, o.ID)
	_, ended, err := f.store.AbandonAttempt(ctx, a.ID, orders.Failure{ResultCode: "checkout.pending_timeout"})
	require.NoError(t, err)
	require.True(t, ended)
	b := f.redirectedAttempt(t, o.ID)
	late, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T-" + reference})
	require.NoError(t, err)
	require.True(t, late.Conflict)
	_, err = f.store.RecordOutcome(ctx, b.ID, orders.Outcome{ResultCode: "3DFailed"})
	require.NoError(t, err)
	return o, a
}

// legacyConflict makes o's conflict look recorded before orders carried a lasting flag
// (migration 009): NeedsReview then derives it from the event, as it always did.
func (f *fixture) legacyConflict(t *testing.T, o *orders.Order) {
	t.Helper()
	_, err := f.raw.Exec(`UPDATE orders SET review_reason = '', review_detail = '', review_flagged_at = NULL WHERE id = ?`, o.ID)
	require.NoError(t, err)
}

// reviewPaid is an automatically captured order whose payment went through.
func (f *fixture) reviewPaid(t *testing.T, reference string, mutate ...func(*orders.Order)) *orders.Order {
	t.Helper()
	o := f.newOrder(t, reference, mutate...)
	a := f.redirectedAttempt(t, o.ID)
	rr, err := f.store.RecordOutcome(context.Background(), a.ID, orders.Outcome{Success: true, TrxCode: "T-" + reference})
	require.NoError(t, err)
	require.False(t, rr.Conflict)
	return rr.Order
}

type reviewKey struct {
	reason    orders.ReviewReason
	reference string
}

func reviewKeys(items []orders.ReviewItem) []reviewKey {
	var out []reviewKey
	for _, it := range items {
		out = append(out, reviewKey{it.Reason, it.Order.Reference})
	}
	return out
}

func TestNeedsReviewListsWhatReconciliationLeft(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.EnsureMerchant(ctx, orders.Merchant{ID: "m2", Name: "Other"}))
	start := f.clock.Now()

	conflict, late := f.reviewConflict(t, "CONFLICT")
	f.legacyConflict(t, conflict)
	theirs, _ := f.reviewConflict(t, "THEIRS", func(o *orders.Order) { o.MerchantID = "m2" })
	f.legacyConflict(t, theirs)
	// A conflict recorded now flags its order: the flag, not the event, is what the
	// queue lists (FlaggedOrders).
	f.reviewConflict(t, "FLAGGED")
	stuck := f.newOrder(t, "STUCK")
	stuckAttempt := f.redirectedAttempt(t, stuck.ID)
	manual := f.newOrder(t, "CAPTURE", func(o *orders.Order) { o.Capture = orders.CaptureManual })
	ma := f.redirectedAttempt(t, manual.ID)
	_, err := f.store.RecordOutcome(ctx, ma.ID, orders.Outcome{Success: true})
	require.NoError(t, err)
	_, capture, err := f.store.BeginAction(ctx, merchantID, manual.ID, orders.ActionRequest{Kind: orders.ActionCapture}, nil)
	require.NoError(t, err)
	paid := f.reviewPaid(t, "REFUND")

	// Refunds are possible from the day after the payment.
	f.clock.Advance(25 * time.Hour)
	_, refund, err := f.store.BeginAction(ctx, merchantID, paid.ID, orders.ActionRequest{Kind: orders.ActionRefund}, nil)
	require.NoError(t, err)
	_, _, err = f.store.FinishAction(ctx, refund.ID, orders.ActionResult{Status: orders.ActionRequested, RefundRequestID: "77"}, nil)
	require.NoError(t, err)

	items, err := f.store.NeedsReview(ctx, merchantID, orders.ReviewOptions{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []reviewKey{
		{orders.ReviewPaymentConflict, "CONFLICT"},
		{orders.ReviewAttemptUnsettled, "STUCK"},
		{orders.ReviewActionPending, "CAPTURE"},
	}, reviewKeys(items), "the refund was requested only now; the other merchant's conflict is not listed")

	f.clock.Advance(orders.DefaultReviewRefundAge + time.Minute)
	fresh := f.newOrder(t, "FRESH")
	f.redirectedAttempt(t, fresh.ID)
	items, err = f.store.NeedsReview(ctx, merchantID, orders.ReviewOptions{})
	require.NoError(t, err)
	require.Len(t, items, 4, "an attempt just started is not listed")
	assert.Equal(t, reviewKey{orders.ReviewRefundRequested, "REFUND"}, reviewKeys(items)[0], "newest first")
	assert.ElementsMatch(t, []reviewKey{
		{orders.ReviewRefundRequested, "REFUND"},
		{orders.ReviewPaymentConflict, "CONFLICT"},
		{orders.ReviewAttemptUnsettled, "STUCK"},
		{orders.ReviewActionPending, "CAPTURE"},
	}, reviewKeys(items))

	for _, it := range items {
		assert.Equal(t, merchantID, it.Order.MerchantID)
		switch it.Reason {
		case orders.ReviewPaymentConflict:
			assert.Equal(t, conflict.ID, it.Order.ID)
			require.NotNil(t, it.Attempt, "the conflict names the attempt whose money came late")
			assert.Equal(t, late.ID, it.Attempt.ID)
			assert.Equal(t, orders.AttemptSucceeded, it.Attempt.Status)
			assert.Equal(t, start, it.Since)
		case orders.ReviewAttemptUnsettled:
			require.NotNil(t, it.Attempt)
			assert.Equal(t, stuckAttempt.ID, it.Attempt.ID)
			assert.Equal(t, orders.StatusProcessing, it.Order.Status)
		case orders.ReviewActionPending:
			require.NotNil(t, it.Action)
			assert.Equal(t, capture.ID, it.Action.ID)
			assert.Equal(t, orders.ActionPending, it.Action.Status)
		case orders.ReviewRefundRequested:
			require.NotNil(t, it.Action)
			assert.Equal(t, refund.ID, it.Action.ID)
			assert.Equal(t, "77", it.Action.RefundRequestID)
			assert.Equal(t, start.Add(25*time.Hour), it.Since)
		}
	}

	one, err := f.store.NeedsReview(ctx, merchantID, orders.ReviewOptions{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, reviewKeys(items[:1]), reviewKeys(one))

	other, err := f.store.NeedsReview(ctx, "m2", orders.ReviewOptions{})
	require.NoError(t, err)
	assert.Equal(t, []reviewKey{{orders.ReviewPaymentConflict, "THEIRS"}}, reviewKeys(other))
}

// Once reconciliation settles an attempt or an action, it leaves the list; a conflict
// stays, since nothing in the store records that a person dealt with it.
func TestNeedsReviewForgetsWhatWasSettled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	conflict, _ := f.reviewConflict(t, "CONFLICT")
	f.legacyConflict(t, conflict)
	stuck := f.newOrder(t, "STUCK")
	a := f.redirectedAttempt(t, stuck.ID)
	f.clock.Advance(orders.DefaultReviewAttemptAge + time.Minute)
	items, err := f.store.NeedsReview(ctx, merchantID, orders.ReviewOptions{})
	require.NoError(t, err)
	require.Len(t, items, 2)

	_, err = f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true})
	require.NoError(t, err)
	items, err = f.store.NeedsReview(ctx, merchantID, orders.ReviewOptions{})
	require.NoError(t, err)
	assert.Equal(t, []reviewKey{{orders.ReviewPaymentConflict, "CONFLICT"}}, reviewKeys(items))
}
