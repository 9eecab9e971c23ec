package orders_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// The benchmarks run each write and read of the buyer's flow on a real file with
// synchronous=FULL: every write is on disk before it returns. The serial ones pay one
// fsync per write; the Parallel ones show group commit, many writes sharing one fsync
// (writes/txn is reported). Run them with:
//
//	go test -run '^$' -bench . -benchmem ./internal/orders

func benchStore(b *testing.B) *orders.Store {
	b.Helper()
	s, err := orders.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), time.Now)
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	require.NoError(b, s.EnsureMerchant(context.Background(), orders.Merchant{ID: merchantID, Name: "Shop"}))
	return s
}

var benchRef atomic.Int64

func benchOrder() *orders.Order {
	return &orders.Order{
		MerchantID: merchantID, Reference: fmt.Sprintf("bench-%d", benchRef.Add(1)),
		Amount: decimal.RequireFromString("150.00"), Currency: "TRY", Description: "Two books",
		Installments: []int{1, 3}, ExpiresAt: time.Now().Add(time.Hour),
	}
}

func benchAttempt() *orders.Attempt {
	return &orders.Attempt{Installments: 1, CardHolder: "Ayse Yilmaz", CardFirst6: "418344", CardLast4: "3339", CardBrand: "visa"}
}

// redirected prepares n orders, each with an attempt at the bank.
func redirected(b *testing.B, s *orders.Store, n int) []*orders.Attempt {
	b.Helper()
	ctx := context.Background()
	out := make([]*orders.Attempt, n)
	for i := range out {
		o := benchOrder()
		require.NoError(b, s.CreateOrder(ctx, o))
		a := benchAttempt()
		_, err := s.StartAttempt(ctx, o.ID, a)
		require.NoError(b, err)
		require.NoError(b, s.MarkRedirected(ctx, a.ID, "code", "https://bank.example/3d"))
		out[i] = a
	}
	return out
}

func reportBatching(b *testing.B, s *orders.Store, writes0, batches0 int64) {
	st := s.Stats()
	if batches := st.Batches.Load() - batches0; batches > 0 {
		b.ReportMetric(float64(st.Writes.Load()-writes0)/float64(batches), "writes/txn")
	}
}

func BenchmarkCreateOrder(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CreateOrder(ctx, benchOrder()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateOrderParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	w0, t0 := s.Stats().Writes.Load(), s.Stats().Batches.Load()
	b.ReportAllocs()
	b.SetParallelism(16) // 16 goroutines per core: buyers outnumber cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.CreateOrder(ctx, benchOrder()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportBatching(b, s, w0, t0)
}

func BenchmarkStartAttempt(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.StopTimer()
	ids := make([]string, b.N)
	for i := range ids {
		o := benchOrder()
		require.NoError(b, s.CreateOrder(ctx, o))
		ids[i] = o.ID
	}
	b.ReportAllocs()
	b.StartTimer()
	for i := range b.N {
		if _, err := s.StartAttempt(ctx, ids[i], benchAttempt()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarkRedirected(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.StopTimer()
	ids := make([]string, b.N)
	for i := range ids {
		o := benchOrder()
		require.NoError(b, s.CreateOrder(ctx, o))
		a := benchAttempt()
		_, err := s.StartAttempt(ctx, o.ID, a)
		require.NoError(b, err)
		ids[i] = a.ID
	}
	b.ReportAllocs()
	b.StartTimer()
	for i := range b.N {
		if err := s.MarkRedirected(ctx, ids[i], "code", "https://bank.example/3d"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordOutcome(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.StopTimer()
	as := redirected(b, s, b.N)
	b.ReportAllocs()
	b.StartTimer()
	for i := range b.N {
		rr, err := s.RecordOutcome(ctx, as[i].ID, orders.Outcome{Success: true, TrxCode: "T"})
		if err != nil || !rr.Recorded {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordOutcomeParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.StopTimer()
	as := redirected(b, s, b.N)
	var next atomic.Int64
	w0, t0 := s.Stats().Writes.Load(), s.Stats().Batches.Load()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.StartTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a := as[next.Add(1)-1]
			if rr, err := s.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T"}); err != nil || !rr.Recorded {
				b.Error(err)
				return
			}
		}
	})
	reportBatching(b, s, w0, t0)
}

// BenchmarkGetOrder reads an order with its attempt, as the card page, the result page
// and the API do. reprepares/op must stay 0: statements are compiled once per connection.
func BenchmarkGetOrder(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	as := redirected(b, s, 64)
	conn, err := orders.ReadDB(s).Conn(ctx)
	require.NoError(b, err)
	before, err := orders.Reprepares(conn)
	require.NoError(b, err)
	require.NoError(b, conn.Close())
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := s.GetOrder(ctx, as[i%len(as)].OrderID); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	// The pool's connections are all asked; each has its own statements.
	var after int64
	for range orders.DefaultReadConns {
		c, err := orders.ReadDB(s).Conn(ctx)
		require.NoError(b, err)
		n, err := orders.Reprepares(c)
		require.NoError(b, err)
		after += n
		defer c.Close()
	}
	b.ReportMetric(float64(after-before)/float64(b.N), "reprepares/op")
}

func BenchmarkGetOrderParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	as := redirected(b, s, 64)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetOrder(ctx, as[next.Add(1)%int64(len(as))].OrderID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGetAttempt(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	as := redirected(b, s, 64)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.GetAttempt(ctx, as[i%len(as)].ID); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
