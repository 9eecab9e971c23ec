package moka_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"github.com/mokacheckout/checkout/internal/moka"
)

func TestSecretsNeverPrint(t *testing.T) {
	creds := moka.Credentials{DealerCode: "dealer-1", Username: "user-1", Password: "s3cret-pass"}
	req := moka.ThreeDRequest{CardHolderFullName: "Ayse", CardNumber: "4183441122223339", ExpMonth: "12",
		ExpYear: strconv.Itoa(time.Now().Year() + 3), CvcNumber: "7391", Amount: moka.NewAmount(decimal.RequireFromString("150.00")),
		Currency: "TL", OtherTrxCode: "OTC-1"}
	auth := creds.Authentication()
	var buf bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{} // its digits could hold the CVC by chance
		}
		return a
	}}
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, opts), slog.NewTextHandler(&buf, opts)} {
		slog.New(h).Info("call", "req", req, "creds", creds, "auth", auth)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{req, &req, creds, &creds, auth, &auth} {
			buf.WriteString(fmt.Sprintf(verb, x))
		}
	}
	out := buf.String()
	assert.NotContains(t, out, "4183441122223339")
	assert.NotContains(t, out, "7391")
	assert.NotContains(t, out, "s3cret-pass")
	assert.NotContains(t, out, auth.CheckKey)
	assert.Contains(t, out, "418344******3339")
	assert.Contains(t, out, "OTC-1")
}
