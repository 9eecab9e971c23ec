package e2e

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/browsertest"
)

// TestReturnThatNeverComesIsPaidByReconciliation pays at the bank but never comes back:
// the buyer's browser has JavaScript off, so the bank's return form waits for a click
// that never comes (a closed tab). Only reconciliation can then learn that the order was
// paid; once it has, the storefront's receiver gets a correctly signed order.paid, and
// the storefront's /thanks page shows "paid" from checkout's API, never from its query.
//
// The sandbox's "abandoned" card (5400360000000003) models a buyer who never answers the
// bank at all: nothing is charged there, so reconciliation frees that order instead of
// paying it. A paid order needs the bank to have charged, hence the success card here.
func TestReturnThatNeverComesIsPaidByReconciliation(t *testing.T) {
	s := newStack(t)
	ctx := browsertest.New(t, 90*time.Second)
	id, payURL := s.createOrder(t, map[string]any{"return_url": s.storefrontURL + "/thanks"})

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(payURL),
		fillCard(successCard, "739"),
		bankOTP("123456"),
		// The bank has charged; its return form is on screen and is never sent.
		chromedp.WaitVisible(chromedp.CSS("#return-form button")),
	))
	assert.Equal(t, "processing", s.orderStatus(t, id), "no return, so checkout does not know yet")

	// A buyer who types the thanks page's address, status included, learns nothing from it.
	thanks := s.storefrontURL + "/thanks?status=paid&order=" + url.QueryEscape(id)
	assert.Equal(t, "processing", thanksStatus(t, ctx, thanks))

	rep, err := s.reconciler.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Paid, "reconciliation recorded the payment: %+v", rep)
	assert.Equal(t, "paid", s.orderStatus(t, id))

	// The worker delivers order.paid to the storefront, which keeps only deliveries whose
	// signature and timestamp verify.
	row := waitForWebhook(t, s.storefrontURL, id, "order.paid")
	assert.Equal(t, "paid", row.AttrOr("data-status", ""), "data.order is the order as the API shows it")
	eventID := row.AttrOr("data-id", "")
	// The storefront shows the delivery as soon as it has stored it, a moment before the
	// worker reads its 2xx answer and records the try, so the event is read until its
	// delivery has left "pending".
	ev := s.settledEvent(t, eventID)
	assert.Equal(t, "order.paid", ev["type"])
	assert.Equal(t, id, ev["order_id"])
	delivery, _ := ev["delivery"].(map[string]any)
	assert.Equal(t, "delivered", delivery["state"], "the storefront answered 2xx: %v", ev)

	assert.Equal(t, "paid", thanksStatus(t, ctx, thanks))
	source, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#thanks-status"), "data-source"))
	require.NoError(t, err)
	assert.Equal(t, "api", source.Value)
}

// thanksStatus opens the storefront's thanks page and reads the status it shows.
func thanksStatus(t *testing.T, ctx context.Context, u string) string {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("#thanks-status"))))
	got, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#thanks-status"), "data-status"))
	require.NoError(t, err)
	return got.Value
}

// waitForWebhook polls the storefront's webhooks page until it lists an event of the
// type about the order, and returns its row; the worker polls every 50 ms, so a few
// seconds are plenty.
func waitForWebhook(t *testing.T, storefrontURL, orderID, typ string) *goquery.Selection {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var shown []string
	for {
		resp, err := http.Get(storefrontURL + "/webhooks")
		require.NoError(t, err)
		doc, err := goquery.NewDocumentFromReader(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		row := doc.Find(`#webhooks tr.webhook[data-order="` + orderID + `"][data-type="` + typ + `"]`)
		if row.Length() == 1 {
			return row
		}
		shown = doc.Find("#webhooks tr.webhook").Map(func(_ int, s *goquery.Selection) string {
			return s.AttrOr("data-type", "") + " " + s.AttrOr("data-order", "")
		})
		if time.Now().After(deadline) {
			t.Fatalf("the storefront never showed %s of %s; it shows %q", typ, orderID, shown)
		}
		time.Sleep(50 * time.Millisecond) // the poll's interval, not a stand-in for an event
	}
}

// settledEvent reads an event through the API until its delivery is no longer pending
// (the worker records a try after the receiver's answer), and returns it.
func (s *stack) settledEvent(t *testing.T, eventID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, ev := s.api(t, http.MethodGet, "/api/v1/events/"+eventID, nil)
		require.Equal(t, http.StatusOK, code, "the webhook-id is the event's id: %v", ev)
		delivery, _ := ev["delivery"].(map[string]any)
		if delivery["state"] != "pending" || time.Now().After(deadline) {
			return ev
		}
		time.Sleep(50 * time.Millisecond) // the worker's poll interval, not a stand-in for an event
	}
}
