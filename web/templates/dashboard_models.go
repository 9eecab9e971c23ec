package templates

// DashPage is what every dashboard page shares: who is logged in, for which merchant, the
// session's CSRF token for the forms, the language and which section is open.
type DashPage struct {
	Lang         string // "tr" or "en"
	Title        string
	Email        string
	MerchantName string
	CSRF         string
	Active       string // nav section: "orders", "review", "transactions", "links", "audit", "settings"
	// Flash is a one-line notice at the top (an action done, or refused when FlashError).
	Flash      string
	FlashError bool
	// LangURL is this page in the other language.
	LangURL string
}

// DashLoginPage is the login form.
type DashLoginPage struct {
	Lang, Title string
	Email, Next string
	Error       string
	LangURL     string
}

// DashMessagePage is a dashboard notice (session ended, refused form, not found).
type DashMessagePage struct {
	Lang, Title      string
	Heading, Message string
	LinkURL          string
}

// dashNav is the dashboard's navigation, in order.
var dashNav = []struct{ Key, Path string }{
	{"orders", "/dashboard/orders"},
	{"review", "/dashboard/review"},
	{"transactions", "/dashboard/transactions"},
	{"links", "/dashboard/links"},
	{"audit", "/dashboard/audit"},
	{"settings", "/dashboard/settings"},
}

// DT is a dashboard text in lang ("tr" by default); a key without a text shows itself, so
// a missing translation is seen, not hidden.
func DT(lang, key string) string {
	if t, ok := dashTexts[key]; ok {
		if lang == "en" {
			return t[1]
		}
		return t[0]
	}
	return key
}

// DashOrderRow is one order in the dashboard's list. Amounts are formatted for people.
type DashOrderRow struct {
	ID, Reference, Status, StatusText, Amount, Paid, Created, Card string
}

// DashOrdersPage is the list of the merchant's orders.
type DashOrdersPage struct {
	DashPage
	Rows     []DashOrderRow
	NextURL  string // the next page, or ""
	FirstURL string // the first page, when this is a later one
	// The filters as given.
	Status, From, To, Query string
	Statuses                []string
	// Errors are the filters that could not be read; the list is then empty.
	Errors []string
	Totals []DashTotal
}

// DashTotal sums one currency's orders of the filtered range.
type DashTotal struct {
	Currency               string
	Count                  int
	Amount, Paid, Refunded string
}

// DashNotice is a message at the top of an order page: what became of an action, or why
// it was refused, with Moka's code beside it.
type DashNotice struct {
	Text     string
	Detail   string // the refusal's details, when they add to Text
	MokaCode string
	Error    bool
}

// DashLine is one labelled value of an order page; Name identifies it (data-fact,
// data-line).
type DashLine struct {
	Name, Label, Value string
}

// DashSubDealer is one sub-dealer's share of a marketplace order.
type DashSubDealer struct {
	DealerID   int64
	Amount     string
	ApprovedAt string // "" while not approved (pool payments)
}

// DashTimelineItem is one step of an order's history: an attempt, an action or an event.
type DashTimelineItem struct {
	Kind       string // "attempt", "action" or "event"
	ID         string
	When       string // Europe/Istanbul
	Title      string
	Status     string // the raw status, for styling and tests
	StatusText string
	Amount     string
	Lines      []DashLine
	MokaCode   string
	Message    string
}

// DashPart is one sub-dealer's part in an action form: its input's default and its most.
type DashPart struct {
	DealerID       int64
	Default, Limit string // Default as typed into the input; Limit formatted
}

// DashAmountForm is a capture or refund form: the amount to edit and, for a marketplace
// order of several sub-dealers, each one's part.
type DashAmountForm struct {
	Default string // the input's default, as the language writes decimals
	Limit   string // the most, formatted
	Parts   []DashPart
}

// DashDealerChoice is a sub-dealer that may be approved.
type DashDealerChoice struct {
	DealerID int64
	Amount   string
}

// DashApproveForm approves a pool payment, as a whole or per sub-dealer.
type DashApproveForm struct {
	Dealers []DashDealerChoice // empty: a pool payment without sub-dealers
}

// DashOrderPage is one order: its facts, its timeline and the actions it allows now.
type DashOrderPage struct {
	DashPage
	ID, Reference, Status, StatusText string
	Notice                            *DashNotice
	Facts                             []DashLine
	SubDealers                        []DashSubDealer
	Timeline                          []DashTimelineItem
	// The forms of the actions the order allows now; nil when it does not.
	Capture *DashAmountForm
	Refund  *DashAmountForm
	Cancel  string // the amount a cancel voids, formatted; "" when not possible
	Approve *DashApproveForm
	Hints   []string // why an action is not possible now, when that helps
	// Deliveries are the webhook deliveries of the order's events.
	Deliveries DashDeliveries
}

// DashHidden is a hidden form field.
type DashHidden struct{ Name, Value string }

// DashConfirmPage asks to confirm an action, repeating exactly what will be done.
type DashConfirmPage struct {
	DashPage
	OrderID, Reference string
	Action             string // capture, refund, cancel, approve: the form's path
	Question           string // e.g. "Capture 100,00 TL of order X?"
	Note               string // e.g. that a full refund today is a cancel
	Lines              []DashLine
	Fields             []DashHidden // the request, the idempotency key and confirm=1
}

// HasDT reports whether key has a dashboard text, for values (audit actions, Moka codes)
// that may come without one.
func HasDT(key string) bool {
	_, ok := dashTexts[key]
	return ok
}

// DashOption is one choice of a select.
type DashOption struct{ Value, Text string }

// DashFieldError is a form field's error: the field's name, the id of its input (for the
// error summary's link and aria-describedby) and the message in plain words.
type DashFieldError struct{ Field, InputID, Message string }

// pagesErrOf is the message of field among errs, or "".
func pagesErrOf(errs []DashFieldError, field string) string {
	for _, e := range errs {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// DashTrxRow is one Moka transaction in the dashboard's list.
type DashTrxRow struct {
	ID, Date, Type, TypeText, Status, StatusText, Amount, Card    string
	Description, SubDealers, OrderID, OtherTrxCode, ResultMessage string
}

// DashTrxPage is Moka's transaction list with the API's filters.
type DashTrxPage struct {
	DashPage
	// The filters as given, or defaulted (the last seven days).
	From, To, Type, Status, SubDealer string
	Types, Statuses                   []DashOption
	Errors                            []DashFieldError
	// MokaError is why Moka gave no list, in plain words; MokaCode is Moka's code.
	MokaError, MokaCode string
	Window              string // the window read, in Istanbul time; "" when the filters are wrong
	Total               int    // transactions in the window
	Rows                []DashTrxRow
	NextURL, FirstURL   string
	CSVURL              string // the same filters as CSV; "" when there is nothing to export
}

// DashLink is a payment link made in the dashboard.
type DashLink struct {
	URL                        string
	QRURL, QRDownloadURL       string
	Amount, Reference, Expires string
	Description                string
	Expired                    bool
}

// DashLinksPage is the payment link form, and the link made when there is one.
type DashLinksPage struct {
	DashPage
	Amount, Currency, Reference, Description, Expiry string
	Currencies                                       []string
	Expiries                                         []DashOption
	Errors                                           []DashFieldError
	Link                                             *DashLink
}

// DashSettingsPage is the merchant's configuration, read-only.
type DashSettingsPage struct {
	DashPage
	MerchantID, Name        string
	Origins, ReturnPrefixes []string
	Installments            string
	WebhookURL              string // "" when not set
	KeyFingerprint          string // the last 4 hex digits of the API key's SHA-256
}

// DashAuditRow is one audit log entry.
type DashAuditRow struct {
	When, Email, IP, Action, ActionText, OrderID, Detail string
}

// DashAuditPage is the merchant's audit log, newest first, at most Limit entries.
type DashAuditPage struct {
	DashPage
	Rows  []DashAuditRow
	Limit int
}

// DashFact is one labelled fact.
type DashFact struct{ Label, Value string }

// DashReviewItem is one order that needs a person, and why.
type DashReviewItem struct {
	OrderID, Reference, Reason, ReasonText string
	Facts                                  []DashFact
	Known, Todo                            string // what is known and what to do, in plain words
}

// DashReviewPage lists the orders that need review.
type DashReviewPage struct {
	DashPage
	Items []DashReviewItem
}

// DashDeliveries are the webhook deliveries of one order's events, newest first.
type DashDeliveries struct {
	Configured bool // the merchant has a webhook_url: events are sent, and may be redelivered
	Rows       []DashDelivery
}

// DashDelivery is one event of an order and where its webhook delivery stands.
type DashDelivery struct {
	EventID, Type, TypeText, When string
	State, StateText              string // pending, delivered, failed; "none" when never queued
	Tries                         int
	// LastStatus is the HTTP status of the last try ("" before any try, or when it got no
	// answer); LastError why it failed.
	LastStatus, LastError string
	NextTry, DeliveredAt  string // formatted times; "" when not applicable
}

// DashFlaggedOrder is one order flagged for review, with the form that marks it resolved.
type DashFlaggedOrder struct {
	OrderID, Reference, Reason, ReasonText string
	Detail                                 string // what was found (English, as recorded)
	Facts                                  []DashFact
	Todo                                   string // what to do, in plain words
	ResolveURL                             string
	// Note is the note typed, shown again with Error when the resolution was refused.
	Note, Error string
}

// DashReviewQueue is the review page: the orders flagged for review first, then what the
// checkout derives from events and ages (DashReviewPage's items).
type DashReviewQueue struct {
	DashReviewPage
	Flagged []DashFlaggedOrder
}
