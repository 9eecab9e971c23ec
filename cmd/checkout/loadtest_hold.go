package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Hold mode: open N checkouts, keep them all open at once, measure the server's memory,
// then finish them. An open checkout is a buyer looking at the bank's 3-D page, about to
// type the OTP: the order is "processing" with an attempt at the bank, the sandbox holds a
// pending 3-D session, and the buyer's browser keeps its idle keep-alive connection to the
// checkout. docs/performance.md explains the report.

// holdStepNames are the steps of a held checkout. Unlike the other modes, "bank" is only
// the GET of the bank's page; the OTP post is the step "otp", after the hold.
var holdStepNames = []string{"create", "page", "submit", "bank", "otp", "return", "status"}

// holdSetupSteps is how many of holdStepNames run before the hold.
const holdSetupSteps = 4

// maxOpen bounds -open: each open checkout holds a socket in the harness and one in the
// server, and a few thousand are already far past the project's goal of 1,000.
const maxOpen = 100_000

// connCounter counts the client's live connections to some addresses (the checkouts').
type connCounter struct {
	addrs []string

	mu      sync.Mutex
	live    int64
	changed chan struct{} // closed at the next change of live; nil until someone waits
}

// dial wraps d so that every connection to c.addr is counted until it is closed.
func (c *connCounter) dial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil || !slices.Contains(c.addrs, addr) {
			return conn, err
		}
		c.add(1)
		return &countedConn{Conn: conn, c: c}, nil
	}
}

func (c *connCounter) add(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live += n
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// settle waits until at most want connections are live, for up to within, and returns
// how many are. A response that said "Connection: close" is handed back before Go's
// transport closes its connection, in its own goroutine: a reading taken at once could
// still count it.
func (c *connCounter) settle(ctx context.Context, want int64, within time.Duration) int64 {
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		c.mu.Lock()
		live := c.live
		if live <= want {
			c.mu.Unlock()
			return live
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return c.current()
		case <-ctx.Done():
			return c.current()
		}
	}
}

func (c *connCounter) current() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

type countedConn struct {
	net.Conn
	c    *connCounter
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.c.add(-1) })
	return c.Conn.Close()
}

// dialAddr is the host:port the transport dials for u, as http.Transport spells it.
func dialAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// heldCheckout is one buyer of a hold run, with its own transport and so its own
// keep-alive connection to the checkout.
type heldCheckout struct {
	tr    *http.Transport
	f     *payFlow
	setup flowResult // the steps before the hold
}

func (h *heldCheckout) setupSteps() []step {
	return []step{{"create", h.f.create}, {"page", h.f.page}, {"submit", h.f.submit}, {"bank", h.f.bankGet}}
}

func (h *heldCheckout) finishSteps() []step {
	return []step{{"otp", h.f.otp}, {"return", h.f.ret}, {"status", h.f.status}}
}

// holdResult is how a hold run went, beside its samples.
type holdResult struct {
	opened      int   // checkouts set up and held
	connections int64 // live client connections to the checkout while they were held
	setup       phaseResult
	finish      phaseResult
	held, after *memReading // the server's memory while held and after they paid; nil if unknown
}

// runHold opens o.open checkouts with o.workers at a time and holds them, reads the
// server's memory, then finishes every held one with o.workers at a time, and records each
// buyer's flow in rec. Each phase starts no set-up after o.duration, and is stopped hard
// after o.duration plus o.grace: its requests are then cancelled. A checkout whose set-up
// never started is an error of kind not_opened.
//
// With several checkouts, buyer i talks to checkout i mod n only, as a browser behind a
// load balancer with sticky connections would: each open checkout still holds one
// connection.
func runHold(ctx context.Context, o loadOptions, pay *payTarget, pids procs, rec *recorder) (holdResult, error) {
	var res holdResult
	clk := realClock{}
	counter := &connCounter{}
	for _, u := range pay.targets.list {
		counter.addrs = append(counter.addrs, dialAddr(u))
	}
	dialer := newLoadDialer(o.timeout)
	dial := counter.dial(dialer)
	// The bank's page is another server: its requests keep no connection, and are not
	// counted even when the demo serves the bank on the checkout's own address.
	bankTr := newLoadTransport(1, o.timeout, dialer.DialContext)
	bankTr.DisableKeepAlives = true
	bank := clientOn(bankTr, o.timeout)
	held := make([]*heldCheckout, o.open)
	for i := range held {
		tr := newLoadTransport(1, o.timeout, dial)
		// A held connection waits as long as the server keeps it: the harness never closes
		// it while the buyer is on the bank's page.
		tr.IdleConnTimeout = 0
		held[i] = &heldCheckout{tr: tr, f: &payFlow{p: pay, client: clientOn(tr, o.timeout), bankClient: bank,
			pin: pay.targets.list[i%len(pay.targets.list)]}}
	}
	defer func() {
		for _, h := range held {
			h.tr.CloseIdleConnections()
		}
	}()

	// Set up: every step up to the bank's page. A failed set-up closes its connection at
	// once: that buyer is gone, and only open checkouts hold one.
	var mu sync.Mutex // guards open and each setup against set-ups abandoned at the hard stop
	open := make([]bool, len(held))
	taken, ph := runEach(ctx, clk, len(held), o.workers, o.duration, o.duration+o.grace, func(ctx context.Context, i int) {
		h := held[i]
		r := runSteps(ctx, clk, clk.Now(), h.setupSteps())
		mu.Lock()
		r.requests = h.f.requests
		h.setup, open[i] = r, r.err == ""
		mu.Unlock()
		if r.err != "" {
			h.tr.CloseIdleConnections()
			rec.add(holdFlowResult(r, flowResult{}))
		}
	})
	res.setup = ph
	for range len(held) - taken {
		rec.fail("not_opened")
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("loadtest: interrupted: %w", err)
	}
	mu.Lock()
	var ready []*heldCheckout
	for i, ok := range open {
		if ok {
			ready = append(ready, held[i])
		}
	}
	mu.Unlock()

	// Every set-up has ended: the open checkouts are idle and waiting. Read, force nothing;
	// but first let the connections the checkout said it would close be closed (the
	// checkout closes the buyer's connection at the bank redirect). A buyer keeps at most
	// one connection, so the reading waits, briefly, for no more than one per buyer whose
	// last answer from the checkout kept it.
	var kept int64
	for _, h := range ready {
		if !h.f.connClosed {
			kept++
		}
	}
	res.opened, res.connections = len(ready), counter.settle(ctx, kept, time.Second)
	res.held = pids.memory()

	// Finish: the OTP, the bank's return to the checkout (on the held connection), the
	// status. Every held checkout is finished, so the phase has no soft end; its hard stop
	// fails the ones still unfinished as "...:stopped". Then the buyer leaves and closes
	// its connection.
	_, res.finish = runEach(ctx, clk, len(ready), o.workers, 0, o.duration+o.grace, func(ctx context.Context, i int) {
		h := ready[i]
		r := runSteps(ctx, clk, clk.Now(), h.finishSteps())
		r.requests = h.f.requests
		h.tr.CloseIdleConnections()
		rec.add(holdFlowResult(h.setup, r))
	})
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("loadtest: interrupted: %w", err)
	}
	res.after = pids.memory()
	return res, nil
}

// holdFlowResult joins a buyer's set-up and finish into one flow of holdStepNames. The
// flow's total is the time its steps took, without the hold.
func holdFlowResult(setup, finish flowResult) flowResult {
	r := flowResult{steps: make([]time.Duration, len(holdStepNames)), done: setup.done, err: setup.err, requests: max(setup.requests, finish.requests)}
	copy(r.steps, setup.steps[:setup.done])
	if setup.err != "" {
		return r
	}
	copy(r.steps[holdSetupSteps:], finish.steps[:finish.done])
	r.done, r.err = holdSetupSteps+finish.done, finish.err
	if r.err == "" {
		for _, d := range r.steps {
			r.total += d
		}
	}
	return r
}

// runEach runs item(ctx, i) for i = 0, 1, ... n-1 on up to workers goroutines at once.
// With soft > 0, no item starts once soft has passed since the phase began; it returns how
// many started. hard after the phase began, ctx is cancelled for the items still running;
// any still running abandonAfter later are abandoned and counted.
func runEach(ctx context.Context, clk clock, n, workers int, soft, hard time.Duration, item func(ctx context.Context, i int)) (int, phaseResult) {
	start := clk.Now()
	hardCtx, cancel := context.WithDeadline(ctx, start.Add(hard))
	defer cancel()
	var next atomic.Int64
	var started atomic.Int64
	var live inflight
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for {
				if soft > 0 && !clk.Now().Before(start.Add(soft)) {
					return
				}
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				started.Add(1)
				live.enter()
				item(hardCtx, i)
				live.leave()
			}
		})
	}
	abandoned := waitBounded(hardCtx, &wg, &live)
	return int(started.Load()), phaseResult{start: start, end: clk.Now(), peakInflight: int(live.peak.Load()), abandoned: abandoned}
}

// loadtestHold is the hold mode's run against the checkouts t, whose server processes
// are pids.
func loadtestHold(ctx context.Context, o loadOptions, rep *loadReport, t *targets, pids procs, expYear, runID string) error {
	pay := newPayTarget(t, nil, expYear, runID)
	rec := newRecorder(holdStepNames)
	cpu0, cpuErr := pids.cpu()
	self0, selfErr := procCPU(os.Getpid())
	res, err := runHold(ctx, o, pay, pids, rec)
	if err != nil {
		return err
	}
	cpu1, cpuErr1 := pids.cpu()
	self1, selfErr1 := procCPU(os.Getpid())

	whole := phaseResult{start: res.setup.start, end: res.finish.end,
		peakInflight: res.setup.peakInflight, abandoned: res.setup.abandoned + res.finish.abandoned}
	rep.addPhase(rec, whole)
	rep.Steps = rep.Steps[:len(holdStepNames)] // no "flow" row: a flow's time is mostly the hold
	if cpuErr == nil && cpuErr1 == nil {
		rep.Server.CPUMsPerFlow = perFlow(cpu1-cpu0, rep.OK)
	}
	if selfErr == nil && selfErr1 == nil {
		rep.Harness.CPUMsPerFlow = perFlow(self1-self0, rep.OK)
	}
	h := &holdReport{
		Opened: res.opened, Connections: res.connections,
		SetupSeconds: res.setup.elapsed().Seconds(), FinishSeconds: res.finish.elapsed().Seconds(),
	}
	if m := res.held; m != nil {
		h.RSSBytes, h.PeakRSSBytes, h.Processes = &m.total.rss, &m.total.peak, m.perProcess()
	}
	rep.Server.setMemory(res.after)
	rep.Hold = h
	return nil
}
