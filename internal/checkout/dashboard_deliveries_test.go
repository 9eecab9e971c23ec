package checkout_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deliveryRow is the order page's row of an event's delivery.
func deliveryRow(t *testing.T, doc *goquery.Document, typ string) *goquery.Selection {
	t.Helper()
	row := doc.Find(`#delivery-list tr[data-type="` + typ + `"]`)
	require.Equal(t, 1, row.Length(), "one row of %s", typ)
	return row
}

func cell(row *goquery.Selection, name string) string {
	return strings.Join(strings.Fields(row.Find(`[data-cell="`+name+`"]`).Text()), " ")
}

func TestDashOrderShowsDeliveriesAndRedelivers(t *testing.T) {
	var failed atomic.Bool
	e, w := webhookEnv(t, func(_ string, w http.ResponseWriter) {
		if failed.CompareAndSwap(false, true) {
			http.Error(w, "receiver down", http.StatusServiceUnavailable)
		}
	})
	e.addUser("shop", "owner@shop.example")
	id := e.createOrder(orderBody("WH-1"))["id"].(string)
	_, err := w.RunOnce(context.Background())
	require.NoError(t, err)

	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	page := b.get("/dashboard/orders/" + id + "?lang=en")
	require.Equal(t, http.StatusOK, page.status, page.body)
	doc := page.doc(t)
	row := deliveryRow(t, doc, "order.created")
	assert.Equal(t, "pending", row.AttrOr("data-state", ""))
	assert.Equal(t, "1", cell(row, "tries"))
	assert.Contains(t, cell(row, "last"), "HTTP 503")
	assert.NotEmpty(t, cell(row, "next"), "a pending delivery shows its next try")
	eventID := row.AttrOr("data-event", "")
	require.NotEmpty(t, eventID)
	form := row.Find("form.redeliver-form")
	action := form.AttrOr("action", "")
	assert.Equal(t, "/dashboard/orders/"+id+"/events/"+eventID+"/redeliver", action)
	assert.Equal(t, "Redeliver", strings.TrimSpace(form.Find("button").Text()))

	// Without the session's CSRF token nothing is asked for.
	assert.Equal(t, http.StatusForbidden, b.do(http.MethodPost, action, url.Values{}).status)
	assert.NotContains(t, auditActions(t, e, "shop"), "redeliver")

	r := b.do(http.MethodPost, action, url.Values{"csrf_token": {b.csrf()}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/dashboard/orders/"+id+"?redelivered="+eventID+"#deliveries", r.location())
	assert.Contains(t, auditActions(t, e, "shop"), "redeliver")
	notice := b.get(strings.TrimSuffix(r.location(), "#deliveries") + "&lang=en").doc(t).Find("#notice")
	assert.Contains(t, notice.Text(), eventID)

	// The redelivery is tried at once, before its backoff, and the page shows its answer.
	_, err = w.RunOnce(context.Background())
	require.NoError(t, err)
	row = deliveryRow(t, b.get("/dashboard/orders/"+id).doc(t), "order.created")
	assert.Equal(t, "delivered", row.AttrOr("data-state", ""))
	assert.Equal(t, "2", cell(row, "tries"))
	assert.Contains(t, cell(row, "last"), "HTTP 200")
	assert.Empty(t, cell(row, "next"))

	// An event of another order, through this order's path, is not found.
	other := e.createOrder(orderBody("WH-2"))["id"].(string)
	r = b.do(http.MethodPost, "/dashboard/orders/"+other+"/events/"+eventID+"/redeliver", url.Values{"csrf_token": {b.csrf()}})
	assert.Equal(t, http.StatusNotFound, r.status)
	r = b.do(http.MethodPost, "/dashboard/orders/"+id+"/events/evt_nope/redeliver", url.Values{"csrf_token": {b.csrf()}})
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestDashOrderDeliveriesOfAnotherMerchantAreNotFound(t *testing.T) {
	e, _ := webhookEnv(t, func(string, http.ResponseWriter) {})
	e.addUser("other", "owner@other.example")
	id := e.createOrder(orderBody("WH-1"))["id"].(string)
	events := e.api(http.MethodGet, "/api/v1/events?order="+id, "").json(t)["data"].([]any)
	require.Len(t, events, 1)
	eventID := events[0].(map[string]any)["id"].(string)

	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@other.example", dashPassword).status)
	r := b.do(http.MethodPost, "/dashboard/orders/"+id+"/events/"+eventID+"/redeliver", url.Values{"csrf_token": {b.csrf()}})
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.NotContains(t, auditActions(t, e, "other"), "redeliver")
}

// A merchant without a webhook URL sees its events as not sent, and no button.
func TestDashOrderWithoutWebhookURL(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	id := e.createOrder(orderBody("WH-1"))["id"].(string)
	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	doc := b.get("/dashboard/orders/" + id).doc(t)
	assert.Equal(t, 1, doc.Find("#deliveries-off").Length())
	row := deliveryRow(t, doc, "order.created")
	assert.Equal(t, "none", row.AttrOr("data-state", ""))
	assert.Equal(t, 0, doc.Find("form.redeliver-form").Length())

	events := e.api(http.MethodGet, "/api/v1/events?order="+id, "").json(t)["data"].([]any)
	require.Len(t, events, 1)
	r := b.do(http.MethodPost, "/dashboard/orders/"+id+"/events/"+events[0].(map[string]any)["id"].(string)+"/redeliver",
		url.Values{"csrf_token": {b.csrf()}})
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Equal(t, "true", r.doc(t).Find("#notice").AttrOr("data-error", ""))
}
