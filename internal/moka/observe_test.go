package moka_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mokacheckout/checkout/internal/moka"
)

// TestObserverSeesEveryCallsResult: metrics hear of each call, its service and a result
// from a small set of values, never the request.
func TestObserverSeesEveryCallsResult(t *testing.T) {
	cases := []struct {
		status int
		answer string
		result string
	}{
		{http.StatusOK, `{"Data":{"PaymentDetail":{},"PaymentTrxDetailList":[]},"ResultCode":"Success"}`, "Success"},
		{http.StatusOK, `{"Data":null,"ResultCode":"PaymentDealer.GetDealerPaymentTrxDetailList.PaymentNotFound "}`, "PaymentDealer.GetDealerPaymentTrxDetailList.PaymentNotFound"},
		{http.StatusBadGateway, `<html>bad gateway</html>`, "http_502"},
		{http.StatusOK, `{"Data":`, "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.result, func(t *testing.T) {
			f := newFakeMoka(t, tc.status, []byte(tc.answer))
			var service, result string
			var took time.Duration
			c := f.client(moka.WithObserver(func(s, r string, d time.Duration) { service, result, took = s, r, d }))
			_, _ = c.PaymentDetail(context.Background(), moka.PaymentDetailRequest{OtherTrxCode: "ABC"})
			assert.Equal(t, "GetDealerPaymentTrxDetailList", service)
			assert.Equal(t, tc.result, result)
			assert.Positive(t, took)
		})
	}
}
