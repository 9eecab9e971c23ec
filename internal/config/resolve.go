package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Environment variables that override the file. Secrets have their own variables, named
// per merchant in the file (api_key_env, link_secret_env, password_env, webhook_secret_env).
const (
	EnvConfig             = "CHECKOUT_CONFIG"
	EnvAddr               = "CHECKOUT_ADDR"
	EnvPublicURL          = "CHECKOUT_PUBLIC_URL"
	EnvDB                 = "CHECKOUT_DB"
	EnvMaxAttempts        = "CHECKOUT_MAX_ATTEMPTS"
	EnvDefaultOrderExpiry = "CHECKOUT_DEFAULT_ORDER_EXPIRY"
	EnvMokaTimeout        = "CHECKOUT_MOKA_TIMEOUT"
	EnvBankSessionTimeout = "CHECKOUT_BANK_SESSION_TIMEOUT"
	EnvReconcileInterval  = "CHECKOUT_RECONCILE_INTERVAL"
	EnvLogLevel           = "CHECKOUT_LOG_LEVEL"
	EnvTrustProxyHeaders  = "CHECKOUT_TRUST_PROXY_HEADERS"
	EnvMaxInFlight        = "CHECKOUT_MAX_IN_FLIGHT"
	EnvSandboxEnabled     = "CHECKOUT_SANDBOX_ENABLED"
	EnvSandboxAddr        = "CHECKOUT_SANDBOX_ADDR"
	EnvSandboxPublicURL   = "CHECKOUT_SANDBOX_PUBLIC_URL"
	EnvStorefrontEnabled  = "CHECKOUT_STOREFRONT_ENABLED"
	EnvStorefrontAddr     = "CHECKOUT_STOREFRONT_ADDR"
	EnvMetricsAddr        = "CHECKOUT_METRICS_ADDR"
	EnvStorefrontMerchant = "CHECKOUT_STOREFRONT_MERCHANT"
	EnvStoreDriver        = "CHECKOUT_STORE_DRIVER"
	// EnvStoreDSN holds the DSN itself, password included: it is read as a secret.
	EnvStoreDSN = "CHECKOUT_STORE_DSN"
)

// resolve turns the parsed file into a Config: environment overrides, defaults, secrets.
func resolve(f *file, getenv func(string) string, readFile func(string) ([]byte, error)) (*Config, error) {
	s := f.Server
	c := &Config{
		Addr:                   s.Addr,
		PublicURL:              s.PublicURL,
		DB:                     s.DB,
		MaxAttempts:            s.MaxAttempts,
		TrustProxyHeaders:      s.TrustProxyHeaders,
		WebhookPrivateNetworks: s.WebhookPrivate,
		MaxInFlight:            s.MaxInFlight,
		Sandbox:                Sandbox{Enabled: f.Sandbox.Enabled, Addr: f.Sandbox.Addr, PublicURL: f.Sandbox.PublicURL},
		MetricsAddr:            f.Metrics.Addr,
		Storefront: Storefront{
			Enabled: f.Storefront.Enabled, Addr: f.Storefront.Addr, Merchant: f.Storefront.Merchant,
		},
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	c.DefaultOrderExpiry = DefaultOrderExpiry
	if s.DefaultOrderExpiry.set {
		c.DefaultOrderExpiry = s.DefaultOrderExpiry.d
	}
	c.MokaTimeout = DefaultMokaTimeout
	if s.MokaTimeout.set {
		c.MokaTimeout = s.MokaTimeout.d
	}
	c.BankSessionTimeout = DefaultBankSessionTimeout
	if s.BankSessionTimeout.set {
		c.BankSessionTimeout = s.BankSessionTimeout.d
	}
	if s.HSTSMaxAge.set {
		c.HSTSMaxAge = s.HSTSMaxAge.d
		if c.HSTSMaxAge == 0 {
			c.HSTSMaxAge = -1 // "0s": no header
		}
	}
	c.ReconcileInterval = DefaultReconcileInterval
	if s.ReconcileInterval.set {
		c.ReconcileInterval = s.ReconcileInterval.d
	}
	logLevel := s.LogLevel
	if v := getenv(EnvLogLevel); v != "" {
		logLevel = v
	}
	if logLevel == "" {
		logLevel = defaultLogLevel
	}
	var err error
	if err = c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return nil, fmt.Errorf("server.log_level: %q is not one of debug, info, warn, error", logLevel)
	}
	if err := applyEnv(c, getenv); err != nil {
		return nil, err
	}
	applyStringEnv(c, getenv)
	fillDefaults(c)

	secrets := secretSource{getenv: getenv, readFile: readFile}
	if c.CodeForHashKey, err = readCodeForHashKey(secrets, s); err != nil {
		return nil, err
	}
	if c.Store, err = resolveStore(f.Store, getenv, secrets); err != nil {
		return nil, err
	}
	keys, err := secrets.read("dashboard.session_keys", f.Dashboard.SessionKeysEnv, f.Dashboard.SessionKeysFile, false)
	if err != nil {
		return nil, err
	}
	for i, k := range strings.FieldsFunc(keys.Value(), func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if len(k) < MinSessionKeyLen {
			return nil, fmt.Errorf("dashboard.session_keys: key %d is shorter than %d bytes", i+1, MinSessionKeyLen)
		}
		c.Dashboard.SessionKeys = append(c.Dashboard.SessionKeys, Secret(k))
	}
	for i, fm := range f.Merchants {
		m, err := resolveMerchant(fmt.Sprintf("merchants[%d]", i), fm, secrets)
		if err != nil {
			return nil, err
		}
		c.Merchants = append(c.Merchants, m)
	}
	if c.Storefront.Merchant == "" && len(c.Merchants) > 0 {
		c.Storefront.Merchant = c.Merchants[0].ID
	}
	return c, nil
}

// readCodeForHashKey reads server.code_for_hash_key: 32 bytes written as 64 hex digits
// (openssl rand -hex 32) or in standard base64 (openssl rand -base64 32). It returns the
// raw bytes, or "" when the key is not configured.
func readCodeForHashKey(secrets secretSource, s fileServer) (Secret, error) {
	const key = "server.code_for_hash_key"
	text, err := secrets.read(key, s.CodeForHashKeyEnv, s.CodeForHashKeyFile, false)
	if err != nil || text == "" {
		return "", err
	}
	v := text.Value()
	raw, err := hex.DecodeString(v)
	if err != nil || len(v) != 2*CodeForHashKeySize {
		raw, err = base64.StdEncoding.DecodeString(v)
	}
	if err != nil || len(raw) != CodeForHashKeySize {
		// Never the value itself, not even its length.
		return "", fmt.Errorf("%s: want %d bytes written as %d hex digits or in base64 (openssl rand -hex %d)",
			key, CodeForHashKeySize, 2*CodeForHashKeySize, CodeForHashKeySize)
	}
	return Secret(raw), nil
}

// resolveStore reads the store section: the driver (default sqlite) and the DSN, from
// CHECKOUT_STORE_DSN, else store.dsn (without a password), store.dsn_env or store.dsn_file.
// Whether the driver is known and has what it needs is for Validate.
func resolveStore(fs fileStore, getenv func(string) string, secrets secretSource) (Store, error) {
	st := Store{Driver: fs.Driver}
	if v := getenv(EnvStoreDriver); v != "" {
		st.Driver = v
	}
	if st.Driver == "" {
		st.Driver = DriverSQLite
	}
	if fs.DSN != "" {
		if fs.DSNEnv != "" || fs.DSNFile != "" {
			return st, errors.New("store.dsn, store.dsn_env and store.dsn_file: set only one")
		}
		if dsnHasSecret(fs.DSN) {
			// Never the DSN itself: it holds the password.
			return st, errors.New("store.dsn: holds a password, and secrets are never inline: move the DSN to store.dsn_env or store.dsn_file")
		}
	}
	if v := getenv(EnvStoreDSN); v != "" {
		st.DSN = Secret(v)
		return st, nil
	}
	if fs.DSN != "" {
		st.DSN = Secret(fs.DSN)
		return st, nil
	}
	dsn, err := secrets.read("store.dsn", fs.DSNEnv, fs.DSNFile, false)
	st.DSN = dsn
	return st, err
}

func resolveMerchant(key string, fm fileMerchant, secrets secretSource) (Merchant, error) {
	m := Merchant{
		ID:                fm.ID,
		Name:              fm.Name,
		AllowedOrigins:    trimSlashes(fm.AllowedOrigins),
		ReturnURLPrefixes: fm.ReturnURLPrefixes,
		Installments:      fm.Installments,
		BrandColor:        fm.BrandColor,
		Velocity:          fm.Velocity,
		WebhookURL:        fm.WebhookURL,
		Moka: Moka{
			BaseURL:       trimURL(fm.Moka.BaseURL),
			DealerCode:    fm.Moka.DealerCode,
			Username:      fm.Moka.Username,
			ThreeDOrigins: trimSlashes(fm.Moka.ThreeDOrigins),
		},
	}
	var err error
	if fm.APIKeySHA256 != "" {
		if fm.APIKeyEnv != "" || fm.APIKeyFile != "" {
			return m, fmt.Errorf("%s: set only one of api_key_sha256, api_key_env, api_key_file", key)
		}
		m.APIKeyHash = strings.ToLower(fm.APIKeySHA256)
	} else {
		if m.APIKey, err = secrets.read(key+".api_key", fm.APIKeyEnv, fm.APIKeyFile, false); err != nil {
			return m, err
		}
		if m.APIKey == "" {
			return m, fmt.Errorf("%s: one of api_key_sha256, api_key_env, api_key_file is required", key)
		}
		m.APIKeyHash = HashAPIKey(m.APIKey.Value())
	}
	if m.LinkSecret, err = secrets.read(key+".link_secret", fm.LinkSecretEnv, fm.LinkSecretFile, true); err != nil {
		return m, err
	}
	if m.Moka.Password, err = secrets.read(key+".moka.password", fm.Moka.PasswordEnv, fm.Moka.PasswordFile, true); err != nil {
		return m, err
	}
	if m.WebhookSecret, err = secrets.read(key+".webhook_secret", fm.WebhookSecretEnv, fm.WebhookSecretFile, false); err != nil {
		return m, err
	}
	if fm.LogoFile != "" {
		b, err := secrets.readFile(fm.LogoFile)
		switch {
		case err != nil:
			return m, fmt.Errorf("%s.logo_file: %w", key, err)
		case len(b) > MaxLogoBytes:
			return m, fmt.Errorf("%s.logo_file: %s is larger than %d bytes", key, fm.LogoFile, MaxLogoBytes)
		case LogoType(b) == "":
			return m, fmt.Errorf("%s.logo_file: %s is not a PNG, JPEG or SVG image", key, fm.LogoFile)
		}
		m.Logo = b
	}
	return m, nil
}

// applyEnv applies the overrides that need parsing.
func applyEnv(c *Config, getenv func(string) string) error {
	for _, n := range []struct {
		env, key string
		dst      *int
	}{
		{EnvMaxAttempts, "server.max_attempts", &c.MaxAttempts},
		{EnvMaxInFlight, "server.max_in_flight", &c.MaxInFlight},
	} {
		if v := getenv(n.env); v != "" {
			p, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s: %s=%q is not a whole number", n.key, n.env, v)
			}
			*n.dst = p
		}
	}
	for _, d := range []struct {
		env, key string
		dst      *time.Duration
	}{
		{EnvDefaultOrderExpiry, "server.default_order_expiry", &c.DefaultOrderExpiry},
		{EnvMokaTimeout, "server.moka_timeout", &c.MokaTimeout},
		{EnvBankSessionTimeout, "server.bank_session_timeout", &c.BankSessionTimeout},
		{EnvReconcileInterval, "server.reconcile_interval", &c.ReconcileInterval},
	} {
		if v := getenv(d.env); v != "" {
			p, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: %s=%q is not a duration such as \"30s\" or \"1h\"", d.key, d.env, v)
			}
			*d.dst = p
		}
	}
	for _, b := range []struct {
		env, key string
		dst      *bool
	}{
		{EnvTrustProxyHeaders, "server.trust_proxy_headers", &c.TrustProxyHeaders},
		{EnvSandboxEnabled, "sandbox.enabled", &c.Sandbox.Enabled},
		{EnvStorefrontEnabled, "storefront.enabled", &c.Storefront.Enabled},
	} {
		if v := getenv(b.env); v != "" {
			p, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s: %s=%q is not true or false", b.key, b.env, v)
			}
			*b.dst = p
		}
	}
	return nil
}

// applyStringEnv applies the overrides that are plain strings; demo mode uses it too.
func applyStringEnv(c *Config, getenv func(string) string) {
	for _, s := range []struct {
		env string
		dst *string
	}{
		{EnvAddr, &c.Addr},
		{EnvPublicURL, &c.PublicURL},
		{EnvDB, &c.DB},
		{EnvSandboxAddr, &c.Sandbox.Addr},
		{EnvSandboxPublicURL, &c.Sandbox.PublicURL},
		{EnvStorefrontAddr, &c.Storefront.Addr},
		{EnvStorefrontMerchant, &c.Storefront.Merchant},
		{EnvMetricsAddr, &c.MetricsAddr},
	} {
		if v := getenv(s.env); v != "" {
			*s.dst = v
		}
	}
}

// fillDefaults sets addresses, the database path, and public URLs derived from addresses.
func fillDefaults(c *Config) {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.DB == "" {
		c.DB = DefaultDB
	}
	if c.Sandbox.Addr == "" {
		c.Sandbox.Addr = DefaultSandboxAddr
	}
	if c.Storefront.Addr == "" {
		c.Storefront.Addr = DefaultStorefrontAddr
	}
	if c.PublicURL == "" {
		c.PublicURL = URLForAddr(c.Addr)
	}
	if c.Sandbox.PublicURL == "" {
		c.Sandbox.PublicURL = URLForAddr(c.Sandbox.Addr)
	}
	c.PublicURL = trimURL(c.PublicURL)
	c.Sandbox.PublicURL = trimURL(c.Sandbox.PublicURL)
}

// URLForAddr is the http URL a browser on this machine reaches a listen address at. A
// wildcard host (":8080", "0.0.0.0:8080", "[::]:8080") becomes 127.0.0.1, since a browser
// cannot open 0.0.0.0.
func URLForAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func trimSlashes(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = trimURL(s)
	}
	return out
}

// trimURL drops trailing slashes so paths can be appended, but leaves a URL with no host
// ("https://") as written so the validation error shows what the user wrote.
func trimURL(s string) string {
	t := strings.TrimRight(s, "/")
	if strings.HasSuffix(t, ":") {
		return s
	}
	return t
}
