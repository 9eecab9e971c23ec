package moka

import (
	"fmt"
	"log/slog"
)

// Requests carrying a card and the dealer's credentials log and print themselves masked,
// so no log call or format verb can write the card number, the CVC or the password.

// LogValue shows the 3-D request without the card number, CVC or card token.
func (r ThreeDRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("card", MaskCard(r.CardNumber)),
		slog.String("amount", r.Amount.String()),
		slog.String("currency", r.Currency),
		slog.Int64("installments", int64(r.InstallmentNumber)),
		slog.String("other_trx_code", r.OtherTrxCode),
		slog.Int64("commission_scenario", int64(r.CommissionScenario)),
		slog.Int("sub_dealers", len(r.SubDealer)),
	)
}

// String is what %v and %s print.
func (r ThreeDRequest) String() string {
	return fmt.Sprintf("3-D payment %s %s card %s, %d installments, OtherTrxCode %s",
		r.Amount.String(), r.Currency, MaskCard(r.CardNumber), int64(r.InstallmentNumber), r.OtherTrxCode)
}

// GoString is what %#v prints.
func (r ThreeDRequest) GoString() string { return r.String() }

// LogValue shows the credentials without the password.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("dealer_code", c.DealerCode), slog.String("username", c.Username))
}

// String is what %v and %s print.
func (c Credentials) String() string { return "dealer " + c.DealerCode + " user " + c.Username }

// GoString is what %#v prints.
func (c Credentials) GoString() string { return c.String() }

// LogValue shows the authentication block without the password and CheckKey.
func (a Authentication) LogValue() slog.Value {
	return slog.GroupValue(slog.String("dealer_code", a.DealerCode), slog.String("username", a.Username))
}

// String is what %v and %s print.
func (a Authentication) String() string { return "dealer " + a.DealerCode + " user " + a.Username }

// GoString is what %#v prints.
func (a Authentication) GoString() string { return a.String() }

// MaskCard keeps the first six and last four digits of a card number, the most of it
// that may be shown or logged.
func MaskCard(number string) string {
	if len(number) < 12 {
		return "****"
	}
	return number[:6] + "******" + number[len(number)-4:]
}
