package checkout_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// TestOrderUnderReviewTakesNoPayment: while a person checks money Moka may hold for an
// order, its card page tells the buyer not to pay again, and a card post starts nothing.
func TestOrderUnderReviewTakesNoPayment(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("REV-PAY-1"))
	id := o["id"].(string)
	token, action := e.payForm("/pay/" + id)
	flagged, err := e.store.FlagForReview(context.Background(), id, orders.ReviewPaidUnrecorded, "found by the sweep")
	require.NoError(t, err)
	require.True(t, flagged)

	page := e.get("/pay/" + id)
	assert.Equal(t, http.StatusConflict, page.status)
	assert.Zero(t, page.doc(t).Find("#card-form").Length(), "no card form")
	r := e.postForm(action, cardValues(successCard, token), "Sec-Fetch-Site", "same-origin")
	assert.Equal(t, http.StatusConflict, r.status, r.body)
	got, err := e.store.GetOrder(context.Background(), id)
	require.NoError(t, err)
	assert.Empty(t, got.Attempts, "no attempt started")
}
