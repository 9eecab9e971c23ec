package sandbox

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// option is an offered row written as count, per-installment amount and total.
type option struct {
	n            int
	per, total   string
	rate, dealer string
}

func offered(t *testing.T, table *moka.PaymentTable) []option {
	t.Helper()
	var out []option
	for _, o := range table.Options() {
		out = append(out, option{int(o.InstallmentNumber), o.PerInstallmentAmount.StringFixed(2), o.Amount.StringFixed(2),
			o.DealerCommissionRate.StringFixed(2), o.DealerCommissionAmount.StringFixed(2)})
	}
	return out
}

func TestPaymentTableByBIN(t *testing.T) {
	s := startSandbox(t)
	tests := []struct {
		name, dealer, bin, currency string
		included                    moka.Int
		want                        []option
	}{
		{"success card, buyer pays commission", DemoDealerCode, "418344", "TL", 1, []option{
			{1, "150.00", "150.00", "0.00", "0.00"}, {2, "76.50", "153.00", "2.00", "3.00"},
			{3, "51.00", "153.00", "2.00", "3.00"}, {6, "25.75", "154.50", "3.00", "4.50"}}},
		{"success card, dealer pays commission", DemoDealerCode, "41834411", "TL", 0, []option{
			{1, "150.00", "150.00", "0.00", "0.00"}, {2, "75.00", "150.00", "2.00", "3.00"},
			{3, "50.00", "150.00", "2.00", "3.00"}, {6, "25.00", "150.00", "3.00", "4.50"}}},
		{"single-payment BIN", DemoDealerCode, "482489", "TL", 1, []option{{1, "150.00", "150.00", "0.00", "0.00"}}},
		{"single-payment dealer", SingleDealerCode, "418344", "TL", 1, []option{{1, "150.00", "150.00", "0.00", "0.00"}}},
		{"foreign currency", DemoDealerCode, "418344", "USD", 1, []option{{1, "150.00", "150.00", "0.00", "0.00"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := s.client(tt.dealer).CalcPaymentTable(context.Background(), moka.PaymentTableRequest{
				BinNumber: tt.bin, Currency: tt.currency, OrderAmount: dec("150.00"), IsThreeD: 1, IsIncludedCommissionAmount: tt.included})
			require.NoError(t, err)
			assert.Equal(t, tt.want, offered(t, table))
			// Moka lists every count, the ones not offered with rate -1.
			require.Len(t, table.BankPaymentInstallmentInfoList, 1)
			assert.Len(t, table.BankPaymentInstallmentInfoList[0].PaymentInstallmentInfoList, moka.MaxInstallments)
		})
	}
}

func TestPaymentTableDefaultBankOffersEveryCount(t *testing.T) {
	s := startSandbox(t)
	table, err := s.client(DemoDealerCode).CalcPaymentTable(context.Background(), moka.PaymentTableRequest{
		BinNumber: "512754", OrderAmount: dec("100.00"), IsThreeD: 1, IsIncludedCommissionAmount: 1})
	require.NoError(t, err)
	opts := offered(t, table)
	require.Len(t, opts, moka.MaxInstallments)
	assert.Equal(t, option{12, "9.71", "116.50", "16.50", "16.50"}, opts[11])
}

func TestPaymentTableRefusals(t *testing.T) {
	s := startSandbox(t)
	tests := []struct{ name, dealer, bin, amount, want string }{
		{"unknown BIN", DemoDealerCode, UnknownBIN, "10.00", CodeBinNumberNotFound},
		{"EX", DemoDealerCode, "418344", EXAmount, "EX"},
		{"no virtual POS", NoPosDealerCode, "418344", "10.00", authPrefix + "VirtualPosNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.client(tt.dealer).CalcPaymentTable(context.Background(), moka.PaymentTableRequest{
				BinNumber: tt.bin, OrderAmount: dec(tt.amount), IsThreeD: 1})
			assert.Equal(t, tt.want, resultCode(err))
		})
	}
	// What the client would refuse to send, sent raw.
	out, _ := call[any](s, moka.PathCalcPaymentTable, map[string]any{"BinNumber": "4183441122223339", "OrderAmount": 10})
	assert.Equal(t, CodeTableInvalidRequest, out.ResultCode)
	out, _ = call[any](s, moka.PathCalcPaymentTable, map[string]any{"BinNumber": "418344", "OrderAmount": 0})
	assert.Equal(t, CodeTableRequiredOrderAmount, out.ResultCode)
}
