package checkout_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
)

// TestMerchantLogoOnTheCardPage: a merchant's logo is served from our own origin and shown
// on its card page; a merchant without one shows its name alone.
func TestMerchantLogoOnTheCardPage(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	e := newEnv(t, func(o *checkout.Options) {
		o.Merchants[0].Logo, o.Merchants[0].LogoType = buf.Bytes(), "image/png"
	})
	o := e.createOrder(orderBody("LOGO-1"))
	page := e.get("/pay/" + o["id"].(string))
	require.Equal(t, http.StatusOK, page.status)
	src, ok := page.doc(t).Find("#merchant-logo").Attr("src")
	require.True(t, ok, "the logo is on the page")
	assert.True(t, strings.HasPrefix(src, "/logo/shop?v="), src)
	alt, _ := page.doc(t).Find("#merchant-logo").Attr("alt")
	assert.Equal(t, "Test Shop", alt)

	logo := e.get(src)
	require.Equal(t, http.StatusOK, logo.status)
	assert.Equal(t, "image/png", logo.header.Get("Content-Type"))
	assert.Equal(t, buf.String(), logo.body)
	assert.Contains(t, logo.header.Get("Content-Security-Policy"), "sandbox")
	assert.Equal(t, http.StatusNotFound, e.get("/logo/other").status, "no logo configured")
	assert.Equal(t, http.StatusNotFound, e.get("/logo/nobody").status)
}
