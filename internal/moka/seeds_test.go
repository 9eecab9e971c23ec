package moka_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// roundTrip decodes a seed sample request, validates it, and checks that encoding it
// again says the same to Moka.
func roundTrip[T any](t *testing.T, file string, validate func(T) error) []byte {
	t.Helper()
	raw := readTestdata(t, file)
	var env moka.Envelope[T]
	require.NoError(t, json.Unmarshal(raw, &env))
	require.NoError(t, validate(env.PaymentDealerRequest))
	out, err := json.Marshal(env)
	require.NoError(t, err)
	assertSameJSON(t, raw, out)
	return out
}

// The seed samples keep ExpYear 2020: Validate checks the shape of the expiry, and the
// checkout, which has a clock, refuses expired cards before building a request.
func TestSeedSampleRequestsValidateAndRoundTrip(t *testing.T) {
	for _, file := range []string{
		"threed_scenario1.json", "threed_scenario2.json", "threed_scenario3.json",
		"threed_scenario4.json", "threed_scenario5.json", "threed_scenario6.json",
	} {
		t.Run(file, func(t *testing.T) {
			roundTrip(t, file, moka.ThreeDRequest.ValidateMarketPlace)
		})
	}
	t.Run("capture", func(t *testing.T) { roundTrip(t, "capture_request.json", moka.CaptureRequest.Validate) })
	t.Run("approve", func(t *testing.T) { roundTrip(t, "approve_request.json", moka.ApproveRequest.Validate) })
	t.Run("refund", func(t *testing.T) { roundTrip(t, "refund_request.json", moka.RefundRequest.Validate) })
	t.Run("trxlist", func(t *testing.T) { roundTrip(t, "trxlist_request.json", moka.TrxListRequest.Validate) })
}

func TestSeedAmountsKeepTheirForm(t *testing.T) {
	out := roundTrip(t, "threed_scenario1.json", moka.ThreeDRequest.ValidateMarketPlace)
	assert.Contains(t, string(out), `"Amount":7.5,`)
	assert.Contains(t, string(out), `"Amount":4.5}`)

	// Scenario 2 writes rates as strings; we send them as numbers with their digits.
	out = roundTrip(t, "threed_scenario2.json", moka.ThreeDRequest.ValidateMarketPlace)
	assert.Contains(t, string(out), `"DealerCommissionRate":2.00,`)
}

// Each seed answer, served as Moka would, gives the documented result through the client.
func TestSeedResponses(t *testing.T) {
	ctx := context.Background()
	threeD := func(c *moka.Client) (any, error) {
		var req moka.Envelope[moka.ThreeDRequest]
		require.NoError(t, json.Unmarshal(readTestdata(t, "threed_scenario1.json"), &req))
		return c.StartThreeDMarketPlace(ctx, req.PaymentDealerRequest)
	}
	capture := func(c *moka.Client) (any, error) {
		var req moka.Envelope[moka.CaptureRequest]
		require.NoError(t, json.Unmarshal(readTestdata(t, "capture_request.json"), &req))
		return c.Capture(ctx, req.PaymentDealerRequest)
	}
	approve := func(c *moka.Client) (any, error) {
		var req moka.Envelope[moka.ApproveRequest]
		require.NoError(t, json.Unmarshal(readTestdata(t, "approve_request.json"), &req))
		return c.ApprovePoolPayment(ctx, req.PaymentDealerRequest)
	}
	refund := func(c *moka.Client) (any, error) {
		var req moka.Envelope[moka.RefundRequest]
		require.NoError(t, json.Unmarshal(readTestdata(t, "refund_request.json"), &req))
		return c.CreateRefundRequest(ctx, req.PaymentDealerRequest)
	}
	trxList := func(c *moka.Client) (any, error) {
		var req moka.Envelope[moka.TrxListRequest]
		require.NoError(t, json.Unmarshal(readTestdata(t, "trxlist_request.json"), &req))
		return c.PaymentTrxList(ctx, req.PaymentDealerRequest)
	}

	tests := []struct {
		answer   string
		path     string
		call     func(*moka.Client) (any, error)
		want     any
		wantCode string
	}{
		{"threed_success.json", moka.PathThreeDMarketPlace, threeD, &moka.ThreeDResult{
			URL:         "https://service.testmoka.com/PaymentDealerThreeDProcess?threeDTrxCode=0cc02f5fac4f-47fb-aa94-167582552caa",
			CodeForHash: "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC",
		}, ""},
		{"threed_failure.json", moka.PathThreeDMarketPlace, threeD, nil,
			"PaymentDealer.CheckPaymentDealerAuthentication.VirtualPosNotFound"},
		{"capture_success.json", moka.PathCapture, capture, &moka.BankResult{IsSuccessful: true, ResultCode: "00"}, ""},
		{"capture_failure.json", moka.PathCapture, capture, nil,
			"PaymentDealer.CheckPaymentDealerAuthentication.InvalidAccount"},
		{"approve_success.json", moka.PathApprovePoolPayment, approve,
			&moka.BankResult{IsSuccessful: true, VirtualPosOrderID: "ORDER-17131QMlH04026199"}, ""},
		{"approve_failure.json", moka.PathApprovePoolPayment, approve, nil,
			"PaymentDealer.CheckPaymentDealerAuthentication.InvalidAccount"},
		{"refund_success.json", moka.PathCreateRefundRequest, refund,
			&moka.BankResult{IsSuccessful: true, RefundRequestID: "1356"}, ""},
		{"refund_failure.json", moka.PathCreateRefundRequest, refund, nil,
			"PaymentDealer.DoCreateRefundRequest.InvalidAccount"},
		// Seed 004's success example is cut off in the document; its one complete
		// transaction is decoded in TestSeedTrxListItem.
		{"trxlist_failure.json", moka.PathPaymentTrxList, trxList, nil,
			"PaymentDealer.CheckPaymentDealerAuthentication.InvalidAccount"},
	}
	for _, tt := range tests {
		t.Run(tt.answer, func(t *testing.T) {
			f := newFakeMoka(t, http.StatusOK, readTestdata(t, tt.answer))
			got, err := tt.call(f.client())
			_, path, _ := f.received()
			assert.Equal(t, tt.path, path)
			if tt.wantCode == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			var me *moka.Error
			require.ErrorAs(t, err, &me)
			// The seeds pad the code with a trailing space; the client trims it.
			assert.Equal(t, tt.wantCode, me.ResultCode)
			assert.False(t, me.Bank)
			assert.True(t, moka.IsCode(err, tt.wantCode))
		})
	}
}

func TestSeedTrxListItem(t *testing.T) {
	raw := readTestdata(t, "trxlist_success_trx.json")
	var trx moka.Trx
	require.NoError(t, json.Unmarshal(raw, &trx))
	assert.Equal(t, moka.Int(41748), trx.DealerPaymentTrxID)
	assert.Equal(t, "ORDER-20209NHXA05020598", trx.VirtualPosOrderID)
	assert.Equal(t, "1.00", trx.Amount.StringFixed(2))
	assert.Equal(t, moka.Int(moka.TrxTypePayment), trx.TrxType)
	assert.Equal(t, moka.Int(moka.TrxStatusSuccess), trx.TrxStatus)

	require.Len(t, trx.SubPaymentTrxList, 1)
	assert.Equal(t, moka.SubPaymentTrx{
		DealerPaymentTrxDealerID:    41284,
		DealerPaymentDealerID:       33578,
		DealerID:                    1,
		Amount:                      amt("1.00"),
		DealerCommissionAmount:      amt("0.02"),
		DealerGroupCommissionAmount: amt("0.02"),
		DealerStatementID:           0,
	}, trx.SubPaymentTrxList[0])

	// Encoding the decoded item again says the same: no field of the seed is dropped.
	out, err := json.Marshal(trx)
	require.NoError(t, err)
	assertSameJSON(t, raw, out)
	assert.Contains(t, string(out), `"SubPaymentTrxList":[{"DealerPaymentTrxDealerId":41284,`)
}
