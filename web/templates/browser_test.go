package templates

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/browsertest"
	"github.com/mokacheckout/checkout/web/static"
)

// checkoutPages serves the real components and static files, like the checkout server does,
// and hands every card form post to posted.
func checkoutPages(posted chan<- url.Values) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/static/", static.Handler())
	page := func(r *http.Request) Page {
		p := Page{Lang: "en", BrandColor: "#ffcc00", MerchantName: "Demo"}
		if r.URL.Query().Get("embed") == "1" {
			p.Embedded, p.ParentOrigin = true, r.URL.Query().Get("origin")
		}
		return p
	}
	mux.HandleFunc("GET /pay", func(w http.ResponseWriter, r *http.Request) {
		vm := payVM()
		vm.Page, vm.Action = page(r), "/pay"
		_ = Pay(vm).Render(r.Context(), w)
	})
	mux.HandleFunc("POST /pay", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		posted <- r.PostForm
		_, _ = w.Write([]byte("posted"))
	})
	mux.HandleFunc("GET /result", func(w http.ResponseWriter, r *http.Request) {
		_ = Result(ResultPage{Page: page(r), Status: "paid", OrderID: "ord_9", Success: true,
			Heading: "Paid", ContinueURL: "https://shop.invalid/thanks"}).Render(r.Context(), w)
	})
	return mux
}

// TestCardScript types into the real card form: grouping, brand, inline errors in the page's
// language, and a submit that posts the fields once.
func TestCardScript(t *testing.T) {
	ctx := browsertest.New(t, 30*time.Second)
	posted := make(chan url.Values, 2)
	co := httptest.NewServer(checkoutPages(posted))
	defer co.Close()
	str := func(a chromedp.Action[string]) string {
		v, err := chromedp.Run(ctx, a)
		require.NoError(t, err)
		return v
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) { require.NoError(t, chromedp.Do(ctx, steps...)) }

	do(chromedp.Navigate(co.URL+"/pay"), chromedp.WaitVisible("#card_number"),
		chromedp.SendKeys("#card_number", "4111111111111112"))
	assert.Equal(t, "4111 1111 1111 1112", str(chromedp.Value("#card_number")))
	assert.Equal(t, "Visa", str(chromedp.TextContent("#card-brand")))
	do(chromedp.Focus("#card_holder"))
	assert.Equal(t, labelSets["en"].ErrCardNumber, str(chromedp.Text("#card_number-error")), "Luhn fails on blur")
	// A light brand color gets dark text on the button.
	assert.Equal(t, "#111", str(chromedp.Evaluate[string](`getComputedStyle(document.documentElement).getPropertyValue("--brand-ink")`)))

	do(chromedp.Click("#pay-button"), chromedp.WaitVisible("#card_holder-error"))
	assert.Equal(t, labelSets["en"].ErrRequired, str(chromedp.Text("#card_holder-error")), "submit checks every field")
	assert.Empty(t, posted, "invalid form is not sent")

	do(chromedp.SetValue("#card_number", ""), chromedp.SendKeys("#card_number", "3782 822463 10005"),
		chromedp.SendKeys("#cvc", "123"), chromedp.Focus("#card_holder"))
	assert.Equal(t, "3782 822463 10005", str(chromedp.Value("#card_number")), "Amex groups 4-6-5")
	assert.Equal(t, labelSets["en"].ErrCVCAmex, str(chromedp.Text("#cvc-error")))

	expYear := strconv.Itoa(time.Now().Year() + 3)
	do(chromedp.SetValue("#card_number", ""), chromedp.SendKeys("#card_number", "5555555555554444"),
		chromedp.SetValue("#cvc", ""), chromedp.SendKeys("#cvc", "12a3"),
		chromedp.SendKeys("#card_holder", "Ada Lovelace"), chromedp.SetValue("#exp_month", "12"),
		chromedp.SendKeys("#exp_year", expYear))
	assert.Equal(t, "Mastercard", str(chromedp.TextContent("#card-brand")))
	assert.Equal(t, "123", str(chromedp.Value("#cvc")), "only digits")
	do(chromedp.Click("#pay-button"))
	select {
	case f := <-posted:
		assert.Equal(t, "5555 5555 5555 4444", f.Get("card_number"))
		assert.Equal(t, "12", f.Get("exp_month"))
		assert.Equal(t, expYear, f.Get("exp_year"))
		assert.Equal(t, "tok_123", f.Get("form_token"))
		assert.Equal(t, "1", f.Get("installments"))
	case <-ctx.Done():
		t.Fatal("the form was not posted")
	}
}

// TestEmbedScript mounts checkout pages from another origin with embed.js: the iframe
// resizes, the result arrives once, and a forged message from the page itself is ignored.
func TestEmbedScript(t *testing.T) {
	ctx := browsertest.New(t, 30*time.Second)
	co := httptest.NewServer(checkoutPages(make(chan url.Values, 1)))
	defer co.Close()
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The test page's own inline script is the merchant's, not checkout's.
		_, _ = fmt.Fprintf(w, `<!doctype html><html><body><ol id="results"></ol><p id="height"></p><div id="frame"></div>
<script src="%s/static/embed.js"></script><script>
window.postMessage({type: "checkout.result", version: 1, order: "forged", status: "paid"}, "*");
MokaCheckout.mount("#frame", {
  url: %q,
  onResult: function (r) { var li = document.createElement("li"); li.textContent = r.order + ":" + r.status; document.getElementById("results").appendChild(li); },
  onResize: function (h) { document.getElementById("height").textContent = String(h); }
});
</script></body></html>`, co.URL, co.URL+r.URL.Query().Get("u"))
	}))
	defer shop.Close()
	str := func(a chromedp.Action[string]) string {
		v, err := chromedp.Run(ctx, a)
		require.NoError(t, err)
		return v
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) { require.NoError(t, chromedp.Do(ctx, steps...)) }

	do(chromedp.Navigate(shop.URL+"/?u=/pay"), chromedp.WaitReady("#height:not(:empty)"))
	src := str(chromedp.Evaluate[string](`document.querySelector("#frame iframe").src`))
	assert.Equal(t, co.URL+"/pay?embed=1&origin="+url.QueryEscape(shop.URL), src)
	h := str(chromedp.TextContent("#height"))
	assert.Equal(t, h+"px", str(chromedp.Evaluate[string](`document.querySelector("#frame iframe").style.height`)))
	assert.Equal(t, "payment", str(chromedp.Evaluate[string](`document.querySelector("#frame iframe").getAttribute("allow")`)))

	do(chromedp.Navigate(shop.URL+"/?u=/result?x=1"), chromedp.WaitReady("#results li"))
	assert.Equal(t, "ord_9:paid", str(chromedp.TextContent("#results")), "only checkout's own message counts")
}
