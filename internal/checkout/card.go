package checkout

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

const (
	// maxHolderRunes bounds the name on the card. Moka documents no limit for
	// CardHolderFullName; the card page's maxlength is the same number.
	maxHolderRunes = 100
	// cardNumberDigits or more digits make the holder field a card number, not a name:
	// the shortest card number has 12 digits, and no name needs that many.
	cardNumberDigits = 12
)

// cardInput is what the buyer typed. Number and CVC live only in memory for the length
// of the request: they go to Moka and nowhere else.
type cardInput struct {
	Holder       string
	Number       string // digits only after normalize
	ExpMonth     int
	ExpYear      int // four digits
	CVC          string
	Installments int
}

// cardNumberSeparators are what a buyer may type between a card number's digits. A
// Replacer is built on its first use, so it is made once, not for every card post.
var cardNumberSeparators = strings.NewReplacer(" ", "", "-", "")

// cardForm reads and checks the card form. It returns the card and a map of form field
// to message key; an empty map means the card may be sent to Moka. allowed lists the
// installment counts on offer.
func cardForm(get func(string) string, allowed []int, now time.Time, loc *time.Location) (cardInput, map[string]string) {
	errs := map[string]string{}
	in := cardInput{Holder: strings.Join(strings.Fields(get("card_holder")), " ")}
	switch {
	case in.Holder == "":
		errs["card_holder"] = errCardHolder
	case holderDigits(in.Holder) >= cardNumberDigits:
		// Most likely the card number typed into the wrong field: it must go neither to
		// the store (the attempt keeps the holder) nor to Moka as a name.
		errs["card_holder"] = errCardHolderDigits
		in.Holder = ""
	case len([]rune(in.Holder)) > maxHolderRunes:
		errs["card_holder"] = errCardHolderLong
	case badText(in.Holder) != "":
		// Control or invisible formatting characters (a bidi override could make the name
		// read as another): not a name anyone has.
		errs["card_holder"] = errCardHolder
		in.Holder = ""
	}

	number := cardNumberSeparators.Replace(get("card_number"))
	switch {
	case len(number) < 12 || len(number) > 19 || !allDigits(number):
		errs["card_number"] = errCardNumber
	case !luhn(number):
		errs["card_number"] = errCardLuhn
	default:
		in.Number = number
	}

	month, err := strconv.Atoi(strings.TrimSpace(get("exp_month")))
	if err != nil || month < 1 || month > 12 {
		errs["exp_month"] = errExpMonth
	}
	in.ExpMonth = month

	yearText := strings.TrimSpace(get("exp_year"))
	year, err := strconv.Atoi(yearText)
	switch {
	case err != nil || !allDigits(yearText) || (len(yearText) != 2 && len(yearText) != 4):
		errs["exp_year"] = errExpYear
	default:
		if len(yearText) == 2 {
			year += 2000
		}
		in.ExpYear = year
		local := now.In(loc)
		if year > local.Year()+25 {
			errs["exp_year"] = errExpYear
		} else if _, bad := errs["exp_month"]; !bad {
			// A card is good through the last day of its expiry month, Turkish time.
			end := time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, loc)
			if !local.Before(end) {
				errs["exp_year"] = errExpired
			}
		}
	}

	cvcLen, cvcErr := 3, errCVC3
	if cardBrand(number) == "amex" {
		cvcLen, cvcErr = 4, errCVC4
	}
	in.CVC = strings.TrimSpace(get("cvc"))
	if len(in.CVC) != cvcLen || !allDigits(in.CVC) {
		errs["cvc"] = cvcErr
		in.CVC = ""
	}

	n, err := strconv.Atoi(strings.TrimSpace(get("installments")))
	if strings.TrimSpace(get("installments")) == "" && len(allowed) == 1 {
		n, err = allowed[0], nil
	}
	if err != nil || !containsInt(allowed, n) {
		errs["installments"] = errInstallments
	}
	in.Installments = n
	if len(errs) > 0 {
		in.Number, in.CVC = "", ""
	}
	return in, errs
}

// cardBrand names the card scheme from the number's first digits, for display and for
// the CVC length: Amex has four digits.
func cardBrand(number string) string {
	prefix := func(n int) int {
		if len(number) < n {
			return -1
		}
		v, err := strconv.Atoi(number[:n])
		if err != nil {
			return -1
		}
		return v
	}
	// The same table as web/static/card.js, so the page and the attempt agree.
	switch p2, p4 := prefix(2), prefix(4); {
	case p4 == 9792 || p2 == 65:
		return "troy"
	case p2 == 34 || p2 == 37:
		return "amex"
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return "mastercard"
	case strings.HasPrefix(number, "4"):
		return "visa"
	case p2 == 50, p2 >= 56 && p2 <= 69:
		return "maestro"
	}
	return "unknown"
}

func luhn(number string) bool {
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// holderDigits counts the digits of a holder name, in any script: a card number typed
// with full-width digits is still a card number.
func holderDigits(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func containsInt(list []int, n int) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// minHiddenDigits is how many of a card number's digits are never kept: with fewer hidden,
// the Luhn digit and the brand's ranges would let the number be guessed.
const minHiddenDigits = 6

// cardPrefix is as much of the card number's start as may be kept: the first six digits
// (PCI DSS 3.4.1's "first six, last four") when at least minHiddenDigits stay hidden
// between them and the last four, fewer for a short number (12 digits: the first two).
func cardPrefix(number string) string {
	n := min(6, len(number)-4-minHiddenDigits)
	if n <= 0 {
		return ""
	}
	return number[:n]
}
