package checkout_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
)

const (
	testAPIKey     = "sk_test_shop"
	otherAPIKey    = "sk_test_other"
	testLinkSecret = "shop-link-secret"
	shopOrigin     = "https://shop.example"
	successCard    = "4183441122223339" // sandbox: succeeds with OTP 123456
	failCard       = "4355084355084358" // sandbox: 3-D fails at the bank
	invalidCard    = "5890040000000016" // sandbox: InvalidCardInfo at the 3-D start
)

// clock is the test's settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bankOverride holds a handler that may answer sandbox requests in the sandbox's place.
type bankOverride struct {
	mu sync.Mutex
	f  func(http.ResponseWriter, *http.Request) bool
}

func (o *bankOverride) get() func(http.ResponseWriter, *http.Request) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.f
}

func (o *bankOverride) set(f func(http.ResponseWriter, *http.Request) bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.f = f
}

// syncBuffer collects log lines written from many goroutines.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	flush func() // writes the server's queued access log lines first
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	if b.flush != nil {
		b.flush()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a running checkout wired to a running sandbox and a real database: a SQLite
// file, or a PostgreSQL schema in a run on PostgreSQL (see internal/storetest).
type env struct {
	t       testing.TB
	url     string // checkout public URL
	bankURL string // sandbox URL
	bank    *sandbox.Server
	// override, when set, answers a sandbox request in its place (returning true).
	override *bankOverride
	db       storetest.DB     // the database (SQLite: a file in the test's temp dir)
	opts     checkout.Options // what the server was built with
	store    *orders.Store
	server   *checkout.Server
	clock    *clock
	logs     *syncBuffer
	client   *http.Client
}

type envOption func(*checkout.Options)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	// Noon today, Turkey time: Moka's day rules (a void until 22:00, a refund from the next
	// day) then hold the same whenever the tests run. Derived from the clock, never fixed.
	y, m, d := time.Now().In(orders.Istanbul).Date()
	clk := &clock{t: time.Date(y, m, d, 12, 0, 0, 0, orders.Istanbul).UTC()}

	bankSrv := httptest.NewUnstartedServer(nil)
	bankURL := "http://" + bankSrv.Listener.Addr().String()
	bankCfg := sandbox.DemoConfig(bankURL)
	bankCfg.Now = clk.Now   // one clock: the sandbox's days are the checkout's
	bankCfg.RefundDelay = 0 // refunds complete when a test says so (bank.CompleteRefunds)
	bank := sandbox.New(bankCfg)
	override := &bankOverride{}
	bankSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := override.get(); f != nil && f(w, r) {
			return
		}
		bank.ServeHTTP(w, r)
	})
	bankSrv.Start()
	t.Cleanup(bankSrv.Close)

	db := storetest.New(t)
	store := db.Open(t, clk.Now)

	srv := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + srv.Listener.Addr().String()
	logs := &syncBuffer{}
	creds := moka.Credentials{DealerCode: sandbox.DemoDealerCode, Username: sandbox.DemoUsername, Password: sandbox.DemoPassword}
	o := checkout.Options{
		PublicURL: publicURL,
		Store:     store,
		Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       clk.Now,
		Merchants: []checkout.Merchant{{
			ID: "shop", Name: "Test Shop",
			APIKeyHash:        checkout.HashAPIKey(testAPIKey),
			LinkSecret:        testLinkSecret,
			Moka:              creds,
			MokaBaseURL:       bankURL,
			AllowedOrigins:    []string{shopOrigin},
			ReturnURLPrefixes: []string{shopOrigin + "/"},
			Installments:      []int{1, 2, 3, 6},
		}, {
			ID: "other", Name: "Other Shop",
			APIKeyHash: checkout.HashAPIKey(otherAPIKey),
			LinkSecret: "other-link-secret",
			// A dealer account of its own, as merchants have: Moka's lists of one dealer
			// never show another's payments.
			Moka:        moka.Credentials{DealerCode: sandbox.SingleDealerCode, Username: sandbox.DemoUsername, Password: sandbox.DemoPassword},
			MokaBaseURL: bankURL,
		}},
		MokaTimeout:  2 * time.Second,
		PasswordCost: bcrypt.MinCost, // the test users' hashes; cost 12 takes seconds under -race
		// As cmd/checkout derives it from the CodeForHash key: a second instance (which
		// gets these options) knows a card by the same HMAC.
		CardHashKey: testCardHashKey(t),
	}
	for _, opt := range opts {
		opt(&o)
	}
	s, err := checkout.New(o)
	require.NoError(t, err)
	logs.flush = func() { checkout.FlushAccessLog(s) }
	srv.Config.Handler = s
	srv.Start()
	t.Cleanup(srv.Close)

	return &env{
		t: t, url: publicURL, bankURL: bankURL, bank: bank, override: override, store: store, server: s, clock: clk, logs: logs,
		db: db, opts: o,
		client: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// testCardHashKey is the card HMAC key of a test's instances.
func testCardHashKey(t testing.TB) []byte {
	t.Helper()
	k, err := checkout.CardHashKeyFrom([]byte("test CodeForHash key of " + t.Name()))
	require.NoError(t, err)
	return k
}

// secondInstance starts another checkout process's worth of server (its own store on
// the same database, its own HTTP server) and returns an env that talks to it.
func (e *env) secondInstance(opts ...envOption) *env {
	e.t.Helper()
	store := e.db.Open(e.t, e.clock.Now)
	srv := httptest.NewUnstartedServer(nil)
	o := e.opts
	o.Store = store
	o.PublicURL = "http://" + srv.Listener.Addr().String()
	for _, opt := range opts {
		opt(&o)
	}
	s, err := checkout.New(o)
	require.NoError(e.t, err)
	srv.Config.Handler = s
	srv.Start()
	e.t.Cleanup(srv.Close)
	two := *e
	two.url, two.store, two.server, two.opts = o.PublicURL, store, s, o
	return &two
}

// response is a read answer.
type response struct {
	status int
	header http.Header
	body   string
	closed bool // the server closed the connection after this answer (Connection: close)
}

func (r response) doc(t testing.TB) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	require.NoError(t, err)
	return d
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
	return m
}

func (r response) location() string { return r.header.Get("Location") }

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	resp, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b), closed: resp.Close}
}

// abs resolves a path against the checkout's URL.
func (e *env) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return e.url + path
}

func (e *env) get(path string, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.abs(path), nil)
	require.NoError(e.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

func (e *env) postForm(path string, form url.Values, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.abs(path), strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

// api calls the merchant API with the shop's key unless the header pairs set another.
func (e *env) api(method, path, body string, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

// createOrder creates an order through the API and returns its JSON.
func (e *env) createOrder(body string) map[string]any {
	e.t.Helper()
	r := e.api(http.MethodPost, "/api/v1/orders", body)
	require.Equal(e.t, http.StatusCreated, r.status, r.body)
	return r.json(e.t)
}

func (e *env) order(id string) map[string]any {
	e.t.Helper()
	r := e.api(http.MethodGet, "/api/v1/orders/"+id, "")
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	return r.json(e.t)
}

// payForm opens the card page and returns its form token and action.
func (e *env) payForm(path string) (token, action string) {
	e.t.Helper()
	r := e.get(path)
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	d := r.doc(e.t)
	token, _ = d.Find(`#card-form input[name="form_token"]`).Attr("value")
	action, _ = d.Find("#card-form").Attr("action")
	require.NotEmpty(e.t, token)
	require.NotEmpty(e.t, action)
	return token, action
}

// futureYear is a card expiry year that stays in the future, whenever the tests run.
func futureYear() string { return strconv.Itoa(time.Now().Year() + 3) }

func cardValues(number, token string) url.Values {
	return url.Values{
		"card_holder": {"Ayşe Yılmaz"}, "card_number": {number}, "exp_month": {"12"},
		"exp_year": {futureYear()}, "cvc": {"123"}, "installments": {"1"}, "form_token": {token},
	}
}

// submitCard posts the card form from the page at path.
func (e *env) submitCard(path, number string, edit ...func(url.Values)) response {
	e.t.Helper()
	token, action := e.payForm(path)
	form := cardValues(number, token)
	for _, f := range edit {
		f(form)
	}
	return e.postForm(action, form, "Sec-Fetch-Site", "same-origin")
}

// bankReturn plays the bank: it opens the 3-D page at bankURL, posts the OTP and returns
// the auto-post form the bank answers with (action and fields).
func (e *env) bankReturn(bankURL, otp string) (string, url.Values) {
	e.t.Helper()
	page := e.get(bankURL)
	require.Equal(e.t, http.StatusOK, page.status, page.body)
	action, ok := page.doc(e.t).Find("#otp-form").Attr("action")
	require.True(e.t, ok, page.body)
	u, err := url.Parse(bankURL)
	require.NoError(e.t, err)
	ref, err := url.Parse(action)
	require.NoError(e.t, err)
	r := e.postForm(u.ResolveReference(ref).String(), url.Values{"otp": {otp}})
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	form := r.doc(e.t).Find("#return-form")
	target, ok := form.Attr("action")
	require.True(e.t, ok, r.body)
	fields := url.Values{}
	form.Find("input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		fields.Set(name, value)
	})
	return target, fields
}

// pay walks the whole flow with card and otp and returns the result page's response.
func (e *env) pay(path, card, otp string) response {
	e.t.Helper()
	r := e.submitCard(path, card)
	require.Equal(e.t, http.StatusSeeOther, r.status, r.body)
	require.True(e.t, strings.HasPrefix(r.location(), e.bankURL), r.location())
	action, fields := e.bankReturn(r.location(), otp)
	ret := e.postForm(action, fields, "Sec-Fetch-Site", "cross-site")
	require.Equal(e.t, http.StatusSeeOther, ret.status, ret.body)
	return e.get(ret.location())
}

func orderBody(ref string, extra ...string) string {
	fields := []string{`"reference":"` + ref + `"`, `"amount":"150.00"`, `"currency":"TRY"`, `"description":"Two books"`}
	fields = append(fields, extra...)
	return "{" + strings.Join(fields, ",") + "}"
}
