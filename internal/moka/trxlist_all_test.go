package moka_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
)

var trt = time.FixedZone("TRT", 3*60*60)

// listSandbox is a sandbox on a real port that counts its GetPaymentTrxList calls.
type listSandbox struct {
	srv   *sandbox.Server
	url   string
	calls atomic.Int64
	clock *testClock
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// startListSandbox runs the demo sandbox with presets in place of the seed payments.
func startListSandbox(t *testing.T, presets []sandbox.Preset) *listSandbox {
	t.Helper()
	ls := &listSandbox{clock: &testClock{t: time.Now()}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == moka.PathPaymentTrxList {
			ls.calls.Add(1)
		}
		ls.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	cfg := sandbox.DemoConfig(hs.URL)
	cfg.Payments = presets
	cfg.Now = ls.clock.Now
	ls.srv = sandbox.New(cfg)
	ls.url = hs.URL
	return ls
}

func (ls *listSandbox) client(dealer string) *moka.Client {
	return moka.New(ls.url, moka.Credentials{DealerCode: dealer, Username: sandbox.DemoUsername, Password: sandbox.DemoPassword})
}

// spread makes n paid presets from start, one every step, with VirtualPosOrderIds
// prefix-0, prefix-1, ...
func spread(prefix string, n int, start time.Time, step time.Duration) []sandbox.Preset {
	out := make([]sandbox.Preset, n)
	for i := range out {
		out[i] = sandbox.Preset{
			DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: fmt.Sprintf("%s-%d", prefix, i),
			OtherTrxCode: fmt.Sprintf("OTC-%s-%d", prefix, i), Amount: decimal.RequireFromString("10.50"),
			Date: start.Add(time.Duration(i) * step),
		}
	}
	return out
}

// listBase is a whole hour two days ago, Istanbul time: every date of these tests is
// derived from the clock, so none of them expires.
func listBase() time.Time { return time.Now().In(trt).Truncate(time.Hour).Add(-48 * time.Hour) }

func TestAllPaymentTrxSplitsFullWindows(t *testing.T) {
	base := listBase()
	// 2,500 payments 5 s apart (12 a minute, 208 minutes), one pre-authorised in the first
	// half of the window and captured in the second, and payments just outside the window.
	presets := spread("in", 2500, base, 5*time.Second)
	presets = append(presets,
		sandbox.Preset{DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "cross", Amount: decimal.RequireFromString("7"),
			SubDealers: []sandbox.PresetShare{{DealerID: 1774, Amount: decimal.RequireFromString("7")}}, PreAuth: true,
			Date: base.Add(10 * time.Minute)},
		sandbox.Preset{DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "before", Amount: decimal.RequireFromString("1"),
			Date: base.Add(-time.Second)},
		sandbox.Preset{DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "after", Amount: decimal.RequireFromString("1"),
			Date: base.Add(4 * time.Hour)},
	)
	ls := startListSandbox(t, presets)
	c := ls.client(sandbox.DemoDealerCode)
	ctx := context.Background()

	ls.clock.Set(base.Add(3 * time.Hour))
	_, err := c.Capture(ctx, moka.CaptureRequest{VirtualPosOrderID: "cross", Amount: amt("7"),
		SubDealer: []moka.SubDealerPart{{DealerID: 1774, Amount: amtp("7")}}})
	require.NoError(t, err)

	res, err := c.AllPaymentTrx(ctx, base, base.Add(4*time.Hour), moka.TrxListFilter{})
	require.NoError(t, err)

	// The whole window (2,501 payments) and both halves are full; the four quarters are
	// not: 1 + 2 + 4 calls.
	assert.Equal(t, 7, res.Calls)
	assert.EqualValues(t, 7, ls.calls.Load())

	seen := map[string]int{}
	payIDs := map[moka.Int]bool{}
	trxIDs := map[moka.Int]bool{}
	for _, p := range res.Payments {
		require.NotEmpty(t, p.PaymentTrxDetailList)
		assert.False(t, payIDs[p.PaymentDetail.DealerPaymentID], "payment %d twice", p.PaymentDetail.DealerPaymentID)
		payIDs[p.PaymentDetail.DealerPaymentID] = true
		for _, tr := range p.PaymentTrxDetailList {
			assert.False(t, trxIDs[tr.DealerPaymentTrxID], "transaction %d twice", tr.DealerPaymentTrxID)
			trxIDs[tr.DealerPaymentTrxID] = true
			seen[tr.VirtualPosOrderID]++
		}
	}
	assert.Len(t, res.Payments, 2501)
	for i := range 2500 {
		assert.Equal(t, 1, seen[fmt.Sprintf("in-%d", i)], "in-%d", i)
	}
	assert.Equal(t, 2, seen["cross"], "the pre-auth and its capture, from both halves, in one payment")
	assert.Zero(t, seen["before"])
	assert.Zero(t, seen["after"])

	// Oldest first, by the payment's earliest transaction in the window.
	assert.Equal(t, "in-0", res.Payments[0].PaymentTrxDetailList[0].VirtualPosOrderID)
	assert.Equal(t, "in-2499", res.Payments[len(res.Payments)-1].PaymentTrxDetailList[0].VirtualPosOrderID)
	for _, p := range res.Payments {
		if p.PaymentTrxDetailList[0].VirtualPosOrderID == "cross" {
			require.Len(t, p.PaymentTrxDetailList, 2)
			assert.EqualValues(t, moka.TrxTypePreAuth, p.PaymentTrxDetailList[0].TrxType)
			assert.EqualValues(t, moka.TrxTypePayment, p.PaymentTrxDetailList[1].TrxType)
			assert.EqualValues(t, moka.PaymentStatusPayment, p.PaymentDetail.PaymentStatus, "the freshest master record")
		}
	}
}

func TestAllPaymentTrxWindowEdges(t *testing.T) {
	base := listBase()
	// Four payments in one minute: :00, :15, :30, :45.
	ls := startListSandbox(t, spread("edge", 4, base, 15*time.Second))
	c := ls.client(sandbox.DemoDealerCode)
	cases := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"whole minute", base, base.Add(time.Minute), []string{"edge-0", "edge-1", "edge-2", "edge-3"}},
		{"from inside the minute", base.Add(10 * time.Second), base.Add(time.Minute), []string{"edge-1", "edge-2", "edge-3"}},
		{"to inside the minute, exclusive", base, base.Add(30 * time.Second), []string{"edge-0", "edge-1"}},
		{"both inside", base.Add(15 * time.Second), base.Add(31 * time.Second), []string{"edge-1", "edge-2"}},
		{"in UTC", base.UTC().Add(44 * time.Second), base.UTC().Add(2 * time.Minute), []string{"edge-3"}},
		{"none", base.Add(46 * time.Second), base.Add(50 * time.Second), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.AllPaymentTrx(context.Background(), tc.from, tc.to, moka.TrxListFilter{})
			require.NoError(t, err)
			var got []string
			for _, p := range res.Payments {
				got = append(got, p.PaymentTrxDetailList[0].VirtualPosOrderID)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, 1, res.Calls)
		})
	}
	_, err := c.AllPaymentTrx(context.Background(), base, base, moka.TrxListFilter{})
	assert.ErrorIs(t, err, moka.ErrInvalidRequest, "an empty window is refused before any call")
}

func TestAllPaymentTrxFullMinute(t *testing.T) {
	base := listBase()
	// 1,000 payments in the minute base+1m: Moka's answer for that minute is full.
	presets := spread("dense", moka.MaxTrxListRecords, base.Add(time.Minute), 50*time.Millisecond)
	presets = append(presets, spread("early", 10, base, time.Second)...)
	ls := startListSandbox(t, presets)

	res, err := ls.client(sandbox.DemoDealerCode).AllPaymentTrx(context.Background(), base, base.Add(4*time.Minute), moka.TrxListFilter{})
	assert.Nil(t, res)
	var full *moka.FullMinuteError
	require.ErrorAs(t, err, &full)
	assert.True(t, full.Start.Equal(base.Add(time.Minute)), full.Start)
	assert.Contains(t, err.Error(), base.Add(time.Minute).Format(moka.DateLayout))
	// [0,4) full, [0,2) full, [0,1) not, [1,2) full and one minute: stop.
	assert.EqualValues(t, 4, ls.calls.Load())

	// A filter that leaves fewer than 1,000 in the minute lists them.
	res, err = ls.client(sandbox.DemoDealerCode).AllPaymentTrx(context.Background(), base, base.Add(4*time.Minute),
		moka.TrxListFilter{TrxType: moka.SomeInt(moka.TrxTypePreAuth)})
	require.NoError(t, err)
	assert.Empty(t, res.Payments)
}

func TestAllPaymentTrxBoundsCalls(t *testing.T) {
	base := listBase()
	ls := startListSandbox(t, spread("in", 2500, base, 5*time.Second))
	res, err := ls.client(sandbox.DemoDealerCode).AllPaymentTrx(context.Background(), base, base.Add(4*time.Hour),
		moka.TrxListFilter{MaxCalls: 3})
	assert.Nil(t, res)
	assert.ErrorIs(t, err, moka.ErrTrxListTooManyCalls)
	assert.EqualValues(t, 3, ls.calls.Load(), "no call past the bound")
}

func TestAllPaymentTrxFilters(t *testing.T) {
	base := listBase()
	presets := spread("paid", 3, base, time.Minute)
	presets = append(presets,
		sandbox.Preset{DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "pre", Amount: decimal.RequireFromString("5"),
			SubDealers: []sandbox.PresetShare{{DealerID: 1772, Amount: decimal.RequireFromString("5")}}, PreAuth: true,
			Date: base.Add(5 * time.Minute)})
	ls := startListSandbox(t, presets)
	c := ls.client(sandbox.DemoDealerCode)
	ids := func(f moka.TrxListFilter) []string {
		t.Helper()
		res, err := c.AllPaymentTrx(context.Background(), base, base.Add(time.Hour), f)
		require.NoError(t, err)
		var out []string
		for _, p := range res.Payments {
			for _, tr := range p.PaymentTrxDetailList {
				out = append(out, tr.VirtualPosOrderID)
			}
		}
		return out
	}
	assert.Equal(t, []string{"paid-0", "paid-1", "paid-2", "pre"}, ids(moka.TrxListFilter{}))
	assert.Equal(t, []string{"pre"}, ids(moka.TrxListFilter{TrxType: moka.SomeInt(moka.TrxTypePreAuth)}))
	assert.Equal(t, []string{"paid-0", "paid-1", "paid-2"}, ids(moka.TrxListFilter{TrxType: moka.SomeInt(moka.TrxTypePayment)}))
	assert.Equal(t, []string{"pre"}, ids(moka.TrxListFilter{SubDealerID: moka.SomeInt(1772)}))
	assert.Empty(t, ids(moka.TrxListFilter{TrxStatus: moka.SomeInt(moka.TrxStatusFailed)}))
}

func TestAllPaymentTrxMokaErrors(t *testing.T) {
	base := listBase()
	ls := startListSandbox(t, nil)
	_, err := ls.client(sandbox.UnauthorizedDealerCode).AllPaymentTrx(context.Background(), base, base.Add(time.Hour), moka.TrxListFilter{})
	assert.True(t, moka.IsCode(err, "PaymentDealer.GetPaymentTrxListMarketPlace.DealerNotAuthorized"), "%v", err)

	_, err = ls.client(sandbox.DemoDealerCode).AllPaymentTrx(context.Background(), base, base.Add(time.Hour),
		moka.TrxListFilter{SubDealerID: moka.SomeInt(sandbox.EXSubDealerID)})
	assert.True(t, moka.IsCode(err, "EX"), "%v", err)

	ls.srv.SetFault(sandbox.Fault{Malformed: true, Path: moka.PathPaymentTrxList})
	_, err = ls.client(sandbox.DemoDealerCode).AllPaymentTrx(context.Background(), base, base.Add(time.Hour), moka.TrxListFilter{})
	assert.ErrorIs(t, err, moka.ErrMalformedResponse)
}

func TestParseTrxDate(t *testing.T) {
	// This year's 27 July: the parsing does not depend on the year.
	year := time.Now().Year()
	want := time.Date(year, 7, 27, 13, 6, 39, 997e6, trt)
	yr := func(s string) string { return strings.ReplaceAll(s, "YYYY", strconv.Itoa(year)) }
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"YYYY-07-27T13:06:39.997", want, true},
		{" YYYY-07-27T13:06:39.997 ", want, true},
		{"YYYY-07-27T13:06:39.9970000", want, true},
		{"YYYY-07-27 13:06:39.997", want, true},
		{"YYYY-07-27T13:06:39", want.Truncate(time.Second), true},
		{"YYYY-07-27T10:06:39.997Z", want, true},
		{"YYYY-07-27T13:06:39.997+03:00", want, true},
		{"27.07.YYYY 13:06", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tc := range cases {
		got, err := moka.ParseTrxDate(yr(tc.in))
		if !tc.ok {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.True(t, tc.want.Equal(got), "%q: %s", tc.in, got)
		if !strings.HasSuffix(tc.in, "Z") && !strings.Contains(tc.in, "+") {
			_, off := got.Zone()
			assert.Equal(t, 3*60*60, off, tc.in)
		}
	}
}
