package moka_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// The default client keeps its connections to Moka: a second round of 32 concurrent
// calls reuses the 32 connections of the first instead of opening new ones (net/http's
// default transport keeps only 2 idle per host, so it would open about 30).
func TestClientReusesConnectionsUnderConcurrency(t *testing.T) {
	const n = 32
	answer := []byte(`{"Data":{"PaymentDetail":{"DealerPaymentId":27,"OtherTrxCode":"att_1","Amount":"150.00","CurrencyCode":"TL","PaymentStatus":2,"TrxStatus":1},
	"PaymentTrxDetailList":[]},"ResultCode":"Success","ResultMessage":"","Exception":null}`)
	// In the first round every call waits until all n have arrived, so that round holds
	// n connections at once.
	var arrived sync.WaitGroup
	arrived.Add(n)
	var barrier atomic.Bool
	barrier.Store(true)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if barrier.Load() {
			arrived.Done()
			arrived.Wait()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	var opened atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	c := moka.New(srv.URL, testCreds)
	round := func() {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = c.PaymentDetail(context.Background(), moka.PaymentDetailRequest{OtherTrxCode: "att_1"})
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
	}
	round()
	barrier.Store(false)
	require.Equal(t, int64(n), opened.Load())
	round()
	assert.Equal(t, int64(n), opened.Load(), "the second round opened no new connection")
}
