// Package sandbox is a Moka-compatible payment server for demo mode and tests.
//
// It answers the Moka marketplace services the checkout calls (same paths, the same
// JSON envelope and the seed documents' result codes), plays the bank's 3-D page with
// an OTP form that posts back to the merchant's RedirectUrl exactly like Moka does
// (hashValue = SHA-256 of upper(CodeForHash)+"T"/"F"), and keeps every payment in
// memory so captures, pool approvals, refunds, voids and listings see what earlier
// calls did. Outcomes are chosen by test card (TestCards) or by amount (99.99 answers
// EX), and SetFault injects latency, HTTP 500 and malformed JSON on demand.
//
// Card numbers and CVCs are used only to pick an outcome; a payment keeps the first
// six and last four digits.
package sandbox
