package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
	"github.com/mokacheckout/checkout/internal/webhook"
)

// specSecret is the secret of the Standard Webhooks spec's own test vectors.
const specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// clock is a settable clock shared by the store and the worker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	store *orders.Store
	clock *clock
	db    storetest.DB
}

// newEnv opens a store on a fresh database with merchants "shop" and "other". The
// clock starts at the current second, so the spec library's Verify (on time.Now) agrees.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, db: storetest.New(t)}
	e.open(t)
	for _, m := range []string{"shop", "other"} {
		require.NoError(t, e.store.EnsureMerchant(context.Background(), orders.Merchant{ID: m, Name: m}))
	}
	return e
}

// open (re)opens the store on the env's database, as a restarted process does.
func (e *env) open(t *testing.T) {
	t.Helper()
	e.store = e.db.Open(t, e.clock.Now)
}

func (e *env) order(t *testing.T, merchant, ref string) *orders.Order {
	t.Helper()
	o := &orders.Order{
		MerchantID: merchant, Reference: ref, Amount: decimal.RequireFromString("150.00"), Currency: "TRY",
		Installments: []int{1}, Capture: orders.CaptureAuto, ExpiresAt: e.clock.Now().Add(time.Hour),
	}
	require.NoError(t, e.store.CreateOrder(context.Background(), o))
	return o
}

func secrets(t *testing.T, s string) []webhook.Secret {
	t.Helper()
	out, err := webhook.ParseSecrets(s)
	require.NoError(t, err)
	return out
}

// worker is a demo-mode worker (the receivers are on loopback, over http) with no jitter:
// each retry waits the whole ceiling, 30s, 1m, 2m...
func (e *env) worker(t *testing.T, endpoints map[string]webhook.Endpoint, edit ...func(*webhook.Options)) *webhook.Worker {
	t.Helper()
	o := webhook.Options{
		Store: e.store, Endpoints: endpoints, AllowInsecure: true, Now: e.clock.Now,
		Jitter: func(c time.Duration) time.Duration { return c },
	}
	for _, f := range edit {
		f(&o)
	}
	w, err := webhook.New(o)
	require.NoError(t, err)
	return w
}

// delivery is one request a receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

func (d delivery) event(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(d.body, &m))
	return m
}

// receiver is a merchant's webhook endpoint: it keeps every request and answers with
// answer (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	answer func(n int, w http.ResponseWriter, r *http.Request) // n counts from 1
}

// newReceiver starts a receiver; setup, if given, edits its server before it starts.
func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request), setup ...func(*http.Server)) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{header: r.Header.Clone(), body: body})
		n := len(rc.got)
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(n, w, r)
		}
	}))
	for _, f := range setup {
		f(rc.Config)
	}
	rc.Start()
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

func (rc *receiver) endpoint(t *testing.T) webhook.Endpoint {
	return webhook.Endpoint{URL: rc.URL + "/hooks", Secrets: secrets(t, specSecret)}
}

func runOnce(t *testing.T, w *webhook.Worker) int {
	t.Helper()
	n, err := w.RunOnce(context.Background())
	require.NoError(t, err)
	return n
}
