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

// A double click (or a second tab) posts the card form while the first post is still
// waiting for Moka: every post lands on the same bank page, and only one attempt exists.
func TestPaySubmitConcurrentPostsJoinOneAttempt(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	token, action := e.payForm("/pay/" + id)
	e.bank.SetFault(sandbox.Fault{Latency: 300 * time.Millisecond})

	const n = 5
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = e.postForm(action, cardValues(successCard, token), "Sec-Fetch-Site", "same-origin")
		}()
	}
	wg.Wait()
	e.bank.SetFault(sandbox.Fault{})

	first := answers[0].location()
	require.True(t, strings.HasPrefix(first, e.bankURL), "sent to the bank: %d %s", answers[0].status, answers[0].body)
	for i, a := range answers {
		assert.Equal(t, http.StatusSeeOther, a.status, "post %d: %s", i, a.body)
		assert.Equal(t, first, a.location(), "post %d joins the same bank session", i)
	}
	o := e.order(id)
	assert.Len(t, attempts(o), 1)
	assert.Equal(t, "processing", o["status"])

	// The buyer finishes at the bank once; the order is paid.
	target, fields := e.bankReturn(first, sandbox.DemoOTP)
	ret := e.postForm(target, fields, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusSeeOther, ret.status)
	assert.Equal(t, "paid", e.order(id)["status"])
}

// A buyer who comes back to the card page while the payment waits at the bank is offered
// the way back to the bank; once the bank session is over, no longer.
func TestPayPageInProgressLinksToTheBank(t *testing.T) {
	e := newEnv(t, func(o *checkout.Options) { o.BankSessionTimeout = 10 * time.Minute })
	id := e.createOrder(orderBody("R-1", `"locale":"en"`))["id"].(string)
	r := e.submitCard("/pay/"+id, successCard)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	bank := r.location()

	page := e.get("/pay/" + id)
	assert.Equal(t, http.StatusConflict, page.status)
	link := page.doc(t).Find("#message-link")
	href, _ := link.Attr("href")
	assert.Equal(t, bank, href)
	assert.Equal(t, "Continue at your bank", strings.TrimSpace(link.Text()))

	// The page in iframe mode does not send the full-page attempt's buyer into the frame.
	embedded := e.get("/pay/" + id + "?embed=1&origin=" + url.QueryEscape(shopOrigin))
	assert.Equal(t, http.StatusConflict, embedded.status)
	assert.Zero(t, embedded.doc(t).Find("#message-link").Length())

	e.clock.Add(11 * time.Minute)
	late := e.get("/pay/" + id)
	assert.Equal(t, http.StatusConflict, late.status)
	assert.Zero(t, late.doc(t).Find("#message-link").Length(), "the bank session is over")
}

// An outage at Moka must not use up the buyer's attempts: the order stays payable.
func TestMokaOutageDoesNotUseUpAttempts(t *testing.T) {
	e := newEnv(t, func(o *checkout.Options) { o.MaxAttempts = 2 })
	id := e.createOrder(orderBody("R-1", `"locale":"en"`))["id"].(string)
	e.bank.SetFault(sandbox.Fault{Status500: true})
	for i := range 4 {
		r := e.submitCard("/pay/"+id, successCard)
		require.Equal(t, http.StatusBadGateway, r.status, "post %d: %s", i, r.body)
	}
	e.bank.SetFault(sandbox.Fault{})
	assert.Equal(t, "open", e.order(id)["status"])
	status, _ := resultStatus(t, e.pay("/pay/"+id, successCard, sandbox.DemoOTP))
	assert.Equal(t, "paid", status)
	assert.Len(t, attempts(e.order(id)), 5)
}

// A declined card does use up an attempt, and VirtualPosNotAvailable (the card's bank)
// is a decline the buyer can fix with another card, not an outage.
func TestDeclinesUseUpAttempts(t *testing.T) {
	e := newEnv(t, func(o *checkout.Options) { o.MaxAttempts = 2 })
	id := e.createOrder(orderBody("R-1", `"locale":"en"`))["id"].(string)
	r := e.submitCard("/pay/"+id, "4546711234567894")
	require.Equal(t, http.StatusPaymentRequired, r.status, r.body)
	r = e.submitCard("/pay/"+id, invalidCard)
	require.Equal(t, http.StatusGone, r.status, r.body)
	o := e.order(id)
	assert.Equal(t, "canceled", o["status"])
	assert.Len(t, attempts(o), 2)
}

// Moka's 3-D URL on an origin the card page's CSP does not list would be blocked by the
// browser: the attempt ends at once (not counted) and the buyer may try again.
func TestThreeDURLOnUnlistedOriginIsRefused(t *testing.T) {
	e := newEnv(t, func(o *checkout.Options) {
		// The sandbox's answers stay on its own origin; list the Moka base URL on another
		// origin that still reaches it, so the 3-D URL is not on a listed origin.
		o.Merchants[0].MokaBaseURL = strings.Replace(o.Merchants[0].MokaBaseURL, "127.0.0.1", "localhost", 1)
	})
	id := e.createOrder(orderBody("R-1", `"locale":"en"`))["id"].(string)
	r := e.submitCard("/pay/"+id, successCard)
	require.Equal(t, http.StatusBadGateway, r.status, r.body)
	assert.Contains(t, e.logs.String(), "threed_origins")
	o := e.order(id)
	assert.Equal(t, "open", o["status"])
	require.Len(t, attempts(o), 1)
	assert.Equal(t, "failed", attempts(o)[0]["status"])

	// Listing the origin fixes it.
	e2 := newEnv(t, func(o *checkout.Options) {
		o.Merchants[0].ThreeDOrigins = []string{o.Merchants[0].MokaBaseURL}
		o.Merchants[0].MokaBaseURL = strings.Replace(o.Merchants[0].MokaBaseURL, "127.0.0.1", "localhost", 1)
	})
	id2 := e2.createOrder(orderBody("R-2"))["id"].(string)
	r2 := e2.submitCard("/pay/"+id2, successCard)
	require.Equal(t, http.StatusSeeOther, r2.status, r2.body)
	csp := e2.get("/pay/" + id2).header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "form-action 'self' http://localhost:")
	assert.Contains(t, csp, e2.bankURL)
}
