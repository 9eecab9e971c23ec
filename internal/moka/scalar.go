package moka

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Moka's samples write the same field as a number in one place and as a string in
// another ("Amount":7.5 beside "DealerCommissionRate":"2.00", "TrxType":"2",
// "IsIncludedFixedAmount":""). These scalar types read every such form and write the
// form Moka's own samples use.

// Amount is a money amount or a rate. It is written as a bare JSON number built from the
// decimal's string form, never through float64, and read from a number, a numeric
// string, or an empty string (zero).
type Amount struct {
	decimal.Decimal
}

// NewAmount wraps a decimal.
func NewAmount(d decimal.Decimal) Amount { return Amount{d} }

// AmountPtr wraps a decimal for an optional field.
func AmountPtr(d decimal.Decimal) *Amount { return &Amount{d} }

// MarshalJSON writes the amount as a JSON number with the fraction digits it was made
// with: 7.50 is written 7.50 and 7.5 stays 7.5 (decimal's String would drop the zero).
func (a Amount) MarshalJSON() ([]byte, error) {
	if exp := a.Decimal.Exponent(); exp < 0 {
		return []byte(a.Decimal.StringFixed(-exp)), nil
	}
	return []byte(a.Decimal.String()), nil
}

// UnmarshalJSON reads a number, a numeric string, an empty string or null.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s, err := scalarText(b)
	if err != nil {
		return fmt.Errorf("amount: %w", err)
	}
	if s == "" {
		a.Decimal = decimal.Zero
		return nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("amount %q is not a decimal number", s)
	}
	a.Decimal = d
	return nil
}

// Int is an integer that Moka may also send as a numeric string or an empty string (zero).
type Int int64

// UnmarshalJSON reads a number, a numeric string, an empty string or null.
func (n *Int) UnmarshalJSON(b []byte) error {
	s, err := scalarText(b)
	if err != nil {
		return fmt.Errorf("integer: %w", err)
	}
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("integer %q is not a whole number", s)
	}
	*n = Int(v)
	return nil
}

// OptInt is an optional integer filter: unset is written as "" (Moka: "blank lists all").
type OptInt struct {
	Value int64
	Set   bool
}

// SomeInt returns a set OptInt.
func SomeInt(v int64) OptInt { return OptInt{Value: v, Set: true} }

// MarshalJSON writes the number as Moka's sample does (a string), or "" when unset.
func (o OptInt) MarshalJSON() ([]byte, error) {
	if !o.Set {
		return []byte(`""`), nil
	}
	return []byte(`"` + strconv.FormatInt(o.Value, 10) + `"`), nil
}

// UnmarshalJSON reads a number, a numeric string, an empty string or null (unset).
func (o *OptInt) UnmarshalJSON(b []byte) error {
	s, err := scalarText(b)
	if err != nil {
		return fmt.Errorf("integer: %w", err)
	}
	if s == "" {
		*o = OptInt{}
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("integer %q is not a whole number", s)
	}
	*o = OptInt{Value: v, Set: true}
	return nil
}

// String is text that Moka may send as a number ("RefundRequestId":"1356" or 1356).
type String string

// UnmarshalJSON reads a string, a number or null.
func (s *String) UnmarshalJSON(b []byte) error {
	t, err := scalarText(b)
	if err != nil {
		return err
	}
	*s = String(t)
	return nil
}

// scalarText returns the trimmed text of a JSON string, number or null.
func scalarText(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return "", nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
		return strings.TrimSpace(s), nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		return string(b), nil
	default:
		return "", fmt.Errorf("want a number or a string, got %s", b)
	}
}
