package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

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

	s.srv.SetFault(Fault{EX: true, Path: moka.PathCapture})
	code, _, text = body(moka.PathCapture)
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"Data":null,"ResultCode":"EX","ResultMessage":"An unexpected error has occurred","Exception":"sandbox: fault EX injected"}`, text)

	s.srv.SetFault(Fault{})
	code, _, _ = body(moka.PathCapture)
	assert.Equal(t, http.StatusOK, code)
}

// faultCall sends one request to the fault endpoint and decodes its JSON answer.
func (s *sandbox) faultCall(method, contentType, body string, header ...string) (int, map[string]any) {
	s.t.Helper()
	return s.controlCall(FaultPath, method, contentType, body, header...)
}

func TestFaultEndpoint(t *testing.T) {
	const (
		jsonType = "application/json"
		formType = "application/x-www-form-urlencoded"
	)
	off := map[string]any{"latency": "", "status500": false, "malformed": false, "ex": false, "after": "", "path": ""}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range off {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name, contentType, body string
		want                    map[string]any
		fault                   Fault
	}{
		{"JSON", jsonType, `{"latency":"250ms","status500":true,"path":"DoCapture"}`,
			with("latency", "250ms", "status500", true, "path", moka.PathCapture),
			Fault{Latency: 250 * time.Millisecond, Status500: true, Path: moka.PathCapture}},
		{"JSON milliseconds", jsonType, `{"latency":40,"after":"500"}`,
			with("latency", "40ms", "after", "500"), Fault{Latency: 40 * time.Millisecond, After: After500}},
		{"form", formType, "ex=true&path=" + url.QueryEscape(moka.PathApprovePoolPayment),
			with("ex", true, "path", moka.PathApprovePoolPayment), Fault{EX: true, Path: moka.PathApprovePoolPayment}},
		{"form checkbox", formType, "malformed=on&after=hang&latency=1s",
			with("malformed", true, "after", "hang", "latency", "1s"), Fault{Malformed: true, After: AfterHang, Latency: time.Second}},
		{"empty JSON clears", jsonType, `{}`, off, Fault{}},
	}
	s := startSandbox(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, got := s.faultCall(http.MethodPost, tc.contentType, tc.body)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.fault, s.srv.CurrentFault())
			status, got = s.faultCall(http.MethodGet, "", "")
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, tc.want, got)
		})
	}

	set := Fault{Status500: true, Path: moka.PathVoid}
	refused := []struct {
		name, method, contentType, body string
		header                          []string
		status                          int
	}{
		{"unknown latency", http.MethodPost, jsonType, `{"latency":"soon"}`, nil, http.StatusBadRequest},
		{"negative latency", http.MethodPost, formType, "latency=-1s", nil, http.StatusBadRequest},
		{"endless latency", http.MethodPost, jsonType, `{"latency":"1h"}`, nil, http.StatusBadRequest},
		{"unknown after", http.MethodPost, jsonType, `{"after":"later"}`, nil, http.StatusBadRequest},
		{"not a Moka path", http.MethodPost, jsonType, `{"path":"/bank/3d/x"}`, nil, http.StatusBadRequest},
		{"unknown service", http.MethodPost, formType, "path=DoEverything", nil, http.StatusBadRequest},
		{"unknown field", http.MethodPost, jsonType, `{"status500":true,"hang":true}`, nil, http.StatusBadRequest},
		{"not a boolean", http.MethodPost, formType, "status500=maybe", nil, http.StatusBadRequest},
		{"cross-origin POST", http.MethodPost, formType, "ex=true", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"cross-origin DELETE", http.MethodDelete, "", "", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"PUT", http.MethodPut, jsonType, `{}`, nil, http.StatusMethodNotAllowed},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			s.srv.SetFault(set)
			status, _ := s.faultCall(tc.method, tc.contentType, tc.body, tc.header...)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, set, s.srv.CurrentFault(), "a refused request changes nothing")
		})
	}

	t.Run("same origin and DELETE", func(t *testing.T) {
		status, _ := s.faultCall(http.MethodPost, formType, "ex=1&path=DoApprovePoolPayment", "Origin", s.url)
		require.Equal(t, http.StatusOK, status)
		// The fault reaches the Moka service it names, and only that one.
		out, _ := call[moka.BankResult](s, moka.PathApprovePoolPayment, moka.ApproveRequest{OtherTrxCode: "nope"})
		assert.Equal(t, "EX", out.ResultCode)
		s.start(moka.PathThreeD, threeD("4183441122223339", "10"))

		status, got := s.faultCall(http.MethodDelete, "", "")
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, off, got)
		assert.Equal(t, Fault{}, s.srv.CurrentFault())
		out, _ = call[moka.BankResult](s, moka.PathApprovePoolPayment, moka.ApproveRequest{OtherTrxCode: "nope"})
		assert.Equal(t, approvePrefix+"DealerPaymentNotFound", out.ResultCode)
	})
}

// Fault.After lets Moka act and then loses the answer: the caller sees a failure, and
// asking again shows that the first call did happen.
func TestFaultAfterLosesTheAnswer(t *testing.T) {
	s := startSandbox(t)
	ctx := context.Background()
	c := s.client(DemoDealerCode, moka.WithTimeout(200*time.Millisecond))
	pre, preVpos := s.paidMarketplace("10", map[int64]string{1772: "10"}, true, false)
	_, paidVpos := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
	capture := moka.CaptureRequest{VirtualPosOrderID: preVpos, Amount: dec("10"), SubDealer: parts(1772, "10")}
	refund := moka.RefundRequest{VirtualPosOrderID: paidVpos, Amount: dec("3"), SubDealer: parts(1772, "3")}

	s.srv.SetFault(Fault{After: After500, Path: moka.PathCapture})
	_, err := c.Capture(ctx, capture)
	var se *moka.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusInternalServerError, se.StatusCode)
	s.srv.SetFault(Fault{})
	assert.Equal(t, moka.Int(moka.PaymentStatusPayment), s.detail(pre.OtherTrxCode).PaymentDetail.PaymentStatus, "captured all the same")
	_, err = c.Capture(ctx, capture)
	assert.Equal(t, BankCodeInvalidTransaction, resultCode(err), "a retry meets the done capture")

	s.nextDay() // a payment is refunded from the day after it
	s.srv.SetFault(Fault{After: AfterHang, Path: moka.PathCreateRefundRequest})
	began := time.Now()
	_, err = c.CreateRefundRequest(ctx, refund)
	assert.ErrorIs(t, err, moka.ErrTimeout)
	assert.Less(t, time.Since(began), 5*time.Second, "the hang ends when the caller gives up")
	s.srv.SetFault(Fault{})
	_, err = c.CreateRefundRequest(ctx, refund)
	assert.Equal(t, refundPrefix+"RefundRequestAlreadyExist", resultCode(err), "the lost request was made")
}

// Faults hit Moka's services only: the bank page and the control endpoint still answer.
func TestFaultLeavesBankAndControlAlone(t *testing.T) {
	s := startSandbox(t)
	res := s.start(moka.PathThreeD, threeD("4183441122223339", "10"))
	s.srv.SetFault(Fault{Status500: true})
	resp, doc := s.page(http.MethodGet, res.URL, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, doc.Find("form#otp-form").Length())
	_, doc = s.page(http.MethodPost, res.URL, url.Values{"otp": {DemoOTP}})
	assert.True(t, parseReturn(doc).found)

	status, got := s.faultCall(http.MethodGet, "", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, got["status500"])
	assert.False(t, strings.HasPrefix(FaultPath, "/PaymentDealer/"))
}
