package moka

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Limits from Moka's 3-D payment page.
const (
	MaxDescriptionLength = 200 // runes
	MaxSoftwareLength    = 30  // runes
	MaxInstallments      = 12
)

// Validate checks a 3-D payment request against Moka's documented rules: amount,
// currency, installments, card or token, ReturnHash=1 with an absolute RedirectUrl, and
// the 0/1 flags. When the request names a CommissionScenario or sub-dealers it also checks
// the marketplace rules (see ValidateMarketplace). Reasons never repeat card data.
func (r ThreeDRequest) Validate() error {
	if err := r.validateCommon(); err != nil {
		return err
	}
	if r.CommissionScenario != 0 || len(r.SubDealer) > 0 {
		return ValidateMarketplace(r.Amount.Decimal, r.Currency, int(r.CommissionScenario), r.SubDealer)
	}
	return nil
}

// ValidateMarketPlace is Validate for the marketplace service, where a CommissionScenario
// and at least one sub-dealer are required.
func (r ThreeDRequest) ValidateMarketPlace() error {
	if err := r.validateCommon(); err != nil {
		return err
	}
	return ValidateMarketplace(r.Amount.Decimal, r.Currency, int(r.CommissionScenario), r.SubDealer)
}

func (r ThreeDRequest) validateCommon() error {
	if err := checkAmount("Amount", r.Amount.Decimal); err != nil {
		return err
	}
	if err := checkCurrency(r.Currency); err != nil {
		return err
	}
	switch n := int64(r.InstallmentNumber); {
	case n < 0 || n > MaxInstallments:
		return invalid("InstallmentNumber", "must be 0 or 1 (single payment) or 2 to 12")
	case n > 1 && r.Currency != "" && r.Currency != CurrencyTL:
		return invalid("InstallmentNumber", "installments are only available in TL")
	}
	if err := r.validateCard(); err != nil {
		return err
	}
	if r.ReturnHash != 1 {
		return invalid("ReturnHash", "must be 1")
	}
	if !absoluteWebURL(r.RedirectURL) {
		return invalid("RedirectUrl", "must be an absolute http or https URL")
	}
	flags := []struct {
		name string
		v    Int
	}{
		{"RedirectType", r.RedirectType},
		{"IsPoolPayment", r.IsPoolPayment},
		{"IsPreAuth", r.IsPreAuth},
		{"IsTokenized", r.IsTokenized},
	}
	for _, f := range flags {
		if f.v != 0 && f.v != 1 {
			return invalid(f.name, "must be 0 or 1")
		}
	}
	if utf8.RuneCountInString(r.Description) > MaxDescriptionLength {
		return invalid("Description", "must be at most 200 characters")
	}
	if utf8.RuneCountInString(r.Software) > MaxSoftwareLength {
		return invalid("Software", "must be at most 30 characters")
	}
	return nil
}

// validateCard requires a stored-card token or a complete card. The reasons are fixed
// strings: the card number and CVC must never reach an error message or a log.
func (r ThreeDRequest) validateCard() error {
	if strings.TrimSpace(r.CardToken) != "" {
		return nil
	}
	if strings.TrimSpace(r.CardHolderFullName) == "" {
		return invalid("CardHolderFullName", "is required without a CardToken")
	}
	if n := len(r.CardNumber); !allDigits(r.CardNumber) || n < 12 || n > 19 {
		return invalid("CardNumber", "must be 12 to 19 digits")
	}
	if len(r.ExpMonth) != 2 || !allDigits(r.ExpMonth) || r.ExpMonth < "01" || r.ExpMonth > "12" {
		return invalid("ExpMonth", "must be two digits, 01 to 12")
	}
	if len(r.ExpYear) != 4 || !allDigits(r.ExpYear) {
		return invalid("ExpYear", "must be four digits")
	}
	if n := len(r.CvcNumber); !allDigits(r.CvcNumber) || n < 3 || n > 4 {
		return invalid("CvcNumber", "must be 3 or 4 digits")
	}
	return nil
}

func invalid(field, reason string) error { return &ValidationError{Field: field, Reason: reason} }

// checkAmount requires a positive amount with at most two fraction digits (kuruş).
func checkAmount(field string, d decimal.Decimal) error {
	if !d.IsPositive() {
		return invalid(field, "must be greater than zero")
	}
	return checkCents(field, d)
}

// checkCents requires at most two fraction digits; 7.50 and 7.500 are the same amount.
func checkCents(field string, d decimal.Decimal) error {
	if !d.Equal(d.Round(2)) {
		return invalid(field, "must have at most two fraction digits")
	}
	return nil
}

// checkCurrency accepts Moka's currency codes; empty means TL. ISO "TRY" must be mapped
// to "TL" by the caller.
func checkCurrency(c string) error {
	switch c {
	case "", CurrencyTL, CurrencyUSD, CurrencyEUR, CurrencyGBP:
		return nil
	}
	return invalid("Currency", "must be TL, USD, EUR or GBP")
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func absoluteWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
