package orders

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// The rules an action must pass before Moka is asked: the order's status, the amounts
// and sub-dealer parts, and Moka's days in Turkey time.

// istanbulDay is the calendar day of t in Turkey, at midnight Turkey time.
func istanbulDay(t time.Time) time.Time {
	y, m, d := t.In(Istanbul).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Istanbul)
}

// canVoid reports whether Moka still voids a payment made at paid: the same Turkish day,
// before 22:00.
func canVoid(paid, now time.Time) bool {
	day := istanbulDay(paid)
	return istanbulDay(now).Equal(day) && now.Before(day.Add(VoidCutoffHour*time.Hour))
}

// plan checks req against the order and returns the action to send to Moka: its kind (a
// full refund on the payment's own day is a void), amount and shares.
func (s *Store) plan(o *Order, req ActionRequest, now time.Time) (Action, error) {
	a := Action{Kind: req.Kind, Amount: decimal.Zero}
	if p := o.PendingAction(); p != nil {
		return a, newError(CodeActionInProgress, "", "a %s of this order is waiting for Moka's answer", p.Kind)
	}
	switch req.Kind {
	case ActionCapture:
		if o.Status != StatusAuthorized {
			return a, newError(CodeInvalidTransition, "status", "only an authorized order can be captured; this one is %s", o.Status)
		}
		amount := o.Amount
		if req.Amount != nil {
			amount = *req.Amount
		}
		if !amount.IsPositive() || amount.GreaterThan(o.Amount) {
			return a, newError(CodeAmountInvalid, "amount", "the capture must be more than 0 and at most the authorised %s", formatMoney(o.Amount))
		}
		shares, err := splitShares(o, amount, req.Shares, o.Amount, func(id int64) (decimal.Decimal, bool) {
			for _, sd := range o.SubDealers {
				if sd.DealerID == id {
					return sd.Amount, true
				}
			}
			return decimal.Zero, false
		})
		if err != nil {
			return a, err
		}
		a.Amount, a.Shares = amount, shares
	case ActionVoid:
		if o.Status != StatusPaid && o.Status != StatusAuthorized {
			return a, newError(CodeInvalidTransition, "status", "only a paid or authorized order can be canceled at the bank; this one is %s", o.Status)
		}
		if err := voidable(o, now); err != nil {
			return a, err
		}
		a.Amount = o.PaidAmount()
		if o.Status == StatusAuthorized {
			a.Amount = o.Amount
		}
	case ActionRefund:
		return s.planRefund(o, req, now)
	case ActionApprove:
		shares, err := planApproval(o, req.Shares)
		if err != nil {
			return a, err
		}
		a.Shares = shares
	default:
		return a, fmt.Errorf("unknown action %q", req.Kind)
	}
	return a, nil
}

func voidable(o *Order, now time.Time) error {
	for _, r := range o.Actions {
		if r.Kind == ActionRefund && r.Status != ActionFailed {
			return newError(CodeInvalidTransition, "status", "an order with a refund cannot be voided")
		}
	}
	paid := o.paymentTime()
	if !canVoid(paid, now) {
		return newError(CodeVoidWindowClosed, "", "Moka cancels a payment only on its own day until %02d:00 Turkey time; this one was made on %s: refund it instead",
			VoidCutoffHour, istanbulDay(paid).Format("2006-01-02"))
	}
	return nil
}

func (s *Store) planRefund(o *Order, req ActionRequest, now time.Time) (Action, error) {
	a := Action{Kind: ActionRefund, Amount: decimal.Zero}
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return a, newError(CodeInvalidTransition, "status", "only a paid order can be refunded; this one is %s", o.Status)
	}
	for _, r := range o.Actions {
		if r.Kind == ActionRefund && r.Status == ActionRequested {
			return a, newError(CodeRefundInProgress, "", "refund %s is waiting for Moka to complete it; Moka takes one refund request at a time", r.ID)
		}
	}
	left := o.RefundableAmount()
	if !left.IsPositive() {
		return a, newError(CodeNothingToRefund, "", "nothing is left to refund")
	}
	amount := left
	if req.Amount != nil {
		amount = *req.Amount
	}
	if !amount.IsPositive() || amount.GreaterThan(left) {
		return a, newError(CodeAmountInvalid, "amount", "the refund must be more than 0 and at most the %s left to refund", formatMoney(left))
	}
	paid := o.paymentTime()
	if istanbulDay(now).Equal(istanbulDay(paid)) {
		// Moka refunds from the day after the payment. On its own day the bank can still
		// cancel it: a full refund is a void, a partial one must wait.
		full := amount.Equal(o.PaidAmount()) && req.Shares == nil
		if full && canVoid(paid, now) {
			if err := voidable(o, now); err != nil {
				return a, err
			}
			return Action{Kind: ActionVoid, Amount: amount}, nil
		}
		from := istanbulDay(paid).AddDate(0, 0, 1)
		what := "a partial refund"
		if full {
			what = "after 22:00 Turkey time a refund"
		}
		return a, newError(CodeRefundNotYetPossible, "amount", "%s of a payment made today is possible from %s (Europe/Istanbul); a full refund before %02d:00 on the payment's day cancels it instead",
			what, from.Format("2006-01-02 15:04"), VoidCutoffHour)
	}
	remaining := o.refundableShares()
	shares, err := splitShares(o, amount, req.Shares, left, func(id int64) (decimal.Decimal, bool) {
		v, ok := remaining[id]
		return v, ok
	})
	if err != nil {
		return a, err
	}
	a.Amount, a.Shares = amount, shares
	return a, nil
}

// splitShares checks or derives the sub-dealers' parts of a capture or refund of amount.
// whole is the amount for which each dealer's limit is its part (the authorised amount,
// or what is left to refund): then, and for a single sub-dealer, the parts may be left
// out. A plain order takes no parts.
func splitShares(o *Order, amount decimal.Decimal, given []Share, whole decimal.Decimal, limit func(int64) (decimal.Decimal, bool)) ([]Share, error) {
	if len(o.SubDealers) == 0 {
		if len(given) > 0 {
			return nil, newError(CodeSubDealersInvalid, "sub_dealers", "the order has no sub-dealers")
		}
		return nil, nil
	}
	if len(given) == 0 {
		switch {
		case amount.Equal(whole):
			var out []Share
			for _, sd := range o.SubDealers {
				if v, ok := limit(sd.DealerID); ok && v.IsPositive() {
					out = append(out, Share{DealerID: sd.DealerID, Amount: &v})
				}
			}
			return out, nil
		case len(o.SubDealers) == 1:
			v := amount
			return []Share{{DealerID: o.SubDealers[0].DealerID, Amount: &v}}, nil
		default:
			return nil, newError(CodeSubDealersInvalid, "sub_dealers", "a partial amount of an order with several sub-dealers needs sub_dealers: each one's part")
		}
	}
	sum := decimal.Zero
	seen := map[int64]bool{}
	out := make([]Share, 0, len(given))
	for i, sh := range given {
		field := fmt.Sprintf("sub_dealers[%d]", i)
		max, ok := limit(sh.DealerID)
		switch {
		case !ok:
			return nil, newError(CodeSubDealersInvalid, field+".dealer_id", "dealer %d is not a sub-dealer of this order", sh.DealerID)
		case seen[sh.DealerID]:
			return nil, newError(CodeSubDealersInvalid, field+".dealer_id", "dealer %d appears more than once", sh.DealerID)
		case sh.Amount == nil:
			return nil, newError(CodeSubDealersInvalid, field+".amount", "%s.amount is required", field)
		case sh.Amount.IsNegative() || sh.Amount.GreaterThan(max):
			return nil, newError(CodeSubDealersInvalid, field+".amount", "dealer %d's part must be between 0 and %s", sh.DealerID, formatMoney(max))
		}
		seen[sh.DealerID] = true
		sum = sum.Add(*sh.Amount)
		v := *sh.Amount
		out = append(out, Share{DealerID: sh.DealerID, Amount: &v})
	}
	if !sum.Equal(amount) {
		return nil, newError(CodeSubDealersInvalid, "sub_dealers", "the parts add up to %s, not %s", formatMoney(sum), formatMoney(amount))
	}
	return out, nil
}

func planApproval(o *Order, given []Share) ([]Share, error) {
	const notPool = "the order is not a pool payment"
	if !o.Pool {
		return nil, newError(CodeNotPoolPayment, "", notPool)
	}
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return nil, newError(CodeInvalidTransition, "status", "only a paid pool order can be approved; this one is %s", o.Status)
	}
	approved := map[int64]bool{}
	for _, ap := range o.Approvals {
		approved[ap.DealerID] = true
	}
	dealers := []int64{0}
	if len(o.SubDealers) > 0 {
		dealers = dealers[:0]
		for _, sd := range o.SubDealers {
			dealers = append(dealers, sd.DealerID)
		}
	}
	var out []Share
	if len(given) == 0 {
		for _, id := range dealers {
			if !approved[id] {
				out = append(out, Share{DealerID: id})
			}
		}
	}
	seen := map[int64]bool{}
	for i, sh := range given {
		field := fmt.Sprintf("dealer_ids[%d]", i)
		known := false
		for _, id := range dealers {
			known = known || (id == sh.DealerID && id != 0)
		}
		switch {
		case !known:
			return nil, newError(CodeSubDealersInvalid, field, "dealer %d is not a sub-dealer of this order", sh.DealerID)
		case seen[sh.DealerID]:
			return nil, newError(CodeSubDealersInvalid, field, "dealer %d appears more than once", sh.DealerID)
		}
		seen[sh.DealerID] = true
		if !approved[sh.DealerID] {
			out = append(out, Share{DealerID: sh.DealerID})
		}
	}
	if len(out) == 0 {
		return nil, newError(CodeAlreadyApproved, "", "the payment is already approved")
	}
	return out, nil
}
