package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// clockCall sends one request to ClockPath and decodes its JSON answer.
func (s *sandbox) clockCall(method, contentType, body string, header ...string) (int, map[string]any) {
	s.t.Helper()
	return s.controlCall(ClockPath, method, contentType, body, header...)
}

// The clock endpoint moves the sandbox's time over Config.Now: with a fixed base clock
// every answer is exact.
func TestClockEndpoint(t *testing.T) {
	// This year's 1 March (March and April have 61 days in any year, so every offset below
	// is the same whenever the test runs).
	year := time.Now().Year()
	yr := func(s string) string { return strings.ReplaceAll(s, "YYYY", strconv.Itoa(year)) }
	base := time.Date(year, 3, 1, 10, 0, 0, 0, istanbul)
	s := startSandbox(t, func(c *Config) { c.Now = func() time.Time { return base } })
	const jsonType, formType = "application/json", "application/x-www-form-urlencoded"

	steps := []struct {
		name, method, contentType, body string
		now, offset                     string
	}{
		{"read", http.MethodGet, "", "", "YYYY-03-01T10:00:00+03:00", "0s"},
		{"JSON offset", http.MethodPost, jsonType, `{"offset":"26h"}`, "YYYY-03-02T12:00:00+03:00", "26h0m0s"},
		{"form offset, negative", http.MethodPost, formType, "offset=-30m", "YYYY-03-01T09:30:00+03:00", "-30m0s"},
		{"JSON now", http.MethodPost, jsonType, `{"now":"YYYY-05-01T21:59:00+03:00"}`, "YYYY-05-01T21:59:00+03:00", "1475h59m0s"},
		{"form now in UTC", http.MethodPost, formType, "now=" + url.QueryEscape("YYYY-03-01T19:00:00Z"), "YYYY-03-01T22:00:00+03:00", "12h0m0s"},
		{"read again", http.MethodGet, "", "", "YYYY-03-01T22:00:00+03:00", "12h0m0s"},
		{"DELETE goes back", http.MethodDelete, "", "", "YYYY-03-01T10:00:00+03:00", "0s"},
	}
	for _, st := range steps {
		status, got := s.clockCall(st.method, st.contentType, yr(st.body))
		require.Equal(t, http.StatusOK, status, st.name)
		assert.Equal(t, map[string]any{"now": yr(st.now), "offset": st.offset}, got, st.name)
		assert.Equal(t, yr(st.now), s.srv.Now().In(istanbul).Format(time.RFC3339), st.name)
	}

	s.srv.SetClockOffset(time.Hour)
	refused := []struct {
		name, method, contentType, body string
		header                          []string
		status                          int
	}{
		{"not a duration", http.MethodPost, jsonType, `){"offset":"tomorrow"}`, nil, http.StatusBadRequest},
		{"days are not Go units", http.MethodPost, formType, "offset=1d", nil, http.StatusBadRequest},
		{"not RFC 3339", http.MethodPost, jsonType, yr(`{"now":"YYYY-03-01 10:00"}`), nil, http.StatusBadRequest},
		{"both", http.MethodPost, jsonType, yr(`{"offset":"1h","now":"YYYY-03-01T10:00:00Z"}`), nil, http.StatusBadRequest},
		{"neither", http.MethodPost, formType, "", nil, http.StatusBadRequest},
		{"unknown field", http.MethodPost, jsonType, `{"offset":"1h","speed":2}`, nil, http.StatusBadRequest},
		{"too far", http.MethodPost, jsonType, `{"offset":"100000h"}`, nil, http.StatusBadRequest},
		{"cross-origin POST", http.MethodPost, formType, "offset=48h", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"cross-origin DELETE", http.MethodDelete, "", "", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"PUT", http.MethodPut, jsonType, `{"offset":"1h"}`, nil, http.StatusMethodNotAllowed},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			status, got := s.clockCall(tc.method, tc.contentType, tc.body, tc.header...)
			assert.Equal(t, tc.status, status)
			if tc.status != http.StatusMethodNotAllowed {
				assert.NotEmpty(t, got["error"])
			}
			assert.Equal(t, time.Hour, s.srv.ClockOffset(), "a refused request changes nothing")
		})
	}

	status, got := s.clockCall(http.MethodPost, formType, "offset=2h", "Origin", s.url)
	require.Equal(t, http.StatusOK, status, "the sandbox's own origin may")
	assert.Equal(t, "2h0m0s", got["offset"])
}

// Without Config.Now the clock is the real time, moved by the offset.
func TestClockEndpointOverRealTime(t *testing.T) {
	s := startSandbox(t, func(c *Config) { c.Now = nil })
	read := func(method, body string) time.Time {
		status, got := s.clockCall(method, "application/json", body)
		require.Equal(t, http.StatusOK, status)
		now, err := time.Parse(time.RFC3339Nano, got["now"].(string))
		require.NoError(t, err)
		return now
	}
	assert.WithinDuration(t, time.Now(), read(http.MethodGet, ""), time.Minute)
	assert.WithinDuration(t, time.Now().Add(26*time.Hour), read(http.MethodPost, `{"offset":"26h"}`), time.Minute)
	assert.WithinDuration(t, time.Now(), read(http.MethodDelete, ""), time.Minute)
}

// Everything time-based reads the one clock: dates written in transaction rows, the
// refund day, the void window, the 3-D session timeout, the refund delay and the card
// expiry. Each step moves it over HTTP, as a user of `checkout sandbox` would.
func TestServicesUseTheClock(t *testing.T) {
	s := startSandbox(t, func(c *Config) { c.RefundDelay = time.Minute })
	move := func(offset string) {
		t.Helper()
		status, _ := s.clockCall(http.MethodPost, "application/json", `{"offset":"`+offset+`"}`)
		require.Equal(t, http.StatusOK, status)
	}
	day := s.atNoon(0)
	req, vpos := s.paidMarketplace("10", map[int64]string{1772: "10"}, false, false)
	d := s.detail(req.OtherTrxCode)
	assert.Equal(t, day.Format("2006-01-02T15:04"), d.PaymentDetail.PaymentDate[:16], "dated by the sandbox's clock")
	abandoned := threeD("5400360000000003", "5")
	s.start(moka.PathThreeD, abandoned)

	refund := func() raw {
		out, _ := call[moka.BankResult](s, moka.PathCreateRefundRequest, moka.RefundRequest{VirtualPosOrderID: vpos, Amount: dec("2")})
		return out
	}
	assert.Equal(t, CodeRefundOnPaymentDay, refund().ResultCode)

	assert.Equal(t, moka.Int(moka.TrxStatusPending), s.detail(abandoned.OtherTrxCode).PaymentDetail.TrxStatus)
	move((s.srv.ClockOffset() + 11*time.Minute).String())
	assert.Equal(t, moka.Int(moka.TrxStatusFailed), s.detail(abandoned.OtherTrxCode).PaymentDetail.TrxStatus, "the 3-D session timed out")

	move((s.srv.ClockOffset() + 24*time.Hour).String())
	isSuccess(t, refund())
	out, _ := call[moka.BankResult](s, moka.PathVoid, moka.VoidRequest{VirtualPosOrderID: vpos, VoidRefundReason: 2})
	assert.Equal(t, CodeVoidPaymentNotAvailable, out.ResultCode, "a day later the void window is gone")
	assert.Equal(t, "0", s.detail(req.OtherTrxCode).PaymentDetail.RefAmount.String(), "pending until RefundDelay has passed")
	move((s.srv.ClockOffset() + 2*time.Minute).String())
	d = s.detail(req.OtherTrxCode)
	assert.Equal(t, "2", d.PaymentDetail.RefAmount.String())
	last := d.PaymentTrxDetailList[len(d.PaymentTrxDetailList)-1]
	assert.Equal(t, day.AddDate(0, 0, 1).Format("2006-01-02"), last.TrxDate[:10], "the refund row is dated the next day")

	// Ten years on, the test card has expired.
	move((9 * 365 * 24 * time.Hour).String())
	out, _ = call[moka.ThreeDResult](s, moka.PathThreeD, threeD("4183441122223339", "10"))
	assert.Equal(t, CodeInvalidCardInfo, out.ResultCode)
}
