package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// TestClientAgainstSandbox drives every service through moka.Client over HTTP and checks
// the *moka.Error codes the client surfaces.
func TestClientAgainstSandbox(t *testing.T) {
	s := startSandbox(t)
	ctx := context.Background()
	c := moka.New(s.url, moka.Credentials{DealerCode: DemoDealerCode, Username: DemoUsername, Password: DemoPassword})
	bad := moka.New(s.url, moka.Credentials{DealerCode: DemoDealerCode, Username: DemoUsername, Password: "wrong"})

	res, err := c.StartThreeD(ctx, threeD("4183441122223339", "10"))
	require.NoError(t, err)
	assert.NotEmpty(t, res.CodeForHash)

	pool, poolVpos := s.paidMarketplace("10", map[int64]string{1787: "4", 1788: "6"}, false, true)
	pre, preVpos := s.paidMarketplace("5", map[int64]string{1774: "5"}, true, false)
	paid, paidVpos := s.paidMarketplace("8", map[int64]string{1772: "8"}, false, false)

	code := func(err error) string {
		var me *moka.Error
		if err == nil {
			return "no error"
		}
		if !errors.As(err, &me) {
			return "no moka.Error: " + err.Error()
		}
		return me.ResultCode
	}
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"3-D invalid card", func() error { _, err := c.StartThreeD(ctx, threeD("5890040000000016", "10")); return err }, CodeInvalidCardInfo},
		{"3-D daily card limit", func() error { _, err := c.StartThreeD(ctx, threeD("4022774022774026", "10")); return err }, CodeDailyCardLimitExceeded},
		{"3-D no virtual pos", func() error { _, err := c.StartThreeD(ctx, threeD("4546711234567894", "10")); return err }, CodeVirtualPosNotAvailable},
		{"3-D EX", func() error { _, err := c.StartThreeD(ctx, threeD("4183441122223339", "99.99")); return err }, "EX"},
		{"3-D wrong account", func() error { _, err := bad.StartThreeD(ctx, threeD("4183441122223339", "10")); return err }, authPrefix + "InvalidAccount"},
		{"capture over provision", func() error {
			_, err := c.Capture(ctx, moka.CaptureRequest{VirtualPosOrderID: preVpos, Amount: dec("6"), SubDealer: []moka.SubDealerPart{{DealerID: 1774, Amount: amt("6")}}})
			return err
		}, "PaymentDealer.DoCapture.InvalidAmount"},
		{"capture", func() error {
			_, err := c.Capture(ctx, moka.CaptureRequest{VirtualPosOrderID: preVpos, Amount: dec("5"), SubDealer: []moka.SubDealerPart{{DealerID: 1774, Amount: amt("5")}}})
			return err
		}, ""},
		{"capture twice (bank)", func() error {
			_, err := c.Capture(ctx, moka.CaptureRequest{OtherTrxCode: pre.OtherTrxCode, Amount: dec("5"), SubDealer: []moka.SubDealerPart{{DealerID: 1774, Amount: amt("5")}}})
			return err
		}, BankCodeInvalidTransaction},
		{"approve not pool", func() error {
			_, err := c.ApprovePoolPayment(ctx, moka.ApproveRequest{VirtualPosOrderID: paidVpos, SubDealer: []moka.SubDealerPart{{DealerID: 1772}}})
			return err
		}, approvePrefix + "PaymentIsNotPoolPayment"},
		{"approve unknown", func() error {
			_, err := c.ApprovePoolPayment(ctx, moka.ApproveRequest{OtherTrxCode: "nope", SubDealer: []moka.SubDealerPart{{DealerID: 1787}, {DealerID: 1788}}})
			return err
		}, approvePrefix + "DealerPaymentNotFound"},
		{"approve", func() error {
			_, err := c.ApprovePoolPayment(ctx, moka.ApproveRequest{VirtualPosOrderID: poolVpos, SubDealer: []moka.SubDealerPart{{DealerID: 1787}, {DealerID: 1788}}})
			return err
		}, ""},
		{"approve twice", func() error {
			_, err := c.ApprovePoolPayment(ctx, moka.ApproveRequest{OtherTrxCode: pool.OtherTrxCode, SubDealer: []moka.SubDealerPart{{DealerID: 1787}, {DealerID: 1788}}})
			return err
		}, approvePrefix + "PaymentAlreadyApproved"},
		{"undo approve", func() error {
			_, err := c.UndoApprovePoolPayment(ctx, moka.ApproveRequest{VirtualPosOrderID: poolVpos, SubDealer: []moka.SubDealerPart{{DealerID: 1787}, {DealerID: 1788}}})
			return err
		}, ""},
		{"refund unknown", func() error {
			_, err := c.CreateRefundRequest(ctx, moka.RefundRequest{VirtualPosOrderID: "Test-x", Amount: dec("2"), SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("2")}}})
			return err
		}, refundPrefix + "PaymentNotFound"},
		{"refund mismatch", func() error {
			_, err := c.CreateRefundRequest(ctx, moka.RefundRequest{VirtualPosOrderID: paidVpos, OtherTrxCode: pool.OtherTrxCode, Amount: dec("2"), SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("2")}}})
			return err
		}, refundPrefix + "OtherTrxCodeAndVirtualPosOrderIdMismatch"},
		{"refund too much", func() error {
			_, err := c.CreateRefundRequest(ctx, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("9"), SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("9")}}})
			return err
		}, refundPrefix + "InvalidAmount"},
		{"refund wrong account", func() error {
			_, err := bad.CreateRefundRequest(ctx, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("2"), SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("2")}}})
			return err
		}, "PaymentDealer.DoCreateRefundRequest.InvalidAccount"},
		{"refund", func() error {
			_, err := c.CreateRefundRequest(ctx, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("2"), SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("2")}}})
			return err
		}, ""},
		{"refund pending", func() error {
			_, err := c.CreateRefundRequest(ctx, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("2"), SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("2")}}})
			return err
		}, refundPrefix + "RefundRequestAlreadyExist"},
		{"void refunded (bank)", func() error {
			_, err := c.Void(ctx, moka.VoidRequest{VirtualPosOrderID: paidVpos, VoidRefundReason: 2})
			return err
		}, BankCodeInvalidTransaction},
		{"void", func() error {
			_, err := c.Void(ctx, moka.VoidRequest{VirtualPosOrderID: poolVpos, VoidRefundReason: 2})
			return err
		}, ""},
		{"detail unknown", func() error {
			_, err := c.PaymentDetail(ctx, moka.PaymentDetailRequest{OtherTrxCode: "nope"})
			return err
		}, CodeDetailNotFound},
		{"detail", func() error {
			_, err := c.PaymentDetail(ctx, moka.PaymentDetailRequest{OtherTrxCode: paid.OtherTrxCode})
			return err
		}, ""},
	}
	for _, tc := range cases {
		err := tc.call()
		if tc.want == "" {
			assert.NoError(t, err, tc.name)
			continue
		}
		assert.Equal(t, tc.want, code(err), tc.name)
	}

	from, to := window(time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	list, err := c.PaymentTrxList(ctx, moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to})
	require.NoError(t, err)
	assert.Len(t, list.PaymentTrxList, 4)

	locked := startSandbox(t, func(c *Config) { c.Dealers[0].Authorized = false })
	lc := moka.New(locked.url, moka.Credentials{DealerCode: DemoDealerCode, Username: DemoUsername, Password: DemoPassword})
	_, err = lc.PaymentTrxList(ctx, moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to})
	assert.Equal(t, listPrefix+"DealerNotAuthorized", code(err))
}
