package moka

import (
	"context"
	"strings"
)

// PathCalcPaymentTable is Moka's installment table service.
const PathCalcPaymentTable = "/PaymentDealer/DoCalcPaymentTable"

// Commission types of a payment table row, spelled as Moka spells them ("ForeingCurrency"
// is Moka's own spelling).
const (
	CommissionCreditCard        = "CreditCard"
	CommissionDebitCard         = "DebitCard"
	CommissionForeignCurrency   = "ForeingCurrency"
	CommissionInternationalCard = "InternationalCard"
)

// PaymentTableRequest asks which installments the card's bank offers for an amount
// (DoCalcPaymentTable). The shape is the one Moka's public integrations send (the PHP
// SDK's RetrieveInstallmentInfoRequest, the WooCommerce, PrestaShop and Laravel
// packages): the seed documents do not describe this service.
type PaymentTableRequest struct {
	// BinNumber is the card's first 6 (up to 8) digits; never more of the number.
	BinNumber   string `json:"BinNumber"`
	Currency    string `json:"Currency,omitempty"`
	OrderAmount Amount `json:"OrderAmount"`
	IsThreeD    Int    `json:"IsThreeD"`
	// IsIncludedCommissionAmount 1 adds the installment commission to what the buyer
	// pays (Amount grows with the count); 0 leaves it to the dealer (Amount stays the
	// order amount). This follows the Laravel package, which charges PaymentAmount when
	// the flag is 1 and DealerDepositAmount when it is 0 (unconfirmed beyond it).
	IsIncludedCommissionAmount Int `json:"IsIncludedCommissionAmount"`
}

// PaymentTable is DoCalcPaymentTable's Data: one entry per bank (card program) group.
type PaymentTable struct {
	BankPaymentInstallmentInfoList []BankInstallments `json:"BankPaymentInstallmentInfoList"`
}

// BankInstallments is one bank group's rows. BankInfoName is e.g. "AXESS", or "GENEL"
// for the dealer's general table.
type BankInstallments struct {
	BankInfoName               string            `json:"BankInfoName"`
	PaymentInstallmentInfoList []InstallmentInfo `json:"PaymentInstallmentInfoList"`
}

// InstallmentInfo is one row: an installment count for one commission type. Moka lists
// every count from 1 to 12 and marks the ones not offered with DealerCommissionRate -1
// and zero amounts.
type InstallmentInfo struct {
	CommissionType              string `json:"CommissionType"`
	InstallmentNumber           Int    `json:"InstallmentNumber"`
	DealerCommissionRate        Amount `json:"DealerCommissionRate"`
	DealerCommissionFixedAmount Amount `json:"DealerCommissionFixedAmount"`
	DealerCommissionAmount      Amount `json:"DealerCommissionAmount"`
	PerInstallmentAmount        Amount `json:"PerInstallmentAmount"`
	// Amount is the total the buyer pays with this count.
	Amount Amount `json:"Amount"`
}

// Offered reports whether the row is an option the card can take: Moka writes -1 as the
// rate of a count the dealer or bank does not offer.
func (i InstallmentInfo) Offered() bool {
	return !i.DealerCommissionRate.IsNegative() && i.Amount.IsPositive() && i.InstallmentNumber >= 1
}

// CalcPaymentTable asks Moka for the installment options of a card BIN and an amount
// (DoCalcPaymentTable). The BIN must be 6 to 8 digits: a longer value would be a card
// number, which this call must never carry.
func (c *Client) CalcPaymentTable(ctx context.Context, req PaymentTableRequest) (*PaymentTable, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	res, err := call[PaymentTableRequest, PaymentTable](ctx, c, PathCalcPaymentTable, req)
	if err != nil {
		return nil, err
	}
	for i := range res.BankPaymentInstallmentInfoList {
		b := &res.BankPaymentInstallmentInfoList[i]
		b.BankInfoName = strings.TrimSpace(b.BankInfoName)
		for j := range b.PaymentInstallmentInfoList {
			r := &b.PaymentInstallmentInfoList[j]
			r.CommissionType = strings.TrimSpace(r.CommissionType)
		}
	}
	return res, nil
}

// Validate checks the BIN (6 to 8 digits), the amount, the currency and the 0/1 flags.
// Reasons never repeat the BIN.
func (r PaymentTableRequest) Validate() error {
	if n := len(r.BinNumber); n < 6 || n > 8 || !allDigits(r.BinNumber) {
		return invalid("BinNumber", "must be the card's first 6 to 8 digits")
	}
	if err := checkAmount("OrderAmount", r.OrderAmount.Decimal); err != nil {
		return err
	}
	if err := checkCurrency(r.Currency); err != nil {
		return err
	}
	if r.IsThreeD != 0 && r.IsThreeD != 1 {
		return invalid("IsThreeD", "must be 0 or 1")
	}
	if r.IsIncludedCommissionAmount != 0 && r.IsIncludedCommissionAmount != 1 {
		return invalid("IsIncludedCommissionAmount", "must be 0 or 1")
	}
	return nil
}

// Options lists, for each installment count from 1 to 12, the first bank group's row
// the card can take, preferring the CreditCard row. A BIN's answer names the card's own
// bank group first, and Moka's integrations read only that entry
// (BankPaymentInstallmentInfoList[0]); so does this, so that a count offered by some
// other bank's program is never offered to this card.
func (t *PaymentTable) Options() []InstallmentInfo {
	if t == nil || len(t.BankPaymentInstallmentInfoList) == 0 {
		return nil
	}
	var out []InstallmentInfo
	rows := t.BankPaymentInstallmentInfoList[0].PaymentInstallmentInfoList
	for n := Int(1); n <= MaxInstallments; n++ {
		var pick *InstallmentInfo
		for i := range rows {
			r := &rows[i]
			if r.InstallmentNumber != n || !r.Offered() {
				continue
			}
			if pick == nil || (r.CommissionType == CommissionCreditCard && pick.CommissionType != CommissionCreditCard) {
				pick = r
			}
		}
		if pick != nil {
			out = append(out, *pick)
		}
	}
	return out
}
