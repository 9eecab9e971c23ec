package checkout

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/orders"
)

// orderInput is a new order as the API or a storefront link gives it, amounts already
// read from their strings. validateOrder applies the same rules to both.
type orderInput struct {
	Reference          string
	Amount             decimal.Decimal
	Currency           string
	Description        string
	Installments       []int
	Capture            string
	Pool               bool
	CommissionScenario int
	SubDealers         []orders.SubDealer
	Buyer              orders.Buyer
	Basket             []orders.BasketItem
	ReturnURL          string
	CancelURL          string
	Locale             string
	ExpiresIn          string // Go duration; "" = the server's default
}

var (
	amountRE = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)
	rateRE   = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,4})?$`)
)

// maxAmount is the largest amount any money field takes. Without a ceiling a 20-digit
// amount would be stored, shown to the buyer and sent to Moka, though no card can pay it;
// 99,999,999.99 is far above any single card payment.
var maxAmount = decimal.RequireFromString("99999999.99")

// CheckAmount reports why text is not an amount the checkout takes (as a link's or an
// order's amount), or nil; `checkout link` uses it so it never signs a link we refuse.
func CheckAmount(text string) error {
	if _, err := parseAmount(text, "amount"); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return errors.New(ae.Message)
		}
		return err
	}
	return nil
}

// parseAmount reads a money amount: digits with at most two decimals, more than zero and
// at most maxAmount.
func parseAmount(text, field string) (decimal.Decimal, error) {
	if !amountRE.MatchString(text) {
		return decimal.Decimal{}, badRequest("amount_invalid", field,
			field+" must be a string with digits and at most two decimals, like \"150.00\"")
	}
	d, err := decimal.NewFromString(text)
	if err != nil || !d.IsPositive() {
		return decimal.Decimal{}, badRequest("amount_invalid", field, field+" must be more than zero")
	}
	if d.GreaterThan(maxAmount) {
		return decimal.Decimal{}, badRequest("amount_invalid", field, field+" must be at most 99999999.99")
	}
	return d, nil
}

// parseOptionalDecimal reads a sub-dealer's optional amount or rate: zero or more, with
// at most two decimals for amounts (and at most maxAmount) and four for rates.
func parseOptionalDecimal(text, field string, rate bool) (*decimal.Decimal, error) {
	re := amountRE
	if rate {
		re = rateRE
	}
	if !re.MatchString(text) {
		return nil, badRequest(codeForField(field), field, field+" must be a non-negative decimal string")
	}
	d, err := decimal.NewFromString(text)
	if err != nil {
		return nil, badRequest(codeForField(field), field, field+" must be a non-negative decimal string")
	}
	if !rate && d.GreaterThan(maxAmount) {
		return nil, badRequest(codeForField(field), field, field+" must be at most 99999999.99")
	}
	return &d, nil
}

// codeForField names the error code of a field: sub_dealers[0].amount -> amount_invalid.
func codeForField(field string) string {
	last := field
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		last = field[i+1:]
	}
	if i := strings.IndexByte(last, '['); i >= 0 {
		last = last[:i]
	}
	if strings.HasSuffix(last, "amount") || strings.HasSuffix(last, "price") {
		return "amount_invalid"
	}
	return last + "_invalid"
}

var currencies = []string{"TRY", "USD", "EUR", "GBP"}

// validateOrder checks in against DESIGN.md's rules and merchant m's settings and returns
// the order to create. Errors are *apiError naming the field.
func (s *Server) validateOrder(m *merchant, in orderInput) (*orders.Order, error) {
	ref := strings.TrimSpace(in.Reference)
	switch {
	case ref == "":
		return nil, badRequest("reference_invalid", "reference", "reference is required")
	case len([]rune(ref)) > 64 || strings.IndexFunc(ref, unicode.IsControl) >= 0:
		return nil, badRequest("reference_invalid", "reference", "reference must be at most 64 characters")
	}
	if !in.Amount.IsPositive() {
		return nil, badRequest("amount_invalid", "amount", "amount must be more than zero")
	}
	if !slices.Contains(currencies, in.Currency) {
		return nil, badRequest("currency_invalid", "currency", "currency must be one of TRY, USD, EUR, GBP")
	}
	if len([]rune(in.Description)) > 200 {
		return nil, badRequest("description_invalid", "description", "description must be at most 200 characters")
	}
	if err := checkTexts([2]string{"reference", in.Reference}, [2]string{"description", in.Description},
		[2]string{"buyer.name", in.Buyer.Name}, [2]string{"buyer.email", in.Buyer.Email},
		[2]string{"buyer.phone", in.Buyer.Phone}, [2]string{"buyer.address", in.Buyer.Address}); err != nil {
		return nil, err
	}
	for i, b := range in.Basket {
		if err := checkTexts([2]string{fmt.Sprintf("basket[%d].name", i), b.Name},
			[2]string{fmt.Sprintf("basket[%d].product_code", i), b.ProductCode}); err != nil {
			return nil, err
		}
	}
	if len(in.SubDealers) > MaxSubDealers {
		return nil, badRequest("sub_dealers_invalid", "sub_dealers", fmt.Sprintf("at most %d sub-dealers", MaxSubDealers))
	}
	installments, err := checkInstallments(in.Installments, in.Currency)
	if err != nil {
		return nil, err
	}
	capture := in.Capture
	if capture == "" {
		capture = orders.CaptureAuto
	}
	if capture != orders.CaptureAuto && capture != orders.CaptureManual {
		return nil, badRequest("capture_invalid", "capture", "capture must be auto or manual")
	}
	if err := s.checkMarketplace(in); err != nil {
		return nil, err
	}
	if err := checkReturnURL(m, in.ReturnURL, "return_url"); err != nil {
		return nil, err
	}
	if err := checkReturnURL(m, in.CancelURL, "cancel_url"); err != nil {
		return nil, err
	}
	if in.Locale != "" && in.Locale != "tr" && in.Locale != "en" {
		return nil, badRequest("locale_invalid", "locale", "locale must be tr or en")
	}
	expiry := s.opts.DefaultExpiry
	if in.ExpiresIn != "" {
		d, err := time.ParseDuration(in.ExpiresIn)
		if err != nil || d < time.Minute || d > 720*time.Hour {
			return nil, badRequest("expires_in_invalid", "expires_in", "expires_in must be a duration from 1m to 720h, like \"30m\"")
		}
		expiry = d
	}
	if err := checkBuyerAndBasket(in); err != nil {
		return nil, err
	}
	return &orders.Order{
		MerchantID:         m.ID,
		Reference:          ref,
		Amount:             in.Amount,
		Currency:           in.Currency,
		Description:        in.Description,
		Installments:       installments,
		Capture:            capture,
		Pool:               in.Pool,
		CommissionScenario: in.CommissionScenario,
		SubDealers:         in.SubDealers,
		Buyer:              in.Buyer,
		Basket:             in.Basket,
		ReturnURL:          in.ReturnURL,
		CancelURL:          in.CancelURL,
		Locale:             in.Locale,
		MaxAttempts:        s.opts.MaxAttempts,
		ExpiresAt:          s.now().Add(expiry),
	}, nil
}

// checkInstallments returns the sorted, unique counts: each 1..12, and only a single
// payment in foreign currency (Moka allows no installments there). None given means [1].
func checkInstallments(list []int, currency string) ([]int, error) {
	if len(list) == 0 {
		return []int{1}, nil
	}
	var out []int
	for i, n := range list {
		field := fmt.Sprintf("installments[%d]", i)
		if n < 1 || n > 12 {
			return nil, badRequest("installments_invalid", field, "installment counts must be from 1 to 12")
		}
		if currency != "TRY" && n != 1 {
			return nil, badRequest("installments_invalid", field, "installments are only possible in TRY")
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// checkReturnURL allows an absolute http(s) URL under one of the merchant's prefixes
// (see underReturnPrefix).
func checkReturnURL(m *merchant, raw, field string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return badRequest(field+"_invalid", field, field+" must be an absolute http or https URL")
	}
	for _, p := range m.ReturnURLPrefixes {
		if underReturnPrefix(raw, p) {
			return nil
		}
	}
	return badRequest(field+"_invalid", field, field+" must be under one of the merchant's allowed return URL prefixes: the same scheme and host, and the prefix's path or below it")
}

// underReturnPrefix reports whether raw is under the allowed return URL prefix. It is
// the one check of return_url and cancel_url, from the API and from storefront links.
//
// A plain string prefix is not enough: "https://shop.example" would admit
// "https://shop.example.evil.net/" and "https://shop.example@evil.net/". So the scheme and
// the host (with its port) must equal the prefix's, ignoring case, and the path must be
// the prefix's path or below it on a "/" boundary: "/shop" admits "/shop" and "/shop/x"
// but not "/shopping"; an empty or "/" path admits every path. URLs a browser would
// read differently from Go are refused outright: user info, backslashes (browsers take
// them for "/") and "." or ".." segments (browsers resolve them, even percent-encoded,
// which could climb out of the prefix's path).
func underReturnPrefix(raw, prefix string) bool {
	if prefix == "" || strings.ContainsRune(raw, '\\') {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || hasDotSegment(u.Path) {
		return false
	}
	p, err := url.Parse(prefix)
	if err != nil || p.User != nil || p.Host == "" || p.RawQuery != "" || p.Fragment != "" || hasDotSegment(p.Path) {
		return false
	}
	if (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Scheme, p.Scheme) ||
		!strings.EqualFold(u.Host, p.Host) {
		return false
	}
	base := strings.TrimSuffix(p.Path, "/")
	return base == "" || u.Path == base || strings.HasPrefix(u.Path, base+"/")
}

// hasDotSegment reports whether a decoded URL path has a "." or ".." segment.
func hasDotSegment(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

func checkBuyerAndBasket(in orderInput) error {
	for field, v := range map[string]string{
		"buyer.name": in.Buyer.Name, "buyer.email": in.Buyer.Email,
		"buyer.phone": in.Buyer.Phone, "buyer.address": in.Buyer.Address,
	} {
		if len([]rune(v)) > 200 {
			return badRequest(codeForField(field), field, field+" must be at most 200 characters")
		}
	}
	for i, item := range in.Basket {
		if item.Quantity < 1 {
			field := fmt.Sprintf("basket[%d].quantity", i)
			return badRequest("quantity_invalid", field, field+" must be at least 1")
		}
	}
	return nil
}
