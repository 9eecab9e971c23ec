package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The load harness: `checkout loadtest` pays demo orders over HTTP the way a browser does
// and reports what the server sustained. docs/performance.md explains every number.
//
// Files: loadtest.go (flags, the run, the report), loadtest_flow.go (one buyer payment),
// loadtest_run.go (closed loop, open model, samples), loadtest_hold.go (hold mode: memory
// with N checkouts open at once), loadtest_proc.go (child processes, /proc, the echo
// hello-world baseline).

const loadtestHelp = `Usage: checkout loadtest [flags]

Pays demo orders over HTTP as a browser would (create, card page, card post, bank page
and OTP, bank return, order status) and reports flows/s, per-step p50/p99/max, errors by
kind, the server's CPU per flow and memory, and an echo hello-world baseline measured in
the same run.

  -mode closed   -workers N flows run back to back, each worker waiting for its last flow
  -mode open     flows are scheduled at -rate per second whatever the server does; every
                 latency counts from the flow's scheduled start, so queueing shows
  -mode hold     opens -open checkouts (-workers at a time) up to the bank's OTP page and
                 holds them all at once, each on its own keep-alive connection to the
                 checkout; reports the server's memory then, finishes them (all must end
                 paid) and reports it again; -duration bounds the set-up, no warm-up or
                 baseline

Without -target it starts "checkout demo" itself on free loopback ports with a fresh
database, and stops it at the end. -target a,b,c loads several running instances that
share one database: each flow sends its requests to them in turn (the bank's return
included), and -pid p,q,r sums their CPU and memory. Only loopback targets are allowed.
Each phase (the
warm-up, the window, the baseline) ends at its length plus -grace at the latest, however
the server behaves. docs/performance.md explains the report.

Flags:
`

// loadOptions are the flags of `checkout loadtest`.
type loadOptions struct {
	mode            string
	workers         int
	rate            float64
	maxInflight     int
	open            int
	duration        time.Duration
	warmup          time.Duration
	grace           time.Duration
	timeout         time.Duration
	baseline        time.Duration
	baselineWorkers int
	target          string     // the -target list as given, normalised
	targets         []*url.URL // -target parsed: one or more checkouts
	pidList         string     // -pid as given
	pids            procs      // -pid parsed
	metricsList     string     // -metrics as given
	metrics         []string   // -metrics parsed, or the started demo's
	json            bool
	keep            bool
}

// Hard stops for the parts of a run that are not load: starting and stopping servers.
const (
	serverStartTimeout = 30 * time.Second
	abandonAfter       = 2 * time.Second // after the hard stop, flows still running are abandoned
)

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The baseline's hello-world server runs in its own process, started by the harness.
	// It is not a user-facing command, so it is not in the flag list.
	if len(args) == 2 && args[0] == helloFlag {
		return serveHello(ctx, args[1])
	}
	o, done, err := parseLoadFlags(args, stderr)
	if done {
		return err
	}
	rep, err := loadtest(ctx, o, stderr)
	if err != nil {
		return err
	}
	if o.json {
		return rep.writeJSON(stdout)
	}
	rep.writeText(stdout)
	return nil
}

func parseLoadFlags(args []string, stderr io.Writer) (loadOptions, bool, error) {
	var o loadOptions
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.StringVar(&o.mode, "mode", "closed", "closed (workers loop), open (constant arrival rate) or hold (memory with -open checkouts open at once)")
	fs.IntVar(&o.workers, "workers", 32, "closed mode: concurrent workers, each running flows back to back; hold mode: checkouts set up (and finished) at once")
	fs.Float64Var(&o.rate, "rate", 200, "open mode: flows started per second")
	fs.IntVar(&o.maxInflight, "max-inflight", 2000, "open mode: flows in flight at most; a flow due beyond it is an error of kind harness_backlog")
	fs.IntVar(&o.open, "open", 1000, "hold mode: checkouts held open at once")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured window (hold mode: no set-up starts after it)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "load before the window, not counted (0: none)")
	fs.DurationVar(&o.grace, "grace", 10*time.Second, "after the window, how long flows still running may finish; then they are stopped")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per HTTP request")
	fs.DurationVar(&o.baseline, "baseline", 3*time.Second, "echo hello-world baseline, measured after the window (0: none)")
	fs.IntVar(&o.baselineWorkers, "baseline-workers", 0, "baseline concurrency (default: -workers in closed mode, the peak flows in flight in open mode)")
	fs.StringVar(&o.target, "target", "", "a running checkout in demo mode, e.g. http://127.0.0.1:8080, or several sharing one database, comma-separated: each flow sends its requests to them in turn (loopback only; default: start one)")
	fs.StringVar(&o.pidList, "pid", "", "with -target: the server's process id, for its CPU and memory (Linux); several comma-separated are summed")
	fs.StringVar(&o.metricsList, "metrics", "", "with -target: the servers' /metrics URLs, comma-separated; the harness then waits after the window until their webhook deliveries are made and reports the CPU per flow with them (default: the started demo's)")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.BoolVar(&o.keep, "keep", false, "keep the started demo's directory (database and server.log) and print its path")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), loadtestHelp)
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args, stderr); done {
		return o, true, err
	}
	if err := o.check(); err != nil {
		return o, true, err
	}
	return o, false, nil
}

func (o *loadOptions) check() error {
	switch o.mode {
	case "closed":
		if o.workers < 1 {
			return errors.New("loadtest: -workers must be at least 1")
		}
	case "hold":
		if o.workers < 1 {
			return errors.New("loadtest: -workers must be at least 1")
		}
		if o.open < 1 || o.open > maxOpen {
			return fmt.Errorf("loadtest: -open must be from 1 to %d", maxOpen)
		}
	case "open":
		if !(o.rate > 0) || o.rate > 1e6 {
			return errors.New("loadtest: -rate must be more than 0 and at most 1000000 per second")
		}
		if o.maxInflight < 1 {
			return errors.New("loadtest: -max-inflight must be at least 1")
		}
	default:
		return fmt.Errorf("loadtest: -mode %q: want closed, open or hold", o.mode)
	}
	if o.duration <= 0 {
		return errors.New("loadtest: -duration must be positive")
	}
	if o.warmup < 0 || o.grace < 0 || o.baseline < 0 || o.baselineWorkers < 0 {
		return errors.New("loadtest: -warmup, -grace, -baseline and -baseline-workers must not be negative")
	}
	if o.timeout <= 0 {
		return errors.New("loadtest: -timeout must be positive")
	}
	pids, err := parsePids(o.pidList)
	if err != nil {
		return err
	}
	if len(pids) > 0 && o.target == "" {
		return errors.New("loadtest: -pid needs -target (without -target the harness knows its own server's pid)")
	}
	o.pids = pids
	if o.metrics, err = parseMetricsURLs(o.metricsList); err != nil {
		return err
	}
	if len(o.metrics) > 0 && (o.target == "" || len(o.pids) == 0) {
		return errors.New("loadtest: -metrics needs -target and -pid (the harness knows its own demo's; the figure is the servers' CPU)")
	}
	if o.target != "" {
		us, err := parseTargets(o.target)
		if err != nil {
			return err
		}
		o.targets, o.target = us, joinURLs(us)
	}
	return nil
}

// loopbackTarget parses a -target URL and refuses any host that is not loopback: the
// harness is for this machine only, never for someone else's server.
func loopbackTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("loadtest: -target %q: want a URL such as http://127.0.0.1:8080", raw)
	}
	if !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("loadtest: -target %q: only loopback hosts (127.0.0.0/8, ::1, localhost) may be load tested", raw)
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = strings.TrimRight(u.Path, "/"), "", "", ""
	if u.Path != "" {
		return nil, fmt.Errorf("loadtest: -target %q: give the checkout's origin, without a path", raw)
	}
	return u, nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadtest is one whole run: the server, the warm-up, the window, the baseline.
func loadtest(ctx context.Context, o loadOptions, stderr io.Writer) (*loadReport, error) {
	now := time.Now()
	rep := &loadReport{
		Mode: o.mode, Duration: o.duration.String(), CPUs: runtime.NumCPU(),
		Started: now.UTC().Format(time.RFC3339),
	}
	switch o.mode {
	case "closed":
		rep.Workers = o.workers
	case "hold":
		rep.Workers, rep.Open = o.workers, o.open
	default:
		rep.Rate, rep.MaxInflight = o.rate, o.maxInflight
	}

	tl, pids := o.targets, o.pids
	var demo *childProcess
	if len(tl) == 0 {
		dir, err := os.MkdirTemp("", "checkout-loadtest-")
		if err != nil {
			return nil, fmt.Errorf("loadtest: %w", err)
		}
		if o.keep {
			fmt.Fprintf(stderr, "loadtest: demo database and server log in %s\n", dir)
		} else {
			defer os.RemoveAll(dir)
		}
		var target string
		demo, target, o.metrics, err = startDemo(ctx, dir)
		if err != nil {
			return nil, err
		}
		defer demo.stop()
		base, err := url.Parse(target)
		if err != nil {
			return nil, fmt.Errorf("loadtest: %w", err)
		}
		tl, pids = []*url.URL{base}, procs{demo.pid()}
	}
	rep.Target = joinURLs(tl)
	for _, pid := range pids {
		if _, err := procCPU(pid); err != nil {
			fmt.Fprintf(stderr, "loadtest: server pid %d: no CPU or memory figures: %v\n", pid, err)
		}
	}
	tgt := newTargets(tl)
	// The card's expiry comes from the clock: three years ahead is valid for the whole run.
	expYear, runID := strconv.Itoa(now.Year()+3), strconv.FormatInt(now.UnixNano(), 36)

	if o.mode == "hold" {
		// No warm-up and no baseline: the sandbox keeps every payment in memory, so
		// flows before the hold would add to the memory measured, and a baseline of
		// throughput says nothing about it.
		if err := loadtestHold(ctx, o, rep, tgt, pids, expYear, runID); err != nil {
			return nil, err
		}
		return rep, nil
	}

	conc := o.workers
	if o.mode == "open" {
		conc = o.maxInflight
	}
	client := newLoadClient(conc, o.timeout)
	defer client.CloseIdleConnections()
	pay := newPayTarget(tgt, client, expYear, runID)
	flow := pay.flow(realClock{})

	// The CPU with the webhooks counts from before the warm-up: the warm-up's deliveries
	// may run into the window.
	cpuStart, cpuStartErr := pids.cpu()
	warmOK := 0
	if o.warmup > 0 {
		warm := newRecorder(flowStepNames)
		if _, err := runPhase(ctx, o, o.warmup, flow, warm); err != nil {
			return nil, err
		}
		warmOK = warm.snapshot().ok
	}

	rec := newRecorder(flowStepNames)
	cpu0, cpuErr := pids.cpu()
	self0, selfErr := procCPU(os.Getpid())
	ph, err := runPhase(ctx, o, o.duration, flow, rec)
	if err != nil {
		return nil, err
	}
	cpu1, cpuErr1 := pids.cpu()
	self1, selfErr1 := procCPU(os.Getpid())
	rep.addPhase(rec, ph)
	if cpuErr == nil && cpuErr1 == nil {
		rep.Server.CPUMsPerFlow = perFlow(cpu1-cpu0, rep.OK)
	}
	if selfErr == nil && selfErr1 == nil {
		rep.Harness.CPUMsPerFlow = perFlow(self1-self0, rep.OK)
	}
	rep.Server.setMemory(pids.memory())
	if len(o.metrics) > 0 && cpuStartErr == nil && cpuErr1 == nil {
		settled, err := settleWebhooks(ctx, client, o.metrics, settleLimit)
		cpu2, cpuErr2 := pids.cpu()
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("loadtest: interrupted: %w", ctx.Err())
		case err != nil:
			rep.Server.WebhooksError = err.Error()
		case cpuErr2 == nil:
			rep.Server.WithWebhooksCPUMsPerFlow = perFlow(cpu2-cpuStart, warmOK+rep.OK)
			s := settled.Seconds()
			rep.Server.WebhooksSettledSeconds = &s
		}
	}
	// The checkout is done: stop it before the baseline so the two do not share the CPU.
	if demo != nil {
		demo.stop()
	}
	client.CloseIdleConnections()

	if o.baseline > 0 {
		bc := o.baselineWorkers
		if bc == 0 {
			bc = o.workers
			if o.mode == "open" {
				bc = max(1, ph.peakInflight)
			}
		}
		b, err := runBaseline(ctx, o, bc)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("loadtest: interrupted: %w", ctx.Err())
		}
		if err != nil {
			// The window's figures stand on their own: report them without the ratio.
			rep.BaselineError = err.Error()
			return rep, nil
		}
		rep.Baseline = b
		b.CheckoutReqPerSec = rep.RequestsPerSec
		if b.HelloReqPerSec > 0 {
			ratio := rep.RequestsPerSec / b.HelloReqPerSec
			rep.Baseline.Ratio = &ratio
		}
	}
	return rep, nil
}

// perFlow turns a CPU time into milliseconds per completed flow; nil when none completed.
func perFlow(cpu time.Duration, flows int) *float64 {
	if flows == 0 {
		return nil
	}
	ms := float64(cpu) / float64(time.Millisecond) / float64(flows)
	return &ms
}

// runPhase runs the mode's load for window and records it in rec. Flows get until the
// window's end plus the grace; then their requests are cancelled.
func runPhase(ctx context.Context, o loadOptions, window time.Duration, flow flowFunc, rec *recorder) (phaseResult, error) {
	clk := realClock{}
	hard, cancel := context.WithDeadline(ctx, clk.Now().Add(window+o.grace))
	defer cancel()
	var ph phaseResult
	if o.mode == "closed" {
		ph = runClosed(hard, clk, o.workers, window, flow, rec)
	} else {
		ph = runOpen(hard, clk, o.rate, o.maxInflight, window, flow, rec, goSpawn)
	}
	if err := ctx.Err(); err != nil {
		return ph, fmt.Errorf("loadtest: interrupted: %w", err)
	}
	return ph, nil
}

// startDemo starts `checkout demo` from this very binary on free loopback ports with a
// database in dir, and waits until its /healthz answers.
func startDemo(ctx context.Context, dir string) (*childProcess, string, []string, error) {
	addrs, err := freeLoopbackAddrs(4)
	if err != nil {
		return nil, "", nil, fmt.Errorf("loadtest: %w", err)
	}
	env := []string{
		"CHECKOUT_ADDR=" + addrs[0],
		"CHECKOUT_SANDBOX_ADDR=" + addrs[1],
		"CHECKOUT_STOREFRONT_ADDR=" + addrs[2],
		"CHECKOUT_METRICS_ADDR=" + addrs[3],
		"CHECKOUT_DB=" + filepath.Join(dir, "data", "checkout.db"),
	}
	c, err := startChild([]string{"demo"}, env, filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, "", nil, fmt.Errorf("loadtest: start the demo: %w", err)
	}
	target := "http://" + addrs[0]
	if err := c.waitHTTP(ctx, target+"/healthz", serverStartTimeout); err != nil {
		c.stop()
		return nil, "", nil, fmt.Errorf("loadtest: the demo did not start: %w%s", err, c.logTail())
	}
	return c, target, []string{"http://" + addrs[3] + "/metrics"}, nil
}
