package orders_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
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

	idem := func(hash string) *orders.Idem {
		return &orders.Idem{MerchantID: merchantID, Key: "k1", RequestHash: hash,
			Answer: func(o *orders.Order, _ *orders.Action, err error) (int, []byte) {
				return 201, []byte(`{"id":"` + o.ID + `"}`)
			}}
	}
	o := &orders.Order{MerchantID: merchantID, Reference: "r1", Amount: decimal.RequireFromString("1.00"),
		Currency: "TRY", Installments: []int{1}, ExpiresAt: f.clock.Now().Add(time.Hour)}
	require.NoError(t, f.store.CreateOrderIdem(ctx, o, idem("h1")))
	first, err := f.store.LookupIdempotency(ctx, merchantID, "k1")
	require.NoError(t, err)
	assert.Equal(t, 201, first.StatusCode)
	assert.Equal(t, `{"id":"`+o.ID+`"}`, string(first.Body), "stored with the order, in its transaction")

	again := &orders.Order{MerchantID: merchantID, Reference: "r2", Amount: decimal.RequireFromString("1.00"),
		Currency: "TRY", Installments: []int{1}, ExpiresAt: f.clock.Now().Add(time.Hour)}
	err = f.store.CreateOrderIdem(ctx, again, idem("h2"))
	var used *orders.KeyUsedError
	require.True(t, errors.As(err, &used), "%v", err)
	assert.Equal(t, *first, *used.Record, "the first answer wins")
	_, err = f.store.GetOrderByReference(ctx, merchantID, "r2")
	assert.ErrorIs(t, err, orders.ErrNotFound, "nothing written for the repeat")

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
	assert.Regexp(t, `^evt_[a-z2-7]{29}$`, events[0].ID)

	limited, err := f.store.ListEvents(ctx, merchantID, 2)
	require.NoError(t, err)
	assert.Len(t, limited, 2)
	none, err := f.store.ListEvents(ctx, "other", 10)
	require.NoError(t, err)
	assert.Empty(t, none)
}
