// Package webhook delivers the outbox's events to merchants' webhook URLs, signed per
// the Standard Webhooks 1.0 spec, with retries for three days. See docs/webhooks.md.
//
// The delivery state lives in the orders store (orders.EnqueueDeliveries and friends);
// this package makes the HTTP tries. A try is claimed with a lease before it is made and
// recorded after: a process killed mid-try loses nothing, since the lease runs out and
// the try is made again, with the same webhook-id.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/mokacheckout/checkout/internal/orders"
)

// Defaults of Options.
const (
	// DefaultWorkers is the tries in flight per process: with a receiver that answers in
	// 100 ms, one merchant's share (16) makes about 160 tries a second, some 50 payments'
	// events. Each try in flight is a goroutine and a connection, little to hold.
	DefaultWorkers     = 32
	DefaultTimeout     = 10 * time.Second
	DefaultWindow      = 72 * time.Hour
	DefaultBaseBackoff = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
	// DefaultPollInterval: new events are queued and claimed every 100 ms, so that
	// deliveries flow beside the payments instead of in a burst each second that the
	// buyers' requests would queue behind.
	DefaultPollInterval = 100 * time.Millisecond
	// leaseMargin is how much longer than the request timeout a claim holds: the try is
	// recorded well before another worker may take the delivery again.
	leaseMargin = 50 * time.Second
)

// Endpoint is where one merchant's events go and what they are signed with.
type Endpoint struct {
	URL     string
	Secrets []Secret // the first is the current one; all sign every delivery
}

// Options configure a Worker. Store and Endpoints are required.
type Options struct {
	Store     *orders.Store
	Endpoints map[string]Endpoint // by merchant id; other merchants' events are not delivered
	// Workers bounds the tries in flight; PerMerchant bounds one merchant's share of them
	// (default Workers/2, at least 1), so a receiver that hangs holds no more than that.
	Workers, PerMerchant int
	Timeout              time.Duration // per try
	Lease                time.Duration // how long a claimed try is ours; default Timeout + 50s
	Window               time.Duration // retries stop this long after the event
	// A retry waits a random time (full jitter) up to BaseBackoff·2^(n-1) after the
	// n-th failed try, at most MaxBackoff.
	BaseBackoff, MaxBackoff time.Duration
	PollInterval            time.Duration // how often Run looks for due deliveries
	// AllowInsecure (demo mode only) lets a webhook URL be http and lead to loopback or
	// private addresses.
	AllowInsecure bool
	// Client makes the tries; nil = NewClient(Timeout, AllowInsecure, Workers). A client given
	// here must not follow redirects and must make its own address checks.
	Client interface {
		Do(*http.Request) (*http.Response, error)
	}
	Now func() time.Time // nil = time.Now
	// Jitter picks the wait before a retry from [0, ceiling]; nil = uniformly at random.
	Jitter func(ceiling time.Duration) time.Duration
	// OrderView renders data.order: the checkout passes the order as GET
	// /api/v1/orders/{id} shows it. nil = the order as the event recorded it.
	OrderView func(*orders.Order) any
	// Observe, when set, is told of every try made and recorded: the receiver's HTTP
	// status (0 when no answer came), the try's error (nil for a 2xx) and how long it
	// took. The wiring passes metrics.ObserveWebhook.
	Observe func(status int, err error, d time.Duration)
	Log     *slog.Logger
}

// Worker delivers due events with a pool of Options.Workers tries at a time.
type Worker struct {
	opts      Options
	merchants []string // with an endpoint, sorted

	mu       sync.Mutex
	busy     map[string]int // tries in flight per merchant
	inFlight int
	turn     int // rotates which merchant is claimed for first
	freed    chan struct{}
}

// New checks opts and applies the defaults.
func New(opts Options) (*Worker, error) {
	if opts.Store == nil {
		return nil, errors.New("webhook: no store")
	}
	for id, ep := range opts.Endpoints {
		if err := checkURL(ep.URL, opts.AllowInsecure); err != nil {
			return nil, fmt.Errorf("webhook: merchant %s: %w", id, err)
		}
		if len(ep.Secrets) == 0 {
			return nil, fmt.Errorf("webhook: merchant %s: no secret", id)
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.PerMerchant <= 0 {
		opts.PerMerchant = max(1, opts.Workers/2)
	}
	def(&opts.Timeout, DefaultTimeout)
	def(&opts.Lease, opts.Timeout+leaseMargin)
	def(&opts.Window, DefaultWindow)
	def(&opts.BaseBackoff, DefaultBaseBackoff)
	def(&opts.MaxBackoff, DefaultMaxBackoff)
	def(&opts.PollInterval, DefaultPollInterval)
	if opts.Client == nil {
		opts.Client = NewClient(opts.Timeout, opts.AllowInsecure, opts.Workers)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Jitter == nil {
		opts.Jitter = func(c time.Duration) time.Duration { return rand.N(c + 1) }
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Worker{
		opts:      opts,
		merchants: slices.Sorted(maps.Keys(opts.Endpoints)),
		busy:      map[string]int{},
		freed:     make(chan struct{}, 1),
	}, nil
}

// Run delivers until ctx ends, then returns once no try is in flight. A try cut short by
// the end of ctx is not recorded: like a crash, its lease runs out and it is made again.
func (w *Worker) Run(ctx context.Context) {
	if len(w.merchants) == 0 {
		return
	}
	tick := time.NewTicker(w.opts.PollInterval)
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		if err := w.enqueue(ctx); err != nil && ctx.Err() == nil {
			w.opts.Log.Warn("webhook enqueue", "err", err)
		}
		claimed, err := w.claim(ctx)
		if err != nil && ctx.Err() == nil {
			w.opts.Log.Warn("webhook claim", "err", err)
		}
		for _, c := range claimed {
			wg.Go(func() { w.deliverAll(ctx, &c) })
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.freed:
		}
	}
}

// RunOnce queues new events, claims the deliveries due now (as many as the pool takes),
// makes their tries and waits for them. It reports how many tries it made. Tests drive
// the worker with it.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if err := w.enqueue(ctx); err != nil {
		return 0, err
	}
	claimed, err := w.claim(ctx)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, c := range claimed {
		wg.Go(func() { w.deliver(ctx, &c) })
	}
	wg.Wait()
	return len(claimed), nil
}

// enqueue queues a delivery for every event written since the last call.
func (w *Worker) enqueue(ctx context.Context) error {
	for {
		_, more, err := w.opts.Store.EnqueueDeliveries(ctx, orders.EnqueueOptions{Merchants: w.merchants, Window: w.opts.Window})
		if err != nil || !more {
			return err
		}
	}
}

// claim takes due deliveries for the pool's free slots and counts them in flight.
func (w *Worker) claim(ctx context.Context) ([]orders.ClaimedDelivery, error) {
	w.mu.Lock()
	free := w.opts.Workers - w.inFlight
	busy := maps.Clone(w.busy)
	w.turn++
	k := w.turn % len(w.merchants)
	order := append(slices.Clone(w.merchants[k:]), w.merchants[:k]...)
	w.mu.Unlock()
	if free <= 0 {
		return nil, nil
	}
	claimed, err := w.opts.Store.ClaimDeliveries(ctx, orders.ClaimOptions{
		Merchants: order, Limit: free, PerMerchant: w.opts.PerMerchant, Busy: busy, Lease: w.opts.Lease,
	})
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	for _, c := range claimed {
		w.busy[c.Event.MerchantID]++
		w.inFlight++
	}
	w.mu.Unlock()
	return claimed, nil
}

// done gives a delivery's slot back and wakes Run to fill it.
func (w *Worker) done(c *orders.ClaimedDelivery) {
	w.mu.Lock()
	w.busy[c.Event.MerchantID]--
	w.inFlight--
	w.mu.Unlock()
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// deliverAll makes the try of c, then those of the later events of c's order that its
// record claimed (see orders.RecordTryAndClaimNext), one after the other in c's slot.
func (w *Worker) deliverAll(ctx context.Context, c *orders.ClaimedDelivery) {
	defer w.done(c)
	for next := c; next != nil; {
		next = w.try(ctx, next, true)
	}
}

// deliver makes one try of c and records it.
func (w *Worker) deliver(ctx context.Context, c *orders.ClaimedDelivery) {
	defer w.done(c)
	w.try(ctx, c, false)
}

// try makes one try of c and records it. With claimNext, the record also claims the next
// due delivery of c's order when this one was delivered, and try returns it.
func (w *Worker) try(ctx context.Context, c *orders.ClaimedDelivery, claimNext bool) (next *orders.ClaimedDelivery) {
	ep := w.opts.Endpoints[c.Event.MerchantID]
	start := w.opts.Now()
	res := orders.TryResult{StartedAt: start}
	var retryAfter time.Duration
	body, err := w.body(ctx, c)
	if err == nil {
		var a answer
		a, err = w.post(ctx, ep, c.Event.ID, body, start)
		res.HTTPStatus, res.Response, retryAfter = a.status, a.excerpt, a.retryAfter
	}
	if ctx.Err() != nil {
		return nil // stopped mid-try: left to the lease, as after a crash
	}
	res.Duration = w.opts.Now().Sub(start)
	if err != nil {
		res.Error = err.Error()
	}
	res.Delivered = err == nil
	if w.opts.Observe != nil {
		w.opts.Observe(res.HTTPStatus, err, res.Duration)
	}
	if !res.Delivered {
		res.NextTryAt = w.nextTry(c, retryAfter)
	}
	if claimNext {
		_, next, err = w.opts.Store.RecordTryAndClaimNext(ctx, c, res, w.opts.Lease)
	} else {
		_, err = w.opts.Store.RecordTry(ctx, c, res)
	}
	if err != nil {
		w.opts.Log.Warn("webhook record try", "event", c.Event.ID, "err", err)
	}
	if !res.Delivered && res.NextTryAt.IsZero() {
		w.opts.Log.Warn("webhook delivery failed for good", "event", c.Event.ID, "merchant", c.Event.MerchantID,
			"tries", c.Attempts+1, "err", res.Error)
	}
	return next
}

// nextTry is when the retry after this failed try is due, or zero when none is left:
// a random wait up to BaseBackoff·2^(n-1) (at most MaxBackoff) after the n-th try, or
// longer when the receiver asked for it with Retry-After, within the delivery's window.
func (w *Worker) nextTry(c *orders.ClaimedDelivery, retryAfter time.Duration) time.Time {
	ceiling := w.opts.MaxBackoff
	if n := c.Attempts; n < 30 {
		ceiling = min(ceiling, w.opts.BaseBackoff<<n)
	}
	wait := max(w.opts.Jitter(ceiling), min(retryAfter, w.opts.MaxBackoff))
	next := w.opts.Now().Add(wait)
	if next.After(c.Deadline) {
		return time.Time{}
	}
	return next
}

// envelope is the body of a delivery.
type envelope struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      struct {
		Order json.RawMessage `json:"order"`
	} `json:"data"`
}

// body renders c's delivery: the event, and the order as OrderView shows it now (as the
// claim, a moment ago, read it).
func (w *Worker) body(ctx context.Context, c *orders.ClaimedDelivery) ([]byte, error) {
	env := envelope{ID: c.Event.ID, Type: c.Event.Type, CreatedAt: c.Event.CreatedAt}
	if w.opts.OrderView != nil {
		o := c.Order
		if o == nil { // the claim could not read it: reading it again says why
			var err error
			if o, err = w.opts.Store.GetOrder(ctx, c.Event.OrderID); err != nil {
				return nil, fmt.Errorf("read order %s: %w", c.Event.OrderID, err)
			}
		}
		var err error
		if env.Data.Order, err = json.Marshal(w.opts.OrderView(o)); err != nil {
			return nil, fmt.Errorf("render order %s: %w", c.Event.OrderID, err)
		}
	} else {
		var p struct {
			Order json.RawMessage `json:"order"`
		}
		if err := json.Unmarshal(c.Event.Payload, &p); err != nil {
			return nil, fmt.Errorf("event %s payload: %w", c.Event.ID, err)
		}
		env.Data.Order = p.Order
	}
	return env.marshal()
}

// marshal is json.Marshal(e), without a second pass over the order: json.Marshal
// re-validates and compacts every json.RawMessage it writes, and the order is most of the
// body. Both sources of the order are compact JSON already (json.Marshal's output, or a
// payload json.Unmarshal checked).
func (e *envelope) marshal() ([]byte, error) {
	head, err := json.Marshal(struct {
		ID        string    `json:"id"`
		Type      string    `json:"type"`
		CreatedAt time.Time `json:"created_at"`
	}{e.ID, e.Type, e.CreatedAt})
	if err != nil {
		return nil, err
	}
	order := []byte(e.Data.Order)
	if len(order) == 0 {
		order = []byte("null")
	}
	b := make([]byte, 0, len(head)+len(order)+len(`,"data":{"order":}}`))
	b = append(b, head[:len(head)-1]...)
	b = append(b, `,"data":{"order":`...)
	b = append(b, order...)
	return append(b, "}}"...), nil
}
