package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/mokacheckout/checkout/internal/config"
)

// demoCard is the sandbox test card that succeeds through the card form (Luhn-valid).
// The seed samples' 5269552233334444 fails the Luhn check, so the form would refuse it.
const demoCard = "4183441122223339"

// runDemo starts the checkout, the Moka sandbox and the example storefront with the
// published demo values, and prints how to try them.
func runDemo(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Demo(getenv)
	if err := cfg.Validate(); err != nil {
		return err
	}
	return start(ctx, cfg, stdout, stderr, func() { printBanner(stdout, cfg, time.Now()) })
}

func printBanner(w io.Writer, cfg *config.Config, now time.Time) {
	m := cfg.Merchants[0]
	shop := cfg.StorefrontURL()
	link := signedLink(cfg.PublicURL, m.LinkSecret.Value(), linkParams{
		Merchant:    m.ID,
		Reference:   "DEMO-" + strconv.FormatInt(now.Unix(), 10),
		Amount:      "150.00",
		Currency:    "TRY",
		Description: "Demo order",
		ReturnURL:   shop + "/thanks",
	}, now.Add(24*time.Hour))
	fmt.Fprintf(w, `Checkout demo is running (Ctrl-C stops it).

  Checkout:      %[1]s
  Moka sandbox:  %[2]s   (the "bank", on its own origin)
  Storefront:    %[3]s   (an example shop: pay by link or in an iframe)
  Database:      %[4]s

Demo merchant %[5]q (%[6]s), API key: %[7]s
Dashboard:     %[1]s/dashboard   (log in as %[11]s, password %[12]s)
Metrics:       http://%[13]s/metrics   (Prometheus)

Create an order:
  curl -s %[1]s/api/v1/orders \
    -H 'Authorization: Bearer %[7]s' -H 'Content-Type: application/json' \
    -d '{"reference":"DEMO-API-%[8]d","amount":"150.00","currency":"TRY","description":"Demo order","return_url":"%[3]s/thanks"}'

Ready checkout link (150.00 TRY, valid 24h):
  %[9]s

Sandbox test card: %[10]s, any future expiry, CVC 000; 3-D Secure code (OTP): 123456
(More test cards in the README. Moka's sample card 5269552233334444 fails the Luhn check, so
the card page refuses it; it works only in requests sent straight to the sandbox's Moka API.)

Make the sandbox fail on purpose, then clear it:
  curl -s -X POST %[2]s/_sandbox/fault -d status500=true
  curl -s -X DELETE %[2]s/_sandbox/fault
`, cfg.PublicURL, cfg.Sandbox.PublicURL, shop, cfg.DB, m.ID, m.Name, m.APIKey.Value(), now.Unix(), link, demoCard,
		config.DemoUserEmail, config.DemoUserPassword, cfg.MetricsAddr)
}
