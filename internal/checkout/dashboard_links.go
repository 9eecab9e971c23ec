package checkout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qr "github.com/piglig/go-qr"
	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/links"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// dashLinkExpiries are how long a dashboard payment link may stay valid (Go durations:
// an hour, a day, a week, 30 days); dashLinkExpiry is the form's default.
var dashLinkExpiries = []string{"1h", "24h", "168h", "720h"}

const dashLinkExpiry = "24h"

// linkForm is the payment link form as typed.
type linkForm struct {
	Amount, Currency, Reference, Description, Expiry string
}

func readLinkForm(c echo.Context) linkForm {
	return linkForm{
		Amount:      strings.TrimSpace(c.FormValue("amount")),
		Currency:    strings.TrimSpace(c.FormValue("currency")),
		Reference:   strings.TrimSpace(c.FormValue("reference")),
		Description: strings.TrimSpace(c.FormValue("description")),
		Expiry:      strings.TrimSpace(c.FormValue("expiry")),
	}
}

// handleDashLinks shows the payment link form and, with u=, a link made here: the link,
// its QR code and what it asks for.
func (s *Server) handleDashLinks(c echo.Context) error {
	u := currentUser(c)
	p := s.dashLinksPage(c, linkForm{Currency: "TRY", Expiry: dashLinkExpiry}, nil)
	if raw := c.QueryParam("u"); raw != "" {
		q, expired, err := s.ourLink(u.Merchant, raw)
		if err != nil {
			// The page in the other language is the form alone: a link not ours is not
			// repeated anywhere on the page.
			rest := c.Request().URL.Query()
			rest.Del("u")
			c.Request().URL.RawQuery = rest.Encode()
			p.LangURL = langURL(c, p.Lang)
			p.Flash, p.FlashError = templates.DT(p.Lang, "link_not_ours"), true
			return s.renderPage(c, http.StatusNotFound, dashboardCSP, templates.DashLinks(p))
		}
		p.Link = s.dashLink(p.Lang, raw, q, expired)
	}
	return s.renderPage(c, http.StatusOK, dashboardCSP, templates.DashLinks(p))
}

func (s *Server) dashLinksPage(c echo.Context, f linkForm, errs map[string]string) templates.DashLinksPage {
	p := templates.DashLinksPage{DashPage: s.dashPage(c, "links"), Amount: f.Amount, Currency: f.Currency,
		Reference: f.Reference, Description: f.Description, Expiry: f.Expiry, Currencies: currencies}
	for _, d := range dashLinkExpiries {
		p.Expiries = append(p.Expiries, templates.DashOption{Value: d, Text: templates.DT(p.Lang, "link_exp_"+d)})
	}
	p.Errors = dashFieldErrors(p.Lang, errs, []string{"amount", "currency", "reference", "description", "expiry"}, map[string]string{
		"amount": "link-amount-input", "currency": "link-currency", "reference": "link-reference-input",
		"description": "link-description", "expiry": "link-expiry",
	})
	return p
}

// handleDashCreateLink signs a storefront link with the merchant's link secret after the
// checks /link itself makes (validateOrder), so a link made here is never refused when
// opened, and sends the browser to the page that shows it (POST/Redirect/GET).
func (s *Server) handleDashCreateLink(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	f := readLinkForm(c)
	q, expires, errs, err := s.checkLinkForm(ctx, u.Merchant, s.dashLang(c), f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		p := s.dashLinksPage(c, f, errs)
		return s.renderPage(c, http.StatusBadRequest, dashboardCSP, templates.DashLinks(p))
	}
	link := s.opts.PublicURL + "/link?" + links.SignedQuery(u.Merchant.LinkSecret, q, expires).Encode()
	if err := s.store.Audit(ctx, orders.AuditEntry{MerchantID: u.Merchant.ID, UserID: u.User.ID, Email: u.User.Email,
		IP: c.RealIP(), Action: "link_created",
		Detail: fmt.Sprintf("reference %s, %s %s, valid until %s", q.Get("reference"), q.Get("amount"), q.Get("currency"),
			expires.UTC().Format(time.RFC3339))}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, dashboardRoute+"/links?"+url.Values{"u": {link}}.Encode())
}

// checkLinkForm turns the form into the link's parameters and expiry, or field errors
// (text keys by field). err is a failure of ours, not the user's.
func (s *Server) checkLinkForm(ctx context.Context, m *merchant, lang string, f linkForm) (url.Values, time.Time, map[string]string, error) {
	errs := map[string]string{}
	expiry, err := time.ParseDuration(f.Expiry)
	if err != nil || !slices.Contains(dashLinkExpiries, f.Expiry) {
		errs["expiry"] = "link_err_expiry"
	}
	ref := f.Reference
	if ref == "" {
		ref = "LINK-" + strconv.FormatInt(s.now().Unix(), 10) + "-" + randomToken()[:6]
	}
	q := url.Values{"merchant": {m.ID}, "reference": {ref}, "currency": {f.Currency}}
	if f.Description != "" {
		q.Set("description", f.Description)
	}
	// Typed as on the order page: "1.234,50" in Turkish, "1,234.50" in English.
	amount, err := parseAmount(normalizeAmount(lang, f.Amount), "amount")
	if err != nil {
		errs["amount"] = "link_err_amount"
		// The other fields are still checked, with an amount that passes.
		amount = decimal.NewFromInt(1)
	}
	q.Set("amount", amount.StringFixed(2))
	in, err := linkInput(q)
	if err == nil {
		_, err = s.validateOrder(m, in)
	}
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		field := ae.Field
		if !slices.Contains([]string{"reference", "currency", "description"}, field) {
			field = "amount"
		}
		if errs[field] == "" {
			errs[field] = "link_err_" + field
		}
	case err != nil:
		return nil, time.Time{}, nil, err
	}
	if errs["reference"] == "" && f.Reference != "" {
		// /link reuses the order of a reference it has seen: a new link for an old
		// reference would open that order, paid or not.
		_, err := s.store.GetOrderByReference(ctx, m.ID, ref)
		switch {
		case err == nil:
			errs["reference"] = "link_err_reference_used"
		case !errors.Is(err, orders.ErrNotFound):
			return nil, time.Time{}, nil, err
		}
	}
	return q, s.now().Add(expiry), errs, nil
}

// ourLink checks that raw is a storefront link of merchant m signed with its secret, on
// our public URL, and returns its parameters and whether it has expired. Only such links
// are shown or drawn as QR codes: the QR endpoint is no general-purpose QR service.
func (s *Server) ourLink(m *merchant, raw string) (url.Values, bool, error) {
	errNotOurs := errors.New("not a link of this merchant")
	base, _ := url.Parse(s.opts.PublicURL)
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != base.Scheme || u.Host != base.Host || u.Path != "/link" || u.User != nil || u.Fragment != "" {
		return nil, false, errNotOurs
	}
	q := u.Query()
	if q.Get("merchant") != m.ID {
		return nil, false, errNotOurs
	}
	switch err := links.Verify(m.LinkSecret, q, s.now()); {
	case errors.Is(err, links.ErrExpired):
		return q, true, nil
	case err != nil:
		return nil, false, errNotOurs
	}
	return q, false, nil
}

// dashLink is a link as the page shows it.
func (s *Server) dashLink(lang, raw string, q url.Values, expired bool) *templates.DashLink {
	l := &templates.DashLink{URL: raw, Reference: q.Get("reference"), Description: q.Get("description"), Expired: expired}
	qrQuery := url.Values{"u": {raw}}
	l.QRURL = dashboardRoute + "/links/qr.png?" + qrQuery.Encode()
	qrQuery.Set("download", "1")
	l.QRDownloadURL = dashboardRoute + "/links/qr.png?" + qrQuery.Encode()
	if d, err := parseAmount(q.Get("amount"), "amount"); err == nil {
		l.Amount = formatAmount(lang, q.Get("currency"), d)
	}
	if exp, err := strconv.ParseInt(q.Get("expires"), 10, 64); err == nil {
		l.Expires = s.dashTime(time.Unix(exp, 0))
	}
	return l
}

// qrScale and qrBorder draw the QR code: 6 pixels a module, with the standard's quiet
// zone of 4 modules, so a link of a few hundred characters is a ~400 px image that
// phones read from a screen or from paper.
const (
	qrScale  = 6
	qrBorder = 4
)

// handleDashLinkQR draws a link of the merchant's as a PNG QR code, server-side (no
// script). Anything but a signed link of this merchant is refused.
func (s *Server) handleDashLinkQR(c echo.Context) error {
	u := currentUser(c)
	raw := c.QueryParam("u")
	if _, _, err := s.ourLink(u.Merchant, raw); err != nil {
		return s.dashboardError(c, http.StatusNotFound, dashMsgNotFound)
	}
	// Medium error correction (15%) survives a smudged print.
	code, err := qr.EncodeText(raw, qr.Medium)
	if err != nil {
		return fmt.Errorf("qr code of a payment link: %w", err)
	}
	png, err := code.ToPNGBytes(qr.NewQrCodeImgConfig(qrScale, qrBorder))
	if err != nil {
		return fmt.Errorf("qr code of a payment link: %w", err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, no-store")
	if c.QueryParam("download") == "1" {
		h.Set("Content-Disposition", `attachment; filename="payment-link-qr.png"`)
	}
	return c.Blob(http.StatusOK, "image/png", png)
}
