package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/browsertest"
)

// Cards and CVCs the flows type. The final subtest proves none of them reached the
// database file or the logs. The CVCs are unusual on purpose, so a find means a leak.
var (
	successCard = "4183441122223339"
	otherCard   = "5127541122223332"
	usedCards   = []string{successCard, otherCard}
	usedCVCs    = []string{"739", "482", "615", "907"}
)

// TestBrowserFlows pays through the real pages in headless Chromium: full page, a failed
// 3-D then a retry, the storefront's cross-origin iframe, a signed storefront link, and
// with JavaScript off. Every flow checks the final state through the merchant API, and the
// last subtest scans the database file and the logs for card data.
func TestBrowserFlows(t *testing.T) {
	s := newStack(t)

	t.Run("full page payment", func(t *testing.T) {
		ctx := browsertest.New(t, 90*time.Second)
		id, payURL := s.createOrder(t, nil)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(payURL),
			fillCard(successCard, "739"),
			bankOTP("123456"),
		))
		assert.Equal(t, "paid", resultStatus(t, ctx))
		assert.Equal(t, "paid", s.orderStatus(t, id))
	})

	t.Run("failed 3-D then successful retry", func(t *testing.T) {
		ctx := browsertest.New(t, 90*time.Second)
		id, payURL := s.createOrder(t, nil)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(payURL),
			fillCard(successCard, "482"),
			bankOTP("000000"), // a wrong SMS code: the bank fails 3-D
		))
		assert.Equal(t, "open", resultStatus(t, ctx), "a failed 3-D leaves the order open for a retry")
		assert.Equal(t, "open", s.orderStatus(t, id))

		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#retry")),
			fillCard(otherCard, "615"),
			bankOTP("123456"),
		))
		assert.Equal(t, "paid", resultStatus(t, ctx))
		assert.Equal(t, "paid", s.orderStatus(t, id))
		_, order := s.api(t, "GET", "/api/v1/orders/"+id, nil)
		attempts, _ := order["attempts"].([]any)
		assert.Len(t, attempts, 2, "one failed and one successful attempt")
	})

	t.Run("storefront iframe on another origin", func(t *testing.T) {
		ctx := browsertest.New(t, 90*time.Second)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(s.storefrontURL+"/embedded"),
			chromedp.WaitVisible(chromedp.CSS("#checkout-frame iframe")),
		))
		src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#checkout-frame iframe").src`))
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(src, s.checkoutURL+"/pay/"), "the iframe shows checkout's card page: %s", src)

		require.NoError(t, chromedp.Do(ctx, fillCard(successCard, "907", inFrame(t, ctx, "#card-form"))))
		require.NoError(t, chromedp.Do(ctx, bankOTP("123456", inFrame(t, ctx, `input[name="otp"]`))))

		// The result page inside the iframe posts {type:"checkout.result"} to the storefront,
		// whose handler writes the order and status into #storefront-result.
		require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#storefront-result[data-status="paid"]`))))
		got, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#storefront-result"), "data-order"))
		require.NoError(t, err)
		want, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#checkout-frame"), "data-order"))
		require.NoError(t, err)
		require.NotEmpty(t, want.Value)
		assert.Equal(t, want.Value, got.Value, "the message names the storefront's order")
		assert.Equal(t, "paid", s.orderStatus(t, got.Value))
		// The top page never left the storefront: the bank and the result stayed in the frame.
		loc, err := chromedp.Run(ctx, chromedp.Location())
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(loc, s.storefrontURL+"/embedded"), loc)
	})

	t.Run("signed storefront link", func(t *testing.T) {
		ctx := browsertest.New(t, 90*time.Second)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(s.storefrontURL+"/"),
			chromedp.Click(chromedp.CSS("#pay-link")),
			fillCard(successCard, "739"),
			bankOTP("123456"),
			// The result page continues to the order's return_url on the storefront.
			chromedp.WaitVisible(chromedp.CSS("#thanks-heading")),
		))
		thanks, err := chromedp.Run(ctx, chromedp.Location())
		require.NoError(t, err)
		u, err := url.Parse(thanks)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(thanks, s.storefrontURL+"/thanks"), thanks)
		assert.Equal(t, "paid", s.orderStatus(t, u.Query().Get("order")))
		// The storefront asked checkout's API: the page shows what the API says.
		shown, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#thanks-status"), "data-source"))
		require.NoError(t, err)
		assert.Equal(t, "api", shown.Value)
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#thanks-status")))
		require.NoError(t, err)
		assert.Equal(t, "paid", got)
	})

	t.Run("JavaScript disabled still pays", func(t *testing.T) {
		ctx := browsertest.New(t, 90*time.Second)
		id, payURL := s.createOrder(t, nil)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
				return err
			}),
			chromedp.Navigate(payURL),
			fillCard(successCard, "482"),
			bankOTP("123456"),
			// Without JavaScript the bank's return form waits for a click.
			chromedp.WaitVisible(chromedp.CSS("#return-form button")),
			chromedp.Click(chromedp.CSS("#return-form button")),
		))
		assert.Equal(t, "paid", resultStatus(t, ctx))
		assert.Equal(t, "paid", s.orderStatus(t, id))
	})

	t.Run("refused in a frame on an origin the merchant did not list", func(t *testing.T) {
		ctx := browsertest.New(t, 90*time.Second)
		id, payURL := s.createOrder(t, nil)
		framed := payURL + "?embed=1&origin=" + url.QueryEscape(s.storefrontURL)
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><div id="checkout-frame"><iframe src=%q></iframe></div>`, framed)
		}))
		defer other.Close()
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(other.URL), chromedp.WaitVisible(chromedp.CSS("#checkout-frame iframe"))))
		// Give the frame time to load what it may; the card form must never show in it.
		require.NoError(t, chromedp.Do(ctx, chromedp.Sleep(2*time.Second)))
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#checkout-frame iframe")))
		require.NoError(t, err)
		try, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		err = chromedp.Do(try, chromedp.WaitReady(chromedp.CSS("#card-form"), chromedp.FromNode(nodes[0])))
		assert.Error(t, err, "frame-ancestors keeps the card page out of a foreign frame")
		assert.Equal(t, "open", s.orderStatus(t, id))
	})

	t.Run("no card number or CVC in the database or logs", func(t *testing.T) {
		if browsertest.Path() == "" && os.Getenv("CI") != "true" {
			t.Skip("the browser flows were skipped, so there is nothing to scan")
		}
		stored := s.db.Dump(t)
		require.NotEmpty(t, stored)
		logs := s.logs.String()
		require.Contains(t, logs, "/pay/", "the access log captured the flows")
		for name, text := range map[string]string{"database": string(stored), "logs": logs} {
			for _, card := range usedCards {
				grouped := card[0:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:]
				assert.NotContains(t, text, card, "%s holds a card number", name)
				assert.NotContains(t, text, grouped, "%s holds a card number", name)
			}
			for _, cvc := range usedCVCs {
				re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + cvc + `([^0-9A-Za-z]|$)`)
				assert.False(t, re.MatchString(text), "%s holds CVC %s", name, cvc)
			}
		}
		// The masked card is what we keep.
		assert.Contains(t, string(stored), successCard[:6])
	})
}

// fillCard types a card into the card form and submits it.
func fillCard(number, cvc string, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS("#card-form"), opts...),
		chromedp.SendKeys(chromedp.CSS("#card_holder"), "AYSE YILMAZ", opts...),
		chromedp.SendKeys(chromedp.CSS("#card_number"), number, opts...),
		chromedp.SetValue(chromedp.CSS("#exp_month"), "12", opts...),
		chromedp.SendKeys(chromedp.CSS("#exp_year"), strconv.Itoa(time.Now().Year()+3), opts...),
		chromedp.SendKeys(chromedp.CSS("#cvc"), cvc, opts...),
		chromedp.Click(chromedp.CSS("#pay-button"), opts...),
	)
}

// bankOTP answers the sandbox bank's SMS-code page.
func bankOTP(otp string, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(`input[name="otp"]`), opts...),
		chromedp.SendKeys(chromedp.CSS(`input[name="otp"]`), otp, opts...),
		chromedp.Submit(chromedp.CSS(`input[name="otp"]`), opts...),
	)
}

// resultStatus waits for our result page and reads the order status it shows.
func resultStatus(t *testing.T, ctx context.Context) string {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#result"))))
	got, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#result"), "data-status"))
	require.NoError(t, err)
	return got.Value
}

// inFrame waits until the document inside the storefront's checkout iframe shows sel and
// returns the option that runs queries there. The frame navigates (card page, bank, result),
// so the iframe node is looked up afresh until its current document has sel.
func inFrame(t *testing.T, ctx context.Context, sel string) chromedp.QueryOption {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#checkout-frame iframe")))
		if err == nil && len(nodes) > 0 {
			from := chromedp.FromNode(nodes[0])
			try, cancel := context.WithTimeout(ctx, 2*time.Second)
			err = chromedp.Do(try, chromedp.WaitVisible(chromedp.CSS(sel), from))
			cancel()
			if err == nil {
				return from
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s never showed inside the storefront's iframe", sel)
	return nil
}
