package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// TestDemoWebhooksReachTheStorefront follows demo mode's printed link, which creates an
// order: its order.created goes to the storefront's receiver, signed with the published
// demo secret, and the storefront's webhooks page lists it; /metrics then counts the try
// as 2xx and shows the outbox empty.
func TestDemoWebhooksReachTheStorefront(t *testing.T) {
	addrs := freeAddrs(t, 4)
	r := startRun(t, map[string]string{
		"CHECKOUT_ADDR":            addrs[0],
		"CHECKOUT_SANDBOX_ADDR":    addrs[1],
		"CHECKOUT_STOREFRONT_ADDR": addrs[2],
		"CHECKOUT_METRICS_ADDR":    addrs[3],
		"CHECKOUT_DB":              filepath.Join(t.TempDir(), "checkout.db"),
	})
	checkoutURL := "http://" + addrs[0]
	r.waitHealthy(t, checkoutURL, "Sandbox test card")
	link := regexp.MustCompile(`(?m)^\s+(http://\S+/link\?\S+)$`).FindStringSubmatch(r.stdout.String())
	require.Len(t, link, 2)
	require.Equal(t, http.StatusSeeOther, r.get(t, link[1]).StatusCode)

	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := r.client.Get("http://" + addrs[2] + "/webhooks")
		require.NoError(t, err)
		doc, err := goquery.NewDocumentFromReader(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		if doc.Find(`#webhooks tr.webhook[data-type="order.created"]`).Length() == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the storefront never listed order.created; stderr ends:\n%s", tail(r.stderr.String()))
		time.Sleep(50 * time.Millisecond) // polling the page, not waiting for an event
	}

	families := scrape(t, r, "http://"+addrs[3]+"/metrics")
	tries := map[string]float64{}
	for _, m := range families["checkout_webhook_tries_total"].GetMetric() {
		tries[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
	}
	assert.Equal(t, 1.0, tries["2xx"], "one try, answered 2xx: %v", tries)
	require.Contains(t, families, "checkout_webhook_try_duration_seconds")
	assert.EqualValues(t, 1, families["checkout_webhook_try_duration_seconds"].GetMetric()[0].GetHistogram().GetSampleCount())
	for name, want := range map[string]float64{
		"checkout_webhook_outbox_pending": 0, "checkout_webhook_oldest_pending_seconds": 0, "checkout_webhook_deliveries_failed": 0,
	} {
		require.Contains(t, families, name)
		assert.Equal(t, want, families[name].GetMetric()[0].GetGauge().GetValue(), name)
	}
	r.stop(t)
}

// The outbox gauges count what waits: pending deliveries and their oldest event's age,
// then, once their retries run out, the deliveries failed for good.
func TestOutboxGauges(t *testing.T) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Hour) // a fixed instant: the gauges are read at now+90s
	clock := func() time.Time { return now }
	store, err := orders.Open(ctx, filepath.Join(t.TempDir(), "checkout.db"), clock)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	require.NoError(t, store.EnsureMerchant(ctx, orders.Merchant{ID: "shop", Name: "Shop"}))
	for i := range 3 {
		o := &orders.Order{MerchantID: "shop", Reference: fmt.Sprintf("G-%d", i), Amount: decimal.RequireFromString("150.00"),
			Currency: "TRY", Capture: orders.CaptureAuto, ExpiresAt: now.Add(time.Hour)}
		require.NoError(t, store.CreateOrder(ctx, o))
	}
	_, _, err = store.EnqueueDeliveries(ctx, orders.EnqueueOptions{Merchants: []string{"shop"}, Window: time.Minute})
	require.NoError(t, err)

	g := &outboxGauges{store: store, merchants: []string{"shop"}, now: func() time.Time { return now.Add(90 * time.Second) }}
	assert.Equal(t, outboxNumbers{pending: 3, oldest: 90, failed: 0}, g.read())

	// Every try fails, and none is left in the one-minute window: failed for good.
	claimed, err := store.ClaimDeliveries(ctx, orders.ClaimOptions{Merchants: []string{"shop"}, Limit: 10, PerMerchant: 10, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, 3)
	for i := range claimed {
		_, err := store.RecordTry(ctx, &claimed[i], orders.TryResult{StartedAt: now, HTTPStatus: 500, Error: "HTTP 500"})
		require.NoError(t, err)
	}
	g = &outboxGauges{store: store, merchants: []string{"shop"}, now: clock}
	assert.Equal(t, outboxNumbers{pending: 0, oldest: 0, failed: 3}, g.read())
}
