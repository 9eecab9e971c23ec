// Package checkout is the HTTP face of the product: the buyer's card pages, the return
// from the bank, signed storefront links and the merchant API. Handlers read input, call
// the orders store and the Moka client, and render; they return errors, and one central
// error handler turns domain errors into JSON for the API or an HTML page for buyers.
//
// Decisions where DESIGN.md is silent:
//
//   - GET /pay/{order} answers 200 with a notice for a paid, authorized or refunded order,
//     409 while an attempt is at the bank (with a link back to the bank page while the
//     bank session may be open, in the mode the attempt started in), 410 for an expired or
//     canceled order (also an open order whose expiry has passed; the API shows such an
//     order as "expired"). The card form's POST answers 409 for a paid order, 422 for an
//     invalid card (with per-field errors, never the number or CVC), 402 when Moka
//     declines the card and 502 when Moka refuses for another reason, cannot be reached,
//     answers nonsense or sends a 3-D URL on an origin the card page does not allow.
//   - A card form posted while the order's attempt is in flight joins it: it waits up to
//     the Moka timeout for the first post's Moka call and 303s to the same bank page.
//   - Only a declined card (card info, card limit, installments the card's bank does not
//     offer, no POS for the card's bank) uses up one of the order's attempts; an outage,
//     a misconfiguration (the merchant's own installment setup included) or our own
//     request error is recorded as a failed attempt that does not count.
//   - The name on the card has at most 100 characters; one with 12 or more digits is
//     taken for a card number in the wrong field, refused and never echoed back.
//   - The result page continues to the merchant's return_url (with order and status)
//     only for a settled result: a buyer who may retry, or whose payment is still being
//     confirmed, is not carried away by result.js. In iframe mode, Cancel and Continue
//     leave the frame (target=_top) and Retry stays in it.
//   - An Idempotency-Key stores the answer of a request that passed the input checks
//     (201, duplicate_reference, ...), never a 400 from those checks or a 5xx, so a
//     merchant may fix the body and retry with the same key. Bodies are compared after
//     json.Compact: whitespace between tokens does not matter, key order does. Repeats
//     with the same key are serialised in the process so the first answer is the one
//     stored.
//   - Storefront links take merchant, reference, amount, currency, description,
//     installments (comma list), capture, locale, return_url, cancel_url, embed and
//     origin, all covered by the signature; expires is the link's expiry, and the order
//     expires after the server's default expiry. Link error pages follow the link's
//     locale, then Accept-Language.
//   - return_url and cancel_url must be under a merchant prefix: the same scheme and
//     host:port (ignoring case), the path on a "/" boundary, no user info, backslashes
//     or dot segments. Every amount is at most 99999999.99.
//   - Moka's 3-D URL must be on the Moka base URL's origin or a ThreeDOrigins entry
//     (compared as browsers compare origins): the card form's CSP form-action lists just
//     these, and a browser would silently block a redirect elsewhere, so such an attempt
//     ends at once (502, not counted) with an error log naming the origin.
//   - ClientIP sent to Moka is the connection's address unless TrustProxyHeaders is set.
package checkout
