package templates

import (
	"bytes"
	"context"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/stretchr/testify/require"
)

// render renders a component the way handlers do and parses the result.
func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, c.Render(context.Background(), &buf))
	doc, err := goquery.NewDocumentFromReader(&buf)
	require.NoError(t, err)
	return doc
}

func payVM() PayPage {
	return PayPage{
		Page:        Page{Lang: "tr", Title: "Ödeme", MerchantName: "Demo Kitap Evi"},
		OrderID:     "ord_1",
		Amount:      "150,00 TL",
		Description: "İnce Memed",
		Action:      "/pay/ord_1",
		FormToken:   "tok_123",
		Installments: []Installment{
			{Count: 1, Label: "Tek çekim", Selected: true},
			{Count: 3, Label: "3 taksit"},
		},
	}
}

func attr(doc *goquery.Document, sel, name string) (string, bool) {
	return doc.Find(sel).Attr(name)
}
