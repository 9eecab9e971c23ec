package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// sandbox is a running sandbox on a real 127.0.0.1 port.
type sandbox struct {
	t   *testing.T
	srv *Server
	url string
	// mokaHits counts requests to Moka's service paths, so a test can tell that the
	// client refused something before sending it.
	mokaHits *atomic.Int64
}

func startSandbox(t *testing.T, mutate ...func(*Config)) *sandbox {
	t.Helper()
	var srv *Server
	hits := new(atomic.Int64)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/PaymentDealer/") {
			hits.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	cfg := DemoConfig(hs.URL)
	cfg.RefundDelay = 0 // tests complete refunds explicitly unless they test the delay
	for _, m := range mutate {
		m(&cfg)
	}
	srv = New(cfg)
	return &sandbox{t: t, srv: srv, url: hs.URL, mokaHits: hits}
}

// client is a moka.Client for one of the sandbox's dealers, with the demo username and
// password unless creds says otherwise.
func (s *sandbox) client(dealerCode string, opts ...moka.Option) *moka.Client {
	return moka.New(s.url, moka.Credentials{DealerCode: dealerCode, Username: DemoUsername, Password: DemoPassword}, opts...)
}

// paidMarketplace creates a paid (or pre-authorised / pool) marketplace payment and
// returns its request and VirtualPosOrderId.
func (s *sandbox) paidMarketplace(amount string, subs map[int64]string, preAuth, pool bool) (moka.ThreeDRequest, string) {
	s.t.Helper()
	req := threeD("4183441122223339", amount)
	req.CommissionScenario = 1
	for _, id := range demoSubDealers() {
		if a, ok := subs[id]; ok {
			req.SubDealer = append(req.SubDealer, moka.SubDealer{DealerID: moka.Int(id), Amount: dec(a)})
		}
	}
	if preAuth {
		req.IsPreAuth = 1
	}
	if pool {
		req.IsPoolPayment = 1
	}
	_, ret := s.pay(moka.PathThreeDMarketPlace, req, DemoOTP)
	require.True(s.t, ret.found)
	require.Empty(s.t, ret.resultCode)
	return req, ret.trxCode
}

// resultCode is the Moka code a client call failed with: "" for no error, and a
// description for an error that is not a *moka.Error.
func resultCode(err error) string {
	var me *moka.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &me):
		return me.ResultCode
	default:
		return "not a moka.Error: " + err.Error()
	}
}

func demoAuth() moka.Authentication {
	return moka.Authentication{
		DealerCode: DemoDealerCode, Username: DemoUsername, Password: DemoPassword,
		CheckKey: checkKey(DemoDealerCode, DemoUsername, DemoPassword),
	}
}

// raw is a decoded Moka answer with Data kept as JSON.
type raw struct {
	Data          json.RawMessage
	ResultCode    string
	ResultMessage string
	Exception     any
}

// post sends body (any JSON-able value) to path and decodes the envelope.
func (s *sandbox) post(path string, body any) raw {
	s.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(s.t, err)
	return s.postRaw(path, b)
}

func (s *sandbox) postRaw(path string, b []byte) raw {
	s.t.Helper()
	resp, err := http.Post(s.url+path, "application/json", bytes.NewReader(b))
	require.NoError(s.t, err)
	defer resp.Body.Close()
	require.Equal(s.t, http.StatusOK, resp.StatusCode)
	var out raw
	require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

func call[T any](s *sandbox, path string, req any) (raw, T) {
	s.t.Helper()
	out := s.post(path, moka.Envelope[any]{PaymentDealerAuthentication: demoAuth(), PaymentDealerRequest: req})
	var data T
	if out.ResultCode == moka.ResultSuccess {
		require.NoError(s.t, json.Unmarshal(out.Data, &data))
	} else {
		require.Equal(s.t, "null", string(out.Data), "failed answers carry Data null")
	}
	return out, data
}

func dec(s string) moka.Amount { return moka.Amount{Decimal: decimalMust(s)} }

func threeD(card, amount string) moka.ThreeDRequest {
	return moka.ThreeDRequest{
		CardHolderFullName: "Test Buyer", CardNumber: card, ExpMonth: "12",
		ExpYear: strconv.Itoa(time.Now().Year() + 2), CvcNumber: "000", Amount: dec(amount),
		Currency: "TL", InstallmentNumber: 1, OtherTrxCode: "otc-" + newGUID(), ReturnHash: 1,
		RedirectURL: "https://merchant.example/return?a=1",
	}
}

// start begins a 3-D payment and requires success.
func (s *sandbox) start(path string, req moka.ThreeDRequest) moka.ThreeDResult {
	s.t.Helper()
	out, res := call[moka.ThreeDResult](s, path, req)
	require.Equal(s.t, moka.ResultSuccess, out.ResultCode, out.ResultMessage)
	return res
}

// page fetches an HTML page and parses it.
func (s *sandbox) page(method, u string, form url.Values) (*http.Response, *goquery.Document) {
	s.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = http.PostForm(u, form)
	} else {
		resp, err = http.Get(u)
	}
	require.NoError(s.t, err)
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	require.NoError(s.t, err)
	return resp, doc
}

// returnPost is the auto-post form the bank page sends to the RedirectUrl.
type returnPost struct {
	found                                              bool
	action, target                                     string
	hashValue, resultCode, resultMessage, trxCode, otc string
	// isSuccessful is posted instead of hashValue without ReturnHash; hasHash says
	// whether a hashValue field was there at all.
	isSuccessful string
	hasHash      bool
}

func parseReturn(doc *goquery.Document) returnPost {
	f := doc.Find("form#return-form")
	if f.Length() == 0 {
		return returnPost{}
	}
	val := func(name string) string {
		v, _ := f.Find(`input[name="` + name + `"]`).Attr("value")
		return v
	}
	action, _ := f.Attr("action")
	target, _ := f.Attr("target")
	return returnPost{found: true, action: action, target: target, hashValue: val("hashValue"),
		resultCode: val("resultCode"), resultMessage: val("resultMessage"), trxCode: val("trxCode"), otc: val("OtherTrxCode"),
		isSuccessful: val("isSuccessful"), hasHash: f.Find(`input[name="hashValue"]`).Length() == 1}
}

// pay runs a 3-D payment through the bank page with otp and returns the posted result.
func (s *sandbox) pay(path string, req moka.ThreeDRequest, otp string) (moka.ThreeDResult, returnPost) {
	s.t.Helper()
	res := s.start(path, req)
	_, doc := s.page(http.MethodGet, res.URL, nil)
	require.Equal(s.t, 1, doc.Find(`form#otp-form input[name="otp"]`).Length())
	_, doc = s.page(http.MethodPost, res.URL, url.Values{"otp": {otp}})
	return res, parseReturn(doc)
}

// atNoon moves the sandbox's clock to noon, Istanbul time, days from today (through
// SetNow, so it keeps running), and returns that noon. Tests of the void window and of
// the refund day use it so that they pass at any hour they run.
func (s *sandbox) atNoon(days int) time.Time {
	s.t.Helper()
	y, m, d := time.Now().In(istanbul).Date()
	noon := time.Date(y, m, d+days, 12, 0, 0, 0, istanbul)
	s.srv.SetNow(noon)
	return noon
}

// nextDay moves the sandbox's clock one day on, so that payments made so far can be
// refunded.
func (s *sandbox) nextDay() {
	s.srv.SetClockOffset(s.srv.ClockOffset() + 24*time.Hour)
}

// controlCall sends one request to a control endpoint (FaultPath, ClockPath) and decodes
// its JSON answer, if it has one.
func (s *sandbox) controlCall(path, method, contentType, body string, header ...string) (int, map[string]any) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	require.NoError(s.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var out map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&out))
	}
	return resp.StatusCode, out
}

func isSuccess(t *testing.T, out raw) {
	t.Helper()
	require.Equal(t, moka.ResultSuccess, out.ResultCode, strings.TrimSpace(out.ResultMessage))
}
