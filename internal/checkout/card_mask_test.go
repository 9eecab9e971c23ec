package checkout_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// luhnComplete appends the check digit that makes prefix pass the Luhn check.
func luhnComplete(prefix string) string {
	sum := 0
	for i := len(prefix) - 1; i >= 0; i-- {
		d := int(prefix[i] - '0')
		if (len(prefix)-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return prefix + string(rune('0'+(10-sum%10)%10))
}

// TestShortCardNumbersKeepFewerDigits: at least six digits of a card number are never
// kept, so a 12-digit number keeps its first two and last four, not six and four.
func TestShortCardNumbersKeepFewerDigits(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		prefix string
		first  string
	}{
		{"50000000000", "50"},         // 12 digits
		{"500000000000", "500"},       // 13
		{"418344112222333", "418344"}, // 16
	} {
		number := luhnComplete(tc.prefix)
		o := e.createOrder(orderBody("MASK-" + number))
		r := e.submitCard("/pay/"+o["id"].(string), number)
		require.Less(t, r.status, 500, r.body)
		got, err := e.store.GetOrder(context.Background(), o["id"].(string))
		require.NoError(t, err)
		require.Len(t, got.Attempts, 1, "an attempt was made for %s (%d)", number, r.status)
		a := got.Attempts[0]
		assert.Equal(t, tc.first, a.CardFirst6, number)
		assert.Equal(t, number[len(number)-4:], a.CardLast4)
		assert.GreaterOrEqual(t, len(number)-len(a.CardFirst6)-len(a.CardLast4), 6, "six digits stay hidden")
	}
}

// TestCardFormNeverEchoesADigitRun: whatever field a card number is typed into, the 422
// page does not show it.
func TestCardFormNeverEchoesADigitRun(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("ECHO-1"))
	for _, field := range []string{"card_holder", "exp_month", "exp_year", "installments"} {
		r := e.submitCard("/pay/"+o["id"].(string), "4111", func(v url.Values) { v.Set(field, "4311701272685586") })
		require.Equal(t, http.StatusUnprocessableEntity, r.status, field)
		assert.NotContains(t, r.body, "4311701272685586", field)
		assert.NotContains(t, strings.ReplaceAll(r.body, " ", ""), "43117012726855", field)
	}
}
