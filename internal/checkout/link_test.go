package checkout_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/links"
)

func (e *env) link(params url.Values, expires time.Time) string {
	return "/link?" + links.SignedQuery(testLinkSecret, params, expires).Encode()
}

func linkParams(ref, amount string) url.Values {
	return url.Values{
		"merchant": {"shop"}, "reference": {ref}, "amount": {amount}, "currency": {"TRY"},
		"description": {"Two books"}, "installments": {"1,3"}, "locale": {"en"},
		"return_url": {"https://shop.example/thanks"},
	}
}

func TestLinkCreatesAndReusesOrder(t *testing.T) {
	e := newEnv(t)
	link := e.link(linkParams("L-1", "150.00"), e.clock.Now().Add(time.Hour))

	r := e.get(link)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.True(t, strings.HasPrefix(r.location(), "/pay/ord_"), r.location())
	id := strings.TrimPrefix(r.location(), "/pay/")

	o := e.order(id)
	assert.Equal(t, "L-1", o["reference"])
	assert.Equal(t, "150.00", o["amount"])
	assert.Equal(t, []any{1.0, 3.0}, o["installments"])
	assert.Equal(t, "en", o["locale"])

	page := e.get(r.location())
	assert.Equal(t, http.StatusOK, page.status)
	assert.Equal(t, 1, page.doc(t).Find("#card-form").Length())

	again := e.get(link)
	require.Equal(t, http.StatusSeeOther, again.status)
	assert.Equal(t, r.location(), again.location(), "the same reference reuses the order")

	// Another signed link with the same reference but a different amount is refused.
	conflict := e.get(e.link(linkParams("L-1", "99.00"), e.clock.Now().Add(time.Hour)))
	assert.Equal(t, http.StatusConflict, conflict.status)
	assert.Equal(t, "150.00", e.order(id)["amount"], "the order never changes silently")
}

func TestLinkRefused(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	good := links.SignedQuery(testLinkSecret, linkParams("L-1", "150.00"), now.Add(time.Hour))
	tampered := url.Values{}
	for k, v := range good {
		tampered[k] = v
	}
	tampered.Set("amount", "1.00")
	cases := []struct {
		name   string
		query  string
		status int
	}{
		{"amount changed", tampered.Encode(), http.StatusForbidden},
		{"no signature", linkParams("L-1", "150.00").Encode(), http.StatusForbidden},
		{"wrong secret", links.SignedQuery("guess", linkParams("L-1", "150.00"), now.Add(time.Hour)).Encode(), http.StatusForbidden},
		{"expired", links.SignedQuery(testLinkSecret, linkParams("L-1", "150.00"), now.Add(-time.Second)).Encode(), http.StatusForbidden},
		{"unknown merchant", func() string {
			p := linkParams("L-1", "150.00")
			p.Set("merchant", "nobody")
			return links.SignedQuery(testLinkSecret, p, now.Add(time.Hour)).Encode()
		}(), http.StatusForbidden},
		{"bad amount, signed", links.SignedQuery(testLinkSecret, linkParams("L-1", "1.999"), now.Add(time.Hour)).Encode(), http.StatusBadRequest},
		{"embed origin not allowed, signed", func() string {
			p := linkParams("L-1", "150.00")
			p.Set("embed", "1")
			p.Set("origin", "https://evil.example")
			return links.SignedQuery(testLinkSecret, p, now.Add(time.Hour)).Encode()
		}(), http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get("/link?" + tc.query)
			assert.Equal(t, tc.status, r.status, r.body)
			assert.Empty(t, r.location())
		})
	}
	assert.Empty(t, e.ordersByReference("L-1"), "no refused link created an order")
}

func TestLinkEmbedded(t *testing.T) {
	e := newEnv(t)
	p := linkParams("L-2", "10.00")
	p.Set("embed", "1")
	p.Set("origin", shopOrigin)
	r := e.get(e.link(p, e.clock.Now().Add(time.Hour)))
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	u, err := url.Parse(r.location())
	require.NoError(t, err)
	assert.Equal(t, "1", u.Query().Get("embed"))
	assert.Equal(t, shopOrigin, u.Query().Get("origin"))
	assert.Equal(t, http.StatusOK, e.get(r.location()).status)
}
