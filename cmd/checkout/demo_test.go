package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemoMode starts the real program in demo mode on free ports, follows the printed
// link, visits the sandbox and the storefront, and stops it the way SIGINT would.
func TestDemoMode(t *testing.T) {
	addrs := freeAddrs(t, 3)
	env := map[string]string{
		"CHECKOUT_ADDR":            addrs[0],
		"CHECKOUT_SANDBOX_ADDR":    addrs[1],
		"CHECKOUT_STOREFRONT_ADDR": addrs[2],
		"CHECKOUT_DB":              filepath.Join(t.TempDir(), "data", "checkout.db"),
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"checkout"}, envOf(env), &stdout, &stderr) }()

	checkoutURL := "http://" + addrs[0]
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(u string) *http.Response {
		resp, err := client.Get(u)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// Wait until the checkout answers and the banner is out; fail at once if run gives up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("run stopped early: %v\nstderr ends:\n%s", err, tail(stderr.String()))
		default:
		}
		resp, err := client.Get(checkoutURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(stdout.String(), "Sandbox test card") {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "checkout not healthy in time; stderr ends:\n%s", tail(stderr.String()))
		time.Sleep(20 * time.Millisecond)
	}

	banner := stdout.String()
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
	assert.Contains(t, stderr.String(), `"msg":"listening"`, "logs are JSON on stderr")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	_, err = client.Get(checkoutURL + "/healthz")
	assert.Error(t, err, "the checkout no longer listens")
}

// tail keeps failure messages readable: the end of the log is what explains them.
func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}
