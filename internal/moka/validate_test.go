package moka_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

const (
	testCard = "5269552233334444"
	testCVC  = "708"
)

func validThreeD() moka.ThreeDRequest {
	return moka.ThreeDRequest{
		CardHolderFullName: "Elif Yetimoğlu",
		CardNumber:         testCard,
		ExpMonth:           "11",
		ExpYear:            strconv.Itoa(time.Now().Year() + 3),
		CvcNumber:          testCVC,
		Amount:             amt("7.50"),
		Currency:           moka.CurrencyTL,
		InstallmentNumber:  1,
		ClientIP:           "203.0.113.7",
		OtherTrxCode:       "att_3f9c",
		Software:           "mokacheckout",
		ReturnHash:         1,
		RedirectURL:        "https://pay.example.com/pay/ord_1/return/att_3f9c",
	}
}

// validMarket is scenario 2 with two sub-dealers, every optional field set so that each
// scenario's rules can be tested by changing one thing.
func validMarket() moka.ThreeDRequest {
	r := validThreeD()
	r.CommissionScenario = 2
	r.SubDealer = []moka.SubDealer{
		{DealerID: 166, Amount: amt("3.00"), DealerCommissionRate: amtp("2.00")},
		{DealerID: 167, Amount: amt("4.50"), DealerCommissionRate: amtp("2.00"), DealerCommissionFixedAmount: amtp("0.75")},
	}
	return r
}

func TestThreeDValidation(t *testing.T) {
	require.NoError(t, validThreeD().Validate())
	require.NoError(t, validMarket().ValidateMarketPlace())

	tests := []struct {
		name   string
		market bool
		change func(*moka.ThreeDRequest)
		field  string
	}{
		{"zero amount", false, func(r *moka.ThreeDRequest) { r.Amount = amt("0") }, "Amount"},
		{"negative amount", false, func(r *moka.ThreeDRequest) { r.Amount = amt("-1") }, "Amount"},
		{"three fraction digits", false, func(r *moka.ThreeDRequest) { r.Amount = amt("7.505") }, "Amount"},
		{"ISO currency code", false, func(r *moka.ThreeDRequest) { r.Currency = "TRY" }, "Currency"},
		{"unknown currency", false, func(r *moka.ThreeDRequest) { r.Currency = "JPY" }, "Currency"},
		{"13 installments", false, func(r *moka.ThreeDRequest) { r.InstallmentNumber = 13 }, "InstallmentNumber"},
		{"negative installments", false, func(r *moka.ThreeDRequest) { r.InstallmentNumber = -1 }, "InstallmentNumber"},
		{"installments in USD", false, func(r *moka.ThreeDRequest) { r.Currency, r.InstallmentNumber = "USD", 3 }, "InstallmentNumber"},
		{"description too long", false, func(r *moka.ThreeDRequest) { r.Description = strings.Repeat("ğ", 201) }, "Description"},
		{"software too long", false, func(r *moka.ThreeDRequest) { r.Software = strings.Repeat("s", 31) }, "Software"},
		{"no card holder", false, func(r *moka.ThreeDRequest) { r.CardHolderFullName = " " }, "CardHolderFullName"},
		{"card number with spaces", false, func(r *moka.ThreeDRequest) { r.CardNumber = "5269 5522 3333 4444" }, "CardNumber"},
		{"card number too short", false, func(r *moka.ThreeDRequest) { r.CardNumber = "52695522333" }, "CardNumber"},
		{"card number too long", false, func(r *moka.ThreeDRequest) { r.CardNumber = "52695522333344445555" }, "CardNumber"},
		{"month 13", false, func(r *moka.ThreeDRequest) { r.ExpMonth = "13" }, "ExpMonth"},
		{"month 00", false, func(r *moka.ThreeDRequest) { r.ExpMonth = "00" }, "ExpMonth"},
		{"one-digit month", false, func(r *moka.ThreeDRequest) { r.ExpMonth = "3" }, "ExpMonth"},
		// A fixed two-digit year on purpose: the shape is what is refused, whatever the date.
		{"two-digit year", false, func(r *moka.ThreeDRequest) { r.ExpYear = "30" }, "ExpYear"},
		{"short CVC", false, func(r *moka.ThreeDRequest) { r.CvcNumber = "70" }, "CvcNumber"},
		{"letters in CVC", false, func(r *moka.ThreeDRequest) { r.CvcNumber = "7o8" }, "CvcNumber"},
		{"ReturnHash 0", false, func(r *moka.ThreeDRequest) { r.ReturnHash = 0 }, "ReturnHash"},
		{"relative RedirectUrl", false, func(r *moka.ThreeDRequest) { r.RedirectURL = "/pay/ord_1/return" }, "RedirectUrl"},
		{"javascript RedirectUrl", false, func(r *moka.ThreeDRequest) { r.RedirectURL = "javascript:alert(1)" }, "RedirectUrl"},
		{"RedirectType 2", false, func(r *moka.ThreeDRequest) { r.RedirectType = 2 }, "RedirectType"},
		{"IsPoolPayment 2", false, func(r *moka.ThreeDRequest) { r.IsPoolPayment = 2 }, "IsPoolPayment"},
		{"IsPreAuth 2", false, func(r *moka.ThreeDRequest) { r.IsPreAuth = 2 }, "IsPreAuth"},
		{"IsTokenized -1", false, func(r *moka.ThreeDRequest) { r.IsTokenized = -1 }, "IsTokenized"},

		{"no scenario", true, func(r *moka.ThreeDRequest) { r.CommissionScenario = 0 }, "CommissionScenario"},
		{"scenario 7", true, func(r *moka.ThreeDRequest) { r.CommissionScenario = 7 }, "CommissionScenario"},
		{"no sub-dealers", true, func(r *moka.ThreeDRequest) { r.SubDealer = nil }, "SubDealer"},
		{"no dealer id", true, func(r *moka.ThreeDRequest) { r.SubDealer[1].DealerID = 0 }, "SubDealer[1].DealerId"},
		{"duplicate dealer id", true, func(r *moka.ThreeDRequest) { r.SubDealer[1].DealerID = 166 }, "SubDealer[1].DealerId"},
		{"zero sub-dealer amount", true, func(r *moka.ThreeDRequest) {
			r.SubDealer[0].Amount = amt("0")
			r.SubDealer[1].Amount = amt("7.50")
		}, "SubDealer[0].Amount"},
		{"scenario 2 without rate", true, func(r *moka.ThreeDRequest) { r.SubDealer[1].DealerCommissionRate = nil }, "SubDealer[1].DealerCommissionRate"},
		{"negative rate", true, func(r *moka.ThreeDRequest) { r.SubDealer[0].DealerCommissionRate = amtp("-2") }, "SubDealer[0].DealerCommissionRate"},
		{"rate over 100", true, func(r *moka.ThreeDRequest) { r.SubDealer[0].DealerCommissionRate = amtp("100.01") }, "SubDealer[0].DealerCommissionRate"},
		{"negative fixed amount", true, func(r *moka.ThreeDRequest) { r.SubDealer[1].DealerCommissionFixedAmount = amtp("-0.75") }, "SubDealer[1].DealerCommissionFixedAmount"},
		{"scenario 2 amounts short", true, func(r *moka.ThreeDRequest) { r.SubDealer[1].Amount = amt("4.49") }, "SubDealer"},
		{"scenario 3 without commission amount", true, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 3
			r.SubDealer[0].DealerCommissionAmount = amtp("0.10")
		}, "SubDealer[1].DealerCommissionAmount"},
		{"scenario 4 without revenue rate", true, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 4
			r.SubDealer[0].AmountToBeCommissioned = amtp("7.50")
			r.SubDealer[1].AmountToBeCommissioned = amtp("0")
		}, "SubDealer[0].GroupRevenueRate"},
		{"scenario 4 without amount to be commissioned", true, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 4
			r.SubDealer[0].GroupRevenueRate, r.SubDealer[1].GroupRevenueRate = amtp("2"), amtp("2")
			r.SubDealer[0].AmountToBeCommissioned = amtp("7.50")
		}, "SubDealer[1].AmountToBeCommissioned"},
		{"scenario 4 commissioned sum", true, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 4
			r.SubDealer[0].GroupRevenueRate, r.SubDealer[1].GroupRevenueRate = amtp("2"), amtp("2")
			r.SubDealer[0].AmountToBeCommissioned, r.SubDealer[1].AmountToBeCommissioned = amtp("3"), amtp("4")
		}, "SubDealer"},
		{"scenario 5 without revenue amount", true, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 5
			r.SubDealer[0].GroupRevenueAmount = amtp("1")
			r.SubDealer[0].AmountToBeCommissioned, r.SubDealer[1].AmountToBeCommissioned = amtp("3"), amtp("4.5")
		}, "SubDealer[1].GroupRevenueAmount"},
		{"negative amount to be commissioned", true, func(r *moka.ThreeDRequest) {
			r.CommissionScenario = 5
			r.SubDealer[0].GroupRevenueAmount, r.SubDealer[1].GroupRevenueAmount = amtp("1"), amtp("1")
			r.SubDealer[0].AmountToBeCommissioned, r.SubDealer[1].AmountToBeCommissioned = amtp("8.5"), amtp("-1")
		}, "SubDealer[1].AmountToBeCommissioned"},
		{"scenario 6 without commission left", true, func(r *moka.ThreeDRequest) { r.CommissionScenario = 6 }, "SubDealer"},
		{"IsIncludedFixedAmount 2", true, func(r *moka.ThreeDRequest) { r.SubDealer[0].IsIncludedFixedAmount = 2 }, "SubDealer[0].IsIncludedFixedAmount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validThreeD()
			if tt.market {
				r = validMarket()
			}
			tt.change(&r)
			validate := r.Validate
			if tt.market {
				validate = r.ValidateMarketPlace
			}
			err := validate()
			var ve *moka.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.ErrorIs(t, err, moka.ErrInvalidRequest)
			assert.NotContains(t, err.Error(), testCard)
			assert.NotContains(t, err.Error(), testCVC)
		})
	}
}

func TestThreeDValidationAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(*moka.ThreeDRequest)
	}{
		{"token instead of card", func(r *moka.ThreeDRequest) {
			r.CardToken, r.CardNumber, r.CvcNumber, r.ExpMonth, r.ExpYear, r.CardHolderFullName = "tok_1", "", "", "", "", ""
		}},
		{"blank currency is TL with installments", func(r *moka.ThreeDRequest) { r.Currency, r.InstallmentNumber = "", 12 }},
		{"single payment in EUR", func(r *moka.ThreeDRequest) { r.Currency, r.InstallmentNumber = "EUR", 1 }},
		{"installment 0 in GBP", func(r *moka.ThreeDRequest) { r.Currency, r.InstallmentNumber = "GBP", 0 }},
		{"19-digit card, 4-digit CVC", func(r *moka.ThreeDRequest) { r.CardNumber, r.CvcNumber = "6271234567890123456", "1234" }},
		{"200-rune description", func(r *moka.ThreeDRequest) { r.Description = strings.Repeat("ş", 200) }},
		{"trailing zeros", func(r *moka.ThreeDRequest) { r.Amount = amt("7.500") }},
		{"http redirect for local demo", func(r *moka.ThreeDRequest) { r.RedirectURL = "http://127.0.0.1:8080/pay/o/return/a" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validThreeD()
			tt.change(&r)
			assert.NoError(t, r.Validate())
		})
	}
}

func TestValidateMarketplaceWithoutCard(t *testing.T) {
	subs := []moka.SubDealer{{DealerID: 1744, Amount: amt("7")}, {DealerID: 1767, Amount: amt("3")}}
	assert.NoError(t, moka.ValidateMarketplace(decimal.RequireFromString("15"), "TL", 6, subs))
	assert.NoError(t, moka.ValidateMarketplace(decimal.RequireFromString("10"), "", 1, subs))

	err := moka.ValidateMarketplace(decimal.RequireFromString("10"), "TL", 6, subs)
	var ve *moka.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "SubDealer", ve.Field)
}

func TestOperationValidation(t *testing.T) {
	part := func(id int64, amount string) moka.SubDealerPart {
		p := moka.SubDealerPart{DealerID: moka.Int(id)}
		if amount != "" {
			p.Amount = amtp(amount)
		}
		return p
	}
	goodCapture := moka.CaptureRequest{VirtualPosOrderID: "ORDER-1", Amount: amt("4"), SubDealer: []moka.SubDealerPart{part(1772, "1"), part(1774, "3")}}
	goodRefund := moka.RefundRequest{OtherTrxCode: "att_1", Amount: amt("4"), SubDealer: []moka.SubDealerPart{part(1772, "1"), part(1774, "3")}}
	goodApprove := moka.ApproveRequest{VirtualPosOrderID: "ORDER-1", SubDealer: []moka.SubDealerPart{part(1787, ""), part(1788, "")}}
	// The list cases check the dates' shape; the year is this one's (yr), not a fixed one.
	yr := func(s string) string { return strings.ReplaceAll(s, "YYYY", strconv.Itoa(time.Now().Year())) }
	goodList := moka.TrxListRequest{TrxStartDate: yr("YYYY-11-01 00:00"), TrxEndDate: yr("YYYY-11-02 00:00")}

	tests := []struct {
		name  string
		req   interface{ Validate() error }
		field string // "" = valid
	}{
		{"capture", goodCapture, ""},
		{"capture without id", func() moka.CaptureRequest { r := goodCapture; r.VirtualPosOrderID = " "; return r }(), "VirtualPosOrderId"},
		{"capture of zero", func() moka.CaptureRequest { r := goodCapture; r.Amount = amt("0"); return r }(), "Amount"},
		{"capture of a plain dealer's payment", func() moka.CaptureRequest { r := goodCapture; r.SubDealer = nil; return r }(), ""},
		{"capture sub-dealer without amount", func() moka.CaptureRequest {
			r := goodCapture
			r.SubDealer = []moka.SubDealerPart{part(1772, ""), part(1774, "3")}
			return r
		}(), "SubDealer[0].Amount"},
		{"capture duplicate sub-dealer", func() moka.CaptureRequest {
			r := goodCapture
			r.SubDealer = []moka.SubDealerPart{part(1774, "1"), part(1774, "3")}
			return r
		}(), "SubDealer[1].DealerId"},
		{"capture sum", func() moka.CaptureRequest { r := goodCapture; r.Amount = amt("5"); return r }(), "SubDealer"},

		{"refund", goodRefund, ""},
		{"full refund without amounts", moka.RefundRequest{VirtualPosOrderID: "ORDER-1", SubDealer: []moka.SubDealerPart{part(1772, "")}}, ""},
		{"refund without id", func() moka.RefundRequest { r := goodRefund; r.OtherTrxCode = ""; return r }(), "VirtualPosOrderId"},
		{"negative refund", func() moka.RefundRequest { r := goodRefund; r.Amount = amt("-4"); return r }(), "Amount"},
		{"refund of a plain dealer's payment", func() moka.RefundRequest { r := goodRefund; r.SubDealer = nil; return r }(), ""},
		{"partial refund sum", func() moka.RefundRequest { r := goodRefund; r.Amount = amt("3.99"); return r }(), "SubDealer"},

		{"approve", goodApprove, ""},
		{"approve without id", func() moka.ApproveRequest { r := goodApprove; r.VirtualPosOrderID = ""; return r }(), "VirtualPosOrderId"},
		{"approve a plain dealer's payment", func() moka.ApproveRequest { r := goodApprove; r.SubDealer = nil; return r }(), ""},
		{"approve duplicate sub-dealer", func() moka.ApproveRequest {
			r := goodApprove
			r.SubDealer = []moka.SubDealerPart{part(1787, ""), part(1787, "")}
			return r
		}(), "SubDealer[1].DealerId"},

		{"void with default reason", moka.VoidRequest{VirtualPosOrderID: "ORDER-1"}, ""},
		{"void reason 3", moka.VoidRequest{OtherTrxCode: "att_1", VoidRefundReason: 3}, ""},
		{"void without id", moka.VoidRequest{VoidRefundReason: 2}, "VirtualPosOrderId"},
		{"void reason 4", moka.VoidRequest{VirtualPosOrderID: "ORDER-1", VoidRefundReason: 4}, "VoidRefundReason"},

		{"detail by payment id", moka.PaymentDetailRequest{PaymentID: "1234"}, ""},
		{"detail by trx code", moka.PaymentDetailRequest{OtherTrxCode: "att_1"}, ""},
		{"detail without id", moka.PaymentDetailRequest{}, "PaymentId"},

		{"list", goodList, ""},
		{"list one minute", moka.TrxListRequest{TrxStartDate: yr("YYYY-11-01 00:00"), TrxEndDate: yr("YYYY-11-01 00:00"), TrxType: moka.SomeInt(0), TrxStatus: moka.SomeInt(2)}, ""},
		{"list ISO date", moka.TrxListRequest{TrxStartDate: yr("YYYY-11-01T00:00"), TrxEndDate: yr("YYYY-11-02 00:00")}, "TrxStartDate"},
		{"list end with seconds", moka.TrxListRequest{TrxStartDate: yr("YYYY-11-01 00:00"), TrxEndDate: yr("YYYY-11-02 00:00:00")}, "TrxEndDate"},
		// time.Parse alone takes the one-digit hour; Moka wants exactly yyyy-MM-dd HH:mm.
		{"list one-digit hour", moka.TrxListRequest{TrxStartDate: yr("YYYY-01-01 9:00"), TrxEndDate: yr("YYYY-11-02 00:00")}, "TrxStartDate"},
		{"list one-digit day", moka.TrxListRequest{TrxStartDate: yr("YYYY-11-01 00:00"), TrxEndDate: yr("YYYY-11-2 00:00")}, "TrxEndDate"},
		{"list padded date", moka.TrxListRequest{TrxStartDate: yr(" YYYY-11-01 00:00"), TrxEndDate: yr("YYYY-11-02 00:00")}, "TrxStartDate"},
		{"list hour 24", moka.TrxListRequest{TrxStartDate: yr("YYYY-11-01 24:00"), TrxEndDate: yr("YYYY-11-02 00:00")}, "TrxStartDate"},
		{"list Feb 30", moka.TrxListRequest{TrxStartDate: yr("YYYY-02-30 00:00"), TrxEndDate: yr("YYYY-11-02 00:00")}, "TrxStartDate"},
		{"list end before start", moka.TrxListRequest{TrxStartDate: yr("YYYY-11-02 00:00"), TrxEndDate: yr("YYYY-11-01 23:59")}, "TrxEndDate"},
		{"list TrxType 5", func() moka.TrxListRequest { r := goodList; r.TrxType = moka.SomeInt(5); return r }(), "TrxType"},
		{"list TrxStatus 3", func() moka.TrxListRequest { r := goodList; r.TrxStatus = moka.SomeInt(3); return r }(), "TrxStatus"},
		{"list SubDealerId 0", func() moka.TrxListRequest { r := goodList; r.SubDealerID = moka.SomeInt(0); return r }(), "SubDealerId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if tt.field == "" {
				assert.NoError(t, err)
				return
			}
			var ve *moka.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
		})
	}
}
