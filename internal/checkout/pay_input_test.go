package checkout_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pageFormValues opens the card page at path and returns what its form would post as the
// page left it: every named input (hidden ones included) and the selected option of each
// select.
func (e *env) pageFormValues(path string) (action string, form url.Values, doc *goquery.Document) {
	e.t.Helper()
	r := e.get(path)
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	doc = r.doc(e.t)
	f := doc.Find("#card-form")
	action, ok := f.Attr("action")
	require.True(e.t, ok, r.body)
	form = url.Values{}
	f.Find("input[name]").Each(func(_ int, s *goquery.Selection) {
		form.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	f.Find("select[name]").Each(func(_ int, s *goquery.Selection) {
		opt := s.Find("option[selected]")
		if opt.Length() == 0 {
			opt = s.Find("option").First()
		}
		form.Set(s.AttrOr("name", ""), opt.AttrOr("value", ""))
	})
	return action, form, doc
}

// An order that allows only 3 installments is payable with what its own page posts.
func TestPaySingleInstallmentOtherThanOne(t *testing.T) {
	tests := []struct {
		lang, wantLabel string
	}{
		{"tr", "3 taksit"},
		{"en", "3 installments"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			e := newEnv(t)
			o := e.createOrder(orderBody("R-3x-"+tt.lang, `"installments":[3]`, `"locale":"`+tt.lang+`"`))
			action, form, doc := e.pageFormValues("/pay/" + o["id"].(string))

			assert.Equal(t, "3", form.Get("installments"), "the page posts the one count allowed")
			assert.Equal(t, tt.wantLabel, strings.TrimSpace(doc.Find("#installments-fixed").Text()),
				"the buyer is told the payment is in installments")

			for k, v := range map[string]string{"card_holder": "Ayşe Yılmaz", "card_number": successCard,
				"exp_month": "12", "exp_year": futureYear(), "cvc": "123"} {
				form.Set(k, v)
			}
			r := e.postForm(action, form, "Sec-Fetch-Site", "same-origin")
			require.Equal(t, http.StatusSeeOther, r.status, r.body)
			assert.True(t, strings.HasPrefix(r.location(), e.bankURL), r.location())

			attempts := e.order(o["id"].(string))["attempts"].([]any)
			require.Len(t, attempts, 1)
			assert.Equal(t, 3.0, attempts[0].(map[string]any)["installments"])
		})
	}
}

// A card number typed into the name field is refused, shown nowhere and stored nowhere.
func TestPayCardNumberInHolderRefused(t *testing.T) {
	tests := []struct {
		name, holder, number string
		lang, wantMessage    string
	}{
		{"grouped, tr", "4183 4411 2222 3339", "4183441122223339", "tr", "Buraya kart numarasını değil, kart üzerindeki adı girin."},
		{"plain, en", "AYSE 4183441122223339", "4183441122223339", "en", "Enter the name on the card here, not the card number."},
		{"dashes", "4183-4411-2222-3339", "4183441122223339", "en", "Enter the name on the card here, not the card number."},
		{"twelve digits", "Ayse 5890 0400 0000", "589004000000", "en", "Enter the name on the card here, not the card number."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.createOrder(orderBody("R-H", `"locale":"`+tt.lang+`"`))["id"].(string)

			r := e.submitCard("/pay/"+id, successCard, func(f url.Values) { f.Set("card_holder", tt.holder) })
			require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
			doc := r.doc(t)
			assert.Equal(t, tt.wantMessage, strings.TrimSpace(doc.Find("#card_holder-error").Text()))
			assert.Equal(t, "true", doc.Find("#card_holder").AttrOr("aria-invalid", ""))
			assert.Empty(t, doc.Find("#card_holder").AttrOr("value", ""), "the field comes back empty")
			assert.NotContains(t, r.body, tt.holder)
			assert.NotContains(t, r.body, tt.number)

			assert.Empty(t, e.order(id)["attempts"], "nothing went to Moka")
			db := string(e.db.Dump(t))
			assert.NotContains(t, db, tt.number)
			assert.NotContains(t, db, tt.holder)
			assert.NotContains(t, e.logs.String(), tt.number)
		})
	}
}

// A name with a few digits is still a name.
func TestPayHolderWithFewDigitsAccepted(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-D"))["id"].(string)
	r := e.submitCard("/pay/"+id, successCard, func(f url.Values) { f.Set("card_holder", "John Smith 3rd 12345678") })
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
}

// The page lets the buyer type exactly as many characters as the server takes.
func TestPayHolderMaxLengthMatchesServer(t *testing.T) {
	e := newEnv(t)
	id := e.createOrder(orderBody("R-L", `"locale":"en"`))["id"].(string)
	_, _, doc := e.pageFormValues("/pay/" + id)
	maxLen, err := strconv.Atoi(doc.Find("#card_holder").AttrOr("maxlength", ""))
	require.NoError(t, err)
	assert.Equal(t, 100, maxLen)

	tooLong := e.submitCard("/pay/"+id, successCard, func(f url.Values) { f.Set("card_holder", strings.Repeat("ş", maxLen+1)) })
	require.Equal(t, http.StatusUnprocessableEntity, tooLong.status, tooLong.body)
	assert.Equal(t, "The name on the card can be at most 100 characters.",
		strings.TrimSpace(tooLong.doc(t).Find("#card_holder-error").Text()))

	longest := e.submitCard("/pay/"+id, successCard, func(f url.Values) { f.Set("card_holder", strings.Repeat("ş", maxLen)) })
	require.Equal(t, http.StatusSeeOther, longest.status, longest.body)
}
