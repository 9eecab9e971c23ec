package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The harness waits until the servers' pending deliveries have stayed at 0 for a while,
// and says why when it cannot tell.
func TestSettleWebhooks(t *testing.T) {
	var scrapes atomic.Int32
	draining := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := max(0, 3-int(scrapes.Add(1))) // 2, 1, 0, 0, ...
		fmt.Fprintf(w, "# TYPE %s gauge\n%s_other 7\n%s %d\n", pendingGauge, pendingGauge, pendingGauge, n)
	}))
	t.Cleanup(draining.Close)
	took, err := settleWebhooks(t.Context(), http.DefaultClient, []string{draining.URL}, time.Minute)
	require.NoError(t, err)
	assert.Positive(t, took, "the first two readings were not 0")
	assert.GreaterOrEqual(t, scrapes.Load(), int32(3+int(settleQuiet/(100*time.Millisecond))), "0 was read for settleQuiet")

	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s 5\n", pendingGauge)
	}))
	t.Cleanup(stuck.Close)
	_, err = settleWebhooks(t.Context(), http.DefaultClient, []string{draining.URL, stuck.URL}, 300*time.Millisecond)
	assert.ErrorContains(t, err, "5 webhook deliveries still pending")

	none := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "checkout_http_requests_total 1")
	}))
	t.Cleanup(none.Close)
	_, err = settleWebhooks(t.Context(), http.DefaultClient, []string{none.URL}, time.Minute)
	assert.ErrorContains(t, err, "no "+pendingGauge)

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s -1\n", pendingGauge)
	}))
	t.Cleanup(broken.Close)
	_, err = settleWebhooks(t.Context(), http.DefaultClient, []string{broken.URL}, time.Minute)
	assert.ErrorContains(t, err, "could not count")
}
