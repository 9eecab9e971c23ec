package checkout_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/webhook"
)

const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// webhookEnv is a checkout whose "shop" merchant has a webhook receiver, and a worker
// that delivers to it when the test says so.
func webhookEnv(t *testing.T, answer func(body string, w http.ResponseWriter)) (*env, *webhook.Worker) {
	t.Helper()
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		answer(string(b), w)
	}))
	t.Cleanup(rc.Close)
	e := newEnv(t, func(o *checkout.Options) {
		o.Merchants[0].WebhookURL = rc.URL + "/hooks"
		o.Merchants[0].WebhookSecret = hookSecret
	})
	sec, err := webhook.ParseSecrets(hookSecret)
	require.NoError(t, err)
	w, err := webhook.New(webhook.Options{
		Store: e.store, AllowInsecure: true, Now: e.clock.Now, OrderView: e.server.OrderView,
		Endpoints: map[string]webhook.Endpoint{"shop": {URL: rc.URL + "/hooks", Secrets: sec}},
		Jitter:    func(c time.Duration) time.Duration { return c },
	})
	require.NoError(t, err)
	return e, w
}

func TestEventsAPI(t *testing.T) {
	var failed atomic.Bool
	e, w := webhookEnv(t, func(body string, w http.ResponseWriter) {
		// data.order is the order as the API shows it: its reference tells them apart.
		if strings.Contains(body, `"reference":"EV-1"`) && failed.CompareAndSwap(false, true) {
			http.Error(w, "not yet", http.StatusInternalServerError)
		}
	})
	a := e.createOrder(orderBody("EV-1"))
	e.clock.Add(time.Second)
	b := e.createOrder(orderBody("EV-2"))
	e.clock.Add(time.Second)
	_, err := e.store.CancelOrder(context.Background(), b["id"].(string), "buyer left")
	require.NoError(t, err)

	_, err = w.RunOnce(context.Background())
	require.NoError(t, err)

	list := e.api(http.MethodGet, "/api/v1/events", "")
	require.Equal(t, http.StatusOK, list.status, list.body)
	data := list.json(t)["data"].([]any)
	require.Len(t, data, 3)
	newest := data[0].(map[string]any)
	assert.Equal(t, orders.EventOrderCanceled, newest["type"])
	assert.Equal(t, b["id"], newest["order_id"])
	assert.Equal(t, "pending", newest["delivery"].(map[string]any)["state"], "waits for order.created of its order")
	assert.EqualValues(t, 0, newest["delivery"].(map[string]any)["tries"])

	ofA := e.api(http.MethodGet, "/api/v1/events?order="+a["id"].(string), "").json(t)["data"].([]any)
	require.Len(t, ofA, 1)
	first := ofA[0].(map[string]any)
	assert.EqualValues(t, 1, first["delivery"].(map[string]any)["tries"])
	evID := first["id"].(string)

	page := e.api(http.MethodGet, "/api/v1/events?delivery=delivered&limit=1", "").json(t)
	assert.Len(t, page["data"], 1)
	assert.Equal(t, false, page["has_more"])
	page = e.api(http.MethodGet, "/api/v1/events?type=order.created&limit=1", "").json(t)
	assert.Len(t, page["data"], 1)
	assert.Equal(t, true, page["has_more"])
	next := e.api(http.MethodGet, "/api/v1/events?type=order.created&limit=1&starting_after="+
		page["data"].([]any)[0].(map[string]any)["id"].(string), "").json(t)
	assert.Len(t, next["data"], 1)
	assert.Equal(t, false, next["has_more"])

	one := e.api(http.MethodGet, "/api/v1/events/"+evID, "")
	require.Equal(t, http.StatusOK, one.status, one.body)
	tries := one.json(t)["tries"].([]any)
	require.Len(t, tries, 1)
	assert.EqualValues(t, 500, tries[0].(map[string]any)["http_status"])
	assert.Equal(t, "not yet\n", tries[0].(map[string]any)["response"])
	assert.NotEmpty(t, tries[0].(map[string]any)["next_try_at"])

	// A redelivery is tried at once, before its backoff.
	re := e.api(http.MethodPost, "/api/v1/events/"+evID+"/redeliver", "", "Idempotency-Key", "re-1")
	require.Equal(t, http.StatusAccepted, re.status, re.body)
	assert.Equal(t, "pending", re.json(t)["delivery"].(map[string]any)["state"])
	_, err = w.RunOnce(context.Background())
	require.NoError(t, err)
	one = e.api(http.MethodGet, "/api/v1/events/"+evID, "")
	got := one.json(t)
	assert.Equal(t, "delivered", got["delivery"].(map[string]any)["state"])
	assert.Len(t, got["tries"], 2)
	assert.EqualValues(t, 200, got["tries"].([]any)[1].(map[string]any)["http_status"])
}

func TestEventsAPIOtherMerchant(t *testing.T) {
	e, _ := webhookEnv(t, func(string, http.ResponseWriter) {})
	e.createOrder(orderBody("EV-1"))
	list := e.api(http.MethodGet, "/api/v1/events", "").json(t)["data"].([]any)
	require.Len(t, list, 1)
	id := list[0].(map[string]any)["id"].(string)
	assert.Nil(t, list[0].(map[string]any)["delivery"], "never queued yet")

	other := "Bearer " + otherAPIKey
	assert.Equal(t, http.StatusNotFound, e.api(http.MethodGet, "/api/v1/events/"+id, "", "Authorization", other).status)
	assert.Equal(t, http.StatusNotFound, e.api(http.MethodPost, "/api/v1/events/"+id+"/redeliver", "", "Authorization", other).status)
	assert.Empty(t, e.api(http.MethodGet, "/api/v1/events", "", "Authorization", other).json(t)["data"])
	assert.Equal(t, http.StatusNotFound, e.api(http.MethodGet, "/api/v1/events/evt_nope", "").status)

	// The other merchant's own event cannot be redelivered: it has no webhook_url.
	r := e.api(http.MethodPost, "/api/v1/orders", orderBody("OTHER-1"), "Authorization", other)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	mine := e.api(http.MethodGet, "/api/v1/events", "", "Authorization", other).json(t)["data"].([]any)
	require.Len(t, mine, 1)
	re := e.api(http.MethodPost, "/api/v1/events/"+mine[0].(map[string]any)["id"].(string)+"/redeliver", "", "Authorization", other)
	assert.Equal(t, http.StatusConflict, re.status)
	assert.Contains(t, re.body, "webhook_not_configured")
}

func TestEventsAPIRefusesBadParameters(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"?delivery=lost", "?limit=0", "?limit=101", "?status=paid", "?order=", "?starting_after=evt_nope"} {
		r := e.api(http.MethodGet, "/api/v1/events"+q, "")
		assert.Equal(t, http.StatusBadRequest, r.status, "%s: %s", q, r.body)
	}
}
