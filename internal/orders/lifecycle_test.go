package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

func TestExpireDue(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	soon := f.newOrder(t, "soon", func(o *orders.Order) { o.ExpiresAt = f.clock.Now().Add(10 * time.Minute) })
	later := f.newOrder(t, "later", func(o *orders.Order) { o.ExpiresAt = f.clock.Now().Add(time.Hour) })
	atBank := f.newOrder(t, "at-bank", func(o *orders.Order) { o.ExpiresAt = f.clock.Now().Add(10 * time.Minute) })
	f.redirectedAttempt(t, atBank.ID)

	n, err := f.store.ExpireDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n)

	f.clock.Advance(10 * time.Minute) // exactly at the expiry: due
	n, err = f.store.ExpireDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	for _, tc := range []struct {
		o    *orders.Order
		want orders.Status
	}{{soon, orders.StatusExpired}, {later, orders.StatusOpen}, {atBank, orders.StatusProcessing}} {
		got, err := f.store.GetOrder(ctx, tc.o.ID)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got.Status, tc.o.Reference)
	}
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderExpired}, f.eventTypes(t, soon.ID))

	n, err = f.store.ExpireDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n, "nothing is expired twice")
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderExpired}, f.eventTypes(t, soon.ID))
}

func TestCancelOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	got, err := f.store.CancelOrder(ctx, o.ID, "merchant request")
	require.NoError(t, err)
	assert.Equal(t, orders.StatusCanceled, got.Status)
	assert.Equal(t, "merchant request", got.CancelReason)

	_, err = f.store.CancelOrder(ctx, o.ID, "again")
	assert.Equal(t, orders.CodeInvalidTransition, orders.ErrorCode(err))
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderCanceled}, f.eventTypes(t, o.ID))

	busy := f.newOrder(t, "busy")
	f.redirectedAttempt(t, busy.ID)
	_, err = f.store.CancelOrder(ctx, busy.ID, "x")
	assert.Equal(t, orders.CodeAttemptInFlight, orders.ErrorCode(err))

	_, err = f.store.CancelOrder(ctx, "ord_missing", "x")
	assert.ErrorIs(t, err, orders.ErrNotFound)
}

func TestIdempotencyFirstAnswerWins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.store.LookupIdempotency(ctx, merchantID, "k1")
	assert.ErrorIs(t, err, orders.ErrNotFound)

	first, err := f.store.SaveIdempotency(ctx, orders.IdempotencyRecord{
		MerchantID: merchantID, Key: "k1", RequestHash: "h1", StatusCode: 201, Body: []byte(`{"id":"ord_1"}`)})
	require.NoError(t, err)
	assert.Equal(t, 201, first.StatusCode)

	second, err := f.store.SaveIdempotency(ctx, orders.IdempotencyRecord{
		MerchantID: merchantID, Key: "k1", RequestHash: "h2", StatusCode: 500, Body: []byte(`oops`)})
	require.NoError(t, err)
	assert.Equal(t, "h1", second.RequestHash)
	assert.Equal(t, 201, second.StatusCode)
	assert.Equal(t, `{"id":"ord_1"}`, string(second.Body))

	got, err := f.store.LookupIdempotency(ctx, merchantID, "k1")
	require.NoError(t, err)
	assert.Equal(t, *first, *got)

	// Keys belong to one merchant.
	_, err = f.store.LookupIdempotency(ctx, "other", "k1")
	assert.ErrorIs(t, err, orders.ErrNotFound)
}

func TestListEventsNewestFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	f.clock.Advance(time.Second)
	f.redirectedAttempt(t, o.ID)
	f.newOrder(t, "same-instant") // same clock reading as the processing event

	events, err := f.store.ListEvents(ctx, merchantID, 0)
	require.NoError(t, err)
	require.Len(t, events, 3)
	assert.Equal(t, orders.EventOrderCreated, events[0].Type)
	assert.NotEqual(t, o.ID, events[0].OrderID)
	assert.Equal(t, orders.EventOrderProcessing, events[1].Type)
	assert.Equal(t, orders.EventOrderCreated, events[2].Type)
	assert.Regexp(t, `^evt_[a-z2-7]{20}$`, events[0].ID)

	limited, err := f.store.ListEvents(ctx, merchantID, 2)
	require.NoError(t, err)
	assert.Len(t, limited, 2)
	none, err := f.store.ListEvents(ctx, "other", 10)
	require.NoError(t, err)
	assert.Empty(t, none)
}
