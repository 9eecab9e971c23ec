package orders

// transitions lists every allowed move of an order's status (DESIGN.md "Order states").
//
// processing -> expired and processing -> canceled are not moves anyone may ask for: the
// store makes them only when the attempt in flight FAILS and the order has no time left
// (expired) or no attempts left (canceled with reason "attempts_exhausted"). An order at
// the bank is never expired or canceled from outside, because the bank may still charge.
// paid -> canceled and authorized -> canceled are a void (DoVoid) on the payment's day.
var transitions = map[Status][]Status{
	StatusOpen:              {StatusProcessing, StatusExpired, StatusCanceled},
	StatusProcessing:        {StatusPaid, StatusAuthorized, StatusOpen, StatusExpired, StatusCanceled},
	StatusAuthorized:        {StatusPaid, StatusCanceled},
	StatusPaid:              {StatusPartiallyRefunded, StatusRefunded, StatusCanceled},
	StatusPartiallyRefunded: {StatusPartiallyRefunded, StatusRefunded},
}

// CanTransition reports whether an order may move from one status to another. Anything
// not listed, including staying in the same status (except a further partial refund),
// is an invalid transition.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// AllStatuses lists every order status, in the order of the lifecycle.
func AllStatuses() []Status {
	return []Status{
		StatusOpen, StatusProcessing, StatusPaid, StatusAuthorized,
		StatusPartiallyRefunded, StatusRefunded, StatusExpired, StatusCanceled,
	}
}

func invalidTransition(from, to Status) *Error {
	return newError(CodeInvalidTransition, "status", "an order cannot go from %s to %s", from, to)
}
