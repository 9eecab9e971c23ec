package checkout_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/browsertest"
)

// TestCardErrorWordsMatchTheScripts: for each card form error, the words card.js shows
// (the form's data-msg-* attributes, from web/templates/labels.go) are the words the server
// shows for the same error when the form is posted without the script, in Turkish and
// English alike.
func TestCardErrorWordsMatchTheScripts(t *testing.T) {
	lastYear := strconv.Itoa(time.Now().Year() - 1)
	tests := []struct {
		name, field, msg string // msg: the form's data-msg-* attribute card.js shows
		edit             func(url.Values)
	}{
		{"empty name", "card_holder", "data-msg-required", func(v url.Values) { v.Set("card_holder", " ") }},
		{"empty number", "card_number", "data-msg-card-length", func(v url.Values) { v.Set("card_number", "") }},
		{"short number", "card_number", "data-msg-card-length", func(v url.Values) { v.Set("card_number", "4183 4411") }},
		{"Luhn fails", "card_number", "data-msg-card-number", func(v url.Values) { v.Set("card_number", "4183441122223338") }},
		{"month 13", "exp_month", "data-msg-exp-month", func(v url.Values) { v.Set("exp_month", "13") }},
		{"empty month", "exp_month", "data-msg-exp-month", func(v url.Values) { v.Set("exp_month", "") }},
		{"year of 3 digits", "exp_year", "data-msg-exp-year", func(v url.Values) { v.Set("exp_year", "202") }},
		{"empty year", "exp_year", "data-msg-exp-year", func(v url.Values) { v.Set("exp_year", "") }},
		{"expired", "exp_year", "data-msg-exp-past", func(v url.Values) { v.Set("exp_year", lastYear) }},
		{"CVC of 2 digits", "cvc", "data-msg-cvc", func(v url.Values) { v.Set("cvc", "12") }},
		{"Amex CVC of 3 digits", "cvc", "data-msg-cvc-amex", func(v url.Values) {
			v.Set("card_number", "378282246310005")
			v.Set("cvc", "123")
		}},
	}
	for _, lang := range []string{"tr", "en"} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t)
			o := e.createOrder(orderBody("R-WORDS-"+lang, `"locale":"`+lang+`"`))
			path := "/pay/" + o["id"].(string)
			page := e.get(path)
			require.Equal(t, http.StatusOK, page.status, page.body)
			form := page.doc(t).Find("#card-form")
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					script := form.AttrOr(tt.msg, "")
					require.NotEmpty(t, script, tt.msg)
					r := e.submitCard(path, successCard, tt.edit)
					require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
					server := strings.TrimSpace(r.doc(t).Find("#" + tt.field + "-error").Text())
					assert.Equal(t, script, server, "the script's and the server's words for %s", tt.name)
				})
			}
		})
	}
}

// TestCardScriptSaysTheServersWords fills the real card page in a browser with wrong
// values, lets card.js check them on submit, and posts the same values without the script:
// every field's error reads the same both ways.
func TestCardScriptSaysTheServersWords(t *testing.T) {
	ctx := browsertest.New(t, 60*time.Second)
	lastYear := strconv.Itoa(time.Now().Year() - 1)
	fields := []string{"card_holder", "card_number", "exp_month", "exp_year", "cvc"}
	rounds := []map[string]string{
		{"card_holder": "", "card_number": "4183441122223338", "exp_month": "", "exp_year": "202", "cvc": "12"},
		{"card_holder": "", "card_number": "4183 4411", "exp_month": "12", "exp_year": lastYear, "cvc": ""},
		{"card_holder": "", "card_number": "", "exp_month": "13", "exp_year": "", "cvc": "1"},
		{"card_holder": "", "card_number": "378282246310005", "exp_month": "12", "exp_year": lastYear, "cvc": "123"},
	}
	for _, lang := range []string{"tr", "en"} {
		e := newEnv(t)
		o := e.createOrder(orderBody("BR-WORDS-"+lang, `"locale":"`+lang+`"`))
		path := "/pay/" + o["id"].(string)
		refused := map[string]bool{}
		for i, round := range rounds {
			r := e.submitCard(path, successCard, func(v url.Values) {
				for k, val := range round {
					v.Set(k, val)
				}
			})
			require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
			server := map[string]string{}
			for _, f := range fields {
				server[f] = strings.TrimSpace(r.doc(t).Find("#" + f + "-error").Text())
				if server[f] != "" {
					refused[server[f]] = true
				}
			}

			values, err := json.Marshal(round)
			require.NoError(t, err)
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(e.url+path), chromedp.WaitVisible(chromedp.CSS("#card_number"))))
			// Set as a buyer's browser could (the month select has no 13: it reads as none),
			// then let card.js check every field on submit.
			_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(function (v) {
				Object.keys(v).forEach(function (f) { document.getElementById(f).value = v[f]; });
				document.getElementById("card_number").dispatchEvent(new Event("input"));
				return true; })(`+string(values)+`)`))
			require.NoError(t, err)
			require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#pay-button")),
				chromedp.WaitVisible(chromedp.CSS("#card_holder-error"))))
			script, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(function () {
				var out = {};
				["card_holder", "card_number", "exp_month", "exp_year", "cvc"].forEach(function (f) {
					out[f] = document.getElementById(f + "-error").textContent.trim(); });
				return out; })()`))
			require.NoError(t, err)
			for _, f := range fields {
				assert.Equal(t, server[f], script[f], "%s round %d: %s", lang, i, f)
			}
		}
		// Each of the 8 messages card.js has for these fields came up in some round.
		assert.Len(t, refused, 8, lang)
	}
}
