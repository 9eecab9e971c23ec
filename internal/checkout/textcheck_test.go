package checkout_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOrderTextsRefuseHiddenCharacters: control characters, bidi overrides, zero-width
// characters and invalid UTF-8 are refused, naming the field, and nothing is created.
func TestOrderTextsRefuseHiddenCharacters(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ name, body, field string }{
		{"NUL in reference", `{"reference":"A\u0000B","amount":"1.00","currency":"TRY"}`, "reference"},
		{"ESC in description", `{"reference":"T-1","amount":"1.00","currency":"TRY","description":"x\u001b[31m"}`, "description"},
		{"bidi override in buyer name", `{"reference":"T-2","amount":"1.00","currency":"TRY","buyer":{"name":"Ali \u202eilA"}}`, "buyer.name"},
		{"zero-width space in reference", `{"reference":"T\u200b3","amount":"1.00","currency":"TRY"}`, "reference"},
		{"zero-width joiner in basket name", `{"reference":"T-4","amount":"1.00","currency":"TRY","basket":[{"name":"a\u200db","unit_price":"1.00","quantity":1}]}`, "basket[0].name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api(http.MethodPost, "/api/v1/orders", tc.body)
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			assert.Equal(t, tc.field, errorOf(t, r)["field"], r.body)
		})
	}
	r := e.api(http.MethodPost, "/api/v1/orders", "{\"reference\":\"T-5\",\"amount\":\"1.00\",\"currency\":\"TRY\",\"description\":\"\xff\"}")
	require.Equal(t, http.StatusBadRequest, r.status, "invalid UTF-8: %s", r.body)
	assert.Equal(t, "invalid_json", errorOf(t, r)["code"])
	list := e.api(http.MethodGet, "/api/v1/orders", "")
	assert.Equal(t, 0, len(list.json(t)["data"].([]any)), "nothing was created")
	// Turkish letters and emoji are text like any other.
	r = e.api(http.MethodPost, "/api/v1/orders", `{"reference":"ŞİĞ-1","amount":"1.00","currency":"TRY","description":"Çay 🍵"}`)
	assert.Equal(t, http.StatusCreated, r.status, r.body)
}

// TestDuplicateKeysRefused: "amount" and "AMOUNT" in one object are refused rather than
// the last one winning.
func TestDuplicateKeysRefused(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"reference":"D-1","amount":"1.00","AMOUNT":"999.00","currency":"TRY"}`,
		`{"reference":"D-2","amount":"1.00","currency":"TRY","amount":"2.00"}`,
		`{"reference":"D-3","amount":"3.00","currency":"TRY","commission_scenario":1,"sub_dealers":[{"dealer_id":166,"amount":"3.00","Amount":"1.00","dealer_commission_rate":"2"}]}`,
	} {
		r := e.api(http.MethodPost, "/api/v1/orders", body)
		require.Equal(t, http.StatusBadRequest, r.status, r.body)
		assert.Equal(t, "invalid_json", errorOf(t, r)["code"])
	}
	// The same key in two different objects is fine.
	r := e.api(http.MethodPost, "/api/v1/orders", `{"reference":"D-4","amount":"2.00","currency":"TRY","basket":[{"name":"a","unit_price":"1.00","quantity":1},{"name":"b","unit_price":"1.00","quantity":1}]}`)
	assert.Equal(t, http.StatusCreated, r.status, r.body)
}

// TestSubDealersCapped: an order names at most MaxSubDealers sub-dealers.
func TestSubDealersCapped(t *testing.T) {
	e := newEnv(t)
	var parts []string
	for i := range 51 {
		parts = append(parts, `{"dealer_id":`+strconv.Itoa(1000+i)+`,"amount":"1.00","dealer_commission_rate":"2"}`)
	}
	body := `{"reference":"CAP-SD","amount":"51.00","currency":"TRY","commission_scenario":1,"sub_dealers":[` + strings.Join(parts, ",") + `]}`
	r := e.api(http.MethodPost, "/api/v1/orders", body)
	require.Equal(t, http.StatusBadRequest, r.status, r.body)
	assert.Equal(t, "sub_dealers", errorOf(t, r)["field"])
}

// TestCardHolderWithHiddenCharactersIsRefused: a bidi override in the name on the card
// is refused and not echoed.
func TestCardHolderWithHiddenCharactersIsRefused(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("HOLD-1"))
	r := e.submitCard("/pay/"+o["id"].(string), successCard, func(v url.Values) { v.Set("card_holder", "Ali \u202eilA") })
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.NotContains(t, r.body, "\u202e")
}
