package storefront

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/webhook"
)

const (
	testSecret  = "whsec_ZGVtby1zdG9yZWZyb250LXdlYmhvb2tzLXNlY3JldCE="
	otherSecret = "whsec_b3RoZXItc2hvcC13ZWJob29rcy1zZWNyZXQtLS0tLQ=="
)

// fakeOrders stands in for GET /api/v1/orders/{id}: the statuses it knows, or a checkout
// that is down.
type fakeOrders struct {
	*httptest.Server
	mu       sync.Mutex
	statuses map[string]string
	down     bool
	calls    int
}

func newFakeOrders(t *testing.T, statuses map[string]string) *fakeOrders {
	f := &fakeOrders{statuses: statuses}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls++
		id, ok := strings.CutPrefix(r.URL.Path, "/api/v1/orders/")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case f.down:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":{"code":"unavailable","message":"try again"}}`)
		case r.Header.Get("Authorization") != "Bearer sk_test_demo":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"unauthorized","message":"API key not valid"}}`)
		case !ok || r.Method != http.MethodGet || f.statuses[id] == "":
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":"not_found","message":"no such order"}}`)
		default:
			fmt.Fprintf(w, `{"id":%q,"reference":"SF-1","status":%q,"amount":"150.00","currency":"TRY"}`, id, f.statuses[id])
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeOrders) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeOrders) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func newWebhookShop(t *testing.T, checkoutURL string, keep int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Config{
		CheckoutURL: checkoutURL, MerchantID: "demo", LinkSecret: "demo-link-secret", APIKey: "sk_test_demo",
		WebhookSecret: testSecret, KeepEvents: keep, Now: func() time.Time { return testNow },
	}))
	t.Cleanup(srv.Close)
	return srv
}

// eventBody is a delivery's body as checkout's worker writes it.
func eventBody(id, typ, orderID, status string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":%q,"created_at":%q,"data":{"order":{"id":%q,"reference":"SF-1","status":%q,"amount":"150.00"}}}`,
		id, typ, testNow.Add(-2*time.Second).Format(time.RFC3339), orderID, status)
}

// signed is the headers checkout sends with body, signed with secret at ts.
func signed(t *testing.T, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	s, err := webhook.ParseSecrets(secret)
	require.NoError(t, err)
	h := http.Header{}
	h.Set(webhook.HeaderID, id)
	h.Set(webhook.HeaderTimestamp, fmt.Sprint(ts.Unix()))
	h.Set(webhook.HeaderSignature, webhook.Sign(s, id, ts, body))
	return h
}

func postWebhook(t *testing.T, shopURL string, h http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, shopURL+"/webhooks", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// shownWebhooks reads the webhooks page: the ids of its rows, newest first.
func shownWebhooks(t *testing.T, shopURL string) ([]string, *goquery.Document) {
	t.Helper()
	status, doc := getPage(t, shopURL+"/webhooks")
	require.Equal(t, http.StatusOK, status)
	var ids []string
	doc.Find("#webhooks tr.webhook").Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("data-id", "")) })
	return ids, doc
}

func TestThanksShowsTheStatusFromTheAPINotTheQuery(t *testing.T) {
	api := newFakeOrders(t, map[string]string{"ord_open": "open", "ord_paid": "paid"})
	shop := newWebhookShop(t, api.URL, 0)

	status, doc := getPage(t, shop.URL+"/thanks?order=ord_open&status=paid")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ord_open", doc.Find("#thanks-order").Text())
	assert.Equal(t, "open", doc.Find("#thanks-status").Text(), "?status=paid is not believed")
	assert.Equal(t, "api", doc.Find("#thanks-status").AttrOr("data-source", ""))
	assert.Equal(t, "SF-1", doc.Find("#thanks-reference").Text())

	_, doc = getPage(t, shop.URL+"/thanks?order=ord_paid&lang=en")
	assert.Equal(t, "paid", doc.Find("#thanks-status").Text())
	assert.Equal(t, "checkout's API", doc.Find("#thanks-source").Text())
}

func TestThanksForAnUnknownOrderIsNotFound(t *testing.T) {
	api := newFakeOrders(t, map[string]string{"ord_open": "open"})
	shop := newWebhookShop(t, api.URL, 0)
	for _, id := range []string{"ord_none", ""} {
		status, doc := getPage(t, shop.URL+"/thanks?status=paid&order="+id)
		assert.Equal(t, http.StatusNotFound, status, id)
		assert.Equal(t, 1, doc.Find("#thanks-not-found").Length(), id)
		assert.Equal(t, 0, doc.Find("#thanks-status").Length(), "no status is shown for %q", id)
	}
	calls := api.callCount()
	// Not an order id at all: shown as text, and not sent on to checkout.
	for _, id := range []string{"<b>x</b>", "../transactions", "ord_x/capture"} {
		status, doc := getPage(t, shop.URL+"/thanks?status=paid&order="+url.QueryEscape(id))
		assert.Equal(t, http.StatusNotFound, status, id)
		assert.Equal(t, id, doc.Find("#thanks-order").Text(), "escaped as text")
		assert.Equal(t, 0, doc.Find("#thanks-order b").Length())
		assert.Equal(t, 0, doc.Find("#thanks-status").Length())
	}
	assert.Equal(t, calls, api.callCount())
}

func TestThanksFallsBackToWebhooksWhenTheAPIIsDown(t *testing.T) {
	api := newFakeOrders(t, map[string]string{"ord_x": "processing"})
	shop := newWebhookShop(t, api.URL, 0)
	body := eventBody("evt_1", "order.paid", "ord_x", "paid")
	require.Equal(t, http.StatusNoContent, postWebhook(t, shop.URL, signed(t, testSecret, "evt_1", testNow, body), body))

	// While the API answers, it is the authority.
	_, doc := getPage(t, shop.URL+"/thanks?order=ord_x")
	assert.Equal(t, "processing", doc.Find("#thanks-status").Text())

	api.setDown(true)
	status, doc := getPage(t, shop.URL+"/thanks?order=ord_x")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "paid", doc.Find("#thanks-status").Text())
	assert.Equal(t, "webhook", doc.Find("#thanks-status").AttrOr("data-source", ""))

	// Neither the API nor a webhook knows: nothing is confirmed, whatever the query says.
	status, doc = getPage(t, shop.URL+"/thanks?order=ord_y&status=paid")
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Equal(t, 1, doc.Find("#thanks-unknown").Length())
	assert.Equal(t, 0, doc.Find("#thanks-status").Length())
}

// The receiver makes the check docs/webhooks.md describes: a tampered or old delivery is
// 401 and not shown.
func TestWebhookReceiverKeepsOnlyVerifiedDeliveries(t *testing.T) {
	body := eventBody("evt_a", "order.paid", "ord_a", "paid")
	good := func() http.Header { return signed(t, testSecret, "evt_a", testNow, body) }
	cases := []struct {
		name   string
		header func() http.Header
		body   []byte
	}{
		{"tampered body", good, bytes.Replace(body, []byte(`"paid"`), []byte(`"refunded"`), 1)},
		{"other id", func() http.Header { h := good(); h.Set(webhook.HeaderID, "evt_b"); return h }, body},
		{"older than five minutes", func() http.Header {
			return signed(t, testSecret, "evt_a", testNow.Add(-5*time.Minute-time.Second), body)
		}, body},
		{"more than five minutes ahead", func() http.Header {
			return signed(t, testSecret, "evt_a", testNow.Add(5*time.Minute+time.Second), body)
		}, body},
		{"another secret", func() http.Header { return signed(t, otherSecret, "evt_a", testNow, body) }, body},
		{"no signature", func() http.Header { h := good(); h.Del(webhook.HeaderSignature); return h }, body},
		{"not v1", func() http.Header {
			h := good()
			h.Set(webhook.HeaderSignature, strings.Replace(h.Get(webhook.HeaderSignature), "v1,", "v2,", 1))
			return h
		}, body},
	}
	shop := newWebhookShop(t, "http://checkout.test", 0)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, http.StatusUnauthorized, postWebhook(t, shop.URL, tc.header(), tc.body))
		})
	}
	ids, doc := shownWebhooks(t, shop.URL)
	assert.Empty(t, ids, "no refused delivery is shown")
	assert.Equal(t, 1, doc.Find("#webhooks-none").Length())

	// Within the tolerance, and signed with both secrets during a rotation: kept.
	h := signed(t, testSecret+" "+otherSecret, "evt_a", testNow.Add(-4*time.Minute), body)
	require.Equal(t, http.StatusNoContent, postWebhook(t, shop.URL, h, body))
	// A retry of the same webhook-id is answered 2xx and kept once.
	require.Equal(t, http.StatusNoContent, postWebhook(t, shop.URL, good(), body))
	ids, doc = shownWebhooks(t, shop.URL)
	assert.Equal(t, []string{"evt_a"}, ids)
	row := doc.Find(`tr.webhook[data-id="evt_a"]`)
	assert.Equal(t, "order.paid", row.AttrOr("data-type", ""))
	assert.Equal(t, "ord_a", row.AttrOr("data-order", ""))
	assert.Equal(t, "paid", row.AttrOr("data-status", ""))
	assert.Equal(t, "1", strings.TrimSpace(row.Find("td").Last().Text()), "one repeat")
}

func TestWebhookReceiverKeepsTheLastEvents(t *testing.T) {
	shop := newWebhookShop(t, "http://checkout.test", 3)
	post := func(i int) {
		id := fmt.Sprintf("evt_%d", i)
		body := eventBody(id, "order.created", fmt.Sprintf("ord_%d", i), "open")
		require.Equal(t, http.StatusNoContent, postWebhook(t, shop.URL, signed(t, testSecret, id, testNow, body), body))
	}
	for i := range 5 {
		post(i)
	}
	ids, _ := shownWebhooks(t, shop.URL)
	assert.Equal(t, []string{"evt_4", "evt_3", "evt_2"}, ids, "the newest three, newest first")

	// Many more: the inbox moves the kept ones back to the start of its buffer now and then.
	for i := 5; i < 12; i++ {
		post(i)
	}
	post(10) // kept: a repeat
	post(1)  // no longer kept: new again
	ids, doc := shownWebhooks(t, shop.URL)
	assert.Equal(t, []string{"evt_1", "evt_11", "evt_10"}, ids)
	assert.Equal(t, "1", strings.TrimSpace(doc.Find(`tr.webhook[data-id="evt_10"] td`).Last().Text()), "one repeat")
	assert.Equal(t, "0", strings.TrimSpace(doc.Find(`tr.webhook[data-id="evt_1"] td`).Last().Text()))
}

func TestWebhookReceiverWithoutSecretTakesNothing(t *testing.T) {
	shop := newShop(t, "http://checkout.test")
	body := eventBody("evt_a", "order.paid", "ord_a", "paid")
	assert.Equal(t, http.StatusServiceUnavailable, postWebhook(t, shop.URL, signed(t, testSecret, "evt_a", testNow, body), body))
	ids, doc := shownWebhooks(t, shop.URL)
	assert.Empty(t, ids)
	assert.Equal(t, 1, doc.Find("#webhooks-off").Length())
}
