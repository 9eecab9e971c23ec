package checkout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
)

// trxSandbox is a sandbox of the test's own, with the payments the test needs, that
// counts its GetPaymentTrxList calls.
type trxSandbox struct {
	url   string
	srv   *sandbox.Server
	clock *clock
	calls atomic.Int64
}

func startTrxSandbox(t *testing.T, presets []sandbox.Preset) *trxSandbox {
	t.Helper()
	ts := &trxSandbox{clock: &clock{t: time.Now()}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == moka.PathPaymentTrxList {
			ts.calls.Add(1)
		}
		ts.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	cfg := sandbox.DemoConfig(hs.URL)
	cfg.Payments = presets
	cfg.Now = ts.clock.Now
	ts.srv = sandbox.New(cfg)
	ts.url = hs.URL
	return ts
}

// env starts a checkout whose merchants use this sandbox, the shop as dealer.
func (ts *trxSandbox) env(t *testing.T, dealer string) *env {
	return newEnv(t, func(o *checkout.Options) {
		for i := range o.Merchants {
			o.Merchants[i].MokaBaseURL = ts.url
		}
		o.Merchants[0].Moka.DealerCode = dealer
	})
}

// capture closes a preset pre-authorisation at the sandbox's current time.
func (ts *trxSandbox) capture(t *testing.T, vposOrderID, amount string, dealerID int64) {
	t.Helper()
	c := moka.New(ts.url, moka.Credentials{DealerCode: sandbox.DemoDealerCode, Username: sandbox.DemoUsername, Password: sandbox.DemoPassword})
	a := moka.NewAmount(decimal.RequireFromString(amount))
	_, err := c.Capture(context.Background(), moka.CaptureRequest{VirtualPosOrderID: vposOrderID, Amount: a,
		SubDealer: []moka.SubDealerPart{{DealerID: moka.Int(dealerID), Amount: &a}}})
	require.NoError(t, err)
}

// setClock moves c to t.
func setClock(c *clock, t time.Time) { c.Add(t.Sub(c.Now())) }

var istanbulZone = time.FixedZone("TRT", 3*60*60)

// trxBase is a whole hour two days before now, in Istanbul time.
func trxBase() time.Time { return time.Now().In(istanbulZone).Truncate(time.Hour).Add(-48 * time.Hour) }

func paidPresets(prefix string, n int, start time.Time, step time.Duration) []sandbox.Preset {
	out := make([]sandbox.Preset, n)
	for i := range out {
		out[i] = sandbox.Preset{
			DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: fmt.Sprintf("%s-%d", prefix, i),
			OtherTrxCode: fmt.Sprintf("OTC-%s-%d", prefix, i), Amount: decimal.RequireFromString("25.50"),
			Date: start.Add(time.Duration(i) * step),
		}
	}
	return out
}

// trxPage is one answer of the list, decoded with amounts kept as JSON strings.
type trxPage struct {
	Data []struct {
		ID                int64     `json:"id"`
		Type              string    `json:"type"`
		Status            string    `json:"status"`
		Amount            string    `json:"amount"`
		Date              time.Time `json:"date"`
		VirtualPosOrderID string    `json:"virtual_pos_order_id"`
		Payment           struct {
			ID           int64  `json:"id"`
			OtherTrxCode string `json:"other_trx_code"`
		} `json:"payment"`
	} `json:"data"`
	HasMore bool `json:"has_more"`
}

func trxQuery(from, to time.Time, extra ...string) string {
	v := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return "/api/v1/transactions?" + v.Encode()
}

func (e *env) trxPage(path string) trxPage {
	e.t.Helper()
	r := e.api(http.MethodGet, path, "")
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	var p trxPage
	require.NoError(e.t, json.Unmarshal([]byte(r.body), &p), r.body)
	return p
}

// allPages follows starting_after until has_more is false and returns the pages.
func (e *env) allPages(path string, limit int) []trxPage {
	e.t.Helper()
	var pages []trxPage
	cursor := ""
	for range 100 {
		q := path + "&limit=" + strconv.Itoa(limit)
		if cursor != "" {
			q += "&starting_after=" + cursor
		}
		p := e.trxPage(q)
		pages = append(pages, p)
		if !p.HasMore {
			return pages
		}
		require.NotEmpty(e.t, p.Data)
		cursor = strconv.FormatInt(p.Data[len(p.Data)-1].ID, 10)
	}
	e.t.Fatal("more than 100 pages")
	return nil
}

func TestTransactionsListsEveryRecordOncePastMokaCap(t *testing.T) {
	base := trxBase()
	// 2,600 payments 5 s apart (12 a minute, some 3.6 hours), a pre-authorisation early in
	// the window captured late in it (so Moka answers it in both halves), and payments
	// just outside the window.
	presets := paidPresets("in", 2600, base, 5*time.Second)
	presets = append(presets,
		sandbox.Preset{DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "cross", Amount: decimal.RequireFromString("7"),
			SubDealers: []sandbox.PresetShare{{DealerID: 1774, Amount: decimal.RequireFromString("7")}}, PreAuth: true,
			Date: base.Add(10 * time.Minute)},
		sandbox.Preset{DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "before", Amount: decimal.RequireFromString("1"),
			Date: base.Add(-time.Millisecond)},
		sandbox.Preset{DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "after", Amount: decimal.RequireFromString("1"),
			Date: base.Add(4 * time.Hour)},
	)
	ts := startTrxSandbox(t, presets)
	setClock(ts.clock, base.Add(3*time.Hour+50*time.Minute))
	ts.capture(t, "cross", "7", 1774)
	e := ts.env(t, sandbox.DemoDealerCode)

	path := trxQuery(base, base.Add(4*time.Hour))
	pages := e.allPages(path, 1000)
	require.Len(t, pages, 3)
	// Each page lists the window at Moka again: the window, both halves and all four
	// quarters but the last are full (1 + 2 + 4 calls).
	assert.EqualValues(t, 3*7, ts.calls.Load())

	seen := map[int64]int{}
	byOrder := map[string]int{}
	lastID, lastDate := int64(1<<62), base.Add(time.Hour*24)
	for _, p := range pages {
		for _, it := range p.Data {
			seen[it.ID]++
			byOrder[it.VirtualPosOrderID]++
			assert.Less(t, it.ID, lastID, "newest first, by id")
			lastID = it.ID
			if strings.HasPrefix(it.VirtualPosOrderID, "in-") {
				// Made in date order, so their ids and dates agree.
				assert.True(t, it.Date.Before(lastDate), "%s not before %s", it.Date, lastDate)
				lastDate = it.Date
			}
			assert.False(t, it.Date.Before(base) || !it.Date.Before(base.Add(4*time.Hour)), it.Date)
		}
	}
	assert.Len(t, seen, 2602, "2,600 payments and the pre-authorisation's two transactions")
	for id, n := range seen {
		assert.Equal(t, 1, n, "transaction %d", id)
	}
	for i := range 2600 {
		assert.Equal(t, 1, byOrder[fmt.Sprintf("in-%d", i)], "in-%d", i)
	}
	assert.Equal(t, 2, byOrder["cross"])
	assert.Zero(t, byOrder["before"])
	assert.Zero(t, byOrder["after"])

	first := pages[0].Data[0]
	assert.Equal(t, "cross", first.VirtualPosOrderID, "the capture is the newest")
	assert.Equal(t, "payment", first.Type)
	assert.Equal(t, "in-0", pages[2].Data[len(pages[2].Data)-1].VirtualPosOrderID)

	// The same list in pages of the default size (100) holds the same transactions.
	p := e.trxPage(path)
	assert.Len(t, p.Data, 100)
	assert.True(t, p.HasMore)
	for k := range p.Data {
		assert.Equal(t, pages[0].Data[k].ID, p.Data[k].ID)
	}
}

func TestTransactionsItem(t *testing.T) {
	base := trxBase()
	ts := startTrxSandbox(t, []sandbox.Preset{{
		DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "Test-market", OtherTrxCode: "OTC-market",
		Amount: decimal.RequireFromString("150.50"), Date: base.Add(90*time.Second + 250*time.Millisecond),
		SubDealers: []sandbox.PresetShare{{DealerID: 1772, Amount: decimal.RequireFromString("100.25")},
			{DealerID: 1774, Amount: decimal.RequireFromString("50.25")}},
	}, {
		DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "Test-usd", Amount: decimal.RequireFromString("12"),
		Currency: moka.CurrencyUSD, Date: base.Add(30 * time.Second),
	}})
	e := ts.env(t, sandbox.DemoDealerCode)

	r := e.api(http.MethodGet, trxQuery(base.UTC(), base.Add(time.Hour).UTC()), "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	var got struct {
		Data    []map[string]any `json:"data"`
		HasMore bool             `json:"has_more"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &got))
	require.Len(t, got.Data, 2)
	assert.False(t, got.HasMore)

	// Newest first by id: Test-usd was recorded after Test-market, though it is dated earlier.
	assert.Equal(t, "Test-usd", got.Data[0]["virtual_pos_order_id"])
	it := got.Data[1]
	assert.Equal(t, "payment", it["type"])
	assert.Equal(t, "success", it["status"])
	assert.Equal(t, "150.50", it["amount"])
	assert.Equal(t, base.Add(90*time.Second+250*time.Millisecond).Format(time.RFC3339Nano), it["date"])
	assert.True(t, strings.HasSuffix(it["date"].(string), ".25+03:00"), it["date"])
	assert.Equal(t, "Test-market", it["virtual_pos_order_id"])
	assert.NotEmpty(t, it["trx_code"])
	assert.Equal(t, []any{
		map[string]any{"dealer_id": 1772.0, "amount": "100.25", "commission_amount": "0.00", "group_commission_amount": "0.00", "statement_id": 0.0},
		map[string]any{"dealer_id": 1774.0, "amount": "50.25", "commission_amount": "0.00", "group_commission_amount": "0.00", "statement_id": 0.0},
	}, it["sub_dealers"])

	pay := it["payment"].(map[string]any)
	assert.Equal(t, "OTC-market", pay["other_trx_code"])
	assert.Equal(t, "payment", pay["type"])
	assert.Equal(t, "success", pay["status"])
	assert.Equal(t, "150.50", pay["amount"])
	assert.Equal(t, "0.00", pay["ref_amount"])
	assert.Equal(t, "TRY", pay["currency"])
	assert.Equal(t, 1.0, pay["installments"])
	assert.Equal(t, true, pay["three_d"])
	assert.Equal(t, map[string]any{"first6": "526955", "last4": "4444", "brand": "mastercard"}, pay["card"])
	assert.Len(t, pay["sub_dealers"], 2)
	assert.Contains(t, pay["date"], "+03:00")
	assert.NotZero(t, pay["id"])

	usd := got.Data[0]
	assert.Equal(t, "12.00", usd["amount"])
	assert.Equal(t, "USD", usd["payment"].(map[string]any)["currency"])
	assert.Equal(t, []any{}, usd["sub_dealers"])
}

func TestTransactionsFilters(t *testing.T) {
	base := trxBase()
	presets := paidPresets("paid", 3, base, time.Minute)
	presets = append(presets, sandbox.Preset{
		DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "pre", Amount: decimal.RequireFromString("5"),
		SubDealers: []sandbox.PresetShare{{DealerID: 1772, Amount: decimal.RequireFromString("5")}}, PreAuth: true,
		Date: base.Add(5 * time.Minute),
	}, sandbox.Preset{
		DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "captured", Amount: decimal.RequireFromString("8"),
		SubDealers: []sandbox.PresetShare{{DealerID: 1774, Amount: decimal.RequireFromString("8")}}, PreAuth: true,
		Date: base.Add(6 * time.Minute),
	})
	ts := startTrxSandbox(t, presets)
	setClock(ts.clock, base.Add(7*time.Minute))
	ts.capture(t, "captured", "8", 1774)
	e := ts.env(t, sandbox.DemoDealerCode)

	cases := []struct {
		name   string
		params []string
		want   []string // type:virtual_pos_order_id, newest first
	}{
		{"none", nil, []string{"payment:captured", "pre_auth:captured", "pre_auth:pre", "payment:paid-2", "payment:paid-1", "payment:paid-0"}},
		{"pre_auth", []string{"type", "pre_auth"}, []string{"pre_auth:captured", "pre_auth:pre"}},
		{"payment", []string{"type", "payment"}, []string{"payment:captured", "payment:paid-2", "payment:paid-1", "payment:paid-0"}},
		{"refund", []string{"type", "refund"}, nil},
		{"success", []string{"status", "success"}, []string{"payment:captured", "pre_auth:captured", "pre_auth:pre", "payment:paid-2", "payment:paid-1", "payment:paid-0"}},
		{"failed", []string{"status", "failed"}, nil},
		{"sub-dealer", []string{"sub_dealer_id", "1774"}, []string{"payment:captured", "pre_auth:captured"}},
		{"sub-dealer and type", []string{"sub_dealer_id", "1774", "type", "pre_auth"}, []string{"pre_auth:captured"}},
		{"empty values list all", []string{"type", "", "status", ""}, []string{"payment:captured", "pre_auth:captured", "pre_auth:pre", "payment:paid-2", "payment:paid-1", "payment:paid-0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := e.trxPage(trxQuery(base, base.Add(time.Hour), tc.params...))
			var got []string
			for _, it := range p.Data {
				got = append(got, it.Type+":"+it.VirtualPosOrderID)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestTransactionsBadInput(t *testing.T) {
	ts := startTrxSandbox(t, nil)
	e := ts.env(t, sandbox.DemoDealerCode)
	base := trxBase()
	from, to := base.Format(time.RFC3339), base.Add(time.Hour).Format(time.RFC3339)
	ok := url.Values{"from": {from}, "to": {to}}
	with := func(kv ...string) string {
		v := url.Values{}
		for k, vs := range ok {
			v[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "\x00" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v.Encode()
	}
	cases := []struct {
		name, query, code, field string
	}{
		{"no from", with("from", "\x00"), "from_invalid", "from"},
		{"no to", with("to", "\x00"), "to_invalid", "to"},
		{"from without offset", with("from", base.Format("2006-01-02T15:04:05")), "from_invalid", "from"},
		{"from as Moka's date", with("from", base.Format(moka.DateLayout)), "from_invalid", "from"},
		{"to not a date", with("to", "tomorrow"), "to_invalid", "to"},
		{"to before from", with("to", base.Add(-time.Minute).Format(time.RFC3339)), "to_invalid", "to"},
		{"to equal to from", with("to", from), "to_invalid", "to"},
		{"window over 31 days", with("to", base.Add(31*24*time.Hour+time.Second).Format(time.RFC3339)), "to_invalid", "to"},
		{"type unknown", with("type", "sale"), "type_invalid", "type"},
		{"type as Moka's number", with("type", "2"), "type_invalid", "type"},
		{"status unknown", with("status", "ok"), "status_invalid", "status"},
		{"status as Moka's number", with("status", "1"), "status_invalid", "status"},
		{"sub_dealer_id not a number", with("sub_dealer_id", "abc"), "sub_dealer_id_invalid", "sub_dealer_id"},
		{"sub_dealer_id zero", with("sub_dealer_id", "0"), "sub_dealer_id_invalid", "sub_dealer_id"},
		{"sub_dealer_id negative", with("sub_dealer_id", "-5"), "sub_dealer_id_invalid", "sub_dealer_id"},
		{"limit zero", with("limit", "0"), "limit_invalid", "limit"},
		{"limit over 1000", with("limit", "1001"), "limit_invalid", "limit"},
		{"limit not a number", with("limit", "ten"), "limit_invalid", "limit"},
		{"starting_after not an id", with("starting_after", "abc"), "starting_after_invalid", "starting_after"},
		{"starting_after zero", with("starting_after", "0"), "starting_after_invalid", "starting_after"},
		{"unknown parameter", with("sub_dealer", "1774"), "unknown_parameter", "sub_dealer"},
		{"type twice", with() + "&type=payment&type=refund", "type_invalid", "type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api(http.MethodGet, "/api/v1/transactions?"+tc.query, "")
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			body := r.json(t)["error"].(map[string]any)
			assert.Equal(t, tc.code, body["code"])
			assert.Equal(t, tc.field, body["field"])
			assert.NotEmpty(t, body["message"])
		})
	}
	assert.Zero(t, ts.calls.Load(), "refused before Moka is asked")

	r := e.api(http.MethodGet, "/api/v1/transactions?"+with(), "", "Authorization", "Bearer nope")
	assert.Equal(t, http.StatusUnauthorized, r.status)
}

func TestTransactionsMokaFailures(t *testing.T) {
	base := trxBase()
	path := trxQuery(base, base.Add(time.Hour))
	errorOf := func(t *testing.T, r response) map[string]any {
		t.Helper()
		return r.json(t)["error"].(map[string]any)
	}

	t.Run("dealer not authorized", func(t *testing.T) {
		e := startTrxSandbox(t, nil).env(t, sandbox.UnauthorizedDealerCode)
		r := e.api(http.MethodGet, path, "")
		require.Equal(t, http.StatusBadGateway, r.status, r.body)
		body := errorOf(t, r)
		assert.Equal(t, "moka_not_authorized", body["code"])
		assert.Equal(t, "PaymentDealer.GetPaymentTrxListMarketPlace.DealerNotAuthorized", body["moka_result_code"])
	})
	t.Run("EX", func(t *testing.T) {
		e := startTrxSandbox(t, nil).env(t, sandbox.DemoDealerCode)
		r := e.api(http.MethodGet, trxQuery(base, base.Add(time.Hour), "sub_dealer_id", strconv.Itoa(sandbox.EXSubDealerID)), "")
		require.Equal(t, http.StatusBadGateway, r.status, r.body)
		body := errorOf(t, r)
		assert.Equal(t, "moka_error", body["code"])
		assert.Equal(t, "EX", body["moka_result_code"])
	})
	t.Run("Moka answers 500", func(t *testing.T) {
		ts := startTrxSandbox(t, nil)
		e := ts.env(t, sandbox.DemoDealerCode)
		resp, err := http.Post(ts.url+sandbox.FaultPath, "application/json",
			strings.NewReader(`{"status500":true,"path":"GetPaymentTrxList"}`))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)

		r := e.api(http.MethodGet, path, "")
		require.Equal(t, http.StatusBadGateway, r.status, r.body)
		assert.Equal(t, "moka_unavailable", errorOf(t, r)["code"])
	})
	t.Run("a full minute", func(t *testing.T) {
		dense := paidPresets("dense", moka.MaxTrxListRecords, base.Add(2*time.Minute), 50*time.Millisecond)
		e := startTrxSandbox(t, dense).env(t, sandbox.DemoDealerCode)
		r := e.api(http.MethodGet, path, "")
		require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
		body := errorOf(t, r)
		assert.Equal(t, "too_many_transactions", body["code"])
		assert.Contains(t, body["message"], base.Add(2*time.Minute).Format(time.RFC3339))

		// A filter that leaves fewer than 1,000 in that minute answers.
		p := e.trxPage(trxQuery(base, base.Add(time.Hour), "type", "pre_auth"))
		assert.Empty(t, p.Data)
	})
}

func TestTransactionsPaginationStable(t *testing.T) {
	base := trxBase()
	// Seven payments, two of them in the same millisecond, and a pre-authorisation, made
	// before them, that is captured between two pages.
	presets := paidPresets("p", 5, base, time.Minute)
	presets = append(presets, paidPresets("same", 2, base.Add(10*time.Minute), 0)...)
	presets = append(presets, sandbox.Preset{DealerCode: sandbox.DemoDealerCode, VirtualPosOrderID: "pre",
		Amount: decimal.RequireFromString("3"), PreAuth: true, Date: base.Add(30 * time.Second),
		SubDealers: []sandbox.PresetShare{{DealerID: 1772, Amount: decimal.RequireFromString("3")}}})
	ts := startTrxSandbox(t, presets)
	e := ts.env(t, sandbox.DemoDealerCode)
	path := trxQuery(base, base.Add(time.Hour))

	// The same page twice is the same page.
	first := e.trxPage(path + "&limit=3")
	assert.Equal(t, first, e.trxPage(path+"&limit=3"))
	require.Len(t, first.Data, 3)
	assert.True(t, first.HasMore)

	before := e.allPages(path, 3)
	var ids []int64
	for _, p := range before {
		for _, it := range p.Data {
			ids = append(ids, it.ID)
		}
	}
	require.Len(t, ids, 8)
	assert.Len(t, before, 3)
	assert.False(t, before[2].HasMore)

	// A transaction newer than the first page arrives between pages: the pages after
	// the first go on where they were, and the new one is on top of a fresh first page.
	setClock(ts.clock, base.Add(20*time.Minute))
	ts.capture(t, "pre", "3", 1772)
	var after []int64
	after = append(after, ids[:3]...)
	cursor := strconv.FormatInt(ids[2], 10)
	for {
		p := e.trxPage(path + "&limit=3&starting_after=" + cursor)
		for _, it := range p.Data {
			after = append(after, it.ID)
		}
		if !p.HasMore {
			break
		}
		cursor = strconv.FormatInt(p.Data[len(p.Data)-1].ID, 10)
	}
	assert.Equal(t, ids, after)
	top := e.trxPage(path + "&limit=3")
	assert.Equal(t, "pre", top.Data[0].VirtualPosOrderID)
	assert.Equal(t, "payment", top.Data[0].Type)
	assert.Equal(t, ids[:2], []int64{top.Data[1].ID, top.Data[2].ID})

	// starting_after is a position: an id that is not listed (here: above every id, and
	// between two listed ones once they are shifted by one) still pages from there.
	above := e.trxPage(path + "&limit=3&starting_after=" + strconv.FormatInt(top.Data[0].ID+1000, 10))
	assert.Equal(t, top, above)

	// The last page, asked for directly, says there is no more.
	last := e.trxPage(path + "&limit=3&starting_after=" + strconv.FormatInt(ids[len(ids)-2], 10))
	require.Len(t, last.Data, 1)
	assert.Equal(t, ids[len(ids)-1], last.Data[0].ID)
	assert.False(t, last.HasMore)
}
