package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
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
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, istanbul)
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
	assert.Regexp(t, `^2026-03-01T09:00:\d\d\.000$`, res.PaymentTrxList[0].PaymentDetail.PaymentDate)
	assert.Equal(t, first.OtherTrxCode, res.PaymentTrxList[0].PaymentDetail.OtherTrxCode)
	for _, p := range res.PaymentTrxList {
		require.NotEqual(t, last.OtherTrxCode, p.PaymentDetail.OtherTrxCode, "the latest record falls past the cap")
	}
	assert.Equal(t, res.PaymentTrxList[0].PaymentDetail.PaymentDate, res.PaymentTrxList[0].PaymentTrxDetailList[0].TrxDate)
}

func TestFaults(t *testing.T) {
	s := startSandbox(t)
	req := threeD("4183441122223339", "10")
	body := func(path string) (int, string, string) {
		b := strings.NewReader(`{"PaymentDealerAuthentication":{}}`)
		resp, err := http.Post(s.url+path, "application/json", b)
		require.NoError(t, err)
		defer resp.Body.Close()
		buf := new(strings.Builder)
		_, _ = io.Copy(buf, resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), buf.String()
	}

	s.srv.SetFault(Fault{Status500: true})
	code, ctype, text := body(moka.PathCapture)
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Contains(t, ctype, "text/html")
	assert.Contains(t, text, "<html>")

	s.srv.SetFault(Fault{Malformed: true, Path: moka.PathCapture})
	code, _, text = body(moka.PathCapture)
	assert.Equal(t, http.StatusOK, code)
	assert.False(t, json.Valid([]byte(text)))
	s.start(moka.PathThreeD, req) // other paths are untouched

	s.srv.SetFault(Fault{Latency: 50 * time.Millisecond})
	began := time.Now()
	s.start(moka.PathThreeD, threeD("4183441122223339", "10"))
	assert.GreaterOrEqual(t, time.Since(began), 50*time.Millisecond)

	s.srv.SetFault(Fault{})
	code, _, _ = body(moka.PathCapture)
	assert.Equal(t, http.StatusOK, code)
}
