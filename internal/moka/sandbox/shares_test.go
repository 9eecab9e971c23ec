package sandbox

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// shares returns each sub-dealer's paid and refunded amount of a payment.
func (s *sandbox) shares(otc string) map[moka.Int][2]string {
	s.t.Helper()
	got := map[moka.Int][2]string{}
	for _, sp := range s.detail(otc).PaymentDetail.SubPaymentList {
		got[sp.DealerID] = [2]string{sp.Amount.String(), sp.RefAmount.String()}
	}
	return got
}

func parts(kv ...any) []moka.SubDealerPart {
	var out []moka.SubDealerPart
	for i := 0; i < len(kv); i += 2 {
		out = append(out, moka.SubDealerPart{DealerID: moka.Int(kv[i].(int)), Amount: amt(kv[i+1].(string))})
	}
	return out
}

// A capture pays each sub-dealer at most its provisioned share, records what each got,
// and refunds are then checked against what each was paid, not what was authorised.
func TestCaptureAndRefundFollowShares(t *testing.T) {
	s := startSandbox(t)
	req, vpos := s.paidMarketplace("100", map[int64]string{1772: "40", 1774: "60"}, true, false)
	capture := func(amount string, p []moka.SubDealerPart) raw {
		out, _ := call[moka.BankResult](s, moka.PathCapture, moka.CaptureRequest{VirtualPosOrderID: vpos, Amount: dec(amount), SubDealer: p})
		return out
	}
	refund := func(amount string, p []moka.SubDealerPart) raw {
		out, _ := call[moka.BankResult](s, moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec(amount), SubDealer: p})
		return out
	}

	refused := []struct {
		name  string
		total string
		parts []moka.SubDealerPart
	}{
		{"a part over its share, total within the provision", "100", parts(1772, "50", 1774, "50")},
		{"a part over its share, less than the provision", "45", parts(1772, "41", 1774, "4")},
		{"a sub-dealer of no share", "10", parts(1787, "10")},
		{"a sub-dealer named twice", "40", parts(1774, "20", 1774, "20")},
		{"a partial capture without parts", "50", nil},
	}
	for _, tc := range refused {
		assert.Equal(t, codeCaptureInvalidAmount, capture(tc.total, tc.parts).ResultCode, tc.name)
	}
	assert.Equal(t, map[moka.Int][2]string{1772: {"40", "0"}, 1774: {"60", "0"}}, s.shares(req.OtherTrxCode), "refusals change nothing")

	require.True(t, bank(t, capture("70", parts(1772, "40", 1774, "30"))).IsSuccessful)
	assert.Equal(t, map[moka.Int][2]string{1772: {"40", "0"}, 1774: {"30", "0"}}, s.shares(req.OtherTrxCode))
	d := s.detail(req.OtherTrxCode)
	last := d.PaymentTrxDetailList[len(d.PaymentTrxDetailList)-1]
	assert.Equal(t, moka.Int(moka.TrxTypePayment), last.TrxType)
	require.Len(t, last.SubPaymentTrxList, 2)
	assert.Equal(t, [2]string{"1772", "40"}, [2]string{jsonInt(last.SubPaymentTrxList[0].DealerID), last.SubPaymentTrxList[0].Amount.String()})
	assert.Equal(t, [2]string{"1774", "30"}, [2]string{jsonInt(last.SubPaymentTrxList[1].DealerID), last.SubPaymentTrxList[1].Amount.String()})

	s.nextDay() // a payment is refunded from the day after it
	steps := []struct {
		name   string
		amount string
		parts  []moka.SubDealerPart
		code   string
	}{
		{"more than 1774 was paid, less than its provision", "31", parts(1774, "31"), refundPrefix + "InvalidAmount"},
		{"all 1774 was paid", "30", parts(1774, "30"), moka.ResultSuccess},
		{"1774 again, nothing left", "1", parts(1774, "1"), refundPrefix + "InvalidAmount"},
		{"1772 over its share", "41", parts(1772, "41"), refundPrefix + "InvalidAmount"},
		{"all 1772 was paid", "40", parts(1772, "40"), moka.ResultSuccess},
	}
	for _, st := range steps {
		assert.Equal(t, st.code, refund(st.amount, st.parts).ResultCode, st.name)
		s.srv.CompleteRefunds()
	}
	assert.Equal(t, map[moka.Int][2]string{1772: {"40", "40"}, 1774: {"30", "30"}}, s.shares(req.OtherTrxCode))
	d = s.detail(req.OtherTrxCode)
	assert.Equal(t, moka.Int(moka.PaymentStatusFullRefund), d.PaymentDetail.PaymentStatus)
	assert.Equal(t, "70", d.PaymentDetail.RefAmount.String())
}

// A sub-dealer a capture leaves out is paid nothing and has nothing to refund; a full
// capture without parts pays every share in full.
func TestCaptureLeavesOutAndFullCapture(t *testing.T) {
	s := startSandbox(t)
	left, leftVpos := s.paidMarketplace("10", map[int64]string{1772: "4", 1774: "6"}, true, false)
	out, _ := call[moka.BankResult](s, moka.PathCapture, moka.CaptureRequest{VirtualPosOrderID: leftVpos, Amount: dec("6"), SubDealer: parts(1774, "6")})
	require.True(t, bank(t, out).IsSuccessful)
	assert.Equal(t, map[moka.Int][2]string{1772: {"0", "0"}, 1774: {"6", "0"}}, s.shares(left.OtherTrxCode))
	s.nextDay()
	out, _ = call[moka.BankResult](s, moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: leftVpos, Amount: dec("1"), SubDealer: parts(1772, "1")})
	assert.Equal(t, refundPrefix+"InvalidAmount", out.ResultCode)

	full, fullVpos := s.paidMarketplace("10", map[int64]string{1772: "4", 1774: "6"}, true, false)
	out, _ = call[moka.BankResult](s, moka.PathCapture, moka.CaptureRequest{VirtualPosOrderID: fullVpos, Amount: dec("10")})
	require.True(t, bank(t, out).IsSuccessful)
	assert.Equal(t, map[moka.Int][2]string{1772: {"4", "0"}, 1774: {"6", "0"}}, s.shares(full.OtherTrxCode))

	// Refunding what remains without parts gives each share back what is left of it.
	s.nextDay()
	out, _ = call[moka.BankResult](s, moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: fullVpos})
	isSuccess(t, out)
	s.srv.CompleteRefunds()
	assert.Equal(t, map[moka.Int][2]string{1772: {"4", "4"}, 1774: {"6", "6"}}, s.shares(full.OtherTrxCode))
}
