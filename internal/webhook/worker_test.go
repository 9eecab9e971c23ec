package webhook_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/webhook"
)

func TestDeliverySignedAndVerified(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	o := e.order(t, "shop", "A")
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t)})

	require.Equal(t, 1, runOnce(t, w))
	got := rc.deliveries()
	require.Len(t, got, 1)
	d := got[0]

	wh, err := standardwebhooks.NewWebhook(specSecret)
	require.NoError(t, err)
	assert.NoError(t, wh.Verify(d.body, d.header), "the spec's own verification, with its 5 minute tolerance")
	assert.NoError(t, webhook.Verify(secrets(t, specSecret), d.header, d.body, e.clock.Now(), webhook.DefaultTolerance))
	assert.Equal(t, "application/json", d.header.Get("Content-Type"))

	ev := d.event(t)
	assert.Equal(t, d.header.Get(webhook.HeaderID), ev["id"])
	assert.Equal(t, orders.EventOrderCreated, ev["type"])
	order := ev["data"].(map[string]any)["order"].(map[string]any)
	assert.Equal(t, o.ID, order["id"])
	assert.Equal(t, "150.00", order["amount"], "money as a string")

	page, _, err := e.store.ListEventDeliveries(context.Background(), "shop", orders.EventFilter{})
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Equal(t, orders.DeliveryDelivered, page[0].Delivery.State)
	assert.Equal(t, 0, runOnce(t, w), "a 2xx ends it")

	// The documented check refuses the same delivery with a changed body, or late.
	tampered := strings.Replace(string(d.body), `"150.00"`, `"1.00"`, 1)
	assert.ErrorIs(t, webhook.Verify(secrets(t, specSecret), d.header, []byte(tampered), e.clock.Now(), webhook.DefaultTolerance),
		webhook.ErrNoMatchingSignature)
	assert.ErrorIs(t, webhook.Verify(secrets(t, specSecret), d.header, d.body, e.clock.Now().Add(6*time.Minute), webhook.DefaultTolerance),
		webhook.ErrTimestampOutOfRange)
}

func TestRetriesWithGrowingBackoff(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= 3 {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}
	})
	o := e.order(t, "shop", "A")
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t)})

	for i, wait := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
		require.Equal(t, 1, runOnce(t, w), "try %d", i+1)
		e.clock.Advance(wait - time.Second)
		require.Equal(t, 0, runOnce(t, w), "not due before its backoff")
		e.clock.Advance(time.Second)
	}
	require.Equal(t, 1, runOnce(t, w))
	require.Equal(t, 0, runOnce(t, w))

	got := rc.deliveries()
	require.Len(t, got, 4)
	for _, d := range got[1:] {
		assert.Equal(t, got[0].header.Get(webhook.HeaderID), d.header.Get(webhook.HeaderID), "every try has the event's id")
	}
	assert.NotEqual(t, got[0].header.Get(webhook.HeaderTimestamp), got[3].header.Get(webhook.HeaderTimestamp), "each try signed when made")

	page, _, err := e.store.ListEventDeliveries(context.Background(), "shop", orders.EventFilter{OrderID: o.ID})
	require.NoError(t, err)
	ev, tries, err := e.store.GetEventDelivery(context.Background(), "shop", page[0].ID)
	require.NoError(t, err)
	assert.Equal(t, orders.DeliveryDelivered, ev.Delivery.State)
	assert.Equal(t, 4, ev.Delivery.Attempts)
	require.Len(t, tries, 4)
	var waits []time.Duration
	for i, tr := range tries[:3] {
		assert.Equal(t, http.StatusServiceUnavailable, tr.HTTPStatus)
		assert.Equal(t, "HTTP 503", tr.Error)
		assert.Equal(t, "down for maintenance\n", tr.Response)
		require.NotNil(t, tr.NextTryAt, "try %d", i+1)
		waits = append(waits, tr.NextTryAt.Sub(tr.StartedAt))
	}
	assert.Equal(t, []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute}, waits)
	assert.Equal(t, http.StatusOK, tries[3].HTTPStatus)
	assert.Nil(t, tries[3].NextTryAt)
}

func TestRetriesStopAfterTheWindow(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	e.order(t, "shop", "A")
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t)})
	tries := 0
	for range 200 {
		tries += runOnce(t, w)
		e.clock.Advance(time.Hour)
	}
	page, _, err := e.store.ListEventDeliveries(context.Background(), "shop", orders.EventFilter{})
	require.NoError(t, err)
	assert.Equal(t, orders.DeliveryFailed, page[0].Delivery.State)
	// One try an hour (every backoff here is at most an hour), the last at 72 hours after
	// the event: its retry would fall after the window.
	assert.Equal(t, 73, tries)
}

func TestEventsOfAnOrderInOrder(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	o := e.order(t, "shop", "A")
	_, err := e.store.CancelOrder(context.Background(), o.ID, "buyer left")
	require.NoError(t, err)
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t)})

	require.Equal(t, 1, runOnce(t, w), "order.created only: order.canceled waits for it")
	require.Equal(t, 0, runOnce(t, w))
	e.clock.Advance(30 * time.Second)
	require.Equal(t, 1, runOnce(t, w))
	require.Equal(t, 1, runOnce(t, w))
	var types []any
	for _, d := range rc.deliveries() {
		types = append(types, d.event(t)["type"])
	}
	assert.Equal(t, []any{orders.EventOrderCreated, orders.EventOrderCreated, orders.EventOrderCanceled}, types)
}

func TestSlowReceiverDoesNotDelayOthers(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	slowArrived := make(chan struct{}, 10)
	slow := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		slowArrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	fastGot := make(chan struct{}, 1)
	fast := newReceiver(t, func(int, http.ResponseWriter, *http.Request) { fastGot <- struct{}{} })
	for _, ref := range []string{"A1", "A2", "A3", "A4", "A5"} {
		e.order(t, "shop", ref)
	}
	e.order(t, "other", "B1")
	w := e.worker(t, map[string]webhook.Endpoint{"shop": slow.endpoint(t), "other": fast.endpoint(t)},
		func(o *webhook.Options) { o.Workers = 4 }) // so that the slow merchant's share (2) is below its 5 events

	done := make(chan int)
	go func() {
		n, _ := w.RunOnce(context.Background())
		done <- n
	}()
	for _, ch := range []chan struct{}{slowArrived, slowArrived, fastGot} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("the other merchant's event waited for the slow receiver")
		}
	}
	// Both slow tries are still hanging: the other merchant was served beside them.
	close(release)
	assert.Equal(t, 3, <-done, "two of the slow merchant's (its share of 4 workers) and the other's")
	assert.Len(t, slow.deliveries(), 2)
}

// By default a merchant's receiver gets up to 16 tries at once (its share of 32): a
// receiver that answers in 100 ms then gets about 160 events a second from each process.
func TestDefaultConcurrencyPerMerchant(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 32)
	slow := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	for i := range 20 {
		e.order(t, "shop", fmt.Sprintf("C%d", i))
	}
	w := e.worker(t, map[string]webhook.Endpoint{"shop": slow.endpoint(t)})
	done := make(chan int)
	go func() {
		n, _ := w.RunOnce(context.Background())
		done <- n
	}()
	for i := range 16 {
		select {
		case <-arrived:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d tries in flight at once", i)
		}
	}
	close(release) // all 16 were hanging at once
	assert.Equal(t, 16, <-done, "one pass claims the merchant's share of the workers")
	assert.Len(t, slow.deliveries(), 16)
}

// A merchant's concurrent tries keep their connections for the next ones: three rounds
// of 16 tries at once open 16 connections, not 16 per round (Go's default pool of 2
// idle connections per host opened 44: 16, then 14 a round).
func TestDeliveriesReuseTheirConnections(t *testing.T) {
	e := newEnv(t)
	const perRound, rounds = 16, 3
	var opened atomic.Int32
	full := make([]chan struct{}, rounds) // closed when the round's 16 tries have all arrived
	for i := range full {
		full[i] = make(chan struct{})
	}
	rc := newReceiver(t, func(n int, _ http.ResponseWriter, r *http.Request) {
		round := (n - 1) / perRound
		if n%perRound == 0 {
			close(full[round])
		}
		select { // each try holds its connection until its round's last one has come
		case <-full[round]:
		case <-r.Context().Done():
		}
	}, func(srv *http.Server) {
		srv.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				opened.Add(1)
			}
		}
	})
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t)})
	for round := range rounds {
		for i := range perRound {
			e.order(t, "shop", fmt.Sprintf("R%d-%d", round, i))
		}
		require.Equal(t, perRound, runOnce(t, w))
	}
	require.Len(t, rc.deliveries(), perRound*rounds)
	// A connection that a try has finished with goes back to the pool a moment after the
	// try returns, so a few more may be dialled; a pool of 2 would make 28 more.
	assert.LessOrEqual(t, int(opened.Load()), perRound+4, "connections opened for %d tries", perRound*rounds)
	assert.GreaterOrEqual(t, int(opened.Load()), perRound, "16 tries were in flight at once")
}

func TestRedirectNotFollowed(t *testing.T) {
	e := newEnv(t)
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	t.Cleanup(target.Close)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	e.order(t, "shop", "A")
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t)})
	require.Equal(t, 1, runOnce(t, w))
	assert.Zero(t, followed.Load())

	page, _, err := e.store.ListEventDeliveries(context.Background(), "shop", orders.EventFilter{})
	require.NoError(t, err)
	_, tries, err := e.store.GetEventDelivery(context.Background(), "shop", page[0].ID)
	require.NoError(t, err)
	require.Len(t, tries, 1)
	assert.Equal(t, http.StatusTemporaryRedirect, tries[0].HTTPStatus)
	assert.Contains(t, tries[0].Error, "redirects are not followed")
	assert.Equal(t, orders.DeliveryPending, page[0].Delivery.State)
}

func TestNonPublicAddressesRefusedOutsideDemoMode(t *testing.T) {
	e := newEnv(t)
	var hits atomic.Int32
	tls := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(tls.Close)
	port := tls.URL[strings.LastIndex(tls.URL, ":")+1:]

	_, err := webhook.New(webhook.Options{Store: e.store, Endpoints: map[string]webhook.Endpoint{
		"shop": {URL: "http://shop.example/hooks", Secrets: secrets(t, specSecret)}}})
	assert.ErrorContains(t, err, "must be https", "http only in demo mode")

	for _, tc := range []struct{ url, why string }{
		{tls.URL + "/hooks", "127.0.0.1 is a loopback address"},
		// A name is judged by the address it resolves to when dialled (DNS rebinding).
		{"https://localhost:" + port + "/hooks", "is a loopback address"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			e := newEnv(t)
			e.order(t, "shop", "A")
			w := e.worker(t, map[string]webhook.Endpoint{"shop": {URL: tc.url, Secrets: secrets(t, specSecret)}},
				func(o *webhook.Options) { o.AllowInsecure = false })
			require.Equal(t, 1, runOnce(t, w))
			page, _, err := e.store.ListEventDeliveries(context.Background(), "shop", orders.EventFilter{})
			require.NoError(t, err)
			assert.Contains(t, page[0].Delivery.LastError, "webhook address refused")
			assert.Contains(t, page[0].Delivery.LastError, tc.why)
		})
	}
	assert.Zero(t, hits.Load())
}

func TestCrashMidDeliveryTriesAgainWithTheSameID(t *testing.T) {
	e := newEnv(t)
	first := make(chan struct{})
	rc := newReceiver(t, func(n int, _ http.ResponseWriter, r *http.Request) {
		if n == 1 {
			close(first)
			<-r.Context().Done() // the sender dies while we think
		}
	})
	e.order(t, "shop", "A")
	eps := map[string]webhook.Endpoint{"shop": rc.endpoint(t)}
	w := e.worker(t, eps)
	ctx, kill := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = w.RunOnce(ctx)
	}()
	<-first
	kill()
	<-done
	require.NoError(t, e.store.Close())

	// The restarted process: a new store on the same file, a new worker.
	e.open(t)
	w = e.worker(t, eps)
	assert.Equal(t, 0, runOnce(t, w), "the dead worker's lease still holds")
	e.clock.Advance(webhook.DefaultTimeout + time.Minute)
	assert.Equal(t, 1, runOnce(t, w))
	e.clock.Advance(time.Hour)
	assert.Equal(t, 0, runOnce(t, w), "delivered exactly once more")

	got := rc.deliveries()
	require.Len(t, got, 2)
	assert.Equal(t, got[0].header.Get(webhook.HeaderID), got[1].header.Get(webhook.HeaderID))
	page, _, err := e.store.ListEventDeliveries(context.Background(), "shop", orders.EventFilter{})
	require.NoError(t, err)
	assert.Equal(t, orders.DeliveryDelivered, page[0].Delivery.State)
	assert.Equal(t, 1, page[0].Delivery.Attempts, "the cut try left no record")
}

func TestOrderViewShowsTheOrderAtDeliveryTime(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	o := e.order(t, "shop", "A")
	_, err := e.store.CancelOrder(context.Background(), o.ID, "buyer left")
	require.NoError(t, err)
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t)}, func(opt *webhook.Options) {
		opt.OrderView = func(o *orders.Order) any { return map[string]any{"id": o.ID, "status": o.Status} }
	})
	require.Equal(t, 1, runOnce(t, w))
	ev := rc.deliveries()[0].event(t)
	assert.Equal(t, orders.EventOrderCreated, ev["type"])
	assert.Equal(t, "canceled", ev["data"].(map[string]any)["order"].(map[string]any)["status"])
}

func TestRunDeliversUntilStopped(t *testing.T) {
	e := newEnv(t)
	got := make(chan struct{}, 1)
	rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) { got <- struct{}{} })
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t)}, func(o *webhook.Options) {
		o.PollInterval = 10 * time.Millisecond
	})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	e.order(t, "shop", "A")
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not deliver")
	}
	stop()
	<-done
}

// Run makes the tries of an order's events one after the other, each later one claimed
// by the record of the try before it: after the queueing and the first claim, one write
// per try (a claim and a record each before).
func TestRunChainsTheEventsOfAnOrder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	o := e.order(t, "shop", "A")
	_, err := e.store.CancelOrder(ctx, o.ID, "buyer left")
	require.NoError(t, err)
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t)}, func(o *webhook.Options) {
		o.PollInterval = time.Hour // only the first round and the slot given back wake Run
	})
	writes := e.store.Stats().Writes.Load()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(runCtx) }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		page, _, err := e.store.ListEventDeliveries(ctx, "shop", orders.EventFilter{Delivery: orders.DeliveryDelivered})
		require.NoError(t, err)
		if len(page) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 events delivered", len(page))
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	<-done

	var types []any
	for _, d := range rc.deliveries() {
		types = append(types, d.event(t)["type"])
	}
	assert.Equal(t, []any{orders.EventOrderCreated, orders.EventOrderCanceled}, types)
	assert.Equal(t, int64(4), e.store.Stats().Writes.Load()-writes,
		"the queueing, the claim of order.created, its record claiming order.canceled, and that one's record")
}
