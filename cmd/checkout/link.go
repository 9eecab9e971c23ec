package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mokacheckout/checkout/internal/checkout"

	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/links"
)

// linkParams are the order fields a storefront link carries.
type linkParams struct {
	Merchant, Reference, Amount, Currency, Description string
	Installments, ReturnURL, Locale                    string
}

// signedLink builds <publicURL>/link?... signed with the merchant's link secret.
func signedLink(publicURL, secret string, p linkParams, expires time.Time) string {
	q := url.Values{}
	for _, kv := range [][2]string{
		{"merchant", p.Merchant}, {"reference", p.Reference}, {"amount", p.Amount},
		{"currency", p.Currency}, {"description", p.Description},
		{"installments", p.Installments}, {"return_url", p.ReturnURL}, {"locale", p.Locale},
	} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	return publicURL + "/link?" + links.SignedQuery(secret, q, expires).Encode()
}

// runLink prints a signed storefront link. Without -config it signs for the demo merchant
// with the demo secret, for the demo checkout's public URL.
func runLink(args []string, getenv func(string) string, now time.Time, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("link", flag.ContinueOnError)
	var p linkParams
	path := fs.String("config", getenv(config.EnvConfig), "config file for the merchant's link secret and the public URL (default: demo)")
	fs.StringVar(&p.Merchant, "merchant", config.DemoMerchantID, "merchant id")
	fs.StringVar(&p.Reference, "reference", "", "merchant's order reference (default LINK-<unix time>)")
	fs.StringVar(&p.Amount, "amount", "150.00", "amount, at most 2 fraction digits")
	fs.StringVar(&p.Currency, "currency", "TRY", "TRY, USD, EUR or GBP")
	fs.StringVar(&p.Description, "description", "", "order description shown to the buyer")
	fs.StringVar(&p.Installments, "installments", "", "installment counts offered, e.g. 1,2,3,6 (TRY only)")
	fs.StringVar(&p.ReturnURL, "return-url", "", "where the buyer continues after paying")
	fs.StringVar(&p.Locale, "locale", "", "tr or en")
	expiresIn := fs.Duration("expires", time.Hour, "how long the link stays valid")
	if done, err := parseFlags(fs, args, stderr); done {
		return err
	}
	if err := checkLinkParams(&p, *expiresIn, now); err != nil {
		return fmt.Errorf("link: %w", err)
	}

	cfg := config.Demo(getenv)
	if *path != "" {
		var err error
		if cfg, err = config.Load(*path, getenv, os.ReadFile); err != nil {
			return err
		}
	}
	m, ok := cfg.Merchant(p.Merchant)
	if !ok {
		return fmt.Errorf("link: no merchant %q", p.Merchant)
	}
	fmt.Fprintln(stdout, signedLink(cfg.PublicURL, m.LinkSecret.Value(), p, now.Add(*expiresIn)))
	return nil
}

// checkLinkParams catches mistakes before printing a link checkout would refuse anyway.
func checkLinkParams(p *linkParams, expiresIn time.Duration, now time.Time) error {
	if p.Reference == "" {
		p.Reference = "LINK-" + strconv.FormatInt(now.Unix(), 10)
	}
	if err := checkout.CheckAmount(p.Amount); err != nil {
		return fmt.Errorf("-amount %q: %v", p.Amount, err)
	}
	p.Currency = strings.ToUpper(p.Currency)
	switch p.Currency {
	case "TRY", "USD", "EUR", "GBP":
	default:
		return fmt.Errorf("-currency %q: want TRY, USD, EUR or GBP", p.Currency)
	}
	for _, n := range strings.Split(p.Installments, ",") {
		if p.Installments == "" {
			break
		}
		if c, err := strconv.Atoi(strings.TrimSpace(n)); err != nil || c < 1 || c > 12 {
			return fmt.Errorf("-installments %q: want counts 1-12 separated by commas", p.Installments)
		}
	}
	if p.ReturnURL != "" {
		if u, err := url.Parse(p.ReturnURL); err != nil || !u.IsAbs() {
			return fmt.Errorf("-return-url %q: want an absolute URL", p.ReturnURL)
		}
	}
	if expiresIn <= 0 {
		return errors.New("-expires must be positive")
	}
	return nil
}
