package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// TestRawOnlyCodes covers the seed codes that only a raw HTTP request can produce: the
// client's own Validate refuses the same input first. Each code is produced over HTTP,
// and the client is shown to refuse the same request with a *moka.ValidationError that
// names the field, before anything reaches the sandbox.
func TestRawOnlyCodes(t *testing.T) {
	ctx := context.Background()
	from, to := window(time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	threeDWith := func(change func(*moka.ThreeDRequest)) moka.ThreeDRequest {
		r := threeD("4183441122223339", "10")
		change(&r)
		return r
	}
	pool := []moka.SubDealerPart{{DealerID: 1787}, {DealerID: 1788}}
	refundPart := []moka.SubDealerPart{{DealerID: 1772, Amount: amt("1")}}

	cases := []struct {
		name   string
		path   string
		req    any // the PaymentDealerRequest, sent raw and through the client alike
		code   string
		client func(*moka.Client, any) error
		field  string
	}{
		{"3-D installments in foreign currency", moka.PathThreeD,
			threeDWith(func(r *moka.ThreeDRequest) { r.Currency, r.InstallmentNumber = moka.CurrencyUSD, 2 }),
			CodeInstallmentForeign, startThreeD, "InstallmentNumber"},
		{"3-D 13 installments", moka.PathThreeD,
			threeDWith(func(r *moka.ThreeDRequest) { r.InstallmentNumber = 13 }),
			CodeInvalidInstallment, startThreeD, "InstallmentNumber"},
		{"3-D with ReturnHash 2 (bad object)", moka.PathThreeD,
			threeDWith(func(r *moka.ThreeDRequest) { r.ReturnHash = 2 }),
			authPrefix + "InvalidRequest", startThreeD, "ReturnHash"},
		{"approve without ids", moka.PathApprovePoolPayment,
			moka.ApproveRequest{SubDealer: pool},
			approvePrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven", approvePool, "VirtualPosOrderId"},
		{"approve with blank ids", moka.PathApprovePoolPayment,
			moka.ApproveRequest{VirtualPosOrderID: "  ", OtherTrxCode: "\t", SubDealer: pool},
			approvePrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven", approvePool, "VirtualPosOrderId"},
		{"refund without ids", moka.PathCreateRefundRequest,
			moka.RefundRequest{Amount: dec("1"), SubDealer: refundPart},
			refundPrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven", createRefund, "VirtualPosOrderId"},
		{"refund with blank ids", moka.PathCreateRefundRequest,
			moka.RefundRequest{VirtualPosOrderID: " ", OtherTrxCode: "  ", Amount: dec("1"), SubDealer: refundPart},
			refundPrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven", createRefund, "VirtualPosOrderId"},
		{"list ISO date", moka.PathPaymentTrxList,
			moka.TrxListRequest{TrxStartDate: time.Now().Format("2006-01-02") + "T09:00", TrxEndDate: to},
			listPrefix + "InvalidDateTimeFormat", listTrx, "TrxStartDate"},
		{"list one-digit hour", moka.PathPaymentTrxList,
			moka.TrxListRequest{TrxStartDate: from, TrxEndDate: time.Now().Format("2006-01-02") + " 9:00"},
			listPrefix + "InvalidDateTimeFormat", listTrx, "TrxEndDate"},
		{"list TrxType 5", moka.PathPaymentTrxList,
			moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to, TrxType: moka.SomeInt(5)},
			listPrefix + "InvalidTrxType", listTrx, "TrxType"},
		{"list TrxStatus 3", moka.PathPaymentTrxList,
			moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to, TrxStatus: moka.SomeInt(3)},
			listPrefix + "InvalidTrxStatus", listTrx, "TrxStatus"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSandbox(t)
			out, _ := call[any](s, tc.path, tc.req)
			assert.Equal(t, tc.code, out.ResultCode, "raw HTTP")
			assert.NotEmpty(t, out.ResultMessage)

			before := s.mokaHits.Load()
			err := tc.client(s.client(DemoDealerCode), tc.req)
			var ve *moka.ValidationError
			require.ErrorAs(t, err, &ve, "the client refuses first")
			assert.Equal(t, tc.field, ve.Field)
			assert.Equal(t, before, s.mokaHits.Load(), "nothing was sent")
		})
	}

	// A wrong CheckKey is raw-only for another reason: the client has no CheckKey input.
	// It always signs with moka.CheckKey, which must agree with the sandbox's check.
	t.Run("bad CheckKey", func(t *testing.T) {
		s := startSandbox(t)
		a := demoAuth()
		a.CheckKey = checkKey(DemoDealerCode, DemoUsername, "other")
		for path, code := range map[string]string{
			moka.PathThreeD: authPrefix + "InvalidRequest", moka.PathCapture: authPrefix + "InvalidRequest",
			moka.PathApprovePoolPayment: authPrefix + "InvalidRequest", moka.PathPaymentTrxList: authPrefix + "InvalidRequest",
			moka.PathCreateRefundRequest: refundPrefix + "InvalidRequest",
		} {
			out := s.post(path, moka.Envelope[any]{PaymentDealerAuthentication: a})
			assert.Equal(t, code, out.ResultCode, path)
		}
		creds := moka.Credentials{DealerCode: DemoDealerCode, Username: DemoUsername, Password: DemoPassword}
		assert.Equal(t, checkKey(DemoDealerCode, DemoUsername, DemoPassword), creds.Authentication().CheckKey)
		_, err := s.client(DemoDealerCode).PaymentTrxList(ctx, moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to})
		assert.NoError(t, err, "the client's own CheckKey passes")
	})
}

func startThreeD(c *moka.Client, req any) error {
	_, err := c.StartThreeD(context.Background(), req.(moka.ThreeDRequest))
	return err
}

func approvePool(c *moka.Client, req any) error {
	_, err := c.ApprovePoolPayment(context.Background(), req.(moka.ApproveRequest))
	return err
}

func createRefund(c *moka.Client, req any) error {
	_, err := c.CreateRefundRequest(context.Background(), req.(moka.RefundRequest))
	return err
}

func listTrx(c *moka.Client, req any) error {
	_, err := c.PaymentTrxList(context.Background(), req.(moka.TrxListRequest))
	return err
}
