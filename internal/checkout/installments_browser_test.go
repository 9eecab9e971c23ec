package checkout_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/browsertest"
)

// shownOption is an option of the card page's installments select as the buyer sees it.
type shownOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// TestInstallmentTableInABrowser types card numbers into the real card page: the sandbox's
// BIN 418344 offers 1, 2, 3 and 6 installments, and the select then lists those with their
// monthly amounts; BIN 482489 takes a single payment only, and the select keeps only that.
func TestInstallmentTableInABrowser(t *testing.T) {
	ctx := browsertest.New(t, 60*time.Second)
	e := newEnv(t)
	o := e.createOrder(orderBody("BR-TABLE", `"installments":[1,2,3,6]`, `"locale":"en"`))
	page := e.url + "/pay/" + o["id"].(string)

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, actions...), what)
	}
	options := func() []shownOption {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]shownOption](`Array.from(document.querySelectorAll("#installments option"),
			o => ({value: o.value, label: o.textContent}))`))
		require.NoError(t, err)
		return v
	}
	// waitOptions polls until the select shows the bank's table with n options: the table
	// arrives by fetch, and until then the select holds the order's own counts (also 4 of
	// them), labelled without amounts.
	waitOptions := func(n int) []shownOption {
		t.Helper()
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for {
			got := options()
			if len(got) == n && strings.Contains(got[0].Label, "TRY") {
				return got
			}
			select {
			case <-wait.Done():
				t.Fatalf("the installments select shows %d options, want %d: %v", len(got), n, got)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	noteHidden := func() bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("installments-note").hidden`))
		require.NoError(t, err)
		return v
	}

	run("open the card page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#card_number")))
	require.Len(t, options(), 4, "before a BIN, the order's own counts")
	assert.True(t, noteHidden(), "no table note before the bank answered")

	run("type the 1/2/3/6 card", chromedp.SendKeys(chromedp.CSS("#card_number"), successCard))
	assert.Equal(t, []shownOption{
		{"1", "Single payment: TRY 150.00"},
		{"2", "2 × TRY 75.00 = TRY 150.00"},
		{"3", "3 × TRY 50.00 = TRY 150.00"},
		{"6", "6 × TRY 25.00 = TRY 150.00"},
	}, waitOptions(4))
	assert.False(t, noteHidden(), "the note says the table is the card's bank's")

	run("choose 3", chromedp.SetValue(chromedp.CSS("#installments"), "3"))
	run("type the single-payment card",
		chromedp.SetValue(chromedp.CSS("#card_number"), ""),
		chromedp.SendKeys(chromedp.CSS("#card_number"), singlePaymentCard))
	assert.Equal(t, []shownOption{{"1", "Single payment: TRY 150.00"}}, waitOptions(1))
	sel, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#installments")))
	require.NoError(t, err)
	assert.Equal(t, "1", sel, "a count the card cannot take is not left chosen")
}
