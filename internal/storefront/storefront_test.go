package storefront

import (
	"encoding/json"
	"io"
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

	"github.com/mokacheckout/checkout/internal/links"
)

// fakeCheckout stands in for POST /api/v1/orders and records what the shop sent.
type fakeCheckout struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   []map[string]any
	headers  []http.Header
	status   int
	response string
}

func newFakeCheckout(t *testing.T, status int, response string) *fakeCheckout {
	f := &fakeCheckout{status: status, response: response}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/orders" {
			http.NotFound(w, r)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.bodies = append(f.bodies, body)
		f.headers = append(f.headers, r.Header.Clone())
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.response)
	}))
	t.Cleanup(f.Close)
	return f
}

// recorded returns what the shop has sent so far.
func (f *fakeCheckout) recorded() ([]map[string]any, []http.Header) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies, f.headers
}

var testNow = time.Date(time.Now().Year(), 3, 1, 12, 0, 0, 0, time.UTC)

func newShop(t *testing.T, checkoutURL string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Config{
		CheckoutURL: checkoutURL,
		MerchantID:  "demo",
		LinkSecret:  "demo-link-secret",
		APIKey:      "sk_test_demo",
		Now:         func() time.Time { return testNow },
	}))
	t.Cleanup(srv.Close)
	return srv
}

func getPage(t *testing.T, u string) (int, *goquery.Document) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, doc
}

func TestHomePayLinkIsSigned(t *testing.T) {
	shop := newShop(t, "http://checkout.test:8080/")
	status, doc := getPage(t, shop.URL+"/")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, doc.Find("#price").Text(), "150,00 TL")
	assert.Equal(t, "/embedded?lang=tr", doc.Find("#pay-embedded").AttrOr("href", ""))

	href := doc.Find("a#pay-link").AttrOr("href", "")
	u, err := url.Parse(href)
	require.NoError(t, err)
	assert.Equal(t, "http://checkout.test:8080/link", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	require.NoError(t, links.Verify("demo-link-secret", q, testNow))
	assert.ErrorIs(t, links.Verify("demo-link-secret", q, testNow.Add(time.Hour)), links.ErrExpired)
	assert.ErrorIs(t, links.Verify("other-secret", q, testNow), links.ErrBadSignature)

	assert.Equal(t, "demo", q.Get("merchant"))
	assert.Equal(t, "150.00", q.Get("amount"))
	assert.Equal(t, "TRY", q.Get("currency"))
	assert.Equal(t, "1,2,3,6", q.Get("installments"))
	assert.Equal(t, "tr", q.Get("locale"))
	assert.NotEmpty(t, q.Get("description"))
	assert.Equal(t, shop.URL+"/thanks", q.Get("return_url"))
	assert.True(t, strings.HasPrefix(q.Get("reference"), "SF-"))

	// Each page load brings its own reference, even at the same instant.
	_, again := getPage(t, shop.URL+"/")
	u2, err := url.Parse(again.Find("a#pay-link").AttrOr("href", ""))
	require.NoError(t, err)
	assert.NotEqual(t, q.Get("reference"), u2.Query().Get("reference"))
}

func TestHomeInEnglish(t *testing.T) {
	shop := newShop(t, "http://checkout.test")
	_, doc := getPage(t, shop.URL+"/?lang=en")
	assert.Equal(t, "en", doc.Find("html").AttrOr("lang", ""))
	assert.Equal(t, "Pay in this page", doc.Find("#pay-embedded").Text())
	u, err := url.Parse(doc.Find("a#pay-link").AttrOr("href", ""))
	require.NoError(t, err)
	assert.Equal(t, "en", u.Query().Get("locale"))
}

func TestEmbeddedCreatesOrderAndMountsIt(t *testing.T) {
	fake := newFakeCheckout(t, http.StatusCreated,
		`{"id":"ord_x","checkout_url":"http://checkout.test/pay/ord_x","status":"open"}`)
	shop := newShop(t, fake.URL)
	status, doc := getPage(t, shop.URL+"/embedded")
	require.Equal(t, http.StatusOK, status)

	bodies, headers := fake.recorded()
	require.Len(t, bodies, 1)
	body, hdr := bodies[0], headers[0]
	assert.Equal(t, "Bearer sk_test_demo", hdr.Get("Authorization"))
	assert.Equal(t, "application/json", hdr.Get("Content-Type"))
	assert.Equal(t, "150.00", body["amount"], "amount is a JSON string")
	assert.Equal(t, "TRY", body["currency"])
	assert.Equal(t, []any{1.0, 2.0, 3.0, 6.0}, body["installments"])
	assert.Equal(t, shop.URL+"/thanks", body["return_url"])
	assert.Equal(t, "tr", body["locale"])
	ref, _ := body["reference"].(string)
	assert.True(t, strings.HasPrefix(ref, "SF-"))
	assert.Equal(t, ref, hdr.Get("Idempotency-Key"))

	frame := doc.Find("#checkout-frame")
	require.Equal(t, 1, frame.Length())
	assert.Equal(t, "http://checkout.test/pay/ord_x", frame.AttrOr("data-checkout-url", ""))
	assert.Equal(t, 1, doc.Find(`script[src="`+fake.URL+`/static/embed.js"]`).Length())
	assert.Contains(t, doc.Find("script:not([src])").Text(), "MokaCheckout.mount")
	result := doc.Find("#storefront-result")
	require.Equal(t, 1, result.Length())
	assert.Equal(t, "", result.AttrOr("data-status", "missing"))
	assert.Equal(t, 0, doc.Find("#storefront-error").Length())
}

func TestEmbeddedShowsCheckoutError(t *testing.T) {
	fake := newFakeCheckout(t, http.StatusUnauthorized,
		`{"error":{"code":"unauthorized","message":"API key not valid"}}`)
	shop := newShop(t, fake.URL)
	status, doc := getPage(t, shop.URL+"/embedded")
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Contains(t, doc.Find("#storefront-error").Text(), "API key not valid")
	assert.Equal(t, 0, doc.Find("#checkout-frame").Length())
	assert.Equal(t, 0, doc.Find("script").Length())
}

func TestEmbeddedCheckoutDown(t *testing.T) {
	fake := newFakeCheckout(t, http.StatusCreated, `{}`)
	fake.Close()
	shop := newShop(t, fake.URL)
	status, doc := getPage(t, shop.URL+"/embedded")
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Contains(t, doc.Find("#storefront-error").Text(), "create order")
}

func TestUnknownPathIsNotFound(t *testing.T) {
	shop := newShop(t, "http://checkout.test")
	resp, err := http.Get(shop.URL + "/nope")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// With its public URL configured, the shop names itself by it, whatever host the buyer
// typed: the return URL is the one checkout allows for the merchant.
func TestPublicURLNamesTheShop(t *testing.T) {
	srv := httptest.NewServer(New(Config{
		CheckoutURL: "http://checkout.test:8080", MerchantID: "demo", LinkSecret: "demo-link-secret",
		APIKey: "sk_test_demo", PublicURL: "http://127.0.0.1:8082/", Now: func() time.Time { return testNow },
	}))
	t.Cleanup(srv.Close)
	_, doc := getPage(t, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/")
	u, err := url.Parse(doc.Find("a#pay-link").AttrOr("href", ""))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8082/thanks", u.Query().Get("return_url"))
}
