package templates

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/browsertest"
	"github.com/mokacheckout/checkout/web/static"
)

// longWord is a description a real shop sent: one unbroken 90-character word.
const longWord = "Süperkalitelihavuçlukekvesaireürünkodu-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-XXL-KIRMIZI-ÇİZGİLİ"

// buyerPages serves every buyer page in the language of ?lang= (tr or en), with the texts
// the checkout handlers put in the view models.
func buyerPages() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/static/", static.Handler())
	page := func(r *http.Request, title string) Page {
		return Page{Lang: r.URL.Query().Get("lang"), Title: title, MerchantName: "Demo Kitap Evi"}
	}
	en := func(r *http.Request) bool { return r.URL.Query().Get("lang") == "en" }
	pick := func(r *http.Request, tr, en_ string) string {
		if en(r) {
			return en_
		}
		return tr
	}
	serve := func(path string, c func(r *http.Request) templ.Component) {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = c(r).Render(r.Context(), w)
		})
	}
	serve("/pay", func(r *http.Request) templ.Component {
		vm := payVM()
		vm.Page = page(r, pick(r, "150,00 TL öde", "Pay TRY 150.00"))
		vm.CancelURL = "https://shop.invalid/cart"
		if d := r.URL.Query().Get("desc"); d != "" {
			vm.Description = d
		}
		return Pay(vm)
	})
	serve("/pay-errors", func(r *http.Request) templ.Component {
		vm := payVM()
		vm.Page = page(r, pick(r, "150,00 TL öde", "Pay TRY 150.00"))
		l := vm.l()
		vm.Alert = pick(r, "Lütfen işaretli alanları düzeltin.", "Please correct the highlighted fields.")
		vm.Errors = map[string]string{"card_number": l.ErrCardNumber, "cvc": l.ErrCVC, "exp_year": l.ErrExpYear}
		return Pay(vm)
	})
	serve("/result/paid", func(r *http.Request) templ.Component {
		h := pick(r, "Ödeme başarılı", "Payment successful")
		return Result(ResultPage{Page: page(r, h), OrderID: "ord_9", Status: "paid", Success: true,
			Heading: h, Message: pick(r, "Teşekkürler. Ödemeniz alındı.", "Thank you. Your payment has been received."),
			Amount: "150,00 TL", ContinueURL: "https://shop.invalid/thanks?order=ord_9&status=paid"})
	})
	serve("/result/failed", func(r *http.Request) templ.Component {
		h := pick(r, "Ödeme başarısız", "Payment failed")
		return Result(ResultPage{Page: page(r, h), OrderID: "ord_9", Status: "open", Failed: true,
			Heading: h, Message: pick(r, "Bankanız ödemeyi 3-D Secure ile doğrulayamadı. Tekrar deneyebilirsiniz.",
				"Your bank could not confirm the payment with 3-D Secure. You can try again."),
			BankDetail: "3D authentication failed", Amount: "150,00 TL",
			RetryURL: "/pay", ShopURL: "https://shop.invalid/cart"})
	})
	serve("/message/not-found", func(r *http.Request) templ.Component {
		h := pick(r, "Bulunamadı", "Not found")
		return Message(MessagePage{Page: Page{Lang: r.URL.Query().Get("lang"), Title: h}, StatusCode: 404, Heading: h,
			Message: pick(r, "Böyle bir ödeme sayfası yok. Size verilen bağlantıyı kontrol edin.",
				"There is no such payment page. Check the link you were given.")})
	})
	serve("/message/expired", func(r *http.Request) templ.Component {
		h := pick(r, "Bu siparişin süresi doldu", "This order has expired")
		return Message(MessagePage{Page: page(r, h), StatusCode: 410, Heading: h,
			Message: pick(r, "Bu siparişin ödeme süresi sona erdi. Mağazadan yeni bir ödeme bağlantısı isteyin.",
				"The time to pay this order is over. Ask the shop for a new payment link."),
			LinkURL: "https://shop.invalid/", LinkText: pick(r, "Mağazaya dön", "Back to the shop")})
	})
	return mux
}

// TestPhoneLayoutLongWord: on a 390 px phone a long unbroken word in the description wraps
// instead of making the page scroll sideways, in both languages and on every page.
func TestPhoneLayoutLongWord(t *testing.T) {
	ctx := browsertest.New(t, 60*time.Second)
	srv := httptest.NewServer(buyerPages())
	defer srv.Close()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait)))
	for _, path := range []string{"/pay?lang=tr&desc=" + longWord, "/pay?lang=en&desc=" + longWord, "/pay-errors?lang=tr", "/result/failed?lang=tr"} {
		t.Run(path, func(t *testing.T) {
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible("main")))
			width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			require.NoError(t, err)
			assert.LessOrEqual(t, width, 390, "no horizontal scroll on a 390 px phone")
		})
	}
}

// TestCardPageTurkishDetails: the Turkish card page has one <h1> (the amount), the brand
// badge reads "Visa" and not "VİSA", and the CVC hint is visible text the field points to.
func TestCardPageTurkishDetails(t *testing.T) {
	ctx := browsertest.New(t, 30*time.Second)
	srv := httptest.NewServer(buyerPages())
	defer srv.Close()
	str := func(expr string) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		require.NoError(t, err)
		return v
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/pay?lang=tr"), chromedp.WaitVisible("#card_number"),
		chromedp.SendKeys("#card_number", "4111111111111111")))
	assert.Equal(t, "1", str(`String(document.querySelectorAll("h1").length)`))
	assert.Contains(t, str(`document.querySelector("h1").innerText`), "150,00 TL")
	assert.Equal(t, "Visa", str(`document.getElementById("card-brand").innerText`), "as rendered, after CSS")
	hint := str(`document.getElementById("cvc-hint").innerText`)
	assert.Contains(t, hint, labelSets["tr"].CVCHint, "visible, not a title")
	assert.Equal(t, "", str(`document.getElementById("cvc").getAttribute("title") || ""`))
	assert.Contains(t, strings.Fields(str(`document.getElementById("cvc").getAttribute("aria-describedby")`)), "cvc-hint")
}

// TestFieldContrast: field borders and the focus ring reach WCAG 1.4.11's 3:1 against the
// page's own background (the sheet) and the body background around it.
func TestFieldContrast(t *testing.T) {
	ctx := browsertest.New(t, 30*time.Second)
	srv := httptest.NewServer(buyerPages())
	defer srv.Close()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/pay?lang=en"), chromedp.WaitVisible("#card_number"),
		chromedp.Focus("#card_holder")))
	ratios, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(function () {
		function rgb(s) { var m = s.match(/[\d.]+/g).map(Number); return m.slice(0, 3); }
		function lum(c) {
			c = c.map(function (v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
			return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
		}
		function ratio(a, b) { var x = lum(rgb(a)), y = lum(rgb(b)); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
		var sheet = getComputedStyle(document.querySelector(".sheet")).backgroundColor;
		var body = getComputedStyle(document.body).backgroundColor;
		var number = getComputedStyle(document.getElementById("card_number"));
		var focused = getComputedStyle(document.getElementById("card_holder"));
		return {
			border_sheet: ratio(number.borderTopColor, sheet),
			border_body: ratio(number.borderTopColor, body),
			ring_sheet: ratio(focused.outlineColor, sheet),
			ring_body: ratio(focused.outlineColor, body),
			ring_width: parseFloat(focused.outlineWidth)
		};
	})()`))
	require.NoError(t, err)
	for _, k := range []string{"border_sheet", "border_body", "ring_sheet", "ring_body"} {
		assert.GreaterOrEqual(t, ratios[k], 3.0, k)
	}
	assert.GreaterOrEqual(t, ratios["ring_width"], 2.0, "the focus ring is at least 2 px")
}

// TestAxeBuyerPages runs axe-core's WCAG 2.2 A and AA rules on every buyer page in both
// languages: 0 violations.
func TestAxeBuyerPages(t *testing.T) {
	ctx := browsertest.New(t, 120*time.Second)
	srv := httptest.NewServer(buyerPages())
	defer srv.Close()
	for _, lang := range []string{"tr", "en"} {
		for _, path := range []string{"/pay", "/pay-errors", "/result/paid", "/result/failed", "/message/not-found", "/message/expired"} {
			t.Run(lang+path, func(t *testing.T) {
				require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+path+"?lang="+lang), chromedp.WaitVisible("main")))
				lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
				require.NoError(t, err)
				require.NotEmpty(t, lang)
				for _, v := range browsertest.Axe(t, ctx) {
					var where []string
					for _, n := range v.Nodes {
						where = append(where, n.HTML)
					}
					t.Errorf("%s (%s): %s\n  %s", v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
				}
			})
		}
	}
}

// TestLayoutLinksFavicon: every buyer page names our own favicon, served from /static.
func TestLayoutLinksFavicon(t *testing.T) {
	for name, c := range map[string]templ.Component{
		"pay":     Pay(payVM()),
		"result":  Result(ResultPage{Status: "paid", Success: true, Heading: "x"}),
		"message": Message(MessagePage{StatusCode: 404, Heading: "x"}),
	} {
		doc := render(t, c)
		href, ok := doc.Find(`link[rel="icon"]`).Attr("href")
		assert.True(t, ok, name)
		assert.Equal(t, static.Path("favicon.svg"), href, name)
	}
}

// TestEmbedErrorAndShrink: embed.js calls onError when the checkout refuses the frame, and
// the frame shrinks to the result page after payment instead of keeping the bank's height.
func TestEmbedErrorAndShrink(t *testing.T) {
	ctx := browsertest.New(t, 30*time.Second)
	mux := http.NewServeMux()
	mux.Handle("/", checkoutPages(make(chan url.Values, 1)))
	mux.HandleFunc("GET /refuse", func(w http.ResponseWriter, r *http.Request) {
		// What the checkout answers a shop that is not an allowed embedding origin.
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		_ = Pay(payVM()).Render(r.Context(), w)
	})
	co := httptest.NewServer(mux)
	defer co.Close()
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `<!doctype html><html><body><p id="error"></p><p id="height"></p><div id="frame"></div>
<script src="%s/static/embed.js"></script><script>
MokaCheckout.mount("#frame", {
  url: %q,
  onResize: function (h) { document.getElementById("height").textContent = String(h); },
  onError: function (e) { document.getElementById("error").textContent = e.type + ":" + e.reason; }
});
</script></body></html>`, co.URL, co.URL+r.URL.Query().Get("u"))
	}))
	defer shop.Close()
	str := func(a chromedp.Action[string]) string {
		v, err := chromedp.Run(ctx, a)
		require.NoError(t, err)
		return v
	}

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(shop.URL+"/?u=/refuse"), chromedp.WaitReady("#error:not(:empty)")))
	assert.Equal(t, "checkout.error:refused", str(chromedp.TextContent("#error")))

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(shop.URL+"/?u=/pay"), chromedp.WaitReady("#height:not(:empty)"),
		chromedp.Sleep(2500*time.Millisecond)))
	assert.Empty(t, str(chromedp.TextContent("#error")), "a checkout that shows is no error")
	assert.Equal(t, "540px", str(chromedp.Evaluate[string](`document.querySelector("#frame iframe").style.minHeight`)))

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(shop.URL+"/?u=/result"), chromedp.WaitReady("#height:not(:empty)")))
	h := str(chromedp.TextContent("#height"))
	n, err := strconv.Atoi(h)
	require.NoError(t, err)
	assert.Less(t, n, 540, "the result page is shorter than the bank's floor")
	got, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("#frame iframe").getBoundingClientRect().height`))
	require.NoError(t, err)
	assert.Equal(t, n, got, "the frame fits the result page")
}
