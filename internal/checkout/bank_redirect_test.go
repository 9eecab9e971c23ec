package checkout_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The answer that sends a buyer to the bank closes the buyer's connection: nothing more
// comes on it until the bank returns the buyer, a minute or more later, and held open it
// would cost the server memory for every buyer at the bank. The card page, a refused post
// and the bank's return keep theirs. Behind a proxy the connection is the proxy's, shared
// by many buyers, and is kept.
func TestBankRedirectClosesTheBuyersConnection(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("CLOSE-1"))["id"].(string)
	page := e.get("/pay/" + id)
	require.Equal(t, http.StatusOK, page.status)
	assert.False(t, page.closed, "the card page keeps the connection for the card post")

	bad := e.submitCard("/pay/"+id, "4111111111111112") // fails the Luhn check
	require.Equal(t, http.StatusUnprocessableEntity, bad.status, bad.body)
	assert.False(t, bad.closed, "a refused post keeps it: the buyer corrects the form")

	token, action := e.payForm("/pay/" + id)
	r := e.postForm(action, cardValues(successCard, token), "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.True(t, r.closed, "sent to the bank: the connection is closed with the answer")

	// A second post of the form (a double click) joins the payment at the bank, and is
	// sent there too.
	again := e.postForm(action, cardValues(successCard, token), "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusSeeOther, again.status, again.body)
	assert.Equal(t, r.location(), again.location())
	assert.True(t, again.closed)

	target, fields := e.bankReturn(r.location(), "123456")
	ret := e.postForm(target, fields, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusSeeOther, ret.status, ret.body)
	assert.False(t, ret.closed, "the return keeps it: the result page follows")

	p := newEnv(t, trustProxy)
	id = p.createOrder(orderBody("CLOSE-2"))["id"].(string)
	r = p.submitCard("/pay/"+id, successCard)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.False(t, r.closed, "behind a proxy the connection is kept")
}
