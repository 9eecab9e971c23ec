package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

const lease = time.Minute

func (f *fixture) enqueue(t *testing.T, merchants ...string) int {
	t.Helper()
	n, more, err := f.store.EnqueueDeliveries(context.Background(), orders.EnqueueOptions{Merchants: merchants, Window: 72 * time.Hour})
	require.NoError(t, err)
	require.False(t, more)
	return n
}

func (f *fixture) claim(t *testing.T, merchants ...string) []orders.ClaimedDelivery {
	t.Helper()
	c, err := f.store.ClaimDeliveries(context.Background(), orders.ClaimOptions{
		Merchants: merchants, Limit: 10, PerMerchant: 10, Lease: lease,
	})
	require.NoError(t, err)
	return c
}

func claimedIDs(cs []orders.ClaimedDelivery) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.Event.ID)
	}
	return ids
}

func TestEnqueueDeliveriesOnlyForMerchantsWithWebhooks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.EnsureMerchant(ctx, orders.Merchant{ID: "m2", Name: "No hooks"}))
	f.newOrder(t, "A")
	f.newOrder(t, "B", func(o *orders.Order) { o.MerchantID = "m2" })

	assert.Equal(t, 1, f.enqueue(t, merchantID))
	assert.Equal(t, 0, f.enqueue(t, merchantID), "an event is queued once")

	page, _, err := f.store.ListEventDeliveries(ctx, "m2", orders.EventFilter{})
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Nil(t, page[0].Delivery, "m2 has no webhook: its event is never queued")
	page, _, err = f.store.ListEventDeliveries(ctx, merchantID, orders.EventFilter{Delivery: orders.DeliveryPending})
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Equal(t, orders.EventOrderCreated, page[0].Type)
	assert.Equal(t, f.clock.Now().Add(72*time.Hour), page[0].Delivery.Deadline)
}

func TestClaimDeliveriesOneEventOfAnOrderAtATime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "A")
	_, err := f.store.CancelOrder(ctx, o.ID, "buyer left")
	require.NoError(t, err)
	other := f.newOrder(t, "B")
	f.enqueue(t, merchantID)

	first := f.claim(t, merchantID)
	require.Len(t, first, 2, "the first event of each order")
	assert.Equal(t, o.ID, first[0].Event.OrderID)
	assert.Equal(t, orders.EventOrderCreated, first[0].Event.Type)
	assert.Equal(t, other.ID, first[1].Event.OrderID)
	// Each claim carries its order as it is now, read in the claim's transaction:
	// order.created of an order since canceled shows it canceled.
	require.NotNil(t, first[0].Order)
	assert.Equal(t, o.ID, first[0].Order.ID)
	assert.Equal(t, orders.StatusCanceled, first[0].Order.Status)
	require.NotNil(t, first[1].Order)
	assert.Equal(t, orders.StatusOpen, first[1].Order.Status)
	assert.Empty(t, f.claim(t, merchantID), "leased, and order.canceled waits for order.created")

	// The first try fails: order.canceled still waits, until order.created is delivered.
	kept, err := f.store.RecordTry(ctx, &first[0], orders.TryResult{StartedAt: f.clock.Now(), HTTPStatus: 500,
		Error: "HTTP 500", NextTryAt: f.clock.Now().Add(30 * time.Second)})
	require.NoError(t, err)
	assert.True(t, kept)
	assert.Empty(t, f.claim(t, merchantID))
	f.clock.Advance(30 * time.Second)
	again := f.claim(t, merchantID)
	require.Equal(t, []string{first[0].Event.ID}, claimedIDs(again))
	assert.Equal(t, 1, again[0].Attempts)
	_, err = f.store.RecordTry(ctx, &again[0], orders.TryResult{StartedAt: f.clock.Now(), HTTPStatus: 200, Delivered: true})
	require.NoError(t, err)
	next := f.claim(t, merchantID)
	require.Len(t, next, 1)
	assert.Equal(t, orders.EventOrderCanceled, next[0].Event.Type)

	ev, tries, err := f.store.GetEventDelivery(ctx, merchantID, first[0].Event.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.DeliveryDelivered, ev.Delivery.State)
	assert.Equal(t, 2, ev.Delivery.Attempts)
	require.Len(t, tries, 2)
	assert.Equal(t, []int{500, 200}, []int{tries[0].HTTPStatus, tries[1].HTTPStatus})
	require.NotNil(t, tries[0].NextTryAt)
	assert.Nil(t, tries[1].NextTryAt)
}

func TestClaimDeliveriesLeaseRunsOut(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.newOrder(t, "A")
	f.enqueue(t, merchantID)
	lost := f.claim(t, merchantID)
	require.Len(t, lost, 1)

	// The worker holding it dies; once the lease has run out another takes it.
	f.clock.Advance(lease - time.Second)
	assert.Empty(t, f.claim(t, merchantID))
	f.clock.Advance(time.Second)
	taken := f.claim(t, merchantID)
	require.Equal(t, claimedIDs(lost), claimedIDs(taken))

	// The first worker's late answer is logged but does not move the delivery.
	kept, err := f.store.RecordTry(ctx, &lost[0], orders.TryResult{StartedAt: f.clock.Now(), HTTPStatus: 200, Delivered: true})
	require.NoError(t, err)
	assert.False(t, kept)
	ev, _, err := f.store.GetEventDelivery(ctx, merchantID, lost[0].Event.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.DeliveryPending, ev.Delivery.State)
	kept, err = f.store.RecordTry(ctx, &taken[0], orders.TryResult{StartedAt: f.clock.Now(), HTTPStatus: 200, Delivered: true})
	require.NoError(t, err)
	assert.True(t, kept)
	ev, tries, err := f.store.GetEventDelivery(ctx, merchantID, lost[0].Event.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.DeliveryDelivered, ev.Delivery.State)
	require.Len(t, tries, 2)
	assert.ElementsMatch(t, []int{1, 2}, []int{tries[0].Attempt, tries[1].Attempt}, "the lost lease's try is counted too")
}

func TestClaimDeliveriesPerMerchantShare(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.EnsureMerchant(ctx, orders.Merchant{ID: "m2", Name: "Two"}))
	for _, ref := range []string{"A1", "A2", "A3", "A4"} {
		f.newOrder(t, ref)
	}
	f.newOrder(t, "B1", func(o *orders.Order) { o.MerchantID = "m2" })
	f.enqueue(t, merchantID, "m2")

	got, err := f.store.ClaimDeliveries(ctx, orders.ClaimOptions{
		Merchants: []string{merchantID, "m2"}, Limit: 4, PerMerchant: 2, Busy: map[string]int{}, Lease: lease,
	})
	require.NoError(t, err)
	per := map[string]int{}
	for _, c := range got {
		per[c.Event.MerchantID]++
	}
	assert.Equal(t, map[string]int{merchantID: 2, "m2": 1}, per)

	got, err = f.store.ClaimDeliveries(ctx, orders.ClaimOptions{
		Merchants: []string{merchantID}, Limit: 4, PerMerchant: 2, Busy: map[string]int{merchantID: 2}, Lease: lease,
	})
	require.NoError(t, err)
	assert.Empty(t, got, "m1 already has its share in flight")
}

func TestFailedForGoodReleasesTheNextEvent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "A")
	_, err := f.store.CancelOrder(ctx, o.ID, "")
	require.NoError(t, err)
	f.enqueue(t, merchantID)
	c := f.claim(t, merchantID)
	require.Len(t, c, 1)
	_, err = f.store.RecordTry(ctx, &c[0], orders.TryResult{StartedAt: f.clock.Now(), Error: "connection refused"})
	require.NoError(t, err)
	next := f.claim(t, merchantID)
	require.Len(t, next, 1)
	assert.Equal(t, orders.EventOrderCanceled, next[0].Event.Type)
	ev, _, err := f.store.GetEventDelivery(ctx, merchantID, c[0].Event.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.DeliveryFailed, ev.Delivery.State)
	assert.Equal(t, "connection refused", ev.Delivery.LastError)
}

func TestRedeliver(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.newOrder(t, "A")
	f.enqueue(t, merchantID)
	c := f.claim(t, merchantID)
	require.Len(t, c, 1)
	_, err := f.store.RecordTry(ctx, &c[0], orders.TryResult{StartedAt: f.clock.Now(), HTTPStatus: 204, Delivered: true})
	require.NoError(t, err)
	assert.Empty(t, f.claim(t, merchantID))

	f.clock.Advance(time.Hour)
	ev, err := f.store.Redeliver(ctx, merchantID, c[0].Event.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.DeliveryPending, ev.Delivery.State)
	assert.Equal(t, f.clock.Now(), ev.Delivery.NextTryAt)
	again := f.claim(t, merchantID)
	require.Len(t, again, 1)
	assert.Equal(t, 1, again[0].Attempts)

	_, err = f.store.Redeliver(ctx, "m2", c[0].Event.ID)
	assert.ErrorIs(t, err, orders.ErrNotFound, "another merchant's event")
}

func TestListEventDeliveriesPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var ids []string
	for _, ref := range []string{"A", "B", "C"} {
		ids = append(ids, f.newOrder(t, ref).ID)
		f.clock.Advance(time.Second)
	}
	page, more, err := f.store.ListEventDeliveries(ctx, merchantID, orders.EventFilter{Limit: 2})
	require.NoError(t, err)
	require.True(t, more)
	require.Len(t, page, 2)
	assert.Equal(t, []string{ids[2], ids[1]}, []string{page[0].OrderID, page[1].OrderID})
	rest, more, err := f.store.ListEventDeliveries(ctx, merchantID, orders.EventFilter{Limit: 2, StartingAfter: page[1].ID})
	require.NoError(t, err)
	assert.False(t, more)
	require.Len(t, rest, 1)
	assert.Equal(t, ids[0], rest[0].OrderID)

	byOrder, _, err := f.store.ListEventDeliveries(ctx, merchantID, orders.EventFilter{OrderID: ids[1]})
	require.NoError(t, err)
	require.Len(t, byOrder, 1)
	_, _, err = f.store.ListEventDeliveries(ctx, merchantID, orders.EventFilter{StartingAfter: "evt_nope"})
	assert.ErrorIs(t, err, &orders.Error{Code: orders.CodeInvalidCursor})
}

// A delivered try's record claims the order's next event in the same transaction; a
// failed try, a lost lease or a next event another claim holds claim nothing.
func TestRecordTryAndClaimNext(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "A")
	_, err := f.store.CancelOrder(ctx, o.ID, "buyer left")
	require.NoError(t, err)
	other := f.newOrder(t, "B")
	f.enqueue(t, merchantID)
	first := f.claim(t, merchantID)
	require.Len(t, first, 2)
	require.Equal(t, o.ID, first[0].Event.OrderID)

	// A failed try: order.canceled still waits behind order.created.
	kept, next, err := f.store.RecordTryAndClaimNext(ctx, &first[0], orders.TryResult{StartedAt: f.clock.Now(),
		HTTPStatus: 500, Error: "HTTP 500", NextTryAt: f.clock.Now().Add(30 * time.Second)}, lease)
	require.NoError(t, err)
	assert.True(t, kept)
	assert.Nil(t, next)
	f.clock.Advance(30 * time.Second)
	again := f.claim(t, merchantID)
	require.Equal(t, []string{first[0].Event.ID}, claimedIDs(again))

	// Delivered: the record holds the lease of order.canceled, and no claim gets it.
	kept, next, err = f.store.RecordTryAndClaimNext(ctx, &again[0], orders.TryResult{StartedAt: f.clock.Now(),
		HTTPStatus: 200, Delivered: true}, lease)
	require.NoError(t, err)
	assert.True(t, kept)
	require.NotNil(t, next)
	assert.Equal(t, orders.EventOrderCanceled, next.Event.Type)
	assert.Equal(t, o.ID, next.Event.OrderID)
	assert.Equal(t, 0, next.Attempts)
	require.NotNil(t, next.Order, "the next claim carries its order too")
	assert.Equal(t, orders.StatusCanceled, next.Order.Status)
	assert.Empty(t, f.claim(t, merchantID), "leased by the record")
	f.clock.Advance(lease)
	relet := f.claim(t, merchantID)
	require.ElementsMatch(t, []string{next.Event.ID, first[1].Event.ID}, claimedIDs(relet), "a lease like a claim's: it runs out")
	if relet[0].Event.ID != next.Event.ID {
		relet[0], relet[1] = relet[1], relet[0]
	}
	kept, last, err := f.store.RecordTryAndClaimNext(ctx, next, orders.TryResult{StartedAt: f.clock.Now(), HTTPStatus: 200, Delivered: true}, lease)
	require.NoError(t, err)
	assert.False(t, kept, "the lease was lost: the try is logged, the delivery left to the new claim")
	assert.Nil(t, last)
	kept, last, err = f.store.RecordTryAndClaimNext(ctx, &relet[0], orders.TryResult{StartedAt: f.clock.Now(), HTTPStatus: 200, Delivered: true}, lease)
	require.NoError(t, err)
	assert.True(t, kept)
	assert.Nil(t, last, "the order has no more events")
	ev, tries, err := f.store.GetEventDelivery(ctx, merchantID, next.Event.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.DeliveryDelivered, ev.Delivery.State)
	assert.Len(t, tries, 2)

	// The other order's delivery, claimed and never tried, is untouched.
	ev, _, err = f.store.GetEventDelivery(ctx, merchantID, first[1].Event.ID)
	require.NoError(t, err)
	assert.Equal(t, other.ID, ev.OrderID)
	assert.Equal(t, orders.DeliveryPending, ev.Delivery.State)
	assert.Equal(t, 0, ev.Delivery.Attempts)
}

// A delivery whose order cannot be read does not fail the claim: its Order is nil (the
// worker reads the order again and the try fails with the reason), and the merchant's
// other deliveries are claimed with theirs.
func TestClaimWithAnOrderThatCannotBeRead(t *testing.T) {
	f := newFixture(t)
	bad := f.newOrder(t, "A")
	good := f.newOrder(t, "B")
	f.enqueue(t, merchantID)
	_, err := f.raw.Exec(`UPDATE orders SET amount = 'not a number' WHERE reference = 'A'`)
	require.NoError(t, err)

	claimed := f.claim(t, merchantID)
	require.Len(t, claimed, 2)
	byOrder := map[string]*orders.Order{}
	for _, c := range claimed {
		byOrder[c.Event.OrderID] = c.Order
	}
	assert.Nil(t, byOrder[bad.ID])
	require.NotNil(t, byOrder[good.ID])
	assert.Equal(t, good.ID, byOrder[good.ID].ID)
}
