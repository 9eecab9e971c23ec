package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/metrics"
	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/reconcile"
	"github.com/mokacheckout/checkout/internal/redact"
	"github.com/mokacheckout/checkout/internal/storefront"
	"github.com/mokacheckout/checkout/internal/webhook"
)

// shutdownTimeout bounds how long in-flight requests may finish after SIGINT/SIGTERM. The
// checkout waits longer when a card post's Moka call may take longer: the attempt must be
// recorded before the store closes.
const shutdownTimeout = 10 * time.Second

// start opens the store and serves the checkout, plus the sandbox and the storefront when
// cfg enables them, until ctx ends. ready runs once every port is listening.
func start(ctx context.Context, cfg *config.Config, stdout, stderr io.Writer, ready func()) error {
	log := newLogger(stderr, cfg.LogLevel)
	// With the sandbox in this process (demo mode), the checkout keeps the sandbox's time:
	// moving the sandbox's clock (/_sandbox/clock) moves both, so a refund "tomorrow" or a
	// void after 22:00 can be tried at once, and the two never disagree about the day.
	clock := time.Now
	var bank *sandbox.Server
	if cfg.Sandbox.Enabled {
		bank = sandbox.New(sandbox.DemoConfig(cfg.Sandbox.PublicURL))
		clock = bank.Now
	}
	var met *metrics.Metrics // nil: metrics off
	var storeOpts orders.Options
	if cfg.MetricsAddr != "" {
		met = metrics.New()
		storeOpts.OnCommit = met.ObserveCommit
	}
	// The key that seals Moka's CodeForHash in the database (see docs/decisions.md).
	sealKey, err := codeForHashKey(cfg)
	if err != nil {
		return err
	}
	storeOpts.SealKey = sealKey
	// SQLite's open creates the database's directory (./data in demo mode) when it is missing.
	store, err := openStore(ctx, cfg, clock, storeOpts)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("close database", "err", err)
		}
	}()

	opts := checkoutOptions(cfg, store, log)
	opts.Now, opts.Metrics = clock, met
	// The decline limits know a card by an HMAC under a key derived from the same key, so
	// that every instance on the database counts a card under the same name.
	if opts.CardHashKey, err = checkout.CardHashKeyFrom(sealKey); err != nil {
		return err
	}
	srv, err := checkout.New(opts)
	if err != nil {
		return err
	}
	storeGauges(met, store, srv, clock, webhookMerchants(cfg))
	if cfg.Store.Driver == config.DriverPostgres && len(cfg.Dashboard.SessionKeys) == 0 {
		log.Warn("dashboard sessions are signed with a random key of this instance: behind a load balancer a login works only on the instance that made it; give every instance the same dashboard.session_keys_env or _file")
	}
	if cfg.Dashboard.DemoUser != "" {
		if err := ensureDemoUser(ctx, store, cfg); err != nil {
			return err
		}
	} else if err := store.DisableUser(ctx, config.DemoUserEmail); err == nil {
		// A database that served the demo keeps its published login; outside demo mode it
		// must not open the dashboard.
		log.Warn("the demo dashboard login is disabled outside demo mode", "email", config.DemoUserEmail)
	} else if !errors.Is(err, orders.ErrNotFound) {
		return err
	}
	// After the servers have stopped: the access log lines still queued are written.
	defer srv.Close()
	services := []service{{name: "checkout", addr: cfg.Addr, url: cfg.PublicURL, handler: srv}}
	if met != nil {
		services = append(services, service{name: "metrics", addr: cfg.MetricsAddr,
			url: "http://" + cfg.MetricsAddr + "/metrics", handler: metricsMux(met)})
	}
	if cfg.Sandbox.Enabled {
		services = append(services, service{
			name: "sandbox", addr: cfg.Sandbox.Addr, url: cfg.Sandbox.PublicURL,
			handler: bank,
		})
	}
	if cfg.Storefront.Enabled {
		m, _ := cfg.Merchant(cfg.Storefront.Merchant) // Validate made sure it exists
		services = append(services, service{
			name: "storefront", addr: cfg.Storefront.Addr, url: cfg.StorefrontURL(),
			handler: storefront.New(storefront.Config{
				CheckoutURL: cfg.PublicURL,
				PublicURL:   cfg.StorefrontURL(),
				MerchantID:  m.ID,
				LinkSecret:  m.LinkSecret.Value(),
				APIKey:      m.APIKey.Value(),
				// The storefront verifies the webhooks sent to the merchant's webhook_url
				// (its own /webhooks in demo mode) with the merchant's secret.
				WebhookSecret: m.WebhookSecret.Value(),
			}),
		})
	}
	// Webhook deliveries run beside the servers too. With the sandbox in process (demo
	// mode) a webhook_url may be http and on loopback, like the storefront's.
	endpoints := map[string]webhook.Endpoint{}
	for _, m := range cfg.Merchants {
		if m.WebhookURL == "" {
			continue
		}
		if endpoints[m.ID], err = webhook.NewEndpoint(m.WebhookURL, m.WebhookSecret.Value()); err != nil {
			return fmt.Errorf("merchants %s: webhook_secret: %w", m.ID, err)
		}
	}
	hooks, err := webhook.New(webhook.Options{Store: store, Endpoints: endpoints, AllowInsecure: cfg.Sandbox.Enabled || cfg.WebhookPrivateNetworks,
		Now: clock, OrderView: srv.OrderView, Observe: met.ObserveWebhook, Log: log.With("component", "webhook")})
	if err != nil {
		return err
	}
	// Reconciliation runs beside the servers and stops before the store closes.
	recCtx, stopRec := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { hooks.Run(recCtx) })
	if cfg.ReconcileInterval > 0 {
		rec := reconciler(cfg, store, log, met)
		rec.Now = clock
		if met != nil {
			rec.Observe = func(rep reconcile.Report, err error) {
				met.ObserveReconcile(err, map[string]int{"expired": rep.Expired, "paid": rep.Paid,
					"abandoned": rep.Abandoned, "actions": rep.Actions, "flagged": rep.Flagged, "left": rep.Left})
			}
		}
		wg.Go(func() { rec.Run(recCtx, cfg.ReconcileInterval) })
	}
	err = serveAll(ctx, log, services, max(shutdownTimeout, cfg.MokaTimeout+5*time.Second), ready)
	stopRec()
	wg.Wait()
	return err
}

// codeForHashKey is server.code_for_hash_key, or else the random key kept beside the
// database in <db>.key (made on the first start, 0600), so that a restart still opens
// the attempts sealed before it. A malformed key file stops the start.
func codeForHashKey(cfg *config.Config) ([]byte, error) {
	if k := cfg.CodeForHashKey.Value(); k != "" {
		return []byte(k), nil
	}
	if cfg.Store.Driver == config.DriverPostgres {
		// Validate refuses this already: a key file per instance would split the keys.
		return nil, errors.New("server.code_for_hash_key_env or server.code_for_hash_key_file is required with store.driver postgres")
	}
	return orders.LoadOrCreateKeyFile(cfg.DB + ".key")
}

// reconciler asks each merchant's Moka about payments whose bank return never came.
func reconciler(cfg *config.Config, store *orders.Store, log *slog.Logger, met *metrics.Metrics) *reconcile.Reconciler {
	clients := make(map[string]reconcile.Detailer, len(cfg.Merchants))
	for _, m := range cfg.Merchants {
		clients[m.ID] = moka.New(m.Moka.BaseURL, mokaCredentials(m), moka.WithTimeout(cfg.MokaTimeout), moka.WithObserver(met.ObserveMoka))
	}
	return &reconcile.Reconciler{
		Store: store,
		Moka:  func(id string) reconcile.Detailer { return clients[id] },
		After: cfg.BankSessionTimeout,
		// An attempt that never got its bank URL is over once its Moka call is.
		UnsentAfter: cfg.MokaTimeout + time.Minute,
		// An action's Moka call may run for the whole Moka timeout: only after it can
		// Moka's records say whether the action happened.
		ActionAfter: cfg.MokaTimeout + time.Minute,
		Now:         time.Now,
		Log:         log.With("component", "reconcile"),
	}
}

func mokaCredentials(m config.Merchant) moka.Credentials {
	return moka.Credentials{DealerCode: m.Moka.DealerCode, Username: m.Moka.Username, Password: m.Moka.Password.Value()}
}

// checkoutOptions turns the configuration into the checkout's options.
func checkoutOptions(cfg *config.Config, store *orders.Store, log *slog.Logger) checkout.Options {
	return checkout.Options{
		PublicURL:          cfg.PublicURL,
		Merchants:          merchants(cfg.Merchants),
		Store:              store,
		Logger:             log,
		MaxAttempts:        cfg.MaxAttempts,
		DefaultExpiry:      cfg.DefaultOrderExpiry,
		MokaTimeout:        cfg.MokaTimeout,
		BankSessionTimeout: cfg.BankSessionTimeout,
		TrustProxyHeaders:  cfg.TrustProxyHeaders,
		MaxInFlight:        cfg.MaxInFlight,
		DashboardKeys:      dashboardKeys(cfg.Dashboard.SessionKeys),
		HSTSMaxAge:         cfg.HSTSMaxAge,
	}
}

// ensureDemoUser gives demo mode its published dashboard login.
func ensureDemoUser(ctx context.Context, store *orders.Store, cfg *config.Config) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(config.DemoUserPassword), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	return store.EnsureUser(ctx, cfg.Merchants[0].ID, cfg.Dashboard.DemoUser, hash)
}

func dashboardKeys(in []config.Secret) [][]byte {
	var out [][]byte
	for _, k := range in {
		out = append(out, []byte(k.Value()))
	}
	return out
}

// merchants converts configured merchants to the checkout's; config does not import
// checkout, so the conversion lives here where both are wired.
func merchants(in []config.Merchant) []checkout.Merchant {
	out := make([]checkout.Merchant, 0, len(in))
	for _, m := range in {
		out = append(out, checkout.Merchant{
			ID:                m.ID,
			Name:              m.Name,
			APIKeyHash:        m.APIKeyHash,
			LinkSecret:        m.LinkSecret.Value(),
			MokaBaseURL:       m.Moka.BaseURL,
			Moka:              mokaCredentials(m),
			ThreeDOrigins:     m.Moka.ThreeDOrigins,
			AllowedOrigins:    m.AllowedOrigins,
			ReturnURLPrefixes: m.ReturnURLPrefixes,
			Installments:      m.Installments,
			BrandColor:        m.BrandColor,
			Logo:              m.Logo,
			LogoType:          config.LogoType(m.Logo),
			Velocity:          checkout.VelocityLimits(m.Velocity),
			WebhookURL:        m.WebhookURL,
			WebhookSecret:     m.WebhookSecret.Value(),
		})
	}
	return out
}

// newLogger writes JSON lines to w. Every record passes through redact, so a card number
// cannot reach the log whatever a log call is given.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(redact.Handler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// service is one HTTP server to run.
type service struct {
	name, addr, url string
	handler         http.Handler
}

// serveAll listens on every address first, so a port clash is a clear error before anything
// is served, then serves until ctx ends or a server fails, and shuts all down gracefully,
// giving requests in flight up to grace to finish.
func serveAll(ctx context.Context, log *slog.Logger, services []service, grace time.Duration, ready func()) error {
	var lc net.ListenConfig
	listeners := make([]net.Listener, 0, len(services))
	for _, s := range services {
		ln, err := lc.Listen(ctx, "tcp", s.addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return fmt.Errorf("%s: listen on %s: %w", s.name, s.addr, err)
		}
		listeners = append(listeners, ln)
	}

	servers := make([]*http.Server, len(services))
	failed := make(chan error, len(services))
	for i, s := range services {
		servers[i] = &http.Server{
			Handler:           s.handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler().WithAttrs([]slog.Attr{slog.String("server", s.name)}), slog.LevelWarn),
		}
		log.Info("listening", "server", s.name, "addr", listeners[i].Addr().String(), "url", s.url)
		go func(srv *http.Server, ln net.Listener, name string) {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				failed <- fmt.Errorf("%s: %w", name, err)
			}
		}(servers[i], listeners[i], s.name)
	}
	if ready != nil {
		ready()
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-failed:
		log.Error("server failed", "err", runErr)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	for i, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Warn("shutdown", "server", services[i].name, "err", err)
			srv.Close()
		}
		// The checkout's calls to Moka are over: let the sandbox's server see its idle
		// connections close instead of waiting for them.
		moka.CloseIdleConnections()
	}
	log.Info("stopped")
	return runErr
}

// metricsMux serves /metrics alone.
func metricsMux(met *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", met.Handler())
	return mux
}

// storeGauges adds the numbers read at each scrape: what is waiting at the bank and at
// Moka now, what the server turned away, and the webhook outbox of the merchants that
// have a webhook_url.
func storeGauges(met *metrics.Metrics, store *orders.Store, srv *checkout.Server, now func() time.Time, hooked []string) {
	if met == nil {
		return
	}
	count := func(list func(ctx context.Context) (int, error)) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := list(ctx)
			if err != nil {
				return -1 // the store did not answer: shown, not hidden
			}
			return float64(n)
		}
	}
	met.Gauge("checkout_attempts_at_bank", "Payment attempts started and not ended (the buyer is at the bank, or its return is awaited).",
		count(func(ctx context.Context) (int, error) {
			as, err := store.StaleAttempts(ctx, now().Add(time.Hour))
			return len(as), err
		}))
	met.Gauge("checkout_actions_open", "Merchant actions waiting for Moka: pending answers and refund requests not yet done.",
		count(func(ctx context.Context) (int, error) {
			as, err := store.OpenActions(ctx, now().Add(time.Hour))
			return len(as), err
		}))
	met.Counter("checkout_requests_shed_total", "Requests answered 503 because too many were in flight.",
		func() float64 { return float64(srv.Shed()) })
	met.Counter("checkout_store_writes_shed_total", "Writes refused because the store's queue was full.",
		func() float64 { return float64(store.Stats().Shed.Load()) })
	met.Counter("checkout_access_log_dropped_total", "Access log lines dropped because the log could not keep up.",
		func() float64 { return float64(srv.AccessLogDropped()) })
	ob := &outboxGauges{store: store, merchants: hooked, now: now}
	met.Gauge("checkout_webhook_outbox_pending", "Webhook deliveries pending: not yet answered 2xx, retries left (counted up to 5000 per merchant).",
		func() float64 { return ob.read().pending })
	met.Gauge("checkout_webhook_oldest_pending_seconds", "Age of the oldest event whose webhook delivery is pending, in seconds; 0 when none is.",
		func() float64 { return ob.read().oldest })
	met.Gauge("checkout_webhook_deliveries_failed", "Webhook deliveries failed for good: retries ran out and no redelivery was asked for (counted up to 5000 per merchant).",
		func() float64 { return ob.read().failed })
}

// webhookMerchants are the merchants whose events are delivered.
func webhookMerchants(cfg *config.Config) []string {
	var ids []string
	for _, m := range cfg.Merchants {
		if m.WebhookURL != "" {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// outboxGauges reads the webhook outbox once per scrape for its three gauges.
//
// The store has no aggregate query for the outbox yet, so the deliveries are counted
// through ListEventDeliveries, a page of 100 at a time and at most outboxPages pages per
// merchant and state: a healthy outbox costs one read each. An orders.Store method with
// COUNT and MIN(created_at) should replace this.
type outboxGauges struct {
	store     *orders.Store
	merchants []string
	now       func() time.Time

	mu   sync.Mutex
	at   time.Time
	last outboxNumbers
}

type outboxNumbers struct{ pending, oldest, failed float64 }

const outboxPages = 50

func (g *outboxGauges) read() outboxNumbers {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if !g.at.IsZero() && now.Sub(g.at) < time.Second && now.After(g.at) {
		return g.last // the three gauges of one scrape
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n := outboxNumbers{}
	for _, m := range g.merchants {
		pending, oldest, err := g.count(ctx, m, orders.DeliveryPending)
		if err != nil {
			return outboxNumbers{-1, -1, -1} // the store did not answer: shown, not hidden
		}
		failed, _, err := g.count(ctx, m, orders.DeliveryFailed)
		if err != nil {
			return outboxNumbers{-1, -1, -1}
		}
		n.pending += float64(pending)
		n.failed += float64(failed)
		if !oldest.IsZero() {
			n.oldest = max(n.oldest, now.Sub(oldest).Seconds())
		}
	}
	g.at, g.last = now, n
	return n
}

// count counts a merchant's deliveries in state and finds the oldest one's event time.
func (g *outboxGauges) count(ctx context.Context, merchant string, state orders.DeliveryState) (int, time.Time, error) {
	n, after := 0, ""
	var oldest time.Time
	for range outboxPages {
		page, more, err := g.store.ListEventDeliveries(ctx, merchant, orders.EventFilter{Delivery: state, Limit: orders.MaxListLimit, StartingAfter: after})
		if err != nil {
			return 0, time.Time{}, err
		}
		n += len(page)
		if len(page) > 0 {
			last := page[len(page)-1] // newest first: the last is the oldest so far
			oldest, after = last.CreatedAt, last.ID
		}
		if !more {
			break
		}
	}
	return n, oldest, nil
}
