package sandbox

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/hashverify"
	"github.com/mokacheckout/checkout/internal/moka"
)

func TestBankRoundTrip(t *testing.T) {
	cases := []struct {
		name         string
		card, otp    string
		redirectType int
		success      bool
		target       string
	}{
		{"success top", "4183441122223339", DemoOTP, 0, true, "_top"},
		{"success in frame", "5269552233334444", DemoOTP, 1, true, ""},
		{"wrong otp", "4183441122223339", "000000", 0, false, "_top"},
		{"3-D failure card", "4355084355084358", DemoOTP, 1, false, ""},
		{"any other Luhn-valid card", "4111111111111111", DemoOTP, 0, true, "_top"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSandbox(t)
			req := threeD(tc.card, "150.00")
			req.RedirectType = moka.Int(tc.redirectType)
			res, ret := s.pay(moka.PathThreeD, req, tc.otp)
			require.True(t, ret.found, "the bank page posts back")
			// The checkout decides with hashverify.Check, so the posted value must pass it.
			verdict, err := hashverify.Check(res.CodeForHash, ret.hashValue)
			require.NoError(t, err)
			want := hashverify.Failure
			if tc.success {
				want = hashverify.Success
			}
			assert.Equal(t, want, verdict)
			assert.Equal(t, req.RedirectURL, ret.action)
			assert.Equal(t, tc.target, ret.target)
			assert.Equal(t, req.OtherTrxCode, ret.otc)
			assert.True(t, strings.HasPrefix(ret.trxCode, "Test-"), ret.trxCode)
			if tc.success {
				assert.Empty(t, ret.resultCode)
			} else {
				assert.Equal(t, BankCodeThreeDFailed, ret.resultCode)
				assert.NotEmpty(t, ret.resultMessage)
			}
			assert.Equal(t, strings.ToUpper(res.CodeForHash), res.CodeForHash)

			out, detail := call[moka.PaymentDetailResult](s, moka.PathDealerPaymentTrxList, moka.PaymentDetailRequest{OtherTrxCode: req.OtherTrxCode})
			isSuccess(t, out)
			wantTrx := moka.Int(moka.TrxStatusFailed)
			if tc.success {
				wantTrx = moka.TrxStatusSuccess
			}
			assert.Equal(t, moka.Int(moka.PaymentStatusPayment), detail.PaymentDetail.PaymentStatus)
			assert.Equal(t, wantTrx, detail.PaymentDetail.TrxStatus)
			assert.Equal(t, tc.card[:6], detail.PaymentDetail.CardNumberFirstSix)
			assert.Equal(t, tc.card[12:], detail.PaymentDetail.CardNumberLastFour)
		})
	}
}

func TestBankPageShowsPaymentAndCSP(t *testing.T) {
	s := startSandbox(t)
	res := s.start(moka.PathThreeD, threeD("4183441122223339", "150.00"))
	resp, doc := s.page(http.MethodGet, res.URL, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "150.00 TL", doc.Find("#amount").Text())
	assert.Equal(t, "4183 44** **** 3339", doc.Find("#card").Text())
	assert.Contains(t, doc.Find(`label[for="otp"]`).Text(), "SMS code")
	assert.NotContains(t, doc.Text(), "4183441122223339")

	_, doc = s.page(http.MethodPost, res.URL, url.Values{"otp": {DemoOTP}})
	script := doc.Find("script")
	require.Equal(t, 1, script.Length())
	nonce, _ := script.Attr("nonce")
	require.NotEmpty(t, nonce)
	assert.Equal(t, "document.forms[0].submit()", script.Text())
	assert.Equal(t, 1, doc.Find(`form#return-form button[type="submit"]`).Length(), "Continue works without JS")

	resp2, err := http.PostForm(res.URL+"x", url.Values{"otp": {DemoOTP}})
	require.NoError(t, err)
	resp2.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp2.StatusCode)
}

func TestBankPageCSPAllowsNoncedScript(t *testing.T) {
	s := startSandbox(t)
	res := s.start(moka.PathThreeD, threeD("4183441122223339", "10"))
	resp, err := http.PostForm(res.URL, url.Values{"otp": {DemoOTP}})
	require.NoError(t, err)
	defer resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "form-action *")
	assert.Regexp(t, `script-src 'nonce-[A-Za-z0-9+/=]+'`, csp)
}

func TestBankTokenUsedOnce(t *testing.T) {
	s := startSandbox(t)
	res, first := s.pay(moka.PathThreeD, threeD("4183441122223339", "20"), DemoOTP)
	require.True(t, first.found)

	resp, doc := s.page(http.MethodPost, res.URL, url.Values{"otp": {DemoOTP}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, doc.Find("#bank-message").Text(), "already processed")
	assert.False(t, parseReturn(doc).found)

	_, doc = s.page(http.MethodGet, res.URL+"/repost", nil)
	assert.Equal(t, first, parseReturn(doc), "repost renders the same return")
}

func TestBankAbandonedCardNeverPostsBack(t *testing.T) {
	s := startSandbox(t)
	req := threeD("5400360000000003", "30")
	res := s.start(moka.PathThreeD, req)
	resp, doc := s.page(http.MethodGet, res.URL, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the bank page shows")
	assert.Equal(t, 1, doc.Find("form#otp-form").Length())
	_, doc = s.page(http.MethodPost, res.URL, url.Values{"otp": {DemoOTP}})
	assert.Contains(t, doc.Find("#bank-message").Text(), "timed out")
	assert.Equal(t, 0, doc.Find("form").Length(), "nothing is posted back")
	_, doc = s.page(http.MethodGet, res.URL+"/repost", nil)
	assert.False(t, parseReturn(doc).found)

	_, detail := call[moka.PaymentDetailResult](s, moka.PathDealerPaymentTrxList, moka.PaymentDetailRequest{OtherTrxCode: req.OtherTrxCode})
	assert.Equal(t, moka.Int(moka.PaymentStatusStandby), detail.PaymentDetail.PaymentStatus)
	assert.Equal(t, moka.Int(moka.TrxStatusPending), detail.PaymentDetail.TrxStatus)
}

// A 3-D session nobody finishes fails once SessionTimeout has passed, as a bank ends it:
// Moka's detail then reports TrxStatus 2 instead of pending for ever.
func TestUnansweredSessionFailsAfterTimeout(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := startSandbox(t, func(c *Config) { c.Now = clock; c.SessionTimeout = 10 * time.Minute })
	req := threeD("5400360000000003", "25.00") // the abandon card: the bank page never posts back
	req.OtherTrxCode = "ABANDON-1"
	res := s.start(moka.PathThreeD, req)
	client := s.client(DemoDealerCode)
	detail := func() moka.PaymentDetail {
		res, err := client.PaymentDetail(context.Background(), moka.PaymentDetailRequest{OtherTrxCode: "ABANDON-1"})
		require.NoError(t, err)
		return res.PaymentDetail
	}
	assert.Equal(t, moka.Int(moka.TrxStatusPending), detail().TrxStatus)

	mu.Lock()
	now = now.Add(11 * time.Minute)
	mu.Unlock()
	resp, doc := s.page(http.MethodGet, res.URL, nil)
	assert.Equal(t, http.StatusGone, resp.StatusCode)
	assert.Equal(t, "Session timed out", doc.Find("#bank-title").Text())
	d := detail()
	assert.Equal(t, moka.Int(moka.TrxStatusFailed), d.TrxStatus)
	assert.Equal(t, moka.Int(moka.PaymentStatusStandby), d.PaymentStatus)
}

// The bank page escapes what it shows and what it posts, and never posts to a URL a
// browser would run.
func TestBankViewEscapes(t *testing.T) {
	var b strings.Builder
	require.NoError(t, bankView(bankPage{Nonce: "n0", Title: `<b>"x"</b>`, Action: "/bank/t?a=1&b=2",
		Return: &returnForm{Action: "javascript:alert(1)", Target: "_top", HashValue: `"><script>`, TrxCode: "t1"}}).
		Render(context.Background(), &b))
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	require.NoError(t, err)
	assert.Equal(t, `<b>"x"</b>`, doc.Find("#bank-title").Text())
	assert.Equal(t, 0, doc.Find("#bank-title b").Length())
	action, _ := doc.Find("#otp-form").Attr("action")
	assert.Equal(t, "/bank/t?a=1&b=2", action)
	action, _ = doc.Find("#return-form").Attr("action")
	assert.NotContains(t, action, "javascript")
	target, _ := doc.Find("#return-form").Attr("target")
	assert.Equal(t, "_top", target)
	hash, _ := doc.Find(`#return-form input[name="hashValue"]`).Attr("value")
	assert.Equal(t, `"><script>`, hash)
	assert.Equal(t, 1, doc.Find("script").Length(), "only the page's own script")
	assert.Equal(t, 0, doc.Find(`#return-form input[name="isSuccessful"]`).Length())
}
