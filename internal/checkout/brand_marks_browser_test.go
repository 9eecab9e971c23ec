package checkout_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/browsertest"
)

// TestCardBrandMarksWithoutScript: the card page carries the brands' own marks from
// /static, all hidden and out of the accessibility tree, so without card.js nothing shows.
func TestCardBrandMarksWithoutScript(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("R-MARKS"))
	r := e.get("/pay/" + o["id"].(string))
	require.Equal(t, http.StatusOK, r.status, r.body)
	marks := r.doc(t).Find(".with-brand .brand-marks")
	assert.Equal(t, "true", marks.AttrOr("aria-hidden", ""))
	var brands []string
	marks.Find("img").Each(func(_ int, img *goquery.Selection) {
		brands = append(brands, img.AttrOr("data-brand", ""))
		alt, ok := img.Attr("alt")
		assert.True(t, ok && alt == "", "a decorative mark has an empty alt")
		_, hidden := img.Attr("hidden")
		assert.True(t, hidden, "no mark shows before a number is typed")
		src := img.AttrOr("src", "")
		assert.True(t, strings.HasPrefix(src, "/static/"), "own file, no third-party request: %s", src)
		assert.Equal(t, http.StatusOK, e.get(src).status, src)
	})
	assert.Equal(t, []string{"visa", "mastercard", "troy", "amex"}, brands)
}

// TestCardBrandMarksInABrowser types cards of each brand into the real card page, under
// its real CSP: the brand's mark shows (and loads), its name stays for screen readers, and
// a brand without a mark (Maestro) keeps its name in sight.
func TestCardBrandMarksInABrowser(t *testing.T) {
	ctx := browsertest.New(t, 60*time.Second)
	e := newEnv(t)
	o := e.createOrder(orderBody("BR-MARKS", `"locale":"tr"`))
	type state struct {
		Shown      []string `json:"shown"`
		Loaded     bool     `json:"loaded"`
		Name       string   `json:"name"`
		NameHidden bool     `json:"nameHidden"`
	}
	read := func() state {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[state](`(function () {
			var shown = Array.from(document.querySelectorAll(".brand-marks img")).filter(function (i) {
				return !i.hidden && i.getBoundingClientRect().width > 0; });
			var name = document.getElementById("card-brand");
			return {shown: shown.map(function (i) { return i.dataset.brand; }),
				loaded: shown.every(function (i) { return i.complete && i.naturalWidth > 0; }),
				name: name.textContent, nameHidden: name.classList.contains("visually-hidden")};
		})()`))
		require.NoError(t, err)
		return v
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(e.url+"/pay/"+o["id"].(string)),
		chromedp.WaitVisible(chromedp.CSS("#card_number"))))
	assert.Equal(t, state{Shown: []string{}, Loaded: true}, read(), "no mark before a number")

	tests := []struct {
		card, mark, name string
	}{
		{"4183441122223339", "visa", "Visa"},
		{"5555555555554444", "mastercard", "Mastercard"},
		{"9792030000000000", "troy", "Troy"},
		{"378282246310005", "amex", "Amex"},
		{"5890040000000016", "", "Maestro"},
	}
	for _, tt := range tests {
		require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#card_number"), ""),
			chromedp.SendKeys(chromedp.CSS("#card_number"), tt.card)))
		var got state
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got = read(); got.Loaded {
				break
			}
		}
		if tt.mark == "" {
			assert.Equal(t, state{Shown: []string{}, Loaded: true, Name: tt.name}, got, "%s: no mark, the name shows", tt.name)
			continue
		}
		assert.Equal(t, state{Shown: []string{tt.mark}, Loaded: true, Name: tt.name, NameHidden: true}, got, tt.name)
	}
	for _, v := range browsertest.Axe(t, ctx) {
		t.Errorf("axe %s (%s): %s", v.ID, v.Impact, v.Help)
	}
}
