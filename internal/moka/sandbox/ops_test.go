package sandbox

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

func amt(s string) *moka.Amount { a := dec(s); return &a }

func (s *sandbox) detail(otc string) moka.PaymentDetailResult {
	s.t.Helper()
	out, d := call[moka.PaymentDetailResult](s, moka.PathDealerPaymentTrxList, moka.PaymentDetailRequest{OtherTrxCode: otc})
	isSuccess(s.t, out)
	return d
}

func bank(t *testing.T, out raw) moka.BankResult {
	t.Helper()
	isSuccess(t, out)
	var b moka.BankResult
	require.NoError(t, json.Unmarshal(out.Data, &b))
	return b
}

func TestCapture(t *testing.T) {
	s := startSandbox(t)
	req, vpos := s.paidMarketplace("100", map[int64]string{1772: "40", 1774: "60"}, true, false)
	d := s.detail(req.OtherTrxCode)
	assert.Equal(t, moka.Int(moka.PaymentStatusPreAuth), d.PaymentDetail.PaymentStatus)

	capture := func(amount string, subs ...moka.SubDealerPart) raw {
		out, _ := call[moka.BankResult](s, moka.PathCapture, moka.CaptureRequest{OtherTrxCode: req.OtherTrxCode, Amount: dec(amount), SubDealer: subs})
		return out
	}
	assert.Equal(t, "PaymentDealer.DoCapture.InvalidAmount", capture("100.01").ResultCode, "over the provision")
	assert.Equal(t, "PaymentDealer.DoCapture.InvalidAmount", capture("90", moka.SubDealerPart{DealerID: 1772, Amount: amt("40")}).ResultCode, "sub-dealer sum")
	assert.Equal(t, "EX", capture("99.99").ResultCode)

	b := bank(t, capture("90", moka.SubDealerPart{DealerID: 1772, Amount: amt("30")}, moka.SubDealerPart{DealerID: 1774, Amount: amt("60")}))
	assert.Equal(t, moka.BankResult{IsSuccessful: true, ResultCode: "00"}, b)
	d = s.detail(req.OtherTrxCode)
	assert.Equal(t, moka.Int(moka.PaymentStatusPayment), d.PaymentDetail.PaymentStatus)
	assert.Equal(t, "90", d.PaymentDetail.Amount.String())
	require.Len(t, d.PaymentTrxDetailList, 2)
	assert.Equal(t, moka.Int(moka.TrxTypePreAuth), d.PaymentTrxDetailList[0].TrxType)
	assert.Equal(t, moka.Int(moka.TrxTypePayment), d.PaymentTrxDetailList[1].TrxType)
	assert.Equal(t, vpos, d.PaymentTrxDetailList[1].VirtualPosOrderID)

	b = bank(t, capture("10"))
	assert.Equal(t, moka.BankResult{ResultCode: BankCodeInvalidTransaction, ResultMessage: b.ResultMessage}, b, "already captured")
	out, _ := call[moka.BankResult](s, moka.PathCapture, moka.CaptureRequest{VirtualPosOrderID: "Test-unknown", Amount: dec("1")})
	assert.Equal(t, BankCodeNotFound, bank(t, out).ResultCode)
}

func TestPoolApproval(t *testing.T) {
	s := startSandbox(t)
	req, vpos := s.paidMarketplace("10", map[int64]string{1787: "4", 1788: "6"}, false, true)
	plainReq, _ := s.paidMarketplace("10", map[int64]string{1787: "10"}, false, false)
	approve := func(path string, r moka.ApproveRequest) raw {
		out, _ := call[moka.BankResult](s, path, r)
		return out
	}
	cases := []struct {
		name string
		path string
		req  moka.ApproveRequest
		code string
	}{
		{"no id", moka.PathApprovePoolPayment, moka.ApproveRequest{}, approvePrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven"},
		{"unknown", moka.PathApprovePoolPayment, moka.ApproveRequest{OtherTrxCode: "nope"}, approvePrefix + "DealerPaymentNotFound"},
		{"not pool", moka.PathApprovePoolPayment, moka.ApproveRequest{OtherTrxCode: plainReq.OtherTrxCode}, approvePrefix + "PaymentIsNotPoolPayment"},
		{"EX", moka.PathApprovePoolPayment, moka.ApproveRequest{VirtualPosOrderID: EXOrderID}, "EX"},
		{"EX by other code", moka.PathApprovePoolPayment, moka.ApproveRequest{OtherTrxCode: " " + EXOrderID + " "}, "EX"},
		{"undo EX", moka.PathUndoApprovePool, moka.ApproveRequest{VirtualPosOrderID: EXOrderID}, "EX"},
		{"undo before approve", moka.PathUndoApprovePool, moka.ApproveRequest{VirtualPosOrderID: vpos}, undoPrefix + "PaymentNotApproved"},
		{"approve one", moka.PathApprovePoolPayment, moka.ApproveRequest{VirtualPosOrderID: vpos, SubDealer: []moka.SubDealerPart{{DealerID: 1787}}}, moka.ResultSuccess},
		{"approve rest", moka.PathApprovePoolPayment, moka.ApproveRequest{OtherTrxCode: req.OtherTrxCode}, moka.ResultSuccess},
		{"approve twice", moka.PathApprovePoolPayment, moka.ApproveRequest{VirtualPosOrderID: vpos}, approvePrefix + "PaymentAlreadyApproved"},
		{"undo", moka.PathUndoApprovePool, moka.ApproveRequest{VirtualPosOrderID: vpos}, moka.ResultSuccess},
		{"approve again", moka.PathApprovePoolPayment, moka.ApproveRequest{VirtualPosOrderID: vpos}, moka.ResultSuccess},
	}
	for _, tc := range cases {
		out := approve(tc.path, tc.req)
		assert.Equal(t, tc.code, out.ResultCode, tc.name)
		if tc.code == moka.ResultSuccess {
			assert.Equal(t, vpos, bank(t, out).VirtualPosOrderID, tc.name)
		}
	}
}

func TestRefunds(t *testing.T) {
	s := startSandbox(t)
	req, vpos := s.paidMarketplace("10", map[int64]string{1772: "4", 1774: "6"}, false, false)
	other, _ := s.paidMarketplace("5", map[int64]string{1772: "5"}, false, false)
	refund := func(r moka.RefundRequest) raw {
		out, _ := call[moka.BankResult](s, moka.PathCreateRefundRequest, r)
		return out
	}
	assert.Equal(t, CodeRefundOnPaymentDay, refund(moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec("1")}).ResultCode, "on the payment's day")
	s.nextDay()
	cases := []struct {
		name     string
		req      moka.RefundRequest
		code     string
		complete bool
	}{
		{"no id", moka.RefundRequest{Amount: dec("1")}, refundPrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven", false},
		{"unknown", moka.RefundRequest{VirtualPosOrderID: "Test-x"}, refundPrefix + "PaymentNotFound", false},
		{"mismatch", moka.RefundRequest{VirtualPosOrderID: vpos, OtherTrxCode: other.OtherTrxCode}, refundPrefix + "OtherTrxCodeAndVirtualPosOrderIdMismatch", false},
		{"too much", moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec("10.01")}, refundPrefix + "InvalidAmount", false},
		// EX must leave nothing behind: "partial" below would meet a pending request.
		{"EX amount", moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec(EXAmount), SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt(EXAmount)}}}, "EX", false},
		{"EX id", moka.RefundRequest{OtherTrxCode: EXOrderID, Amount: dec("1")}, "EX", false},
		{"sub-dealer over share", moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec("5"), SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("5")}}}, refundPrefix + "InvalidAmount", false},
		{"partial", moka.RefundRequest{VirtualPosOrderID: vpos, OtherTrxCode: req.OtherTrxCode, Amount: dec("4"), SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("1")}, {DealerID: 1774, Amount: amt("3")}}}, moka.ResultSuccess, false},
		{"while pending", moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec("1")}, refundPrefix + "RefundRequestAlreadyExist", true},
		{"more than remains", moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec("6.01")}, refundPrefix + "InvalidAmount", false},
		{"the rest", moka.RefundRequest{OtherTrxCode: req.OtherTrxCode}, moka.ResultSuccess, true},
		{"after full refund", moka.RefundRequest{VirtualPosOrderID: vpos}, refundPrefix + "PaymentNotFound", false},
	}
	for _, tc := range cases {
		before := s.detail(req.OtherTrxCode).PaymentDetail.RefAmount.String()
		out := refund(tc.req)
		require.Equal(t, tc.code, out.ResultCode, tc.name)
		if tc.code == "EX" {
			assert.NotNil(t, out.Exception, tc.name)
			assert.Equal(t, "null", string(out.Data), tc.name)
		}
		if tc.code == moka.ResultSuccess {
			b := bank(t, out)
			assert.True(t, b.IsSuccessful)
			assert.NotEmpty(t, b.RefundRequestID)
			assert.Equal(t, before, s.detail(req.OtherTrxCode).PaymentDetail.RefAmount.String(), "a request is not a refund")
		}
		if tc.complete {
			s.srv.CompleteRefunds()
		}
	}
	d := s.detail(req.OtherTrxCode)
	assert.Equal(t, "10", d.PaymentDetail.RefAmount.String())
	assert.Equal(t, moka.Int(moka.PaymentStatusFullRefund), d.PaymentDetail.PaymentStatus)
	last := d.PaymentTrxDetailList[len(d.PaymentTrxDetailList)-1]
	assert.Equal(t, moka.Int(moka.TrxTypeRefund), last.TrxType)
	assert.Equal(t, "6", last.Amount.String())
}

func TestVoid(t *testing.T) {
	s := startSandbox(t)
	today := s.atNoon(0)
	req, vpos := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
	void := func(r moka.VoidRequest) raw {
		out, _ := call[moka.BankResult](s, moka.PathVoid, r)
		return out
	}
	assert.Equal(t, CodeVoidInvalidRequest, void(moka.VoidRequest{}).ResultCode)
	assert.Equal(t, voidPrefix+"PaymentNotFound", void(moka.VoidRequest{OtherTrxCode: "nope"}).ResultCode)
	assert.True(t, bank(t, void(moka.VoidRequest{VirtualPosOrderID: vpos, VoidRefundReason: 2})).IsSuccessful)
	d := s.detail(req.OtherTrxCode)
	assert.Equal(t, moka.Int(moka.PaymentStatusCancel), d.PaymentDetail.PaymentStatus)
	assert.Equal(t, moka.Int(moka.TrxTypeCancel), d.PaymentTrxDetailList[len(d.PaymentTrxDetailList)-1].TrxType)
	twice := void(moka.VoidRequest{VirtualPosOrderID: vpos})
	assert.Equal(t, CodeVoidPaymentNotAvailable, twice.ResultCode, "twice")
	assert.Equal(t, "null", string(twice.Data), "an envelope refusal, not the bank's")
	assert.NotEmpty(t, twice.ResultMessage)
	assert.Equal(t, "EX", void(moka.VoidRequest{VirtualPosOrderID: EXOrderID}).ResultCode)

	// A refused void of a payment that went through leaves a failed cancel row and the
	// payment as it was. A refund request needs the next day, and a void the payment's
	// day, so the clock goes forward for the request and back for the void.
	refunded, rvpos := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
	s.nextDay()
	out, _ := call[moka.BankResult](s, moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: rvpos, Amount: dec("4")})
	isSuccess(t, out)
	s.srv.CompleteRefunds()
	s.srv.SetNow(today.Add(time.Minute))
	assert.Equal(t, CodeVoidPaymentNotAvailable, void(moka.VoidRequest{VirtualPosOrderID: rvpos, VoidRefundReason: 2}).ResultCode)
	d = s.detail(refunded.OtherTrxCode)
	assert.Equal(t, [2]moka.Int{moka.PaymentStatusPayment, moka.TrxStatusSuccess}, [2]moka.Int{d.PaymentDetail.PaymentStatus, d.PaymentDetail.TrxStatus})
	last := d.PaymentTrxDetailList[len(d.PaymentTrxDetailList)-1]
	assert.Equal(t, [2]moka.Int{moka.TrxTypeCancel, moka.TrxStatusFailed}, [2]moka.Int{last.TrxType, last.TrxStatus})
	assert.Equal(t, msgVoidRefused, last.ResultMessage)
	assert.Equal(t, moka.Int(2), last.VoidRefundReason)

	// A payment that did not go through has nothing to cancel, and no row is written.
	failed := threeD("4355084355084358", "10")
	_, ret := s.pay(moka.PathThreeD, failed, DemoOTP)
	require.Equal(t, BankCodeThreeDFailed, ret.resultCode)
	assert.Equal(t, CodeVoidPaymentNotAvailable, void(moka.VoidRequest{OtherTrxCode: failed.OtherTrxCode}).ResultCode)
	assert.Len(t, s.detail(failed.OtherTrxCode).PaymentTrxDetailList, 1)
}

// Moka allows DoVoid until 22:00 Istanbul time on the payment's own day; later that
// evening, and on any later day, the payment is not available for a void.
func TestVoidWindow(t *testing.T) {
	cases := []struct {
		name string
		// paidAt and voidAt are Istanbul times on the payment's day (day 0) or later.
		paidAt, voidAt func(day time.Time) time.Time
		code           string
	}{
		{"same day, morning", at(0, 9, 0), at(0, 9, 30), moka.ResultSuccess},
		{"same day, a minute before 22:00", at(0, 9, 0), at(0, 21, 59), moka.ResultSuccess},
		{"same day, 22:00", at(0, 9, 0), at(0, 22, 0), CodeVoidPaymentNotAvailable},
		{"paid after 22:00", at(0, 22, 30), at(0, 22, 31), CodeVoidPaymentNotAvailable},
		{"next day, just after midnight", at(0, 21, 0), at(1, 0, 1), CodeVoidPaymentNotAvailable},
		{"next day, morning", at(0, 9, 0), at(1, 9, 0), CodeVoidPaymentNotAvailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSandbox(t)
			day := s.atNoon(0)
			s.srv.SetNow(tc.paidAt(day))
			req, vpos := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
			s.srv.SetNow(tc.voidAt(day))
			out, _ := call[moka.BankResult](s, moka.PathVoid, moka.VoidRequest{VirtualPosOrderID: vpos, VoidRefundReason: 2})
			assert.Equal(t, tc.code, out.ResultCode)
			want := moka.Int(moka.PaymentStatusCancel)
			if tc.code != moka.ResultSuccess {
				want = moka.PaymentStatusPayment
			}
			assert.Equal(t, want, s.detail(req.OtherTrxCode).PaymentDetail.PaymentStatus)
		})
	}
}

// at returns the Istanbul time hh:mm, days after day's date.
func at(days, hh, mm int) func(day time.Time) time.Time {
	return func(day time.Time) time.Time {
		y, m, d := day.In(istanbul).Date()
		return time.Date(y, m, d+days, hh, mm, 0, 0, istanbul)
	}
}

// A refund request on the payment's own Istanbul day is refused; from midnight on it is
// taken. Moka's day is Istanbul's, not UTC's: 01:00 Istanbul is still the day before in UTC.
func TestRefundDay(t *testing.T) {
	cases := []struct {
		name           string
		paidAt, refund func(day time.Time) time.Time
		code           string
	}{
		{"same day", at(0, 9, 0), at(0, 23, 59), CodeRefundOnPaymentDay},
		{"next day, after midnight Istanbul time", at(0, 23, 0), at(1, 1, 0), moka.ResultSuccess},
		{"a week later", at(0, 9, 0), at(7, 9, 0), moka.ResultSuccess},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSandbox(t)
			day := s.atNoon(0)
			s.srv.SetNow(tc.paidAt(day))
			req, vpos := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
			s.srv.SetNow(tc.refund(day))
			out, _ := call[moka.BankResult](s, moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec("3")})
			assert.Equal(t, tc.code, out.ResultCode)
			if tc.code != moka.ResultSuccess {
				assert.NotEmpty(t, out.ResultMessage)
				assert.Equal(t, "null", string(out.Data))
				s.srv.CompleteRefunds()
				assert.Equal(t, "0", s.detail(req.OtherTrxCode).PaymentDetail.RefAmount.String(), "nothing was requested")
			}
		})
	}

	// The seed sample's payment is dated 2020-07-27, so its refund works on any day.
	s := startSandbox(t)
	out, _ := call[moka.BankResult](s, moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: SeedRefundOrderID, Amount: dec("1"),
		SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("1")}}})
	isSuccess(t, out)
}

// Moka trims ids, so ids of blanks are missing ids: each service answers its MustGiven
// code, not a lookup failure.
func TestBlankIDsAreMissing(t *testing.T) {
	s := startSandbox(t)
	_, vpos := s.paidMarketplace("10", map[int64]string{1787: "10"}, false, true)
	cases := []struct {
		path string
		req  any
		code string
	}{
		{moka.PathApprovePoolPayment, moka.ApproveRequest{VirtualPosOrderID: "  ", OtherTrxCode: "\t"}, approvePrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven"},
		{moka.PathUndoApprovePool, moka.ApproveRequest{VirtualPosOrderID: " "}, undoPrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven"},
		{moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: " ", OtherTrxCode: "  ", Amount: dec("1")}, refundPrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven"},
		{moka.PathVoid, moka.VoidRequest{OtherTrxCode: "   "}, CodeVoidInvalidRequest},
		{moka.PathCapture, moka.CaptureRequest{VirtualPosOrderID: " ", OtherTrxCode: "\t", Amount: dec("1")}, CodeCaptureMustGiven},
		{moka.PathDealerPaymentTrxList, moka.PaymentDetailRequest{PaymentID: " ", OtherTrxCode: " "}, CodeDetailMustBeGiven},
		// A padded id is the id.
		{moka.PathApprovePoolPayment, moka.ApproveRequest{VirtualPosOrderID: " " + vpos + " "}, moka.ResultSuccess},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			out, _ := call[any](s, tc.path, tc.req)
			assert.Equal(t, tc.code, out.ResultCode)
			if tc.code != moka.ResultSuccess {
				assert.NotEmpty(t, out.ResultMessage)
			}
		})
	}
}

func TestDetailCodes(t *testing.T) {
	s := startSandbox(t)
	out, _ := call[moka.PaymentDetailResult](s, moka.PathDealerPaymentTrxList, moka.PaymentDetailRequest{})
	assert.Equal(t, CodeDetailMustBeGiven, out.ResultCode)
	out, _ = call[moka.PaymentDetailResult](s, moka.PathDealerPaymentTrxList, moka.PaymentDetailRequest{PaymentID: "42"})
	assert.Equal(t, CodeDetailNotFound, out.ResultCode)
	out, _ = call[moka.PaymentDetailResult](s, moka.PathDealerPaymentTrxList, moka.PaymentDetailRequest{OtherTrxCode: EXOrderID})
	assert.Equal(t, "EX", out.ResultCode)
	req, _ := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
	id := s.detail(req.OtherTrxCode).PaymentDetail.DealerPaymentID
	out, d := call[moka.PaymentDetailResult](s, moka.PathDealerPaymentTrxList, moka.PaymentDetailRequest{PaymentID: moka.String(jsonInt(id))})
	isSuccess(t, out)
	assert.Equal(t, req.OtherTrxCode, d.PaymentDetail.OtherTrxCode)
}

func TestRefundCompletesAfterDelay(t *testing.T) {
	base := time.Now()
	var offset time.Duration
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return base.Add(offset) }
	s := startSandbox(t, func(c *Config) { c.Now, c.RefundDelay = now, time.Minute })
	req, vpos := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
	s.nextDay() // on top of Config.Now: the offset moves whatever clock the sandbox has
	out, _ := call[moka.BankResult](s, moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec("3")})
	isSuccess(t, out)
	assert.Equal(t, "0", s.detail(req.OtherTrxCode).PaymentDetail.RefAmount.String(), "pending before the delay")

	mu.Lock()
	offset = time.Minute + time.Second
	mu.Unlock()
	d := s.detail(req.OtherTrxCode)
	assert.Equal(t, "3", d.PaymentDetail.RefAmount.String())
	assert.Equal(t, moka.Int(moka.PaymentStatusPayment), d.PaymentDetail.PaymentStatus, "partial refund keeps the payment paid")
}

func TestPresetForUnknownDealerPanics(t *testing.T) {
	cfg := DemoConfig("http://127.0.0.1:1")
	cfg.Payments = append(cfg.Payments, Preset{DealerCode: "nobody", VirtualPosOrderID: "Test-1"})
	assert.PanicsWithValue(t, "sandbox: preset payment Test-1 names unknown dealer nobody", func() { New(cfg) })
}
