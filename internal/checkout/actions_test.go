package checkout_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/reconcile"
)

// paidOrder creates an order from body and pays it through the card page and the bank.
func (e *env) paidOrder(body string) string {
	e.t.Helper()
	o := e.createOrder(body)
	id := o["id"].(string)
	res := e.pay("/pay/"+id, successCard, sandbox.DemoOTP)
	require.Equal(e.t, http.StatusOK, res.status, res.body)
	return id
}

// act posts one action of order id.
func (e *env) act(id, action, body string, header ...string) response {
	e.t.Helper()
	return e.api(http.MethodPost, "/api/v1/orders/"+id+"/"+action, body, header...)
}

// mokaClient is the shop's Moka client, straight to the sandbox.
func (e *env) mokaClient() *moka.Client {
	return moka.New(e.bankURL, moka.Credentials{DealerCode: sandbox.DemoDealerCode, Username: sandbox.DemoUsername, Password: sandbox.DemoPassword})
}

// detail is what the sandbox holds for an order's payment.
func (e *env) detail(id string) *moka.PaymentDetailResult {
	e.t.Helper()
	o, err := e.store.GetOrder(context.Background(), id)
	require.NoError(e.t, err)
	require.NotNil(e.t, o.Payment())
	d, err := e.mokaClient().PaymentDetail(context.Background(), moka.PaymentDetailRequest{OtherTrxCode: o.Payment().OtherTrxCode})
	require.NoError(e.t, err)
	return d
}

// reconcile runs one reconciliation pass on the env's clock.
func (e *env) reconcile() reconcile.Report {
	e.t.Helper()
	r := &reconcile.Reconciler{
		Store: e.store,
		Moka:  func(string) reconcile.Detailer { return e.mokaClient() },
		After: 15 * time.Minute,
		Now:   e.clock.Now,
		Log:   slog.New(slog.DiscardHandler),
	}
	rep, err := r.RunOnce(context.Background())
	require.NoError(e.t, err)
	return rep
}

func trxCount(d *moka.PaymentDetailResult, typ int64) int {
	n := 0
	for _, t := range d.PaymentTrxDetailList {
		if int64(t.TrxType) == typ && int64(t.TrxStatus) == moka.TrxStatusSuccess {
			n++
		}
	}
	return n
}

func eventTypes(t testing.TB, e *env, orderID string) []string {
	t.Helper()
	evs, err := e.store.ListEvents(context.Background(), "shop", 1000)
	require.NoError(t, err)
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].OrderID == orderID {
			out = append(out, evs[i].Type)
		}
	}
	return out
}

func TestCaptureManualOrderPartially(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("CAP-1", `"capture":"manual"`))
	require.Equal(t, "authorized", e.order(id)["status"])

	r := e.act(id, "capture", `{"amount":"100.00"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	ans := r.json(t)
	act := ans["action"].(map[string]any)
	assert.Equal(t, "capture", act["kind"])
	assert.Equal(t, "succeeded", act["status"])
	assert.Equal(t, "100.00", act["amount"])
	o := ans["order"].(map[string]any)
	assert.Equal(t, "paid", o["status"])
	assert.Equal(t, "100.00", o["paid_amount"])
	assert.Equal(t, "100.00", o["refundable_amount"])
	assert.NotEmpty(t, o["paid_at"])

	got := e.order(id)
	assert.Equal(t, "paid", got["status"])
	require.Len(t, got["captures"], 1)
	d := e.detail(id)
	assert.Equal(t, int64(moka.PaymentStatusPayment), int64(d.PaymentDetail.PaymentStatus))
	assert.Equal(t, "100", d.PaymentDetail.Amount.Decimal.String(), "Moka captured what we asked")
	assert.Contains(t, eventTypes(t, e, id), orders.EventOrderCaptured)

	r = e.act(id, "capture", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "invalid_transition", errorOf(t, r)["code"])
	assert.Equal(t, 1, trxCount(e.detail(id), moka.TrxTypePayment), "captured once")
}

func TestCaptureRefusalsChangeNothing(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("CAP-2", `"capture":"manual"`))
	auto := e.paidOrder(orderBody("CAP-3"))
	cases := []struct {
		name, order, body string
		status            int
		code, field       string
	}{
		{"more than authorised", id, `{"amount":"150.01"}`, http.StatusUnprocessableEntity, "amount_invalid", "amount"},
		{"amount as a number", id, `{"amount":100}`, http.StatusBadRequest, "amount_invalid", "amount"},
		{"three decimals", id, `{"amount":"1.001"}`, http.StatusBadRequest, "amount_invalid", "amount"},
		{"unknown field", id, `{"amont":"1.00"}`, http.StatusBadRequest, "unknown_field", "amont"},
		{"approve's field", id, `{"dealer_ids":[1]}`, http.StatusBadRequest, "unknown_field", "dealer_ids"},
		{"sub-dealers on a plain order", id, `{"sub_dealers":[{"dealer_id":166,"amount":"1.00"}]}`, http.StatusUnprocessableEntity, "sub_dealers_invalid", "sub_dealers"},
		{"not JSON", id, `amount=1`, http.StatusBadRequest, "invalid_json", ""},
		{"an auto-captured order", auto, ``, http.StatusConflict, "invalid_transition", "status"},
		{"no such order", "ord_nope", ``, http.StatusNotFound, "not_found", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.act(tc.order, "capture", tc.body)
			require.Equal(t, tc.status, r.status, r.body)
			er := errorOf(t, r)
			assert.Equal(t, tc.code, er["code"], r.body)
			if tc.field != "" {
				assert.Equal(t, tc.field, er["field"], r.body)
			}
			assert.NotEmpty(t, er["message"])
		})
	}
	// Another merchant's order is not found, and nothing changed for anyone.
	r := e.api(http.MethodPost, "/api/v1/orders/"+id+"/capture", "", "Authorization", "Bearer "+otherAPIKey)
	assert.Equal(t, http.StatusNotFound, r.status, r.body)
	got := e.order(id)
	assert.Equal(t, "authorized", got["status"])
	assert.Empty(t, got["captures"])
	assert.Equal(t, int64(moka.PaymentStatusPreAuth), int64(e.detail(id).PaymentDetail.PaymentStatus))
}

func TestCancelPaidOrderSameDayVoids(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("VOID-1"))
	r := e.act(id, "cancel", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	ans := r.json(t)
	assert.Equal(t, "void", ans["action"].(map[string]any)["kind"])
	o := ans["order"].(map[string]any)
	assert.Equal(t, "canceled", o["status"])
	assert.Equal(t, "voided", o["cancel_reason"])
	assert.Equal(t, int64(moka.PaymentStatusCancel), int64(e.detail(id).PaymentDetail.PaymentStatus))
	assert.Contains(t, eventTypes(t, e, id), orders.EventOrderCanceled)

	r = e.act(id, "cancel", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
	r = e.act(id, "refunds", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
}

func TestCancelAuthorizedOrderVoidsThePreAuthorisation(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("VOID-2", `"capture":"manual"`))
	r := e.act(id, "cancel", `{}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "canceled", e.order(id)["status"])
	r = e.act(id, "cancel", `{"amount":"1.00"}`)
	require.Equal(t, http.StatusBadRequest, r.status, r.body)
	assert.Equal(t, "unknown_field", errorOf(t, r)["code"])
}

func TestCancelAfterTheDayIsRefused(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("VOID-3"))
	e.clock.Add(25 * time.Hour)
	r := e.act(id, "cancel", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
	er := errorOf(t, r)
	assert.Equal(t, "void_window_closed", er["code"])
	assert.Contains(t, er["message"], "refund it instead")
	assert.Equal(t, "paid", e.order(id)["status"])
}

func TestRefundOnThePaymentDay(t *testing.T) {
	e := newEnv(t)
	// Paid at 10:00 Turkey time today: a full refund before 22:00 is a void.
	e.clock.t = istanbulToday(e.clock.Now(), 10)
	id := e.paidOrder(orderBody("REF-1"))

	r := e.act(id, "refunds", `{"amount":"50.00"}`)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	er := errorOf(t, r)
	assert.Equal(t, "refund_not_yet_possible", er["code"])
	tomorrow := istanbulToday(e.clock.Now(), 0).In(orders.Istanbul).AddDate(0, 0, 1).Format("2006-01-02")
	assert.Contains(t, er["message"], "possible from "+tomorrow+" 00:00", "says from when")
	assert.Equal(t, "paid", e.order(id)["status"])

	r = e.act(id, "refunds", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	ans := r.json(t)
	assert.Equal(t, "void", ans["action"].(map[string]any)["kind"], "a full refund on the day is a void")
	assert.Equal(t, "canceled", ans["order"].(map[string]any)["status"])
	assert.Equal(t, int64(moka.PaymentStatusCancel), int64(e.detail(id).PaymentDetail.PaymentStatus))
}

func TestRefundAfterTwentyTwoOnThePaymentDayWaits(t *testing.T) {
	e := newEnv(t)
	e.clock.t = istanbulToday(e.clock.Now(), 21).Add(50 * time.Minute)
	id := e.paidOrder(orderBody("REF-2"))
	e.clock.Add(20 * time.Minute) // 22:10 Turkey time
	r := e.act(id, "refunds", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "refund_not_yet_possible", errorOf(t, r)["code"])
	e.clock.Add(2 * time.Hour) // the next day
	r = e.act(id, "refunds", "")
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	assert.Equal(t, "refund", r.json(t)["action"].(map[string]any)["kind"])
}

// istanbulToday is hour:00 Turkey time on t's Turkish day.
func istanbulToday(t time.Time, hour int) time.Time {
	y, m, d := t.In(orders.Istanbul).Date()
	return time.Date(y, m, d, hour, 0, 0, 0, orders.Istanbul).UTC()
}

func TestRefundPartialThenFullFromTheNextDay(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("REF-3"))
	e.clock.Add(25 * time.Hour)

	r := e.act(id, "refunds", `{"amount":"50.00"}`)
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	act := r.json(t)["action"].(map[string]any)
	assert.Equal(t, "requested", act["status"])
	assert.NotEmpty(t, act["refund_request_id"], "Moka's RefundRequestId is kept")
	assert.Equal(t, "paid", e.order(id)["status"], "a request is not a refund")

	r = e.act(id, "refunds", `{"amount":"10.00"}`)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "refund_in_progress", errorOf(t, r)["code"])

	rep := e.reconcile()
	assert.Equal(t, 0, rep.Actions, "Moka has not completed it")
	e.bank.CompleteRefunds()
	rep = e.reconcile()
	assert.Equal(t, 1, rep.Actions)
	got := e.order(id)
	assert.Equal(t, "partially_refunded", got["status"])
	assert.Equal(t, "50.00", got["refunded_amount"])
	assert.Equal(t, "100.00", got["refundable_amount"])
	assert.Equal(t, "succeeded", got["refunds"].([]any)[0].(map[string]any)["status"])

	r = e.act(id, "refunds", `{"amount":"100.01"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
	assert.Equal(t, "amount_invalid", errorOf(t, r)["code"])

	r = e.act(id, "refunds", "")
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	assert.Equal(t, "100.00", r.json(t)["action"].(map[string]any)["amount"], "no amount refunds what is left")
	e.bank.CompleteRefunds()
	e.reconcile()
	got = e.order(id)
	assert.Equal(t, "refunded", got["status"])
	assert.Equal(t, "0.00", got["refundable_amount"])
	d := e.detail(id)
	assert.Equal(t, "150", d.PaymentDetail.RefAmount.Decimal.String())
	assert.Equal(t, 2, trxCount(d, moka.TrxTypeRefund))
	types := eventTypes(t, e, id)
	assert.Contains(t, types, orders.EventOrderRefundRequested)
	assert.Contains(t, types, orders.EventOrderPartiallyRefunded)
	assert.Contains(t, types, orders.EventOrderRefunded)

	r = e.act(id, "refunds", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
}

func TestRefundTheBankRefusesFails(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("REF-4"))
	id := o["id"].(string)
	res := e.pay("/pay/"+id, "4556789012345672", sandbox.DemoOTP)
	require.Equal(t, http.StatusOK, res.status, res.body)
	e.clock.Add(25 * time.Hour)
	r := e.act(id, "refunds", "")
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	e.bank.CompleteRefunds()
	e.reconcile()
	got := e.order(id)
	assert.Equal(t, "paid", got["status"])
	ref := got["refunds"].([]any)[0].(map[string]any)
	assert.Equal(t, "failed", ref["status"])
	assert.Equal(t, orders.ResultRefundRefused, ref["moka_result_code"])
	assert.Contains(t, eventTypes(t, e, id), orders.EventOrderRefundFailed)
	// The money is still there: a new refund may be asked for.
	r = e.act(id, "refunds", `{"amount":"10.00"}`)
	assert.Equal(t, http.StatusAccepted, r.status, r.body)
}

const poolOrder = `{"reference":"%s","amount":"100.00","currency":"TRY","pool":true,"commission_scenario":1,
	"sub_dealers":[{"dealer_id":166,"amount":"60.00","dealer_commission_rate":"2"},
	{"dealer_id":167,"amount":"40.00","dealer_commission_rate":"2"}]}`

func TestApprovePoolPaymentPerSubDealer(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(fmt.Sprintf(poolOrder, "POOL-1"))

	r := e.act(id, "approve", `{"dealer_ids":[166]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	o := r.json(t)["order"].(map[string]any)
	subs := o["sub_dealers"].([]any)
	assert.NotEmpty(t, subs[0].(map[string]any)["approved_at"], "166 approved")
	assert.Nil(t, subs[1].(map[string]any)["approved_at"], "167 not yet")
	assert.Nil(t, o["approved_at"])

	r = e.act(id, "approve", `{"dealer_ids":[166]}`)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	er := errorOf(t, r)
	assert.Equal(t, "already_approved", er["code"])
	assert.Equal(t, "PaymentDealer.DoApprovePoolPayment.PaymentAlreadyApproved", er["moka_result_code"])

	r = e.act(id, "approve", `{"dealer_ids":[999]}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
	assert.Equal(t, "dealer_ids[0]", errorOf(t, r)["field"])

	r = e.act(id, "approve", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	o = r.json(t)["order"].(map[string]any)
	assert.NotEmpty(t, o["approved_at"], "all approved")
	assert.Len(t, o["approvals"], 2)
	assert.Contains(t, eventTypes(t, e, id), orders.EventOrderApproved)

	r = e.act(id, "approve", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "already_approved", errorOf(t, r)["code"])
}

func TestApproveNonPoolOrderIsRefused(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("POOL-2"))
	r := e.act(id, "approve", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
	er := errorOf(t, r)
	assert.Equal(t, "not_pool_payment", er["code"])
	assert.Equal(t, "PaymentDealer.DoApprovePoolPayment.PaymentIsNotPoolPayment", er["moka_result_code"])
}

func TestCaptureMarketplaceSplit(t *testing.T) {
	e := newEnv(t)
	body := `{"reference":"MP-1","amount":"100.00","currency":"TRY","capture":"manual","commission_scenario":1,
		"sub_dealers":[{"dealer_id":166,"amount":"60.00","dealer_commission_rate":"2"},
		{"dealer_id":167,"amount":"40.00","dealer_commission_rate":"2"}]}`
	id := e.paidOrder(body)

	r := e.act(id, "capture", `{"amount":"50.00"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
	assert.Equal(t, "sub_dealers_invalid", errorOf(t, r)["code"], "a partial capture of several sub-dealers needs the split")

	r = e.act(id, "capture", `{"amount":"50.00","sub_dealers":[{"dealer_id":166,"amount":"30.00"},{"dealer_id":167,"amount":"10.00"}]}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
	assert.Contains(t, errorOf(t, r)["message"], "add up to 40.00")

	r = e.act(id, "capture", `{"amount":"50.00","sub_dealers":[{"dealer_id":166,"amount":"10.00"},{"dealer_id":167,"amount":"40.01"}]}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
	assert.Equal(t, "sub_dealers[1].amount", errorOf(t, r)["field"], "no more than the dealer's authorised share")

	r = e.act(id, "capture", `{"amount":"50.00","sub_dealers":[{"dealer_id":166,"amount":"30.00"},{"dealer_id":167,"amount":"20.00"}]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	d := e.detail(id)
	parts := map[int64]string{}
	for _, sp := range d.PaymentDetail.SubPaymentList {
		parts[int64(sp.DealerID)] = sp.Amount.Decimal.StringFixed(2)
	}
	assert.Equal(t, map[int64]string{166: "30.00", 167: "20.00"}, parts)

	// The next day a partial refund needs the split too, and no dealer gets back more
	// than it was paid.
	e.clock.Add(25 * time.Hour)
	r = e.act(id, "refunds", `{"amount":"25.00","sub_dealers":[{"dealer_id":167,"amount":"25.00"}]}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
	r = e.act(id, "refunds", `{"amount":"25.00","sub_dealers":[{"dealer_id":166,"amount":"25.00"}]}`)
	require.Equal(t, http.StatusAccepted, r.status, r.body)
}

func TestActionIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("IDEM-1", `"capture":"manual"`))
	key := []string{"Idempotency-Key", "cap-1"}
	first := e.act(id, "capture", `{"amount":"20.00"}`, key...)
	require.Equal(t, http.StatusOK, first.status, first.body)
	again := e.act(id, "capture", `{ "amount": "20.00" }`, key...)
	assert.Equal(t, first.status, again.status)
	assert.Equal(t, first.body, again.body, "the same answer, not a second capture")
	assert.Equal(t, 1, trxCount(e.detail(id), moka.TrxTypePayment))

	other := e.act(id, "capture", `{"amount":"30.00"}`, key...)
	require.Equal(t, http.StatusConflict, other.status, other.body)
	assert.Equal(t, "idempotency_key_reused", errorOf(t, other)["code"])

	// A refusal is the key's answer too; an input error is not stored.
	refusedKey := []string{"Idempotency-Key", "cap-2"}
	r := e.act(id, "capture", "", refusedKey...)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	r2 := e.act(id, "capture", "", refusedKey...)
	assert.Equal(t, r.body, r2.body)
	bad := e.act(id, "refunds", `{"amount":1}`, "Idempotency-Key", "ref-1")
	require.Equal(t, http.StatusBadRequest, bad.status)
	fixed := e.act(id, "refunds", `{"amount":"1.00"}`, "Idempotency-Key", "ref-1")
	assert.NotEqual(t, http.StatusBadRequest, fixed.status, fixed.body)
}

func TestActionKeyInProgressIs409(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("IDEM-2", `"capture":"manual"`))
	release := holdMoka(t, e, moka.PathCapture)
	key := []string{"Idempotency-Key", "slow"}
	done := make(chan response, 1)
	go func() { done <- e.act(id, "capture", "", key...) }()
	release.waitHeld()

	r := e.act(id, "capture", "", key...)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "idempotency_in_progress", errorOf(t, r)["code"])
	release.release()
	first := <-done
	require.Equal(t, http.StatusOK, first.status, first.body)
	assert.Equal(t, first.body, e.act(id, "capture", "", key...).body)
}

// heldMoka holds the sandbox's answers to one service until released.
type heldMoka struct {
	t       testing.TB
	held    chan struct{}
	gate    chan struct{}
	once    sync.Once
	heldOne sync.Once
}

func (h *heldMoka) waitHeld() {
	h.t.Helper()
	select {
	case <-h.held:
	case <-time.After(10 * time.Second):
		h.t.Fatal("no call reached the held Moka service")
	}
}
func (h *heldMoka) release() { h.once.Do(func() { close(h.gate) }) }

// holdMoka makes the sandbox wait before answering path until release is called.
func holdMoka(t testing.TB, e *env, path string) *heldMoka {
	h := &heldMoka{t: t, held: make(chan struct{}), gate: make(chan struct{})}
	e.override.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == path {
			h.heldOne.Do(func() { close(h.held) })
			<-h.gate
		}
		return false
	})
	t.Cleanup(h.release)
	return h
}

func TestConcurrentCapturesOneWins(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("RACE-1", `"capture":"manual"`))
	raceOneWins(t, e, id, "capture", moka.PathCapture)
	assert.Equal(t, 1, trxCount(e.detail(id), moka.TrxTypePayment), "Moka captured once")
	assert.Len(t, e.order(id)["captures"], 1)
}

func TestConcurrentRefundsOneWins(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("RACE-2"))
	e.clock.Add(25 * time.Hour)
	raceOneWins(t, e, id, "refunds", moka.PathCreateRefundRequest)
	refunds := e.order(id)["refunds"].([]any)
	require.Len(t, refunds, 1)
	assert.Equal(t, "requested", refunds[0].(map[string]any)["status"])
	e.bank.CompleteRefunds()
	e.reconcile()
	assert.Equal(t, "150", e.detail(id).PaymentDetail.RefAmount.Decimal.String(), "refunded once")
}

// raceOneWins sends 20 of one action at once while Moka holds the first: one wins, and
// every other was refused while the first was pending, which proves they raced it. With
// more instances (servers on e's database, the first e itself) the racers take turns
// among them.
func raceOneWins(t *testing.T, e *env, id, action, path string, more ...*env) {
	t.Helper()
	h := holdMoka(t, e, path)
	instances := append([]*env{e}, more...)
	const n = 20
	results := make(chan response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- instances[i%len(instances)].act(id, action, "")
		}()
	}
	h.waitHeld()
	codes := map[string]int{}
	for range n - 1 {
		r := <-results
		require.Equal(t, http.StatusConflict, r.status, r.body)
		codes[errorOf(t, r)["code"].(string)]++
	}
	h.release()
	wg.Wait()
	winner := <-results
	require.Less(t, winner.status, 300, winner.body)
	assert.Equal(t, n-1, codes["action_in_progress"], "every loser raced the pending action: %v", codes)
}

func TestCaptureAnswerLostIsSettledByReconciliation(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("LOST-1", `"capture":"manual"`))
	e.bank.SetFault(sandbox.Fault{After: sandbox.After500, Path: moka.PathCapture})
	r := e.act(id, "capture", "")
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	ans := r.json(t)
	assert.Equal(t, "pending", ans["action"].(map[string]any)["status"])
	assert.Equal(t, "authorized", ans["order"].(map[string]any)["status"], "not paid until Moka's records say so")
	e.bank.SetFault(sandbox.Fault{})

	r = e.act(id, "capture", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "action_in_progress", errorOf(t, r)["code"], "no second capture while the first is unknown")
	r = e.act(id, "cancel", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)

	assert.Equal(t, 0, e.reconcile().Actions, "too young: its call may still be running")
	e.clock.Add(3 * time.Minute)
	assert.Equal(t, 1, e.reconcile().Actions)
	got := e.order(id)
	assert.Equal(t, "paid", got["status"])
	assert.Equal(t, "succeeded", got["captures"].([]any)[0].(map[string]any)["status"])
	assert.Equal(t, 1, trxCount(e.detail(id), moka.TrxTypePayment))
}

func TestCaptureLostBeforeMokaActedFails(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("LOST-2", `"capture":"manual"`))
	e.bank.SetFault(sandbox.Fault{Status500: true, Path: moka.PathCapture})
	r := e.act(id, "capture", "")
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	e.bank.SetFault(sandbox.Fault{})
	e.clock.Add(3 * time.Minute)
	e.reconcile()
	got := e.order(id)
	assert.Equal(t, "authorized", got["status"])
	c := got["captures"].([]any)[0].(map[string]any)
	assert.Equal(t, "failed", c["status"])
	assert.Equal(t, reconcile.CodeActionNotDone, c["moka_result_code"])
	assert.Contains(t, eventTypes(t, e, id), orders.EventOrderActionFailed)
	r = e.act(id, "capture", "")
	assert.Equal(t, http.StatusOK, r.status, "the merchant may capture again: %s", r.body)
}

func TestRefundAnswerLostIsSettledByReconciliation(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("LOST-3"))
	e.clock.Add(25 * time.Hour)
	e.bank.SetFault(sandbox.Fault{After: sandbox.After500, Path: moka.PathCreateRefundRequest})
	r := e.act(id, "refunds", `{"amount":"40.00"}`, "Idempotency-Key", "lost-ref")
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	assert.Equal(t, "pending", r.json(t)["action"].(map[string]any)["status"])
	e.bank.SetFault(sandbox.Fault{})
	repeat := e.act(id, "refunds", `{"amount":"40.00"}`, "Idempotency-Key", "lost-ref")
	require.Equal(t, http.StatusConflict, repeat.status, repeat.body)
	assert.Equal(t, "idempotency_in_progress", errorOf(t, repeat)["code"], "unknown outcome: the key is in progress")
	e.clock.Add(3 * time.Minute)
	assert.Equal(t, 0, e.reconcile().Actions, "Moka has not completed the refund yet")
	assert.Equal(t, "pending", e.order(id)["refunds"].([]any)[0].(map[string]any)["status"])

	e.bank.CompleteRefunds()
	assert.Equal(t, 1, e.reconcile().Actions)
	got := e.order(id)
	assert.Equal(t, "partially_refunded", got["status"])
	assert.Equal(t, "40.00", got["refunded_amount"])
	again := e.act(id, "refunds", `{"amount":"40.00"}`, "Idempotency-Key", "lost-ref")
	require.Equal(t, http.StatusOK, again.status, "the key, in progress while the answer was unknown, now answers the settled refund: %s", again.body)
	assert.Equal(t, "succeeded", again.json(t)["action"].(map[string]any)["status"])
}

// TestMokaRefusalsMapToOurCodes answers each action with each of Moka's result codes of
// the seeds (000 DoCapture, 001 DoApprovePoolPayment, 002 DoCreateRefundRequest) and
// checks our code, the message, moka_result_code, and that nothing changed.
func TestMokaRefusalsMapToOurCodes(t *testing.T) {
	e := newEnv(t)
	capID := e.paidOrder(orderBody("MAP-1", `"capture":"manual"`))
	poolID := e.paidOrder(fmt.Sprintf(poolOrder, "MAP-2"))
	refID := e.paidOrder(orderBody("MAP-3"))
	e.clock.Add(25 * time.Hour) // refunds need the next day; captures and approvals do not care

	auth := "PaymentDealer.CheckPaymentDealerAuthentication."
	cases := []struct {
		order, action, code string
		status              int
		ours                string
	}{
		{capID, "capture", auth + "InvalidRequest", http.StatusBadGateway, "moka_account_refused"},
		{capID, "capture", auth + "InvalidAccount", http.StatusBadGateway, "moka_account_refused"},
		{capID, "capture", auth + "VirtualPosNotFound", http.StatusBadGateway, "moka_account_refused"},
		{capID, "capture", "PaymentDealer.DoCapture.InvalidAmount", http.StatusUnprocessableEntity, "amount_invalid"},
		{poolID, "approve", auth + "InvalidAccount", http.StatusBadGateway, "moka_account_refused"},
		{poolID, "approve", "PaymentDealer.DoApprovePoolPayment.DealerPaymentNotFound", http.StatusConflict, "payment_not_available"},
		{poolID, "approve", "PaymentDealer.DoApprovePoolPayment.OtherTrxCodeOrVirtualPosOrderIdMustGiven", http.StatusBadGateway, "moka_request_invalid"},
		{poolID, "approve", "PaymentDealer.DoApprovePoolPayment.PaymentAlreadyApproved", http.StatusConflict, "already_approved"},
		{poolID, "approve", "PaymentDealer.DoApprovePoolPayment.PaymentIsNotPoolPayment", http.StatusConflict, "not_pool_payment"},
		{refID, "refunds", "PaymentDealer.DoCreateRefundRequest.InvalidRequest", http.StatusBadGateway, "moka_account_refused"},
		{refID, "refunds", "PaymentDealer.DoCreateRefundRequest.InvalidAccount", http.StatusBadGateway, "moka_account_refused"},
		{refID, "refunds", "PaymentDealer.DoCreateRefundRequest.InvalidAmount", http.StatusUnprocessableEntity, "amount_invalid"},
		{refID, "refunds", "PaymentDealer.DoCreateRefundRequest.OtherTrxCodeAndVirtualPosOrderIdMismatch", http.StatusBadGateway, "moka_request_invalid"},
		{refID, "refunds", "PaymentDealer.DoCreateRefundRequest.OtherTrxCodeOrVirtualPosOrderIdMustGiven", http.StatusBadGateway, "moka_request_invalid"},
		{refID, "refunds", "PaymentDealer.DoCreateRefundRequest.PaymentNotFound", http.StatusConflict, "payment_not_available"},
		{refID, "refunds", "PaymentDealer.DoCreateRefundRequest.RefundRequestAlreadyExist", http.StatusConflict, "refund_in_progress"},
		{capID, "capture", "bank:05", http.StatusPaymentRequired, "bank_declined"},
	}
	for _, tc := range cases {
		t.Run(tc.action+"/"+tc.code, func(t *testing.T) {
			before := e.order(tc.order)
			e.override.set(func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasPrefix(r.URL.Path, "/PaymentDealer/Do") {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				if code, ok := strings.CutPrefix(tc.code, "bank:"); ok {
					fmt.Fprintf(w, `{"Data":{"IsSuccessful":false,"ResultCode":%q,"ResultMessage":"Do not honour"},"ResultCode":"Success"}`, code)
					return true
				}
				fmt.Fprintf(w, `{"Data":null,"ResultCode":%q,"ResultMessage":"refused by the test","Exception":null}`, tc.code)
				return true
			})
			defer e.override.set(nil)
			r := e.act(tc.order, tc.action, "")
			require.Equal(t, tc.status, r.status, r.body)
			er := errorOf(t, r)
			assert.Equal(t, tc.ours, er["code"], r.body)
			assert.NotEmpty(t, er["message"])
			assert.Equal(t, strings.TrimPrefix(tc.code, "bank:"), er["moka_result_code"])
			after := e.order(tc.order)
			assert.Equal(t, before["status"], after["status"], "the order is unchanged")
			assert.Equal(t, before["refundable_amount"], after["refundable_amount"])
			assert.Equal(t, before["approved_at"], after["approved_at"])
		})
	}
}

// TestTwoInstancesShareTheGuards runs two checkout servers, each with its own store, on
// one SQLite file: the guards against a second capture and a key in progress are rows,
// not anything one process holds.
func TestTwoInstancesShareTheGuards(t *testing.T) {
	a := newEnv(t)
	b := a.secondInstance()
	id := a.paidOrder(orderBody("TWO-1", `"capture":"manual"`))
	h := holdMoka(t, a, moka.PathCapture)
	key := []string{"Idempotency-Key", "two"}
	done := make(chan response, 1)
	go func() { done <- a.act(id, "capture", "", key...) }()
	h.waitHeld()

	r := b.act(id, "capture", "", key...)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "idempotency_in_progress", errorOf(t, r)["code"], "the other instance sees the key in progress")
	r = b.act(id, "capture", "")
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "action_in_progress", errorOf(t, r)["code"], "and the capture at Moka")

	h.release()
	first := <-done
	require.Equal(t, http.StatusOK, first.status, first.body)
	assert.Equal(t, first.body, b.act(id, "capture", "", key...).body, "the answer, from the other instance")
	assert.Equal(t, 1, trxCount(a.detail(id), moka.TrxTypePayment))
}

// TestCapturedLaterRefundsByTheCaptureDay: a pre-authorisation captured the next day is a
// payment of the capture's day, for Moka's void and refund rules and for ours alike.
func TestCapturedLaterRefundsByTheCaptureDay(t *testing.T) {
	e := newEnv(t)
	e.clock.t = istanbulToday(e.clock.Now(), 10)
	id := e.paidOrder(orderBody("LATE-1", `"capture":"manual"`))
	e.clock.Add(24 * time.Hour)
	r := e.act(id, "capture", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = e.act(id, "refunds", `{"amount":"10.00"}`)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "refund_not_yet_possible", errorOf(t, r)["code"])
	r = e.act(id, "refunds", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "void", r.json(t)["action"].(map[string]any)["kind"])
	assert.Equal(t, int64(moka.PaymentStatusCancel), int64(e.detail(id).PaymentDetail.PaymentStatus))
}

func TestApprovalAndVoidAnswersLostAreSettledByReconciliation(t *testing.T) {
	e := newEnv(t)
	pool := e.paidOrder(fmt.Sprintf(poolOrder, "LOST-4"))
	paid := e.paidOrder(orderBody("LOST-5"))
	for _, tc := range []struct{ id, action, path string }{
		{pool, "approve", moka.PathApprovePoolPayment},
		{paid, "cancel", moka.PathVoid},
	} {
		e.bank.SetFault(sandbox.Fault{After: sandbox.After500, Path: tc.path})
		r := e.act(tc.id, tc.action, "")
		require.Equal(t, http.StatusAccepted, r.status, r.body)
		assert.Equal(t, "pending", r.json(t)["action"].(map[string]any)["status"])
	}
	e.bank.SetFault(sandbox.Fault{})
	e.clock.Add(3 * time.Minute)
	assert.Equal(t, 2, e.reconcile().Actions)

	o := e.order(pool)
	assert.NotEmpty(t, o["approved_at"], "approved again: Moka said it already was")
	assert.Equal(t, "succeeded", o["approvals"].([]any)[0].(map[string]any)["status"])
	o = e.order(paid)
	assert.Equal(t, "canceled", o["status"])
	assert.Equal(t, "succeeded", o["voids"].([]any)[0].(map[string]any)["status"])
}

// TestTrxListRefusalsMapToOurCodes: seed 004's result codes of GetPaymentTrxList.
func TestTrxListRefusalsMapToOurCodes(t *testing.T) {
	e := newEnv(t)
	from := e.clock.Now().Add(-time.Hour).Format(time.RFC3339)
	to := e.clock.Now().Add(time.Hour).Format(time.RFC3339)
	list := "PaymentDealer.GetPaymentTrxListMarketPlace."
	for code, ours := range map[string]string{
		"PaymentDealer.CheckPaymentDealerAuthentication.InvalidRequest": "moka_account_refused",
		"PaymentDealer.CheckPaymentDealerAuthentication.InvalidAccount": "moka_account_refused",
		list + "DealerNotAuthorized":                                    "moka_not_authorized",
		list + "InvalidDateTimeFormat":                                  "moka_request_invalid",
		list + "InvalidTrxType":                                         "moka_request_invalid",
		list + "InvalidTrxStatus":                                       "moka_request_invalid",
		"EX":                                                            "moka_error",
	} {
		t.Run(code, func(t *testing.T) {
			e.override.set(func(w http.ResponseWriter, r *http.Request) bool {
				fmt.Fprintf(w, `{"Data":null,"ResultCode":%q,"ResultMessage":"refused by the test","Exception":null}`, code)
				return true
			})
			defer e.override.set(nil)
			r := e.api(http.MethodGet, "/api/v1/transactions?from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to), "")
			require.Equal(t, http.StatusBadGateway, r.status, r.body)
			er := errorOf(t, r)
			assert.Equal(t, ours, er["code"])
			assert.Equal(t, code, er["moka_result_code"])
			assert.NotEmpty(t, er["message"])
		})
	}
}

// TestTransactionsPointAtOurOrders: Moka's records of a payment made here name its order.
func TestTransactionsPointAtOurOrders(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("TRX-1"))
	from := e.clock.Now().Add(-time.Hour).Format(time.RFC3339)
	to := e.clock.Now().Add(time.Hour).Format(time.RFC3339)
	r := e.api(http.MethodGet, "/api/v1/transactions?from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to), "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	data := r.json(t)["data"].([]any)
	require.NotEmpty(t, data)
	found := 0
	for _, it := range data {
		if it.(map[string]any)["payment"].(map[string]any)["order_id"] == id {
			found++
		}
	}
	assert.Equal(t, 1, found, r.body)
	// Another merchant's list never names this merchant's order.
	r = e.api(http.MethodGet, "/api/v1/transactions?from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to), "",
		"Authorization", "Bearer "+otherAPIKey)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.NotContains(t, r.body, id)
}

// TestMokaEXLeavesTheActionPending: Moka's unexpected error may come after it acted, so the
// outcome is unknown until its records say; the merchant cannot act again meanwhile.
func TestMokaEXLeavesTheActionPending(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("EX-1"))
	e.clock.Add(25 * time.Hour)
	// The sandbox takes the refund request, then answers EX.
	e.override.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != moka.PathCreateRefundRequest {
			return false
		}
		e.bank.ServeHTTP(httptest.NewRecorder(), r)
		fmt.Fprint(w, `{"Data":null,"ResultCode":"EX","ResultMessage":"An unexpected error has occurred","Exception":null}`)
		return true
	})
	r := e.act(id, "refunds", `{"amount":"50.00"}`)
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	assert.Equal(t, "pending", r.json(t)["action"].(map[string]any)["status"])
	e.override.set(nil)
	r = e.act(id, "refunds", `{"amount":"50.00"}`)
	require.Equal(t, http.StatusConflict, r.status, "no second refund while the first is unknown: %s", r.body)

	e.bank.CompleteRefunds()
	e.clock.Add(3 * time.Minute)
	e.reconcile()
	got := e.order(id)
	assert.Equal(t, "partially_refunded", got["status"])
	assert.Equal(t, "50.00", got["refunded_amount"])
	assert.Equal(t, "50", e.detail(id).PaymentDetail.RefAmount.Decimal.String(), "refunded once at Moka")
}

// TestIdempotencyKeyBelongsToItsEndpointAndOrder: a key used to cancel one order never
// answers a refund of another, nor a new order.
func TestIdempotencyKeyBelongsToItsEndpointAndOrder(t *testing.T) {
	e := newEnv(t)
	a := e.paidOrder(orderBody("KEY-A"))
	b := e.paidOrder(orderBody("KEY-B"))
	key := []string{"Idempotency-Key", "same-key"}
	r := e.act(a, "cancel", "", key...)
	require.Equal(t, http.StatusOK, r.status, r.body)
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/api/v1/orders/" + b + "/refunds"},
		{http.MethodPost, "/api/v1/orders/" + b + "/cancel"},
		{http.MethodPost, "/api/v1/orders/" + a + "/refunds"},
	} {
		r := e.api(tc.method, tc.path, "", key...)
		require.Equal(t, http.StatusConflict, r.status, "%s %s: %s", tc.method, tc.path, r.body)
		assert.Equal(t, "idempotency_key_reused", errorOf(t, r)["code"])
	}
	assert.Equal(t, "paid", e.order(b)["status"], "order B untouched")
}

// TestPassingConflictsAreNotTheKeysAnswer: a 409 action_in_progress may turn into a
// success once the other action is done, so the key does not keep it.
func TestPassingConflictsAreNotTheKeysAnswer(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("KEY-C", `"capture":"manual"`))
	h := holdMoka(t, e, moka.PathCapture)
	done := make(chan response, 1)
	go func() { done <- e.act(id, "capture", `{"amount":"10.00"}`) }()
	h.waitHeld()
	key := []string{"Idempotency-Key", "cancel-while-busy"}
	r := e.act(id, "cancel", "", key...)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	assert.Equal(t, "action_in_progress", errorOf(t, r)["code"])
	h.release()
	require.Equal(t, http.StatusOK, (<-done).status)
	r = e.act(id, "cancel", "", key...)
	assert.Equal(t, http.StatusOK, r.status, "the same request, now possible: %s", r.body)
}
