package sandbox

import (
	"net/http"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

// CodeBinNumberNotFound is DoCalcPaymentTable's answer to a BIN no bank table knows.
const CodeBinNumberNotFound = "PaymentDealer.DoCalcPaymentTable.BinNumberNotFound"

// Result codes of DoCalcPaymentTable's own checks, as Moka's Laravel package lists them.
const (
	CodeTableInvalidRequest      = "PaymentDealer.DoCalcPaymentTable.InvalidRequest"
	CodeTableRequiredOrderAmount = "PaymentDealer.DoCalcPaymentTable.RequiredOrderAmount"
	CodeTableInvalidCurrency     = "PaymentDealer.DoCalcPaymentTable.InvalidCurrencyCode"
)

// UnknownBIN is a BIN the sandbox answers CodeBinNumberNotFound for.
const UnknownBIN = "999999"

// BankTable is one bank's installment table in the sandbox: the commission rate (percent)
// of each installment count it offers. A count it does not list is not offered.
type BankTable struct {
	// BINPrefix selects the table: a BIN starting with it uses it.
	BINPrefix string
	BankName  string
	Rates     map[int]string
	// Note says, in a sentence for the docs, which test card uses the table.
	Note string
}

// BankTables is the sandbox's DoCalcPaymentTable table, per BIN prefix; the docs and the
// tests are built from it. A BIN matching no prefix uses DefaultBankTable.
var BankTables = []BankTable{
	{"418344", "SANDBOX-AXESS", map[int]string{1: "0", 2: "2.00", 3: "2.00", 6: "3.00"},
		"The success card 4183441122223339: single payment without commission, 2 and 3 installments at 2%, 6 at 3%."},
	{"482489", "SANDBOX-SINGLE", map[int]string{1: "0"},
		"The no-installments card 4824894728063019: single payment only."},
}

// DefaultBankTable is the table of any other BIN: every count from 1 to 12, at 1.5% per
// installment beyond the first.
var DefaultBankTable = BankTable{BankName: "GENEL", Rates: defaultRates()}

func defaultRates() map[int]string {
	rates := map[int]string{1: "0"}
	for n := 2; n <= moka.MaxInstallments; n++ {
		rates[n] = decimal.NewFromInt(int64(n - 1)).Mul(decimal.RequireFromString("1.5")).StringFixed(2)
	}
	return rates
}

func bankTableFor(bin string) BankTable {
	for _, t := range BankTables {
		if strings.HasPrefix(bin, t.BINPrefix) {
			return t
		}
	}
	return DefaultBankTable
}

// paymentTableRow is one InstallmentInfo as the sandbox writes it.
type paymentTableRow struct {
	CommissionType              string      `json:"CommissionType"`
	InstallmentNumber           int         `json:"InstallmentNumber"`
	DealerCommissionRate        moka.Amount `json:"DealerCommissionRate"`
	DealerCommissionFixedAmount moka.Amount `json:"DealerCommissionFixedAmount"`
	DealerCommissionAmount      moka.Amount `json:"DealerCommissionAmount"`
	PerInstallmentAmount        moka.Amount `json:"PerInstallmentAmount"`
	Amount                      moka.Amount `json:"Amount"`
}

type paymentTableBank struct {
	BankInfoName               string            `json:"BankInfoName"`
	PaymentInstallmentInfoList []paymentTableRow `json:"PaymentInstallmentInfoList"`
}

// handlePaymentTable answers DoCalcPaymentTable from BankTables: the rows of counts 1 to
// 12 of the card's bank, a count not offered (by the bank's table, above the dealer's
// MaxInstallments, or beyond 1 outside TL) with rate -1 and zero amounts, as Moka does.
func (s *Server) handlePaymentTable(w http.ResponseWriter, r *http.Request) {
	req, d, ok := decode[moka.PaymentTableRequest](s, w, r, authPayment)
	if !ok {
		return
	}
	amount := req.OrderAmount.Decimal
	currency := strings.ToUpper(strings.TrimSpace(req.Currency))
	if currency == "" {
		currency = moka.CurrencyTL
	}
	bin := strings.TrimSpace(req.BinNumber)
	switch {
	case isEXAmount(amount):
		writeEX(w, "amount "+EXAmount+" always answers EX")
		return
	case !amount.IsPositive():
		writeCode(w, CodeTableRequiredOrderAmount)
		return
	case !amount.Equal(amount.Round(2)) || len(bin) < 6 || len(bin) > 8 || !digits(bin):
		writeCode(w, CodeTableInvalidRequest)
		return
	case !validCurrency(currency):
		writeCode(w, CodeTableInvalidCurrency)
		return
	case strings.HasPrefix(bin, UnknownBIN):
		writeCode(w, CodeBinNumberNotFound)
		return
	}
	table := bankTableFor(bin)
	// The buyer pays the commission when it is included in the amount; otherwise the
	// dealer does and the buyer pays the order amount whatever the count.
	buyerPays := req.IsIncludedCommissionAmount == 1
	bank := paymentTableBank{BankInfoName: table.BankName}
	for n := 1; n <= moka.MaxInstallments; n++ {
		row := paymentTableRow{CommissionType: moka.CommissionCreditCard, InstallmentNumber: n,
			DealerCommissionRate: moka.NewAmount(decimal.NewFromInt(-1)), DealerCommissionFixedAmount: zeroAmount(),
			DealerCommissionAmount: zeroAmount(), PerInstallmentAmount: zeroAmount(), Amount: zeroAmount()}
		rate, listed := table.Rates[n]
		if n == 1 && currency != moka.CurrencyTL {
			row.CommissionType = moka.CommissionForeignCurrency
		}
		if listed && (n == 1 || (n <= d.MaxInstallments && currency == moka.CurrencyTL)) {
			pct := decimal.RequireFromString(rate)
			commission := amount.Mul(pct).Div(decimal.NewFromInt(100)).Round(2)
			total := amount
			if buyerPays {
				total = amount.Add(commission)
			}
			row.DealerCommissionRate = moka.NewAmount(pct.Round(2))
			row.DealerCommissionAmount = moka.NewAmount(commission.Round(2))
			row.PerInstallmentAmount = moka.NewAmount(total.Div(decimal.NewFromInt(int64(n))).Round(2))
			row.Amount = moka.NewAmount(total.Round(2))
		}
		bank.PaymentInstallmentInfoList = append(bank.PaymentInstallmentInfoList, row)
	}
	writeSuccess(w, map[string]any{"BankPaymentInstallmentInfoList": []paymentTableBank{bank}})
}

func zeroAmount() moka.Amount { return moka.NewAmount(decimal.New(0, -2)) }

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
