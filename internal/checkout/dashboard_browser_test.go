package checkout_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/browsertest"
)

// TestDashboardInABrowser drives the dashboard in headless Chromium as a shop owner would:
// log in, find an authorised order by its reference, capture part of it, come back the next
// day and refund part of the capture, cancel another order on its day, download the
// transactions as CSV, and see states and amounts change on the page and through the API.
// Every page passes axe-core's WCAG 2.2 AA rules.
func TestDashboardInABrowser(t *testing.T) {
	ctx := browsertest.New(t, 90*time.Second)
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	auth := e.paidOrder(orderBody("BR-AUTH", `"capture":"manual"`))

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, actions...), what)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return s
	}
	noViolations := func(page string) {
		t.Helper()
		for _, v := range browsertest.Axe(t, ctx) {
			t.Errorf("%s: axe %s (%s): %s", page, v.ID, v.Impact, v.Help)
			for _, n := range v.Nodes {
				t.Logf("  %s", n.HTML)
			}
		}
	}
	login := func() {
		t.Helper()
		run("log in",
			chromedp.Navigate(e.url+"/dashboard/login?lang=en"),
			chromedp.SendKeys(chromedp.CSS("#email"), "owner@shop.example"),
			chromedp.SendKeys(chromedp.CSS("#password"), dashPassword),
			chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
			// The logout form is on every page after login, never on the login page.
			chromedp.WaitVisible(chromedp.CSS(`form[action="/dashboard/logout"]`)),
		)
	}
	// act fills an action form of the open order page, confirms it and waits for the notice.
	act := func(form, amount string) {
		t.Helper()
		if amount != "" {
			run(form+" amount", chromedp.SetValue(chromedp.CSS("#"+form+"-amount"), amount))
		}
		run(form,
			chromedp.Click(chromedp.CSS("#"+form+`-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#confirm-question")),
		)
		noViolations(form + " confirmation")
		if amount != "" {
			assert.Contains(t, text("#confirm-question"), amount, "the confirmation repeats the amount")
		}
		run(form+" confirm",
			chromedp.Click(chromedp.CSS(`#confirm-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#notice")),
		)
	}

	login()
	noViolations("login and orders")

	run("search",
		chromedp.SetValue(chromedp.CSS("#f-q"), "BR-AUTH"),
		chromedp.Submit(chromedp.CSS("#f-q")),
		// The answer to the search has the query in the box's value attribute.
		chromedp.WaitVisible(chromedp.CSS(`#f-q[value="BR-AUTH"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/dashboard/orders/`+auth+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/dashboard/orders/`+auth+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#capture-form")),
	)
	noViolations("order page")

	act("capture", "100.00")
	assert.Equal(t, "false", attr(t, ctx, "#notice", "data-error"), text("#notice"))
	o := e.order(auth)
	assert.Equal(t, "paid", o["status"])
	assert.Equal(t, "100.00", o["paid_amount"])
	assert.Contains(t, text("#facts"), "100.00")

	// The next day: the session has ended, so log in again, and refund part of it.
	e.clock.Add(25 * time.Hour)
	login()
	run("open the order", chromedp.Navigate(e.url+"/dashboard/orders/"+auth), chromedp.WaitVisible(chromedp.CSS("#refund-form")))
	act("refund", "40.00")
	assert.Equal(t, "false", attr(t, ctx, "#notice", "data-error"), text("#notice"))
	o = e.order(auth)
	refunds := o["refunds"].([]any)
	require.Len(t, refunds, 1)
	assert.Equal(t, "requested", refunds[0].(map[string]any)["status"])
	assert.Equal(t, "60.00", o["refundable_amount"])

	// Another order, paid today, canceled today.
	paid := e.paidOrder(orderBody("BR-PAID"))
	run("open the paid order", chromedp.Navigate(e.url+"/dashboard/orders/"+paid), chromedp.WaitVisible(chromedp.CSS("#cancel-form")))
	act("cancel", "")
	assert.Equal(t, "canceled", e.order(paid)["status"])
	assert.Contains(t, strings.ToLower(text("#facts")), "canceled")

	// The transactions page and its CSV, fetched by the page itself with its session.
	run("transactions", chromedp.Navigate(e.url+"/dashboard/transactions"), chromedp.WaitVisible(chromedp.CSS("h1")))
	noViolations("transactions")
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/dashboard/transactions.csv").then(r => r.text())`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	bom, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/dashboard/transactions.csv").then(r => r.arrayBuffer())
		.then(b => Array.from(new Uint8Array(b).slice(0, 3)).join(","))`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	assert.Equal(t, "239,187,191", bom, "UTF-8 with a BOM, so Excel in Turkish opens it right")
	assert.Contains(t, csv, "100.00", "the capture")
	assert.Contains(t, csv, "150.00", "the voided payment")

	for _, page := range []string{"/dashboard/links", "/dashboard/settings", "/dashboard/review", "/dashboard/audit"} {
		run(page, chromedp.Navigate(e.url+page), chromedp.WaitVisible(chromedp.CSS("h1")))
		noViolations(page)
	}
	audit := text("main")
	assert.Contains(t, audit, "owner@shop.example", "the audit log names who")
	assert.Contains(t, audit, "Capture")
	assert.Contains(t, audit, "amount 40.00 TRY; requested")

	// Moka completes the refund; the reconciler notices; the page and the API show it.
	e.bank.CompleteRefunds()
	e.reconcile()
	assert.Equal(t, "partially_refunded", e.order(auth)["status"])
	run("the refunded order", chromedp.Navigate(e.url+"/dashboard/orders/"+auth), chromedp.WaitVisible(chromedp.CSS("#facts")))
	assert.Contains(t, text("#facts"), "40.00")
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	require.NoError(t, err, sel)
	return v.Value
}
