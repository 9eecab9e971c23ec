package config

// Demo is demo mode's configuration: the checkout, the Moka sandbox and the example
// storefront on three local origins, one merchant with the published demo values, and Moka
// pointed at the sandbox. Addresses, public URLs and the database path follow the same
// environment variables as Load, so tests and a second demo can use other ports. The caller
// should still call Validate: a CHECKOUT_SANDBOX_PUBLIC_URL naming a live Moka host is refused.
func Demo(getenv func(string) string) *Config {
	c := &Config{
		// Demo mode is SQLite, always: nothing to install. CHECKOUT_STORE_* are not read.
		Store:              Store{Driver: DriverSQLite},
		MaxAttempts:        DefaultMaxAttempts,
		DefaultOrderExpiry: DefaultOrderExpiry,
		MokaTimeout:        DefaultMokaTimeout,
		BankSessionTimeout: DefaultBankSessionTimeout,
		ReconcileInterval:  DefaultReconcileInterval,
		Sandbox:            Sandbox{Enabled: true},
		Storefront:         Storefront{Enabled: true, Merchant: DemoMerchantID},
		Dashboard:          Dashboard{DemoUser: DemoUserEmail},
	}
	c.MetricsAddr = DefaultDemoMetricsAddr
	applyStringEnv(c, getenv)
	fillDefaults(c)
	shop := URLForAddr(c.Storefront.Addr)
	c.Merchants = []Merchant{{
		ID:                DemoMerchantID,
		Name:              DemoMerchantName,
		APIKeyHash:        HashAPIKey(DemoAPIKey),
		APIKey:            DemoAPIKey,
		LinkSecret:        DemoLinkSecret,
		AllowedOrigins:    []string{shop},
		ReturnURLPrefixes: []string{shop + "/"},
		Installments:      []int{1, 2, 3, 6, 9, 12},
		// The storefront receives the demo merchant's webhooks and shows them; http and
		// loopback are allowed for it because the sandbox runs in this process.
		WebhookURL:    shop + DemoWebhookPath,
		WebhookSecret: DemoWebhookSecret,
		Moka: Moka{
			BaseURL:    c.Sandbox.PublicURL,
			DealerCode: DemoDealerCode,
			Username:   DemoMokaUsername,
			Password:   DemoMokaPassword,
		},
	}}
	return c
}

// StorefrontURL is the browser URL of the example storefront.
func (c *Config) StorefrontURL() string { return URLForAddr(c.Storefront.Addr) }

// Merchant returns the merchant with the given id.
func (c *Config) Merchant(id string) (Merchant, bool) {
	for _, m := range c.Merchants {
		if m.ID == id {
			return m, true
		}
	}
	return Merchant{}, false
}
