package orders_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// BenchmarkListOrders reads pages of 100 from a merchant with 10,000 orders, a quarter
// of them paid (one attempt each), the rest open. Each order of a page is loaded as
// GetOrder loads it, in the page's read transaction.
//
//	go test -run '^$' -bench ListOrders -benchmem ./internal/orders
func BenchmarkListOrders(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	const n, workers = 10_000, 64
	// Written in parallel, so that group commit makes the setup quick.
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				o := benchOrder()
				if err := s.CreateOrder(ctx, o); err != nil {
					b.Error(err)
					return
				}
				if i%4 != 0 {
					continue
				}
				a := benchAttempt()
				_, err := s.StartAttempt(ctx, o.ID, a)
				if err == nil {
					err = s.MarkRedirected(ctx, a.ID, "code", "https://bank.example/3d")
				}
				if err == nil {
					_, err = s.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T"})
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	first, _, err := s.ListOrders(ctx, merchantID, orders.ListFilter{Limit: 100})
	require.NoError(b, err)
	// The cursor of a page in the middle of the list.
	lf := orders.ListFilter{Limit: orders.MaxListLimit}
	for range n / 2 / orders.MaxListLimit {
		page, _, err := s.ListOrders(ctx, merchantID, lf)
		require.NoError(b, err)
		lf.StartingAfter = page[len(page)-1].ID
	}
	middle := lf.StartingAfter

	for _, bc := range []struct {
		name string
		lf   orders.ListFilter
		want int
	}{
		{"first page of 100", orders.ListFilter{Limit: 100}, 100},
		{"page of 100 in the middle", orders.ListFilter{Limit: 100, StartingAfter: middle}, 100},
		{"page of 20", orders.ListFilter{Limit: 20}, 20},
		{"paid, page of 100", orders.ListFilter{Limit: 100, Statuses: []orders.Status{orders.StatusPaid}}, 100},
		{"by reference", orders.ListFilter{Reference: first[50].Reference}, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, _, err := s.ListOrders(ctx, merchantID, bc.lf)
				if err != nil || len(page) != bc.want {
					b.Fatalf("%d orders, %v", len(page), err)
				}
			}
		})
	}
}
