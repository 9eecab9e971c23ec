package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/mokacheckout/checkout/internal/metrics"
	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
)

// Merchant is one merchant as configured: its Moka credentials, the secrets it shares
// with us and what its pages may do with ours.
type Merchant struct {
	ID, Name          string
	APIKeyHash        string // lowercase hex SHA-256 of the API key (HashAPIKey)
	LinkSecret        string
	Moka              moka.Credentials
	MokaBaseURL       string
	AllowedOrigins    []string // embedding origins: frame-ancestors and postMessage targets
	ReturnURLPrefixes []string // return_url / cancel_url must lie under one of these (same scheme and host, path on a "/" boundary)
	Installments      []int    // installment counts offered for TRY; nil = [1]
	// ThreeDOrigins are further origins Moka's 3-D URL (Data.Url) may be on, besides the
	// Moka base URL's: the card form's CSP form-action lists them, and a 3-D URL on any
	// other origin is refused, since the browser would block the redirect there.
	ThreeDOrigins []string
	BrandColor    string
	// Logo is the merchant's logo (PNG, JPEG or SVG bytes), shown on its buyer pages from
	// /logo/{merchant}; nil: the name alone.
	Logo     []byte
	LogoType string // its content type: image/png, image/jpeg or image/svg+xml
	// Velocity limits the card declines counted per hour (velocity.go); zero fields
	// take the defaults.
	Velocity      VelocityLimits
	WebhookURL    string // where the webhook worker (internal/webhook) delivers the merchant's events
	WebhookSecret string // whsec_ secret(s) that sign them; two, space-separated, during a rotation
}

// Options configure a Server. Store and at least one merchant are required.
type Options struct {
	PublicURL     string // "http://127.0.0.1:8080", no trailing slash; RedirectUrl is built from it
	Merchants     []Merchant
	Store         *orders.Store
	Logger        *slog.Logger
	Now           func() time.Time // nil = time.Now
	MaxAttempts   int              // per order; 0 = 5
	DefaultExpiry time.Duration    // order expiry when the request gives none; 0 = 1h
	MokaTimeout   time.Duration    // 0 = 30s
	// BankSessionTimeout is how long a buyer may stay at the bank: until then a repeated
	// card form post joins the attempt already there; after it, reconciliation asks Moka
	// about the attempt. 0 = 15m.
	BankSessionTimeout time.Duration
	// MaxInFlight bounds the requests served at once; past it they are answered 503 with
	// Retry-After. 0 = DefaultMaxInFlight.
	MaxInFlight int
	// Metrics, when set, collects requests, Moka calls and outcomes (internal/metrics).
	Metrics *metrics.Metrics
	// HSTSMaxAge is the Strict-Transport-Security max-age sent when the public URL is
	// https; 0 = DefaultHSTSMaxAge, negative = none.
	HSTSMaxAge time.Duration
	// PasswordCost is the bcrypt cost of the dashboard users' hashes; 0 =
	// DefaultPasswordCost. Unknown emails are checked against a hash of this cost.
	PasswordCost int
	// DashboardKeys sign and encrypt the dashboard's session cookies: the first makes new
	// cookies, the others are still accepted (a rotation). Each should be 32 random bytes
	// or more. None: a random key is made at start, and sessions end with the process.
	DashboardKeys [][]byte
	// TrustProxyHeaders makes the buyer's IP (sent to Moka as ClientIP) come from
	// X-Forwarded-For. Leave it off unless a proxy you run sets that header: a buyer
	// could otherwise choose the IP we report.
	TrustProxyHeaders bool
	// CardHashKey keys the HMAC by which the decline limits know a card; every instance
	// on one database must have the same (CardHashKeyFrom derives it from the CodeForHash
	// key). None: a random key is made at start, which does for one instance alone (its
	// counts then start afresh when it restarts).
	CardHashKey []byte
	// AuthFailures is how many failed API key checks or bad link signatures an IP may
	// have per hour before it is answered 429; 0 = DefaultAuthFailures.
	AuthFailures int
}

// DefaultHSTSMaxAge is how long browsers keep to https for the checkout's host: a year.
const DefaultHSTSMaxAge = 365 * 24 * time.Hour

// DefaultBankSessionTimeout is Options.BankSessionTimeout when none is set: longer than
// banks keep a 3-D session open.
const DefaultBankSessionTimeout = 15 * time.Minute

// payer is the part of the Moka client the buyer flow uses.
type payer interface {
	StartThreeD(ctx context.Context, req moka.ThreeDRequest) (*moka.ThreeDResult, error)
	StartThreeDMarketPlace(ctx context.Context, req moka.ThreeDRequest) (*moka.ThreeDResult, error)
}

// merchant is a configured merchant with what the server derives from its configuration.
type merchant struct {
	Merchant
	keyHash     []byte   // decoded APIKeyHash
	bankOrigins []string // Moka's origin and ThreeDOrigins: CSP form-action, checked 3-D URLs
	logoHash    string   // content hash of Logo, in its URL
	moka        payer
	ops         operator
}

// Server is the checkout's HTTP server. It is an http.Handler.
type Server struct {
	echo      *echo.Echo
	opts      Options
	store     *orders.Store
	log       *slog.Logger
	now       func() time.Time
	istanbul  *time.Location
	merchants map[string]*merchant
	ordered   []*merchant // in configuration order, for API key lookup

	hsts          string // the Strict-Transport-Security header, "" on http
	cspReports    *rate.Limiter
	cspDropped    atomic.Int64
	sessions      *sessions.CookieStore
	secureCookies bool // the public URL is https: Secure cookies with the __Host- prefix
	logins        loginThrottle
	dummyOnce     sync.Once
	dummy         []byte
	crossOrigin   *http.CrossOriginProtection

	slots       chan struct{} // one per request in flight (limitInFlight)
	returnSlots chan struct{} // the bank return's reserve
	shed        atomic.Int64
	access      *accessLogger

	velocity     *velocity     // card declines across orders and instances (velocity.go)
	apiFailures  *authThrottle // wrong API keys per IP
	linkFailures *authThrottle // bad link signatures per IP
}

// New checks opts, registers every merchant with the store and builds the routes.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("checkout: no store")
	}
	if len(opts.Merchants) == 0 {
		return nil, errors.New("checkout: no merchants")
	}
	pub, err := url.Parse(opts.PublicURL)
	if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" ||
		strings.HasSuffix(opts.PublicURL, "/") || (pub.Path != "" && pub.Path != "/") {
		return nil, fmt.Errorf("checkout: public URL %q must be scheme://host[:port] without a trailing slash", opts.PublicURL)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = orders.DefaultMaxAttempts
	}
	if opts.DefaultExpiry <= 0 {
		opts.DefaultExpiry = time.Hour
	}
	if opts.MokaTimeout <= 0 {
		opts.MokaTimeout = 30 * time.Second
	}
	if opts.BankSessionTimeout <= 0 {
		opts.BankSessionTimeout = DefaultBankSessionTimeout
	}
	if opts.PasswordCost <= 0 {
		opts.PasswordCost = DefaultPasswordCost
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	s := &Server{
		opts:      opts,
		store:     opts.Store,
		log:       opts.Logger,
		now:       opts.Now,
		istanbul:  istanbulLocation(),
		merchants: make(map[string]*merchant, len(opts.Merchants)),

		slots:       make(chan struct{}, opts.MaxInFlight),
		returnSlots: make(chan struct{}, max(1, opts.MaxInFlight/2)),
	}
	for _, cfg := range opts.Merchants {
		m, err := s.newMerchant(cfg)
		if err != nil {
			return nil, err
		}
		if _, dup := s.merchants[m.ID]; dup {
			return nil, fmt.Errorf("checkout: merchant %q configured twice", m.ID)
		}
		if err := opts.Store.EnsureMerchant(context.Background(), orders.Merchant{ID: m.ID, Name: m.Name}); err != nil {
			return nil, fmt.Errorf("checkout: %w", err)
		}
		s.merchants[m.ID] = m
		s.ordered = append(s.ordered, m)
	}

	s.cspReports = newCSPReportLimiter()
	s.velocity = newVelocity(opts.CardHashKey, opts.Store)
	s.apiFailures, s.linkFailures = newAuthThrottle(opts.AuthFailures), newAuthThrottle(opts.AuthFailures)
	s.secureCookies = pub.Scheme == "https"
	if s.secureCookies && opts.HSTSMaxAge >= 0 {
		maxAge := opts.HSTSMaxAge
		if maxAge == 0 {
			maxAge = DefaultHSTSMaxAge
		}
		s.hsts = fmt.Sprintf("max-age=%d", int64(maxAge/time.Second))
	}
	keys := opts.DashboardKeys
	if len(keys) == 0 {
		keys = [][]byte{[]byte(randomToken())}
	}
	s.sessions = newSessionStore(keys, s.secureCookies)
	s.crossOrigin = http.NewCrossOriginProtection()

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	if opts.TrustProxyHeaders {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	s.echo = e
	s.access = newAccessLogger(s.log)
	s.routes()
	return s, nil
}

func (s *Server) newMerchant(cfg Merchant) (*merchant, error) {
	if cfg.ID == "" {
		return nil, errors.New("checkout: merchant without id")
	}
	key, err := hex.DecodeString(cfg.APIKeyHash)
	if err != nil || len(key) != sha256.Size {
		return nil, fmt.Errorf("checkout: merchant %q: API key hash must be hex SHA-256", cfg.ID)
	}
	base, err := url.Parse(cfg.MokaBaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("checkout: merchant %q: Moka base URL %q is not an absolute URL", cfg.ID, cfg.MokaBaseURL)
	}
	for _, o := range cfg.AllowedOrigins {
		if !isOrigin(o) {
			return nil, fmt.Errorf("checkout: merchant %q: allowed origin %q is not scheme://host[:port]", cfg.ID, o)
		}
	}
	for _, o := range cfg.ThreeDOrigins {
		if !isOrigin(o) {
			return nil, fmt.Errorf("checkout: merchant %q: 3-D origin %q is not scheme://host[:port]", cfg.ID, o)
		}
	}
	client := newMokaClient(cfg, s.opts.MokaTimeout, s.opts.Metrics)
	return &merchant{
		Merchant:    cfg,
		keyHash:     key,
		bankOrigins: bankOrigins(cfg),
		logoHash:    logoHashOf(cfg.Logo),
		moka:        newTablePayer(client, s.now), // the 3-D calls, and the installment tables cached
		ops:         client,
	}, nil
}

// bankOrigins are the origins the card form may send the buyer to (CSP form-action) and
// Moka's 3-D URL must be on: the Moka base URL's and the ThreeDOrigins, written the way
// originOf writes the 3-D URL's, so the check agrees with the browser's.
func bankOrigins(cfg Merchant) []string {
	var out []string
	for _, raw := range append([]string{cfg.MokaBaseURL}, cfg.ThreeDOrigins...) {
		if o := originOf(raw); !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// ServeHTTP serves the checkout.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.echo.ServeHTTP(w, r)
}

// HashAPIKey returns the lowercase hex SHA-256 of an API key, the form in which merchant
// keys are configured and compared.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// isOrigin reports whether o is exactly scheme://host[:port], the form browsers send.
func isOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.User == nil && u.Fragment == "" &&
		o == u.Scheme+"://"+u.Host
}

// istanbulLocation is where card expiry is judged. Turkey has kept UTC+3 all year since
// 2016, so a fixed zone is right when the system has no time zone database.
func istanbulLocation() *time.Location {
	if loc, err := time.LoadLocation("Europe/Istanbul"); err == nil {
		return loc
	}
	return time.FixedZone("TRT", 3*60*60)
}

func (s *Server) merchant(id string) *merchant { return s.merchants[id] }
