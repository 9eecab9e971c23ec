package reconcile_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/reconcile"
)

// askCounter counts the reconcilers' questions to Moka, per payment, and holds each
// reconciler's first question until both have asked one: then the two passes ran at once.
type askCounter struct {
	mu    sync.Mutex
	asked map[string]int
	first map[string]chan struct{}
	once  sync.Map
}

type countingDetailer struct {
	c    *askCounter
	tag  string
	next reconcile.Detailer
}

func (d countingDetailer) PaymentDetail(ctx context.Context, req moka.PaymentDetailRequest) (*moka.PaymentDetailResult, error) {
	d.c.mu.Lock()
	d.c.asked[req.OtherTrxCode]++
	d.c.mu.Unlock()
	if _, seen := d.c.once.LoadOrStore(d.tag, true); !seen {
		close(d.c.first[d.tag])
	}
	for _, ch := range d.c.first {
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return d.next.PaymentDetail(ctx, req)
}

// Two instances' reconcilers, each with its own store on one database, pass over the
// same lost bank returns at the same time: Moka is asked about each payment once, and
// each is recorded once.
func TestTwoInstancesReconcileEachAttemptOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n = 10
	var ids []string
	for i := range n {
		o := f.order(t, fmt.Sprintf("R-%d", i), orders.CaptureAuto)
		_, bank := f.atBank(t, o, "4183441122223339")
		passOTP(t, bank, sandbox.DemoOTP)
		ids = append(ids, o.ID)
	}
	f.clock.Add(16 * time.Minute)

	counter := &askCounter{asked: map[string]int{}, first: map[string]chan struct{}{"1": make(chan struct{}), "2": make(chan struct{})}}
	other := f.db.Open(t, f.clock.Now)
	recs := []*reconcile.Reconciler{f.rec, {
		Store: other, After: f.rec.After, GiveUp: f.rec.GiveUp, Watch: f.rec.Watch, Now: f.clock.Now, Log: f.rec.Log,
	}}
	for i, r := range recs {
		tag := fmt.Sprint(i + 1)
		r.Moka = func(string) reconcile.Detailer { return countingDetailer{c: counter, tag: tag, next: f.client} }
	}
	timeout, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	reports := make([]reconcile.Report, len(recs))
	var wg sync.WaitGroup
	for i, r := range recs {
		wg.Go(func() {
			var err error
			reports[i], err = r.RunOnce(timeout)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.NoError(t, timeout.Err(), "both passes asked Moka at the same time")

	assert.Equal(t, n, reports[0].Paid+reports[1].Paid, "reports %+v", reports)
	assert.Positive(t, reports[0].Paid)
	assert.Positive(t, reports[1].Paid)
	counter.mu.Lock()
	assert.Len(t, counter.asked, n)
	for trx, times := range counter.asked {
		assert.Equal(t, 1, times, "Moka asked about %s once", trx)
	}
	counter.mu.Unlock()
	for _, id := range ids {
		o, err := f.store.GetOrder(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, orders.StatusPaid, o.Status)
		evs, err := f.store.OrderEvents(ctx, "shop", id)
		require.NoError(t, err)
		paid := 0
		for _, e := range evs {
			if e.Type == orders.EventOrderPaid {
				paid++
			}
		}
		assert.Equal(t, 1, paid, "order %s paid once", id)
	}
}
