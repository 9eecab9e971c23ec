package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/links"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it from another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func runCmd(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), append([]string{"checkout"}, args...), envOf(env), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		out, _, err := runCmd(t, nil, arg)
		require.NoError(t, err)
		assert.Equal(t, "checkout dev\n", out)
	}
}

func TestHelpListsCommands(t *testing.T) {
	out, _, err := runCmd(t, nil, "-h")
	require.NoError(t, err)
	for _, cmd := range []string{"serve", "sandbox", "link", "migrate", "healthcheck", "version"} {
		assert.Contains(t, out, "\n  "+cmd+" ")
	}

	_, stderr, err := runCmd(t, nil, "srve")
	require.EqualError(t, err, `unknown command "srve"`)
	assert.Contains(t, stderr, "Usage: checkout")
}

func TestServeNeedsConfig(t *testing.T) {
	_, _, err := runCmd(t, nil, "serve")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pass -config FILE or set CHECKOUT_CONFIG")

	_, _, err = runCmd(t, map[string]string{"CHECKOUT_CONFIG": filepath.Join(t.TempDir(), "nope.yaml")}, "serve")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read config")
}

func TestLinkVerifies(t *testing.T) {
	out, _, err := runCmd(t, nil, "link", "-reference", "R-42", "-amount", "99.90", "-currency", "try",
		"-description", "Kitap", "-installments", "1,3", "-return-url", "http://127.0.0.1:8082/thanks", "-expires", "2h")
	require.NoError(t, err)
	u, err := url.Parse(strings.TrimSpace(out))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080/link", u.Scheme+"://"+u.Host+u.Path)

	q := u.Query()
	require.NoError(t, links.Verify("demo-link-secret", q, time.Now()))
	assert.ErrorIs(t, links.Verify("demo-link-secret", q, time.Now().Add(2*time.Hour+time.Minute)), links.ErrExpired)
	for k, want := range map[string]string{
		"merchant": "demo", "reference": "R-42", "amount": "99.90", "currency": "TRY",
		"description": "Kitap", "installments": "1,3", "return_url": "http://127.0.0.1:8082/thanks",
	} {
		assert.Equal(t, want, q.Get(k), k)
	}
}

func TestLinkFromConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "checkout.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`
server:
  public_url: https://pay.example.com
merchants:
  - id: shop
    name: Shop
    api_key_env: SHOP_KEY
    link_secret_env: SHOP_LINK
    moka: {base_url: "https://service.refmokaunited.com", dealer_code: "1", username: u, password_env: SHOP_MOKA}
`), 0o600))
	env := map[string]string{"SHOP_KEY": "k", "SHOP_LINK": "shop-link-secret", "SHOP_MOKA": "p"}
	out, _, err := runCmd(t, env, "link", "-config", cfg, "-merchant", "shop", "-reference", "R-1")
	require.NoError(t, err)
	u, err := url.Parse(strings.TrimSpace(out))
	require.NoError(t, err)
	assert.Equal(t, "pay.example.com", u.Host)
	require.NoError(t, links.Verify("shop-link-secret", u.Query(), time.Now()))
	assert.ErrorIs(t, links.Verify("demo-link-secret", u.Query(), time.Now()), links.ErrBadSignature)

	_, _, err = runCmd(t, env, "link", "-config", cfg, "-merchant", "demo")
	require.EqualError(t, err, `link: no merchant "demo"`)
}

func TestLinkRefusesBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-amount", "150.005"}, `-amount "150.005": amount must be a string with digits and at most two decimals`},
		{[]string{"-amount", "-1"}, `-amount "-1": amount must be a string with digits`},
		{[]string{"-amount", "1e3x"}, `-amount "1e3x"`},
		{[]string{"-amount", "1e2"}, `-amount "1e2": amount must be a string with digits`},
		{[]string{"-amount", "0.00"}, `-amount "0.00": amount must be more than zero`},
		{[]string{"-amount", "1000000000"}, `-amount "1000000000": amount must be at most 99999999.99`},
		{[]string{"-currency", "TL"}, `-currency "TL": want TRY, USD, EUR or GBP`},
		{[]string{"-installments", "1,24"}, `-installments "1,24"`},
		{[]string{"-return-url", "/thanks"}, `-return-url "/thanks": want an absolute URL`},
		{[]string{"-expires", "-1h"}, `-expires must be positive`},
		{[]string{"extra"}, `link: unexpected argument "extra"`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := runCmd(t, nil, append([]string{"link"}, tc.args...)...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, out)
		})
	}
}

func TestHealthcheck(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() || r.URL.Path != "/healthz" {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()

	out, _, err := runCmd(t, nil, "healthcheck", "-url", srv.URL+"/healthz")
	require.NoError(t, err)
	assert.Equal(t, "ok\n", out)

	healthy.Store(false)
	_, _, err = runCmd(t, nil, "healthcheck", "-url", srv.URL+"/healthz")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503 Service Unavailable")
}

// freeAddrs returns n distinct 127.0.0.1 addresses nobody listens on right now.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	for _, ln := range lns {
		require.NoError(t, ln.Close())
	}
	return addrs
}

func TestPortClashIsAClearError(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	free := freeAddrs(t, 3)
	_, _, err = runCmd(t, map[string]string{
		"CHECKOUT_ADDR":            free[0],
		"CHECKOUT_SANDBOX_ADDR":    taken.Addr().String(),
		"CHECKOUT_STOREFRONT_ADDR": free[1],
		"CHECKOUT_METRICS_ADDR":    free[2],
		"CHECKOUT_DB":              filepath.Join(t.TempDir(), "checkout.db"),
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sandbox: listen on "+taken.Addr().String())
}

// `checkout sandbox` listens where CHECKOUT_SANDBOX_ADDR says, as `checkout serve` does,
// and -addr wins over it. Each run is asked over HTTP at the address it printed.
func TestSandboxCommandAddrFromEnv(t *testing.T) {
	addrs := freeAddrs(t, 3)
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string // where the sandbox must answer
	}{
		{"environment", map[string]string{"CHECKOUT_SANDBOX_ADDR": addrs[0]}, nil, addrs[0]},
		{"-addr wins", map[string]string{"CHECKOUT_SANDBOX_ADDR": addrs[0]}, []string{"-addr", addrs[1]}, addrs[1]},
		{"public URL from the environment", map[string]string{
			"CHECKOUT_SANDBOX_ADDR": addrs[2], "CHECKOUT_SANDBOX_PUBLIC_URL": "http://sandbox.test:9999",
		}, nil, addrs[2]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := startRun(t, tc.env, append([]string{"sandbox"}, tc.args...)...)
			public := tc.env["CHECKOUT_SANDBOX_PUBLIC_URL"]
			if public == "" {
				public = "http://" + tc.want
			}
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(r.stdout.String(), "Moka sandbox: "+public+"\n") {
				select {
				case err := <-r.done:
					t.Fatalf("sandbox stopped early: %v\n%s", err, tail(r.stderr.String()))
				case <-time.After(20 * time.Millisecond):
				}
				require.True(t, time.Now().Before(deadline), "sandbox did not start; stdout: %s", r.stdout.String())
			}
			resp := r.get(t, "http://"+tc.want+"/")
			assert.Equal(t, http.StatusOK, resp.StatusCode, "the sandbox answers at %s", tc.want)
			r.stop(t)
		})
	}
}
