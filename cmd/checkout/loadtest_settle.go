package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The payments of a run cause work that outlasts them: each writes events, and the
// webhook worker delivers them (in demo mode, to the example storefront in the same
// process), often after the window when the run outpaces it. The window's CPU figure
// leaves that work out. With the servers' /metrics (the demo the harness starts, or
// -metrics), the harness waits after the window until no delivery is left, and reports
// the servers' CPU from before the warm-up until then, divided by every payment of the
// warm-up and the window: the CPU per payment with its webhooks.

// pendingGauge is the servers' count of webhook deliveries not yet made.
const pendingGauge = "checkout_webhook_outbox_pending"

// settleQuiet is how long the gauges must stay at 0 before the work counts as done: the
// worker queues new events on its poll (every 100 ms, or as a try ends), so a gauge may
// read 0 while an event written at the window's end waits to be queued. A wide margin:
// a server under -race or on a busy machine polls late.
const settleQuiet = 1500 * time.Millisecond

// settleLimit bounds the wait: past it the figure is left out, with the reason.
const settleLimit = 2 * time.Minute

// parseMetricsURLs reads -metrics: one or more loopback /metrics URLs, comma-separated.
func parseMetricsURLs(raw string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	var out []string
	for part := range strings.SplitSeq(raw, ",") {
		part = strings.TrimSpace(part)
		u, err := loopbackTarget(strings.TrimSuffix(part, "/metrics"))
		if err != nil {
			return nil, fmt.Errorf("loadtest: -metrics %q: want loopback /metrics URLs such as http://127.0.0.1:8083/metrics", raw)
		}
		out = append(out, u.String()+"/metrics")
	}
	return out, nil
}

// settleWebhooks waits until every server's pending deliveries have read 0 for
// settleQuiet, and returns how long after its start they first did so for good.
func settleWebhooks(ctx context.Context, client *http.Client, urls []string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	var zeroSince time.Time
	for {
		n, err := pendingDeliveries(ctx, client, urls)
		if err != nil {
			return 0, err
		}
		switch {
		case n != 0:
			zeroSince = time.Time{}
		case zeroSince.IsZero():
			zeroSince = time.Now()
		case time.Since(zeroSince) >= settleQuiet:
			return zeroSince.Sub(start), nil
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("%.0f webhook deliveries still pending %s after the window", n, limit)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pendingDeliveries sums the servers' pending deliveries.
func pendingDeliveries(ctx context.Context, client *http.Client, urls []string) (float64, error) {
	var sum float64
	for _, u := range urls {
		v, err := readGauge(ctx, client, u, pendingGauge)
		if err != nil {
			return 0, err
		}
		if v < 0 {
			return 0, fmt.Errorf("%s: %s is %v: the server could not count its deliveries", u, pendingGauge, v)
		}
		sum += v
	}
	return sum, nil
}

// readGauge reads one unlabelled gauge from a Prometheus text exposition.
func readGauge(ctx context.Context, client *http.Client, u, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: HTTP %d", u, resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w", u, err)
	}
	return 0, errors.New(u + ": no " + name + " (a server without webhooks has nothing to wait for: leave out -metrics)")
}
