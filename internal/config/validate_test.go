package config_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
)

func TestValidationErrors(t *testing.T) {
	withMerchantKeys := func(lines string) string {
		return strings.Replace(minimal, "    name: Shop\n", "    name: Shop\n"+lines, 1)
	}
	withBaseURL := func(u string) string {
		return strings.Replace(minimal, "https://service.refmokaunited.com/", u, 1)
	}
	cases := []struct{ name, yaml, want string }{
		{"relative moka url", withBaseURL("/moka"), `merchants[0].moka.base_url: "/moka" is not an absolute http(s) URL`},
		{"ftp moka url", withBaseURL("ftp://service.refmokaunited.com"), `merchants[0].moka.base_url: "ftp://service.refmokaunited.com" is not an absolute http(s) URL`},
		{"moka url without host", withBaseURL("https://"), `merchants[0].moka.base_url: "https://" is not an absolute http(s) URL`},
		{"moka url with query", withBaseURL("https://service.refmokaunited.com?x=1"), `merchants[0].moka.base_url: "https://service.refmokaunited.com?x=1": no user info, query or fragment`},
		{"live host over http", withBaseURL("http://service.mokaunited.com"), `merchants[0].moka.base_url: the live Moka host service.mokaunited.com must be reached over https`},
		{"origin with path", withMerchantKeys("    allowed_origins: [https://shop.example.com/pay]\n"), `merchants[0].allowed_origins[0]: "https://shop.example.com/pay" is not an origin`},
		{"origin not a url", withMerchantKeys("    allowed_origins: [shop.example.com]\n"), `merchants[0].allowed_origins[0]: "shop.example.com" is not an absolute http(s) URL`},
		{"return prefix relative", withMerchantKeys("    return_url_prefixes: [/thanks]\n"), `merchants[0].return_url_prefixes[0]: "/thanks" is not an absolute http(s) URL`},
		{"return prefix with user info", withMerchantKeys("    return_url_prefixes: [\"https://shop.example@evil.net/\"]\n"), `merchants[0].return_url_prefixes[0]: "https://shop.example@evil.net/": no user info, query or fragment`},
		{"return prefix with dot segment", withMerchantKeys("    return_url_prefixes: [\"https://shop.example/a/../b\"]\n"), `merchants[0].return_url_prefixes[0]: "https://shop.example/a/../b": no "." or ".." path segments`},
		{"return prefix with backslash", withMerchantKeys("    return_url_prefixes: [\"https://shop.example/a\\\\b\"]\n"), `no backslash allowed`},
		{"webhook url bad", withMerchantKeys("    webhook_url: hook\n    webhook_secret_env: SHOP_LINK\n"), `merchants[0].webhook_url: "hook" is not an absolute http(s) URL`},
		{"webhook without secret", withMerchantKeys("    webhook_url: https://shop.example.com/hook\n"), `merchants[0].webhook_secret_env: a webhook_url needs`},
		{"installment 13", withMerchantKeys("    installments: [1, 13]\n"), `merchants[0].installments[1]: 13 is not between 1 and 12`},
		{"installment twice", withMerchantKeys("    installments: [3, 3]\n"), `merchants[0].installments[1]: 3 is listed twice`},
		{"brand colour", withMerchantKeys("    brand_color: blue\n"), `merchants[0].brand_color: "blue" is not a #RRGGBB colour`},
		{"bad id", strings.Replace(minimal, "id: shop", "id: my shop", 1), `merchants[0].id: "my shop": use up to 64 letters`},
		{"no name", strings.Replace(minimal, "    name: Shop\n", "", 1), `merchants[0].name: is required`},
		{"no dealer code", strings.Replace(minimal, "      dealer_code: \"1730\"\n", "", 1), `merchants[0].moka.dealer_code: is required`},
		{"duplicate id", minimal + strings.TrimPrefix(minimal, "\nmerchants:\n"), `merchants[1].id: "shop" is also merchants[0].id`},
		{"no merchants", "server:\n  addr: 127.0.0.1:8080\n", `merchants: at least one merchant is required`},
		{"port 0", "server:\n  addr: 127.0.0.1:0\n" + minimal, `server.addr: "127.0.0.1:0": port must be 1-65535`},
		{"zero expiry", "server:\n  default_order_expiry: 0s\n" + minimal, `server.default_order_expiry: must be positive`},
		{"bank session too short", "server:\n  bank_session_timeout: 30s\n" + minimal, `server.bank_session_timeout: must be at least 1m`},
		{"moka timeout past the bank session", "server:\n  moka_timeout: 20m\n" + minimal, `server.moka_timeout: must be shorter than server.bank_session_timeout (15m0s), got 20m0s`},
		{"negative reconcile interval", "server:\n  reconcile_interval: -1m\n" + minimal, `server.reconcile_interval: must be 0 (off) or positive`},
		{"3-D origin with path", strings.Replace(minimal, "      dealer_code: \"1730\"\n", "      dealer_code: \"1730\"\n      threed_origins: [https://3d.example.com/x]\n", 1), `merchants[0].moka.threed_origins[0]: "https://3d.example.com/x" is not an origin`},
		{"negative attempts", "server:\n  max_attempts: -1\n" + minimal, `server.max_attempts: must be at least 1, got -1`},
		{"sandbox on checkout's port", "sandbox:\n  enabled: true\n  addr: 127.0.0.1:8080\n" + minimal, `sandbox.addr: 127.0.0.1:8080 is also server.addr`},
		{"storefront for unknown merchant", "storefront:\n  enabled: true\n  merchant: nobody\n" + minimal, `storefront.merchant: no merchant with id "nobody"`},
		{"storefront needs plain key", "storefront:\n  enabled: true\n" + strings.Replace(minimal, "api_key_env: SHOP_KEY", "api_key_sha256: "+config.HashAPIKey("k"), 1), `storefront.merchant: merchant "shop" needs api_key_env or api_key_file`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml, minimalEnv())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDemoValuesRefusedOnLiveHost(t *testing.T) {
	demoEnv := env{"SHOP_KEY": "sk_test_demo", "SHOP_LINK": "demo-link-secret", "SHOP_MOKA": "demo-pass"}
	demoYAML := strings.NewReplacer(`dealer_code: "1730"`, "dealer_code: demo-dealer", "username: api", "username: demo-user").Replace(minimal)
	for _, host := range []string{"https://service.mokaunited.com", "https://SERVICE.MOKA.COM/"} {
		t.Run(host, func(t *testing.T) {
			yaml := strings.Replace(demoYAML, "https://service.refmokaunited.com/", host, 1)
			_, err := load(t, yaml, demoEnv)
			require.Error(t, err)
			for _, key := range []string{"api_key", "link_secret", "moka.dealer_code", "moka.username", "moka.password"} {
				assert.Contains(t, err.Error(), "merchants[0]."+key+": the published demo value is refused while moka.base_url is the live host")
			}
			assert.NotContains(t, err.Error(), "demo-pass")
		})
	}

	// One demo value is enough to refuse.
	e := minimalEnv()
	e["SHOP_LINK"] = "demo-link-secret"
	_, err := load(t, strings.Replace(minimal, "https://service.refmokaunited.com/", "https://service.mokaunited.com", 1), e)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "merchants[0].link_secret: the published demo value is refused")

	// A key given only as a hash is recognised too.
	yaml := strings.NewReplacer("https://service.refmokaunited.com/", "https://service.mokaunited.com",
		"api_key_env: SHOP_KEY", "api_key_sha256: "+config.HashAPIKey("sk_test_demo")).Replace(minimal)
	_, err = load(t, yaml, minimalEnv())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "merchants[0].api_key: the published demo value is refused")

	// The same demo values against the test host are fine.
	_, err = load(t, demoYAML, demoEnv)
	require.NoError(t, err)
}

func TestDemo(t *testing.T) {
	c := config.Demo(env{}.get)
	require.NoError(t, c.Validate())
	assert.Equal(t, "127.0.0.1:8080", c.Addr)
	assert.Equal(t, "http://127.0.0.1:8080", c.PublicURL)
	assert.Equal(t, "./data/checkout.db", c.DB)
	assert.Equal(t, config.Sandbox{Enabled: true, Addr: "127.0.0.1:8081", PublicURL: "http://127.0.0.1:8081"}, c.Sandbox)
	assert.Equal(t, config.Storefront{Enabled: true, Addr: "127.0.0.1:8082", Merchant: "demo"}, c.Storefront)
	assert.Equal(t, "http://127.0.0.1:8082", c.StorefrontURL())
	require.Len(t, c.Merchants, 1)
	m, ok := c.Merchant("demo")
	require.True(t, ok)
	assert.Equal(t, "Demo Mağaza", m.Name)
	assert.Equal(t, "sk_test_demo", m.APIKey.Value())
	assert.Equal(t, config.HashAPIKey("sk_test_demo"), m.APIKeyHash)
	assert.Equal(t, "demo-link-secret", m.LinkSecret.Value())
	assert.Equal(t, config.Moka{BaseURL: "http://127.0.0.1:8081", DealerCode: "demo-dealer", Username: "demo-user", Password: "demo-pass"}, m.Moka)
	assert.Equal(t, []string{"http://127.0.0.1:8082"}, m.AllowedOrigins)
	assert.Equal(t, []string{"http://127.0.0.1:8082/"}, m.ReturnURLPrefixes)
	assert.Equal(t, []int{1, 2, 3, 6, 9, 12}, m.Installments)
}

func TestDemoFollowsEnv(t *testing.T) {
	c := config.Demo(env{
		"CHECKOUT_ADDR":            "127.0.0.1:18080",
		"CHECKOUT_SANDBOX_ADDR":    "127.0.0.1:18081",
		"CHECKOUT_STOREFRONT_ADDR": "127.0.0.1:18082",
		"CHECKOUT_DB":              "/tmp/x.db",
	}.get)
	require.NoError(t, c.Validate())
	assert.Equal(t, "http://127.0.0.1:18080", c.PublicURL)
	assert.Equal(t, "/tmp/x.db", c.DB)
	assert.Equal(t, "http://127.0.0.1:18081", c.Merchants[0].Moka.BaseURL, "Moka is the sandbox")
	assert.Equal(t, []string{"http://127.0.0.1:18082"}, c.Merchants[0].AllowedOrigins)

	live := config.Demo(env{"CHECKOUT_SANDBOX_PUBLIC_URL": "https://service.mokaunited.com"}.get)
	err := live.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "merchants[0].api_key: the published demo value is refused")
}
