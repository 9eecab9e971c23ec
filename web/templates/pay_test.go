package templates

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPayFormPostsToAction(t *testing.T) {
	doc := render(t, Pay(payVM()))
	form := doc.Find("form#card-form")
	require.Equal(t, 1, form.Length())
	assert.Equal(t, "post", form.AttrOr("method", ""))
	assert.Equal(t, "/pay/ord_1", form.AttrOr("action", ""))
	_, novalidate := form.Attr("novalidate")
	assert.True(t, novalidate)
	assert.Equal(t, "tok_123", form.Find(`input[type=hidden][name=form_token]`).AttrOr("value", ""))
	assert.Equal(t, "submit", form.Find("#pay-button").AttrOr("type", ""))
	assert.Contains(t, form.Find("#pay-button").Text(), "150,00 TL")
	assert.Equal(t, "Demo Kitap Evi", doc.Find("#merchant-name").Text())
	assert.Contains(t, doc.Find("#amount").Text(), "150,00 TL")
	assert.Equal(t, "İnce Memed", doc.Find("#description").Text())
}

func TestPayFieldsHaveLabelsAndAutocomplete(t *testing.T) {
	doc := render(t, Pay(payVM()))
	tests := []struct {
		id, autocomplete string
		numeric          bool
	}{
		{"card_holder", "cc-name", false},
		{"card_number", "cc-number", true},
		{"exp_month", "cc-exp-month", false}, // a select: no keyboard to choose
		{"exp_year", "cc-exp-year", true},
		{"cvc", "cc-csc", true},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			el := doc.Find("#" + tt.id)
			require.Equal(t, 1, el.Length())
			assert.Equal(t, tt.id, el.AttrOr("name", ""), "name matches id")
			assert.Equal(t, tt.autocomplete, el.AttrOr("autocomplete", ""))
			if tt.numeric {
				assert.Equal(t, "numeric", el.AttrOr("inputmode", ""))
			}
			label := doc.Find(`label[for="` + tt.id + `"]`)
			require.Equal(t, 1, label.Length(), "visible label")
			assert.NotEmpty(t, label.Text())
			wantDescribed := tt.id + "-error"
			if tt.id == "cvc" {
				wantDescribed = "cvc-hint cvc-error" // the hint is visible text, not a title
			}
			assert.Equal(t, wantDescribed, el.AttrOr("aria-describedby", ""))
			assert.Equal(t, 1, doc.Find("#"+tt.id+"-error.field-error").Length())
		})
	}
	// Every visible control of the form has a label.
	doc.Find("#card-form input:not([type=hidden]), #card-form select").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		assert.Equal(t, 1, doc.Find(`label[for="`+id+`"]`).Length(), "label for %q", id)
	})
	assert.Equal(t, "4", doc.Find("#cvc").AttrOr("maxlength", ""))
	assert.Equal(t, "4", doc.Find("#exp_year").AttrOr("maxlength", ""))
	var months []string
	doc.Find("#exp_month option[value!='']").Each(func(_ int, s *goquery.Selection) {
		months = append(months, s.AttrOr("value", ""))
	})
	assert.Equal(t, []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}, months)
}

func TestPayNeverEchoesCardNumberOrCVC(t *testing.T) {
	vm := payVM()
	vm.CardHolder = "Ayşe Yılmaz"
	vm.ExpMonth = "7"
	vm.ExpYear = "2031"
	vm.Errors = map[string]string{"card_number": "Kart numarası geçersiz.", "cvc": "CVC geçersiz."}
	doc := render(t, Pay(vm))
	for _, id := range []string{"card_number", "cvc"} {
		_, has := attr(doc, "#"+id, "value")
		assert.False(t, has, "%s must not carry a value", id)
	}
	assert.Equal(t, "Ayşe Yılmaz", doc.Find("#card_holder").AttrOr("value", ""))
	assert.Equal(t, "2031", doc.Find("#exp_year").AttrOr("value", ""))
	assert.Equal(t, "07", doc.Find("#exp_month option[selected]").AttrOr("value", ""))
}

// A card number typed into the name field is not echoed back either, however it is
// written; a name with a few digits is.
func TestPayNeverEchoesCardNumberInHolder(t *testing.T) {
	tests := []struct {
		holder, want string
	}{
		{"4111111111111111", ""},
		{"4111 1111 1111 1111", ""},
		{"AYSE 4111-1111-1111-1111", ""},
		{"４１１１１１１１１１１１", ""}, // full-width digits
		{"Ayşe Yılmaz", "Ayşe Yılmaz"},
		{"John Smith 3rd 12345678", "John Smith 3rd 12345678"}, // 11 digits
	}
	for _, tt := range tests {
		t.Run(tt.holder, func(t *testing.T) {
			vm := payVM()
			vm.CardHolder = tt.holder
			vm.Errors = map[string]string{"card_holder": "hata"}
			var buf bytes.Buffer
			require.NoError(t, Pay(vm).Render(context.Background(), &buf))
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
			require.NoError(t, err)
			assert.Equal(t, tt.want, doc.Find("#card_holder").AttrOr("value", ""))
			if tt.want == "" {
				assert.NotContains(t, buf.String(), tt.holder)
			}
		})
	}
}

func TestPayHolderMaxLength(t *testing.T) {
	// The server takes up to 100 characters (checkout's maxHolderRunes); the field allows
	// the same, so a long name is neither cut by the page nor refused on submit.
	assert.Equal(t, "100", render(t, Pay(payVM())).Find("#card_holder").AttrOr("maxlength", ""))
}

func TestPayInstallments(t *testing.T) {
	tests := []struct {
		name       string
		options    []Installment
		selectOK   bool
		wantHidden string
		wantFixed  string // the shown label of a single option other than 1
	}{
		{name: "none", wantHidden: "1"},
		{name: "single payment", options: []Installment{{Count: 1, Label: "Tek çekim", Selected: true}}, wantHidden: "1"},
		{name: "only three", options: []Installment{{Count: 3, Label: "3 taksit", Selected: true}}, wantHidden: "3", wantFixed: "3 taksit"},
		{name: "choice", options: []Installment{{Count: 1, Label: "Tek çekim"}, {Count: 3, Label: "3 taksit", Selected: true}, {Count: 6, Label: "6 taksit"}}, selectOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vm := payVM()
			vm.Installments = tt.options
			doc := render(t, Pay(vm))
			sel := doc.Find("select#installments[name=installments]")
			hidden := doc.Find(`input[type=hidden][name=installments]`)
			if !tt.selectOK {
				assert.Equal(t, 0, sel.Length())
				require.Equal(t, 1, hidden.Length())
				assert.Equal(t, tt.wantHidden, hidden.AttrOr("value", ""))
				assert.Equal(t, tt.wantFixed, doc.Find("#installments-fixed").Text())
				return
			}
			assert.Equal(t, 0, hidden.Length())
			assert.Equal(t, 0, doc.Find("#installments-fixed").Length())
			require.Equal(t, 1, sel.Length())
			assert.Equal(t, 1, doc.Find(`label[for=installments]`).Length())
			assert.Equal(t, 3, sel.Find("option").Length())
			assert.Equal(t, "3", sel.Find("option[selected]").AttrOr("value", ""))
			assert.Equal(t, "3 taksit", sel.Find("option[selected]").Text())
		})
	}
}

func TestPayErrors(t *testing.T) {
	fields := []string{"card_holder", "card_number", "exp_month", "exp_year", "cvc", "installments"}
	vm := payVM()
	vm.Errors = map[string]string{}
	for _, f := range fields {
		vm.Errors[f] = "hata: " + f
	}
	vm.Alert = "Banka kartı reddetti."
	doc := render(t, Pay(vm))
	for _, f := range fields {
		assert.Equal(t, "true", doc.Find("#"+f).AttrOr("aria-invalid", ""), f)
		assert.Equal(t, "hata: "+f, doc.Find("#"+f+"-error").Text(), f)
	}
	assert.Equal(t, "alert", doc.Find("#alert").AttrOr("role", ""))
	assert.Equal(t, "Banka kartı reddetti.", doc.Find("#alert").Text())

	clean := render(t, Pay(payVM()))
	assert.Equal(t, 0, clean.Find("[aria-invalid]").Length())
	assert.Equal(t, 0, clean.Find("#alert").Length())
	clean.Find(".field-error").Each(func(_ int, s *goquery.Selection) {
		assert.Empty(t, s.Text())
	})
}

func TestPayCancelLink(t *testing.T) {
	vm := payVM()
	assert.Equal(t, 0, render(t, Pay(vm)).Find("#cancel").Length())
	vm.CancelURL = "https://shop.example/cart"
	cancel := render(t, Pay(vm)).Find("#cancel")
	assert.Equal(t, "https://shop.example/cart", cancel.AttrOr("href", ""))
	_, hasTarget := cancel.Attr("target")
	assert.False(t, hasTarget, "a full page simply navigates")

	// In the merchant's iframe, cancel replaces the merchant's page, not the frame.
	vm.Embedded = true
	cancel = render(t, Pay(vm)).Find("#cancel")
	assert.Equal(t, "https://shop.example/cart", cancel.AttrOr("href", ""))
	assert.Equal(t, "_top", cancel.AttrOr("target", ""))
	assert.Equal(t, "noopener", cancel.AttrOr("rel", ""))
}

func TestPayLanguages(t *testing.T) {
	tests := []struct {
		lang, wantLang, holder, number, pay string
	}{
		{"tr", "tr", "Kart sahibinin adı", "Kart numarası", "Öde"},
		{"en", "en", "Name on card", "Card number", "Pay"},
		{"", "tr", "Kart sahibinin adı", "Kart numarası", "Öde"},
		{"de", "tr", "Kart sahibinin adı", "Kart numarası", "Öde"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			vm := payVM()
			vm.Lang = tt.lang
			doc := render(t, Pay(vm))
			assert.Equal(t, tt.wantLang, doc.Find("html").AttrOr("lang", ""))
			assert.Equal(t, tt.holder, doc.Find("label[for=card_holder]").Text())
			assert.Equal(t, tt.number, doc.Find("label[for=card_number]").Text())
			assert.Contains(t, doc.Find("#pay-button").Text(), tt.pay)
			// card.js shows its messages in the page's language too.
			assert.Equal(t, labelSets[tt.wantLang].ErrCardNumber, doc.Find("#card-form").AttrOr("data-msg-card-number", ""))
		})
	}
}
