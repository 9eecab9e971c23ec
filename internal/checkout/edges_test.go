package checkout_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

func TestCreateOrderBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	big := `{"reference":"R-1","amount":"1.00","currency":"TRY","description":"` + strings.Repeat("x", 2<<20) + `"}`
	r := e.api(http.MethodPost, "/api/v1/orders", big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.status, r.body)
	assert.Equal(t, "body_too_large", r.json(t)["error"].(map[string]any)["code"])
	assert.Empty(t, e.ordersByReference("R-1"), "nothing stored")

	// Sent chunked, without a Content-Length, the limit trips while the body is read.
	req, err := http.NewRequest(http.MethodPost, e.url+"/api/v1/orders", io.MultiReader(strings.NewReader(big)))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	chunked := e.do(req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, chunked.status, chunked.body)
	assert.Equal(t, "body_too_large", chunked.json(t)["error"].(map[string]any)["code"])
}

func TestIdempotencyKeyTooLong(t *testing.T) {
	e := newEnv(t)
	r := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1"), "Idempotency-Key", strings.Repeat("k", 256))
	require.Equal(t, http.StatusBadRequest, r.status, r.body)
	got := r.json(t)["error"].(map[string]any)
	assert.Equal(t, "idempotency_key_invalid", got["code"])
	assert.Equal(t, "Idempotency-Key", got["field"])
	assert.Empty(t, e.ordersByReference("R-1"), "nothing stored")
}

func TestHealthzReportsABrokenDatabase(t *testing.T) {
	e := newEnv(t)
	assert.Equal(t, http.StatusOK, e.get("/healthz").status)
	require.NoError(t, e.store.Close())
	r := e.get("/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Contains(t, r.body, `"unavailable"`)
}

// A post to the return URL of an attempt that never got its bank URL (its Moka call is
// still running, or failed) cannot be verified: it changes nothing and shows the result page.
func TestReturnForAnAttemptThatNeverReachedTheBank(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	a := &orders.Attempt{}
	_, err := e.store.StartAttempt(context.Background(), id, a)
	require.NoError(t, err)

	r := e.postForm("/pay/"+id+"/return/"+a.ID, url.Values{"hashValue": {strings.Repeat("a", 64)}}, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/pay/"+id+"/result/"+a.ID, r.location())
	o := e.order(id)
	assert.Equal(t, "processing", o["status"])
	assert.Equal(t, "created", attempts(o)[0]["status"])
	assert.Contains(t, e.logs.String(), "never reached the bank")
}

func TestDeclinedCardInTurkish(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1", `"locale":"tr"`))["id"].(string)
	r := e.submitCard("/pay/"+id, invalidCard)
	require.Equal(t, http.StatusPaymentRequired, r.status, r.body)
	assert.Equal(t, "Kart reddedildi. Kart bilgilerini kontrol edin ya da başka bir kart kullanın.",
		strings.TrimSpace(r.doc(t).Find("#alert").Text()))
	assert.Equal(t, 1, r.doc(t).Find("#card-form").Length(), "the buyer can try again at once")
}
