package orders_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// ids lists the orders' ids in their order.
func ids(list []orders.Order) []string {
	out := make([]string, len(list))
	for i, o := range list {
		out[i] = o.ID
	}
	return out
}

// listAll pages through the merchant's orders matching lf, limit at a time, and returns
// every id in the order seen. between runs after each page.
func (f *fixture) listAll(t *testing.T, merchant string, lf orders.ListFilter, between func()) []string {
	t.Helper()
	all := []string{}
	for range 10_000 {
		page, more, err := f.store.ListOrders(context.Background(), merchant, lf)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), max(lf.Limit, orders.DefaultListLimit))
		all = append(all, ids(page)...)
		if !more {
			return all
		}
		require.NotEmpty(t, page, "has_more with an empty page")
		lf.StartingAfter = page[len(page)-1].ID
		if between != nil {
			between()
		}
	}
	t.Fatal("paging did not end")
	return nil
}

// reversed returns the ids of list, last first: the orders were created oldest first.
func reversed(list []*orders.Order) []string {
	out := make([]string, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].ID)
	}
	return out
}

func TestListOrdersNewestFirstInPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var created []*orders.Order
	for i := range 7 {
		// Pairs share an instant: the tie is broken by insertion order, newest first.
		if i%2 == 0 {
			f.clock.Advance(time.Second)
		}
		created = append(created, f.newOrder(t, fmt.Sprintf("R-%d", i)))
	}
	want := reversed(created)

	page, more, err := f.store.ListOrders(ctx, merchantID, orders.ListFilter{Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, want[:3], ids(page))
	assert.True(t, more)
	page, more, err = f.store.ListOrders(ctx, merchantID, orders.ListFilter{Limit: 3, StartingAfter: want[2]})
	require.NoError(t, err)
	assert.Equal(t, want[3:6], ids(page))
	assert.True(t, more)
	page, more, err = f.store.ListOrders(ctx, merchantID, orders.ListFilter{Limit: 3, StartingAfter: want[5]})
	require.NoError(t, err)
	assert.Equal(t, want[6:], ids(page))
	assert.False(t, more)
	page, more, err = f.store.ListOrders(ctx, merchantID, orders.ListFilter{Limit: 3, StartingAfter: want[6]})
	require.NoError(t, err)
	assert.Empty(t, page)
	assert.False(t, more)

	// Exactly a page's worth left: no has_more.
	page, more, err = f.store.ListOrders(ctx, merchantID, orders.ListFilter{Limit: 7})
	require.NoError(t, err)
	assert.Equal(t, want, ids(page))
	assert.False(t, more)

	// No limit is the default; a limit over the maximum is the maximum.
	for i := 7; i < orders.MaxListLimit+1; i++ {
		f.newOrder(t, fmt.Sprintf("R-%d", i))
	}
	page, more, err = f.store.ListOrders(ctx, merchantID, orders.ListFilter{})
	require.NoError(t, err)
	assert.Len(t, page, orders.DefaultListLimit)
	assert.True(t, more)
	page, more, err = f.store.ListOrders(ctx, merchantID, orders.ListFilter{Limit: 1000})
	require.NoError(t, err)
	assert.Len(t, page, orders.MaxListLimit)
	assert.True(t, more)
}

// A listed order is the order GetOrder gives: attempts, status and all.
func TestListOrdersLoadsEachOrderAsGetOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	paid := f.newOrder(t, "paid")
	a := f.redirectedAttempt(t, paid.ID)
	_, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T-1"})
	require.NoError(t, err)
	failed := f.newOrder(t, "failed")
	_, err = f.store.FailAttempt(ctx, f.startedAttempt(t, failed.ID).ID, orders.Failure{ResultCode: "X"})
	require.NoError(t, err)
	f.newOrder(t, "open")

	page, more, err := f.store.ListOrders(ctx, merchantID, orders.ListFilter{})
	require.NoError(t, err)
	assert.False(t, more)
	require.Len(t, page, 3)
	for _, o := range page {
		got, err := f.store.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		assert.Equal(t, *got, o, o.Reference)
	}
	assert.Equal(t, orders.StatusPaid, page[2].Status)
	require.Len(t, page[2].Attempts, 1)
	assert.Equal(t, orders.AttemptSucceeded, page[2].Attempts[0].Status)
	require.Len(t, page[1].Attempts, 1)
	assert.Equal(t, orders.AttemptFailed, page[1].Attempts[0].Status)
}

// startedAttempt starts an attempt that has not reached the bank.
func (f *fixture) startedAttempt(t *testing.T, orderID string) *orders.Attempt {
	t.Helper()
	a := &orders.Attempt{Installments: 1, CardHolder: "Ali Veli", CardFirst6: "526911", CardLast4: "4444", CardBrand: "mastercard"}
	_, err := f.store.StartAttempt(context.Background(), orderID, a)
	require.NoError(t, err)
	return a
}

func TestListOrdersFilters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	start := f.clock.Now()
	open := f.newOrder(t, "open")
	f.clock.Advance(time.Minute)
	paid := f.newOrder(t, "paid")
	a := f.redirectedAttempt(t, paid.ID)
	_, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T-1"})
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	canceled := f.newOrder(t, "canceled")
	_, err = f.store.CancelOrder(ctx, canceled.ID, "merchant")
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	// Stored open, but its time has run out once the clock moves on: listed as expired.
	late := f.newOrder(t, "late", func(o *orders.Order) { o.ExpiresAt = f.clock.Now().Add(2 * time.Minute) })
	f.clock.Advance(time.Minute)
	processing := f.newOrder(t, "processing")
	f.redirectedAttempt(t, processing.ID)
	f.clock.Advance(2 * time.Minute)
	// Another merchant's order is never listed, whatever the filter.
	require.NoError(t, f.store.EnsureMerchant(ctx, orders.Merchant{ID: "m2", Name: "Other"}))
	f.newOrder(t, "open", func(o *orders.Order) { o.MerchantID = "m2" })

	cases := []struct {
		name string
		lf   orders.ListFilter
		want []*orders.Order
	}{
		{"all", orders.ListFilter{}, []*orders.Order{processing, late, canceled, paid, open}},
		{"open", orders.ListFilter{Statuses: []orders.Status{orders.StatusOpen}}, []*orders.Order{open}},
		{"expired counts an open order past its time", orders.ListFilter{Statuses: []orders.Status{orders.StatusExpired}}, []*orders.Order{late}},
		{"several statuses", orders.ListFilter{Statuses: []orders.Status{orders.StatusPaid, orders.StatusCanceled, orders.StatusPaid}}, []*orders.Order{canceled, paid}},
		{"processing", orders.ListFilter{Statuses: []orders.Status{orders.StatusProcessing}}, []*orders.Order{processing}},
		{"no such status", orders.ListFilter{Statuses: []orders.Status{"nope"}}, nil},
		{"from is inclusive", orders.ListFilter{CreatedFrom: paid.CreatedAt}, []*orders.Order{processing, late, canceled, paid}},
		{"to is exclusive", orders.ListFilter{CreatedTo: paid.CreatedAt}, []*orders.Order{open}},
		{"window", orders.ListFilter{CreatedFrom: start.Add(time.Minute), CreatedTo: start.Add(3 * time.Minute)}, []*orders.Order{canceled, paid}},
		{"window in another zone", orders.ListFilter{CreatedFrom: start.Add(time.Minute).In(time.FixedZone("TRT", 3*3600))}, []*orders.Order{processing, late, canceled, paid}},
		{"reference", orders.ListFilter{Reference: "paid"}, []*orders.Order{paid}},
		{"reference and status", orders.ListFilter{Reference: "paid", Statuses: []orders.Status{orders.StatusOpen}}, nil},
		{"reference of nobody", orders.ListFilter{Reference: "nope"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.lf.Limit = 2
			want := make([]string, 0, len(tc.want))
			for _, o := range tc.want {
				want = append(want, o.ID)
			}
			assert.Equal(t, want, f.listAll(t, merchantID, tc.lf, nil))
		})
	}
}

func TestListOrdersOnlyTheMerchants(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.EnsureMerchant(ctx, orders.Merchant{ID: "m2", Name: "Other"}))
	mine := f.newOrder(t, "R-1")
	theirs := f.newOrder(t, "R-1", func(o *orders.Order) { o.MerchantID = "m2" })

	page, _, err := f.store.ListOrders(ctx, "m2", orders.ListFilter{})
	require.NoError(t, err)
	assert.Equal(t, []string{theirs.ID}, ids(page))
	page, _, err = f.store.ListOrders(ctx, "nobody", orders.ListFilter{})
	require.NoError(t, err)
	assert.Empty(t, page)

	// A cursor must be one of the merchant's own orders: another's, or none, is refused.
	for _, cursor := range []string{theirs.ID, "ord_nope"} {
		_, _, err = f.store.ListOrders(ctx, merchantID, orders.ListFilter{StartingAfter: cursor})
		require.Error(t, err)
		assert.Equal(t, orders.CodeInvalidCursor, orders.ErrorCode(err), cursor)
		var oe *orders.Error
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, "starting_after", oe.Field)
	}
	page, _, err = f.store.ListOrders(ctx, merchantID, orders.ListFilter{StartingAfter: mine.ID})
	require.NoError(t, err)
	assert.Empty(t, page)
}

// The cursor is a position: a cursor order whose status has changed since the last
// page, and so no longer matches the filter, still marks where the next page starts.
func TestListOrdersCursorOutsideTheFilter(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var open []*orders.Order
	for i := range 4 {
		open = append(open, f.newOrder(t, fmt.Sprintf("R-%d", i)))
	}
	lf := orders.ListFilter{Statuses: []orders.Status{orders.StatusOpen}, Limit: 2}
	page, more, err := f.store.ListOrders(ctx, merchantID, lf)
	require.NoError(t, err)
	require.True(t, more)
	require.Equal(t, []string{open[3].ID, open[2].ID}, ids(page))
	_, err = f.store.CancelOrder(ctx, open[2].ID, "merchant")
	require.NoError(t, err)

	lf.StartingAfter = open[2].ID
	page, more, err = f.store.ListOrders(ctx, merchantID, lf)
	require.NoError(t, err)
	assert.Equal(t, []string{open[1].ID, open[0].ID}, ids(page))
	assert.False(t, more)
}

// Orders created between two pages, in the cursor's instant or later, come before the
// cursor: the pages still hold every older order exactly once.
func TestListOrdersStableUnderInsertsBetweenPages(t *testing.T) {
	f := newFixture(t)
	var before []*orders.Order
	for i := range 25 {
		if i%3 == 0 {
			f.clock.Advance(time.Second)
		}
		before = append(before, f.newOrder(t, fmt.Sprintf("old-%d", i)))
	}
	n := 0
	got := f.listAll(t, merchantID, orders.ListFilter{Limit: 4}, func() {
		// One in the instant of the newest orders seen so far, one later.
		f.newOrder(t, fmt.Sprintf("new-%d", n))
		f.clock.Advance(time.Millisecond)
		f.newOrder(t, fmt.Sprintf("new-%d-later", n))
		n++
	})
	require.Positive(t, n)
	assert.Equal(t, reversed(before), got, "every older order once, newest first, none of the new ones")

	// The new orders are all there for the next reader.
	all := f.listAll(t, merchantID, orders.ListFilter{Limit: orders.MaxListLimit}, nil)
	assert.Len(t, all, len(before)+2*n)
}

// Writers create orders while a reader pages through everything: each order that
// existed before the reader started is seen exactly once, and no order twice. Some
// writers step the clock back, so that their orders land behind the reader's cursor
// too. The reader waits for one more write after each page, so every page is read while
// orders are being written.
func TestListOrdersStableUnderConcurrentInserts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var before []*orders.Order
	for i := range 60 {
		if i%4 == 0 {
			f.clock.Advance(time.Millisecond)
		}
		before = append(before, f.newOrder(t, fmt.Sprintf("old-%d", i)))
	}

	const writers, perWriter = 4, 40
	written := make(chan struct{}, writers*perWriter)
	stop, finished := make(chan struct{}), make(chan struct{})
	errs := make(chan error, writers*perWriter)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				select {
				case <-stop:
					return
				default:
				}
				o := &orders.Order{MerchantID: merchantID, Reference: fmt.Sprintf("new-%d-%d", w, i),
					Amount: before[0].Amount, Currency: "TRY", ExpiresAt: f.clock.Now().Add(time.Hour)}
				step := time.Microsecond // some share an instant, some do not
				if w < 2 {
					// Among the older orders (which span 15ms): behind the reader's
					// cursor, or before it.
					step = -time.Duration((i*7+w*3)%16)*time.Millisecond - 500*time.Microsecond
				}
				f.clock.Advance(step)
				errs <- f.store.CreateOrder(ctx, o)
				f.clock.Advance(-step)
				written <- struct{}{}
			}
		})
	}
	go func() { wg.Wait(); close(finished) }()
	got := f.listAll(t, merchantID, orders.ListFilter{Limit: 3}, func() {
		select {
		case <-written:
		case <-finished:
		}
	})
	close(stop)
	<-finished
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "order %s listed %d times", id, n)
	}
	for _, o := range before {
		assert.Equal(t, 1, seen[o.ID], "pre-existing order %s", o.Reference)
	}
	// The older orders come in their order, whatever was inserted around them.
	old := map[string]bool{}
	for _, o := range before {
		old[o.ID] = true
	}
	var olds []string
	for _, id := range got {
		if old[id] {
			olds = append(olds, id)
		}
	}
	assert.Equal(t, reversed(before), olds)
}
