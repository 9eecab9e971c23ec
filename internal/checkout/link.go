package checkout

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/links"
	"github.com/mokacheckout/checkout/internal/orders"
)

// handleLink turns a signed storefront link into an order and sends the buyer to its
// page. An IP that opened too many links with a bad signature (403) is answered 429
// before the signature is checked, so link secrets cannot be probed at speed.
func (s *Server) handleLink(c echo.Context) error {
	tooMany := newPageError(http.StatusTooManyRequests, msgTooManyTries, msgTooManyTriesText)
	tooMany.Lang = pickLang(c.QueryParam("locale"), c.Request().Header.Get("Accept-Language"))
	return s.authThrottled(c, s.linkFailures, tooMany, func() error { return s.openLink(c) })
}

// openLink checks a link and opens its order. The signature covers every parameter
// (embed and origin included), so a buyer can change nothing; a second visit with the
// same reference reuses the order, and a link that disagrees with it on money is refused
// rather than silently changing the order.
func (s *Server) openLink(c echo.Context) error {
	q := c.QueryParams()
	lang := pickLang(q.Get("locale"), c.Request().Header.Get("Accept-Language"))
	m := s.merchant(q.Get("merchant"))
	if m == nil {
		pe := newPageError(http.StatusForbidden, msgForbidden, msgUnknownMerchant)
		pe.Lang = lang
		return pe
	}
	if err := links.Verify(m.LinkSecret, q, s.now()); err != nil {
		pe := newPageError(http.StatusForbidden, msgForbidden, msgBadLink)
		if errors.Is(err, links.ErrExpired) {
			pe.Message = msgLinkExpired
		}
		pe.merchant, pe.Lang = m, lang
		return pe
	}
	in, err := linkInput(q)
	if err != nil {
		return linkError(m, lang, err)
	}
	o, err := s.validateOrder(m, in)
	if err != nil {
		return linkError(m, lang, err)
	}
	target := "/pay/"
	if embed := q.Get("embed"); embed != "" {
		if embed != "1" || !m.allowsOrigin(q.Get("origin")) {
			return &pageError{Status: http.StatusBadRequest, Heading: msgInvalidRequest, Message: msgBadEmbed, merchant: m, Lang: lang}
		}
	}

	ctx := c.Request().Context()
	err = s.store.CreateOrder(ctx, o)
	if errors.Is(err, &orders.Error{Code: orders.CodeDuplicateReference}) {
		existing, gerr := s.store.GetOrderByReference(ctx, m.ID, o.Reference)
		if gerr != nil {
			return gerr
		}
		if !existing.Amount.Equal(o.Amount) || existing.Currency != o.Currency {
			return &pageError{Status: http.StatusConflict, Heading: msgLinkConflict, Message: msgLinkConflictText, merchant: m, Lang: lang}
		}
		o, err = existing, nil
	}
	if err != nil {
		return err
	}
	target += url.PathEscape(o.ID)
	if q.Get("embed") == "1" {
		target += "?" + url.Values{"embed": {"1"}, "origin": {q.Get("origin")}}.Encode()
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// linkError shows a link whose order fails validation. The buyer reads the page, so the
// API's English message (written for the merchant's developer) is not shown; the page
// names the offending parameter in a sentence of the page's language, which is enough
// for the shop to find its mistake.
func linkError(m *merchant, lang string, err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		what := ae.Field
		if what == "" {
			what = ae.Code
		}
		return &pageError{Status: http.StatusBadRequest, Heading: msgInvalidRequest, Message: msgLinkInvalidField,
			Args: []any{what}, merchant: m, Lang: lang}
	}
	return err
}

// linkInput reads a new order from a link's parameters.
func linkInput(q url.Values) (orderInput, error) {
	in := orderInput{
		Reference:   q.Get("reference"),
		Currency:    q.Get("currency"),
		Description: q.Get("description"),
		Capture:     q.Get("capture"),
		ReturnURL:   q.Get("return_url"),
		CancelURL:   q.Get("cancel_url"),
		Locale:      q.Get("locale"),
	}
	amount, err := parseAmount(q.Get("amount"), "amount")
	if err != nil {
		return in, err
	}
	in.Amount = amount
	if raw := q.Get("installments"); raw != "" {
		for i, part := range strings.Split(raw, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return in, badRequest("installments_invalid", "installments["+strconv.Itoa(i)+"]", "installments must be a comma-separated list of counts")
			}
			in.Installments = append(in.Installments, n)
		}
	}
	return in, nil
}

// allowsOrigin reports whether origin is one of the merchant's embedding origins.
func (m *merchant) allowsOrigin(origin string) bool {
	for _, o := range m.AllowedOrigins {
		if o == origin {
			return true
		}
	}
	return false
}
