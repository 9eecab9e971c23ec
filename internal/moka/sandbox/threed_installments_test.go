package sandbox

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// TestThreeDStartFollowsTheBINsTable starts a 3-D payment with every count from 1 to 12 on
// cards of each sandbox bank: a count starts exactly when DoCalcPaymentTable offers it for
// the card's BIN, and any other is refused with Moka's card-side code, so the table a
// checkout shows is the one the 3-D start keeps.
func TestThreeDStartFollowsTheBINsTable(t *testing.T) {
	s := startSandbox(t)
	tests := []struct {
		name, card string
		offers     []int
	}{
		{"SANDBOX-AXESS (success card)", "4183441122223339", []int{1, 2, 3, 6}},
		{"SANDBOX-SINGLE (single-payment card)", "4824894728063019", []int{1}},
		{"GENEL (any other BIN)", "5555555555554444", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := s.client(DemoDealerCode).CalcPaymentTable(context.Background(), moka.PaymentTableRequest{
				BinNumber: tt.card[:6], Currency: moka.CurrencyTL, OrderAmount: dec("150.00"), IsThreeD: 1})
			require.NoError(t, err)
			var tableOffers []int
			for _, o := range table.Options() {
				tableOffers = append(tableOffers, int(o.InstallmentNumber))
			}
			require.Equal(t, tt.offers, tableOffers, "the BIN's table")

			for n := 1; n <= moka.MaxInstallments; n++ {
				req := threeD(tt.card, "150.00")
				req.InstallmentNumber = moka.Int(n)
				out, res := call[moka.ThreeDResult](s, moka.PathThreeD, req)
				if slices.Contains(tt.offers, n) {
					assert.Equal(t, moka.ResultSuccess, out.ResultCode, "%d installments: %s", n, out.ResultMessage)
					assert.NotEmpty(t, res.URL, "%d installments open the bank page", n)
				} else {
					assert.Equal(t, CodeInstallmentForVirtualPos, out.ResultCode, strconv.Itoa(n)+" installments")
				}
			}
		})
	}
}

// TestThreeDStartDealerRefusalComesFirst: a count above the dealer's MaxInstallments is
// the dealer's refusal even when the card's bank would not offer it either.
func TestThreeDStartDealerRefusalComesFirst(t *testing.T) {
	s := startSandbox(t, func(c *Config) { c.Dealers[0].MaxInstallments = 6 })
	req := threeD("4183441122223339", "10")
	req.InstallmentNumber = 9
	out, _ := call[moka.ThreeDResult](s, moka.PathThreeD, req)
	assert.Equal(t, CodeInstallmentForDealer, out.ResultCode)
	req.InstallmentNumber = 4
	out, _ = call[moka.ThreeDResult](s, moka.PathThreeD, req)
	assert.Equal(t, CodeInstallmentForVirtualPos, out.ResultCode, "4 is the dealer's but not the card's")
}
