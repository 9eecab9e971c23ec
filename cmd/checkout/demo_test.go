package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mokacheckout/checkout/internal/moka"
)

// TestDemoMode starts the real program in demo mode on free ports, follows the printed
// link, visits the sandbox and the storefront, and stops it the way SIGINT would.
func TestDemoMode(t *testing.T) {
	addrs := freeAddrs(t, 4)
	env := map[string]string{
		"CHECKOUT_ADDR":            addrs[0],
		"CHECKOUT_SANDBOX_ADDR":    addrs[1],
		"CHECKOUT_STOREFRONT_ADDR": addrs[2],
		"CHECKOUT_METRICS_ADDR":    addrs[3],
		"CHECKOUT_DB":              filepath.Join(t.TempDir(), "data", "checkout.db"),
	}
	r := startRun(t, env)
	checkoutURL := "http://" + addrs[0]
	r.waitHealthy(t, checkoutURL, "Sandbox test card")
	get := func(u string) *http.Response { return r.get(t, u) }

	banner := r.stdout.String()
	assert.Contains(t, banner, "Checkout:      "+checkoutURL)
	assert.Contains(t, banner, "Moka sandbox:  http://"+addrs[1])
	assert.Contains(t, banner, "Storefront:    http://"+addrs[2])
	assert.Contains(t, banner, "API key: sk_test_demo")
	assert.Contains(t, banner, "Authorization: Bearer sk_test_demo")
	assert.Contains(t, banner, "OTP): 123456")
	assert.NotContains(t, banner, "demo-link-secret")
	link := regexp.MustCompile(`(?m)^\s+(http://\S+/link\?\S+)$`).FindStringSubmatch(banner)
	require.Len(t, link, 2, "banner has a checkout link:\n%s", banner)
	lu, err := url.Parse(link[1])
	require.NoError(t, err)
	assert.Equal(t, "150.00", lu.Query().Get("amount"))
	assert.Equal(t, "TRY", lu.Query().Get("currency"))
	assert.Regexp(t, `^DEMO-\d+$`, lu.Query().Get("reference"))

	resp := get(link[1])
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Regexp(t, `^(`+regexp.QuoteMeta(checkoutURL)+`)?/pay/[^/]+`, resp.Header.Get("Location"))
	assert.Equal(t, http.StatusOK, get("http://"+addrs[1]+"/").StatusCode, "sandbox root")
	assert.Equal(t, http.StatusOK, get("http://"+addrs[2]+"/").StatusCode, "storefront root")
	assert.Contains(t, r.stderr.String(), `"msg":"listening"`, "logs are JSON on stderr")

	// The banner's fault commands work as printed.
	fault := regexp.MustCompile(`curl -s -X POST (\S+) -d status500=true`).FindStringSubmatch(banner)
	require.Len(t, fault, 2, "banner shows how to switch a fault on")
	on, err := r.client.PostForm(fault[1], url.Values{"status500": {"true"}})
	require.NoError(t, err)
	body, _ := io.ReadAll(on.Body)
	on.Body.Close()
	assert.Equal(t, http.StatusOK, on.StatusCode, string(body))
	assert.Contains(t, string(body), `"status500":true`)
	req, err := http.NewRequest(http.MethodDelete, fault[1], nil)
	require.NoError(t, err)
	off, err := r.client.Do(req)
	require.NoError(t, err)
	off.Body.Close()
	assert.Equal(t, http.StatusOK, off.StatusCode)

	// /metrics, on its own address as the banner says, parses as Prometheus text and has
	// counted the requests above.
	assert.Contains(t, banner, "Metrics:       http://"+addrs[3]+"/metrics")
	families := scrape(t, r, "http://"+addrs[3]+"/metrics")
	for _, name := range []string{"checkout_http_requests_total", "checkout_http_request_duration_seconds",
		"checkout_store_commit_duration_seconds", "checkout_attempts_at_bank", "checkout_actions_open",
		"checkout_requests_shed_total", "go_goroutines"} {
		assert.Contains(t, families, name)
	}
	linkRoute := false
	for _, m := range families["checkout_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			linkRoute = linkRoute || (l.GetName() == "route" && l.GetValue() == "/link")
		}
	}
	assert.True(t, linkRoute, "requests are counted by route pattern")
	assert.Equal(t, http.StatusNotFound, get(checkoutURL+"/metrics").StatusCode, "never on the public address")

	r.stop(t)
	_, err = r.client.Get(checkoutURL + "/healthz")
	assert.Error(t, err, "the checkout no longer listens")
}

// scrape reads a /metrics answer with Prometheus's own text parser.
func scrape(t *testing.T, r *running, u string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := r.client.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err, "the answer parses as Prometheus text")
	return families
}

// TestServe runs from a config file with the sandbox and the storefront enabled, the
// merchant's key in a secret file, and creates an order through the API.
func TestServe(t *testing.T) {
	addrs := freeAddrs(t, 3)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "api_key")
	require.NoError(t, os.WriteFile(keyFile, []byte("sk_test_serve\n"), 0o600))
	cfg := filepath.Join(dir, "checkout.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`
server:
  addr: %[1]s
  db: %[4]s
  log_level: warn
sandbox:
  enabled: true
  addr: %[2]s
storefront:
  enabled: true
  addr: %[3]s
merchants:
  - id: shop
    name: Shop
    api_key_file: %[5]s
    link_secret_env: SHOP_LINK
    moka:
      base_url: http://%[2]s
      dealer_code: demo-dealer
      username: demo-user
      password_env: SHOP_MOKA
    return_url_prefixes: [http://%[3]s/]
`, addrs[0], addrs[1], addrs[2], filepath.Join(dir, "db", "checkout.db"), keyFile)), 0o600))

	r := startRun(t, map[string]string{"CHECKOUT_CONFIG": cfg, "SHOP_LINK": "shop-link", "SHOP_MOKA": "demo-pass"}, "serve")
	checkoutURL := "http://" + addrs[0]
	r.waitHealthy(t, checkoutURL, "")

	req, err := http.NewRequest(http.MethodPost, checkoutURL+"/api/v1/orders",
		strings.NewReader(`{"reference":"S-1","amount":"10.00","currency":"TRY","description":"Test"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer sk_test_serve")
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode, "the key from the file authenticates")
	assert.Equal(t, http.StatusOK, r.get(t, "http://"+addrs[1]+"/").StatusCode, "sandbox root")
	assert.Equal(t, http.StatusOK, r.get(t, "http://"+addrs[2]+"/").StatusCode, "storefront root")
	assert.NotContains(t, r.stderr.String(), `"level":"INFO"`, "log_level warn hides info lines")
	assert.NotContains(t, r.stderr.String(), "sk_test_serve")
	assert.NotContains(t, r.stderr.String(), "demo-pass")
	r.stop(t)
}

// running is the program started by startRun.
type running struct {
	stdout, stderr syncBuffer
	cancel         context.CancelFunc
	done           chan error
	client         *http.Client
}

// startRun calls run in the background as main would, with env as the environment.
func startRun(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	r := &running{cancel: cancel, done: make(chan error, 1), client: &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	go func() { r.done <- run(ctx, append([]string{"checkout"}, args...), envOf(env), &r.stdout, &r.stderr) }()
	return r
}

// waitHealthy waits until the checkout answers /healthz and stdout contains want; it fails
// at once if run gives up.
func (r *running) waitHealthy(t *testing.T, checkoutURL, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-r.done:
			t.Fatalf("run stopped early: %v\nstderr ends:\n%s", err, tail(r.stderr.String()))
		default:
		}
		resp, err := r.client.Get(checkoutURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(r.stdout.String(), want) {
				return
			}
		}
		require.True(t, time.Now().Before(deadline), "checkout not healthy in time; stderr ends:\n%s", tail(r.stderr.String()))
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *running) get(t *testing.T, u string) *http.Response {
	t.Helper()
	resp, err := r.client.Get(u)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// stop ends run's context, as SIGINT does, and expects a prompt, clean return.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

// tail keeps failure messages readable: the end of the log is what explains them.
func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

// TestSandboxCommand runs `checkout sandbox` alone and starts a 3-D payment on it through
// the Moka client, as a merchant's own integration would.
func TestSandboxCommand(t *testing.T) {
	addr := freeAddrs(t, 1)[0]
	r := startRun(t, nil, "sandbox", "-addr", addr)
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.stdout.String(), "Moka sandbox: "+base) {
		select {
		case err := <-r.done:
			t.Fatalf("sandbox stopped early: %v\n%s", err, tail(r.stderr.String()))
		case <-time.After(20 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "sandbox did not start")
	}
	assert.Contains(t, r.stdout.String(), "Dealer: demo-dealer / demo-user / demo-pass")

	client := moka.New(base, moka.Credentials{DealerCode: "demo-dealer", Username: "demo-user", Password: "demo-pass"})
	res, err := client.StartThreeD(t.Context(), moka.ThreeDRequest{
		CardHolderFullName: "Ayse Yilmaz", CardNumber: "4183441122223339", ExpMonth: "12", ExpYear: strconv.Itoa(time.Now().Year() + 3),
		CvcNumber: "000", Amount: moka.NewAmount(decimal.RequireFromString("10.00")), Currency: "TL",
		OtherTrxCode: "SANDBOX-CMD-1", ReturnHash: 1, RedirectURL: "http://127.0.0.1:1/return",
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(res.URL, base+"/"), "the bank page is on the sandbox's origin: %s", res.URL)
	assert.NotEmpty(t, res.CodeForHash)
	assert.Equal(t, http.StatusOK, r.get(t, res.URL).StatusCode, "the bank page answers")
	r.stop(t)
}
