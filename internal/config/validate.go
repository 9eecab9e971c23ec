package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Demo values. They are documented in the README, so they protect nothing: Validate refuses
// them whenever a merchant's Moka base URL is a live host.
const (
	DemoMerchantID   = "demo"
	DemoMerchantName = "Demo Mağaza"
	DemoAPIKey       = "sk_test_demo"
	DemoLinkSecret   = "demo-link-secret"
	DemoDealerCode   = "demo-dealer"
	DemoMokaUsername = "demo-user"
	DemoMokaPassword = "demo-pass"
	// DemoWebhookSecret signs the demo merchant's webhooks to the example storefront's
	// receiver (DemoWebhookPath): the base64 of "demo-storefront-webhooks-secret!".
	DemoWebhookSecret = "whsec_ZGVtby1zdG9yZWZyb250LXdlYmhvb2tzLXNlY3JldCE="
	// DemoWebhookPath is where the example storefront receives its webhooks.
	DemoWebhookPath = "/webhooks"
	// DemoUserEmail and DemoUserPassword log in to the demo merchant's dashboard. The
	// password is shorter than the 12 characters required elsewhere: it is published.
	DemoUserEmail      = "demo@example.com"
	DemoUserPassword   = "demo"
	maxMerchantIDChars = 64
)

// liveMokaHosts take real money. service.moka.com is the older name still seen in integrations.
var liveMokaHosts = map[string]bool{
	"service.mokaunited.com": true,
	"service.moka.com":       true,
}

// IsLiveMokaHost reports whether a Moka base URL's host moves real money.
func IsLiveMokaHost(host string) bool {
	return liveMokaHosts[strings.ToLower(strings.TrimSuffix(host, "."))]
}

var (
	merchantIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	brandColorRE = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
	sha256HexRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Validate checks the whole configuration. Load calls it; demo mode calls it too, so demo
// values can never reach a live Moka host. Errors name the key path.
func (c *Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	check := func(key string, err error) {
		if err != nil {
			add(key, "%v", err)
		}
	}

	check("server.addr", checkAddr(c.Addr))
	check("server.public_url", checkBaseURL(c.PublicURL))
	if c.DB == "" {
		add("server.db", "is required")
	}
	if c.MaxInFlight < 0 {
		add("server.max_in_flight", "must be 0 (the default, 256) or positive, got %d", c.MaxInFlight)
	}
	if c.MaxAttempts < 1 {
		add("server.max_attempts", "must be at least 1, got %d", c.MaxAttempts)
	}
	if c.DefaultOrderExpiry <= 0 {
		add("server.default_order_expiry", "must be positive, got %s", c.DefaultOrderExpiry)
	}
	if c.MokaTimeout <= 0 {
		add("server.moka_timeout", "must be positive, got %s", c.MokaTimeout)
	}
	if c.BankSessionTimeout < time.Minute {
		add("server.bank_session_timeout", "must be at least 1m (banks keep 3-D sessions open for minutes), got %s", c.BankSessionTimeout)
	} else if c.MokaTimeout >= c.BankSessionTimeout {
		// Reconciliation must not give up on an attempt whose Moka call is still running.
		add("server.moka_timeout", "must be shorter than server.bank_session_timeout (%s), got %s", c.BankSessionTimeout, c.MokaTimeout)
	}
	if k := c.CodeForHashKey; k != "" && len(k.Value()) != CodeForHashKeySize {
		add("server.code_for_hash_key", "must be %d bytes", CodeForHashKeySize)
	}
	switch c.Store.Driver {
	case DriverSQLite:
		if c.Store.DSN != "" {
			// Most likely a forgotten store.driver: postgres. Instances that each ran on
			// their own SQLite file would not see each other's orders.
			add("store.dsn", "is only used with store.driver %s; with %s the database is the file server.db", DriverPostgres, DriverSQLite)
		}
	case DriverPostgres:
		if c.Store.DSN == "" {
			add("store.dsn", "store.driver %s needs a DSN: set store.dsn (without a password), store.dsn_env, store.dsn_file or %s", DriverPostgres, EnvStoreDSN)
		}
		if c.CodeForHashKey == "" {
			// Without a configured key each instance would make its own in <db>.key, and one
			// instance could not verify the bank returns of attempts another one started.
			add("server.code_for_hash_key_env", "store.driver %s needs server.code_for_hash_key_env or server.code_for_hash_key_file: the default key file beside the SQLite database (<server.db>.key) is not shared between instances", DriverPostgres)
		}
	default:
		add("store.driver", "%q is not one of %s, %s", c.Store.Driver, DriverSQLite, DriverPostgres)
	}
	if c.ReconcileInterval < 0 {
		add("server.reconcile_interval", "must be 0 (off) or positive, got %s", c.ReconcileInterval)
	}
	addrs := map[string]string{c.Addr: "server.addr"}
	if c.Sandbox.Enabled {
		check("sandbox.addr", checkAddr(c.Sandbox.Addr))
		check("sandbox.public_url", checkBaseURL(c.Sandbox.PublicURL))
		if other, ok := addrs[c.Sandbox.Addr]; ok {
			add("sandbox.addr", "%s is also %s", c.Sandbox.Addr, other)
		}
		addrs[c.Sandbox.Addr] = "sandbox.addr"
	}
	if c.Storefront.Enabled {
		check("storefront.addr", checkAddr(c.Storefront.Addr))
		if other, ok := addrs[c.Storefront.Addr]; ok {
			add("storefront.addr", "%s is also %s", c.Storefront.Addr, other)
		}
	}

	if len(c.Merchants) == 0 {
		add("merchants", "at least one merchant is required")
	}
	ids := map[string]int{}
	for i, m := range c.Merchants {
		key := fmt.Sprintf("merchants[%d]", i)
		if j, dup := ids[m.ID]; dup {
			add(key+".id", "%q is also merchants[%d].id", m.ID, j)
		}
		ids[m.ID] = i
		errs = append(errs, m.validate(key)...)
	}
	if c.Storefront.Enabled {
		if i, ok := ids[c.Storefront.Merchant]; !ok {
			add("storefront.merchant", "no merchant with id %q", c.Storefront.Merchant)
		} else if c.Merchants[i].APIKey == "" {
			add("storefront.merchant", "merchant %q needs api_key_env or api_key_file: the storefront calls the API with the plain key", c.Storefront.Merchant)
		}
	}
	return errors.Join(errs...)
}

func (m *Merchant) validate(key string) []error {
	var errs []error
	add := func(k, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", key, k, fmt.Sprintf(format, args...)))
	}
	switch {
	case m.ID == "":
		add("id", "is required")
	case len(m.ID) > maxMerchantIDChars || !merchantIDRE.MatchString(m.ID):
		add("id", "%q: use up to %d letters, digits, '-' or '_'", m.ID, maxMerchantIDChars)
	}
	if strings.TrimSpace(m.Name) == "" {
		add("name", "is required")
	}
	if !sha256HexRE.MatchString(m.APIKeyHash) {
		add("api_key_sha256", "must be 64 hex digits (sha256sum of the key)")
	}

	mokaURL, err := parseBaseURL(m.Moka.BaseURL)
	if err != nil {
		add("moka.base_url", "%v", err)
	}
	if m.Moka.DealerCode == "" {
		add("moka.dealer_code", "is required")
	}
	if m.Moka.Username == "" {
		add("moka.username", "is required")
	}
	if mokaURL != nil && IsLiveMokaHost(mokaURL.Hostname()) {
		if mokaURL.Scheme != "https" {
			add("moka.base_url", "the live Moka host %s must be reached over https", mokaURL.Host)
		}
		for _, demo := range m.demoValues() {
			add(demo, "the published demo value is refused while moka.base_url is the live host %s", mokaURL.Host)
		}
	}

	for i, o := range m.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			add(fmt.Sprintf("allowed_origins[%d]", i), "%v", err)
		}
	}
	for i, o := range m.Moka.ThreeDOrigins {
		if err := checkOrigin(o); err != nil {
			add(fmt.Sprintf("moka.threed_origins[%d]", i), "%v", err)
		}
	}
	for i, p := range m.ReturnURLPrefixes {
		if err := checkReturnURLPrefix(p); err != nil {
			add(fmt.Sprintf("return_url_prefixes[%d]", i), "%v", err)
		}
	}
	seen := map[int]bool{}
	for i, n := range m.Installments {
		k := fmt.Sprintf("installments[%d]", i)
		switch {
		case n < 1 || n > 12:
			add(k, "%d is not between 1 and 12", n)
		case seen[n]:
			add(k, "%d is listed twice", n)
		}
		seen[n] = true
	}
	for _, v := range []struct {
		key string
		n   int
	}{{"card_ip", m.Velocity.CardIP}, {"card", m.Velocity.Card}, {"ip", m.Velocity.IP}, {"merchant", m.Velocity.Merchant}} {
		if v.n < -1 {
			add("velocity."+v.key, "%d: use a count per hour, 0 for the default or -1 for no limit", v.n)
		}
	}
	if m.BrandColor != "" && !brandColorRE.MatchString(m.BrandColor) {
		add("brand_color", "%q is not a #RRGGBB colour", m.BrandColor)
	}
	if m.WebhookURL != "" {
		if _, err := parseBaseURL(m.WebhookURL); err != nil {
			add("webhook_url", "%v", err)
		}
		if m.WebhookSecret == "" {
			add("webhook_secret_env", "a webhook_url needs webhook_secret_env or webhook_secret_file")
		}
	}
	return errs
}

// demoValues lists the keys of m that hold a published demo value.
func (m *Merchant) demoValues() []string {
	var keys []string
	if m.APIKeyHash == HashAPIKey(DemoAPIKey) {
		keys = append(keys, "api_key")
	}
	if m.LinkSecret.Value() == DemoLinkSecret {
		keys = append(keys, "link_secret")
	}
	if m.Moka.DealerCode == DemoDealerCode {
		keys = append(keys, "moka.dealer_code")
	}
	if m.Moka.Username == DemoMokaUsername {
		keys = append(keys, "moka.username")
	}
	if m.Moka.Password.Value() == DemoMokaPassword {
		keys = append(keys, "moka.password")
	}
	if m.WebhookSecret.Value() == DemoWebhookSecret {
		keys = append(keys, "webhook_secret")
	}
	return keys
}

// checkAddr accepts host:port with a real port; port 0 is refused because the public URLs
// are derived from the address before anything listens.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port must be 1-65535", addr)
	}
	return nil
}

func checkBaseURL(s string) error {
	_, err := parseBaseURL(s)
	return err
}

// parseBaseURL accepts an absolute http or https URL without query or fragment.
func parseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("is required")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: no user info, query or fragment allowed", s)
	}
	return u, nil
}

// checkReturnURLPrefix accepts what the checkout can match a return_url against: an
// absolute http(s) URL without user info, query or fragment. The checkout compares scheme
// and host exactly and the path on a "/" boundary, and refuses URLs with backslashes or
// "." and ".." segments, so a prefix holding one would never match anything.
func checkReturnURLPrefix(s string) error {
	u, err := parseBaseURL(s)
	if err != nil {
		return err
	}
	if strings.ContainsRune(s, '\\') {
		return fmt.Errorf("%q: no backslash allowed", s)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("%q: no \".\" or \"..\" path segments allowed", s)
		}
	}
	return nil
}

// checkOrigin accepts scheme://host[:port] only, as browsers send in Origin.
func checkOrigin(s string) error {
	u, err := parseBaseURL(s)
	if err != nil {
		return err
	}
	if u.Path != "" {
		return fmt.Errorf("%q is not an origin (scheme://host[:port], no path)", s)
	}
	return nil
}
