package templates

import (
	"regexp"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/web/static"
)

// pages renders every component in plain and iframe mode, with branding, for checks that
// must hold on every page.
func pages() map[string]templ.Component {
	embedded := Page{Lang: "en", Embedded: true, ParentOrigin: "https://shop.example", BrandColor: "#AA3300", MerchantName: "Demo"}
	full := Page{Lang: "tr", MerchantName: "Demo"}
	out := map[string]templ.Component{}
	for name, p := range map[string]Page{"embedded": embedded, "full": full} {
		pay := payVM()
		pay.Page = p
		pay.Alert = "declined"
		pay.Errors = map[string]string{"cvc": "bad"}
		pay.CancelURL = "https://shop.example/cancel"
		out["pay/"+name] = Pay(pay)
		out["result/"+name] = Result(ResultPage{Page: p, OrderID: "ord_1", Status: "paid", Success: true,
			Heading: "Paid", Message: "Thanks", Amount: "150,00 TL", ContinueURL: "https://shop.example/thanks?order=ord_1&status=paid"})
		out["message/"+name] = Message(MessagePage{Page: p, StatusCode: 404, Heading: "Not found",
			Message: "No such order", LinkURL: "https://shop.example/", LinkText: "Back"})
	}
	return out
}

func TestNoInlineScriptsOrStyles(t *testing.T) {
	for name, c := range pages() {
		t.Run(name, func(t *testing.T) {
			doc := render(t, c)
			doc.Find("script").Each(func(_ int, s *goquery.Selection) {
				src, ok := s.Attr("src")
				assert.True(t, ok && src != "", "script without src")
				assert.Empty(t, s.Text(), "script with a body")
			})
			assert.Equal(t, 0, doc.Find("style").Length(), "<style> element")
			assert.Equal(t, 0, doc.Find("[style]").Length(), "style= attribute")
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				for _, a := range s.Nodes[0].Attr {
					assert.NotRegexp(t, `^on`, a.Key, "inline event handler")
				}
			})
		})
	}
}

func TestAssetURLsAreHashed(t *testing.T) {
	hashed := regexp.MustCompile(`^/static/[a-z]+\.[0-9a-f]{8}\.(css|js|svg)$`)
	for name, c := range pages() {
		t.Run(name, func(t *testing.T) {
			doc := render(t, c)
			css := doc.Find(`link[rel=stylesheet]`)
			require.Equal(t, 1, css.Length())
			assert.Equal(t, static.Path("app.css"), css.AttrOr("href", ""))
			doc.Find("script[src], link[href]").Each(func(_ int, s *goquery.Selection) {
				u := s.AttrOr("src", s.AttrOr("href", ""))
				assert.Regexp(t, hashed, u)
			})
		})
	}
}

func TestLayoutIframeMode(t *testing.T) {
	tests := []struct {
		name            string
		page            Page
		wantOrigin      string
		wantFrameScript bool
		wantBrand       string
	}{
		{"full page", Page{Lang: "tr"}, "", false, ""},
		{"embedded", Page{Lang: "tr", Embedded: true, ParentOrigin: "https://shop.example"}, "https://shop.example", true, ""},
		{"embedded without origin", Page{Lang: "tr", Embedded: true}, "", true, ""},
		{"brand color", Page{Lang: "tr", BrandColor: "#1a2b3c"}, "", false, "#1a2b3c"},
		{"bad brand color", Page{Lang: "tr", BrandColor: "red;background:url(x)"}, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := render(t, Message(MessagePage{Page: tt.page, Heading: "x"}))
			html := doc.Find("html")
			origin, has := html.Attr("data-parent-origin")
			assert.Equal(t, tt.wantOrigin != "", has, "data-parent-origin present")
			assert.Equal(t, tt.wantOrigin, origin)
			assert.Equal(t, tt.wantFrameScript, doc.Find(`script[src="`+static.Path("frame.js")+`"]`).Length() == 1)
			brand, has := html.Attr("data-brand-color")
			assert.Equal(t, tt.wantBrand != "", has)
			assert.Equal(t, tt.wantBrand, brand)
			assert.Equal(t, tt.wantBrand != "", doc.Find(`script[src="`+static.Path("brand.js")+`"]`).Length() == 1)
			wantClass := "full"
			if tt.page.Embedded {
				wantClass = "embedded"
			}
			assert.True(t, doc.Find("body").HasClass(wantClass))
			assert.Equal(t, "width=device-width, initial-scale=1", doc.Find(`meta[name=viewport]`).AttrOr("content", ""))
		})
	}
}

func TestTitle(t *testing.T) {
	doc := render(t, Message(MessagePage{Page: Page{Title: "Ödeme", MerchantName: "Demo Kitap Evi"}}))
	assert.Equal(t, "Ödeme · Demo Kitap Evi", doc.Find("title").Text())
	doc = render(t, Message(MessagePage{Page: Page{Lang: "en"}}))
	assert.Equal(t, "Secure payment", doc.Find("title").Text())
}
