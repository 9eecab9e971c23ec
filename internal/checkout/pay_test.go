package checkout_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPayPageForm(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(`{"reference":"R-1","amount":"1234.50","currency":"TRY","description":"Books","installments":[1,3,12]}`)
	r := e.get("/pay/"+o["id"].(string), "Accept-Language", "en-US,en;q=0.9")
	require.Equal(t, http.StatusOK, r.status, r.body)
	d := r.doc(t)

	form := d.Find("#card-form")
	method, _ := form.Attr("method")
	assert.Equal(t, "post", strings.ToLower(method))
	for name, auto := range map[string]string{
		"card_holder": "cc-name", "card_number": "cc-number", "exp_month": "cc-exp-month",
		"exp_year": "cc-exp-year", "cvc": "cc-csc",
	} {
		field := form.Find(`[name="` + name + `"]`)
		require.Equal(t, 1, field.Length(), name)
		got, _ := field.Attr("autocomplete")
		assert.Equal(t, auto, got, name)
		id, _ := field.Attr("id")
		assert.Equal(t, 1, d.Find(`label[for="`+id+`"]`).Length(), "label for %s", name)
	}
	inputmode, _ := form.Find("#card_number").Attr("inputmode")
	assert.Equal(t, "numeric", inputmode)
	token, _ := form.Find(`input[name="form_token"]`).Attr("value")
	assert.NotEmpty(t, token)
	assert.Contains(t, d.Text(), "TRY 1,234.50")
	// 12 is not among the merchant's installments (1, 2, 3, 6).
	var counts []string
	form.Find(`[name="installments"] option`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		counts = append(counts, v)
	})
	assert.Equal(t, []string{"1", "3"}, counts)

	csp := r.header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "form-action 'self' "+e.bankURL)
	assert.Contains(t, csp, "frame-ancestors "+shopOrigin)
	assert.Contains(t, csp, "script-src 'self'")
	assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
	assert.Equal(t, "same-origin", r.header.Get("Referrer-Policy"))
	assert.Empty(t, r.header.Get("Strict-Transport-Security"))
}

func TestPayPageLocaleAndAmount(t *testing.T) {
	e := newEnv(t)
	plain := e.createOrder(`{"reference":"R-1","amount":"1234.50","currency":"TRY"}`)["id"].(string)
	en := e.createOrder(`{"reference":"R-2","amount":"1234.50","currency":"TRY","locale":"en"}`)["id"].(string)
	usd := e.createOrder(`{"reference":"R-3","amount":"99.90","currency":"USD","locale":"tr"}`)["id"].(string)
	big := e.createOrder(`{"reference":"R-4","amount":"1234567","currency":"EUR"}`)["id"].(string)
	cases := []struct {
		name, id, acceptLanguage, lang, amount string
	}{
		{"default Turkish", plain, "", "tr", "1.234,50 TL"},
		{"from Accept-Language", plain, "de-DE, en;q=0.8", "en", "TRY 1,234.50"},
		{"order locale wins", en, "tr-TR", "en", "TRY 1,234.50"},
		{"foreign currency", usd, "en", "tr", "99,90 USD"},
		{"millions in Turkish", big, "", "tr", "1.234.567,00 EUR"},
		{"millions in English", big, "en", "en", "EUR 1,234,567.00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get("/pay/"+tc.id, "Accept-Language", tc.acceptLanguage)
			require.Equal(t, http.StatusOK, r.status)
			d := r.doc(t)
			lang, _ := d.Find("html").Attr("lang")
			assert.Equal(t, tc.lang, lang)
			assert.Contains(t, d.Text(), tc.amount)
		})
	}
	// No installment choice in foreign currency.
	d := e.get("/pay/" + usd).doc(t)
	assert.Equal(t, 0, d.Find(`select[name="installments"]`).Length())
}

func TestPayPageUnknownOrder(t *testing.T) {
	e := newEnv(t)
	r := e.get("/pay/ord_doesnotexist")
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, 0, r.doc(t).Find("#card-form").Length())
}

func TestPayPageExpired(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1", `"expires_in":"10m"`))["id"].(string)
	e.clock.Add(11 * time.Minute)
	r := e.get("/pay/" + id)
	assert.Equal(t, http.StatusGone, r.status)
	assert.Equal(t, 0, r.doc(t).Find("#card-form").Length())

	// A form opened before expiry is refused after it.
	e2 := newEnv(t)
	id = e2.createOrder(orderBody("R-1", `"expires_in":"10m"`))["id"].(string)
	token, action := e2.payForm("/pay/" + id)
	e2.clock.Add(11 * time.Minute)
	p := e2.postForm(action, cardValues(successCard, token))
	assert.Equal(t, http.StatusGone, p.status)
	assert.Equal(t, 0, p.doc(t).Find("#card-form").Length())
	o := e2.order(id)
	assert.Equal(t, "expired", o["status"], "the API shows an open order past its expiry as expired")
	assert.Empty(t, o["attempts"])
}

func TestPaySubmitRefusesForeignPosts(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	token, action := e.payForm("/pay/" + id)

	bad := e.postForm(action, cardValues(successCard, "0000"))
	assert.Equal(t, http.StatusForbidden, bad.status)
	missing := e.postForm(action, cardValues(successCard, ""))
	assert.Equal(t, http.StatusForbidden, missing.status)
	cross := e.postForm(action, cardValues(successCard, token), "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, cross.status)

	o := e.order(id)
	assert.Equal(t, "open", o["status"])
	assert.Empty(t, o["attempts"])
}

func TestPaySubmitValidation(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1", `"installments":[1,3]`, `"locale":"en"`))["id"].(string)
	now := e.clock.Now().In(time.FixedZone("TRT", 3*3600))
	lastMonth := now.AddDate(0, -1, 0)
	cases := []struct {
		name  string
		edit  func(url.Values)
		field string
	}{
		{"holder empty", func(v url.Values) { v.Set("card_holder", "  ") }, "card_holder"},
		{"number too short", func(v url.Values) { v.Set("card_number", "41834411") }, "card_number"},
		{"number not Luhn", func(v url.Values) { v.Set("card_number", "4183441122223338") }, "card_number"},
		{"number letters", func(v url.Values) { v.Set("card_number", "4183 4411 2222 333a") }, "card_number"},
		{"month 13", func(v url.Values) { v.Set("exp_month", "13") }, "exp_month"},
		{"year three digits", func(v url.Values) { v.Set("exp_year", "203") }, "exp_year"},
		{"expired last month", func(v url.Values) {
			v.Set("exp_month", lastMonth.Format("1"))
			v.Set("exp_year", lastMonth.Format("2006"))
		}, "exp_year"},
		{"cvc two digits", func(v url.Values) { v.Set("cvc", "12") }, "cvc"},
		{"amex needs four", func(v url.Values) { v.Set("card_number", "378282246310005"); v.Set("cvc", "123") }, "cvc"},
		{"installments not offered", func(v url.Values) { v.Set("installments", "6") }, "installments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.submitCard("/pay/"+id, successCard, func(v url.Values) {
				v.Set("cvc", "987")
				tc.edit(v)
			})
			require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
			d := r.doc(t)
			assert.NotEmpty(t, strings.TrimSpace(d.Find("#"+tc.field+"-error").Text()), "error shown for %s", tc.field)
			assert.NotEmpty(t, strings.TrimSpace(d.Find("#alert").Text()))
			// Neither the card number nor the CVC comes back in the page.
			assert.NotContains(t, r.body, successCard)
			assert.NotContains(t, r.body, "4183 4411")
			// The page's random form token may contain any digits: look past it.
			token, _ := d.Find(`#card-form input[name="form_token"]`).Attr("value")
			require.NotEmpty(t, token)
			assert.NotContains(t, strings.ReplaceAll(r.body, token, ""), "987")
			cvc, _ := d.Find("#cvc").Attr("value")
			assert.Empty(t, cvc)
			holder, _ := d.Find("#card_holder").Attr("value")
			if tc.field != "card_holder" {
				assert.Equal(t, "Ayşe Yılmaz", holder)
			}
		})
	}
	assert.Empty(t, e.order(id)["attempts"], "no attempt for an invalid card")
	assert.NotContains(t, e.logs.String(), successCard[6:12])
	// The field's name, as a key or a form pair; a bare "cvc" could be part of a random
	// request id (lowercase base32).
	assert.NotContains(t, e.logs.String(), `"cvc"`)
	assert.NotContains(t, e.logs.String(), "cvc=")
	assert.NotContains(t, e.logs.String(), "card_number")
}

func TestEmbedOrigin(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)

	ok := e.get("/pay/" + id + "?embed=1&origin=" + url.QueryEscape(shopOrigin))
	require.Equal(t, http.StatusOK, ok.status, ok.body)
	action, _ := ok.doc(t).Find("#card-form").Attr("action")
	u, err := url.Parse(action)
	require.NoError(t, err)
	assert.Equal(t, "1", u.Query().Get("embed"))
	assert.Equal(t, shopOrigin, u.Query().Get("origin"))
	assert.Contains(t, ok.header.Get("Content-Security-Policy"), "frame-ancestors "+shopOrigin)

	for _, q := range []string{"?embed=1", "?embed=1&origin=https://evil.example", "?embed=1&origin=" + url.QueryEscape(shopOrigin+"/")} {
		r := e.get("/pay/" + id + q)
		assert.Equal(t, http.StatusBadRequest, r.status, q)
		assert.Equal(t, 0, r.doc(t).Find("#card-form").Length())
	}

	// A merchant with no embedding origins may not be framed at all.
	other := e.api(http.MethodPost, "/api/v1/orders", orderBody("O-1"), "Authorization", "Bearer "+otherAPIKey)
	require.Equal(t, http.StatusCreated, other.status, other.body)
	r := e.get("/pay/" + other.json(t)["id"].(string))
	assert.Contains(t, r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
}
