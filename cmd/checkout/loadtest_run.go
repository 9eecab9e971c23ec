package main

import (
	"context"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// clock is the harness's time; tests replace it to control the schedule.
type clock interface {
	Now() time.Time
	// SleepUntil waits until t or until ctx ends; it reports whether t was reached.
	SleepUntil(ctx context.Context, t time.Time) bool
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) SleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// step is one timed part of a flow.
type step struct {
	name string
	run  func(ctx context.Context) error
}

// flowResult is what one flow measured.
type flowResult struct {
	steps    []time.Duration // latency of each step that succeeded
	done     int             // steps that succeeded; == len(steps) for a whole flow
	total    time.Duration   // scheduled start to the last step's end, for a whole flow
	err      string          // the error's kind; "" for a whole flow
	requests int             // HTTP requests that got an answer
}

// flowFunc runs one flow that was due at scheduled.
type flowFunc func(ctx context.Context, scheduled time.Time) flowResult

// runSteps runs steps in order and times each one. The first step is timed from
// scheduled, not from when it actually began: in the open model a flow that starts late
// (the harness or the machine was busy) is charged for the wait, so coordinated omission
// cannot hide it. Each later step is timed from the end of the one before. The flow stops
// at the first failure.
func runSteps(ctx context.Context, clk clock, scheduled time.Time, steps []step) flowResult {
	r := flowResult{steps: make([]time.Duration, len(steps))}
	begin := scheduled
	for i, s := range steps {
		err := s.run(ctx)
		end := clk.Now()
		if err != nil {
			r.done, r.err = i, errorKind(ctx, s.name, err)
			return r
		}
		r.steps[i] = end.Sub(begin)
		begin = end
	}
	r.done, r.total = len(steps), begin.Sub(scheduled)
	return r
}

// recorder keeps every sample of a phase; sorting them at the end gives exact percentiles.
type recorder struct {
	mu       sync.Mutex
	names    []string
	samples  [][]time.Duration // per step, then the whole flow
	errors   map[string]int
	ok       int
	failed   int
	requests int64
}

func newRecorder(names []string) *recorder {
	return &recorder{names: names, samples: make([][]time.Duration, len(names)+1), errors: map[string]int{}}
}

func (r *recorder) add(f flowResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests += int64(f.requests)
	for i := 0; i < f.done && i < len(r.names); i++ {
		r.samples[i] = append(r.samples[i], f.steps[i])
	}
	if f.err != "" {
		r.failed++
		r.errors[f.err]++
		return
	}
	r.ok++
	r.samples[len(r.names)] = append(r.samples[len(r.names)], f.total)
}

// snapshot copies what was recorded, so that flows abandoned at the hard stop, which may
// still add to r, cannot race with the report.
func (r *recorder) snapshot() *recorder {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := &recorder{names: r.names, samples: make([][]time.Duration, len(r.samples)), errors: maps.Clone(r.errors),
		ok: r.ok, failed: r.failed, requests: r.requests}
	for i, s := range r.samples {
		c.samples[i] = slices.Clone(s)
	}
	return c
}

// fail counts a flow that never ran, such as one due when the open model's bound was full.
func (r *recorder) fail(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	r.errors[kind]++
}

// phaseResult is how a phase went, beside its samples.
type phaseResult struct {
	start, end   time.Time // the first flow's due time; the last flow's end (the drain included)
	peakInflight int
	abandoned    int // flows still running after the hard stop (their results are lost)
}

func (p phaseResult) elapsed() time.Duration { return p.end.Sub(p.start) }

// inflight counts running flows and remembers the peak.
type inflight struct {
	n, peak atomic.Int64
}

func (f *inflight) enter() {
	n := f.n.Add(1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (f *inflight) leave() { f.n.Add(-1) }

// runClosed is the closed loop: workers each start a flow, wait for it, and start the
// next, until the window ends. Flows already started then finish (up to ctx's deadline).
func runClosed(ctx context.Context, clk clock, workers int, window time.Duration, flow flowFunc, rec *recorder) phaseResult {
	start := clk.Now()
	end := start.Add(window)
	var live inflight
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				s := clk.Now()
				if !s.Before(end) {
					return
				}
				live.enter()
				rec.add(flow(ctx, s))
				live.leave()
			}
		})
	}
	abandoned := waitBounded(ctx, &wg, &live)
	return phaseResult{start: start, end: clk.Now(), peakInflight: int(live.peak.Load()), abandoned: abandoned}
}

// spawnFunc starts a flow; goSpawn runs it in its own goroutine.
type spawnFunc func(wg *sync.WaitGroup, f func())

func goSpawn(wg *sync.WaitGroup, f func()) { wg.Go(f) }

// runOpen is the open model: flow i is due at start + i/rate, whatever earlier flows are
// doing. When the harness falls behind it starts overdue flows at once, and their
// latencies still count from their due times. At most maxInflight flows run; a flow due
// when that many are running is counted as an error of kind harness_backlog, never
// silently dropped. The schedule covers the window; then running flows finish.
func runOpen(ctx context.Context, clk clock, rate float64, maxInflight int, window time.Duration, flow flowFunc, rec *recorder, spawn spawnFunc) phaseResult {
	start := clk.Now()
	end := start.Add(window)
	slots := make(chan struct{}, maxInflight)
	var live inflight
	var wg sync.WaitGroup
	for i := 0; ; i++ {
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if !due.Before(end) || !clk.SleepUntil(ctx, due) {
			break
		}
		select {
		case slots <- struct{}{}:
			live.enter()
			spawn(&wg, func() {
				defer func() { live.leave(); <-slots }()
				rec.add(flow(ctx, due))
			})
		default:
			rec.fail("harness_backlog")
		}
	}
	clk.SleepUntil(ctx, end)
	abandoned := waitBounded(ctx, &wg, &live)
	return phaseResult{start: start, end: clk.Now(), peakInflight: int(live.peak.Load()), abandoned: abandoned}
}

// waitBounded waits for the phase's flows. Once ctx ends (the hard stop) their requests
// are cancelled and they return quickly; any still running abandonAfter later are left
// behind and counted, so the run stays bounded in time.
func waitBounded(ctx context.Context, wg *sync.WaitGroup, live *inflight) int {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return 0
	case <-ctx.Done():
	}
	select {
	case <-done:
		return 0
	case <-time.After(abandonAfter):
		return int(live.n.Load())
	}
}

// quantiles returns the nearest-rank p50, p99 and max of samples, which it sorts.
func quantiles(samples []time.Duration) (p50, p99, maxd time.Duration) {
	if len(samples) == 0 {
		return 0, 0, 0
	}
	slices.Sort(samples)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(samples)))) - 1
		return samples[min(max(i, 0), len(samples)-1)]
	}
	return rank(0.50), rank(0.99), samples[len(samples)-1]
}
