package checkout

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The brand kept on an attempt follows the same table as the card page's script.
func TestCardBrand(t *testing.T) {
	for number, want := range map[string]string{
		"4183441122223339": "visa",
		"5127541122223332": "mastercard",
		"2223000048400011": "mastercard",
		"378282246310005":  "amex",
		"9792030000000000": "troy", // a Troy BIN (979203); its "2030" is no expiry year
		"6500000000000002": "troy",
		"5890040000000016": "maestro",
		"5018000000000009": "maestro",
		"6759000000000000": "maestro",
		"3530111333300000": "unknown",
	} {
		assert.Equal(t, want, cardBrand(number), number)
	}
}
