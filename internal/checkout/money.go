package checkout

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

// formatAmount writes an amount for buyers: "1.234,50 TL" in Turkish, "TRY 1,234.50" in
// English. Decimal arithmetic only; the digits come from the decimal's own string.
func formatAmount(lang, currency string, d decimal.Decimal) string {
	fixed := d.Abs().StringFixed(2)
	intPart, frac, _ := strings.Cut(fixed, ".")
	thousands, point := ",", "."
	if lang == "tr" {
		thousands, point = ".", ","
	}
	var b strings.Builder
	if d.IsNegative() {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(r)
	}
	b.WriteString(point)
	b.WriteString(frac)
	if lang == "tr" {
		if currency == "TRY" {
			currency = "TL"
		}
		return b.String() + " " + currency
	}
	return currency + " " + b.String()
}

// mokaCurrency maps our ISO 4217 code to Moka's: TRY is TL there.
func mokaCurrency(iso string) string {
	if iso == "TRY" {
		return moka.CurrencyTL
	}
	return iso
}
