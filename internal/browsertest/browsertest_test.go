package browsertest_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/browsertest"
)

// TestAxeFindsViolations proves the accessibility check can fail: a page with an image
// without alt text and no language breaks WCAG rules axe-core knows.
func TestAxeFindsViolations(t *testing.T) {
	ctx := browsertest.New(t, 60*time.Second)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(`data:text/html,<title>x</title><img src="x.png">`)))
	var ids []string
	for _, v := range browsertest.Axe(t, ctx) {
		ids = append(ids, v.ID)
	}
	assert.Contains(t, ids, "image-alt")
	assert.Contains(t, ids, "html-has-lang")
}
