package redact_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/redact"
)

func TestDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"4183441122223339", "****************"},
		{"card 4183 4411 2222 3339 ok", "card **** **** **** **** ok"},
		{"4183-4411-2222-3339", "****-****-****-****"},
		{"378282246310005", "***************"},
		{"amount 150.00, order 12345678901 at 2026-11-24 12:00", "amount 150.00, order 12345678901 at 2026-11-24 12:00"},
		{"PaymentDealer.CheckCardInfo.InvalidCardInfo", "PaymentDealer.CheckCardInfo.InvalidCardInfo"},
		{"x5127541122223332y", "x****************y"},
		// A double space ends a run: the 12 digits after it are still masked.
		{"4183  4411 2222 3339", "4183  **** **** ****"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, redact.Digits(tt.in), tt.in)
	}
}

type request struct {
	CardNumber string
	Amount     string
}

func TestHandlerMasksEveryShape(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(redact.Handler(slog.NewJSONHandler(&buf, nil))).With("card", "5127541122223332")
	const card = "4183441122223339"
	log.Info("paying with "+card,
		"number", card,
		"err", fmt.Errorf("moka said: %w", errors.New("bad card "+card)),
		"req", request{CardNumber: card, Amount: "150.00"},
		"raw", []byte("card_number="+card),
		slog.Group("form", "card_number", "4183 4411 2222 3339"),
		"order", "ord_123", "amount", "150.00", "count", 3,
	)
	out := buf.String()
	assert.NotContains(t, out, card)
	assert.NotContains(t, out, "5127541122223332")
	assert.NotContains(t, out, "4183 4411")
	assert.Contains(t, out, `"order":"ord_123"`)
	assert.Contains(t, out, `"amount":"150.00"`)
	assert.Contains(t, out, `"count":3`)
	assert.Contains(t, out, `"err":"moka said: bad card ****************"`)
}

// A card request or credentials nested in a map would be marshalled field by field by the
// JSON handler; the handler writes their masked printed form instead.
func TestHandlerMasksNestedSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(redact.Handler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // its digits could hold the CVC by chance
			}
			return a
		},
	})))
	req := moka.ThreeDRequest{CardNumber: "4183441122223339", CvcNumber: "7391", OtherTrxCode: "OTC-1"}
	creds := moka.Credentials{DealerCode: "d", Username: "u", Password: "s3cret-pass"}
	log.Info("call", "ctx", map[string]any{"req": req, "creds": creds}, "list", []any{req})
	out := buf.String()
	assert.NotContains(t, out, "4183441122223339")
	assert.NotContains(t, out, "7391")
	assert.NotContains(t, out, "s3cret-pass")
	assert.Contains(t, out, "OTC-1")
}
