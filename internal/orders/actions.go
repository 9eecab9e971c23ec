package orders

import (
	"time"

	"github.com/shopspring/decimal"
)

// ActionKind is what a merchant asks Moka to do with an order's payment.
type ActionKind string

// Action kinds.
const (
	ActionCapture ActionKind = "capture" // DoCapture of a pre-authorisation
	ActionVoid    ActionKind = "void"    // DoVoid on the payment's own day
	ActionRefund  ActionKind = "refund"  // DoCreateRefundRequest from the next day
	ActionApprove ActionKind = "approve" // DoApprovePoolPayment
)

// ActionStatus is where an action stands.
//
// An action is written pending, committed before Moka is called. Moka's answer ends it
// succeeded or failed; a refund request Moka took becomes requested until the refund is
// done (succeeded) or the bank refuses it (failed). When Moka's answer is lost (timeout,
// 5xx, unreadable), the action stays pending until reconciliation settles it from Moka's
// own records. At most one action of an order is pending at a time.
type ActionStatus string

// Action states.
const (
	ActionPending   ActionStatus = "pending"
	ActionRequested ActionStatus = "requested"
	ActionSucceeded ActionStatus = "succeeded"
	ActionFailed    ActionStatus = "failed"
)

// ResultRefundRefused is the ResultCode of a refund Moka took the request for and the
// bank then refused.
const ResultRefundRefused = "checkout.refund_refused"

// CancelReasonVoided is the CancelReason of an order whose payment was voided.
const CancelReasonVoided = "voided"

// VoidCutoffHour: Moka voids a payment until 22:00 Turkey time on the day it was made.
const VoidCutoffHour = 22

// Istanbul is Turkey's time, in which Moka keeps its days: UTC+3 all year since 2016.
var Istanbul = time.FixedZone("Europe/Istanbul", 3*60*60)

// Share is one sub-dealer's part of an action. Amount is nil for an approval.
type Share struct {
	DealerID int64            `json:"dealer_id"`
	Amount   *decimal.Decimal `json:"amount,omitempty"`
}

// Action is one capture, void, refund or approval of an order.
type Action struct {
	ID              string
	OrderID         string
	Kind            ActionKind
	Status          ActionStatus
	Amount          decimal.Decimal // zero for an approval
	Shares          []Share         // the sub-dealers' parts (marketplace orders), or the approved dealers
	RefundRequestID string          // Moka's RefundRequestId of a refund request
	ResultCode      string          // Moka's code of a failure
	ResultMessage   string
	// MokaTrxID is Moka's DealerPaymentTrxId of the transaction that settled the action,
	// when reconciliation matched one (refunds); 0 otherwise.
	MokaTrxID   int64
	CreatedAt   time.Time
	CompletedAt *time.Time
}

// Approval records when one sub-dealer's share of a pool payment was approved. DealerID
// 0 is a pool payment without sub-dealers, approved as a whole.
type Approval struct {
	DealerID   int64
	ActionID   string
	ApprovedAt time.Time
}

// ActionRequest is what the merchant asked for.
type ActionRequest struct {
	Kind ActionKind
	// Amount of a capture or refund; nil means all (the authorised amount, or what is
	// left to refund).
	Amount *decimal.Decimal
	// Shares: for a capture or refund of a marketplace order, the sub-dealers' parts
	// (nil: the order's own split when that is unambiguous); for an approval, the dealers
	// to approve (nil: all not yet approved).
	Shares []Share
}

// ActionResult is what Moka answered to an action.
type ActionResult struct {
	// Status: succeeded, failed, requested (a refund request Moka took), or pending
	// when the answer was lost.
	Status          ActionStatus
	RefundRequestID string
	ResultCode      string
	ResultMessage   string
	// Reconciled marks a result learnt from Moka's records rather than its answer: a
	// failure then writes an order.action_failed event, since nobody heard of it.
	Reconciled bool
}

// Error codes of actions.
const (
	CodeAmountInvalid        = "amount_invalid"
	CodeSubDealersInvalid    = "sub_dealers_invalid"
	CodeActionInProgress     = "action_in_progress"
	CodeRefundInProgress     = "refund_in_progress"
	CodeNotPoolPayment       = "not_pool_payment"
	CodeAlreadyApproved      = "already_approved"
	CodeRefundNotYetPossible = "refund_not_yet_possible"
	CodeVoidWindowClosed     = "void_window_closed"
	CodeNothingToRefund      = "nothing_to_refund"
)

// Event types of actions.
const (
	EventOrderCaptured        = "order.captured"
	EventOrderApproved        = "order.approved"
	EventOrderRefundRequested = "order.refund_requested"
	EventOrderRefundFailed    = "order.refund_failed"
	EventOrderActionFailed    = "order.action_failed"
)

// Payment returns the attempt that took the order's money, if any.
func (o *Order) Payment() *Attempt { return o.succeeded() }

// PendingAction returns the order's action waiting for Moka's answer, if any.
func (o *Order) PendingAction() *Action {
	for i := range o.Actions {
		if o.Actions[i].Status == ActionPending {
			return &o.Actions[i]
		}
	}
	return nil
}

// Action returns the order's action with the given id, if any.
func (o *Order) Action(id string) *Action {
	for i := range o.Actions {
		if o.Actions[i].ID == id {
			return &o.Actions[i]
		}
	}
	return nil
}

// Attempt returns the order's attempt with the given id, or nil.
func (o *Order) Attempt(id string) *Attempt {
	for i := range o.Attempts {
		if o.Attempts[i].ID == id {
			return &o.Attempts[i]
		}
	}
	return nil
}

// PaidAmount is what the buyer paid: the captured amount of a manual-capture order, the
// order's amount once paid otherwise, zero before and after a void.
func (o *Order) PaidAmount() decimal.Decimal {
	if o.hasSucceeded(ActionVoid) {
		return decimal.Zero // voided: the money never left the buyer
	}
	if o.Capture == CaptureManual {
		return o.sumActions(ActionCapture, ActionSucceeded)
	}
	if o.succeeded() == nil {
		return decimal.Zero
	}
	return o.Amount
}

// RefundedAmount is the sum of the refunds Moka completed.
func (o *Order) RefundedAmount() decimal.Decimal {
	return o.sumActions(ActionRefund, ActionSucceeded)
}

// RefundableAmount is what may still be refunded: paid, less refunded and requested.
func (o *Order) RefundableAmount() decimal.Decimal {
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return decimal.Zero
	}
	return o.PaidAmount().Sub(o.RefundedAmount()).Sub(o.sumActions(ActionRefund, ActionRequested, ActionPending))
}

func (o *Order) hasSucceeded(kind ActionKind) bool {
	for _, a := range o.Actions {
		if a.Kind == kind && a.Status == ActionSucceeded {
			return true
		}
	}
	return false
}

func (o *Order) sumActions(kind ActionKind, statuses ...ActionStatus) decimal.Decimal {
	sum := decimal.Zero
	for _, a := range o.Actions {
		if a.Kind != kind {
			continue
		}
		for _, st := range statuses {
			if a.Status == st {
				sum = sum.Add(a.Amount)
			}
		}
	}
	return sum
}

// PaidAt is when the order's payment (a capture, for manual capture) went through; for an
// authorised order, when it was authorised. Zero when nothing was paid.
func (o *Order) paymentTime() time.Time {
	if o.PaidAt != nil {
		return *o.PaidAt
	}
	if a := o.succeeded(); a != nil && a.CompletedAt != nil {
		return *a.CompletedAt
	}
	return time.Time{}
}

// paidShares is what each sub-dealer was paid: the capture's split, or the order's.
func (o *Order) paidShares() map[int64]decimal.Decimal {
	out := map[int64]decimal.Decimal{}
	if o.Capture == CaptureManual {
		for _, a := range o.Actions {
			if a.Kind == ActionCapture && a.Status == ActionSucceeded {
				for _, sh := range a.Shares {
					if sh.Amount != nil {
						out[sh.DealerID] = out[sh.DealerID].Add(*sh.Amount)
					}
				}
			}
		}
		return out
	}
	for _, sd := range o.SubDealers {
		out[sd.DealerID] = out[sd.DealerID].Add(sd.Amount)
	}
	return out
}

// refundableShares is what each sub-dealer may still have refunded.
func (o *Order) refundableShares() map[int64]decimal.Decimal {
	left := o.paidShares()
	for _, a := range o.Actions {
		if a.Kind != ActionRefund || a.Status == ActionFailed {
			continue
		}
		for _, sh := range a.Shares {
			if sh.Amount != nil {
				left[sh.DealerID] = left[sh.DealerID].Sub(*sh.Amount)
			}
		}
	}
	return left
}
