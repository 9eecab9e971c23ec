package moka_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// paymentTableOK is shaped like the answers Moka's integrations read: every count listed,
// the ones not offered with rate -1, numbers and numeric strings mixed.
const paymentTableOK = `{"Data":{"BankPaymentInstallmentInfoList":[
 {"BankInfoName":" AXESS ","PaymentInstallmentInfoList":[
  {"CommissionType":"DebitCard","InstallmentNumber":1,"DealerCommissionRate":-1,"DealerCommissionFixedAmount":0,"DealerCommissionAmount":0,"PerInstallmentAmount":0,"Amount":0},
  {"CommissionType":"CreditCard","InstallmentNumber":1,"DealerCommissionRate":2.20,"DealerCommissionFixedAmount":0,"DealerCommissionAmount":3.30,"PerInstallmentAmount":150.00,"Amount":150.00},
  {"CommissionType":"CreditCard","InstallmentNumber":2,"DealerCommissionRate":-1,"DealerCommissionFixedAmount":0,"DealerCommissionAmount":0,"PerInstallmentAmount":0,"Amount":0},
  {"CommissionType":"CreditCard","InstallmentNumber":"3","DealerCommissionRate":"2.00","DealerCommissionFixedAmount":0,"DealerCommissionAmount":3.00,"PerInstallmentAmount":51.00,"Amount":"153.00"}]},
 {"BankInfoName":"GENEL","PaymentInstallmentInfoList":[
  {"CommissionType":"CreditCard","InstallmentNumber":6,"DealerCommissionRate":3,"DealerCommissionFixedAmount":0,"DealerCommissionAmount":4.5,"PerInstallmentAmount":25.75,"Amount":154.50}]}]},
 "ResultCode":"Success","ResultMessage":"","Exception":null}`

func validTable() moka.PaymentTableRequest {
	return moka.PaymentTableRequest{BinNumber: "418344", Currency: moka.CurrencyTL, OrderAmount: amt("150.00"),
		IsThreeD: 1, IsIncludedCommissionAmount: 1}
}

func TestCalcPaymentTableSendsBINAndReadsOptions(t *testing.T) {
	f := newFakeMoka(t, http.StatusOK, []byte(paymentTableOK))
	table, err := f.client().CalcPaymentTable(context.Background(), validTable())
	require.NoError(t, err)

	hits, path, body := f.received()
	assert.Equal(t, 1, hits)
	assert.Equal(t, moka.PathCalcPaymentTable, path)
	assert.Contains(t, string(body), `"PaymentDealerRequest":{"BinNumber":"418344","Currency":"TL","OrderAmount":150.00,"IsThreeD":1,"IsIncludedCommissionAmount":1}`)

	require.Len(t, table.BankPaymentInstallmentInfoList, 2)
	assert.Equal(t, "AXESS", table.BankPaymentInstallmentInfoList[0].BankInfoName)
	// Only the card's own bank group counts; rate -1 rows are not options.
	opts := table.Options()
	require.Len(t, opts, 2)
	assert.Equal(t, moka.Int(1), opts[0].InstallmentNumber)
	assert.Equal(t, moka.CommissionCreditCard, opts[0].CommissionType)
	assert.Equal(t, "150", opts[0].Amount.String())
	assert.Equal(t, moka.Int(3), opts[1].InstallmentNumber)
	assert.Equal(t, "51", opts[1].PerInstallmentAmount.String())
	assert.Equal(t, "153", opts[1].Amount.String())
}

func TestCalcPaymentTableRefusesBadRequestsWithoutACall(t *testing.T) {
	cases := map[string]struct {
		edit  func(*moka.PaymentTableRequest)
		field string
	}{
		"short BIN":       {func(r *moka.PaymentTableRequest) { r.BinNumber = "41834" }, "BinNumber"},
		"card number":     {func(r *moka.PaymentTableRequest) { r.BinNumber = "4183441122223339" }, "BinNumber"},
		"letters":         {func(r *moka.PaymentTableRequest) { r.BinNumber = "41834a" }, "BinNumber"},
		"zero amount":     {func(r *moka.PaymentTableRequest) { r.OrderAmount = amt("0") }, "OrderAmount"},
		"negative amount": {func(r *moka.PaymentTableRequest) { r.OrderAmount = amt("-1") }, "OrderAmount"},
		"fractions":       {func(r *moka.PaymentTableRequest) { r.OrderAmount = amt("1.005") }, "OrderAmount"},
		"ISO currency":    {func(r *moka.PaymentTableRequest) { r.Currency = "TRY" }, "Currency"},
		"flag":            {func(r *moka.PaymentTableRequest) { r.IsThreeD = 2 }, "IsThreeD"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeMoka(t, http.StatusOK, []byte(paymentTableOK))
			req := validTable()
			tc.edit(&req)
			_, err := f.client().CalcPaymentTable(context.Background(), req)
			var ve *moka.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			assert.NotContains(t, err.Error(), "4183441122223339")
			hits, _, _ := f.received()
			assert.Zero(t, hits)
		})
	}
	// Eight digits is still a BIN.
	f := newFakeMoka(t, http.StatusOK, []byte(paymentTableOK))
	req := validTable()
	req.BinNumber = "41834411"
	_, err := f.client().CalcPaymentTable(context.Background(), req)
	assert.NoError(t, err)
}

func TestCalcPaymentTableRefusal(t *testing.T) {
	f := newFakeMoka(t, http.StatusOK, []byte(`{"Data":null,"ResultCode":"PaymentDealer.DoCalcPaymentTable.BinNumberNotFound ","ResultMessage":"Bin number not found.","Exception":null}`))
	_, err := f.client().CalcPaymentTable(context.Background(), validTable())
	assert.True(t, moka.IsCode(err, "PaymentDealer.DoCalcPaymentTable.BinNumberNotFound"))
}
