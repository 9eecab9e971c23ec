package metrics_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/metrics"
)

func TestObserveWebhookCountsTriesByResult(t *testing.T) {
	m := metrics.New()
	m.ObserveWebhook(204, nil, 30*time.Millisecond)
	m.ObserveWebhook(200, nil, 10*time.Millisecond)
	m.ObserveWebhook(404, errors.New("HTTP 404"), time.Millisecond)
	m.ObserveWebhook(503, errors.New("HTTP 503"), time.Millisecond)
	m.ObserveWebhook(302, errors.New("redirects are not followed"), time.Millisecond)
	m.ObserveWebhook(0, errors.New("connection refused"), 10*time.Second)
	var none *metrics.Metrics
	none.ObserveWebhook(200, nil, time.Second) // metrics off: nothing, no panic

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	require.NoError(t, err)
	got := map[string]float64{}
	for _, s := range families["checkout_webhook_tries_total"].GetMetric() {
		got[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
	}
	assert.Equal(t, map[string]float64{"2xx": 2, "3xx": 1, "4xx": 1, "5xx": 1, "error": 1}, got)
	h := families["checkout_webhook_try_duration_seconds"].GetMetric()[0].GetHistogram()
	assert.EqualValues(t, 6, h.GetSampleCount())
}
