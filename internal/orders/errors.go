package orders

import (
	"errors"
	"fmt"
)

// Error codes carried by *Error. The HTTP layer maps them to status codes and shows them
// to merchants as the "code" of an API error, so they never change once published.
const (
	CodeNotFound           = "not_found"
	CodeDuplicateReference = "duplicate_reference"
	CodeUnknownMerchant    = "unknown_merchant"
	CodeOrderNotPayable    = "order_not_payable"
	CodeOrderExpired       = "order_expired"
	CodeAttemptInFlight    = "attempt_in_flight"
	CodeAttemptsExhausted  = "attempts_exhausted"
	CodeInvalidTransition  = "invalid_transition"
	CodeInvalidFormToken   = "invalid_form_token"
	CodeInternal           = "internal"
	// CodeUnavailable: the store could not take the write now (overloaded, or its
	// transaction failed); nothing was written and the same request may be retried.
	CodeUnavailable = "unavailable"
)

// Error is a domain error: a stable Code, the input Field it concerns (if any) and a
// message for humans. Two *Error values match under errors.Is when their codes are equal,
// so callers test for a kind of failure with errors.Is(err, &orders.Error{Code: ...}).
type Error struct {
	Code    string
	Field   string
	Message string
}

// Error formats the error for logs.
func (e *Error) Error() string {
	switch {
	case e.Field != "" && e.Message != "":
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Field, e.Message)
	case e.Message != "":
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	default:
		return e.Code
	}
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code
}

// ErrNotFound is returned when an order, attempt or idempotency record does not exist.
// It is an *Error with code "not_found", so ErrorCode reports it like the others.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}

// ErrorCode returns the domain code of err: "" for nil, the Code of the first *Error in
// its chain, or "internal" for anything else (database failures and bugs).
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

func newError(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}
