package templates

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/web/static"
)

func TestResult(t *testing.T) {
	tests := []struct {
		name                string
		vm                  ResultPage
		wantClass           string
		wantContinue, retry bool
		wantRedirectNote    bool
	}{
		{
			name: "paid with return url",
			vm: ResultPage{Status: "paid", Success: true, Heading: "Ödeme alındı",
				ContinueURL: "https://shop.example/thanks?order=ord_1&status=paid"},
			wantClass: "success", wantContinue: true, wantRedirectNote: true,
		},
		{
			name:      "paid without return url",
			vm:        ResultPage{Status: "paid", Success: true, Heading: "Ödeme alındı"},
			wantClass: "success",
		},
		{
			name: "failed, may retry",
			vm: ResultPage{Status: "open", Heading: "Ödeme yapılamadı", RetryURL: "/pay/ord_1",
				ContinueURL: "https://shop.example/thanks?order=ord_1&status=open"},
			wantClass: "failure", wantContinue: true, retry: true,
		},
		{
			name:      "pending",
			vm:        ResultPage{Status: "processing", Pending: true, Heading: "Bekleniyor"},
			wantClass: "pending",
		},
		{
			name: "embedded reports to the parent instead of redirecting",
			vm: ResultPage{Page: Page{Embedded: true, ParentOrigin: "https://shop.example"}, Status: "paid", Success: true,
				Heading: "Paid", ContinueURL: "https://shop.example/thanks"},
			wantClass: "success", wantContinue: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.vm.OrderID = "ord_1"
			tt.vm.Message = "message text"
			tt.vm.Amount = "150,00 TL"
			doc := render(t, Result(tt.vm))
			res := doc.Find("#result")
			require.Equal(t, 1, res.Length())
			assert.Equal(t, tt.vm.Status, res.AttrOr("data-status", ""))
			assert.Equal(t, "ord_1", res.AttrOr("data-order", ""))
			assert.True(t, res.HasClass(tt.wantClass))
			assert.Equal(t, tt.vm.Heading, doc.Find("#result-heading").Text())
			assert.Equal(t, "message text", doc.Find("#result-message").Text())
			assert.Contains(t, doc.Find("#result-amount").Text(), "150,00 TL")
			assert.Equal(t, 1, doc.Find(`script[src="`+static.Path("result.js")+`"]`).Length())

			cont := doc.Find("#continue")
			assert.Equal(t, tt.wantContinue, cont.Length() == 1)
			url, has := res.Attr("data-continue-url")
			assert.Equal(t, tt.wantContinue, has)
			if tt.wantContinue {
				assert.Equal(t, tt.vm.ContinueURL, cont.AttrOr("href", ""))
				assert.Equal(t, tt.vm.ContinueURL, url)
				// In the merchant's iframe, Continue replaces the merchant's page.
				wantTarget := ""
				if tt.vm.Embedded {
					wantTarget = "_top"
				}
				assert.Equal(t, wantTarget, cont.AttrOr("target", ""))
			}
			assert.Equal(t, tt.retry, doc.Find("#retry").Length() == 1)
			if tt.retry {
				assert.Equal(t, "/pay/ord_1", doc.Find("#retry").AttrOr("href", ""))
			}
			assert.Equal(t, tt.wantRedirectNote, doc.Find("#redirect-note").Length() == 1)
		})
	}
}

func TestResultContinueInIframeLeavesTheFrame(t *testing.T) {
	vm := ResultPage{Page: Page{Embedded: true, ParentOrigin: "https://shop.example"}, Status: "open", Heading: "x",
		RetryURL: "/pay/ord_1?embed=1", ContinueURL: "https://shop.example/thanks"}
	doc := render(t, Result(vm))
	cont := doc.Find("#continue")
	assert.Equal(t, "_top", cont.AttrOr("target", ""))
	assert.Equal(t, "noopener", cont.AttrOr("rel", ""))
	_, retryTarget := doc.Find("#retry").Attr("target")
	assert.False(t, retryTarget, "a retry stays in the frame")
}

func TestResultLabelsFollowLanguage(t *testing.T) {
	vm := ResultPage{Status: "open", Heading: "x", RetryURL: "/pay/ord_1", ContinueURL: "https://shop.example/"}
	doc := render(t, Result(vm))
	assert.Equal(t, "Tekrar dene", doc.Find("#retry").Text())
	assert.Equal(t, "Devam et", doc.Find("#continue").Text())
	vm.Lang = "en"
	doc = render(t, Result(vm))
	assert.Equal(t, "Try again", doc.Find("#retry").Text())
	assert.Equal(t, "Continue", doc.Find("#continue").Text())
}
