package checkout_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateOrder(t *testing.T) {
	e := newEnv(t)
	before := e.clock.Now()
	o := e.createOrder(`{"reference":"R-1","amount":"1234.5","currency":"TRY","description":"Books",
		"installments":[3,1,3],"capture":"manual","return_url":"https://shop.example/thanks","locale":"en",
		"expires_in":"30m","buyer":{"name":"Ayşe","email":"a@example.com"},
		"basket":[{"product_code":"B1","name":"Book","unit_price":"617.25","quantity":2}]}`)

	id, _ := o["id"].(string)
	require.NotEmpty(t, id)
	assert.Equal(t, "open", o["status"])
	assert.Equal(t, "1234.50", o["amount"], "money is a string with two decimals")
	assert.Equal(t, e.url+"/pay/"+id, o["checkout_url"])
	assert.Equal(t, []any{1.0, 3.0}, o["installments"])
	assert.Equal(t, "manual", o["capture"])
	exp, err := time.Parse(time.RFC3339Nano, o["expires_at"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, before.Add(30*time.Minute), exp, time.Second)
	basket := o["basket"].([]any)[0].(map[string]any)
	assert.Equal(t, "617.25", basket["unit_price"])
	assert.NotContains(t, strings.ToLower(e.api(http.MethodGet, "/api/v1/orders/"+id, "").body), "form_token")

	byRef := e.ordersByReference("R-1")
	require.Len(t, byRef, 1)
	assert.Equal(t, id, byRef[0]["id"])
}

func TestCreateOrderRejects(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, body, code, field string
	}{
		{"amount as JSON number", `{"reference":"A","amount":150.00,"currency":"TRY"}`, "amount_invalid", "amount"},
		{"three decimals", `{"reference":"A","amount":"1.005","currency":"TRY"}`, "amount_invalid", "amount"},
		{"zero", `{"reference":"A","amount":"0.00","currency":"TRY"}`, "amount_invalid", "amount"},
		{"negative", `{"reference":"A","amount":"-5.00","currency":"TRY"}`, "amount_invalid", "amount"},
		{"amount missing", `{"reference":"A","currency":"TRY"}`, "amount_invalid", "amount"},
		{"unknown currency", `{"reference":"A","amount":"10.00","currency":"JPY"}`, "currency_invalid", "currency"},
		{"installments for USD", `{"reference":"A","amount":"10.00","currency":"USD","installments":[1,3]}`, "installments_invalid", "installments[1]"},
		{"installment 13", `{"reference":"A","amount":"10.00","currency":"TRY","installments":[13]}`, "installments_invalid", "installments[0]"},
		{"unknown field", `{"reference":"A","amount":"10.00","currency":"TRY","colour":"red"}`, "unknown_field", "colour"},
		{"no reference", `{"amount":"10.00","currency":"TRY"}`, "reference_invalid", "reference"},
		{"long reference", `{"reference":"` + strings.Repeat("r", 65) + `","amount":"10.00","currency":"TRY"}`, "reference_invalid", "reference"},
		{"long description", `{"reference":"A","amount":"10.00","currency":"TRY","description":"` + strings.Repeat("d", 201) + `"}`, "description_invalid", "description"},
		{"capture", `{"reference":"A","amount":"10.00","currency":"TRY","capture":"later"}`, "capture_invalid", "capture"},
		{"locale", `{"reference":"A","amount":"10.00","currency":"TRY","locale":"de"}`, "locale_invalid", "locale"},
		{"expires_in too short", `{"reference":"A","amount":"10.00","currency":"TRY","expires_in":"30s"}`, "expires_in_invalid", "expires_in"},
		{"expires_in not a duration", `{"reference":"A","amount":"10.00","currency":"TRY","expires_in":"tomorrow"}`, "expires_in_invalid", "expires_in"},
		{"return_url elsewhere", `{"reference":"A","amount":"10.00","currency":"TRY","return_url":"https://evil.example/x"}`, "return_url_invalid", "return_url"},
		{"cancel_url elsewhere", `{"reference":"A","amount":"10.00","currency":"TRY","cancel_url":"javascript:alert(1)"}`, "cancel_url_invalid", "cancel_url"},
		{"scenario without sub-dealers", `{"reference":"A","amount":"10.00","currency":"TRY","commission_scenario":1}`, "commission_scenario_invalid", "commission_scenario"},
		{"sub-dealers without scenario", `{"reference":"A","amount":"10.00","currency":"TRY","sub_dealers":[{"dealer_id":166,"amount":"10.00"}]}`, "commission_scenario_invalid", "commission_scenario"},
		{"sub-dealer amount as number", `{"reference":"A","amount":"10.00","currency":"TRY","commission_scenario":1,
			"sub_dealers":[{"dealer_id":166,"amount":"5.00","dealer_commission_rate":"1"},{"dealer_id":167,"amount":5}]}`, "amount_invalid", "sub_dealers[1].amount"},
		{"basket price as number", `{"reference":"A","amount":"10.00","currency":"TRY","basket":[{"unit_price":10,"quantity":1}]}`, "amount_invalid", "basket[0].unit_price"},
		{"not JSON", `{"reference":`, "invalid_json", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api(http.MethodPost, "/api/v1/orders", tc.body)
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			body := r.json(t)["error"].(map[string]any)
			assert.Equal(t, tc.code, body["code"], r.body)
			if tc.field != "" {
				assert.Equal(t, tc.field, body["field"], r.body)
			}
			assert.NotEmpty(t, body["message"])
		})
	}
	// Nothing was created by any refused request.
	assert.Empty(t, e.ordersByReference("A"))
}

func TestAPIAuth(t *testing.T) {
	e := newEnv(t)
	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Basic " + testAPIKey, testAPIKey} {
		r := e.api(http.MethodPost, "/api/v1/orders", orderBody("X"), "Authorization", auth)
		assert.Equal(t, http.StatusUnauthorized, r.status, auth)
		assert.Equal(t, "unauthorized", r.json(t)["error"].(map[string]any)["code"])
	}
}

func TestAPIOrderOfAnotherMerchantIsNotFound(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	r := e.api(http.MethodGet, "/api/v1/orders/"+id, "", "Authorization", "Bearer "+otherAPIKey)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "not_found", r.json(t)["error"].(map[string]any)["code"])
	assert.Empty(t, e.ordersByReference("R-1", "Authorization", "Bearer "+otherAPIKey))
	r = e.api(http.MethodGet, "/api/v1/orders/ord_nope", "")
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestCreateOrderDuplicateReference(t *testing.T) {
	e := newEnv(t)
	e.createOrder(orderBody("R-1"))
	r := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1"))
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Equal(t, "duplicate_reference", r.json(t)["error"].(map[string]any)["code"])
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	first := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1"), "Idempotency-Key", "k-1")
	require.Equal(t, http.StatusCreated, first.status, first.body)

	again := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1"), "Idempotency-Key", "k-1")
	assert.Equal(t, http.StatusCreated, again.status)
	assert.JSONEq(t, first.body, again.body, "a repeat gets the first answer")

	other := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-2"), "Idempotency-Key", "k-1")
	assert.Equal(t, http.StatusConflict, other.status)
	assert.Equal(t, "idempotency_key_reused", other.json(t)["error"].(map[string]any)["code"])

	// Racing repeats all get the one answer and create one order.
	var wg sync.WaitGroup
	answers := make([]response, 5)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = e.api(http.MethodPost, "/api/v1/orders", orderBody("R-3"), "Idempotency-Key", "k-race")
		}()
	}
	wg.Wait()
	for _, a := range answers {
		assert.Equal(t, answers[0].status, a.status)
		assert.JSONEq(t, answers[0].body, a.body)
	}
	assert.Equal(t, http.StatusCreated, answers[0].status, answers[0].body)
}

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	r := e.get("/healthz")
	assert.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"status":"ok"}`, r.body)
}
