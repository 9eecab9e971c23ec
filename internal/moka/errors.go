package moka

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors of a call that got no usable answer from Moka. Test them with errors.Is.
var (
	// ErrTimeout means no answer arrived before the deadline (the caller's context or the
	// client's timeout). Moka may still have acted on the request: a payment start or a
	// capture that timed out must be confirmed by asking Moka, never assumed to have failed.
	ErrTimeout = errors.New("moka: no answer in time")

	// ErrUnavailable means Moka could not be reached (connection refused, reset, DNS) or
	// answered with a 5xx status. The wrapped error carries the network cause.
	ErrUnavailable = errors.New("moka: service unavailable")

	// ErrMalformedResponse means Moka answered, but not with the JSON the call expects:
	// not JSON at all, no ResultCode, too large, or a Success without the data we need.
	ErrMalformedResponse = errors.New("moka: malformed response")

	// ErrInvalidRequest is matched by every *ValidationError, for callers that only need
	// to know the request was refused before it was sent.
	ErrInvalidRequest = errors.New("moka: invalid request")
)

// Error is Moka's refusal of a request. ResultCode is Moka's dotted code
// ("PaymentDealer.CheckCardInfo.InvalidCardInfo", "EX"), trimmed of the spaces Moka pads it
// with. Bank is true when the envelope said Success but the bank refused inside Data
// (Data.IsSuccessful false on DoCapture, DoApprovePoolPayment, UndoApprovePoolPayment,
// DoCreateRefundRequest and DoVoid); ResultCode and ResultMessage are then the bank's.
type Error struct {
	Service       string // the Moka service, e.g. "DoCapture"
	ResultCode    string
	ResultMessage string
	Bank          bool
}

// Error names the service and Moka's code and message. It holds nothing from the request,
// and digit runs long enough to be a card number are masked in case Moka echoes one.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("moka ")
	b.WriteString(e.Service)
	if e.Bank {
		b.WriteString(": bank refused")
	}
	b.WriteString(": ")
	if e.ResultCode == "" {
		b.WriteString("(no result code)")
	} else {
		b.WriteString(e.ResultCode)
	}
	if e.ResultMessage != "" {
		b.WriteString(" (")
		b.WriteString(maskDigits(e.ResultMessage))
		b.WriteString(")")
	}
	return b.String()
}

// IsCode reports whether err is, or wraps, a Moka *Error with the given result code.
// Codes are compared without surrounding spaces and without regard to case.
func IsCode(err error, code string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return strings.EqualFold(e.ResultCode, strings.TrimSpace(code))
}

// StatusError is an HTTP answer outside 2xx. Its body is not kept: Moka's error pages are
// HTML and say nothing a caller can act on. A 5xx StatusError also matches ErrUnavailable.
type StatusError struct {
	Service    string
	StatusCode int
}

// Error names the service and status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("moka %s: HTTP status %d %s", e.Service, e.StatusCode, http.StatusText(e.StatusCode))
}

// Unwrap makes a server error match ErrUnavailable; a 4xx means our request was wrong.
func (e *StatusError) Unwrap() error {
	if e.StatusCode >= 500 {
		return ErrUnavailable
	}
	return nil
}

// ValidationError is a request refused before it was sent. Field names the request field
// as Moka spells it ("Amount", "SubDealer[1].DealerCommissionRate"); Reason says what is
// wrong in words that never repeat the value, so card data cannot leak through it.
type ValidationError struct {
	Field  string
	Reason string
}

// Error names the field and the reason.
func (e *ValidationError) Error() string {
	return "moka: invalid " + e.Field + ": " + e.Reason
}

// Is makes every ValidationError match ErrInvalidRequest.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidRequest }

// maskDigits replaces every run of 12 or more digits with asterisks, keeping text that is
// not a card number (codes, dates, amounts) readable.
func maskDigits(s string) string {
	r := []rune(s)
	for i := 0; i < len(r); {
		j := i
		for j < len(r) && r[j] >= '0' && r[j] <= '9' {
			j++
		}
		if j-i >= 12 {
			for k := i; k < j; k++ {
				r[k] = '*'
			}
		}
		if j == i {
			j++
		}
		i = j
	}
	return string(r)
}
