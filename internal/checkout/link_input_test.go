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

// A storefront link's errors are pages for the buyer: in the link's language (else the
// browser's), never the API's English message for developers.
func TestLinkErrorsFollowPageLanguage(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	signed := func(edit func(url.Values)) string {
		p := linkParams("L-1", "150.00")
		edit(p)
		return "/link?" + links.SignedQuery(testLinkSecret, p, now.Add(time.Hour)).Encode()
	}
	cases := []struct {
		name, path, acceptLanguage string
		status                     int
		wantLang, wantMessage      string
	}{
		{"bad amount, tr link", signed(func(p url.Values) { p.Set("locale", "tr"); p.Set("amount", "1.999") }), "en",
			http.StatusBadRequest, "tr", "Bu ödeme bağlantısı geçerli değil (amount). Mağazadan yeni bir bağlantı isteyin."},
		{"bad amount, en link", signed(func(p url.Values) { p.Set("amount", "1.999") }), "tr",
			http.StatusBadRequest, "en", "This payment link is not valid (amount). Ask the shop for a new one."},
		{"bad return_url, no locale, Turkish browser", signed(func(p url.Values) {
			p.Del("locale")
			p.Set("return_url", "https://shop.example.evil.net/steal")
		}), "tr-TR,tr;q=0.9", http.StatusBadRequest, "tr", "Bu ödeme bağlantısı geçerli değil (return_url). Mağazadan yeni bir bağlantı isteyin."},
		{"bad currency, no locale, English browser", signed(func(p url.Values) { p.Del("locale"); p.Set("currency", "JPY") }), "en-GB",
			http.StatusBadRequest, "en", "This payment link is not valid (currency). Ask the shop for a new one."},
		{"bad signature, tr link", "/link?" + func() string {
			p := linkParams("L-1", "150.00")
			p.Set("locale", "tr")
			return p.Encode()
		}(), "en", http.StatusForbidden, "tr", "Bu ödeme bağlantısı geçerli değil. Mağazadan yeni bir bağlantı isteyin."},
		{"expired, en link", "/link?" + links.SignedQuery(testLinkSecret, linkParams("L-1", "150.00"), now.Add(-time.Minute)).Encode(), "tr",
			http.StatusForbidden, "en", "This payment link has expired. Ask the shop for a new one."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path, "Accept-Language", tc.acceptLanguage)
			require.Equal(t, tc.status, r.status, r.body)
			doc := r.doc(t)
			assert.Equal(t, tc.wantLang, doc.Find("html").AttrOr("lang", ""))
			assert.Contains(t, doc.Find("body").Text(), tc.wantMessage)
			for _, english := range []string{"must be", "must start with", "allowed return URL prefixes"} {
				assert.NotContains(t, r.body, english, "no developer message on a buyer's page")
			}
		})
	}
	assert.Empty(t, e.ordersByReference("L-1"), "no refused link created an order")
}

// A signed link is held to the same return URL rule as the API.
func TestLinkReturnURLPrefix(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://shop.example/thanks", true},
		{"https://shop.example.evil.net/steal", false},
		{"https://shop.example@evil.net/steal", false},
		{"https://SHOP.EXAMPLE/thanks", true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			p := linkParams("L-"+tc.url, "10.00")
			p.Set("return_url", tc.url)
			r := e.get(e.link(p, e.clock.Now().Add(time.Hour)))
			if tc.ok {
				require.Equal(t, http.StatusSeeOther, r.status, r.body)
				assert.True(t, strings.HasPrefix(r.location(), "/pay/"), r.location())
				return
			}
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			assert.Contains(t, r.body, "(return_url)")
		})
	}
}
