package checkout_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
)

func attempts(o map[string]any) []map[string]any {
	var out []map[string]any
	for _, a := range o["attempts"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

func resultStatus(t *testing.T, r response) (status, heading string) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, r.body)
	d := r.doc(t)
	status, _ = d.Find("#result").Attr("data-status")
	return status, strings.TrimSpace(d.Find("#result-heading").Text())
}

func TestPayFlowSuccess(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("R-1", `"return_url":"https://shop.example/thanks?x=1"`, `"locale":"en"`, `"installments":[1,3]`))
	id := o["id"].(string)

	token, action := e.payForm("/pay/" + id)
	form := cardValues("4183 4411 2222 3339", token)
	form.Set("installments", "3")
	r := e.postForm(action, form, "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.True(t, strings.HasPrefix(r.location(), e.bankURL+"/"), r.location())

	// While the buyer is at the bank, the page says so and no second attempt starts: a
	// second post joins the bank session already open.
	busy := e.get("/pay/" + id)
	assert.Equal(t, http.StatusConflict, busy.status)
	assert.Equal(t, 0, busy.doc(t).Find("#card-form").Length())
	second := e.postForm(action, cardValues(successCard, token))
	assert.Equal(t, http.StatusSeeOther, second.status)
	assert.Equal(t, r.location(), second.location())
	assert.Len(t, attempts(e.order(id)), 1)

	target, fields := e.bankReturn(r.location(), sandbox.DemoOTP)
	assert.True(t, strings.HasPrefix(target, e.url+"/pay/"+id+"/return/att_"), target)
	ret := e.postForm(target, fields, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusSeeOther, ret.status, ret.body)
	assert.True(t, strings.HasPrefix(ret.location(), "/pay/"+id+"/result/att_"), ret.location())

	res := e.get(ret.location())
	status, heading := resultStatus(t, res)
	assert.Equal(t, "paid", status)
	assert.Equal(t, "Payment successful", heading)
	cont, _ := res.doc(t).Find("#result").Attr("data-continue-url")
	u, err := url.Parse(cont)
	require.NoError(t, err)
	assert.Equal(t, "shop.example", u.Host)
	assert.Equal(t, url.Values{"x": {"1"}, "order": {id}, "status": {"paid"}}, u.Query())

	got := e.order(id)
	assert.Equal(t, "paid", got["status"])
	as := attempts(got)
	require.Len(t, as, 1)
	assert.Equal(t, "succeeded", as[0]["status"])
	assert.Equal(t, 3.0, as[0]["installments"])
	assert.Equal(t, map[string]any{"first6": "418344", "last4": "3339", "brand": "visa"}, as[0]["card"])
	raw := e.api(http.MethodGet, "/api/v1/orders/"+id, "").body
	assert.NotContains(t, strings.ToLower(raw), "codeforhash")
	assert.NotContains(t, strings.ToLower(raw), "code_for_hash")

	// A paid order shows that it is paid and takes no more cards.
	paid := e.get("/pay/" + id)
	assert.Equal(t, http.StatusOK, paid.status)
	assert.Equal(t, 0, paid.doc(t).Find("#card-form").Length())
	assert.Contains(t, paid.body, "paid")
	again := e.postForm(action, cardValues(successCard, token), "Sec-Fetch-Site", "same-origin")
	assert.Equal(t, http.StatusConflict, again.status)
	assert.Len(t, attempts(e.order(id)), 1)

	logs := e.logs.String()
	assert.NotContains(t, logs, successCard)
	assert.NotContains(t, logs, "4183 4411")
	assert.NotContains(t, logs, "hashValue")
	assert.NotContains(t, logs, "?")
}

func TestPayFlowThreeDFailThenRetry(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1", `"locale":"en"`))["id"].(string)

	res := e.pay("/pay/"+id, failCard, sandbox.DemoOTP)
	status, heading := resultStatus(t, res)
	assert.Equal(t, "open", status)
	assert.Equal(t, "Payment failed", heading)
	retry, ok := res.doc(t).Find("#retry").Attr("href")
	require.True(t, ok, res.body)
	assert.Equal(t, "/pay/"+id, retry)
	_, cont := res.doc(t).Find("#result").Attr("data-continue-url")
	assert.False(t, cont, "a buyer who may retry is not sent away")

	o := e.order(id)
	assert.Equal(t, "open", o["status"])
	require.Len(t, attempts(o), 1)
	assert.Equal(t, "failed", attempts(o)[0]["status"])
	assert.Equal(t, sandbox.BankCodeThreeDFailed, attempts(o)[0]["result_code"])

	res = e.pay(retry, successCard, sandbox.DemoOTP)
	status, _ = resultStatus(t, res)
	assert.Equal(t, "paid", status)
	o = e.order(id)
	assert.Equal(t, "paid", o["status"])
	assert.Len(t, attempts(o), 2)
}

func TestPayFlowWrongOTP(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	status, _ := resultStatus(t, e.pay("/pay/"+id, successCard, "000000"))
	assert.Equal(t, "open", status)
	assert.Equal(t, "failed", attempts(e.order(id))[0]["status"])
}

func TestPayFlowManualCapture(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1", `"capture":"manual"`, `"locale":"en"`))["id"].(string)
	status, heading := resultStatus(t, e.pay("/pay/"+id, successCard, sandbox.DemoOTP))
	assert.Equal(t, "authorized", status)
	assert.Equal(t, "Payment authorized", heading)
	assert.Equal(t, "authorized", e.order(id)["status"])
}

// startAtBank posts a good card and plays the bank, returning the return form unsent.
func (e *env) startAtBank(id, card string) (string, url.Values) {
	e.t.Helper()
	r := e.submitCard("/pay/"+id, card)
	require.Equal(e.t, http.StatusSeeOther, r.status, r.body)
	return e.bankReturn(r.location(), sandbox.DemoOTP)
}

func TestReturnWithInvalidHashChangesNothing(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1", `"locale":"en"`))["id"].(string)
	target, fields := e.startAtBank(id, successCard)

	for _, hash := range []string{"", "00", strings.Repeat("a", 64), strings.ToUpper(fields.Get("hashValue")) + "x"} {
		forged := url.Values{}
		for k, v := range fields {
			forged[k] = v
		}
		forged.Set("hashValue", hash)
		r := e.postForm(target, forged)
		require.Equal(t, http.StatusSeeOther, r.status)
		status, heading := resultStatus(t, e.get(r.location()))
		assert.Equal(t, "processing", status)
		assert.Equal(t, "We are confirming your payment", heading)
	}
	o := e.order(id)
	assert.Equal(t, "processing", o["status"])
	assert.Equal(t, "redirected", attempts(o)[0]["status"])
	assert.Contains(t, e.logs.String(), "invalid hash")

	// The genuine return still counts afterwards, also as a GET query.
	r := e.get(target + "?" + fields.Encode())
	require.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, "paid", e.order(id)["status"])
}

func TestReturnReplayedAndConcurrent(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	target, fields := e.startAtBank(id, successCard)

	var wg sync.WaitGroup
	results := make([]response, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.postForm(target, fields)
		}()
	}
	wg.Wait()
	for _, r := range results {
		assert.Equal(t, http.StatusSeeOther, r.status)
		assert.Equal(t, results[0].location(), r.location())
	}
	assert.Equal(t, 1, strings.Count(e.logs.String(), "payment outcome recorded"), "recorded exactly once")

	// A late replay shows the recorded result and changes nothing.
	replay := e.postForm(target, fields)
	require.Equal(t, http.StatusSeeOther, replay.status)
	status, _ := resultStatus(t, e.get(replay.location()))
	assert.Equal(t, "paid", status)
	o := e.order(id)
	assert.Equal(t, "paid", o["status"])
	require.Len(t, attempts(o), 1)
	assert.Equal(t, "succeeded", attempts(o)[0]["status"])
}

func TestReturnForAnotherOrderIsNotFound(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	other := e.createOrder(orderBody("R-2"))["id"].(string)
	target, fields := e.startAtBank(id, successCard)
	wrong := strings.Replace(target, "/pay/"+id+"/", "/pay/"+other+"/", 1)
	r := e.postForm(wrong, fields)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, http.StatusNotFound, e.get(e.url+"/pay/"+id+"/result/att_nope").status)
	assert.Equal(t, "processing", e.order(id)["status"])
}

func TestPaySubmitMokaRefusesCard(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1", `"locale":"en"`))["id"].(string)
	r := e.submitCard("/pay/"+id, invalidCard)
	require.Equal(t, http.StatusPaymentRequired, r.status, r.body)
	d := r.doc(t)
	assert.Equal(t, 1, d.Find("#card-form").Length())
	assert.Contains(t, d.Find("#alert").Text(), "declined")
	assert.NotContains(t, r.body, invalidCard)

	o := e.order(id)
	assert.Equal(t, "open", o["status"])
	require.Len(t, attempts(o), 1)
	assert.Equal(t, "failed", attempts(o)[0]["status"])
	assert.Equal(t, sandbox.CodeInvalidCardInfo, attempts(o)[0]["result_code"])
	assert.NotContains(t, e.logs.String(), invalidCard)
}

func TestPaySubmitMokaUnavailable(t *testing.T) {
	cases := []struct {
		name  string
		fault sandbox.Fault
	}{
		{"HTTP 500", sandbox.Fault{Status500: true}},
		{"malformed JSON", sandbox.Fault{Malformed: true}},
		{"timeout", sandbox.Fault{Latency: 2 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *checkout.Options) { o.MokaTimeout = 300 * time.Millisecond })
			id := e.createOrder(orderBody("R-1", `"locale":"en"`))["id"].(string)
			e.bank.SetFault(tc.fault)
			r := e.submitCard("/pay/"+id, successCard)
			require.Equal(t, http.StatusBadGateway, r.status, r.body)
			assert.Contains(t, r.doc(t).Find("#alert").Text(), "not answering")
			o := e.order(id)
			assert.Equal(t, "open", o["status"])
			assert.Equal(t, "failed", attempts(o)[0]["status"])

			e.bank.SetFault(sandbox.Fault{})
			status, _ := resultStatus(t, e.pay("/pay/"+id, successCard, sandbox.DemoOTP))
			assert.Equal(t, "paid", status, "the buyer can pay once Moka is back")
		})
	}
}

func TestPayFlowEmbedded(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	page := "/pay/" + id + "?embed=1&origin=" + url.QueryEscape(shopOrigin)
	res := e.pay(page, failCard, sandbox.DemoOTP)
	d := res.doc(t)
	origin, _ := d.Find("html").Attr("data-parent-origin")
	assert.Equal(t, shopOrigin, origin)
	assert.Contains(t, res.header.Get("Content-Security-Policy"), "frame-ancestors "+shopOrigin)
	retry, _ := d.Find("#retry").Attr("href")
	u, err := url.Parse(retry)
	require.NoError(t, err)
	assert.Equal(t, shopOrigin, u.Query().Get("origin"), "retry stays in the iframe")

	res = e.pay(retry, successCard, sandbox.DemoOTP)
	status, _ := resultStatus(t, res)
	assert.Equal(t, "paid", status)
	origin, _ = res.doc(t).Find("html").Attr("data-parent-origin")
	assert.Equal(t, shopOrigin, origin)
}

func TestPayFlowMarketplace(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(`{"reference":"M-1","amount":"100.00","currency":"TRY","commission_scenario":1,"pool":true,
		"sub_dealers":[{"dealer_id":166,"amount":"60.00","dealer_commission_rate":"2.5"},
		{"dealer_id":167,"amount":"40.00","dealer_commission_rate":"2.5"}]}`)["id"].(string)
	status, _ := resultStatus(t, e.pay("/pay/"+id, successCard, sandbox.DemoOTP))
	assert.Equal(t, "paid", status)
	o := e.order(id)
	assert.Equal(t, "paid", o["status"])
	subs := o["sub_dealers"].([]any)
	require.Len(t, subs, 2)
	assert.Equal(t, "60.00", subs[0].(map[string]any)["amount"])
}

func TestAttemptsExhausted(t *testing.T) {
	e := newEnv(t, func(o *checkout.Options) { o.MaxAttempts = 2 })
	id := e.createOrder(orderBody("R-1", `"locale":"en"`))["id"].(string)
	status, _ := resultStatus(t, e.pay("/pay/"+id, failCard, sandbox.DemoOTP))
	assert.Equal(t, "open", status)
	res := e.pay("/pay/"+id, failCard, sandbox.DemoOTP)
	status, _ = resultStatus(t, res)
	assert.Equal(t, "canceled", status)
	assert.Equal(t, 0, res.doc(t).Find("#retry").Length(), "no retry once attempts are used up")

	page := e.get("/pay/" + id)
	assert.Equal(t, http.StatusGone, page.status)
	assert.Contains(t, page.body, "Too many payment attempts")
}

func TestTwoDigitExpiryYear(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	r := e.submitCard("/pay/"+id, successCard, func(v url.Values) { v.Set("exp_year", "30"); v.Set("exp_month", "1") })
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
}
