package checkout

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCardInputNeverPrintsNumberOrCVC(t *testing.T) {
	// futureYear (helpers_test.go) lives in package checkout_test; cardInput needs this
	// internal test, so the year is derived from the clock the same way here.
	c := cardInput{Holder: "Ayşe Yılmaz", Number: "4183441122223339", ExpMonth: 12, ExpYear: time.Now().Year() + 3, CVC: "739", Installments: 3}
	var buf bytes.Buffer
	// Without the time, whose digits could hold "739" by chance.
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	slog.New(slog.NewJSONHandler(&buf, opts)).Info("card", "in", c)
	slog.New(slog.NewTextHandler(&buf, opts)).Info("card", "in", c)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		buf.WriteString(fmt.Sprintf(verb, c))
		buf.WriteString(fmt.Sprintf(verb, &c))
	}
	out := buf.String()
	assert.NotContains(t, out, "4183441122223339")
	assert.NotContains(t, out, "739")
	assert.Contains(t, out, "418344******3339")
}
