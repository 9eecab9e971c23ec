package config_test

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
)

// env is a fake environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// files is a fake file system for readFile; the config file itself is "checkout.yaml".
type files map[string]string

func (f files) read(path string) ([]byte, error) {
	s, ok := f[path]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
	}
	return []byte(s), nil
}

const minimal = `
merchants:
  - id: shop
    name: Shop
    api_key_env: SHOP_KEY
    link_secret_env: SHOP_LINK
    moka:
      base_url: https://service.refmokaunited.com/
      dealer_code: "1730"
      username: api
      password_env: SHOP_MOKA
`

func minimalEnv() env {
	return env{"SHOP_KEY": "sk_live_abc", "SHOP_LINK": "link-s3cret", "SHOP_MOKA": "moka-s3cret"}
}

func load(t *testing.T, yaml string, e env) (*config.Config, error) {
	t.Helper()
	return config.Load("checkout.yaml", e.get, files{"checkout.yaml": yaml}.read)
}

func TestExampleFileLoads(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "configs", "checkout.example.yaml"))
	require.NoError(t, err)
	fsys := files{
		"checkout.yaml":                     string(example),
		"/run/secrets/market_link_secret":   "market-link\n",
		"/run/secrets/market_moka_password": "market-moka\n",
	}
	e := env{
		"CHECKOUT_SHOP_API_KEY":        "sk_live_shop",
		"CHECKOUT_SHOP_LINK_SECRET":    "shop-link",
		"CHECKOUT_SHOP_MOKA_PASSWORD":  "shop-moka",
		"CHECKOUT_SHOP_WEBHOOK_SECRET": "whsec_c2hvcA==",
		"CHECKOUT_DASHBOARD_SESSION_KEYS": "new-key-0123456789abcdef0123456789abcdef " +
			"old-key-0123456789abcdef0123456789abcdef",
	}
	c, err := config.Load("checkout.yaml", e.get, fsys.read)
	require.NoError(t, err)
	require.Len(t, c.Dashboard.SessionKeys, 2, "a rotation: the new key and the old")
	assert.Equal(t, "new-key-0123456789abcdef0123456789abcdef", c.Dashboard.SessionKeys[0].Value())

	assert.Equal(t, "127.0.0.1:8080", c.Addr)
	assert.Equal(t, "https://pay.example.com", c.PublicURL)
	assert.Equal(t, time.Hour, c.DefaultOrderExpiry)
	assert.Equal(t, 30*time.Second, c.MokaTimeout)
	assert.Equal(t, slog.LevelInfo, c.LogLevel)
	assert.False(t, c.TrustProxyHeaders)
	require.Len(t, c.Merchants, 2)
	shop, market := c.Merchants[0], c.Merchants[1]
	assert.Equal(t, config.HashAPIKey("sk_live_shop"), shop.APIKeyHash)
	assert.Equal(t, "shop-moka", shop.Moka.Password.Value())
	assert.Equal(t, "whsec_c2hvcA==", shop.WebhookSecret.Value())
	assert.Equal(t, []int{1, 2, 3, 6, 9, 12}, shop.Installments)
	assert.Equal(t, []string{"https://shop.example.com"}, shop.AllowedOrigins)
	assert.Equal(t, config.HashAPIKey("test"), market.APIKeyHash)
	assert.Empty(t, market.APIKey.Value(), "only the hash is configured")
	assert.Equal(t, "market-link", market.LinkSecret.Value(), "file content is trimmed")
	assert.Equal(t, "market-moka", market.Moka.Password.Value())
}

func TestStrictYAML(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", "servr:\n  addr: x\n" + minimal, `line 1: unknown key "servr"`},
		{"unknown nested key", "server:\n  adr: 127.0.0.1:1\n" + minimal, `line 2: unknown key "adr"`},
		{"unknown merchant key", strings.Replace(minimal, "    name: Shop", "    name: Shop\n    colour: red", 1), `unknown key "colour"`},
		{"inline secret", strings.Replace(minimal, "      password_env: SHOP_MOKA", "      password: hunter2", 1), `unknown key "password" (secrets are never inline: use password_env or password_file)`},
		{"wrong type", "server:\n  max_attempts: many\n" + minimal, "cannot unmarshal !!str `many` into int"},
		{"list for string", "server:\n  addr: [a, b]\n" + minimal, "cannot unmarshal !!seq into string"},
		{"duration as number", "server:\n  moka_timeout: 30\n" + minimal, `line 2: want a duration such as "30s"`},
		{"bad duration", "server:\n  default_order_expiry: soon\n" + minimal, `"soon" is not a duration`},
		{"empty file", "", "file is empty"},
		{"two documents", minimal + "---\nserver: {}\n", "more than one YAML document"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml, minimalEnv())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := load(t, minimal, minimalEnv())
	require.NoError(t, err)
	assert.Equal(t, config.DefaultAddr, c.Addr)
	assert.Equal(t, "http://127.0.0.1:8080", c.PublicURL)
	assert.Equal(t, config.DefaultDB, c.DB)
	assert.Equal(t, 5, c.MaxAttempts)
	assert.Equal(t, time.Hour, c.DefaultOrderExpiry)
	assert.Equal(t, 30*time.Second, c.MokaTimeout)
	assert.Equal(t, 15*time.Minute, c.BankSessionTimeout)
	assert.Equal(t, time.Minute, c.ReconcileInterval)
	assert.Empty(t, c.Merchants[0].Moka.ThreeDOrigins)
	assert.False(t, c.Sandbox.Enabled)
	assert.False(t, c.Storefront.Enabled)
	assert.Equal(t, "https://service.refmokaunited.com", c.Merchants[0].Moka.BaseURL, "trailing slash trimmed")
	assert.Nil(t, c.Merchants[0].Installments)
}

func TestEnvOverrides(t *testing.T) {
	yaml := "server:\n  addr: 127.0.0.1:9000\n  db: file.db\n  max_attempts: 2\n  log_level: warn\n" + minimal
	e := minimalEnv()
	for k, v := range map[string]string{
		"CHECKOUT_ADDR":                 "0.0.0.0:8080",
		"CHECKOUT_DB":                   "/data/checkout.db",
		"CHECKOUT_MAX_ATTEMPTS":         "7",
		"CHECKOUT_MAX_IN_FLIGHT":        "64",
		"CHECKOUT_DEFAULT_ORDER_EXPIRY": "30m",
		"CHECKOUT_MOKA_TIMEOUT":         "5s",
		"CHECKOUT_BANK_SESSION_TIMEOUT": "20m",
		"CHECKOUT_RECONCILE_INTERVAL":   "0s",
		"CHECKOUT_LOG_LEVEL":            "debug",
		"CHECKOUT_SANDBOX_ENABLED":      "true",
		"CHECKOUT_SANDBOX_ADDR":         "127.0.0.1:9101",
		"CHECKOUT_STOREFRONT_ENABLED":   "1",
		"CHECKOUT_STOREFRONT_ADDR":      "127.0.0.1:9102",
	} {
		e[k] = v
	}
	c, err := load(t, yaml, e)
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:8080", c.Addr)
	assert.Equal(t, "http://127.0.0.1:8080", c.PublicURL, "a wildcard host is not a browser URL")
	assert.Equal(t, "/data/checkout.db", c.DB)
	assert.Equal(t, 7, c.MaxAttempts)
	assert.Equal(t, 64, c.MaxInFlight)
	assert.Equal(t, 30*time.Minute, c.DefaultOrderExpiry)
	assert.Equal(t, 5*time.Second, c.MokaTimeout)
	assert.Equal(t, 20*time.Minute, c.BankSessionTimeout)
	assert.Zero(t, c.ReconcileInterval, "0 turns reconciliation off")
	assert.Equal(t, slog.LevelDebug, c.LogLevel)
	assert.Equal(t, config.Sandbox{Enabled: true, Addr: "127.0.0.1:9101", PublicURL: "http://127.0.0.1:9101"}, c.Sandbox)
	assert.Equal(t, config.Storefront{Enabled: true, Addr: "127.0.0.1:9102", Merchant: "shop"}, c.Storefront)

	e["CHECKOUT_PUBLIC_URL"] = "https://pay.example.com/"
	c, err = load(t, yaml, e)
	require.NoError(t, err)
	assert.Equal(t, "https://pay.example.com", c.PublicURL)
}

func TestBadEnvValues(t *testing.T) {
	cases := []struct{ key, value, want string }{
		{"CHECKOUT_MAX_ATTEMPTS", "lots", `server.max_attempts: CHECKOUT_MAX_ATTEMPTS="lots" is not a whole number`},
		{"CHECKOUT_MAX_IN_FLIGHT", "many", `server.max_in_flight: CHECKOUT_MAX_IN_FLIGHT="many" is not a whole number`},
		{"CHECKOUT_MOKA_TIMEOUT", "30", `server.moka_timeout: CHECKOUT_MOKA_TIMEOUT="30" is not a duration`},
		{"CHECKOUT_SANDBOX_ENABLED", "yes please", `sandbox.enabled: CHECKOUT_SANDBOX_ENABLED="yes please" is not true or false`},
		{"CHECKOUT_LOG_LEVEL", "loud", `server.log_level: "loud" is not one of`},
		{"CHECKOUT_ADDR", "localhost", `server.addr: "localhost" is not host:port`},
		{"CHECKOUT_PUBLIC_URL", "pay.example.com", `server.public_url: "pay.example.com" is not an absolute http(s) URL`},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			e := minimalEnv()
			e[tc.key] = tc.value
			_, err := load(t, minimal, e)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestTrustProxyHeaders(t *testing.T) {
	cases := []struct {
		name, yaml, env string
		want            bool
		wantErr         string
	}{
		{name: "off by default", yaml: minimal},
		{name: "from the file", yaml: "server:\n  trust_proxy_headers: true\n" + minimal, want: true},
		{name: "env turns it on", yaml: minimal, env: "true", want: true},
		{name: "env turns it off", yaml: "server:\n  trust_proxy_headers: true\n" + minimal, env: "false"},
		{name: "bad env value", yaml: minimal, env: "sometimes",
			wantErr: `server.trust_proxy_headers: CHECKOUT_TRUST_PROXY_HEADERS="sometimes" is not true or false`},
		{name: "not a boolean in the file", yaml: "server:\n  trust_proxy_headers: maybe\n" + minimal,
			wantErr: "cannot unmarshal !!str `maybe` into bool"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := minimalEnv()
			if tc.env != "" {
				e[config.EnvTrustProxyHeaders] = tc.env
			}
			c, err := load(t, tc.yaml, e)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.TrustProxyHeaders)
		})
	}
}

// server.webhook_private_networks is off unless the operator's file turns it on.
func TestWebhookPrivateNetworks(t *testing.T) {
	c, err := load(t, minimal, minimalEnv())
	require.NoError(t, err)
	assert.False(t, c.WebhookPrivateNetworks)
	c, err = load(t, "server:\n  webhook_private_networks: true\n"+minimal, minimalEnv())
	require.NoError(t, err)
	assert.True(t, c.WebhookPrivateNetworks)
}

func TestDashboardSessionKeysAreLongEnough(t *testing.T) {
	yaml := "dashboard:\n  session_keys_env: KEYS\nmerchants: []\n"
	_, err := load(t, yaml, env{"KEYS": "tiny-k3y"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dashboard.session_keys: key 1 is shorter than 32 bytes")
	assert.NotContains(t, err.Error(), "tiny-k3y", "the key itself is never shown")
}

func TestMerchantLogoFile(t *testing.T) {
	base := "merchants:\n  - id: shop\n    name: Shop\n    api_key_sha256: " + strings.Repeat("a", 64) +
		"\n    link_secret_env: LINK\n    logo_file: /etc/logo\n    moka: {base_url: \"https://service.refmokaunited.com\", dealer_code: \"1\", username: u, password_env: PW}\n"
	e := env{"LINK": "l", "PW": "p"}
	svg := `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`
	c, err := config.Load("checkout.yaml", e.get, files{"checkout.yaml": base, "/etc/logo": svg}.read)
	require.NoError(t, err)
	assert.Equal(t, svg, string(c.Merchants[0].Logo))
	assert.Equal(t, "image/svg+xml", config.LogoType(c.Merchants[0].Logo))

	_, err = config.Load("checkout.yaml", e.get, files{"checkout.yaml": base, "/etc/logo": "just text"}.read)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "logo_file: /etc/logo is not a PNG, JPEG or SVG image")
	_, err = config.Load("checkout.yaml", e.get, files{"checkout.yaml": base, "/etc/logo": "<svg>" + strings.Repeat("x", config.MaxLogoBytes)}.read)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than")
}
