package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// loadReport is what `checkout loadtest` prints, as text or (-json) as JSON.
type loadReport struct {
	Mode        string  `json:"mode"`
	Workers     int     `json:"workers,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	MaxInflight int     `json:"max_inflight,omitempty"`
	Open        int     `json:"open,omitempty"`
	Duration    string  `json:"duration"`
	Target      string  `json:"target"`
	CPUs        int     `json:"cpus"`
	Started     string  `json:"started"`

	Flows          int            `json:"flows"`
	OK             int            `json:"ok"`
	Errors         int            `json:"errors"`
	ElapsedSeconds float64        `json:"elapsed_seconds"`
	FlowsPerSec    float64        `json:"flows_per_second"`
	Requests       int64          `json:"requests"`
	RequestsPerSec float64        `json:"requests_per_second"`
	PeakInflight   int            `json:"peak_inflight"`
	Abandoned      int            `json:"abandoned"`
	Steps          []stepStats    `json:"steps"`
	ErrorsByKind   map[string]int `json:"errors_by_kind"`

	Server        procStats       `json:"server"`
	Harness       procStats       `json:"harness"`
	Hold          *holdReport     `json:"hold,omitempty"`
	Baseline      *baselineReport `json:"baseline,omitempty"`
	BaselineError string          `json:"baseline_error,omitempty"`
}

// stepStats are one step's latencies; "flow" is the whole flow, from its scheduled start.
type stepStats struct {
	Name  string  `json:"name"`
	Count int     `json:"count"`
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// procStats are a process's CPU per completed flow and memory; nil where unknown.
// With several server processes the CPU and the memory are summed, and Processes has
// each one's memory.
type procStats struct {
	CPUMsPerFlow *float64    `json:"cpu_ms_per_flow"`
	RSSBytes     *int64      `json:"rss_bytes,omitempty"`
	PeakRSSBytes *int64      `json:"peak_rss_bytes,omitempty"`
	Processes    []pidMemory `json:"processes,omitempty"`
	// WithWebhooksCPUMsPerFlow is the CPU from before the warm-up until the webhook
	// deliveries the payments caused were made, per payment of the warm-up and the
	// window; WebhooksSettledSeconds is how long after the window that was. Only for the
	// servers, with their /metrics; WebhooksError says why the figure is missing.
	WithWebhooksCPUMsPerFlow *float64 `json:"with_webhooks_cpu_ms_per_flow,omitempty"`
	WebhooksSettledSeconds   *float64 `json:"webhooks_settled_seconds,omitempty"`
	WebhooksError            string   `json:"webhooks_error,omitempty"`
}

// setMemory fills the memory figures from a reading; nil leaves them unknown.
func (p *procStats) setMemory(m *memReading) {
	if m == nil {
		return
	}
	p.RSSBytes, p.PeakRSSBytes, p.Processes = &m.total.rss, &m.total.peak, m.perProcess()
}

// holdReport is what hold mode measured while its checkouts were open.
type holdReport struct {
	Opened        int     `json:"opened"`      // checkouts set up and held at once
	Connections   int64   `json:"connections"` // the harness's live connections to the checkout meanwhile
	SetupSeconds  float64 `json:"setup_seconds"`
	FinishSeconds float64 `json:"finish_seconds"`
	RSSBytes      *int64  `json:"rss_bytes"` // the server's VmRSS and VmHWM while they were held; null if unknown
	PeakRSSBytes  *int64  `json:"peak_rss_bytes"`
	// Processes is each server process's memory while they were held, with several.
	Processes []pidMemory `json:"processes,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// addPhase fills the flow numbers from the measured window.
func (r *loadReport) addPhase(live *recorder, ph phaseResult) {
	rec := live.snapshot()
	r.Flows, r.OK, r.Errors = rec.ok+rec.failed, rec.ok, rec.failed
	r.Requests, r.PeakInflight, r.Abandoned = rec.requests, ph.peakInflight, ph.abandoned
	r.ErrorsByKind = rec.errors
	if el := ph.elapsed(); el > 0 {
		r.ElapsedSeconds = el.Seconds()
		r.FlowsPerSec = float64(rec.ok) / el.Seconds()
		r.RequestsPerSec = float64(rec.requests) / el.Seconds()
	}
	for i, name := range append(slices.Clone(rec.names), "flow") {
		p50, p99, mx := quantiles(rec.samples[i])
		r.Steps = append(r.Steps, stepStats{Name: name, Count: len(rec.samples[i]), P50ms: ms(p50), P99ms: ms(p99), MaxMs: ms(mx)})
	}
}

func (r *loadReport) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *loadReport) writeText(w io.Writer) {
	if r.Mode == "hold" {
		r.writeHoldText(w)
		return
	}
	switch r.Mode {
	case "closed":
		fmt.Fprintf(w, "mode closed  workers %d", r.Workers)
	default:
		fmt.Fprintf(w, "mode open  rate %s/s  max-inflight %d", trimFloat(r.Rate), r.MaxInflight)
	}
	fmt.Fprintf(w, "  duration %s  flows %d ok %d errors %d\n", r.Duration, r.Flows, r.OK, r.Errors)
	fmt.Fprintf(w, "flows/s %.1f  (elapsed %.2fs with the drain; %d HTTP requests, %.0f req/s; peak %d flows in flight; %d CPUs; target %s)\n",
		r.FlowsPerSec, r.ElapsedSeconds, r.Requests, r.RequestsPerSec, r.PeakInflight, r.CPUs, r.Target)

	fmt.Fprintf(w, "%-8s %8s %10s %10s %10s\n", "step", "count", "p50", "p99", "max")
	for _, s := range r.Steps {
		fmt.Fprintf(w, "%-8s %8d %10s %10s %10s\n", s.Name, s.Count, fmtMs(s.P50ms), fmtMs(s.P99ms), fmtMs(s.MaxMs))
	}

	fmt.Fprintln(w, "errors:", errorsLine(r.ErrorsByKind))
	if r.Abandoned > 0 {
		fmt.Fprintf(w, "abandoned: %d flows were still running %s after the hard stop\n", r.Abandoned, abandonAfter)
	}
	fmt.Fprintln(w, "server:", r.Server.text())
	switch p := r.Server; {
	case p.WithWebhooksCPUMsPerFlow != nil && p.WebhooksSettledSeconds != nil:
		fmt.Fprintf(w, "server with its webhooks: cpu %.2f ms/flow (from the warm-up until the deliveries were made, %.1fs after the window)\n",
			*p.WithWebhooksCPUMsPerFlow, *p.WebhooksSettledSeconds)
	case p.WebhooksError != "":
		fmt.Fprintln(w, "server with its webhooks: n/a:", p.WebhooksError)
	}
	fmt.Fprintln(w, "harness:", r.Harness.text())
	if b := r.Baseline; b != nil {
		ratio := "n/a"
		if b.Ratio != nil {
			ratio = fmt.Sprintf("%.3f", *b.Ratio)
		}
		fmt.Fprintf(w, "baseline: echo hello-world %.0f req/s (%d concurrent, %s, %d errors); checkout %.0f req/s (ratio %s)\n",
			b.HelloReqPerSec, b.Concurrency, b.Duration, b.HelloErrors, b.CheckoutReqPerSec, ratio)
	} else if r.BaselineError != "" {
		fmt.Fprintln(w, "baseline: failed:", r.BaselineError)
	} else {
		fmt.Fprintln(w, "baseline: not measured (-baseline 0)")
	}
}

// writeHoldText is hold mode's report: no throughput or baseline, the server's memory
// with every checkout open and after they paid.
func (r *loadReport) writeHoldText(w io.Writer) {
	h := r.Hold
	if h == nil {
		h = &holdReport{}
	}
	fmt.Fprintf(w, "mode hold  open %d  workers %d  set up in %.1fs  ok %d errors %d\n", r.Open, r.Workers, h.SetupSeconds, r.OK, r.Errors)
	fmt.Fprintf(w, "held %d checkouts at once, finished them in %.1fs  (%d HTTP requests; %d CPUs; target %s)\n",
		h.Opened, h.FinishSeconds, r.Requests, r.CPUs, r.Target)
	fmt.Fprintf(w, "%-8s %8s %10s %10s %10s\n", "step", "count", "p50", "p99", "max")
	for _, s := range r.Steps {
		fmt.Fprintf(w, "%-8s %8d %10s %10s %10s\n", s.Name, s.Count, fmtMs(s.P50ms), fmtMs(s.P99ms), fmtMs(s.MaxMs))
	}
	fmt.Fprintf(w, "server with %d open checkouts: %s, %d client connections%s\n", h.Opened, rssText(h.RSSBytes, h.PeakRSSBytes), h.Connections, perProcessText(h.Processes))
	fmt.Fprintf(w, "server after they paid: %s%s\n", rssText(r.Server.RSSBytes, r.Server.PeakRSSBytes), perProcessText(r.Server.Processes))
	fmt.Fprintln(w, "errors:", errorsLine(r.ErrorsByKind))
	if r.Abandoned > 0 {
		fmt.Fprintf(w, "abandoned: %d flows were still running %s after the hard stop\n", r.Abandoned, abandonAfter)
	}
	fmt.Fprintf(w, "cpu: server %s, harness %s\n", cpuText(r.Server.CPUMsPerFlow), cpuText(r.Harness.CPUMsPerFlow))
}

func rssText(rss, peak *int64) string {
	if rss == nil || peak == nil {
		return "rss n/a (needs the server's pid and Linux /proc)"
	}
	return fmt.Sprintf("rss %.1f MiB (peak %.1f MiB)", mib(*rss), mib(*peak))
}

func cpuText(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.2f ms/flow", *v)
}

func (p procStats) text() string {
	if p.CPUMsPerFlow == nil && p.RSSBytes == nil {
		return "n/a (needs the server's pid and Linux /proc)"
	}
	cpu := "n/a"
	if p.CPUMsPerFlow != nil {
		cpu = fmt.Sprintf("%.2f ms/flow", *p.CPUMsPerFlow)
	}
	s := "cpu " + cpu
	if p.RSSBytes != nil && p.PeakRSSBytes != nil {
		s += fmt.Sprintf(", rss %.1f MiB (peak %.1f MiB)", mib(*p.RSSBytes), mib(*p.PeakRSSBytes)) + perProcessText(p.Processes)
	}
	return s
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// errorsLine lists error kinds, most frequent first: "submit:503 12, create:timeout 3".
func errorsLine(errs map[string]int) string {
	if len(errs) == 0 {
		return "none"
	}
	kinds := slices.SortedFunc(maps.Keys(errs), func(a, b string) int {
		return cmp.Or(cmp.Compare(errs[b], errs[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", k, errs[k])
	}
	return strings.Join(parts, ", ")
}

// fmtMs prints a latency in milliseconds with about three significant digits.
func fmtMs(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	case v < 100:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.0fms", v)
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}
