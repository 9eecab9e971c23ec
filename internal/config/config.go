// Package config loads the checkout's configuration: a strictly parsed YAML file, then
// environment overrides, then validation. Secrets are read from environment variables or
// files named in the YAML, never from the YAML itself, and are never printed.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults used when neither the file nor the environment sets a value.
const (
	DefaultAddr           = "127.0.0.1:8080"
	DefaultSandboxAddr    = "127.0.0.1:8081"
	DefaultStorefrontAddr = "127.0.0.1:8082"
	// DefaultDemoMetricsAddr serves /metrics in demo mode; elsewhere metrics are off
	// unless metrics.addr is set.
	DefaultDemoMetricsAddr = "127.0.0.1:8083"
	DefaultDB              = "./data/checkout.db"
	DefaultMaxAttempts     = 5
	DefaultOrderExpiry     = time.Hour
	DefaultMokaTimeout     = 30 * time.Second
	// DefaultBankSessionTimeout outlasts the 3-D sessions banks keep open; until it has
	// passed, an attempt at the bank is the buyer's to finish.
	DefaultBankSessionTimeout = 15 * time.Minute
	DefaultReconcileInterval  = time.Minute
	defaultLogLevel           = "info"
)

// Config is the resolved configuration: defaults applied, secrets read, everything validated.
type Config struct {
	Addr               string // listen address of the checkout, host:port
	PublicURL          string // URL buyers and Moka reach the checkout at, no trailing slash
	DB                 string // SQLite file path (store.driver sqlite)
	Store              Store
	MaxAttempts        int
	DefaultOrderExpiry time.Duration
	MokaTimeout        time.Duration
	// BankSessionTimeout is how long after its start an attempt without a bank return is
	// left alone; then reconciliation asks Moka about it.
	BankSessionTimeout time.Duration
	// ReconcileInterval is how often reconciliation runs; 0 turns it off.
	ReconcileInterval time.Duration
	LogLevel          slog.Level
	// TrustProxyHeaders takes the buyer's IP, which Moka receives as ClientIP, from
	// X-Forwarded-For. Only behind a proxy that sets that header: otherwise the buyer
	// could choose the IP we report.
	TrustProxyHeaders bool
	// WebhookPrivateNetworks turns the webhook address guard off as in demo mode: URLs may
	// be http and reach any address (loopback, private, link-local): for receivers on the
	// operator's own network. Only the operator's config sets webhook URLs.
	WebhookPrivateNetworks bool
	// MaxInFlight bounds the requests the checkout serves at once; past it they are
	// answered 503 with Retry-After. 0 = the checkout's default (256).
	MaxInFlight int

	// HSTSMaxAge is the Strict-Transport-Security max-age on an https public URL; 0 is
	// the checkout's default (a year), negative sends none.
	HSTSMaxAge time.Duration
	// CodeForHashKey is the AES-256 key (CodeForHashKeySize raw bytes) that seals Moka's
	// CodeForHash in the database. Empty: the checkout keeps a random key in a file
	// beside the database (<db>.key).
	CodeForHashKey Secret
	// MetricsAddr is where /metrics is served (Prometheus), host:port; "" turns it off.
	// It is a listen address of its own: metrics never share the public one.
	MetricsAddr string

	Sandbox    Sandbox
	Storefront Storefront
	Dashboard  Dashboard
	Merchants  []Merchant
}

// Store drivers: where orders are kept.
const (
	// DriverSQLite keeps orders in the SQLite file at Config.DB: one machine, nothing to
	// install. The default.
	DriverSQLite = "sqlite"
	// DriverPostgres keeps orders in the PostgreSQL database named by Store.DSN, which
	// several checkout instances can share.
	DriverPostgres = "postgres"
)

// Store says where orders are kept.
type Store struct {
	// Driver is DriverSQLite or DriverPostgres.
	Driver string
	// DSN names the PostgreSQL database (a libpq URL or key=value string) with driver
	// postgres. It may hold the password, so it is a Secret; DSNWithoutSecrets shows it.
	DSN Secret
}

// Dashboard configures the merchant dashboard.
type Dashboard struct {
	// DemoUser, in demo mode only, is created at start for the demo merchant with
	// DemoUserPassword.
	DemoUser string
	// SessionKeys sign and encrypt session cookies: the first makes new cookies, the rest
	// are still accepted during a rotation. None: the checkout makes a random key at start
	// (sessions then end on restart and are not shared between instances).
	SessionKeys []Secret
}

// MinSessionKeyLen is the shortest dashboard session key accepted, in bytes.
const MinSessionKeyLen = 32

// CodeForHashKeySize is the length of server.code_for_hash_key once decoded, in bytes.
const CodeForHashKeySize = 32

// Sandbox is the in-process Moka sandbox, served on its own origin like the real bank.
type Sandbox struct {
	Enabled   bool
	Addr      string
	PublicURL string // no trailing slash
}

// Storefront is the example merchant shop, served on a third origin.
type Storefront struct {
	Enabled  bool
	Addr     string
	Merchant string // id of the merchant the shop sells for; its API key must come from env or file
}

// Merchant is one merchant with its secrets resolved. cmd/checkout converts it to
// checkout.Merchant; this package does not import checkout so dependencies point inward.
type Merchant struct {
	ID, Name string
	// APIKeyHash is the lowercase hex SHA-256 of the API key, the same as checkout.HashAPIKey.
	APIKeyHash string
	// APIKey is the plaintext key when it came from env or a file; empty when only
	// api_key_sha256 was configured. Only the example storefront needs it.
	APIKey            Secret
	LinkSecret        Secret
	Moka              Moka
	AllowedOrigins    []string // origins without trailing slash
	ReturnURLPrefixes []string
	Installments      []int // nil means single payment only
	BrandColor        string
	// Logo is the merchant's logo image (PNG, JPEG or SVG, at most MaxLogoBytes), read
	// from logo_file at start; the card page shows it from our own origin.
	Logo []byte
	// Velocity are the card form's decline limits per hour; 0 = the checkout's default,
	// -1 = off.
	Velocity      Velocity
	WebhookURL    string
	WebhookSecret Secret
}

// Velocity limits the declined cards counted per hour at one merchant (key velocity).
type Velocity struct {
	CardIP   int `yaml:"card_ip"`  // one card from one IP
	Card     int `yaml:"card"`     // one card from any IP
	IP       int `yaml:"ip"`       // any card from one IP
	Merchant int `yaml:"merchant"` // any card at the merchant
}

// Moka is where and as whom a merchant talks to Moka.
type Moka struct {
	BaseURL    string // no trailing slash
	DealerCode string
	Username   string
	Password   Secret
	// ThreeDOrigins are further origins Moka's 3-D URL may be on, besides base_url's.
	ThreeDOrigins []string
}

// Load reads the YAML file at path through readFile, applies environment overrides read
// through getenv, reads secrets, and validates. Errors name the offending key path.
func Load(path string, getenv func(string) string, readFile func(string) ([]byte, error)) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c, err := resolve(f, getenv, readFile)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// parse decodes the YAML strictly: an unknown key or a value of the wrong type is an error.
func parse(data []byte) (*file, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("file is empty")
		}
		return nil, cleanYAMLError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document; the config is a single document")
	}
	return &f, nil
}

var (
	unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)
	inlineSecretRE = regexp.MustCompile(`unknown key "(password|api_key|link_secret|webhook_secret)"`)
)

// cleanYAMLError rewrites yaml.v3's messages so they speak of keys, not Go types, and
// points at the _env/_file forms when someone tries to put a secret inline.
func cleanYAMLError(err error) error {
	msg := err.Error()
	msg = unknownFieldRE.ReplaceAllString(msg, `unknown key "$1"`)
	msg = inlineSecretRE.ReplaceAllString(msg, `unknown key "$1" (secrets are never inline: use ${1}_env or ${1}_file)`)
	return errors.New(msg)
}

// file mirrors the YAML document; configs/checkout.example.yaml documents every key.
type file struct {
	Server     fileServer     `yaml:"server"`
	Store      fileStore      `yaml:"store"`
	Sandbox    fileSandbox    `yaml:"sandbox"`
	Storefront fileStorefront `yaml:"storefront"`
	Dashboard  fileDashboard  `yaml:"dashboard"`
	Metrics    fileMetrics    `yaml:"metrics"`
	Merchants  []fileMerchant `yaml:"merchants"`
}

type fileStore struct {
	Driver string `yaml:"driver"`
	// DSN may be written in the file only without a password; DSNEnv / DSNFile hold a
	// DSN with one.
	DSN     string `yaml:"dsn"`
	DSNEnv  string `yaml:"dsn_env"`
	DSNFile string `yaml:"dsn_file"`
}

type fileMetrics struct {
	Addr string `yaml:"addr"`
}

type fileDashboard struct {
	// SessionKeysEnv / SessionKeysFile hold one or more keys separated by spaces, commas
	// or newlines.
	SessionKeysEnv  string `yaml:"session_keys_env"`
	SessionKeysFile string `yaml:"session_keys_file"`
}

type fileServer struct {
	Addr               string   `yaml:"addr"`
	PublicURL          string   `yaml:"public_url"`
	DB                 string   `yaml:"db"`
	MaxAttempts        int      `yaml:"max_attempts"`
	DefaultOrderExpiry duration `yaml:"default_order_expiry"`
	MokaTimeout        duration `yaml:"moka_timeout"`
	BankSessionTimeout duration `yaml:"bank_session_timeout"`
	ReconcileInterval  duration `yaml:"reconcile_interval"`
	LogLevel           string   `yaml:"log_level"`
	TrustProxyHeaders  bool     `yaml:"trust_proxy_headers"`
	WebhookPrivate     bool     `yaml:"webhook_private_networks"`
	MaxInFlight        int      `yaml:"max_in_flight"`
	HSTSMaxAge         duration `yaml:"hsts_max_age"`
	CodeForHashKeyEnv  string   `yaml:"code_for_hash_key_env"`
	CodeForHashKeyFile string   `yaml:"code_for_hash_key_file"`
}

type fileSandbox struct {
	Enabled   bool   `yaml:"enabled"`
	Addr      string `yaml:"addr"`
	PublicURL string `yaml:"public_url"`
}

type fileStorefront struct {
	Enabled  bool   `yaml:"enabled"`
	Addr     string `yaml:"addr"`
	Merchant string `yaml:"merchant"`
}

type fileMerchant struct {
	ID                string   `yaml:"id"`
	Name              string   `yaml:"name"`
	APIKeySHA256      string   `yaml:"api_key_sha256"`
	APIKeyEnv         string   `yaml:"api_key_env"`
	APIKeyFile        string   `yaml:"api_key_file"`
	LinkSecretEnv     string   `yaml:"link_secret_env"`
	LinkSecretFile    string   `yaml:"link_secret_file"`
	Moka              fileMoka `yaml:"moka"`
	AllowedOrigins    []string `yaml:"allowed_origins"`
	ReturnURLPrefixes []string `yaml:"return_url_prefixes"`
	Installments      []int    `yaml:"installments"`
	BrandColor        string   `yaml:"brand_color"`
	LogoFile          string   `yaml:"logo_file"`
	Velocity          Velocity `yaml:"velocity"`
	WebhookURL        string   `yaml:"webhook_url"`
	WebhookSecretEnv  string   `yaml:"webhook_secret_env"`
	WebhookSecretFile string   `yaml:"webhook_secret_file"`
}

type fileMoka struct {
	BaseURL       string   `yaml:"base_url"`
	DealerCode    string   `yaml:"dealer_code"`
	Username      string   `yaml:"username"`
	PasswordEnv   string   `yaml:"password_env"`
	PasswordFile  string   `yaml:"password_file"`
	ThreeDOrigins []string `yaml:"threed_origins"`
}

// duration is a Go duration string in YAML ("30m"). yaml.v3 would also take a bare integer
// as nanoseconds, which turns "moka_timeout: 30" into 30ns; we refuse that instead.
type duration struct {
	d   time.Duration
	set bool
}

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return fmt.Errorf("line %d: want a duration such as \"30s\" or \"1h\"", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as \"30s\" or \"1h\"", n.Line, n.Value)
	}
	d.d, d.set = v, true
	return nil
}

// MaxLogoBytes bounds a merchant's logo: it is sent with every card page.
const MaxLogoBytes = 100 << 10

// LogoType is the content type of a logo image by its first bytes, or "" when it is not
// a PNG, JPEG or SVG.
func LogoType(b []byte) string {
	switch ct := http.DetectContentType(b); {
	case ct == "image/png", ct == "image/jpeg":
		return ct
	case bytes.Contains(bytes.ToLower(b[:min(len(b), 512)]), []byte("<svg")):
		return "image/svg+xml"
	}
	return ""
}
