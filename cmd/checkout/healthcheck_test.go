package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
)

// Without -url the healthcheck asks where CHECKOUT_ADDR says the server listens, as the
// Docker HEALTHCHECK does; a wildcard host is asked on 127.0.0.1.
func TestHealthcheckFollowsCheckoutAddr(t *testing.T) {
	var healthz atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			healthz.Add(1)
		} else {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)

	for _, addr := range []string{"0.0.0.0:" + port, ":" + port, "127.0.0.1:" + port, "[::]:" + port} {
		t.Run(addr, func(t *testing.T) {
			healthz.Store(0)
			out, _, err := runCmd(t, map[string]string{config.EnvAddr: addr}, "healthcheck")
			require.NoError(t, err)
			assert.Equal(t, "ok\n", out)
			assert.Equal(t, int32(1), healthz.Load(), "asked /healthz once")
		})
	}

	t.Run("-url wins", func(t *testing.T) {
		_, _, err := runCmd(t, map[string]string{config.EnvAddr: "127.0.0.1:1"}, "healthcheck", "-url", srv.URL+"/healthz")
		require.NoError(t, err)
	})

	t.Run("nothing at CHECKOUT_ADDR", func(t *testing.T) {
		free := freeAddrs(t, 1)[0]
		_, _, err := runCmd(t, map[string]string{config.EnvAddr: free}, "healthcheck")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "http://"+free+"/healthz")
	})
}

func TestHealthURL(t *testing.T) {
	cases := []struct {
		addr, want string
	}{
		{"", "http://127.0.0.1:8080/healthz"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000/healthz"},
		{":9000", "http://127.0.0.1:9000/healthz"},
		{"[::]:9000", "http://127.0.0.1:9000/healthz"},
		{"10.0.0.5:9000", "http://10.0.0.5:9000/healthz"},
		{"[::1]:9000", "http://[::1]:9000/healthz"},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			assert.Equal(t, tc.want, healthURL(envOf(map[string]string{config.EnvAddr: tc.addr})))
		})
	}
}

// server.trust_proxy_headers reaches the checkout; it is off unless configured.
func TestCheckoutOptionsTrustProxyHeaders(t *testing.T) {
	for _, trust := range []bool{false, true} {
		cfg := config.Demo(envOf(nil))
		cfg.TrustProxyHeaders = trust
		assert.Equal(t, trust, checkoutOptions(cfg, nil, nil).TrustProxyHeaders)
	}
}
