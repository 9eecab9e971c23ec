package sandbox

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// stepClock advances by step on every reading, so every record gets its own time.
func stepClock(start time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	now := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(step)
		return now
	}
}

func window(from, to time.Time) (string, string) {
	return from.In(istanbul).Format("2006-01-02 15:04"), to.In(istanbul).Format("2006-01-02 15:04")
}

func (s *sandbox) list(r moka.TrxListRequest) (raw, moka.TrxListResult) {
	s.t.Helper()
	return call[moka.TrxListResult](s, moka.PathPaymentTrxList, r)
}

func TestTrxListCodes(t *testing.T) {
	from, to := window(time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	cases := []struct {
		name string
		req  moka.TrxListRequest
		code string
	}{
		{"bad date", moka.TrxListRequest{TrxStartDate: "2020-07-12T09:00", TrxEndDate: to}, listPrefix + "InvalidDateTimeFormat"},
		{"one-digit hour", moka.TrxListRequest{TrxStartDate: time.Now().Format("2006-01-02") + " 9:00", TrxEndDate: to}, listPrefix + "InvalidDateTimeFormat"},
		{"padded date", moka.TrxListRequest{TrxStartDate: from + " ", TrxEndDate: to}, listPrefix + "InvalidDateTimeFormat"},
		{"seconds", moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to + ":00"}, listPrefix + "InvalidDateTimeFormat"},
		{"EX sub-dealer", moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to, SubDealerID: moka.SomeInt(EXSubDealerID)}, "EX"},
		{"no end", moka.TrxListRequest{TrxStartDate: from}, listPrefix + "InvalidDateTimeFormat"},
		{"trx type 5", moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to, TrxType: moka.SomeInt(5)}, listPrefix + "InvalidTrxType"},
		{"trx status 3", moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to, TrxStatus: moka.SomeInt(3)}, listPrefix + "InvalidTrxStatus"},
		{"all blank filters", moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to}, moka.ResultSuccess},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := startSandbox(t).list(tc.req)
			assert.Equal(t, tc.code, out.ResultCode)
		})
	}
	t.Run("dealer not authorized", func(t *testing.T) {
		s := startSandbox(t, func(c *Config) { c.Dealers[0].Authorized = false })
		out, _ := s.list(moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to})
		assert.Equal(t, listPrefix+"DealerNotAuthorized", out.ResultCode)
	})
	t.Run("demo dealer not authorized", func(t *testing.T) {
		s := startSandbox(t)
		a := demoAuth()
		a.DealerCode, a.CheckKey = UnauthorizedDealerCode, checkKey(UnauthorizedDealerCode, DemoUsername, DemoPassword)
		out := s.post(moka.PathPaymentTrxList, moka.Envelope[any]{PaymentDealerAuthentication: a,
			PaymentDealerRequest: moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to}})
		assert.Equal(t, listPrefix+"DealerNotAuthorized", out.ResultCode)
	})
}

func TestTrxListStatusesAndFilters(t *testing.T) {
	s := startSandbox(t)
	paid, _ := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
	pre, _ := s.paidMarketplace("20", map[int64]string{1774: "20"}, true, false)
	failed := threeD("4355084355084358", "30")
	_, ret := s.pay(moka.PathThreeD, failed, DemoOTP)
	require.Equal(t, BankCodeThreeDFailed, ret.resultCode)
	pending := threeD("5400360000000003", "40")
	s.start(moka.PathThreeD, pending)

	from, to := window(time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	codes := func(r moka.TrxListRequest) map[string][2]moka.Int {
		out, res := s.list(r)
		isSuccess(t, out)
		got := map[string][2]moka.Int{}
		for _, p := range res.PaymentTrxList {
			got[p.PaymentDetail.OtherTrxCode] = [2]moka.Int{p.PaymentDetail.PaymentStatus, p.PaymentDetail.TrxStatus}
		}
		return got
	}
	assert.Equal(t, map[string][2]moka.Int{
		paid.OtherTrxCode:    {moka.PaymentStatusPayment, moka.TrxStatusSuccess},
		pre.OtherTrxCode:     {moka.PaymentStatusPreAuth, moka.TrxStatusSuccess},
		failed.OtherTrxCode:  {moka.PaymentStatusPayment, moka.TrxStatusFailed},
		pending.OtherTrxCode: {moka.PaymentStatusStandby, moka.TrxStatusPending},
	}, codes(moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to}))

	onlyPaid := codes(moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to, TrxType: moka.SomeInt(2), TrxStatus: moka.SomeInt(1)})
	assert.Len(t, onlyPaid, 1)
	assert.Contains(t, onlyPaid, paid.OtherTrxCode)

	bySub := codes(moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to, SubDealerID: moka.SomeInt(1774)})
	assert.Len(t, bySub, 1)
	assert.Contains(t, bySub, pre.OtherTrxCode)

	past1, past2 := window(time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	assert.Empty(t, codes(moka.TrxListRequest{TrxStartDate: past1, TrxEndDate: past2}))
}

func TestTrxListCapsAtThousandEarliestFirst(t *testing.T) {
	start := time.Date(time.Now().Year(), 3, 1, 9, 0, 0, 0, istanbul)
	s := startSandbox(t, func(c *Config) { c.Now = stepClock(start, time.Second) })
	first := threeD("4183441122223339", "1")
	s.start(moka.PathThreeD, first)
	last := first
	for i := 0; i < MaxTrxListRecords; i++ {
		last = threeD("4183441122223339", "1")
		s.start(moka.PathThreeD, last)
	}
	from, to := window(start, start.Add(24*time.Hour))
	out, res := s.list(moka.TrxListRequest{TrxStartDate: from, TrxEndDate: to})
	isSuccess(t, out)
	require.Len(t, res.PaymentTrxList, MaxTrxListRecords)
	assert.Regexp(t, `^`+start.Format("2006-01-02")+`T09:00:\d\d\.000$`, res.PaymentTrxList[0].PaymentDetail.PaymentDate)
	assert.Equal(t, first.OtherTrxCode, res.PaymentTrxList[0].PaymentDetail.OtherTrxCode)
	for _, p := range res.PaymentTrxList {
		require.NotEqual(t, last.OtherTrxCode, p.PaymentDetail.OtherTrxCode, "the latest record falls past the cap")
	}
	assert.Equal(t, res.PaymentTrxList[0].PaymentDetail.PaymentDate, res.PaymentTrxList[0].PaymentTrxDetailList[0].TrxDate)
}

// TestTrxListSeedStatusPairs makes a payment for every status pair of seed 004 (the master
// record's PaymentStatus/TrxStatus and each transaction's TrxType/TrxStatus) and finds
// each one through GetPaymentTrxList.
func TestTrxListSeedStatusPairs(t *testing.T) {
	s := startSandbox(t)
	refund := func(vpos, amount string) {
		out, _ := call[moka.BankResult](s, moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec(amount)})
		isSuccess(t, out)
	}
	void := func(vpos string) raw {
		out, _ := call[moka.BankResult](s, moka.PathVoid, moka.VoidRequest{VirtualPosOrderID: vpos, VoidRefundReason: 2})
		return out
	}

	// The payments are made on one day, voided that day, and refunded the next.
	day := s.atNoon(0)
	preAuth, _ := s.paidMarketplace("11", map[int64]string{1774: "11"}, true, false)
	preFailed := threeD("4355084355084358", "12")
	preFailed.IsPreAuth = 1
	_, ret := s.pay(moka.PathThreeD, preFailed, DemoOTP)
	require.Equal(t, BankCodeThreeDFailed, ret.resultCode)
	paid, _ := s.paidMarketplace("13", map[int64]string{1772: "13"}, false, false)
	failed := threeD("4183441122223339", "14")
	_, ret = s.pay(moka.PathThreeD, failed, "000000") // wrong OTP
	require.Equal(t, BankCodeThreeDFailed, ret.resultCode)
	voided, voidedVpos := s.paidMarketplace("15", map[int64]string{1772: "15"}, false, false)
	require.True(t, bank(t, void(voidedVpos)).IsSuccessful)
	refunded, refundedVpos := s.paidMarketplace("16", map[int64]string{1772: "6", 1774: "10"}, false, false)
	voidRefused, voidRefusedVpos := s.paidMarketplace("17", map[int64]string{1772: "17"}, false, false)
	refundRefused := threeD("4556789012345672", "18")
	_, ret = s.pay(moka.PathThreeD, refundRefused, DemoOTP)
	require.Empty(t, ret.resultCode)
	s.nextDay()
	// Started today, the abandoned payment is still pending: a day-old one would have
	// timed out (Config.SessionTimeout, on the same clock).
	pending := threeD("5400360000000003", "10")
	s.start(moka.PathThreeD, pending)
	refund(refundedVpos, "16")
	refund(voidRefusedVpos, "1")
	refund(ret.trxCode, "18")
	s.srv.CompleteRefunds()
	assert.Equal(t, CodeVoidPaymentNotAvailable, void(voidRefusedVpos).ResultCode, "a refunded payment of yesterday cannot be voided")

	from, to := window(day.Add(-time.Hour), day.Add(25*time.Hour))
	list := func(r moka.TrxListRequest) []moka.Payment {
		r.TrxStartDate, r.TrxEndDate = from, to
		out, res := s.list(r)
		isSuccess(t, out)
		return res.PaymentTrxList
	}

	master := map[string][2]moka.Int{}
	for _, p := range list(moka.TrxListRequest{}) {
		master[p.PaymentDetail.OtherTrxCode] = [2]moka.Int{p.PaymentDetail.PaymentStatus, p.PaymentDetail.TrxStatus}
	}
	assert.Equal(t, map[string][2]moka.Int{
		pending.OtherTrxCode:       {0, 0}, // standby, awaiting confirmation
		preAuth.OtherTrxCode:       {1, 1}, // pre-authorisation successful
		preFailed.OtherTrxCode:     {1, 2}, // pre-authorisation failed
		paid.OtherTrxCode:          {2, 1}, // payment successful
		failed.OtherTrxCode:        {2, 2}, // payment failed
		voided.OtherTrxCode:        {3, 1}, // cancellation successful
		refunded.OtherTrxCode:      {4, 1}, // refund successful
		voidRefused.OtherTrxCode:   {2, 1}, // a refused void leaves the payment as it was
		refundRefused.OtherTrxCode: {2, 1}, // and so does a refused refund
	}, master)

	trxPairs := []struct {
		typ, status int64
		want        string // the OtherTrxCode of the payment with that transaction
	}{
		{0, 0, pending.OtherTrxCode},
		{1, 1, preAuth.OtherTrxCode},
		{1, 2, preFailed.OtherTrxCode},
		{2, 1, paid.OtherTrxCode},
		{2, 2, failed.OtherTrxCode},
		{3, 1, voided.OtherTrxCode},
		{3, 2, voidRefused.OtherTrxCode},
		{4, 1, refunded.OtherTrxCode},
		{4, 2, refundRefused.OtherTrxCode},
	}
	for _, tp := range trxPairs {
		got := list(moka.TrxListRequest{TrxType: moka.SomeInt(tp.typ), TrxStatus: moka.SomeInt(tp.status)})
		codes := []string{}
		for _, p := range got {
			codes = append(codes, p.PaymentDetail.OtherTrxCode)
			for _, trx := range p.PaymentTrxDetailList {
				assert.Equal(t, [2]moka.Int{moka.Int(tp.typ), moka.Int(tp.status)}, [2]moka.Int{trx.TrxType, trx.TrxStatus})
			}
		}
		assert.Contains(t, codes, tp.want, "TrxType %d, TrxStatus %d", tp.typ, tp.status)
	}

	// A marketplace refund row is split among the sub-dealers it refunded.
	got := list(moka.TrxListRequest{TrxType: moka.SomeInt(4), TrxStatus: moka.SomeInt(1), SubDealerID: moka.SomeInt(1774)})
	require.Len(t, got, 1)
	require.Len(t, got[0].PaymentTrxDetailList, 1)
	split := map[string]string{}
	for _, sp := range got[0].PaymentTrxDetailList[0].SubPaymentTrxList {
		split[jsonInt(sp.DealerID)] = sp.Amount.String()
	}
	assert.Equal(t, map[string]string{"1772": "6", "1774": "10"}, split)
}
