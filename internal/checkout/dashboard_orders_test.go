package checkout_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
)

// dashUser logs a new user of merchant in and returns the browser.
func (e *env) dashUser(merchant, email string) *browser {
	e.t.Helper()
	e.addUser(merchant, email)
	b := e.browser()
	require.Equal(e.t, http.StatusSeeOther, b.login(email, dashPassword).status)
	return b
}

// page opens a dashboard page and parses it.
func (b *browser) page(path string) *goquery.Document {
	b.e.t.Helper()
	r := b.get(path)
	require.Equal(b.e.t, http.StatusOK, r.status, r.body)
	return r.doc(b.e.t)
}

// actionForm posts an action's form of order id with the session's token.
func (b *browser) actionForm(id, action string, form url.Values) response {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.csrf())
	return b.do(http.MethodPost, "/dashboard/orders/"+id+"/"+action, form)
}

// confirmFields are the fields of a confirmation page's form.
func confirmFields(t testing.TB, r response) (action string, fields url.Values) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, r.body)
	form := r.doc(t).Find("#confirm-form")
	require.Equal(t, 1, form.Length(), r.body)
	action, _ = form.Attr("action")
	fields = url.Values{}
	form.Find("input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		fields.Add(name, value)
	})
	return action, fields
}

// act goes through an action: its form, the confirmation page, the confirmation, and
// the order page it leads back to.
func (b *browser) act(id, action string, form url.Values) *goquery.Document {
	b.e.t.Helper()
	path, fields := confirmFields(b.e.t, b.actionForm(id, action, form))
	r := b.do(http.MethodPost, path, fields)
	require.Equal(b.e.t, http.StatusSeeOther, r.status, r.body)
	require.True(b.e.t, strings.HasPrefix(r.location(), "/dashboard/orders/"+id+"?done="), r.location())
	return b.page(r.location())
}

func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

func fact(d *goquery.Document, name string) string {
	return text(d.Find(`#facts dd[data-fact="` + name + `"]`))
}

// lastAudit is the merchant's newest audit entry.
func lastAudit(t *testing.T, e *env, merchant string) orders.AuditEntry {
	t.Helper()
	entries, err := e.store.ListAudit(context.Background(), merchant, 1)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	return entries[0]
}

func rowIDs(d *goquery.Document) []string {
	var out []string
	d.Find("#orders tbody tr").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-order")
		out = append(out, id)
	})
	return out
}

func TestDashOrdersFiltersSearchAndTotals(t *testing.T) {
	e := newEnv(t)
	old := e.createOrder(`{"reference":"OLD-1","amount":"10.00","currency":"TRY"}`)["id"].(string)
	e.clock.Add(48 * time.Hour)
	paid := e.paidOrder(orderBody("PAID-1"))
	euro := e.paidOrder(`{"reference":"EURO-1","amount":"20.50","currency":"EUR"}`)
	open := e.createOrder(orderBody("OPEN-1"))["id"].(string)
	b := e.dashUser("shop", "owner@shop.example")
	today := e.clock.Now().In(orders.Istanbul).Format(time.DateOnly)
	before := e.clock.Now().Add(-48 * time.Hour).In(orders.Istanbul).Format(time.DateOnly)

	d := b.page("/dashboard/orders")
	assert.Equal(t, []string{open, euro, paid, old}, rowIDs(d), "newest first")
	assert.Equal(t, "3", text(d.Find(`#totals tr[data-currency="TRY"] [data-total="count"]`)))
	assert.Equal(t, "310,00 TL", text(d.Find(`#totals tr[data-currency="TRY"] [data-total="amount"]`)), "10 + 150 + 150")
	assert.Equal(t, "150,00 TL", text(d.Find(`#totals tr[data-currency="TRY"] [data-total="paid"]`)))
	assert.Equal(t, "20,50 EUR", text(d.Find(`#totals tr[data-currency="EUR"] [data-total="paid"]`)))
	assert.Contains(t, text(d.Find(`#orders tr[data-order="`+paid+`"]`)), "3339", "the card's last four")

	cases := []struct {
		name, query string
		want        []string
	}{
		{"status", "status=paid", []string{euro, paid}},
		{"reference", "q=paid-", []string{paid}},
		{"order id", "q=" + old, []string{old}},
		{"card last 4", "q=3339", []string{euro, paid}},
		{"from today", "from=" + today, []string{open, euro, paid}},
		{"until two days ago", "to=" + before, []string{old}},
		{"one day", "from=" + before + "&to=" + before, []string{old}},
		{"all at once", "status=paid&q=3339&from=" + today + "&to=" + today, []string{euro, paid}},
		{"nothing", "q=NOPE", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := b.page("/dashboard/orders?" + tc.query)
			assert.Equal(t, tc.want, rowIDs(d))
			if tc.want == nil {
				assert.Equal(t, 1, d.Find("#no-orders").Length())
				assert.Equal(t, 0, d.Find("#totals").Length())
			}
		})
	}
	d = b.page("/dashboard/orders?status=paid")
	assert.Equal(t, "1", text(d.Find(`#totals tr[data-currency="TRY"] [data-total="count"]`)), "totals of the filtered range")
	v, _ := d.Find("#f-status option[selected]").Attr("value")
	assert.Equal(t, "paid", v, "the filter is kept in the form")

	for _, bad := range []string{"from=" + strconv.Itoa(e.clock.Now().Year()) + "-13-01", "to=yesterday", "status=lost", "from=" + today + "&to=" + before, "after=ord_nope"} {
		r := b.get("/dashboard/orders?" + bad)
		assert.Equal(t, http.StatusBadRequest, r.status, bad)
		assert.Equal(t, 1, r.doc(t).Find("#filter-errors li").Length(), bad)
	}
}

func TestDashOrdersPages(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := range 27 {
		e.clock.Add(time.Second)
		want = append([]string{e.createOrder(orderBody(fmt.Sprintf("PG-%02d", i)))["id"].(string)}, want...)
	}
	e.createOrder(orderBody("OTHER-1")) // not in the search
	b := e.dashUser("shop", "owner@shop.example")

	d := b.page("/dashboard/orders?q=PG-")
	first := rowIDs(d)
	assert.Equal(t, want[:25], first)
	assert.Equal(t, 0, d.Find("#first-page").Length())
	assert.Equal(t, "27", text(d.Find(`#totals [data-total="count"]`)), "the totals are the range's, not the page's")
	next, ok := d.Find("#next-page").Attr("href")
	require.True(t, ok)
	u, err := url.Parse(next)
	require.NoError(t, err)
	assert.Equal(t, "PG-", u.Query().Get("q"), "the next page keeps the search")

	d = b.page(next)
	assert.Equal(t, want[25:], rowIDs(d))
	assert.Equal(t, 0, d.Find("#next-page").Length())
	back, _ := d.Find("#first-page").Attr("href")
	assert.Equal(t, "/dashboard/orders?q=PG-", back)
}

func TestDashOrderOfAnotherMerchantIs404(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("MINE-1", `"capture":"manual"`))
	before := e.order(id)
	owner := e.dashUser("shop", "owner@shop.example")
	// The shop's own confirmation, which the other merchant's user replays.
	_, fields := confirmFields(t, owner.actionForm(id, "capture", nil))
	other := e.dashUser("other", "owner@other.example")

	r := other.get("/dashboard/orders/" + id)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.NotContains(t, r.body, "MINE-1")
	assert.Equal(t, 0, len(rowIDs(other.page("/dashboard/orders?q="+id))), "not found by its id either")
	tok := other.csrf()
	for _, action := range []string{"capture", "refund", "cancel", "approve"} {
		r := other.do(http.MethodPost, "/dashboard/orders/"+id+"/"+action, url.Values{"csrf_token": {tok}})
		assert.Equal(t, http.StatusNotFound, r.status, action)
		f := url.Values{}
		for k, v := range fields {
			f[k] = v
		}
		f.Set("csrf_token", tok)
		r = other.do(http.MethodPost, "/dashboard/orders/"+id+"/"+action, f)
		assert.Equal(t, http.StatusNotFound, r.status, action+" confirmed")
	}
	after := e.order(id)
	assert.Equal(t, before["status"], after["status"])
	assert.Empty(t, after["captures"])
	assert.Equal(t, []string{"login"}, auditActions(t, e, "other"), "nothing was done")
}

func TestDashCaptureFlow(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("CAP-1", `"capture":"manual"`))
	b := e.dashUser("shop", "owner@shop.example")

	d := b.page("/dashboard/orders/" + id)
	assert.Equal(t, "authorized", d.Find(`#facts [data-fact="status"] .status`).AttrOr("data-status", ""))
	assert.Equal(t, "150,00", d.Find("#capture-amount").AttrOr("value", ""), "the authorised amount by default")
	assert.Equal(t, 1, d.Find("#cancel-form").Length(), "an authorisation may be voided the same day")
	assert.Equal(t, 0, d.Find("#refund-form").Length())
	assert.Equal(t, 1, d.Find(`label[for="capture-amount"]`).Length())
	attempt := d.Find(`#timeline li[data-kind="attempt"]`)
	require.Equal(t, 1, attempt.Length())
	assert.Equal(t, "418344 •••••• 3339 visa", text(attempt.Find(`[data-line="card"]`)), "first six and last four only")
	assert.NotContains(t, d.Text(), successCard)
	assert.NotEmpty(t, text(attempt.Find(`[data-line="at_bank"]`)))

	r := b.actionForm(id, "capture", url.Values{"amount": {"100,00"}})
	_, fields := confirmFields(t, r)
	cd := r.doc(t)
	assert.Contains(t, text(cd.Find("#confirm-question")), "100,00 TL", "the confirmation repeats the amount")
	assert.Contains(t, text(cd.Find("#confirm-question")), "CAP-1")
	assert.Equal(t, "100.00", fields.Get("amount"))
	assert.Equal(t, "1", fields.Get("confirm"))
	assert.Len(t, fields.Get("idempotency_key"), 64)
	assert.Equal(t, "authorized", e.order(id)["status"], "the form alone does nothing")

	d = b.act(id, "capture", url.Values{"amount": {"100,00"}})
	notice := d.Find(`#notice[role="status"]`)
	assert.Contains(t, text(notice), "100,00 TL")
	assert.Equal(t, "paid", d.Find(`#facts [data-fact="status"] .status`).AttrOr("data-status", ""))
	assert.Equal(t, "100,00 TL", fact(d, "paid"))
	assert.Equal(t, "100,00 TL", fact(d, "refundable"))
	assert.Equal(t, 0, d.Find("#capture-form").Length(), "captured once")
	capture := d.Find(`#timeline li[data-kind="action"]`)
	assert.Equal(t, "succeeded", capture.AttrOr("data-status", ""))
	assert.Contains(t, text(capture), "100,00 TL")

	o := e.order(id)
	assert.Equal(t, "paid", o["status"])
	assert.Equal(t, "100.00", o["paid_amount"])
	require.Len(t, o["captures"], 1)
	a := lastAudit(t, e, "shop")
	assert.Equal(t, "capture", a.Action)
	assert.Equal(t, id, a.OrderID)
	assert.Contains(t, a.Detail, "100.00 TRY")
	assert.Contains(t, a.Detail, "succeeded")
}

func TestDashRefundTheNextDay(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("REF-1"))
	e.clock.Add(25 * time.Hour)
	b := e.dashUser("shop", "owner@shop.example")

	d := b.page("/dashboard/orders/" + id)
	assert.Equal(t, "150,00", d.Find("#refund-amount").AttrOr("value", ""), "all that is left by default")
	assert.Equal(t, 0, d.Find("#cancel-form").Length(), "too late to cancel")
	assert.NotEmpty(t, text(d.Find("#hints")))

	r := b.actionForm(id, "refund", url.Values{"amount": {"40,5"}})
	_, _ = confirmFields(t, r)
	assert.Contains(t, text(r.doc(t).Find("#confirm-question")), "40,50 TL")
	d = b.act(id, "refund", url.Values{"amount": {"40,5"}})
	assert.Contains(t, text(d.Find(`#notice[role="status"]`)), "40,50 TL")
	assert.Equal(t, "109,50 TL", fact(d, "refundable"))
	assert.Equal(t, "requested", d.Find(`#timeline li[data-kind="action"]`).AttrOr("data-status", ""))
	assert.Equal(t, 0, d.Find("#refund-form").Length(), "one refund request at a time")

	o := e.order(id)
	refunds := o["refunds"].([]any)
	require.Len(t, refunds, 1)
	assert.Equal(t, "40.50", refunds[0].(map[string]any)["amount"])
	assert.Equal(t, "requested", refunds[0].(map[string]any)["status"])
	a := lastAudit(t, e, "shop")
	assert.Equal(t, "refund", a.Action)
	assert.Contains(t, a.Detail, "40.50 TRY")
	assert.Contains(t, a.Detail, "requested")
}

func TestDashCancelTheSameDay(t *testing.T) {
	e := newEnv(t)
	e.clock.t = istanbulToday(e.clock.Now(), 10) // well before 22:00 Turkey time
	id := e.paidOrder(orderBody("VOID-1"))
	b := e.dashUser("shop", "owner@shop.example")

	d := b.page("/dashboard/orders/" + id)
	assert.Equal(t, 0, d.Find("#refund-form").Length(), "a partial refund waits for tomorrow; a full one is a cancel")
	assert.Contains(t, text(d.Find("#cancel-form")), "150,00 TL")

	// A partial refund posted anyway is refused in plain words, and changes nothing.
	r := b.actionForm(id, "refund", url.Values{"amount": {"10"}})
	assert.Equal(t, http.StatusConflict, r.status)
	alert := r.doc(t).Find(`#notice[role="alert"]`)
	assert.NotEmpty(t, text(alert))
	assert.Equal(t, 0, r.doc(t).Find("#confirm-form").Length())

	r = b.actionForm(id, "cancel", nil)
	_, _ = confirmFields(t, r)
	assert.Contains(t, text(r.doc(t).Find("#confirm-question")), "150,00 TL")
	d = b.act(id, "cancel", nil)
	assert.Contains(t, text(d.Find(`#notice[role="status"]`)), "150,00 TL")
	assert.Equal(t, "canceled", d.Find(`#facts [data-fact="status"] .status`).AttrOr("data-status", ""))
	assert.Equal(t, 1, d.Find("#no-actions").Length())
	assert.Equal(t, "canceled", e.order(id)["status"])
	assert.Equal(t, int64(moka.PaymentStatusCancel), int64(e.detail(id).PaymentDetail.PaymentStatus))
	a := lastAudit(t, e, "shop")
	assert.Equal(t, "cancel", a.Action)
	assert.Contains(t, a.Detail, "150.00 TRY")
	assert.Equal(t, []string{"login", "cancel"}, auditActions(t, e, "shop"), "the refused form was not an action")
}

func TestDashMokaRefusalShownWithItsCode(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("CAP-2", `"capture":"manual"`))
	b := e.dashUser("shop", "owner@shop.example")
	const code = "PaymentDealer.CheckPaymentDealerAuthentication.InvalidAccount"
	e.override.set(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/PaymentDealer/DoCapture") {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"Data":null,"ResultCode":%q,"ResultMessage":"refused by the test","Exception":null}`, code)
		return true
	})
	defer e.override.set(nil)

	d := b.act(id, "capture", nil)
	alert := d.Find(`#notice[role="alert"]`)
	require.Equal(t, 1, alert.Length())
	assert.Equal(t, code, text(alert.Find(".moka-code code")), "Moka's code beside the message")
	assert.Contains(t, text(alert), "Moka")
	assert.Equal(t, "authorized", e.order(id)["status"], "nothing changed")
	failed := d.Find(`#timeline li[data-kind="action"]`)
	assert.Equal(t, "failed", failed.AttrOr("data-status", ""))
	assert.Equal(t, code, text(failed.Find(".moka-code code")))
	assert.Equal(t, 1, d.Find("#capture-form").Length(), "it may be tried again")
	a := lastAudit(t, e, "shop")
	assert.Equal(t, "capture", a.Action)
	assert.Contains(t, a.Detail, "failed: "+code)
}

func TestDashDoubleConfirmActsOnce(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("CAP-3", `"capture":"manual"`))
	b := e.dashUser("shop", "owner@shop.example")
	path, fields := confirmFields(t, b.actionForm(id, "capture", url.Values{"amount": {"60"}}))

	first := b.do(http.MethodPost, path, fields)
	second := b.do(http.MethodPost, path, fields)
	require.Equal(t, http.StatusSeeOther, first.status, first.body)
	require.Equal(t, http.StatusSeeOther, second.status, second.body)
	assert.Equal(t, first.location(), second.location(), "the second shows what the first did")
	d := b.page(second.location())
	assert.Contains(t, text(d.Find(`#notice[role="status"]`)), "60,00 TL")

	o := e.order(id)
	assert.Len(t, o["captures"], 1)
	assert.Equal(t, "60.00", o["paid_amount"])
	assert.Equal(t, 1, trxCount(e.detail(id), moka.TrxTypePayment), "Moka was asked once")
	assert.Equal(t, 1, count(auditActions(t, e, "shop"), "capture"))

	// The key with another amount is a tampered form: refused, nothing done.
	fields.Set("amount", "70.00")
	r := b.do(http.MethodPost, path, fields)
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Len(t, e.order(id)["captures"], 1)
}

func TestDashActionsNeedTheToken(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(orderBody("CAP-4", `"capture":"manual"`))
	b := e.dashUser("shop", "owner@shop.example")
	path, fields := confirmFields(t, b.actionForm(id, "capture", nil))

	fields.Del("csrf_token")
	r := b.do(http.MethodPost, path, fields)
	assert.Equal(t, http.StatusForbidden, r.status)
	fields.Set("csrf_token", "x")
	r = b.do(http.MethodPost, path, fields)
	assert.Equal(t, http.StatusForbidden, r.status)
	fields.Set("csrf_token", b.csrf())
	r = b.do(http.MethodPost, path, fields, "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, r.status, "from another site, even with the token")
	assert.Equal(t, "authorized", e.order(id)["status"])
	assert.Empty(t, e.order(id)["captures"])
	assert.Equal(t, []string{"login"}, auditActions(t, e, "shop"))
}

func TestDashApprovePoolPaymentPerSubDealer(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(fmt.Sprintf(poolOrder, "POOL-1"))
	b := e.dashUser("shop", "owner@shop.example")

	d := b.page("/dashboard/orders/" + id)
	assert.Equal(t, 2, d.Find(`#approve-form input[name="dealer"]`).Length())
	assert.Equal(t, 2, d.Find("#sub-dealers tbody tr").Length())

	r := b.actionForm(id, "approve", url.Values{"dealer": {"166"}})
	_, fields := confirmFields(t, r)
	assert.Equal(t, []string{"166"}, fields["dealer"])
	assert.Equal(t, "60,00 TL", text(r.doc(t).Find(`#confirm-lines [data-line="dealer_166"]`)), "the share's amount")

	d = b.act(id, "approve", url.Values{"dealer": {"166"}})
	assert.NotEmpty(t, text(d.Find(`#notice[role="status"]`)))
	assert.NotEmpty(t, d.Find(`#sub-dealers tr[data-dealer="166"] td[data-approved]`).AttrOr("data-approved", ""))
	assert.Empty(t, d.Find(`#sub-dealers tr[data-dealer="167"] td[data-approved]`).AttrOr("data-approved", "x"))
	assert.Equal(t, 1, d.Find(`#approve-form input[name="dealer"]`).Length(), "only 167 is left")

	r = b.actionForm(id, "approve", url.Values{})
	assert.Equal(t, http.StatusBadRequest, r.status, "a sub-dealer must be chosen")
	assert.Equal(t, "approve", lastAudit(t, e, "shop").Action)
}

func TestDashCaptureMarketplaceParts(t *testing.T) {
	e := newEnv(t)
	body := `{"reference":"MP-1","amount":"100.00","currency":"TRY","capture":"manual","commission_scenario":1,
		"sub_dealers":[{"dealer_id":166,"amount":"60.00","dealer_commission_rate":"2"},
		{"dealer_id":167,"amount":"40.00","dealer_commission_rate":"2"}]}`
	id := e.paidOrder(body)
	b := e.dashUser("shop", "owner@shop.example")
	d := b.page("/dashboard/orders/" + id)
	assert.Equal(t, "60,00", d.Find("#capture-part-166").AttrOr("value", ""))
	assert.Equal(t, "40,00", d.Find("#capture-part-167").AttrOr("value", ""))

	r := b.actionForm(id, "capture", url.Values{"amount": {"50"}, "part_166": {"30"}, "part_167": {"10"}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, "the parts must add up")
	assert.NotEmpty(t, text(r.doc(t).Find(`#notice[role="alert"]`)))

	d = b.act(id, "capture", url.Values{"amount": {"50"}, "part_166": {"30"}, "part_167": {"20"}})
	assert.Equal(t, "50,00 TL", fact(d, "paid"))
	parts := map[int64]string{}
	for _, sp := range e.detail(id).PaymentDetail.SubPaymentList {
		parts[int64(sp.DealerID)] = sp.Amount.Decimal.StringFixed(2)
	}
	assert.Equal(t, map[int64]string{166: "30.00", 167: "20.00"}, parts)
}

func TestDashOrderPageInEnglish(t *testing.T) {
	e := newEnv(t)
	id := e.paidOrder(`{"reference":"EN-1","amount":"1500.00","currency":"TRY","capture":"manual"}`)
	b := e.dashUser("shop", "owner@shop.example")
	d := b.page("/dashboard/orders/" + id + "?lang=en")
	assert.Equal(t, "en", d.Find("html").AttrOr("lang", ""))
	assert.Equal(t, "1500.00", d.Find("#capture-amount").AttrOr("value", ""))
	r := b.actionForm(id, "capture", url.Values{"amount": {"1,012.5"}})
	assert.Equal(t, "Capture TRY 1,012.50 of order EN-1?", text(r.doc(t).Find("#confirm-question")))
}

func TestDashConfirmRefusedMeanwhileShowsWhy(t *testing.T) {
	e := newEnv(t)
	e.clock.t = istanbulToday(e.clock.Now(), 21).Add(58 * time.Minute)
	id := e.paidOrder(orderBody("VOID-2"))
	b := e.dashUser("shop", "owner@shop.example")
	path, fields := confirmFields(t, b.actionForm(id, "cancel", nil))
	e.clock.Add(3 * time.Minute) // 22:01 Turkey time: too late to void

	r := b.do(http.MethodPost, path, fields)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	d := b.page(r.location())
	alert := d.Find(`#notice[role="alert"]`)
	require.Equal(t, 1, alert.Length())
	assert.Contains(t, text(alert), "22:00")
	assert.Equal(t, "paid", e.order(id)["status"], "nothing changed")
	assert.Contains(t, lastAudit(t, e, "shop").Detail, "refused: void_window_closed")

	// The notice comes from the store, never from the query's text.
	for _, done := range []string{strings.Repeat("ab", 32), "Your+order+was+refunded", ""} {
		d := b.page("/dashboard/orders/" + id + "?done=" + done)
		assert.Equal(t, 0, d.Find("#notice").Length(), done)
	}
}
