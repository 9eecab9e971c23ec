package checkout_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
)

// These run two checkout servers, each with its own store, on one database: a SQLite
// file, or in the PostgreSQL run (CHECKOUT_TEST_STORE=postgres) one PostgreSQL schema, as
// instances behind a load balancer do. Nothing one process holds in memory may be what
// records an outcome once.

// A buyer's card post reaches one instance and the bank's return the other: the payment
// is recorded once, by the instance that got the return.
func TestInstancesCardPostOnOneReturnOnTheOther(t *testing.T) {
	a := newEnv(t)
	b := a.secondInstance()
	id := a.createOrder(orderBody("INST-1"))["id"].(string)
	target, fields := a.startAtBank(id, successCard)
	require.True(t, strings.HasPrefix(target, a.url), target)

	ret := b.postForm(b.url+strings.TrimPrefix(target, a.url), fields, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusSeeOther, ret.status, ret.body)
	status, _ := resultStatus(t, b.get(ret.location()))
	assert.Equal(t, "paid", status)
	assert.Equal(t, "paid", a.order(id)["status"], "the first instance reads it too")
	assert.Equal(t, 1, count(eventTypes(t, a, id), orders.EventOrderPaid))
}

// Twenty copies of one bank return, split over the two instances and held at the door
// until all twenty have arrived, so that they race: one outcome, one order.paid, and
// every copy sent to the same result.
func TestInstancesConcurrentReturnsRecordOnce(t *testing.T) {
	a := newEnv(t)
	b := a.secondInstance()
	id := a.createOrder(orderBody("INST-2"))["id"].(string)
	target, fields := a.startAtBank(id, successCard)
	path := strings.TrimPrefix(target, a.url)

	const n = 20
	var arrived sync.WaitGroup
	arrived.Add(n)
	gate := func(h http.Handler) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived.Done()
			arrived.Wait() // every copy is in flight before any is handled
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	doors := []string{gate(a.server).URL, gate(b.server).URL}

	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = a.postForm(doors[i%2]+path, fields, "Sec-Fetch-Site", "cross-site") })
	}
	wg.Wait()
	for i, r := range results {
		require.Equal(t, http.StatusSeeOther, r.status, "copy %d: %s", i, r.body)
		assert.Equal(t, results[0].location(), r.location(), "copy %d", i)
	}
	assert.Equal(t, 1, strings.Count(a.logs.String(), "payment outcome recorded"), "recorded exactly once")
	assert.Equal(t, 1, count(eventTypes(t, a, id), orders.EventOrderPaid))
	o := b.order(id)
	assert.Equal(t, "paid", o["status"])
	require.Len(t, attempts(o), 1)
	assert.Equal(t, "succeeded", attempts(o)[0]["status"])
}

// Twenty captures of one order, and twenty refunds of another, spread over the two
// instances while Moka holds the first: one of each wins.
func TestInstancesConcurrentActionsOneWins(t *testing.T) {
	a := newEnv(t)
	b := a.secondInstance()
	id := a.paidOrder(orderBody("INST-3", `"capture":"manual"`))
	raceOneWins(t, a, id, "capture", moka.PathCapture, b)
	assert.Equal(t, 1, trxCount(a.detail(id), moka.TrxTypePayment), "Moka captured once")
	assert.Len(t, b.order(id)["captures"], 1)

	paid := a.paidOrder(orderBody("INST-4"))
	a.clock.Add(25 * time.Hour)
	raceOneWins(t, a, paid, "refunds", moka.PathCreateRefundRequest, b)
	assert.Len(t, b.order(paid)["refunds"], 1)
}
