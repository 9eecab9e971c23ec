package sandbox

import (
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

func TestTestCardsAreLuhnValid(t *testing.T) {
	for _, c := range TestCards {
		if c.Number == "5269552233334444" {
			assert.False(t, luhnValid(c.Number), "the seed card is the documented exception")
			continue
		}
		assert.True(t, luhnValid(c.Number), c.Number)
	}
	assert.False(t, luhnValid("4183441122223338"))
}

func TestThreeDStartCodes(t *testing.T) {
	past := strconv.Itoa(time.Now().Year() - 1)
	cases := []struct {
		name   string
		path   string
		mutate func(*moka.ThreeDRequest)
		code   string
	}{
		{"invalid card", moka.PathThreeD, func(r *moka.ThreeDRequest) { r.CardNumber = "5890040000000016" }, CodeInvalidCardInfo},
		{"non-Luhn card", moka.PathThreeD, func(r *moka.ThreeDRequest) { r.CardNumber = "4183441122223338" }, CodeInvalidCardInfo},
		{"expired card", moka.PathThreeD, func(r *moka.ThreeDRequest) { r.ExpYear = past }, CodeInvalidCardInfo},
		{"daily card limit", moka.PathThreeD, func(r *moka.ThreeDRequest) { r.CardNumber = "4022774022774026" }, CodeDailyCardLimitExceeded},
		{"no virtual pos for card", moka.PathThreeD, func(r *moka.ThreeDRequest) { r.CardNumber = "4546711234567894" }, CodeVirtualPosNotAvailable},
		{"installments on no-installment card", moka.PathThreeD, func(r *moka.ThreeDRequest) {
			r.CardNumber, r.InstallmentNumber = "4824894728063019", 3
		}, CodeInstallmentForVirtualPos},
		{"13 installments", moka.PathThreeD, func(r *moka.ThreeDRequest) { r.InstallmentNumber = 13 }, CodeInvalidInstallment},
		{"negative installments", moka.PathThreeD, func(r *moka.ThreeDRequest) { r.InstallmentNumber = -1 }, CodeInvalidInstallment},
		{"installments in USD", moka.PathThreeD, func(r *moka.ThreeDRequest) { r.Currency, r.InstallmentNumber = "USD", 2 }, CodeInstallmentForeign},
		{"EX amount", moka.PathThreeD, func(r *moka.ThreeDRequest) { r.Amount = dec("99.99") }, "EX"},
		{"marketplace without sub-dealers", moka.PathThreeDMarketPlace, func(r *moka.ThreeDRequest) { r.CommissionScenario = 1 }, CodeInvalidSubDealer},
		{"foreign sub-dealer", moka.PathThreeDMarketPlace, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 1
			r.SubDealer = []moka.SubDealer{{DealerID: 999, Amount: dec("10")}}
		}, CodeInvalidSubDealer},
		{"repeated sub-dealer", moka.PathThreeDMarketPlace, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 1
			r.SubDealer = []moka.SubDealer{{DealerID: 166, Amount: dec("5")}, {DealerID: 166, Amount: dec("5")}}
		}, CodeInvalidSubDealer},
		{"scenario 7", moka.PathThreeDMarketPlace, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 7
			r.SubDealer = []moka.SubDealer{{DealerID: 166, Amount: dec("10")}}
		}, CodeInvalidScenario},
		{"scenario 2 without rate", moka.PathThreeDMarketPlace, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 2
			r.SubDealer = []moka.SubDealer{{DealerID: 166, Amount: dec("10")}}
		}, CodeInvalidScenario},
		{"scenario 1 sum short", moka.PathThreeDMarketPlace, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 1
			r.SubDealer = []moka.SubDealer{{DealerID: 166, Amount: dec("9")}}
		}, CodeSubDealerAmountMismatch},
		{"scenario 6 sum equal", moka.PathThreeDMarketPlace, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 6
			r.SubDealer = []moka.SubDealer{{DealerID: 166, Amount: dec("10")}}
		}, CodeSubDealerAmountMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSandbox(t)
			req := threeD("4183441122223339", "10")
			tc.mutate(&req)
			out, _ := call[moka.ThreeDResult](s, tc.path, req)
			assert.Equal(t, tc.code, out.ResultCode)
		})
	}
}

func TestThreeDDealerSettings(t *testing.T) {
	s := startSandbox(t, func(c *Config) {
		c.Dealers[0].MaxInstallments = 6
		c.Dealers[0].DailyLimit = decimal.RequireFromString("100")
	})
	req := threeD("4183441122223339", "10")
	req.InstallmentNumber = 9
	out, _ := call[moka.ThreeDResult](s, moka.PathThreeD, req)
	assert.Equal(t, CodeInstallmentForDealer, out.ResultCode)

	s.start(moka.PathThreeD, threeD("4183441122223339", "60"))
	out, _ = call[moka.ThreeDResult](s, moka.PathThreeD, threeD("4183441122223339", "40.01"))
	assert.Equal(t, CodeDailyDealerLimitExceeded, out.ResultCode)
	s.start(moka.PathThreeD, threeD("4183441122223339", "40"))
}

func TestAuthenticationCodes(t *testing.T) {
	good := demoAuth()
	wrongPass := good
	wrongPass.Password = "nope"
	wrongPass.CheckKey = checkKey(good.DealerCode, good.Username, "nope")
	badKey := good
	badKey.CheckKey = checkKey(good.DealerCode, good.Username, "other")
	cases := []struct {
		name     string
		path     string
		body     any
		wantCode string
	}{
		{"bad check key", moka.PathThreeD, moka.Envelope[any]{PaymentDealerAuthentication: badKey}, authPrefix + "InvalidRequest"},
		{"wrong password", moka.PathCapture, moka.Envelope[any]{PaymentDealerAuthentication: wrongPass}, authPrefix + "InvalidAccount"},
		{"not JSON", moka.PathPaymentTrxList, "{", authPrefix + "InvalidRequest"},
		{"refund: bad check key", moka.PathCreateRefundRequest, moka.Envelope[any]{PaymentDealerAuthentication: badKey}, "PaymentDealer.DoCreateRefundRequest.InvalidRequest"},
		{"refund: wrong password", moka.PathCreateRefundRequest, moka.Envelope[any]{PaymentDealerAuthentication: wrongPass}, "PaymentDealer.DoCreateRefundRequest.InvalidAccount"},
	}
	// One JSON value and then only white space: anything after it makes the body corrupt.
	valid := `{"PaymentDealerAuthentication":{"DealerCode":"` + good.DealerCode + `","Username":"` + good.Username +
		`","Password":"` + good.Password + `","CheckKey":"` + good.CheckKey + `"},"PaymentDealerRequest":{"VirtualPosOrderId":"Test-x"}}`
	cases = append(cases, []struct {
		name     string
		path     string
		body     any
		wantCode string
	}{
		{"trailing junk", moka.PathCapture, valid + "x", authPrefix + "InvalidRequest"},
		{"a second object", moka.PathPaymentTrxList, valid + `{}`, authPrefix + "InvalidRequest"},
		{"a second value after a newline", moka.PathApprovePoolPayment, valid + "\n1", authPrefix + "InvalidRequest"},
		{"refund: trailing junk", moka.PathCreateRefundRequest, valid + "]", "PaymentDealer.DoCreateRefundRequest.InvalidRequest"},
		{"trailing white space is fine", moka.PathApprovePoolPayment, valid + " \r\n\t", approvePrefix + "DealerPaymentNotFound"},
	}...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSandbox(t)
			var out raw
			if str, ok := tc.body.(string); ok {
				out = s.postRaw(tc.path, []byte(str))
			} else {
				out = s.post(tc.path, tc.body)
			}
			assert.Equal(t, tc.wantCode, out.ResultCode)
			assert.NotEmpty(t, out.ResultMessage)
		})
	}

	t.Run("no virtual pos", func(t *testing.T) {
		s := startSandbox(t, func(c *Config) { c.Dealers[0].HasVirtualPos = false })
		out, _ := call[moka.ThreeDResult](s, moka.PathThreeD, threeD("4183441122223339", "10"))
		require.Equal(t, authPrefix+"VirtualPosNotFound", out.ResultCode)
	})
}
