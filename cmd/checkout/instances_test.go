package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/storetest"
	"github.com/mokacheckout/checkout/internal/webhook"
)

// TestServeProcessesOnOnePostgres runs what a multi-instance deployment runs, as separate
// processes: two `checkout serve` on one PostgreSQL database and one `checkout sandbox`
// as their Moka, each a child process of this test binary (TestMain makes it the checkout
// binary). No two requests of a payment need reach the same instance, and nothing one
// process holds in memory may be what makes an outcome, a delivery or a settlement happen
// once. The same is proved with two stores in one process, on both engines, by the
// instances tests of internal/checkout, internal/webhook and internal/reconcile.
func TestServeProcessesOnOnePostgres(t *testing.T) {
	db := storetest.NewPostgres(t)
	dir := t.TempDir()
	addrs := freeAddrs(t, 5) // the sandbox, two instances, their two metrics listeners
	hooks := newHookReceiver(t)

	bankURL := "http://" + addrs[0]
	startProcess(t, dir, "sandbox", bankURL+"/", []string{"sandbox", "-addr", addrs[0]}, nil)

	cfg := filepath.Join(dir, "checkout.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`
server:
  code_for_hash_key_env: TEST_CODE_FOR_HASH_KEY
  reconcile_interval: 100ms
  webhook_private_networks: true
store:
  driver: postgres
  dsn_env: TEST_STORE_DSN
dashboard:
  session_keys_env: TEST_SESSION_KEYS
merchants:
  - id: demo
    name: Two Instances
    api_key_env: TEST_API_KEY
    link_secret_env: TEST_LINK_SECRET
    moka: {base_url: "`+bankURL+`", dealer_code: demo-dealer, username: demo-user, password_env: TEST_MOKA_PASSWORD}
    webhook_url: `+hooks.URL+`/hooks
    webhook_secret_env: TEST_WEBHOOK_SECRET
`), 0o600))
	shared := []string{
		"CHECKOUT_CONFIG=" + cfg, "TEST_STORE_DSN=" + db.DSN,
		"TEST_CODE_FOR_HASH_KEY=" + strings.Repeat("ab", 32),
		"TEST_SESSION_KEYS=" + strings.Repeat("s", 40),
		"TEST_API_KEY=" + config.DemoAPIKey, "TEST_LINK_SECRET=link-secret",
		"TEST_MOKA_PASSWORD=" + config.DemoMokaPassword, "TEST_WEBHOOK_SECRET=" + config.DemoWebhookSecret,
	}
	// Both start at once: the migrations run under an advisory lock, once.
	var inst [2]*instance
	var started sync.WaitGroup
	for i := range inst {
		inst[i] = &instance{name: fmt.Sprintf("checkout-%d", i+1), url: "http://" + addrs[1+i],
			metrics: "http://" + addrs[3+i] + "/metrics"}
		started.Go(func() {
			inst[i].proc = startProcess(t, dir, inst[i].name, inst[i].url+"/healthz", []string{"serve"}, append([]string{
				"CHECKOUT_ADDR=" + addrs[1+i], "CHECKOUT_PUBLIC_URL=" + inst[i].url, "CHECKOUT_METRICS_ADDR=" + addrs[3+i],
			}, shared...))
		})
	}
	started.Wait()
	if t.Failed() {
		t.FailNow()
	}
	a, b := inst[0], inst[1]
	api := &apiClient{base: a.url}
	pay := newPayTarget(newTargets([]*url.URL{mustURL(t, a.url), mustURL(t, b.url)}),
		newLoadClient(32, 10*time.Second), strconv.Itoa(time.Now().Year()+2), "TWO")

	// Whole payments whose requests go to the two instances in turn: the card post to one,
	// the bank's return to the other. Every one is paid, and recorded as paid once.
	t.Run("payments spread over both", func(t *testing.T) {
		out, stderr, err := runCmd(t, nil, "loadtest", "-target", a.url+","+b.url,
			"-pid", strconv.Itoa(a.proc.pid())+","+strconv.Itoa(b.proc.pid()),
			"-mode", "closed", "-workers", "2", "-duration", "1s", "-warmup", "0", "-baseline", "0")
		require.NoError(t, err, stderr)
		m := regexp.MustCompile(`(?m)^mode closed  workers 2  duration 1s  flows (\d+) ok (\d+) errors 0$`).FindStringSubmatch(out)
		require.Len(t, m, 3, out)
		ok, _ := strconv.Atoi(m[2])
		require.Positive(t, ok, out)
		paid := api.events(t, "type=order.paid")
		assert.Len(t, paid, ok, "one order.paid for each payment")
		assert.Len(t, byOrder(paid), ok, "no order has two")
		for _, in := range inst {
			n := in.counter(t, `checkout_payment_outcomes_total{outcome="paid",source="return"}`)
			t.Logf("%s recorded %v of the %d payments", in.name, n, ok)
			assert.Positive(t, n, "returns reached %s", in.name)
		}
	})

	// Twenty copies of one bank return, ten at each instance, each held at its instance's
	// door until all twenty have arrived: one outcome, one order.paid, one result for all.
	t.Run("racing returns over both", func(t *testing.T) {
		f := &payFlow{p: pay, pin: mustURL(t, a.url)}
		atBank(t, f)
		const n = 20
		var arrived sync.WaitGroup
		arrived.Add(n)
		door := func(target string) string {
			proxy := httputil.NewSingleHostReverseProxy(mustURL(t, target))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived.Done()
				arrived.Wait() // every copy is in flight before any reaches an instance
				proxy.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			return srv.URL
		}
		doors := []string{door(a.url), door(b.url)}
		client := &http.Client{Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		locations := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				u := doors[i%2] + f.returnAction.RequestURI()
				req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(f.returnFields.Encode()))
				if !assert.NoError(t, err) {
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				resp, err := client.Do(req)
				if !assert.NoError(t, err, "copy %d", i) {
					return
				}
				resp.Body.Close()
				assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "copy %d", i)
				locations[i] = resp.Header.Get("Location")
			})
		}
		wg.Wait()
		for i, l := range locations {
			assert.Equal(t, locations[0], l, "copy %d is sent to the same result", i)
		}
		assert.Len(t, api.events(t, "order="+f.id+"&type=order.paid"), 1)
		assert.Equal(t, 1, a.logCount(t, f.id, "payment outcome recorded")+b.logCount(t, f.id, "payment outcome recorded"),
			"one instance recorded it, once")
		o := api.get(t, "/api/v1/orders/"+f.id)
		assert.Equal(t, "paid", o["status"])
		require.Len(t, o["attempts"], 1)
	})

	// Payments the bank took whose buyers never came back. Once their bank session is
	// over, both instances' reconcilers (every 100 ms) ask the sandbox about them; each is
	// recorded once, by one of them.
	t.Run("reconcilers on both settle each once", func(t *testing.T) {
		const n = 4
		var ids []string
		for i := range n {
			f := &payFlow{p: pay, pin: mustURL(t, inst[i%2].url)}
			atBank(t, f)
			ids = append(ids, f.id)
		}
		before := [2]float64{}
		for i, in := range inst {
			before[i] = in.counter(t, `checkout_reconciled_total{kind="paid"}`)
		}
		// The buyers left at the bank longer ago than the bank session lasts.
		raw := db.Raw(t)
		for _, id := range ids {
			_, err := raw.Exec(`UPDATE attempts SET created_at = ? WHERE order_id = ?`,
				time.Now().Add(-config.DefaultBankSessionTimeout-time.Minute), id)
			require.NoError(t, err)
		}
		passes := [2]float64{}
		for i, in := range inst {
			passes[i] = in.counter(t, `checkout_reconcile_passes_total{result="ok"}`)
		}
		deadline := time.Now().Add(20 * time.Second)
		for _, id := range ids {
			for api.get(t, "/api/v1/orders/"+id)["status"] != "paid" {
				require.False(t, time.Now().After(deadline), "order %s was never settled", id)
				time.Sleep(50 * time.Millisecond) // a poll of what the reconcilers do every 100 ms
			}
		}
		// Both have run whole passes since the attempts were due, and found nothing more.
		for i, in := range inst {
			for in.counter(t, `checkout_reconcile_passes_total{result="ok"}`) < passes[i]+2 {
				require.False(t, time.Now().After(deadline), "%s ran no pass", in.name)
				time.Sleep(50 * time.Millisecond)
			}
		}
		settled := 0.0
		for i, in := range inst {
			n := in.counter(t, `checkout_reconciled_total{kind="paid"}`) - before[i]
			t.Logf("%s settled %v", in.name, n)
			settled += n
		}
		assert.Equal(t, float64(n), settled, "each settled once, over both instances")
		for _, id := range ids {
			assert.Len(t, api.events(t, "order="+id+"&type=order.paid"), 1, id)
			att := api.get(t, "/api/v1/orders/"+id)["attempts"].([]any)
			require.Len(t, att, 1)
			assert.Equal(t, "confirmed with Moka by reconciliation", att[0].(map[string]any)["result_message"])
		}
	})

	// Every event is delivered to the merchant's receiver once, whichever instance's
	// worker claimed it; both workers delivered.
	t.Run("webhooks delivered once", func(t *testing.T) {
		// An event is queued for delivery a moment after it is written (until then its
		// delivery is null, neither pending nor delivered): wait until every one is delivered.
		deadline := time.Now().Add(30 * time.Second)
		var all []listedEvent
		for {
			all = api.events(t, "")
			delivered := api.events(t, "delivery=delivered")
			if len(delivered) == len(all) {
				break
			}
			require.False(t, time.Now().After(deadline), "%d of %d events delivered", len(delivered), len(all))
			time.Sleep(50 * time.Millisecond) // a poll of what the workers do on their own
		}
		require.NotEmpty(t, all)
		got := hooks.counts()
		for _, ev := range all {
			assert.Equal(t, 1, got[ev.ID], "event %s %s", ev.Type, ev.ID)
		}
		assert.Len(t, got, len(all), "nothing but the events")
		for _, in := range inst {
			n := in.counter(t, `checkout_webhook_tries_total{result="2xx"}`)
			t.Logf("%s delivered %v of the %d events", in.name, n, len(all))
			assert.Positive(t, n, "%s delivered", in.name)
		}
	})
}

// instance is one `checkout serve` process.
type instance struct {
	name, url, metrics string
	proc               *childProcess
}

// counter reads one series of the instance's /metrics; 0 when it is not there yet.
func (in *instance) counter(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get(in.metrics)
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err)
			return f
		}
	}
	require.NoError(t, sc.Err())
	return 0
}

// logCount counts the instance's log lines with msg about the order.
func (in *instance) logCount(t *testing.T, orderID, msg string) int {
	t.Helper()
	b, err := os.ReadFile(in.proc.logPath)
	require.NoError(t, err)
	n := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		var l struct {
			Msg     string `json:"msg"`
			OrderID string `json:"order_id"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == msg && l.OrderID == orderID {
			n++
		}
	}
	return n
}

// startProcess starts this binary as `checkout args...` with env (and no CHECKOUT_*
// variable of the test's own), its log in dir, and waits until health answers 200. It is
// stopped (SIGINT, as Ctrl-C) when the test ends.
func startProcess(t *testing.T, dir, name, health string, args, env []string) *childProcess {
	t.Helper()
	p, err := startChild(args, append([]string{childEnvVar + "=1"}, env...), filepath.Join(dir, name+".log"))
	require.NoError(t, err, name)
	t.Cleanup(p.stop)
	if err := p.waitHTTP(t.Context(), health, 30*time.Second); err != nil {
		log, _ := os.ReadFile(p.logPath)
		t.Errorf("%s did not start: %v\n%s", name, err, log)
	}
	return p
}

// atBank takes f to where the buyer has typed the OTP at the bank: the bank has charged
// the card, and its return form is on screen, not yet sent.
func atBank(t *testing.T, f *payFlow) {
	t.Helper()
	ctx := t.Context()
	for _, step := range []func(context.Context) error{f.create, f.page, f.submit, f.bank} {
		require.NoError(t, step(ctx))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// apiClient is the merchant's API on one instance.
type apiClient struct{ base string }

func (c *apiClient) do(t *testing.T, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+config.DemoAPIKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, b)
	require.NoError(t, json.Unmarshal(b, v))
}

func (c *apiClient) get(t *testing.T, path string) map[string]any {
	t.Helper()
	var m map[string]any
	c.do(t, path, &m)
	return m
}

type listedEvent struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	OrderID string `json:"order_id"`
}

// events lists every event that query selects, page by page.
func (c *apiClient) events(t *testing.T, query string) []listedEvent {
	t.Helper()
	var all []listedEvent
	after := ""
	for {
		var page struct {
			Data    []listedEvent `json:"data"`
			HasMore bool          `json:"has_more"`
		}
		q := "limit=100&" + query
		if after != "" {
			q += "&starting_after=" + url.QueryEscape(after)
		}
		c.do(t, "/api/v1/events?"+q, &page)
		all = append(all, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return all
		}
		after = page.Data[len(page.Data)-1].ID
	}
}

func byOrder(evs []listedEvent) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		m[e.OrderID]++
	}
	return m
}

// hookReceiver is the merchant's webhook endpoint: it keeps each correctly signed
// delivery's webhook-id and answers 200.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	secrets, err := webhook.ParseSecrets(config.DemoWebhookSecret)
	require.NoError(t, err)
	h := &hookReceiver{seen: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || webhook.Verify(secrets, r.Header, body, time.Now(), 5*time.Minute) != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.seen[r.Header.Get(webhook.HeaderID)]++
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.seen))
	for k, v := range h.seen {
		out[k] = v
	}
	return out
}
