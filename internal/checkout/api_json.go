package checkout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/orders"
)

// createOrderRequest is the body of POST /api/v1/orders. Amounts are json.RawMessage so
// that a JSON number can be refused by name: money in our API is always a string.
type createOrderRequest struct {
	Reference          string              `json:"reference"`
	Amount             json.RawMessage     `json:"amount"`
	Currency           string              `json:"currency"`
	Description        string              `json:"description"`
	Installments       []int               `json:"installments"`
	Capture            string              `json:"capture"`
	Pool               bool                `json:"pool"`
	CommissionScenario int                 `json:"commission_scenario"`
	SubDealers         []subDealerRequest  `json:"sub_dealers"`
	Buyer              orders.Buyer        `json:"buyer"`
	Basket             []basketItemRequest `json:"basket"`
	ReturnURL          string              `json:"return_url"`
	CancelURL          string              `json:"cancel_url"`
	Locale             string              `json:"locale"`
	ExpiresIn          string              `json:"expires_in"`
}

type subDealerRequest struct {
	DealerID                    int64           `json:"dealer_id"`
	Amount                      json.RawMessage `json:"amount"`
	DealerCommissionRate        json.RawMessage `json:"dealer_commission_rate"`
	DealerCommissionAmount      json.RawMessage `json:"dealer_commission_amount"`
	DealerCommissionFixedAmount json.RawMessage `json:"dealer_commission_fixed_amount"`
	GroupRevenueRate            json.RawMessage `json:"group_revenue_rate"`
	GroupRevenueAmount          json.RawMessage `json:"group_revenue_amount"`
	AmountToBeCommissioned      json.RawMessage `json:"amount_to_be_commissioned"`
	IsIncludedFixedAmount       bool            `json:"is_included_fixed_amount"`
}

type basketItemRequest struct {
	ProductID   int64           `json:"product_id"`
	ProductCode string          `json:"product_code"`
	Name        string          `json:"name"`
	UnitPrice   json.RawMessage `json:"unit_price"`
	Quantity    int64           `json:"quantity"`
}

// decodeStrict decodes exactly one JSON object, refusing unknown fields by name.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			field := te.Field
			return badRequest(codeForField(field), field, fmt.Sprintf("%s must be a JSON %s", field, jsonKind(te.Type.Kind().String())))
		case errors.As(err, &se), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return badRequest("invalid_json", "", "the body must be one JSON object")
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			return badRequest("unknown_field", name, fmt.Sprintf("unknown field %q", name))
		}
		return badRequest("invalid_json", "", "the body must be one JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("invalid_json", "", "the body must be one JSON object")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	}
	return "number"
}

// jsonString reads a raw JSON value that must be a string. present is false when the
// field was absent or null.
func jsonString(raw json.RawMessage, field string) (s string, present bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	if raw[0] != '"' {
		return "", true, badRequest(codeForField(field), field, field+" must be a JSON string, like \"150.00\"")
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, badRequest(codeForField(field), field, field+" must be a JSON string")
	}
	return s, true, nil
}

// toInput turns the request into an orderInput, reading every amount from its string.
func (r *createOrderRequest) toInput() (orderInput, error) {
	in := orderInput{
		Reference: r.Reference, Currency: r.Currency, Description: r.Description,
		Installments: r.Installments, Capture: r.Capture, Pool: r.Pool,
		CommissionScenario: r.CommissionScenario, Buyer: r.Buyer,
		ReturnURL: r.ReturnURL, CancelURL: r.CancelURL, Locale: r.Locale, ExpiresIn: r.ExpiresIn,
	}
	var err error
	if in.Amount, err = requiredAmount(r.Amount, "amount"); err != nil {
		return in, err
	}
	for i, sd := range r.SubDealers {
		prefix := fmt.Sprintf("sub_dealers[%d].", i)
		o := orders.SubDealer{DealerID: sd.DealerID, IsIncludedFixedAmount: sd.IsIncludedFixedAmount}
		if o.Amount, err = requiredAmount(sd.Amount, prefix+"amount"); err != nil {
			return in, err
		}
		for _, f := range []struct {
			raw  json.RawMessage
			name string
			rate bool
			dst  **decimal.Decimal
		}{
			{sd.DealerCommissionRate, "dealer_commission_rate", true, &o.DealerCommissionRate},
			{sd.DealerCommissionAmount, "dealer_commission_amount", false, &o.DealerCommissionAmount},
			{sd.DealerCommissionFixedAmount, "dealer_commission_fixed_amount", false, &o.DealerCommissionFixedAmount},
			{sd.GroupRevenueRate, "group_revenue_rate", true, &o.GroupRevenueRate},
			{sd.GroupRevenueAmount, "group_revenue_amount", false, &o.GroupRevenueAmount},
			{sd.AmountToBeCommissioned, "amount_to_be_commissioned", false, &o.AmountToBeCommissioned},
		} {
			text, present, err := jsonString(f.raw, prefix+f.name)
			if err != nil {
				return in, err
			}
			if present {
				if *f.dst, err = parseOptionalDecimal(text, prefix+f.name, f.rate); err != nil {
					return in, err
				}
			}
		}
		in.SubDealers = append(in.SubDealers, o)
	}
	for i, item := range r.Basket {
		b := orders.BasketItem{ProductID: item.ProductID, ProductCode: item.ProductCode, Name: item.Name, Quantity: item.Quantity}
		if b.UnitPrice, err = requiredAmount(item.UnitPrice, fmt.Sprintf("basket[%d].unit_price", i)); err != nil {
			return in, err
		}
		in.Basket = append(in.Basket, b)
	}
	return in, nil
}

func requiredAmount(raw json.RawMessage, field string) (decimal.Decimal, error) {
	text, present, err := jsonString(raw, field)
	if err != nil {
		return decimal.Decimal{}, err
	}
	if !present {
		return decimal.Decimal{}, badRequest("amount_invalid", field, field+" is required")
	}
	return parseAmount(text, field)
}

// money writes an amount for the API: a string with at least two decimals.
func money(d decimal.Decimal) string {
	places := int32(2)
	if -d.Exponent() > places {
		places = -d.Exponent()
	}
	return d.StringFixed(places)
}

func moneyPtr(d *decimal.Decimal) *string {
	if d == nil {
		return nil
	}
	s := money(*d)
	return &s
}

// orderJSON is an order as the API shows it. Money is always a string; CodeForHash and
// the form token never appear.
type orderJSON struct {
	ID                 string          `json:"id"`
	Reference          string          `json:"reference"`
	Status             orders.Status   `json:"status"`
	Amount             string          `json:"amount"`
	Currency           string          `json:"currency"`
	Description        string          `json:"description"`
	Installments       []int           `json:"installments"`
	Capture            string          `json:"capture"`
	Pool               bool            `json:"pool"`
	CommissionScenario int             `json:"commission_scenario,omitempty"`
	SubDealers         []subDealerJSON `json:"sub_dealers,omitempty"`
	Buyer              orders.Buyer    `json:"buyer"`
	Basket             []basketJSON    `json:"basket,omitempty"`
	ReturnURL          string          `json:"return_url,omitempty"`
	CancelURL          string          `json:"cancel_url,omitempty"`
	Locale             string          `json:"locale,omitempty"`
	CancelReason       string          `json:"cancel_reason,omitempty"`
	CheckoutURL        string          `json:"checkout_url"`
	CreatedAt          time.Time       `json:"created_at"`
	UpdatedAt          time.Time       `json:"updated_at"`
	ExpiresAt          time.Time       `json:"expires_at"`
	PaidAt             *time.Time      `json:"paid_at,omitempty"`
	ApprovedAt         *time.Time      `json:"approved_at,omitempty"`
	// The money: paid (captured, for manual capture), refunded and still refundable.
	PaidAmount       *string       `json:"paid_amount,omitempty"`
	RefundedAmount   *string       `json:"refunded_amount,omitempty"`
	RefundableAmount *string       `json:"refundable_amount,omitempty"`
	Attempts         []attemptJSON `json:"attempts"`
	Captures         []actionJSON  `json:"captures"`
	Refunds          []actionJSON  `json:"refunds"`
	Voids            []actionJSON  `json:"voids"`
	Approvals        []actionJSON  `json:"approvals"`
	// NeedsReview is the order's review flag, open or resolved; absent when never flagged.
	NeedsReview *needsReviewJSON `json:"needs_review,omitempty"`
}

// needsReviewJSON is an order's needs-review flag (docs/api.md, "Needs review"): open
// while resolved_at is absent.
type needsReviewJSON struct {
	Reason     orders.ReviewReason `json:"reason"`
	Detail     string              `json:"detail"`
	FlaggedAt  time.Time           `json:"flagged_at"`
	ResolvedAt *time.Time          `json:"resolved_at,omitempty"`
	ResolvedBy string              `json:"resolved_by,omitempty"`
	Note       string              `json:"note,omitempty"`
}

type subDealerJSON struct {
	DealerID                    int64   `json:"dealer_id"`
	Amount                      string  `json:"amount"`
	DealerCommissionRate        *string `json:"dealer_commission_rate,omitempty"`
	DealerCommissionAmount      *string `json:"dealer_commission_amount,omitempty"`
	DealerCommissionFixedAmount *string `json:"dealer_commission_fixed_amount,omitempty"`
	GroupRevenueRate            *string `json:"group_revenue_rate,omitempty"`
	GroupRevenueAmount          *string `json:"group_revenue_amount,omitempty"`
	AmountToBeCommissioned      *string `json:"amount_to_be_commissioned,omitempty"`
	IsIncludedFixedAmount       bool    `json:"is_included_fixed_amount,omitempty"`
	// ApprovedAt: when this sub-dealer's share of a pool payment was approved.
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
}

type basketJSON struct {
	ProductID   int64  `json:"product_id,omitempty"`
	ProductCode string `json:"product_code,omitempty"`
	Name        string `json:"name,omitempty"`
	UnitPrice   string `json:"unit_price"`
	Quantity    int64  `json:"quantity"`
}

type cardJSON struct {
	First6 string `json:"first6"`
	Last4  string `json:"last4"`
	Brand  string `json:"brand"`
}

type attemptJSON struct {
	ID            string               `json:"id"`
	Status        orders.AttemptStatus `json:"status"`
	Card          cardJSON             `json:"card"`
	Installments  int                  `json:"installments"`
	ResultCode    string               `json:"result_code"`
	ResultMessage string               `json:"result_message"`
	CreatedAt     time.Time            `json:"created_at"`
	CompletedAt   *time.Time           `json:"completed_at,omitempty"`
}

func (s *Server) orderJSON(o *orders.Order) orderJSON {
	status := o.Status
	if status == orders.StatusOpen && !s.now().Before(o.ExpiresAt) {
		// The store moves it to expired on its next sweep or payment try; show it now.
		status = orders.StatusExpired
	}
	out := orderJSON{
		ID: o.ID, Reference: o.Reference, Status: status, Amount: money(o.Amount), Currency: o.Currency,
		Description: o.Description, Installments: o.Installments, Capture: o.Capture, Pool: o.Pool,
		CommissionScenario: o.CommissionScenario, Buyer: o.Buyer, ReturnURL: o.ReturnURL,
		CancelURL: o.CancelURL, Locale: o.Locale, CancelReason: o.CancelReason,
		CheckoutURL: s.opts.PublicURL + "/pay/" + o.ID,
		CreatedAt:   o.CreatedAt, UpdatedAt: o.UpdatedAt, ExpiresAt: o.ExpiresAt,
		PaidAt: o.PaidAt, ApprovedAt: o.ApprovedAt,
		Attempts: []attemptJSON{}, Captures: []actionJSON{}, Refunds: []actionJSON{},
		Voids: []actionJSON{}, Approvals: []actionJSON{},
	}
	if r := o.Review; r != nil {
		out.NeedsReview = &needsReviewJSON{Reason: r.Reason, Detail: r.Detail, FlaggedAt: r.FlaggedAt,
			ResolvedAt: r.ResolvedAt, ResolvedBy: r.ResolvedBy, Note: r.Note}
	}
	approvedAt := map[int64]*time.Time{}
	for _, ap := range o.Approvals {
		approvedAt[ap.DealerID] = &ap.ApprovedAt
	}
	for _, sd := range o.SubDealers {
		out.SubDealers = append(out.SubDealers, subDealerJSON{
			DealerID: sd.DealerID, Amount: money(sd.Amount),
			DealerCommissionRate:        moneyPtr(sd.DealerCommissionRate),
			DealerCommissionAmount:      moneyPtr(sd.DealerCommissionAmount),
			DealerCommissionFixedAmount: moneyPtr(sd.DealerCommissionFixedAmount),
			GroupRevenueRate:            moneyPtr(sd.GroupRevenueRate),
			GroupRevenueAmount:          moneyPtr(sd.GroupRevenueAmount),
			AmountToBeCommissioned:      moneyPtr(sd.AmountToBeCommissioned),
			IsIncludedFixedAmount:       sd.IsIncludedFixedAmount,
			ApprovedAt:                  approvedAt[sd.DealerID],
		})
	}
	for _, b := range o.Basket {
		out.Basket = append(out.Basket, basketJSON{ProductID: b.ProductID, ProductCode: b.ProductCode,
			Name: b.Name, UnitPrice: money(b.UnitPrice), Quantity: b.Quantity})
	}
	for _, a := range o.Attempts {
		out.Attempts = append(out.Attempts, attemptJSON{
			ID: a.ID, Status: a.Status, Card: cardJSON{First6: a.CardFirst6, Last4: a.CardLast4, Brand: a.CardBrand},
			Installments: a.Installments, ResultCode: a.ResultCode, ResultMessage: a.ResultMessage,
			CreatedAt: a.CreatedAt, CompletedAt: a.CompletedAt,
		})
	}
	for _, a := range o.Actions {
		list := map[orders.ActionKind]*[]actionJSON{orders.ActionCapture: &out.Captures, orders.ActionRefund: &out.Refunds,
			orders.ActionVoid: &out.Voids, orders.ActionApprove: &out.Approvals}[a.Kind]
		*list = append(*list, toActionJSON(a))
	}
	if o.Payment() != nil {
		paid, refunded, left := money(o.PaidAmount()), money(o.RefundedAmount()), money(o.RefundableAmount())
		out.PaidAmount, out.RefundedAmount, out.RefundableAmount = &paid, &refunded, &left
	}
	return out
}
