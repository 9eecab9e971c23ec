package orders_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// 200 buyers at once, each doing a whole flow on its own order (create, start, redirect,
// a racing double return) and some reusing a reference: every caller gets its own right
// answer, nobody sees "database is locked", and the writes shared transactions.
func TestManyConcurrentWritersEachGetTheirOwnResult(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n = 200
	type result struct {
		order    *orders.Order
		dupErr   error
		recorded int
		err      error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			r := &results[i]
			o := &orders.Order{MerchantID: merchantID, Reference: fmt.Sprintf("load-%d", i),
				Amount: decimal.RequireFromString("150.00"), Currency: "TRY", ExpiresAt: f.clock.Now().Add(time.Hour)}
			if r.err = f.store.CreateOrder(ctx, o); r.err != nil {
				return
			}
			r.order = o
			// Every fourth buyer also tries the same reference again: refused, alone.
			if i%4 == 0 {
				r.dupErr = f.store.CreateOrder(ctx, &orders.Order{MerchantID: merchantID, Reference: o.Reference,
					Amount: o.Amount, Currency: "TRY", ExpiresAt: o.ExpiresAt})
			}
			a := &orders.Attempt{Installments: 1, CardFirst6: "418344", CardLast4: "3339", CardBrand: "visa"}
			if _, r.err = f.store.StartAttempt(ctx, o.ID, a); r.err != nil {
				return
			}
			if r.err = f.store.MarkRedirected(ctx, a.ID, "code-"+a.ID, "https://bank.example/"+a.ID); r.err != nil {
				return
			}
			// Two returns race: one records, the other sees the outcome.
			var rw sync.WaitGroup
			var mu sync.Mutex
			success := i%3 != 0
			for range 2 {
				rw.Go(func() {
					rr, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: success, TrxCode: "T-" + a.ID, ResultCode: "x"})
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						r.err = err
					} else if rr.Recorded {
						r.recorded++
					}
				})
			}
			rw.Wait()
		})
	}
	close(start)
	wg.Wait()

	for i, r := range results {
		require.NoError(t, r.err, "buyer %d", i)
		if i%4 == 0 {
			assert.Equal(t, orders.CodeDuplicateReference, orders.ErrorCode(r.dupErr), "buyer %d", i)
		}
		assert.Equal(t, 1, r.recorded, "buyer %d: one return recorded", i)
		got, err := f.store.GetOrder(ctx, r.order.ID)
		require.NoError(t, err)
		want := orders.StatusPaid
		if i%3 == 0 {
			want = orders.StatusOpen
		}
		assert.Equal(t, want, got.Status, "buyer %d", i)
		assert.Equal(t, r.order.Reference, got.Reference)
	}
	var orderRows int
	require.NoError(t, f.raw.QueryRow("SELECT count(*) FROM orders").Scan(&orderRows))
	assert.Equal(t, n, orderRows)

	st := f.store.Stats()
	if f.db.Postgres {
		// Every write is its own transaction, many at once.
		t.Logf("at most %d writes at once", st.PeakRunning.Load())
		assert.Greater(t, st.PeakRunning.Load(), int64(1), "writes ran at once: the race happened")
		return
	}
	writes, batches := st.Writes.Load(), st.Batches.Load()
	t.Logf("%d writes in %d transactions", writes, batches)
	assert.Less(t, batches, writes, "writes were grouped: the race happened")
}

// A write answered is on disk: a child process creates orders from 8 goroutines and
// prints each id once CreateOrder has returned; it is killed (SIGKILL) mid-stream, and
// every id it printed is in the database afterwards.
func TestKilledProcessLosesNothingItAnswered(t *testing.T) {
	if os.Getenv("ORDERS_CRASH_CHILD") != "" {
		t.Skip("child mode")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ORDERS_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var answered []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(answered) < 300 {
		if id, ok := strings.CutPrefix(sc.Text(), "created "); ok {
			answered = append(answered, id)
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.Len(t, answered, 300, "the child answered before it was killed")

	s, err := orders.Open(context.Background(), path, time.Now)
	require.NoError(t, err)
	defer s.Close()
	for _, id := range answered {
		_, err := s.GetOrder(context.Background(), id)
		require.NoError(t, err, "order %s was answered, so it must be stored", id)
	}
}

// TestCrashChild is the child of TestKilledProcessLosesNothingItAnswered: it writes
// until killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("ORDERS_CRASH_CHILD")
	if path == "" {
		t.Skip("run by TestKilledProcessLosesNothingItAnswered")
	}
	ctx := context.Background()
	s, err := orders.Open(ctx, path, time.Now)
	require.NoError(t, err)
	require.NoError(t, s.EnsureMerchant(ctx, orders.Merchant{ID: merchantID, Name: "Shop"}))
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				o := &orders.Order{MerchantID: merchantID, Reference: fmt.Sprintf("crash-%d-%d", g, i),
					Amount: decimal.RequireFromString("1.00"), Currency: "TRY", ExpiresAt: time.Now().Add(time.Hour)}
				if err := s.CreateOrder(ctx, o); err != nil {
					panic(err)
				}
				mu.Lock()
				fmt.Fprintf(w, "created %s\n", o.ID)
				_ = w.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
