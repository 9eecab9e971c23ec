package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/webhook"
)

// taggedClient marks each try with the worker that made it.
type taggedClient struct {
	tag string
	c   *http.Client
}

func (tc taggedClient) Do(r *http.Request) (*http.Response, error) {
	r.Header.Set("X-Test-Worker", tc.tag)
	return tc.c.Do(r)
}

// Two instances, each with its own store on one database (one PostgreSQL schema in the
// PostgreSQL run) and its own worker, deliver one merchant's events at the same time: the
// receiver holds every try until it has one from each worker in flight, so they raced,
// and still every event arrives exactly once.
func TestTwoInstancesDeliverEachEventOnce(t *testing.T) {
	e := newEnv(t)
	other := e.db.Open(t, e.clock.Now)
	const events = 30
	for i := range events {
		e.order(t, "shop", fmt.Sprintf("I-%d", i))
	}

	var mu sync.Mutex
	got := map[string]int{}
	byWorker := map[string]int{}
	arrived := map[string]chan struct{}{"1": make(chan struct{}), "2": make(chan struct{})}
	var once sync.Map
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		tag := r.Header.Get("X-Test-Worker")
		ch, ok := arrived[tag]
		if !ok {
			t.Errorf("a try from no worker of the test: %q", tag)
			return
		}
		if _, seen := once.LoadOrStore(tag, true); !seen {
			close(ch)
		}
		for _, c := range arrived {
			select {
			case <-c:
			case <-time.After(10 * time.Second):
				t.Error("the two workers never had tries in flight at once")
			}
		}
		mu.Lock()
		got[r.Header.Get("webhook-id")]++
		byWorker[tag]++
		mu.Unlock()
	})
	endpoints := map[string]webhook.Endpoint{"shop": rc.endpoint(t)}
	workers := []*webhook.Worker{
		e.worker(t, endpoints, func(o *webhook.Options) {
			o.Workers, o.Client = 4, taggedClient{"1", &http.Client{Timeout: 20 * time.Second}}
		}),
		e.worker(t, endpoints, func(o *webhook.Options) {
			o.Store, o.Workers, o.Client = other, 4, taggedClient{"2", &http.Client{Timeout: 20 * time.Second}}
		}),
	}
	for round := 0; round < 100; round++ {
		tries := make([]int, len(workers))
		var wg sync.WaitGroup
		for i, w := range workers {
			wg.Go(func() {
				n, err := w.RunOnce(context.Background())
				assert.NoError(t, err)
				tries[i] = n
			})
		}
		wg.Wait()
		if tries[0]+tries[1] == 0 {
			break
		}
	}

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, events, "every event arrived")
	for id, n := range got {
		assert.Equal(t, 1, n, "event %s delivered once", id)
	}
	assert.Positive(t, byWorker["1"])
	assert.Positive(t, byWorker["2"])
	t.Logf("worker 1 delivered %d, worker 2 %d", byWorker["1"], byWorker["2"])
}
