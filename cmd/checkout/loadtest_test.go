package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childEnvVar makes this test binary behave as the checkout binary, so the harness can
// start its demo and hello-world servers from os.Executable() as it does in production.
// It must not start with CHECKOUT_: the harness keeps those variables from its children.
const childEnvVar = "LOADTEST_TEST_CHILD"

func TestMain(m *testing.M) {
	asBinary := os.Getenv(childEnvVar) == "1"
	if !asBinary && len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		// Started as a child without the variable: never run the tests (and start more
		// children) from here.
		fmt.Fprintln(os.Stderr, "checkout.test: started with a command but without", childEnvVar)
		os.Exit(2)
	}
	if asBinary {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "checkout:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startDemoInProcess runs demo mode in this process on free ports, as TestDemoMode does.
func startDemoInProcess(t *testing.T) (*running, string, string) {
	t.Helper()
	addrs := freeAddrs(t, 4)
	r := startRun(t, map[string]string{
		"CHECKOUT_ADDR":            addrs[0],
		"CHECKOUT_SANDBOX_ADDR":    addrs[1],
		"CHECKOUT_STOREFRONT_ADDR": addrs[2],
		"CHECKOUT_METRICS_ADDR":    addrs[3],
		"CHECKOUT_DB":              filepath.Join(t.TempDir(), "data", "checkout.db"),
	})
	u := "http://" + addrs[0]
	r.waitHealthy(t, u, "Sandbox test card")
	return r, u, "http://" + addrs[3] + "/metrics"
}

var reportHead = regexp.MustCompile(`(?m)^mode closed  workers 2  duration 1\.5s  flows (\d+) ok (\d+) errors 0$`)

func TestLoadtestAgainstRunningDemo(t *testing.T) {
	r, target, metricsURL := startDemoInProcess(t)

	// Hold mode first: 20 checkouts held open at once, each with its own connection, then
	// finished and paid (each flow's status step checks "paid"). The checkout closes each
	// buyer's connection when it sends them to the bank, so none is held open meanwhile.
	//
	// First, because of how the demo stops: a burst of concurrent card posts can leave the
	// checkout's shared Moka transport with a connection to the sandbox that it dialed but
	// never used, and http.Server.Shutdown waits until such a connection is 5 s old before
	// it closes it. Run last, a hold run would leave one a fraction of a second old at
	// r.stop, whose bound is 5 s; run first, it is about 2.5 s old by then, so the stop
	// waits about 3 s at most (the test then takes about 6 s instead of 3).
	t.Run("hold", func(t *testing.T) {
		out, _, err := runCmd(t, nil, "loadtest", "-target", target, "-pid", strconv.Itoa(os.Getpid()),
			"-mode", "hold", "-open", "20", "-workers", "4")
		require.NoError(t, err)
		assert.Regexp(t, `(?m)^mode hold  open 20  workers 4  set up in \d+\.\ds  ok 20 errors 0$`, out)
		assert.Regexp(t, `(?m)^held 20 checkouts at once, finished them in \d+\.\ds  \(140 HTTP requests; \d+ CPUs; target `+regexp.QuoteMeta(target)+`\)$`, out)
		for _, s := range holdStepNames {
			assert.Regexp(t, `(?m)^`+s+` +20 +\d+\.?\d*ms +\d+\.?\d*ms +\d+\.?\d*ms$`, out, "step %s has 20 samples", s)
		}
		assert.NotRegexp(t, `(?m)^flow `, out, "no flow row: a held flow's time is mostly the hold")
		assert.Contains(t, out, "\nerrors: none\n")
		if runtime.GOOS == "linux" {
			assert.Regexp(t, `(?m)^server with 20 open checkouts: rss \d+\.\d MiB \(peak \d+\.\d MiB\), 0 client connections$`, out)
			assert.Regexp(t, `(?m)^server after they paid: rss \d+\.\d MiB \(peak \d+\.\d MiB\)$`, out)
			assert.Regexp(t, `(?m)^cpu: server \d+\.\d\d ms/flow, harness \d+\.\d\d ms/flow$`, out)
		}
		assert.NotContains(t, out, "baseline")
		assert.NotContains(t, out, demoCard, "the report never shows the card number")
	})

	t.Run("hold json", func(t *testing.T) {
		out, _, err := runCmd(t, nil, "loadtest", "-target", target, "-pid", strconv.Itoa(os.Getpid()),
			"-mode", "hold", "-open", "10", "-workers", "2", "-json")
		require.NoError(t, err)
		var rep loadReport
		require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
		assert.Equal(t, "hold", rep.Mode)
		assert.Equal(t, 10, rep.Open)
		assert.Equal(t, 10, rep.Flows)
		assert.Equal(t, 10, rep.OK, "errors: %v", rep.ErrorsByKind)
		assert.Empty(t, rep.ErrorsByKind)
		assert.Equal(t, int64(10*(requestsPerFlow)), rep.Requests)
		require.NotNil(t, rep.Hold)
		assert.Equal(t, 10, rep.Hold.Opened)
		assert.Equal(t, int64(0), rep.Hold.Connections, "the checkout closed each connection when it sent its buyer to the bank")
		assert.Positive(t, rep.Hold.SetupSeconds)
		require.Len(t, rep.Steps, len(holdStepNames))
		for i, s := range rep.Steps {
			assert.Equal(t, holdStepNames[i], s.Name)
			assert.Equal(t, 10, s.Count, s.Name)
		}
		if runtime.GOOS == "linux" {
			require.NotNil(t, rep.Hold.RSSBytes)
			assert.Positive(t, *rep.Hold.RSSBytes)
			assert.GreaterOrEqual(t, *rep.Hold.PeakRSSBytes, *rep.Hold.RSSBytes)
			require.NotNil(t, rep.Server.RSSBytes)
			assert.Positive(t, *rep.Server.RSSBytes)
		}
		assert.Nil(t, rep.Baseline)
		assert.NotContains(t, out, demoCard)
	})
	// With the demo's /metrics the harness waits for the webhooks the payments caused and
	// counts their CPU too: never less than the window's, whose work it includes.
	t.Run("with webhooks", func(t *testing.T) {
		out, _, err := runCmd(t, nil, "loadtest", "-target", target, "-pid", strconv.Itoa(os.Getpid()), "-metrics", metricsURL,
			"-mode", "closed", "-workers", "2", "-duration", "500ms", "-warmup", "200ms", "-baseline", "0", "-json")
		require.NoError(t, err)
		var rep loadReport
		require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
		require.Positive(t, rep.OK)
		assert.Empty(t, rep.Server.WebhooksError)
		require.NotNil(t, rep.Server.WebhooksSettledSeconds, out)
		assert.GreaterOrEqual(t, *rep.Server.WebhooksSettledSeconds, 0.0)
		if runtime.GOOS == "linux" {
			require.NotNil(t, rep.Server.WithWebhooksCPUMsPerFlow, out)
			assert.Positive(t, *rep.Server.WithWebhooksCPUMsPerFlow)
		}
		pending, err := readGauge(t.Context(), http.DefaultClient, metricsURL, pendingGauge)
		require.NoError(t, err)
		assert.Zero(t, pending, "nothing was left to deliver when the harness was done")
	})
	t.Run("closed", func(t *testing.T) {
		// The demo runs in this process, so -pid is this process: its CPU and memory are read.
		out, _, err := runCmd(t, nil, "loadtest", "-target", target, "-pid", strconv.Itoa(os.Getpid()),
			"-mode", "closed", "-workers", "2", "-duration", "1500ms", "-warmup", "200ms", "-baseline", "0")
		require.NoError(t, err)
		m := reportHead.FindStringSubmatch(out)
		require.Len(t, m, 3, "report head:\n%s", out)
		assert.Equal(t, m[1], m[2], "every flow succeeded")
		assert.NotEqual(t, "0", m[2], "flows completed")
		assert.Regexp(t, `(?m)^flows/s \d+\.\d  \(elapsed `, out)
		assert.Regexp(t, `(?m)^step +count +p50 +p99 +max$`, out)
		for _, s := range append(slices.Clone(flowStepNames), "flow") {
			assert.Regexp(t, `(?m)^`+s+` +[1-9]\d* +\d+\.?\d*ms +\d+\.?\d*ms +\d+\.?\d*ms$`, out, "step %s has samples", s)
		}
		assert.Contains(t, out, "\nerrors: none\n")
		if runtime.GOOS == "linux" {
			assert.Regexp(t, `(?m)^server: cpu \d+\.\d\d ms/flow, rss \d+\.\d MiB \(peak \d+\.\d MiB\)$`, out)
			assert.Regexp(t, `(?m)^harness: cpu \d+\.\d\d ms/flow$`, out)
		}
		assert.Contains(t, out, "baseline: not measured (-baseline 0)")
		assert.NotContains(t, out, demoCard, "the report never shows the card number")
	})

	// Two targets that are one server under two names (127.0.0.1 and localhost): the flows'
	// requests alternate between them, the return URL the checkout gave Moka included, and
	// the two -pid (this process twice) are summed and listed.
	t.Run("two targets", func(t *testing.T) {
		u, err := url.Parse(target)
		require.NoError(t, err)
		other := "http://localhost:" + u.Port()
		pid := strconv.Itoa(os.Getpid())
		out, _, err := runCmd(t, nil, "loadtest", "-target", target+","+other, "-pid", pid+","+pid,
			"-mode", "closed", "-workers", "2", "-duration", "700ms", "-warmup", "0", "-baseline", "0")
		require.NoError(t, err)
		assert.Regexp(t, `(?m)^mode closed  workers 2  duration 700ms  flows ([1-9]\d*) ok ([1-9]\d*) errors 0$`, out)
		assert.Contains(t, out, "target "+target+","+other+")")
		assert.Contains(t, out, "\nerrors: none\n")
		if runtime.GOOS == "linux" {
			assert.Regexp(t, `(?m)^server: cpu \d+\.\d\d ms/flow, rss \d+\.\d MiB \(peak \d+\.\d MiB\); per process: pid `+pid+` \d+\.\d MiB, pid `+pid+` \d+\.\d MiB$`, out)
		}

		out, _, err = runCmd(t, nil, "loadtest", "-target", target+","+other, "-pid", pid+","+pid,
			"-mode", "hold", "-open", "6", "-workers", "2", "-json")
		require.NoError(t, err)
		var rep loadReport
		require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
		assert.Equal(t, 6, rep.OK, "errors: %v", rep.ErrorsByKind)
		require.NotNil(t, rep.Hold)
		assert.Equal(t, int64(0), rep.Hold.Connections, "each checkout closed its buyers' connections at the bank redirect")
		if runtime.GOOS == "linux" {
			require.Len(t, rep.Hold.Processes, 2)
			require.NotNil(t, rep.Hold.RSSBytes)
			assert.Equal(t, rep.Hold.Processes[0].RSSBytes+rep.Hold.Processes[1].RSSBytes, *rep.Hold.RSSBytes)
			assert.Len(t, rep.Server.Processes, 2)
		}
	})

	t.Run("open", func(t *testing.T) {
		out, _, err := runCmd(t, nil, "loadtest", "-target", target, "-mode", "open", "-rate", "20",
			"-duration", "1s", "-warmup", "0", "-baseline", "0", "-json")
		require.NoError(t, err)
		var rep loadReport
		require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
		// Flows are due at 0, 50ms, ... 950ms: exactly 20, each run or counted as an error.
		assert.Equal(t, 20, rep.Flows)
		assert.Equal(t, 20, rep.OK, "errors: %v", rep.ErrorsByKind)
		assert.Empty(t, rep.ErrorsByKind)
		assert.Equal(t, int64(20*requestsPerFlow), rep.Requests)
		require.Len(t, rep.Steps, len(flowStepNames)+1)
		for _, s := range rep.Steps {
			assert.Equal(t, 20, s.Count, s.Name)
			assert.Positive(t, s.MaxMs, s.Name)
			assert.LessOrEqual(t, s.P50ms, s.P99ms, s.Name)
			assert.LessOrEqual(t, s.P99ms, s.MaxMs, s.Name)
		}
		assert.Nil(t, rep.Server.CPUMsPerFlow, "no -pid, no server CPU")
		assert.Nil(t, rep.Baseline)
		assert.NotContains(t, out, demoCard)
	})
	r.stop(t)
}

// TestLoadtestHoldBounds: a server that never answers. Two set-ups start (-workers 2) and
// hang; no set-up starts after -duration, so the other eight are not_opened; the hard stop
// (-duration plus -grace) cancels the two. A server that answers 503 gets no retry: each
// checkout is one error of its kind.
func TestLoadtestHoldBounds(t *testing.T) {
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does the server notice the client hanging up.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer stall.Close()
	out, _, err := runCmd(t, nil, "loadtest", "-target", stall.URL, "-mode", "hold", "-open", "10", "-workers", "2",
		"-duration", "200ms", "-grace", "100ms")
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^mode hold  open 10  workers 2  set up in 0\.\ds  ok 0 errors 10$`, out)
	assert.Contains(t, out, "\nerrors: not_opened 8, create:stopped 2\n")
	assert.Contains(t, out, "\nserver with 0 open checkouts: rss n/a (needs the server's pid and Linux /proc), 0 client connections\n")

	var requests atomic.Int64
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer busy.Close()
	out, _, err = runCmd(t, nil, "loadtest", "-target", busy.URL, "-mode", "hold", "-open", "5", "-workers", "2", "-json")
	require.NoError(t, err)
	var rep loadReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Equal(t, map[string]int{"create:503": 5}, rep.ErrorsByKind)
	assert.Equal(t, int64(5), requests.Load(), "no retry")
	assert.Equal(t, int64(0), rep.Hold.Connections, "a failed set-up closes its connection")
}

// TestLoadtestStartsItsOwnDemo runs the default way: the harness starts the demo and the
// hello-world baseline as child processes of its own binary (here, this test binary).
func TestLoadtestStartsItsOwnDemo(t *testing.T) {
	t.Setenv(childEnvVar, "1")
	out, stderr, err := runCmd(t, nil, "loadtest", "-workers", "2", "-duration", "700ms", "-warmup", "0", "-baseline", "300ms")
	require.NoError(t, err, stderr)
	m := regexp.MustCompile(`(?m)^mode closed  workers 2  duration 700ms  flows (\d+) ok (\d+) errors 0$`).FindStringSubmatch(out)
	require.Len(t, m, 3, out)
	assert.NotEqual(t, "0", m[2], out)
	assert.Regexp(t, `(?m)^baseline: echo hello-world [1-9]\d* req/s \(2 concurrent, 300ms, 0 errors\); checkout [1-9]\d* req/s \(ratio \d+\.\d{3}\)$`, out)
	if runtime.GOOS == "linux" {
		assert.Regexp(t, `(?m)^server: cpu \d+\.\d\d ms/flow, rss \d+\.\d MiB`, out)
		// The demo delivers its webhooks to the storefront: the harness waited for them.
		assert.Regexp(t, `(?m)^server with its webhooks: cpu \d+\.\d\d ms/flow \(from the warm-up until the deliveries were made, \d+\.\ds after the window\)$`, out)
	}
	assert.NotContains(t, out, demoCard)
}

func TestLoadtestRefusesNonLoopbackTargets(t *testing.T) {
	for _, target := range []string{
		"http://10.0.0.1:8080", "http://example.com", "http://192.168.1.10", "http://[2001:db8::1]:80",
		"http://0.0.0.0:8080", "http://localhost.example.com:8080",
	} {
		_, _, err := runCmd(t, nil, "loadtest", "-target", target)
		require.Error(t, err, target)
		assert.Contains(t, err.Error(), "only loopback hosts", target)
	}
	for _, target := range []string{"ftp://127.0.0.1", "127.0.0.1:8080", "http://127.0.0.1:8080/pay"} {
		_, _, err := runCmd(t, nil, "loadtest", "-target", target)
		assert.Error(t, err, target)
	}
	for _, target := range []string{"http://127.0.0.1:8080", "http://127.1.2.3:9", "http://localhost:8080", "http://[::1]:8080/"} {
		_, err := loopbackTarget(target)
		assert.NoError(t, err, target)
	}

	// Whatever a page or a Location names, the client connects to loopback only.
	client := newLoadClient(1, time.Second)
	_, err := client.Get("http://192.0.2.1/")
	require.Error(t, err)
	assert.Equal(t, "create:nonloopback", errorKind(t.Context(), "create", err))
}

func TestLoadtestFlagErrors(t *testing.T) {
	for args, want := range map[string]string{
		"-mode burst":                       `-mode "burst"`,
		"-workers 0":                        "-workers must be at least 1",
		"-mode open -rate 0":                "-rate must be more than 0",
		"-duration 0":                       "-duration must be positive",
		"-pid 42":                           "-pid needs -target",
		"-mode open -max-inflight 0":        "-max-inflight must be at least 1",
		"-mode hold -open 0":                "-open must be from 1 to 100000",
		"-mode hold -workers 0":             "-workers must be at least 1",
		"-pid 42,43":                        "-pid needs -target",
		"-pid 42,x":                         "want process ids, comma-separated",
		"-target http://127.0.0.1:1 -pid 0": "want process ids, comma-separated",
		"-target http://127.0.0.1:1,":       "an empty entry",
		"-target http://127.0.0.1:1,http://127.0.0.1:1/":                       "listed twice",
		"-target http://127.0.0.1:1,http://10.0.0.1:2":                         "only loopback hosts",
		"-metrics http://127.0.0.1:1/metrics":                                  "-metrics needs -target and -pid",
		"-target http://127.0.0.1:1 -metrics http://127.0.0.1:2/metrics":       "-metrics needs -target and -pid",
		"-target http://127.0.0.1:1 -pid 1 -metrics http://10.0.0.1:2/metrics": "want loopback /metrics URLs",
	} {
		_, _, err := runCmd(t, nil, append([]string{"loadtest"}, strings.Fields(args)...)...)
		require.Error(t, err, args)
		assert.Contains(t, err.Error(), want, args)
	}
	_, stderr, err := runCmd(t, nil, "loadtest", "-h")
	require.NoError(t, err)
	for _, flag := range []string{"-mode", "-workers", "-rate", "-max-inflight", "-open", "-duration", "-warmup", "-baseline", "-target", "-pid", "-metrics", "-json"} {
		assert.Regexp(t, `(?m)^  `+regexp.QuoteMeta(flag)+`( |$)`, stderr, flag)
	}
	assert.NotContains(t, stderr, helloFlag, "the baseline's server is not a user-facing flag")
}

// fakeClock is a clock that moves only when told: SleepUntil jumps to the time asked for,
// and a step can advance it to stand for work that takes time.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	onSleep func(t time.Time) // called after every SleepUntil, outside the lock
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) bool {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
	if c.onSleep != nil {
		c.onSleep(t)
	}
	return ctx.Err() == nil
}

func TestRunStepsTimesTheFirstStepFromTheScheduledStart(t *testing.T) {
	epoch := time.Now() // any instant: the fake clock starts there
	clk := &fakeClock{now: epoch}
	work := func(d time.Duration) func(context.Context) error {
		return func(context.Context) error { clk.advance(d); return nil }
	}
	// Due 300ms ago: the first step's latency includes the 300ms the flow waited to start.
	r := runSteps(t.Context(), clk, epoch.Add(-300*time.Millisecond), []step{{"create", work(10 * time.Millisecond)}, {"page", work(5 * time.Millisecond)}})
	assert.Equal(t, "", r.err)
	assert.Equal(t, []time.Duration{310 * time.Millisecond, 5 * time.Millisecond}, r.steps)
	assert.Equal(t, 315*time.Millisecond, r.total)

	r = runSteps(t.Context(), clk, clk.Now(), []step{{"create", work(time.Millisecond)}, {"submit", func(context.Context) error { return statusErr(503) }}, {"status", work(0)}})
	assert.Equal(t, "submit:503", r.err)
	assert.Equal(t, 1, r.done, "only the steps before the failure count")
}

// TestOpenModelChargesQueueingToTheFlow: the harness can run only one flow at a time (an
// inline spawn) and each flow takes 250ms while one is due every 100ms. A closed-loop
// measurement would report 250ms for every flow; the open model charges each flow the
// time it waited since it was due: 250, 400, 550, ... ms.
func TestOpenModelChargesQueueingToTheFlow(t *testing.T) {
	clk := &fakeClock{now: time.Now()}
	flow := func(ctx context.Context, due time.Time) flowResult {
		return runSteps(ctx, clk, due, []step{{"create", func(context.Context) error { clk.advance(250 * time.Millisecond); return nil }}})
	}
	rec := newRecorder([]string{"create"})
	inline := func(_ *sync.WaitGroup, f func()) { f() }
	ph := runOpen(t.Context(), clk, 10, 100, time.Second, flow, rec, inline)

	require.Equal(t, 10, rec.ok)
	require.Len(t, rec.samples[0], 10)
	for i, got := range rec.samples[0] {
		assert.Equal(t, time.Duration(250+150*i)*time.Millisecond, got, "flow %d, due at %dms", i, 100*i)
	}
	assert.Equal(t, rec.samples[0], rec.samples[1], "one step: the flow's total is the step's latency")
	assert.Equal(t, 2500*time.Millisecond, ph.elapsed())
}

// TestOpenModelBoundsFlowsInFlight: the server stalls (every flow blocks until the window
// has ended). Flows keep being started on schedule up to -max-inflight; the ones due
// beyond it are errors of kind harness_backlog, and each started flow's latency runs from
// its own due time to the end of the stall.
func TestOpenModelBoundsFlowsInFlight(t *testing.T) {
	start := time.Now()
	end := start.Add(time.Second)
	stall := make(chan struct{})
	clk := &fakeClock{now: start, onSleep: func(t time.Time) {
		if t.Equal(end) { // the schedule is done: the server recovers
			close(stall)
		}
	}}
	flow := func(ctx context.Context, due time.Time) flowResult {
		return runSteps(ctx, clk, due, []step{{"create", func(context.Context) error { <-stall; return nil }}})
	}
	rec := newRecorder([]string{"create"})
	ph := runOpen(t.Context(), clk, 10, 8, time.Second, flow, rec, goSpawn)

	assert.Equal(t, 8, rec.ok)
	assert.Equal(t, map[string]int{"harness_backlog": 2}, rec.errors, "flows 8 and 9 were due with 8 in flight")
	assert.Equal(t, 8, ph.peakInflight)
	got := slices.Sorted(slices.Values(rec.samples[0]))
	var want []time.Duration
	for i := 7; i >= 0; i-- {
		want = append(want, end.Sub(start.Add(time.Duration(i)*100*time.Millisecond)))
	}
	assert.Equal(t, want, got, "latency from each flow's due time: 300ms ... 1s")
}

func TestClosedLoopCountsServerErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	base, err := url.Parse(srv.URL)
	require.NoError(t, err)
	client := newLoadClient(2, time.Second)
	defer client.CloseIdleConnections()
	n := 0
	var mu sync.Mutex
	clk := &fakeClock{now: time.Now()}
	// Each flow moves the fake clock 100ms, so the 1s window ends after about ten flows
	// whatever the machine's speed.
	pay := newPayTarget(newTargets([]*url.URL{base}), client, strconv.Itoa(time.Now().Year()+3), "test").flow(clk)
	flow := func(ctx context.Context, due time.Time) flowResult {
		r := pay(ctx, due)
		mu.Lock()
		n++
		mu.Unlock()
		clk.advance(100 * time.Millisecond)
		return r
	}
	rec := newRecorder(flowStepNames)
	runClosed(t.Context(), clk, 2, time.Second, flow, rec)
	assert.Equal(t, 0, rec.ok)
	assert.Equal(t, n, rec.failed)
	assert.Equal(t, map[string]int{"create:503": n}, rec.errors)
	assert.Equal(t, int64(n), rec.requests, "one answered request per flow")
}

func TestErrorKinds(t *testing.T) {
	ctx := t.Context()
	assert.Equal(t, "page:parse", errorKind(ctx, "page", kindErr("parse")))
	assert.Equal(t, "return:500", errorKind(ctx, "return", statusErr(500)))
	assert.Equal(t, "not_paid", errorKind(ctx, "status", &kindError{kind: "not_paid", bare: true}))
	assert.Equal(t, "bank:connreset", errorKind(ctx, "bank", fmt.Errorf("read: %w", syscall.ECONNRESET)))
	assert.Equal(t, "submit:transport", errorKind(ctx, "submit", errors.New("something else")))

	// A refused connection: a port nothing listens on.
	client := newLoadClient(1, time.Second)
	_, err := client.Get("http://" + freeAddrs(t, 1)[0] + "/")
	require.Error(t, err)
	assert.Equal(t, "create:connrefused", errorKind(ctx, "create", err))

	// The hard stop cancels requests: their kind is "stopped", not a server failure.
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	assert.Equal(t, "status:stopped", errorKind(stopped, "status", context.Canceled))
}

func TestQuantiles(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	p50, p99, mx := quantiles(s)
	assert.Equal(t, 50*time.Millisecond, p50)
	assert.Equal(t, 99*time.Millisecond, p99)
	assert.Equal(t, 100*time.Millisecond, mx)
	p50, p99, mx = quantiles([]time.Duration{7})
	assert.Equal(t, []time.Duration{7, 7, 7}, []time.Duration{p50, p99, mx})
	p50, _, _ = quantiles(nil)
	assert.Zero(t, p50)
}

func TestProcStats(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	cpu, err := procCPU(os.Getpid())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, cpu, time.Duration(0))
	m, err := procMemory(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, m.rss)
	assert.GreaterOrEqual(t, m.peak, m.rss)
	_, err = procCPU(0)
	assert.Error(t, err)
}

func TestReportText(t *testing.T) {
	cpu, rss, peak, ratio := 2.9, int64(31<<20), int64(40<<20), 0.08
	rep := &loadReport{
		Mode: "open", Rate: 200, MaxInflight: 2000, Duration: "20s", Flows: 4012, OK: 4000, Errors: 12,
		ElapsedSeconds: 20.01, FlowsPerSec: 199.9, Requests: 28000, RequestsPerSec: 1399, CPUs: 2,
		Steps:        []stepStats{{Name: "create", Count: 4000, P50ms: 1.2, P99ms: 34.5, MaxMs: 120}},
		ErrorsByKind: map[string]int{"submit:503": 10, "create:timeout": 1, "bank:eof": 1},
		Server:       procStats{CPUMsPerFlow: &cpu, RSSBytes: &rss, PeakRSSBytes: &peak},
		Baseline:     &baselineReport{Concurrency: 9, Duration: "3s", HelloReqPerSec: 17450, CheckoutReqPerSec: 1399, Ratio: &ratio},
	}
	var b strings.Builder
	rep.writeText(&b)
	out := b.String()
	assert.Contains(t, out, "mode open  rate 200/s  max-inflight 2000  duration 20s  flows 4012 ok 4000 errors 12\n")
	assert.Contains(t, out, "create       4000     1.20ms     34.5ms      120ms\n")
	assert.Contains(t, out, "errors: submit:503 10, bank:eof 1, create:timeout 1\n")
	assert.Contains(t, out, "server: cpu 2.90 ms/flow, rss 31.0 MiB (peak 40.0 MiB)\n")
	assert.Contains(t, out, "harness: n/a")
	assert.Contains(t, out, "baseline: echo hello-world 17450 req/s (9 concurrent, 3s, 0 errors); checkout 1399 req/s (ratio 0.080)\n")
}

// spreadCheckout is a fake checkout with its bank, enough for one flow's seven requests. It
// can be served under several origins: every origin shares its orders, and each request
// is logged with the origin that served it. The bank's return form names the origin that
// served the card post, as the checkout's RedirectUrl to Moka would.
type spreadCheckout struct {
	t    *testing.T
	bank string // the bank's origin

	mu     sync.Mutex
	orders int
	log    []string // "origin METHOD /path"
}

func (f *spreadCheckout) handler(origin *string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.log = append(f.log, *origin+" "+r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/orders":
			f.mu.Lock()
			f.orders++
			id := "ord_" + strconv.Itoa(f.orders)
			f.mu.Unlock()
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"id":%q}`, id)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/orders/"):
			fmt.Fprint(w, `{"status":"paid"}`)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/pay/"):
			fmt.Fprintf(w, `<form id="card-form" method="post" action="%s"><input name="form_token" value="tok"></form>`, r.URL.Path)
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/return/att"):
			w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/return/att")+"/result/att")
			w.WriteHeader(http.StatusSeeOther)
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/pay/"):
			if r.FormValue("form_token") != "tok" {
				http.Error(w, "no token", http.StatusBadRequest)
				return
			}
			ret := url.QueryEscape(*origin + r.URL.Path + "/return/att")
			w.Header().Set("Location", f.bank+"/bank?return="+ret)
			w.WriteHeader(http.StatusSeeOther)
		default:
			http.NotFound(w, r)
		}
	})
}

func (f *spreadCheckout) bankHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			fmt.Fprintf(w, `<form id="otp-form" method="post" action="/otp?return=%s"></form>`, url.QueryEscape(r.URL.Query().Get("return")))
		default:
			fmt.Fprintf(w, `<form id="return-form" method="post" action="%s"><input name="x" value="1"></form>`, r.URL.Query().Get("return"))
		}
	})
}

// TestFlowSpreadsRequestsOverTargets: with three checkouts, the requests of the flows go
// to them in turn, one request each, whichever checkout a page, a Location or the bank's
// return form names. The bank's pages are not checkouts and are left alone.
func TestFlowSpreadsRequestsOverTargets(t *testing.T) {
	f := &spreadCheckout{t: t}
	bank := httptest.NewServer(f.bankHandler())
	defer bank.Close()
	f.bank = bank.URL
	origins := make([]string, 3)
	var list []*url.URL
	for i := range origins {
		srv := httptest.NewServer(f.handler(&origins[i]))
		defer srv.Close()
		origins[i] = srv.URL
		u, err := loopbackTarget(srv.URL)
		require.NoError(t, err)
		list = append(list, u)
	}
	client := newLoadClient(3, 5*time.Second)
	defer client.CloseIdleConnections()
	pay := newPayTarget(newTargets(list), client, strconv.Itoa(time.Now().Year()+3), "test").flow(realClock{})
	for range 3 {
		r := pay(t.Context(), time.Now())
		require.Empty(t, r.err)
		assert.Equal(t, requestsPerFlow, r.requests)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	// Five checkout requests per flow, three flows, one after the other: fifteen, each to
	// the next origin.
	require.Len(t, f.log, 15, "%q", f.log)
	perOrigin := map[string]int{}
	for i, line := range f.log {
		origin, _, _ := strings.Cut(line, " ")
		assert.Equal(t, origins[i%3], origin, "request %d: %s", i, line)
		perOrigin[origin]++
	}
	assert.Equal(t, map[string]int{origins[0]: 5, origins[1]: 5, origins[2]: 5}, perOrigin)
	// The first flow: create on 0, page on 1, card post on 2, the bank's return (which
	// names 2, where the card was posted) on 0, status on 1.
	assert.Equal(t, []string{
		origins[0] + " POST /api/v1/orders", origins[1] + " GET /pay/ord_1", origins[2] + " POST /pay/ord_1",
		origins[0] + " POST /pay/ord_1/return/att", origins[1] + " GET /api/v1/orders/ord_1",
	}, f.log[:5])
}

func TestTargetAndPidLists(t *testing.T) {
	us, err := parseTargets("http://127.0.0.1:8080, http://localhost:8081/")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080,http://localhost:8081", joinURLs(us))
	_, err = parseTargets("http://127.0.0.1:8080,http://example.com")
	assert.ErrorContains(t, err, "only loopback hosts")

	ps, err := parsePids(" 12, 34")
	require.NoError(t, err)
	assert.Equal(t, procs{12, 34}, ps)
	ps, err = parsePids("")
	require.NoError(t, err)
	assert.Empty(t, ps)

	tg := newTargets(us)
	page, err := url.Parse("http://127.0.0.1:8080/pay/ord_1?x=1")
	require.NoError(t, err)
	assert.Equal(t, "http://localhost:8081/pay/ord_1?x=1", tg.spread(page, us[1]).String())
	bank, err := url.Parse("http://127.0.0.1:9999/bank")
	require.NoError(t, err)
	assert.Same(t, bank, tg.spread(bank, us[1]), "not a checkout: left alone")

	if runtime.GOOS == "linux" {
		self := os.Getpid()
		m := procs{self, self}.memory()
		require.NotNil(t, m)
		require.Len(t, m.perProcess(), 2)
		assert.Equal(t, m.each[0].RSSBytes+m.each[1].RSSBytes, m.total.rss)
		assert.Len(t, procs{self}.memory().perProcess(), 0, "one process: no list")
		_, err := procs{self, self}.cpu()
		assert.NoError(t, err)
	}
	assert.Nil(t, procs(nil).memory())
	_, err = procs(nil).cpu()
	assert.Error(t, err)
}
