package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// TestClientAgainstSandbox drives every service through moka.Client over HTTP and checks
// the *moka.Error codes the client surfaces: every seed code the client can send a
// request for, produced by test card, amount, magic id, dealer or fault. The cases run in
// order and share one sandbox, so later cases see what earlier ones did.
func TestClientAgainstSandbox(t *testing.T) {
	s := startSandbox(t)
	ctx := context.Background()
	c := s.client(DemoDealerCode)
	// A wrong password: the client signs it correctly, so Moka finds no such account.
	bad := moka.New(s.url, moka.Credentials{DealerCode: DemoDealerCode, Username: DemoUsername, Password: "wrong"})
	// A missing username names no account, which Moka's test host answers InvalidAccount.
	blank := moka.New(s.url, moka.Credentials{DealerCode: DemoDealerCode, Password: DemoPassword})
	noPos, limited, single, unauthorized := s.client(NoPosDealerCode), s.client(LimitedDealerCode), s.client(SingleDealerCode), s.client(UnauthorizedDealerCode)

	// paid is yesterday's payment, so it can be refunded; the others are today's, before
	// 22:00, so they can be voided.
	yesterday := s.atNoon(-1)
	paid, paidVpos := s.paidMarketplace("8", map[int64]string{1772: "8"}, false, false)
	today := s.atNoon(0)
	res, err := c.StartThreeD(ctx, threeD("4183441122223339", "10"))
	require.NoError(t, err)
	assert.NotEmpty(t, res.CodeForHash)

	pool, poolVpos := s.paidMarketplace("10", map[int64]string{1787: "4", 1788: "6"}, false, true)
	pre, preVpos := s.paidMarketplace("5", map[int64]string{1774: "5"}, true, false)
	from, to := window(yesterday.Add(-time.Hour), today.Add(time.Hour))

	installments := func(card string, n moka.Int) moka.ThreeDRequest {
		r := threeD(card, "10")
		r.InstallmentNumber = n
		return r
	}
	startWith := func(cl *moka.Client, r moka.ThreeDRequest) func() error {
		return func() error { _, err := cl.StartThreeD(ctx, r); return err }
	}
	capture := func(cl *moka.Client, r moka.CaptureRequest) func() error {
		return func() error { _, err := cl.Capture(ctx, r); return err }
	}
	approve := func(cl *moka.Client, r moka.ApproveRequest) func() error {
		return func() error { _, err := cl.ApprovePoolPayment(ctx, r); return err }
	}
	refund := func(cl *moka.Client, r moka.RefundRequest) func() error {
		return func() error { _, err := cl.CreateRefundRequest(ctx, r); return err }
	}
	list := func(cl *moka.Client, r moka.TrxListRequest) func() error {
		return func() error { _, err := cl.PaymentTrxList(ctx, r); return err }
	}
	withFault := func(f Fault, call func() error) func() error {
		return func() error {
			s.srv.SetFault(f)
			defer s.srv.SetFault(Fault{})
			return call()
		}
	}
	part := func(id moka.Int, amount string) []moka.SubDealerPart {
		return []moka.SubDealerPart{{DealerID: id, Amount: amt(amount)}}
	}
	poolParts := []moka.SubDealerPart{{DealerID: 1787}, {DealerID: 1788}}
	sinceYesterday := moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to}

	cases := []struct {
		name string
		call func() error
		want string
	}{
		// Seed 003, 3-D payment.
		{"3-D missing credential", startWith(blank, threeD("4183441122223339", "10")), authPrefix + "InvalidAccount"},
		{"3-D wrong account", startWith(bad, threeD("4183441122223339", "10")), authPrefix + "InvalidAccount"},
		{"3-D no virtual pos for dealer", startWith(noPos, threeD("4183441122223339", "10")), authPrefix + "VirtualPosNotFound"},
		{"3-D daily dealer limit", startWith(limited, threeD("4183441122223339", "10.01")), CodeDailyDealerLimitExceeded},
		{"3-D daily card limit", startWith(c, threeD("4022774022774026", "10")), CodeDailyCardLimitExceeded},
		{"3-D invalid card", startWith(c, threeD("5890040000000016", "10")), CodeInvalidCardInfo},
		{"3-D installments for dealer", startWith(single, installments("4183441122223339", 2)), CodeInstallmentForDealer},
		{"3-D installments for virtual pos", startWith(c, installments("4824894728063019", 3)), CodeInstallmentForVirtualPos},
		{"3-D no virtual pos for card", startWith(c, threeD("4546711234567894", "10")), CodeVirtualPosNotAvailable},
		{"3-D EX", startWith(c, threeD("4183441122223339", EXAmount)), "EX"},

		// Seed 000, DoCapture.
		{"capture missing credential", capture(blank, moka.CaptureRequest{VirtualPosOrderID: preVpos, Amount: dec("5"), SubDealer: part(1774, "5")}), authPrefix + "InvalidAccount"},
		{"capture wrong account", capture(bad, moka.CaptureRequest{VirtualPosOrderID: preVpos, Amount: dec("5"), SubDealer: part(1774, "5")}), authPrefix + "InvalidAccount"},
		{"capture no virtual pos", capture(noPos, moka.CaptureRequest{VirtualPosOrderID: preVpos, Amount: dec("5"), SubDealer: part(1774, "5")}), authPrefix + "VirtualPosNotFound"},
		{"capture over provision", capture(c, moka.CaptureRequest{VirtualPosOrderID: preVpos, Amount: dec("6"), SubDealer: part(1774, "6")}), codeCaptureInvalidAmount},
		{"capture EX", capture(c, moka.CaptureRequest{VirtualPosOrderID: preVpos, Amount: dec(EXAmount), SubDealer: part(1774, EXAmount)}), "EX"},
		{"capture", capture(c, moka.CaptureRequest{VirtualPosOrderID: preVpos, Amount: dec("5"), SubDealer: part(1774, "5")}), ""},
		{"capture twice (bank)", capture(c, moka.CaptureRequest{OtherTrxCode: pre.OtherTrxCode, Amount: dec("5"), SubDealer: part(1774, "5")}), BankCodeInvalidTransaction},

		// Seed 001, DoApprovePoolPayment (and its undo).
		{"approve missing credential", approve(blank, moka.ApproveRequest{VirtualPosOrderID: poolVpos, SubDealer: poolParts}), authPrefix + "InvalidAccount"},
		{"approve wrong account", approve(bad, moka.ApproveRequest{VirtualPosOrderID: poolVpos, SubDealer: poolParts}), authPrefix + "InvalidAccount"},
		{"approve EX", approve(c, moka.ApproveRequest{VirtualPosOrderID: EXOrderID, SubDealer: poolParts}), "EX"},
		{"approve EX by fault", withFault(Fault{EX: true, Path: moka.PathApprovePoolPayment},
			approve(c, moka.ApproveRequest{VirtualPosOrderID: poolVpos, SubDealer: poolParts})), "EX"},
		{"approve not pool", approve(c, moka.ApproveRequest{VirtualPosOrderID: paidVpos, SubDealer: []moka.SubDealerPart{{DealerID: 1772}}}), approvePrefix + "PaymentIsNotPoolPayment"},
		{"approve unknown", approve(c, moka.ApproveRequest{OtherTrxCode: "nope", SubDealer: poolParts}), approvePrefix + "DealerPaymentNotFound"},
		{"approve", approve(c, moka.ApproveRequest{VirtualPosOrderID: poolVpos, SubDealer: poolParts}), ""},
		{"approve twice", approve(c, moka.ApproveRequest{OtherTrxCode: pool.OtherTrxCode, SubDealer: poolParts}), approvePrefix + "PaymentAlreadyApproved"},
		{"undo approve", func() error {
			_, err := c.UndoApprovePoolPayment(ctx, moka.ApproveRequest{VirtualPosOrderID: poolVpos, SubDealer: poolParts})
			return err
		}, ""},

		// Seed 002, DoCreateRefundRequest.
		{"refund missing credential", refund(blank, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("2"), SubDealer: part(1772, "2")}), refundPrefix + "InvalidAccount"},
		{"refund wrong account", refund(bad, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("2"), SubDealer: part(1772, "2")}), refundPrefix + "InvalidAccount"},
		{"refund unknown", refund(c, moka.RefundRequest{VirtualPosOrderID: "Test-x", Amount: dec("2"), SubDealer: part(1772, "2")}), refundPrefix + "PaymentNotFound"},
		{"refund mismatch", refund(c, moka.RefundRequest{VirtualPosOrderID: paidVpos, OtherTrxCode: pool.OtherTrxCode, Amount: dec("2"), SubDealer: part(1772, "2")}), refundPrefix + "OtherTrxCodeAndVirtualPosOrderIdMismatch"},
		{"refund on the payment's day", refund(c, moka.RefundRequest{VirtualPosOrderID: preVpos, Amount: dec("1"), SubDealer: part(1774, "1")}), CodeRefundOnPaymentDay},
		{"refund too much", refund(c, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("9"), SubDealer: part(1772, "9")}), refundPrefix + "InvalidAmount"},
		{"refund EX", refund(c, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec(EXAmount), SubDealer: part(1772, EXAmount)}), "EX"},
		{"refund", refund(c, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("2"), SubDealer: part(1772, "2")}), ""},
		{"refund pending", refund(c, moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("2"), SubDealer: part(1772, "2")}), refundPrefix + "RefundRequestAlreadyExist"},

		// DoVoid and GetDealerPaymentTrxDetailList (not in the seeds).
		{"void refunded, of yesterday", func() error {
			_, err := c.Void(ctx, moka.VoidRequest{VirtualPosOrderID: paidVpos, VoidRefundReason: 2})
			return err
		}, CodeVoidPaymentNotAvailable},
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

		// Seed 004, GetPaymentTrxList.
		{"list missing credential", list(blank, sinceYesterday), authPrefix + "InvalidAccount"},
		{"list wrong account", list(bad, sinceYesterday), authPrefix + "InvalidAccount"},
		{"list dealer not authorized", list(unauthorized, sinceYesterday), listPrefix + "DealerNotAuthorized"},
		{"list EX", list(c, moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to, SubDealerID: moka.SomeInt(EXSubDealerID)}), "EX"},
		{"list EX by fault", withFault(Fault{EX: true, Path: moka.PathPaymentTrxList}, list(c, sinceYesterday)), "EX"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, resultCode(tc.call()))
		})
	}

	got, err := c.PaymentTrxList(ctx, sinceYesterday)
	require.NoError(t, err)
	assert.Len(t, got.PaymentTrxList, 4, "the four payments started above; the refused starts left nothing")
	detail, err := c.PaymentDetail(ctx, moka.PaymentDetailRequest{OtherTrxCode: paid.OtherTrxCode})
	require.NoError(t, err)
	assert.True(t, detail.IsSuccessful, "the detail answer carries Data.IsSuccessful like the others")
}
