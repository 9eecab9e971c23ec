// Package checkout is the HTTP face of the product: the buyer's card pages, the return
// from the bank, signed storefront links and the merchant API. Handlers read input, call
// the orders store and the Moka client, and render; they return errors, and one central
// error handler turns domain errors into JSON for the API or an HTML page for buyers.
//
// Decisions where DESIGN.md is silent:
//
//   - GET /pay/{order} answers 200 with a notice for a paid, authorized or refunded order,
//     409 while an attempt is at the bank, 410 for an expired or canceled order (also an
//     open order whose expiry has passed; the API shows such an order as "expired"). The
//     card form's POST answers 409 for a paid order, 422 for an invalid card (with
//     per-field errors, never the number or CVC), 402 when Moka refuses the card and 502
//     when Moka cannot be reached or answers nonsense.
//   - The result page continues to the merchant's return_url (with order and status)
//     only for a settled result: a buyer who may retry, or whose payment is still being
//     confirmed, is not carried away by result.js.
//   - An Idempotency-Key stores every answer below 500, errors included; repeats with the
//     same key are serialised in the process so the first answer is the one stored.
//   - Storefront links take merchant, reference, amount, currency, description,
//     installments (comma list), capture, locale, return_url, cancel_url, embed and
//     origin, all covered by the signature; expires is the link's expiry, and the order
//     expires after the server's default expiry.
//   - ClientIP sent to Moka is the connection's address unless TrustProxyHeaders is set.
package checkout
