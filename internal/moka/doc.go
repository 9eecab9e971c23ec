// Package moka is a typed client for the Moka United marketplace payment API and the rule
// checks its requests must pass before they are sent.
//
// Every call is a JSON POST of an Envelope (the dealer's authentication block and one
// request) to a path under a configured base URL; the base URL is configuration because
// Moka's test and live hosts differ and the demo points it at our own sandbox. Each request
// type has a Validate method that the client calls first, so a request Moka would refuse for
// its shape (a bad amount, a missing sub-dealer field, a commission-scenario sum that does
// not add up) fails with a *ValidationError and never reaches the network.
//
// Failures are typed so that callers can decide what a buyer or merchant sees:
//
//   - *Error: Moka answered and refused. ResultCode is Moka's code, trimmed; Bank is true
//     when the envelope said Success but the bank's own answer (Data.IsSuccessful) was no.
//   - ErrTimeout: no answer in time. The operation may or may not have happened at Moka.
//   - *StatusError and ErrUnavailable: Moka could not be reached or answered with an HTTP
//     error; a 5xx StatusError also matches ErrUnavailable.
//   - ErrMalformedResponse: an answer that is not Moka's JSON, or lacks what the call needs.
//   - *ValidationError (matches ErrInvalidRequest): refused before sending; Field names
//     the request field as Moka spells it.
//
// The client never logs: request bodies carry card numbers and CVCs, and no error message
// repeats anything from a request.
package moka
