package orders_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

func countEvents(types []string, typ string) int {
	n := 0
	for _, t := range types {
		if t == typ {
			n++
		}
	}
	return n
}

func TestFlagForReviewOnceUntilResolved(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "R-1")
	flaggedAt := f.clock.Now()

	flagged, err := f.store.FlagForReview(ctx, o.ID, orders.ReviewAmountMismatch, "Moka reports 140.00 paid for an order of 150.00")
	require.NoError(t, err)
	assert.True(t, flagged)
	f.clock.Advance(time.Minute)
	flagged, err = f.store.FlagForReview(ctx, o.ID, orders.ReviewPaidUnrecorded, "again")
	require.NoError(t, err)
	assert.False(t, flagged, "an open flag is not raised twice")
	assert.Equal(t, 1, countEvents(f.eventTypes(t, o.ID), orders.EventOrderNeedsReview))

	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Review)
	assert.True(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewAmountMismatch, got.Review.Reason, "the first reason stands")
	assert.Equal(t, "Moka reports 140.00 paid for an order of 150.00", got.Review.Detail)
	assert.Equal(t, flaggedAt, got.Review.FlaggedAt)
	assert.Nil(t, got.Review.ResolvedAt)
	assert.Equal(t, orders.StatusOpen, got.Status, "a flag changes no status")

	_, err = f.store.FlagForReview(ctx, o.ID, "made_up", "")
	assert.Error(t, err)
	_, err = f.store.FlagForReview(ctx, "ord_missing", orders.ReviewAmountMismatch, "")
	assert.ErrorIs(t, err, orders.ErrNotFound)

	never := f.newOrder(t, "R-2")
	got, err = f.store.GetOrder(ctx, never.ID)
	require.NoError(t, err)
	assert.Nil(t, got.Review)
	assert.False(t, got.FlaggedForReview())
}

func TestResolveReview(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.EnsureMerchant(ctx, orders.Merchant{ID: "m2", Name: "Other"}))
	o := f.newOrder(t, "R-1")
	_, err := f.store.FlagForReview(ctx, o.ID, orders.ReviewPaidUnrecorded, "found by the sweep")
	require.NoError(t, err)

	_, err = f.store.ResolveReview(ctx, "m2", o.ID, "api", "not mine")
	assert.ErrorIs(t, err, orders.ErrNotFound, "another merchant's order does not exist for them")
	_, err = f.store.ResolveReview(ctx, merchantID, o.ID, "api", "  ")
	assert.Equal(t, orders.CodeReviewNoteInvalid, orders.ErrorCode(err))
	_, err = f.store.ResolveReview(ctx, merchantID, o.ID, "api", strings.Repeat("x", orders.MaxReviewNote+1))
	assert.Equal(t, orders.CodeReviewNoteInvalid, orders.ErrorCode(err))

	f.clock.Advance(time.Hour)
	resolvedAt := f.clock.Now()
	got, err := f.store.ResolveReview(ctx, merchantID, o.ID, "ayse@example.com", " refunded at Moka ")
	require.NoError(t, err)
	require.NotNil(t, got.Review)
	assert.False(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewPaidUnrecorded, got.Review.Reason, "the reason is kept beside the resolution")
	require.NotNil(t, got.Review.ResolvedAt)
	assert.Equal(t, resolvedAt, *got.Review.ResolvedAt)
	assert.Equal(t, "ayse@example.com", got.Review.ResolvedBy)
	assert.Equal(t, "refunded at Moka", got.Review.Note)
	stored, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, got.Review, stored.Review)

	_, err = f.store.ResolveReview(ctx, merchantID, o.ID, "api", "twice")
	assert.Equal(t, orders.CodeReviewNotOpen, orders.ErrorCode(err))
	assert.Contains(t, err.Error(), "resolved already")
	never := f.newOrder(t, "R-2")
	_, err = f.store.ResolveReview(ctx, merchantID, never.ID, "api", "nothing")
	assert.Equal(t, orders.CodeReviewNotOpen, orders.ErrorCode(err))

	events := f.eventTypes(t, o.ID)
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderNeedsReview, orders.EventOrderReviewResolved}, events)

	// A new problem after the resolution flags the order again.
	flagged, err := f.store.FlagForReview(ctx, o.ID, orders.ReviewAmountMismatch, "new")
	require.NoError(t, err)
	assert.True(t, flagged)
	got, err = f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.True(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewAmountMismatch, got.Review.Reason)
	assert.Empty(t, got.Review.Note)
	assert.Equal(t, 2, countEvents(f.eventTypes(t, o.ID), orders.EventOrderNeedsReview))
}

// A late success for an order that moved on is a conflict: the order is flagged in the
// same transaction, once, however many late payments come.
func TestPaymentConflictFlagsTheOrderOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "R-1", func(o *orders.Order) { o.MaxAttempts = 5 })
	abandon := orders.Failure{ResultCode: "checkout.pending_timeout"}
	first := f.redirectedAttempt(t, o.ID)
	_, _, err := f.store.AbandonAttempt(ctx, first.ID, abandon)
	require.NoError(t, err)
	second := f.redirectedAttempt(t, o.ID)
	_, _, err = f.store.AbandonAttempt(ctx, second.ID, abandon)
	require.NoError(t, err)
	third := f.redirectedAttempt(t, o.ID)
	paid, err := f.store.RecordOutcome(ctx, third.ID, orders.Outcome{Success: true})
	require.NoError(t, err)
	require.False(t, paid.Conflict)
	require.False(t, paid.Order.FlaggedForReview(), "a normal payment is not flagged")

	late, err := f.store.RecordOutcome(ctx, first.ID, orders.Outcome{Success: true})
	require.NoError(t, err)
	require.True(t, late.Conflict)
	assert.True(t, late.Order.FlaggedForReview(), "the answer carries the flag")
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.True(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewPaymentConflict, got.Review.Reason)
	assert.Contains(t, got.Review.Detail, first.OtherTrxCode)
	assert.Contains(t, got.Review.Detail, "the order was paid")

	again, err := f.store.RecordOutcome(ctx, second.ID, orders.Outcome{Success: true})
	require.NoError(t, err)
	require.True(t, again.Conflict)
	events := f.eventTypes(t, o.ID)
	assert.Equal(t, 2, countEvents(events, orders.EventOrderPaymentConflict))
	assert.Equal(t, 1, countEvents(events, orders.EventOrderNeedsReview))
	i := slices.Index(events, orders.EventOrderPaymentConflict)
	assert.Equal(t, orders.EventOrderNeedsReview, events[i+1], "written with the conflict")
}

// An attempt held for review leaves reconciliation's work list for good.
func TestHoldForReviewLeavesTheWorkList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "R-1")
	a := f.redirectedAttempt(t, o.ID)
	other := f.newOrder(t, "R-2")
	b := f.redirectedAttempt(t, other.ID)
	f.clock.Advance(time.Hour)
	stale, err := f.store.StaleAttempts(ctx, f.clock.Now())
	require.NoError(t, err)
	require.Len(t, stale, 2)

	flagged, err := f.store.HoldForReview(ctx, o.ID, a.ID, orders.ReviewAmountMismatch, "Moka reports 1.50 paid")
	require.NoError(t, err)
	assert.True(t, flagged)
	flagged, err = f.store.HoldForReview(ctx, o.ID, a.ID, orders.ReviewAmountMismatch, "Moka reports 1.50 paid")
	require.NoError(t, err)
	assert.False(t, flagged)
	_, err = f.store.HoldForReview(ctx, o.ID, b.ID, orders.ReviewAmountMismatch, "")
	assert.ErrorIs(t, err, orders.ErrNotFound, "an item of another order is refused")

	stale, err = f.store.StaleAttempts(ctx, f.clock.Now())
	require.NoError(t, err)
	require.Len(t, stale, 1)
	assert.Equal(t, b.ID, stale[0].ID)
	held, err := f.store.HeldItems(ctx, []string{a.ID, b.ID})
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{a.ID: true}, held)
	unpaid, err := f.store.UnpaidAttemptsByOtherTrxCode(ctx, merchantID, []string{a.OtherTrxCode, b.OtherTrxCode, "not-ours"})
	require.NoError(t, err)
	require.Len(t, unpaid, 1)
	assert.Equal(t, b.ID, unpaid[0].ID)

	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusProcessing, got.Status, "the attempt stays at the bank: the order cannot be paid twice")
	assert.Equal(t, orders.AttemptRedirected, got.Attempts[0].Status)

	_, err = f.store.ResolveReview(ctx, merchantID, o.ID, "api", "refunded the 1.50 at Moka")
	require.NoError(t, err)
	stale, err = f.store.StaleAttempts(ctx, f.clock.Now())
	require.NoError(t, err)
	assert.Len(t, stale, 1, "a resolved hold stays: the same mismatch is not flagged again")
}

func TestListOrdersByNeedsReview(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	flagged := f.newOrder(t, "FLAGGED")
	f.clock.Advance(time.Second)
	resolved := f.newOrder(t, "RESOLVED")
	f.clock.Advance(time.Second)
	plain := f.newOrder(t, "PLAIN")
	for _, o := range []*orders.Order{flagged, resolved} {
		_, err := f.store.FlagForReview(ctx, o.ID, orders.ReviewPaidUnrecorded, "")
		require.NoError(t, err)
	}
	_, err := f.store.ResolveReview(ctx, merchantID, resolved.ID, "api", "done")
	require.NoError(t, err)

	refs := func(v *bool) []string {
		page, _, err := f.store.ListOrders(ctx, merchantID, orders.ListFilter{NeedsReview: v})
		require.NoError(t, err)
		var out []string
		for _, o := range page {
			out = append(out, o.Reference)
		}
		return out
	}
	yes, no := true, false
	assert.Equal(t, []string{"FLAGGED"}, refs(&yes))
	assert.Equal(t, []string{plain.Reference, "RESOLVED"}, refs(&no))
	assert.Len(t, refs(nil), 3)

	list, err := f.store.FlaggedOrders(ctx, merchantID, 0)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, flagged.ID, list[0].ID)
	other, err := f.store.FlaggedOrders(ctx, "m-other", 0)
	require.NoError(t, err)
	assert.Empty(t, other)
}
