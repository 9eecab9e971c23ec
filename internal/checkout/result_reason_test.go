package checkout_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka/sandbox"
)

// TestResultFailureInOurWords: a failed 3-D payment says why in the page's language, keeps
// the bank's own text as a detail, and offers a way back to the shop.
func TestResultFailureInOurWords(t *testing.T) {
	tests := []struct {
		name, extra, wantReason, wantShop string
	}{
		{
			name:       "tr with cancel_url",
			extra:      `"locale":"tr","cancel_url":"https://shop.example/cart","return_url":"https://shop.example/thanks"`,
			wantReason: "Bankanız ödemeyi 3-D Secure ile doğrulayamadı",
			wantShop:   "https://shop.example/cart",
		},
		{
			name:       "en with return_url only",
			extra:      `"locale":"en","return_url":"https://shop.example/thanks"`,
			wantReason: "Your bank could not confirm the payment with 3-D Secure",
			wantShop:   "https://shop.example/thanks?order=%s&status=open",
		},
		{
			name:       "en without urls",
			extra:      `"locale":"en"`,
			wantReason: "Your bank could not confirm the payment with 3-D Secure",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.createOrder(orderBody("R-1", tt.extra))["id"].(string)
			res := e.pay("/pay/"+id, failCard, sandbox.DemoOTP)
			status, _ := resultStatus(t, res)
			require.Equal(t, "open", status)
			d := res.doc(t)
			msg := d.Find("#result-message").Text()
			assert.True(t, strings.HasPrefix(msg, tt.wantReason), msg)
			assert.NotContains(t, msg, "3D authentication failed", "the bank's English text is not the message")
			assert.Contains(t, d.Find("#result-detail").Text(), "3D authentication failed", "the bank's text stays as a detail")
			back, ok := d.Find("#back-to-shop").Attr("href")
			if tt.wantShop == "" {
				assert.False(t, ok, "no shop URL, no link")
				return
			}
			want := tt.wantShop
			if strings.Contains(want, "%s") {
				want = strings.Replace(want, "%s", id, 1)
			}
			assert.Equal(t, want, back)
			assert.Equal(t, 1, d.Find("#retry").Length(), "the retry stays the main action")
		})
	}
}
