package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/hashverify"
	"github.com/mokacheckout/checkout/internal/moka"
)

// These tests pin what Moka's test host does where the seed pages are silent or differ.

// A blank DealerCode, Username or Password names no account: InvalidAccount, in
// DoCreateRefundRequest under its own prefix. Only a CheckKey that does not match stays
// InvalidRequest.
func TestBlankCredentialsAreInvalidAccount(t *testing.T) {
	s := startSandbox(t)
	blank := func(change func(*moka.Authentication)) moka.Authentication {
		a := demoAuth()
		change(&a)
		// Signed correctly for what is sent, so only the blank field is wrong.
		a.CheckKey = checkKey(a.DealerCode, a.Username, a.Password)
		return a
	}
	badKey := demoAuth()
	badKey.CheckKey = checkKey(DemoDealerCode, DemoUsername, "other")
	auths := []struct {
		name string
		auth moka.Authentication
		want string // the reason, after the service's prefix
	}{
		{"blank DealerCode", blank(func(a *moka.Authentication) { a.DealerCode = "" }), "InvalidAccount"},
		{"blank Username", blank(func(a *moka.Authentication) { a.Username = "" }), "InvalidAccount"},
		{"blank Password", blank(func(a *moka.Authentication) { a.Password = "" }), "InvalidAccount"},
		{"all blank, no CheckKey", moka.Authentication{}, "InvalidAccount"},
		{"wrong CheckKey", badKey, "InvalidRequest"},
	}
	paths := map[string]string{
		moka.PathThreeD: authPrefix, moka.PathThreeDMarketPlace: authPrefix, moka.PathCapture: authPrefix,
		moka.PathApprovePoolPayment: authPrefix, moka.PathUndoApprovePool: authPrefix, moka.PathVoid: authPrefix,
		moka.PathPaymentTrxList: authPrefix, moka.PathDealerPaymentTrxList: authPrefix,
		moka.PathCreateRefundRequest: refundPrefix,
	}
	for _, a := range auths {
		for path, prefix := range paths {
			out := s.post(path, moka.Envelope[any]{PaymentDealerAuthentication: a.auth, PaymentDealerRequest: map[string]any{}})
			assert.Equal(t, prefix+a.want, out.ResultCode, "%s: %s", a.name, path)
			assert.NotEmpty(t, out.ResultMessage, "%s: %s", a.name, path)
		}
	}
}

// DoCapture without ids answers its MustGiven code (not the bank's "no such payment");
// DoVoid without ids answers InvalidRequest.
func TestCaptureAndVoidWithoutIDs(t *testing.T) {
	s := startSandbox(t)
	cases := []struct {
		name, path string
		req        any
		code       string
	}{
		{"capture, no ids", moka.PathCapture, moka.CaptureRequest{Amount: dec("1")}, CodeCaptureMustGiven},
		{"capture, blank ids", moka.PathCapture, moka.CaptureRequest{VirtualPosOrderID: "  ", OtherTrxCode: " ", Amount: dec("1")}, CodeCaptureMustGiven},
		{"void, no ids", moka.PathVoid, moka.VoidRequest{VoidRefundReason: 2}, CodeVoidInvalidRequest},
		{"void, blank ids", moka.PathVoid, moka.VoidRequest{VirtualPosOrderID: " ", OtherTrxCode: "\t"}, CodeVoidInvalidRequest},
	}
	for _, tc := range cases {
		out, _ := call[moka.BankResult](s, tc.path, tc.req)
		assert.Equal(t, tc.code, out.ResultCode, tc.name)
		assert.NotEmpty(t, out.ResultMessage, tc.name)
	}
}

// Moka's test host takes the card's expiry and CVC as JSON numbers, though its documents
// say strings. A number is read, not ignored: an expired year as a number is refused.
func TestThreeDTakesNumbersForCardFields(t *testing.T) {
	s := startSandbox(t)
	a := demoAuth()
	body := func(expYear int, otc string) []byte {
		return []byte(`{"PaymentDealerAuthentication":{"DealerCode":"` + a.DealerCode + `","Username":"` + a.Username +
			`","Password":"` + a.Password + `","CheckKey":"` + a.CheckKey + `"},"PaymentDealerRequest":{` +
			`"CardHolderFullName":"Ali Yilmaz","CardNumber":"4183441122223339","ExpMonth":10,"ExpYear":` +
			strconv.Itoa(expYear) + `,"CvcNumber":123,"Amount":27.50,"Currency":"TL","InstallmentNumber":1,` +
			`"OtherTrxCode":"` + otc + `","ReturnHash":1,"RedirectUrl":"https://merchant.example/return","RedirectType":0}}`)
	}
	out := s.postRaw(moka.PathThreeD, body(time.Now().Year()+3, "NUMBERS-1"))
	isSuccess(t, out)
	var res moka.ThreeDResult
	require.NoError(t, json.Unmarshal(out.Data, &res))
	_, doc := s.page(http.MethodPost, res.URL, url.Values{"otp": {DemoOTP}})
	ret := parseReturn(doc)
	verdict, err := hashverify.Check(res.CodeForHash, ret.hashValue)
	require.NoError(t, err)
	assert.Equal(t, hashverify.Success, verdict)
	assert.NotContains(t, doc.Text(), "4183441122223339")

	out = s.postRaw(moka.PathThreeD, body(time.Now().Year()-1, "NUMBERS-2"))
	assert.Equal(t, CodeInvalidCardInfo, out.ResultCode)
	assert.NotContains(t, out.ResultMessage, "123", "the CVC is never echoed")
}

// A RedirectUrl without a scheme starts 3-D, and the bank page posts to it over http.
func TestRedirectURLWithoutScheme(t *testing.T) {
	cases := []struct {
		redirect, action string // action "" means refused with InvalidRequest
	}{
		{"www.example.com/return", "http://www.example.com/return"},
		{"www.example.com/return?next=https://shop.example/x", "http://www.example.com/return?next=https://shop.example/x"},
		{"//www.example.com/return", "http://www.example.com/return"},
		{"localhost:8080/return", "http://localhost:8080/return"},
		{"https://merchant.example/return?a=1", "https://merchant.example/return?a=1"},
		{"ftp://merchant.example/return", ""},
		{"javascript:alert(1)", ""},
		{"mailto:buyer@example.com", ""},
		{"http://user:pass@merchant.example/return", ""},
		{"http:///return", ""},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.redirect, func(t *testing.T) {
			s := startSandbox(t)
			req := threeD("4183441122223339", "10")
			req.RedirectURL = tc.redirect
			if tc.action == "" {
				out, _ := call[moka.ThreeDResult](s, moka.PathThreeD, req)
				assert.Equal(t, authPrefix+"InvalidRequest", out.ResultCode)
				return
			}
			_, ret := s.pay(moka.PathThreeD, req, DemoOTP)
			require.True(t, ret.found)
			assert.Equal(t, tc.action, ret.action)
		})
	}
}

// GetDealerPaymentTrxDetailList's Data carries IsSuccessful true, as the other answers do.
func TestDetailCarriesIsSuccessful(t *testing.T) {
	s := startSandbox(t)
	req, _ := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
	out, _ := call[moka.PaymentDetailResult](s, moka.PathDealerPaymentTrxList, moka.PaymentDetailRequest{OtherTrxCode: req.OtherTrxCode})
	isSuccess(t, out)
	var data map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out.Data, &data))
	assert.Equal(t, "true", string(data["IsSuccessful"]))
	assert.Contains(t, data, "PaymentDetail")
	assert.Contains(t, data, "PaymentTrxDetailList")
}

// Without ReturnHash (0 or absent) Moka answers the bank URL as a bare string and the
// bank's return posts isSuccessful (True or False) in place of hashValue. With
// ReturnHash 1 nothing changes: an object with CodeForHash, and a hashValue.
func TestReturnHashZero(t *testing.T) {
	cases := []struct {
		name, returnHash, otp, isSuccessful string
		trxStatus                           moka.Int
	}{
		{"ReturnHash 0, OTP right", `"ReturnHash":0,`, DemoOTP, "True", moka.TrxStatusSuccess},
		{"ReturnHash absent, OTP right", ``, DemoOTP, "True", moka.TrxStatusSuccess},
		{"ReturnHash \"0\", OTP wrong", `"ReturnHash":"0",`, "000000", "False", moka.TrxStatusFailed},
	}
	a := demoAuth()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSandbox(t)
			otc := "NOHASH-" + newGUID()
			body := `{"PaymentDealerAuthentication":{"DealerCode":"` + a.DealerCode + `","Username":"` + a.Username +
				`","Password":"` + a.Password + `","CheckKey":"` + a.CheckKey + `"},"PaymentDealerRequest":{` +
				`"CardHolderFullName":"Ali Yilmaz","CardNumber":"4183441122223339","ExpMonth":"12","ExpYear":"` +
				strconv.Itoa(time.Now().Year()+3) + `","CvcNumber":"000","Amount":"15.00","OtherTrxCode":"` + otc + `",` +
				tc.returnHash + `"RedirectUrl":"https://merchant.example/return"}}`
			out := s.postRaw(moka.PathThreeD, []byte(body))
			isSuccess(t, out)
			var bankURL string
			require.NoError(t, json.Unmarshal(out.Data, &bankURL), "Data is a plain string: %s", out.Data)
			assert.True(t, strings.HasPrefix(bankURL, s.url+"/bank/3d/"), bankURL)

			_, doc := s.page(http.MethodPost, bankURL, url.Values{"otp": {tc.otp}})
			ret := parseReturn(doc)
			require.True(t, ret.found)
			assert.Equal(t, tc.isSuccessful, ret.isSuccessful)
			assert.False(t, ret.hasHash, "no hashValue without ReturnHash")
			assert.Equal(t, otc, ret.otc)
			assert.True(t, strings.HasPrefix(ret.trxCode, "Test-"))
			assert.Equal(t, tc.trxStatus, s.detail(otc).PaymentDetail.TrxStatus)
		})
	}

	t.Run("ReturnHash 1", func(t *testing.T) {
		s := startSandbox(t)
		res, ret := s.pay(moka.PathThreeD, threeD("4183441122223339", "10"), DemoOTP)
		assert.NotEmpty(t, res.CodeForHash)
		assert.True(t, ret.hasHash)
		assert.Empty(t, ret.isSuccessful)
	})
}
