// Package storefront is the demo merchant's shop, "Demo Kitap Evi", served on its own origin.
// It shows the two ways a merchant sends a buyer to checkout: a signed link (no API call) and
// an order created server side and embedded in the shop's page with embed.js.
package storefront

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mokacheckout/checkout/internal/links"
)

// Config tells the shop where checkout is and how to authenticate to it.
type Config struct {
	CheckoutURL string // public URL of checkout, e.g. http://127.0.0.1:8080
	// PublicURL is the shop's own URL, which the merchant lists in checkout's allowed
	// origins and return URL prefixes; "" takes http://<Host of the request>.
	PublicURL  string
	MerchantID string // "demo"
	LinkSecret string // "demo-link-secret"
	APIKey     string // "sk_test_demo"
	HTTPClient *http.Client
	Now        func() time.Time
}

// The shop sells one book.
const (
	productAmount      = "150.00"
	productCurrency    = "TRY"
	productPrice       = "150,00 TL"
	linkLifetime       = time.Hour
	productInstallment = "1,2,3,6"
)

var productInstallments = []int{1, 2, 3, 6}

type shop struct {
	cfg Config
}

// New returns the shop's handler: "/" (product and both ways to pay), "/embedded" (checkout
// in an iframe on this page) and "/thanks" (where checkout sends the buyer back).
func New(cfg Config) http.Handler {
	cfg.CheckoutURL = strings.TrimRight(cfg.CheckoutURL, "/")
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &shop{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET /embedded", s.handleEmbedded)
	mux.HandleFunc("GET /thanks", s.handleThanks)
	return mux
}

// origin is the shop's own origin: the configured public URL (what checkout allows for
// this merchant), else the request's host over plain HTTP.
func (s *shop) origin(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	return "http://" + r.Host
}

func lang(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "tr"
}

// newReference makes a fresh order reference per page load: checkout reuses the order for a
// repeated merchant+reference, so each visit must bring its own.
func (s *shop) newReference() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "SF-" + strconv.FormatInt(s.cfg.Now().UnixNano(), 10) + "-" + hex.EncodeToString(b[:])
}

// payLink is a signed /link URL for the book, valid for an hour.
func (s *shop) payLink(r *http.Request, ref, lg string) string {
	params := url.Values{
		"merchant":     {s.cfg.MerchantID},
		"reference":    {ref},
		"amount":       {productAmount},
		"currency":     {productCurrency},
		"description":  {text(lg).ProductTitle},
		"return_url":   {s.origin(r) + "/thanks"},
		"locale":       {lg},
		"installments": {productInstallment},
	}
	q := links.SignedQuery(s.cfg.LinkSecret, params, s.cfg.Now().Add(linkLifetime))
	return s.cfg.CheckoutURL + "/link?" + q.Encode()
}

func (s *shop) handleHome(w http.ResponseWriter, r *http.Request) {
	lg := lang(r)
	s.render(w, http.StatusOK, "home", homeData{
		base:    newBase(lg),
		PayLink: s.payLink(r, s.newReference(), lg),
	})
}

func (s *shop) handleEmbedded(w http.ResponseWriter, r *http.Request) {
	lg := lang(r)
	data := embeddedData{base: newBase(lg), EmbedJS: s.cfg.CheckoutURL + "/static/embed.js"}
	created, err := s.createOrder(r.Context(), orderRequest{
		Reference:    s.newReference(),
		Amount:       productAmount,
		Currency:     productCurrency,
		Description:  text(lg).ProductTitle,
		Installments: productInstallments,
		ReturnURL:    s.origin(r) + "/thanks",
		Locale:       lg,
	})
	status := http.StatusOK
	if err != nil {
		data.Error = err.Error()
		status = http.StatusBadGateway
	} else {
		data.OrderID, data.CheckoutURL = created.ID, created.CheckoutURL
	}
	s.render(w, status, "embedded", data)
}

func (s *shop) handleThanks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.render(w, http.StatusOK, "thanks", thanksData{
		base:   newBase(lang(r)),
		Order:  q.Get("order"),
		Status: q.Get("status"),
	})
}

// render executes a page into a buffer first, so a template error never sends half a page.
func (s *shop) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
