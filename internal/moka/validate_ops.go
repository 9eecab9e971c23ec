package moka

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// DateLayout is the Go layout of GetPaymentTrxList's dates ("yyyy-MM-dd HH:mm").
const DateLayout = "2006-01-02 15:04"

// Validate checks a capture: a payment named, a positive amount in kuruş, and (for a
// marketplace payment) sub-dealers named once each whose amounts add up to Amount.
func (r CaptureRequest) Validate() error {
	if err := checkPaymentID(r.VirtualPosOrderID, r.OtherTrxCode); err != nil {
		return err
	}
	if err := checkAmount("Amount", r.Amount.Decimal); err != nil {
		return err
	}
	return checkParts(r.SubDealer, true, r.Amount.Decimal)
}

// Validate checks an approval or its undo: a payment named and its sub-dealers (none: the
// whole payment of a plain dealer), each named once.
func (r ApproveRequest) Validate() error {
	if err := checkPaymentID(r.VirtualPosOrderID, r.OtherTrxCode); err != nil {
		return err
	}
	return checkParts(r.SubDealer, false, decimal.Zero)
}

// Validate checks a refund request: a payment named, an amount of zero (refund what
// remains) or more, sub-dealers named once each, and for a partial refund sub-dealer
// amounts that add up to Amount.
func (r RefundRequest) Validate() error {
	if err := checkPaymentID(r.VirtualPosOrderID, r.OtherTrxCode); err != nil {
		return err
	}
	a := r.Amount.Decimal
	if a.IsNegative() {
		return invalid("Amount", "must not be negative")
	}
	if err := checkCents("Amount", a); err != nil {
		return err
	}
	return checkParts(r.SubDealer, a.IsPositive(), a)
}

// Validate checks a void: a payment named and a VoidRefundReason of 1 to 3, or 0 for
// the default (2, the merchant's cancel).
func (r VoidRequest) Validate() error {
	if err := checkPaymentID(r.VirtualPosOrderID, r.OtherTrxCode); err != nil {
		return err
	}
	if r.VoidRefundReason < 0 || r.VoidRefundReason > 3 {
		return invalid("VoidRefundReason", "must be 1 to 3")
	}
	return nil
}

// Validate requires Moka's PaymentId or our OtherTrxCode.
func (r PaymentDetailRequest) Validate() error {
	if strings.TrimSpace(string(r.PaymentID)) == "" && strings.TrimSpace(r.OtherTrxCode) == "" {
		return invalid("PaymentId", "PaymentId or OtherTrxCode is required")
	}
	return nil
}

// Validate checks the window's dates (DateLayout, start not after end) and the optional
// filters (TrxType 0 to 4, TrxStatus 0 to 2, a positive SubDealerId).
func (r TrxListRequest) Validate() error {
	start, ok := parseDate(r.TrxStartDate)
	if !ok {
		return invalid("TrxStartDate", "must be yyyy-MM-dd HH:mm")
	}
	end, ok := parseDate(r.TrxEndDate)
	if !ok {
		return invalid("TrxEndDate", "must be yyyy-MM-dd HH:mm")
	}
	if end.Before(start) {
		return invalid("TrxEndDate", "must not be before TrxStartDate")
	}
	if r.TrxType.Set && (r.TrxType.Value < TrxTypePaymentRequest || r.TrxType.Value > TrxTypeRefund) {
		return invalid("TrxType", "must be 0 to 4 or unset")
	}
	if r.TrxStatus.Set && (r.TrxStatus.Value < TrxStatusPending || r.TrxStatus.Value > TrxStatusFailed) {
		return invalid("TrxStatus", "must be 0 to 2 or unset")
	}
	if r.SubDealerID.Set && r.SubDealerID.Value <= 0 {
		return invalid("SubDealerId", "must be positive or unset")
	}
	return nil
}

// parseDate reads a DateLayout date written exactly as Moka documents it. time.Parse
// alone is not enough: it takes a one-digit hour ("2026-01-01 9:00"), which Moka refuses
// with InvalidDateTimeFormat.
func parseDate(s string) (time.Time, bool) {
	if !dateShape(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(DateLayout, s)
	return t, err == nil
}

// dateShape reports whether s is exactly dddd-dd-dd dd:dd.
func dateShape(s string) bool {
	const shape = "dddd-dd-dd dd:dd"
	if len(s) != len(shape) {
		return false
	}
	for i := 0; i < len(shape); i++ {
		if shape[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != shape[i] {
			return false
		}
	}
	return true
}

func checkPaymentID(virtualPosOrderID, otherTrxCode string) error {
	if strings.TrimSpace(virtualPosOrderID) == "" && strings.TrimSpace(otherTrxCode) == "" {
		return invalid("VirtualPosOrderId", "VirtualPosOrderId or OtherTrxCode is required")
	}
	return nil
}

// checkParts checks the sub-dealers of a marketplace payment's capture, approval or
// refund: each named once; amounts, where given, not negative and in kuruş; with needSum
// every part carries an amount and the amounts add up to total. No parts at all is a
// payment of a plain dealer (DoDirectPaymentThreeD), which has no sub-dealers to name.
func checkParts(parts []SubDealerPart, needSum bool, total decimal.Decimal) error {
	if len(parts) == 0 {
		return nil
	}
	seen := make(map[Int]bool, len(parts))
	sum := decimal.Zero
	for i, s := range parts {
		p := "SubDealer[" + strconv.Itoa(i) + "]."
		if s.DealerID <= 0 {
			return invalid(p+"DealerId", "is required")
		}
		if seen[s.DealerID] {
			return invalid(p+"DealerId", "appears more than once")
		}
		seen[s.DealerID] = true
		if s.Amount == nil {
			if needSum {
				return invalid(p+"Amount", "is required")
			}
			continue
		}
		if s.Amount.IsNegative() {
			return invalid(p+"Amount", "must not be negative")
		}
		if err := checkCents(p+"Amount", s.Amount.Decimal); err != nil {
			return err
		}
		sum = sum.Add(s.Amount.Decimal)
	}
	if needSum && !sum.Equal(total) {
		return invalid("SubDealer", "the sub-dealer amounts must add up to Amount")
	}
	return nil
}
