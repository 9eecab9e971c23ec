// Package metrics collects what an operator watches, in the Prometheus format: requests by
// route and status and their latency, Moka calls by service and result with their
// latency, payment outcomes, the store's commit latency, reconciliation, load shedding,
// webhook tries by result with their latency, and gauges read at scrape time (attempts at
// the bank, open actions, the webhook outbox). It is served on its own
// listen address, never on the public one. The other packages know nothing of Prometheus:
// they call the Observe methods, or the wiring passes them as hooks.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the checkout's registry and collectors. A nil *Metrics observes nothing, so
// callers need not check.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestSeconds  *prometheus.HistogramVec
	mokaCalls       *prometheus.CounterVec
	mokaSeconds     *prometheus.HistogramVec
	outcomes        *prometheus.CounterVec
	commitSeconds   prometheus.Histogram
	commitWrites    prometheus.Histogram
	reconcilePasses *prometheus.CounterVec
	reconciled      *prometheus.CounterVec
	webhookTries    *prometheus.CounterVec
	webhookSeconds  prometheus.Histogram
}

// Buckets of the latency histograms, in seconds: from a cached page (1 ms) to a Moka call
// at its timeout (30 s).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New makes the registry with the Go runtime's and the process's own collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "checkout_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status code.",
	}, []string{"route", "method", "code"})
	m.requestSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "checkout_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern (the buyer's steps are /pay/:order, its POST, the bank's return and the result page).",
		Buckets: latencyBuckets,
	}, []string{"route", "method"})
	m.mokaCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "checkout_moka_calls_total", Help: "Calls to Moka, by service and result (Success, Moka's result code, timeout, unavailable, http_<status>, malformed).",
	}, []string{"service", "result"})
	m.mokaSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "checkout_moka_call_duration_seconds", Help: "Time of a call to Moka, by service.", Buckets: latencyBuckets,
	}, []string{"service"})
	m.outcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "checkout_payment_outcomes_total", Help: "Payment outcomes recorded, by outcome (paid, authorized, failed, conflict) and source (return, reconcile).",
	}, []string{"outcome", "source"})
	m.commitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "checkout_store_commit_duration_seconds", Help: "Time of one SQLite write transaction (a batch of writes, fsync included).",
		Buckets: latencyBuckets,
	})
	m.commitWrites = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "checkout_store_commit_writes", Help: "Writes committed together in one transaction (group commit).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
	})
	m.reconcilePasses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "checkout_reconcile_passes_total", Help: "Reconciliation passes, by result (ok, error).",
	}, []string{"result"})
	m.reconciled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "checkout_reconciled_total", Help: "What reconciliation settled, by kind (expired, paid, abandoned, actions, left).",
	}, []string{"kind"})
	m.webhookTries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "checkout_webhook_tries_total", Help: "Webhook delivery tries, by result: the receiver's status class (2xx, 3xx, 4xx, 5xx) or error (no answer: refused, timed out, reset, address refused).",
	}, []string{"result"})
	m.webhookSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "checkout_webhook_try_duration_seconds", Help: "Time of one webhook delivery try, until the receiver's answer or the 10 s timeout.",
		Buckets: latencyBuckets,
	})
	m.reg.MustRegister(m.requests, m.requestSeconds, m.mokaCalls, m.mokaSeconds, m.outcomes,
		m.commitSeconds, m.commitWrites, m.reconcilePasses, m.reconciled, m.webhookTries, m.webhookSeconds)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest counts one answered request. route is the pattern ("/pay/:order"), never
// the path, so ids do not become labels.
func (m *Metrics) ObserveRequest(route, method string, code int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.requestSeconds.WithLabelValues(route, method).Observe(d.Seconds())
}

// ObserveMoka counts one call to Moka.
func (m *Metrics) ObserveMoka(service, result string, d time.Duration) {
	if m == nil {
		return
	}
	m.mokaCalls.WithLabelValues(service, result).Inc()
	m.mokaSeconds.WithLabelValues(service).Observe(d.Seconds())
}

// ObserveOutcome counts a recorded payment outcome.
func (m *Metrics) ObserveOutcome(outcome, source string) {
	if m == nil {
		return
	}
	m.outcomes.WithLabelValues(outcome, source).Inc()
}

// ObserveCommit records one write transaction of the store.
func (m *Metrics) ObserveCommit(d time.Duration, writes int) {
	if m == nil {
		return
	}
	m.commitSeconds.Observe(d.Seconds())
	m.commitWrites.Observe(float64(writes))
}

// ObserveReconcile records one reconciliation pass and what it settled.
func (m *Metrics) ObserveReconcile(err error, counts map[string]int) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.reconcilePasses.WithLabelValues(result).Inc()
	for kind, n := range counts {
		m.reconciled.WithLabelValues(kind).Add(float64(n))
	}
}

// ObserveWebhook counts one webhook delivery try: status is the receiver's HTTP status,
// 0 when no answer came (the result is then "error").
func (m *Metrics) ObserveWebhook(status int, _ error, d time.Duration) {
	if m == nil {
		return
	}
	result := "error"
	if status >= 200 && status < 600 {
		result = strconv.Itoa(status/100) + "xx"
	}
	m.webhookTries.WithLabelValues(result).Inc()
	m.webhookSeconds.Observe(d.Seconds())
}

// Gauge adds a value read at every scrape, such as the attempts at the bank now.
func (m *Metrics) Gauge(name, help string, read func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, read))
}

// Counter adds a total read at every scrape, such as the requests shed for load.
func (m *Metrics) Counter(name, help string, read func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, read))
}
