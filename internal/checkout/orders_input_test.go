package checkout_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
)

func errorOf(t *testing.T, r response) map[string]any {
	t.Helper()
	body, ok := r.json(t)["error"].(map[string]any)
	require.True(t, ok, r.body)
	return body
}

func TestCreateOrderAmountCeiling(t *testing.T) {
	e := newEnv(t)
	subDealers := func(amount string) string {
		return `"commission_scenario":1,"sub_dealers":[{"dealer_id":166,"amount":"` + amount + `","dealer_commission_rate":"1"}]`
	}
	cases := []struct {
		name, amount string
		extra        []string
		wantField    string // "" = accepted
	}{
		{name: "twenty digits", amount: "99999999999999999999.99", wantField: "amount"},
		{name: "just above", amount: "100000000.00", wantField: "amount"},
		{name: "above, no decimals", amount: "100000000", wantField: "amount"},
		{name: "the ceiling", amount: "99999999.99"},
		{name: "sub-dealer above", amount: "10.00", extra: []string{subDealers("99999999999999999999.99")}, wantField: "sub_dealers[0].amount"},
		{name: "basket price above", amount: "10.00", extra: []string{`"basket":[{"name":"x","unit_price":"100000000.00","quantity":1}]`}, wantField: "basket[0].unit_price"},
		{name: "commission amount above", amount: "10.00", extra: []string{`"commission_scenario":1,"sub_dealers":[{"dealer_id":166,"amount":"10.00","dealer_commission_amount":"100000000.00"}]`}, wantField: "sub_dealers[0].dealer_commission_amount"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"reference":"C-` + strconv.Itoa(i) + `","amount":"` + tc.amount + `","currency":"TRY"`
			for _, x := range tc.extra {
				body += "," + x
			}
			body += "}"
			r := e.api(http.MethodPost, "/api/v1/orders", body)
			if tc.wantField == "" {
				require.Equal(t, http.StatusCreated, r.status, r.body)
				assert.Equal(t, tc.amount, r.json(t)["amount"])
				return
			}
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			eb := errorOf(t, r)
			assert.Equal(t, "amount_invalid", eb["code"])
			assert.Equal(t, tc.wantField, eb["field"])
			assert.Equal(t, tc.wantField+" must be at most 99999999.99", eb["message"])
		})
	}
}

func withReturnPrefixes(prefixes ...string) envOption {
	return func(o *checkout.Options) { o.Merchants[0].ReturnURLPrefixes = prefixes }
}

// return_url and cancel_url must be on the prefix's scheme and host, under its path on a
// "/" boundary. The same rule holds for both fields.
func TestReturnURLPrefixMatching(t *testing.T) {
	cases := []struct {
		name     string
		prefixes []string
		url      string
		ok       bool
	}{
		{"host prefix, path below", []string{"https://shop.example"}, "https://shop.example/thanks", true},
		{"host prefix, no path", []string{"https://shop.example"}, "https://shop.example", true},
		{"host prefix with slash", []string{"https://shop.example/"}, "https://shop.example/a/b?x=1#f", true},
		{"host is a longer name", []string{"https://shop.example"}, "https://shop.example.evil.net/steal", false},
		{"user info", []string{"https://shop.example"}, "https://shop.example@evil.net/steal", false},
		{"user info with matching host", []string{"https://shop.example"}, "https://evil@shop.example/x", false},
		{"host case ignored", []string{"https://shop.example"}, "https://SHOP.Example/thanks", true},
		{"scheme case ignored", []string{"https://shop.example"}, "HTTPS://shop.example/thanks", true},
		{"prefix case ignored", []string{"HTTPS://Shop.Example/Shop"}, "https://shop.example/Shop/x", true},
		{"path case kept", []string{"https://shop.example/shop"}, "https://shop.example/SHOP/x", false},
		{"other scheme", []string{"https://shop.example"}, "http://shop.example/thanks", false},
		{"other port", []string{"https://shop.example"}, "https://shop.example:8443/thanks", false},
		{"explicit default port is another host", []string{"https://shop.example"}, "https://shop.example:443/thanks", false},
		{"same port", []string{"http://localhost:8082"}, "http://localhost:8082/thanks", true},
		{"prefix port, none given", []string{"http://localhost:8082"}, "http://localhost/thanks", false},
		{"path exact", []string{"https://shop.example/shop"}, "https://shop.example/shop", true},
		{"path below", []string{"https://shop.example/shop"}, "https://shop.example/shop/x", true},
		{"path with query", []string{"https://shop.example/shop"}, "https://shop.example/shop?order=1", true},
		{"path not on a boundary", []string{"https://shop.example/shop"}, "https://shop.example/shopping", false},
		{"trailing slash prefix", []string{"https://shop.example/shop/"}, "https://shop.example/shop/x", true},
		{"trailing slash prefix, other path", []string{"https://shop.example/shop/"}, "https://shop.example/shopping", false},
		{"dot segments climb out", []string{"https://shop.example/shop"}, "https://shop.example/shop/../admin", false},
		{"encoded dot segments", []string{"https://shop.example/shop"}, "https://shop.example/shop/%2e%2e/admin", false},
		{"backslash", []string{"https://shop.example/shop"}, `https://shop.example/shop/..\admin`, false},
		{"second prefix matches", []string{"https://a.example/x", "https://shop.example/y"}, "https://shop.example/y/z", true},
		{"no prefixes", nil, "https://shop.example/thanks", false},
		{"javascript", []string{"https://shop.example"}, "javascript:alert(1)", false},
		{"relative", []string{"https://shop.example"}, "/thanks", false},
		{"scheme-relative", []string{"https://shop.example"}, "//shop.example/thanks", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withReturnPrefixes(tc.prefixes...))
			for _, field := range []string{"return_url", "cancel_url"} {
				url, err := json.Marshal(tc.url)
				require.NoError(t, err)
				r := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-"+field, `"`+field+`":`+string(url)))
				if tc.ok {
					require.Equal(t, http.StatusCreated, r.status, r.body)
					assert.Equal(t, tc.url, r.json(t)[field])
					continue
				}
				require.Equal(t, http.StatusBadRequest, r.status, "%s %s: %s", field, tc.url, r.body)
				eb := errorOf(t, r)
				assert.Equal(t, field+"_invalid", eb["code"])
				assert.Equal(t, field, eb["field"])
			}
		})
	}
}

// A request refused by the input checks does not use up its Idempotency-Key: the
// merchant fixes the body and retries with the same key.
func TestIdempotencyKeyNotSpentOnInputErrors(t *testing.T) {
	e := newEnv(t)
	bad := e.api(http.MethodPost, "/api/v1/orders", `{"reference":"R-1","amount":150.00,"currency":"TRY"}`, "Idempotency-Key", "k-fix")
	require.Equal(t, http.StatusBadRequest, bad.status, bad.body)
	assert.Equal(t, "amount_invalid", errorOf(t, bad)["code"])

	unknown := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1", `"colour":"red"`), "Idempotency-Key", "k-fix")
	require.Equal(t, http.StatusBadRequest, unknown.status, unknown.body)
	assert.Equal(t, "unknown_field", errorOf(t, unknown)["code"])

	fixed := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1"), "Idempotency-Key", "k-fix")
	require.Equal(t, http.StatusCreated, fixed.status, fixed.body)

	again := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1"), "Idempotency-Key", "k-fix")
	require.Equal(t, http.StatusCreated, again.status, again.body)
	assert.JSONEq(t, fixed.body, again.body, "the executed request's answer is kept")

	// Once an answer is stored, the key is bound to its body.
	other := e.api(http.MethodPost, "/api/v1/orders", `{"reference":"R-1","amount":"1.00","currency":"TRY"}`, "Idempotency-Key", "k-fix")
	require.Equal(t, http.StatusConflict, other.status, other.body)
	assert.Equal(t, "idempotency_key_reused", errorOf(t, other)["code"])
}

// An answer decided after validation, such as a duplicate reference, is stored like a 201:
// repeating the request gives the same answer even once the cause has gone.
func TestIdempotencyKeyStoresBusinessErrors(t *testing.T) {
	e := newEnv(t)
	e.createOrder(orderBody("R-1"))
	dup := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1"), "Idempotency-Key", "k-dup")
	require.Equal(t, http.StatusConflict, dup.status, dup.body)
	assert.Equal(t, "duplicate_reference", errorOf(t, dup)["code"])

	again := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1"), "Idempotency-Key", "k-dup")
	assert.Equal(t, http.StatusConflict, again.status)
	assert.JSONEq(t, dup.body, again.body)
}

// The same JSON with other whitespace is the same request.
func TestIdempotencyKeyIgnoresWhitespace(t *testing.T) {
	e := newEnv(t)
	compact := `{"reference":"R-1","amount":"150.00","currency":"TRY","installments":[1,3],"buyer":{"name":"Ayşe"}}`
	pretty := "{\n  \"reference\": \"R-1\",\n  \"amount\": \"150.00\",\n\t\"currency\" : \"TRY\",\n  \"installments\": [ 1, 3 ],\n  \"buyer\": { \"name\": \"Ayşe\" }\n}\n"

	first := e.api(http.MethodPost, "/api/v1/orders", compact, "Idempotency-Key", "k-ws")
	require.Equal(t, http.StatusCreated, first.status, first.body)
	second := e.api(http.MethodPost, "/api/v1/orders", pretty, "Idempotency-Key", "k-ws")
	require.Equal(t, http.StatusCreated, second.status, second.body)
	assert.JSONEq(t, first.body, second.body, "a repeat gets the first answer, with the same order")

	// Whitespace inside a string is content, not formatting.
	changed := e.api(http.MethodPost, "/api/v1/orders",
		`{"reference":"R-1","amount":"150.00","currency":"TRY","installments":[1,3],"buyer":{"name":"Ayşe "}}`,
		"Idempotency-Key", "k-ws")
	assert.Equal(t, http.StatusConflict, changed.status, changed.body)
}
