package orders

import (
	"time"

	"github.com/shopspring/decimal"
)

// Status is an order's state. See DESIGN.md "Order states".
type Status string

// Order states.
const (
	StatusOpen              Status = "open"
	StatusProcessing        Status = "processing"
	StatusPaid              Status = "paid"
	StatusAuthorized        Status = "authorized"
	StatusPartiallyRefunded Status = "partially_refunded"
	StatusRefunded          Status = "refunded"
	StatusExpired           Status = "expired"
	StatusCanceled          Status = "canceled"
)

// Capture modes of an order.
const (
	CaptureAuto   = "auto"
	CaptureManual = "manual"
)

// Merchant is the part of a merchant the store keeps; the rest (credentials, secrets,
// origins) lives in configuration.
type Merchant struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Order is what a merchant asks a buyer to pay.
type Order struct {
	ID                 string
	MerchantID         string
	Reference          string
	Amount             decimal.Decimal
	Currency           string // ISO 4217: TRY, USD, EUR, GBP
	Description        string
	Installments       []int // allowed installment counts; 1 is a single payment
	Capture            string
	Pool               bool
	CommissionScenario int
	SubDealers         []SubDealer
	Buyer              Buyer
	Basket             []BasketItem
	ReturnURL          string
	CancelURL          string
	Locale             string
	Status             Status
	CancelReason       string
	FormToken          string // per-order token the card form must echo back
	MaxAttempts        int
	CreatedAt          time.Time
	UpdatedAt          time.Time
	ExpiresAt          time.Time
	PaidAt             *time.Time
	ApprovedAt         *time.Time
	// Review is the order's needs-review flag; nil when it was never flagged.
	Review *Review

	// Filled by the store's Get methods, oldest first.
	Attempts  []Attempt
	Actions   []Action   // captures, voids, refunds and approvals
	Approvals []Approval // approved shares of a pool payment
}

// SubDealer is one sub-dealer's share of a marketplace order. Optional fields are nil
// when not given; which are required depends on the commission scenario.
type SubDealer struct {
	DealerID                    int64            `json:"dealer_id"`
	Amount                      decimal.Decimal  `json:"amount"`
	DealerCommissionRate        *decimal.Decimal `json:"dealer_commission_rate,omitempty"`
	DealerCommissionAmount      *decimal.Decimal `json:"dealer_commission_amount,omitempty"`
	DealerCommissionFixedAmount *decimal.Decimal `json:"dealer_commission_fixed_amount,omitempty"`
	GroupRevenueRate            *decimal.Decimal `json:"group_revenue_rate,omitempty"`
	GroupRevenueAmount          *decimal.Decimal `json:"group_revenue_amount,omitempty"`
	AmountToBeCommissioned      *decimal.Decimal `json:"amount_to_be_commissioned,omitempty"`
	IsIncludedFixedAmount       bool             `json:"is_included_fixed_amount,omitempty"`
}

// Buyer describes who pays; every field is optional.
type Buyer struct {
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Address string `json:"address,omitempty"`
}

// BasketItem is one line of the order's basket.
type BasketItem struct {
	ProductID   int64           `json:"product_id,omitempty"`
	ProductCode string          `json:"product_code,omitempty"`
	Name        string          `json:"name,omitempty"`
	UnitPrice   decimal.Decimal `json:"unit_price"`
	Quantity    int64           `json:"quantity"`
}

// AttemptStatus is the state of one try to pay an order.
type AttemptStatus string

// Attempt states. An attempt is created (and committed) before Moka is called, becomes
// redirected once Moka answered with the bank URL and CodeForHash, and ends succeeded or
// failed exactly once. An attempt whose Moka call failed ends failed without a redirect.
// An attempt whose bank return never came ends abandoned once Moka confirms it holds no
// payment for it; only a verified success may still end an abandoned attempt.
const (
	AttemptCreated    AttemptStatus = "created"
	AttemptRedirected AttemptStatus = "redirected"
	AttemptSucceeded  AttemptStatus = "succeeded"
	AttemptFailed     AttemptStatus = "failed"
	AttemptAbandoned  AttemptStatus = "abandoned"
)

// Attempt is one try to pay an order through Moka's 3-D flow. It keeps the card's first
// six and last four digits and brand only: never the number or the CVC.
type Attempt struct {
	ID            string // unpredictable; part of the RedirectUrl
	OrderID       string
	OtherTrxCode  string // unique; our reference at Moka
	Status        AttemptStatus
	CodeForHash   string // Moka's secret for the return hash; never shown
	Installments  int
	CardHolder    string
	CardFirst6    string
	CardLast4     string
	CardBrand     string
	Embedded      bool   // started from the iframe (RedirectType 1)
	ParentOrigin  string // the merchant page embedding the iframe, validated against its allowed origins
	TrxCode       string // Moka's trxCode (VirtualPosOrderId) from the return
	ResultCode    string
	ResultMessage string
	BankURL       string // Moka's Data.Url: the bank's 3-D page for this attempt
	// NotCounted marks a failure that was not the buyer's (Moka could not be reached):
	// such an attempt does not use up one of the order's MaxAttempts.
	NotCounted bool
	// DeclineKeys are the card-testing limit keys (internal/checkout/velocity.go) a
	// decline of this attempt counts against: keyed hashes and the client's IP, never
	// the card number. Kept until the attempt ends, so that the bank's return, on any
	// instance, can count its decline.
	DeclineKeys []string
	CreatedAt   time.Time
	CompletedAt *time.Time
}

// CountedAttempts is how many of the order's attempts count against MaxAttempts.
func (o *Order) CountedAttempts() int {
	n := 0
	for _, a := range o.Attempts {
		if !a.NotCounted {
			n++
		}
	}
	return n
}

// succeeded returns the order's attempt that took the money, if any.
func (o *Order) succeeded() *Attempt {
	for i := range o.Attempts {
		if o.Attempts[i].Status == AttemptSucceeded {
			return &o.Attempts[i]
		}
	}
	return nil
}

// InFlight returns the order's attempt that has not ended yet, if any.
func (o *Order) InFlight() *Attempt {
	for i := range o.Attempts {
		if s := o.Attempts[i].Status; s == AttemptCreated || s == AttemptRedirected {
			return &o.Attempts[i]
		}
	}
	return nil
}

// Failure says why an attempt ended without a payment.
type Failure struct {
	ResultCode    string
	ResultMessage string
	// NotCounted: the failure was not the buyer's, so the attempt does not count
	// against the order's MaxAttempts.
	NotCounted bool
	// Declined: Moka refused the card, and the failure counts as a decline against the
	// attempt's DeclineKeys, in the same transaction.
	Declined bool
}

// Event is a row of the outbox: one per state change, written in the same transaction.
type Event struct {
	ID         string
	MerchantID string
	OrderID    string
	Type       string // e.g. "order.paid"
	Payload    []byte // JSON
	CreatedAt  time.Time
}

// Outcome is what a verified bank return says about an attempt.
type Outcome struct {
	// At is when the bank took the money, as Moka's records say; zero means now (a
	// verified bank return arrives as it happens). Moka's day rules for voids and refunds
	// go by this time, so reconciliation passes the payment transaction's date.
	At            time.Time
	Success       bool
	TrxCode       string
	ResultCode    string
	ResultMessage string
	// CountDecline: a failure counts as a card decline against the attempt's
	// DeclineKeys, in the same transaction. The bank's return sets it; reconciliation
	// does not (a failure found there may be a buyer who left the bank's page).
	CountDecline bool
}
