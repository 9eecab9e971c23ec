package checkout

import (
	"fmt"
	"log/slog"

	"github.com/mokacheckout/checkout/internal/moka"
)

// The card number and CVC must never reach a log line, whatever a future log call or
// format verb does with a cardInput: it logs and prints itself masked.

// LogValue shows the card as the attempt keeps it: first six, last four, no CVC.
func (c cardInput) LogValue() slog.Value {
	return slog.GroupValue(slog.String("card", moka.MaskCard(c.Number)),
		slog.Int("exp_month", c.ExpMonth), slog.Int("exp_year", c.ExpYear), slog.Int("installments", c.Installments))
}

// String is what %v and %s print.
func (c cardInput) String() string {
	return fmt.Sprintf("card %s %02d/%d, %d installments", moka.MaskCard(c.Number), c.ExpMonth, c.ExpYear, c.Installments)
}

// GoString is what %#v prints.
func (c cardInput) GoString() string { return c.String() }
