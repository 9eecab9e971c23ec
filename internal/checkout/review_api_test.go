package checkout_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// flaggedOrder creates an order of the shop and flags it as the reconciler would for a
// payment of another amount.
func (e *env) flaggedOrder(reference string) string {
	e.t.Helper()
	id := e.createOrder(orderBody(reference))["id"].(string)
	flagged, err := e.store.FlagForReview(context.Background(), id, orders.ReviewAmountMismatch,
		"Moka reports 140 paid for an order of 150")
	require.NoError(e.t, err)
	require.True(e.t, flagged)
	return id
}

func TestAPIOrderShowsNeedsReviewAndResolves(t *testing.T) {
	e := newEnv(t)
	id := e.flaggedOrder("R-1")
	flaggedAt := e.clock.Now()
	plain := e.createOrder(orderBody("R-2"))
	assert.NotContains(t, plain, "needs_review", "absent when never flagged")

	got := e.order(id)
	nr, ok := got["needs_review"].(map[string]any)
	require.True(t, ok, got)
	assert.Equal(t, map[string]any{"reason": "amount_mismatch", "detail": "Moka reports 140 paid for an order of 150",
		"flagged_at": flaggedAt.Format("2006-01-02T15:04:05Z07:00")}, nr)

	// Another merchant sees nothing and resolves nothing.
	r := e.api(http.MethodPost, "/api/v1/orders/"+id+"/review/resolve", `{"note":"not mine"}`, "Authorization", "Bearer "+otherAPIKey)
	assert.Equal(t, http.StatusNotFound, r.status, r.body)
	assert.Equal(t, "not_found", r.json(t)["error"].(map[string]any)["code"])
	r = e.api(http.MethodGet, "/api/v1/orders?needs_review=true", "", "Authorization", "Bearer "+otherAPIKey)
	require.Equal(t, http.StatusOK, r.status)
	assert.Empty(t, r.json(t)["data"])

	// A note is required, and only the note.
	for body, field := range map[string]string{``: "note", `{}`: "note", `{"note":"  "}`: "note", `{"note":"x","by":"me"}`: "by"} {
		r = e.api(http.MethodPost, "/api/v1/orders/"+id+"/review/resolve", body)
		assert.Equal(t, http.StatusBadRequest, r.status, body)
		assert.Equal(t, field, r.json(t)["error"].(map[string]any)["field"], body)
	}

	e.clock.Add(60e9)
	r = e.api(http.MethodPost, "/api/v1/orders/"+id+"/review/resolve", `{"note":"refunded the 140.00 at Moka"}`, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusOK, r.status, r.body)
	nr = r.json(t)["needs_review"].(map[string]any)
	assert.Equal(t, "amount_mismatch", nr["reason"])
	assert.Equal(t, "api", nr["resolved_by"])
	assert.Equal(t, "refunded the 140.00 at Moka", nr["note"])
	assert.Equal(t, e.clock.Now().Format("2006-01-02T15:04:05Z07:00"), nr["resolved_at"])

	// The same request with the same key gets the same answer; a second resolution is a
	// clear 409.
	again := e.api(http.MethodPost, "/api/v1/orders/"+id+"/review/resolve", `{"note":"refunded the 140.00 at Moka"}`, "Idempotency-Key", "k1")
	assert.Equal(t, http.StatusOK, again.status)
	assert.JSONEq(t, r.body, again.body)
	r = e.api(http.MethodPost, "/api/v1/orders/"+id+"/review/resolve", `{"note":"twice"}`)
	assert.Equal(t, http.StatusConflict, r.status, r.body)
	errBody := r.json(t)["error"].(map[string]any)
	assert.Equal(t, "review_not_open", errBody["code"])
	assert.Contains(t, errBody["message"], "resolved already")
	r = e.api(http.MethodPost, "/api/v1/orders/"+plain["id"].(string)+"/review/resolve", `{"note":"nothing to resolve"}`)
	assert.Equal(t, http.StatusConflict, r.status, r.body)

	evs, err := e.store.OrderEvents(context.Background(), "shop", id)
	require.NoError(t, err)
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderNeedsReview, orders.EventOrderReviewResolved}, types)
}

func TestAPIListOrdersByNeedsReview(t *testing.T) {
	e := newEnv(t)
	flagged := e.flaggedOrder("FLAGGED")
	e.clock.Add(1e9)
	resolved := e.flaggedOrder("RESOLVED")
	e.clock.Add(1e9)
	plain := e.createOrder(orderBody("PLAIN"))["id"].(string)
	_, err := e.store.ResolveReview(context.Background(), "shop", resolved, "api", "done")
	require.NoError(t, err)

	ids := func(query string) []string {
		r := e.api(http.MethodGet, "/api/v1/orders?"+query, "")
		require.Equal(t, http.StatusOK, r.status, r.body)
		var out []string
		for _, o := range r.json(t)["data"].([]any) {
			out = append(out, o.(map[string]any)["id"].(string))
		}
		return out
	}
	assert.Equal(t, []string{flagged}, ids("needs_review=true"))
	assert.Equal(t, []string{plain, resolved}, ids("needs_review=false"))
	assert.Equal(t, []string{flagged}, ids("needs_review=true&status=open"))
	for _, bad := range []string{"needs_review=yes", "needs_review=", "needs_review=true&needs_review=false"} {
		r := e.api(http.MethodGet, "/api/v1/orders?"+bad, "")
		assert.Equal(t, http.StatusBadRequest, r.status, bad)
		assert.Equal(t, "needs_review", r.json(t)["error"].(map[string]any)["field"], bad)
	}
}

func TestDashReviewResolvesFlaggedOrders(t *testing.T) {
	e := pgEnv(t)
	id := e.flaggedOrder("REVIEW-FLAGGED")
	conflict, _ := e.pgConflictOrder("REVIEW-CONFLICT")

	b := e.pgLogin(shopUser)
	doc, _ := b.pgPage("/dashboard/review?lang=en")
	flagged := doc.Find(`#review-flagged article[data-flagged="true"]`)
	require.Equal(t, 2, flagged.Length(), doc.Text())
	item := doc.Find(`#review-flagged article[data-order="` + id + `"]`)
	assert.Equal(t, "amount_mismatch", item.AttrOr("data-reason", ""))
	assert.Contains(t, item.Find("h3").Text(), "Moka holds another amount")
	assert.Contains(t, item.Text(), "Moka reports 140 paid for an order of 150")
	assert.Equal(t, "payment_conflict", doc.Find(`#review-flagged article[data-order="`+conflict+`"]`).AttrOr("data-reason", ""))
	assert.Equal(t, 0, doc.Find(`#review-hints article[data-order="`+conflict+`"]`).Length(), "a flagged conflict is listed once")
	form := item.Find("form.resolve-form")
	action := form.AttrOr("action", "")
	assert.Equal(t, "/dashboard/orders/"+id+"/review/resolve", action)
	assert.Equal(t, 1, form.Find(`input[name="csrf_token"]`).Length())

	// Without the session's token nothing happens.
	r := b.do(http.MethodPost, action, url.Values{"note": {"no token"}})
	assert.Equal(t, http.StatusForbidden, r.status)
	// An empty note is refused on the page, the form kept.
	r = b.do(http.MethodPost, action+"?lang=en", url.Values{"csrf_token": {b.csrf()}, "note": {" "}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.doc(t).Find(`article[data-order="`+id+`"] .field-error`).Text(), "Write in a note what you did")

	// Another merchant's user cannot resolve it.
	other := e.pgLogin(otherUser)
	r = other.do(http.MethodPost, action, url.Values{"csrf_token": {other.csrf()}, "note": {"not mine"}})
	assert.Equal(t, http.StatusNotFound, r.status)
	_, page := other.pgPage("/dashboard/review")
	assert.NotContains(t, page.body, id)

	r = b.do(http.MethodPost, action, url.Values{"csrf_token": {b.csrf()}, "note": {"Refunded the difference at Moka"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/dashboard/review?resolved="+id, r.location())
	doc, _ = b.pgPage(r.location() + "&lang=en")
	assert.Contains(t, doc.Find(`[role="status"]`).Text(), "Order REVIEW-FLAGGED was marked resolved.")
	assert.Equal(t, 0, doc.Find(`article[data-order="`+id+`"]`).Length(), "a resolved order leaves the queue")

	got, err := e.store.GetOrder(context.Background(), id)
	require.NoError(t, err)
	require.NotNil(t, got.Review)
	assert.False(t, got.FlaggedForReview())
	assert.Equal(t, shopUser, got.Review.ResolvedBy)
	assert.Equal(t, "Refunded the difference at Moka", got.Review.Note)

	entries, err := e.store.ListAudit(context.Background(), "shop", 10)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	assert.Equal(t, "review_resolved", entries[0].Action)
	assert.Equal(t, id, entries[0].OrderID)
	assert.Equal(t, shopUser, entries[0].Email)
	assert.Contains(t, entries[0].Detail, "Refunded the difference at Moka")
	assert.NotContains(t, auditActions(t, e, "other"), "review_resolved")

	// A second resolution (another tab) is refused, clearly.
	r = b.do(http.MethodPost, action+"?lang=en", url.Values{"csrf_token": {b.csrf()}, "note": {"again"}})
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Contains(t, r.doc(t).Find(`[role="alert"]`).Text(), "no open review")

	doc, _ = b.pgPage("/dashboard/audit?lang=en")
	assert.True(t, strings.Contains(doc.Find("#audit").Text(), "Resolved a review"), doc.Find("#audit").Text())
}
