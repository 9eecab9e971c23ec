package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/reconcile"
	"github.com/mokacheckout/checkout/internal/storefront"
	"github.com/mokacheckout/checkout/internal/storetest"
	"github.com/mokacheckout/checkout/internal/webhook"
)

const (
	apiKey     = "sk_test_demo"
	linkSecret = "demo-link-secret"
	// webhookSecret is demo mode's: the storefront verifies the checkout's webhooks with it.
	webhookSecret = config.DemoWebhookSecret
)

// syncBuffer collects the checkout's log lines; the server writes from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stack is the whole product on three loopback origins, as demo mode runs it.
type stack struct {
	checkoutURL   string
	sandboxURL    string
	storefrontURL string
	db            storetest.DB
	logs          *syncBuffer
	sandbox       *sandbox.Server
	// reconciler is not running: a test drives it with RunOnce. It asks Moka about an
	// attempt as soon as it is older than the bank session, which is none here.
	reconciler *reconcile.Reconciler
}

func newStack(t *testing.T) *stack {
	t.Helper()
	sbTS := httptest.NewUnstartedServer(nil)
	coTS := httptest.NewUnstartedServer(nil)
	sfTS := httptest.NewUnstartedServer(nil)
	s := &stack{
		sandboxURL:    "http://" + sbTS.Listener.Addr().String(),
		checkoutURL:   "http://" + coTS.Listener.Addr().String(),
		storefrontURL: "http://" + sfTS.Listener.Addr().String(),
		db:            storetest.New(t),
		logs:          &syncBuffer{},
	}

	s.sandbox = sandbox.New(sandbox.DemoConfig(s.sandboxURL))
	sbTS.Config.Handler = s.sandbox
	sbTS.Start()
	t.Cleanup(sbTS.Close)

	store := s.db.Open(t, time.Now)

	srv, err := checkout.New(checkout.Options{
		PublicURL: s.checkoutURL,
		Merchants: []checkout.Merchant{{
			ID:                "demo",
			Name:              "Demo Mağaza",
			APIKeyHash:        checkout.HashAPIKey(apiKey),
			LinkSecret:        linkSecret,
			Moka:              moka.Credentials{DealerCode: "demo-dealer", Username: "demo-user", Password: "demo-pass"},
			MokaBaseURL:       s.sandboxURL,
			AllowedOrigins:    []string{s.storefrontURL},
			ReturnURLPrefixes: []string{s.storefrontURL + "/"},
			Installments:      []int{1, 2, 3, 6},
			WebhookURL:        s.storefrontURL + config.DemoWebhookPath,
			WebhookSecret:     webhookSecret,
		}},
		Store:  store,
		Logger: slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	coTS.Config.Handler = srv
	coTS.Start()
	t.Cleanup(coTS.Close)

	sfTS.Config.Handler = storefront.New(storefront.Config{
		CheckoutURL:   s.checkoutURL,
		MerchantID:    "demo",
		LinkSecret:    linkSecret,
		APIKey:        apiKey,
		WebhookSecret: webhookSecret,
		KeepEvents:    500,
		HTTPClient:    &http.Client{Timeout: 10 * time.Second},
		Now:           time.Now,
	})
	sfTS.Start()
	t.Cleanup(sfTS.Close)

	// The webhook worker runs beside the servers as in demo mode (http and loopback
	// allowed), polling often so that a test waits for deliveries briefly.
	ep, err := webhook.NewEndpoint(s.storefrontURL+config.DemoWebhookPath, webhookSecret)
	require.NoError(t, err)
	hooks, err := webhook.New(webhook.Options{Store: store, Endpoints: map[string]webhook.Endpoint{"demo": ep},
		AllowInsecure: true, PollInterval: 50 * time.Millisecond, OrderView: srv.OrderView,
		Log: slog.New(slog.NewJSONHandler(s.logs, nil)).With("component", "webhook")})
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { hooks.Run(ctx) })
	// Cleanups run last-in first-out: the worker stops before the servers and the store.
	t.Cleanup(func() { stop(); wg.Wait() })

	s.reconciler = &reconcile.Reconciler{
		Store: store,
		Moka: func(string) reconcile.Detailer {
			return moka.New(s.sandboxURL, moka.Credentials{DealerCode: "demo-dealer", Username: "demo-user", Password: "demo-pass"})
		},
		Now: time.Now,
		Log: slog.New(slog.NewJSONHandler(s.logs, nil)).With("component", "reconcile"),
	}
	return s
}

// api calls the merchant API with the demo key and decodes the JSON answer.
func (s *stack) api(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.checkoutURL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

// createOrder makes a 150.00 TRY order through the API and returns its id and checkout URL.
func (s *stack) createOrder(t *testing.T, extra map[string]any) (id, checkoutURL string) {
	t.Helper()
	body := map[string]any{
		"reference":    "E2E-" + rand.Text(),
		"amount":       "150.00",
		"currency":     "TRY",
		"description":  "Kitap: Tutunamayanlar",
		"installments": []int{1, 2, 3},
	}
	for k, v := range extra {
		body[k] = v
	}
	code, out := s.api(t, http.MethodPost, "/api/v1/orders", body)
	require.Equal(t, http.StatusCreated, code, "create order: %v", out)
	return out["id"].(string), out["checkout_url"].(string)
}

// orderStatus reads the order's status through the merchant API, as a merchant would.
func (s *stack) orderStatus(t *testing.T, id string) string {
	t.Helper()
	code, out := s.api(t, http.MethodGet, "/api/v1/orders/"+id, nil)
	require.Equal(t, http.StatusOK, code, "get order: %v", out)
	return out["status"].(string)
}
