// Package templates holds the buyer-facing pages of checkout as templ components. Handlers
// build the view models below; the components only render them.
package templates

import "regexp"

// Page is what every page shares: language, title, iframe mode and merchant branding.
type Page struct {
	Lang         string // "tr" or "en"
	Title        string
	Embedded     bool   // iframe mode: compact layout, frame.js included
	ParentOrigin string // iframe mode: the merchant origin to postMessage to ("" otherwise)
	BrandColor   string // "#RRGGBB" or ""
	LogoURL      string // the merchant's logo on our origin, or ""
	MerchantName string
}

// Installment is one option of the installments select.
type Installment struct {
	Count    int
	Label    string // "3 taksit", or with the bank's table "3 × 50,00 TL = 150,00 TL"
	Selected bool
	// Monthly and Total are decimal strings ("50.00") when the card's bank table was
	// read, else "".
	Monthly, Total string
}

// PayPage is the card form. The card number and CVC are deliberately absent: they are never
// echoed back to the browser, even after a validation error.
type PayPage struct {
	Page
	OrderID, Amount, Description  string // Amount formatted for display, e.g. "150,00 TL" / "TRY 150.00"
	Action                        string // form action URL
	FormToken                     string
	Installments                  []Installment     // len <= 1: no choice shown, hidden installments=1
	InstallmentsURL               string            // the card's bank table for card.js (?bin=); "" without a choice
	InstallmentsNote              string            // says the options shown are the card's
	TableChecked                  bool              // Installments come from the card's bank table
	CardHolder, ExpMonth, ExpYear string            // echoed back after an error (not a holder with 12+ digits: holderValue); card number and CVC NEVER
	Errors                        map[string]string // form field name -> message
	Alert                         string            // general message, e.g. a declined card
	CancelURL                     string
}

// ResultPage shows the outcome of a payment attempt.
type ResultPage struct {
	Page
	OrderID, Status          string // order status
	Success, Pending         bool
	Heading, Message, Amount string
	ContinueURL              string // merchant return_url (already with ?order=&status=), or ""
	RetryURL                 string // when the buyer may try again, else ""
	Failed                   bool   // the attempt failed (Message already says why, in our words)
	BankDetail               string // the bank's own text of a failure, shown as a detail, or ""
	ShopURL                  string // after a failure with no ContinueURL: cancel_url, else return_url, or ""
}

// MessagePage is a plain page for errors and notices (not found, expired, forbidden link,
// payment in progress with a link back to the bank).
type MessagePage struct {
	Page
	StatusCode        int
	Heading, Message  string
	LinkURL, LinkText string
}

var brandColorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// brandColor returns c when it is a "#RRGGBB" color, else "". Scripts read it from a data
// attribute, so nothing else may reach the page.
func brandColor(c string) string {
	if brandColorRE.MatchString(c) {
		return c
	}
	return ""
}

func (p Page) lang() string {
	if _, ok := labelSets[p.Lang]; ok {
		return p.Lang
	}
	return "tr"
}

func (p Page) l() labels { return labelSets[p.lang()] }

func (p Page) bodyClass() string {
	if p.Embedded {
		return "embedded"
	}
	return "full"
}

func (p Page) title() string {
	switch {
	case p.Title != "" && p.MerchantName != "":
		return p.Title + " · " + p.MerchantName
	case p.Title != "":
		return p.Title
	case p.MerchantName != "":
		return p.MerchantName
	}
	return p.l().SecurePayment
}

// sameMonth reports whether the echoed month (which may be "3" or "03") is option m.
func sameMonth(echoed, m string) bool {
	if len(echoed) == 1 {
		echoed = "0" + echoed
	}
	return echoed == m
}
