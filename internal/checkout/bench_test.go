package checkout_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/hashverify"
	"github.com/mokacheckout/checkout/internal/orders"
)

// BenchmarkPayPage measures the buyer's first request: GET /pay/{order} over HTTP, with
// the order read from the SQLite file and the page rendered.
func BenchmarkPayPage(b *testing.B) {
	e := newEnv(b)
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	b.ResetTimer()
	for b.Loop() {
		if r := e.get("/pay/" + id); r.status != http.StatusOK {
			b.Fatalf("status %d", r.status)
		}
	}
}

// BenchmarkBankReturn measures the bank's return post: hash check, the outcome recorded
// in one durable transaction (synchronous=FULL) and the 303 to the result page. Each
// iteration pays a fresh order.
func BenchmarkBankReturn(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	const code = "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC"
	// Each run of the benchmark has its own database, so references only need to differ
	// within it; the orders are prepared outside the timer.
	b.StopTimer()
	ids := make([][2]string, b.N)
	for i := range ids {
		id := e.createOrder(orderBody("B-" + strconv.Itoa(i)))["id"].(string)
		a := &orders.Attempt{}
		_, err := e.store.StartAttempt(ctx, id, a)
		require.NoError(b, err)
		require.NoError(b, e.store.MarkRedirected(ctx, a.ID, code, e.bankURL+"/bank/3d/x"))
		ids[i] = [2]string{id, a.ID}
	}
	form := url.Values{"hashValue": {hashverify.Expected(code, true)}, "trxCode": {"Test-1"}}
	b.StartTimer()
	for i := range b.N {
		r := e.postForm("/pay/"+ids[i][0]+"/return/"+ids[i][1], form, "Sec-Fetch-Site", "cross-site")
		if r.status != http.StatusSeeOther {
			b.Fatalf("status %d", r.status)
		}
	}
}
