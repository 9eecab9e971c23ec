// Package storefront is the demo merchant's shop, "Demo Kitap Evi", served on its own origin.
// It shows the two ways a merchant sends a buyer to checkout: a signed link (no API call) and
// an order created server side and embedded in the shop's page with embed.js.
package storefront

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mokacheckout/checkout/internal/links"
	"github.com/mokacheckout/checkout/internal/webhook"
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
	// WebhookSecret verifies the webhooks checkout sends to POST /webhooks ("whsec_...",
	// or two separated by a space during a rotation); "" = the shop receives none.
	WebhookSecret string
	// KeepEvents is how many received webhooks are kept in memory and shown at
	// GET /webhooks; 0 = DefaultKeepEvents.
	KeepEvents int
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
	cfg       Config
	secrets   []webhook.Secret // nil: no webhooks received
	secretErr error            // why WebhookSecret could not be used
	inbox     *inbox
}

// New returns the shop's handler: "/" (product and both ways to pay), "/embedded" (checkout
// in an iframe on this page), "/thanks" (where checkout sends the buyer back; it shows the
// order as checkout's API tells it), POST "/webhooks" (the webhook receiver) and GET
// "/webhooks" (the webhooks received, newest first).
func New(cfg Config) http.Handler {
	cfg.CheckoutURL = strings.TrimRight(cfg.CheckoutURL, "/")
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &shop{cfg: cfg, inbox: newInbox(cfg.KeepEvents)}
	s.secrets, s.secretErr = parseSecrets(cfg.WebhookSecret)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET /embedded", s.handleEmbedded)
	mux.HandleFunc("GET /thanks", s.handleThanks)
	mux.HandleFunc("POST /webhooks", s.handleWebhook)
	mux.HandleFunc("GET /webhooks", s.handleWebhooksPage)
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

// orderIDRE is the shape of checkout's order ids; anything else is not one of them, and
// is not sent on to checkout's API.
var orderIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// handleThanks shows the order the buyer came back with, as checkout's API tells it (or,
// when the API cannot be reached, as the newest webhook about it told it). The query's
// status is never believed: anyone can type ?status=paid.
func (s *shop) handleThanks(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("order")
	data := thanksData{base: newBase(lang(r)), Order: id}
	if !orderIDRE.MatchString(id) {
		data.NotFound = true
		s.render(w, http.StatusNotFound, "thanks", data)
		return
	}
	o, err := s.getOrder(r.Context(), id)
	switch {
	case err == nil:
		data.Reference, data.Status, data.Source = o.Reference, o.Status, "api"
	case errors.Is(err, errOrderNotFound):
		data.NotFound = true
		s.render(w, http.StatusNotFound, "thanks", data)
		return
	default:
		status, ok := s.inbox.orderStatus(id)
		if !ok {
			data.Unknown = err.Error()
			s.render(w, http.StatusBadGateway, "thanks", data)
			return
		}
		data.Status, data.Source = status, "webhook"
	}
	s.render(w, http.StatusOK, "thanks", data)
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
