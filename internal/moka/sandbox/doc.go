// Package sandbox is a Moka-compatible payment server for demo mode and tests.
//
// It answers the Moka marketplace services the checkout calls (same paths, the same
// JSON envelope and the seed documents' result codes), plays the bank's 3-D page with
// an OTP form that posts back to the merchant's RedirectUrl exactly like Moka does
// (hashValue = SHA-256 of upper(CodeForHash)+"T"/"F"), and keeps every payment in
// memory so captures, pool approvals, refunds, voids and listings see what earlier
// calls did. Outcomes are chosen by test card (TestCards), by dealer, or by a magic
// value; SetFault, or the FaultPath endpoint, injects latency, HTTP 500, malformed JSON,
// EX and lost answers on demand; SetClockOffset, SetNow, or the ClockPath endpoint, moves
// the sandbox's clock.
//
// # Demo dealers
//
// DemoConfig knows these dealers, all with Username "demo-user" and Password "demo-pass"
// and the seed samples' sub-dealers (166, 167, 1738, 1744, 1767, 1768, 1770, 1772, 1774,
// 1787, 1788):
//
//	DealerCode         what differs                 result code it produces
//	demo-dealer        nothing: the demo dealer     (every seed sample succeeds)
//	demo-nopos         no virtual POS               CheckPaymentDealerAuthentication.VirtualPosNotFound
//	                                                (3-D services, DoCapture, DoVoid)
//	demo-limited       daily limit 10.00 TL         CheckDealerPaymentLimits.DailyDealerLimitExceeded
//	                                                (a 3-D start taking the day past 10.00)
//	demo-single        single payments only         DoDirectPayment3dRequest.ThisInstallmentNumberNotAvailableForDealer
//	                                                (InstallmentNumber 2 to 12)
//	demo-unauthorized  may not list transactions    GetPaymentTrxListMarketPlace.DealerNotAuthorized
//
// Any other DealerCode, Username or Password, or a blank one, answers InvalidAccount, as
// Moka's test host does; a CheckKey that does not match what was sent answers
// InvalidRequest (DoCreateRefundRequest has its own prefix for both).
//
// # Seed payments
//
// DemoConfig also creates, dated 2020-07-27, the payments the seed samples name, so each
// sample succeeds once with only its authentication block changed: the DoCapture sample's
// pre-authorisation SeedCaptureOrderID (1.00, sub-dealer 1774), the DoApprovePoolPayment
// sample's pool payment SeedApproveOrderID (10.00: 1787 4.00, 1788 6.00), the
// DoCreateRefundRequest sample's payment SeedRefundOrderID (5.00: 1772 2.00, 1774 3.00),
// and the paid 1.00 SeedListOrderID from GetPaymentTrxList's sample answer, which that
// sample's window finds. A sample sent again gets Moka's answer to a repeat (the bank's
// refusal, PaymentAlreadyApproved, RefundRequestAlreadyExist).
//
// # Refunds and voids follow the day
//
// As at Moka, a payment is refunded from the day after it and voided only on its own day.
// Days are Istanbul days (Europe/Istanbul, UTC+3) of the payment's PaymentDate, read on
// the sandbox's clock:
//
//	DoCreateRefundRequest on the payment's day   CodeRefundOnPaymentDay
//	                                             (PaymentDealer.DoCreateRefundRequest.RefundNotAvailableOnPaymentDay)
//	DoVoid of a payment that cannot be voided    CodeVoidPaymentNotAvailable
//	                                             (PaymentDealer.DoVoid.PaymentNotAvailable)
//	DoVoid naming no payment                     CodeVoidInvalidRequest (PaymentDealer.DoVoid.InvalidRequest)
//	DoCapture naming no payment                  CodeCaptureMustGiven
//	                                             (PaymentDealer.DoCapture.OtherTrxCodeOrVirtualPosOrderIdMustGiven)
//
// A payment can be voided while it is paid or pre-authorised, has no refund and no
// refund request, and the sandbox's clock is on the payment's Istanbul day before 22:00.
// A refused void of a payment that went through also writes a failed cancel row
// (TrxType 3, TrxStatus 2). The seed payments, dated 2020-07-27, can be refunded on any
// day; no seed sample voids.
//
// # The clock
//
// Everything time-based reads one clock: Config.Now (time.Now when nil) moved by an
// offset. That covers the refund day, the void window, RefundDelay, SessionTimeout, card
// expiry, the day of a dealer's daily limit, and the dates written in transaction rows
// (which GetPaymentTrxList windows select). Go tests call SetClockOffset, SetNow and Now;
// over HTTP, ClockPath (/_sandbox/clock) answers {"now": RFC 3339, "offset": duration}:
// GET reads it, POST with JSON or form fields offset ("26h", "-30m") or now
// ("2026-03-01T21:59:00+03:00") moves it, DELETE goes back to the base clock. The clock
// keeps running from where it was moved to. A browser request from another origin is
// refused, as at FaultPath.
//
// # What Moka's test host takes beyond its documents
//
// ExpMonth, ExpYear and CvcNumber may be JSON numbers ("ExpMonth":10). A RedirectUrl
// without a scheme ("www.example.com/return") is taken, and the bank page posts to it
// over http. A body in another charset is read by the charset of its Content-Type
// (WHATWG labels, so "utf-16" is UTF-16LE as .NET sends it; a byte order mark wins).
// GetDealerPaymentTrxDetailList's Data carries IsSuccessful true, as the other answers
// do.
//
// Without ReturnHash (0 or absent) the 3-D services answer Data as the bank page's URL, a
// bare string, and the bank's return posts isSuccessful ("True" or "False") in place of
// hashValue, with the same resultCode, resultMessage, trxCode and OtherTrxCode. The bare
// URL and isSuccessful=True are known from Moka's integrations; the "False" spelling and
// the other fields staying as they are with ReturnHash 1 are the sandbox's assumptions.
// The checkout always sends ReturnHash 1.
//
// # Sessions nobody finishes
//
// A 3-D payment whose bank page is never answered (the abandon card's page never posts
// back) stays pending until Config.SessionTimeout has passed (DemoConfig: 10 minutes),
// then fails as a bank ends such a session: GetDealerPaymentTrxDetailList reports
// TrxStatus 2 and the bank page says the session timed out. Zero keeps it pending.
//
// # EX
//
// Moka's unexpected error can be asked for in every service: amount EXAmount (99.99) in
// the 3-D services, DoCapture and DoCreateRefundRequest; payment id EXOrderID
// ("sandbox-EX", as VirtualPosOrderId or OtherTrxCode) in DoCapture,
// DoApprovePoolPayment, UndoApprovePoolPayment, DoCreateRefundRequest, DoVoid and
// GetDealerPaymentTrxDetailList; SubDealerId EXSubDealerID (9999) in GetPaymentTrxList;
// and Fault{EX: true} on any path.
//
// # Faults over HTTP
//
// POST FaultPath (/_sandbox/fault) with JSON or form fields latency ("250ms" or
// milliseconds), status500, malformed, ex, after ("500" or "hang": act, then lose the
// answer) and path (a service path or name, e.g. "DoCapture") replaces the fault;
// DELETE clears it; GET reads it. Each answers the fault in force as JSON. A browser
// request from another origin is refused.
//
// # Installment tables (DoCalcPaymentTable)
//
// DoCalcPaymentTable answers, for a BIN (6 to 8 digits) and an OrderAmount, one bank
// group with a row for every count from 1 to 12 (CommissionType CreditCard, or
// ForeingCurrency for a single payment outside TL); a count not offered has
// DealerCommissionRate -1 and zero amounts, as Moka writes it. The table (BankTables):
//
//	BIN prefix  bank            offers (commission rate)          test card
//	418344      SANDBOX-AXESS   1 (0%), 2 (2%), 3 (2%), 6 (3%)    4183441122223339 (success)
//	482489      SANDBOX-SINGLE  1 only                            4824894728063019 (no installments)
//	999999      -               BinNumberNotFound                 -
//	any other   GENEL           1 to 12, 1.5% per count beyond 1  -
//
// The dealer's MaxInstallments also applies (demo-single: 1 only), and outside TL only a
// single payment is offered. With IsIncludedCommissionAmount 1 the commission is added to
// Amount (the buyer pays it); with 0 Amount is the OrderAmount and the commission is the
// dealer's. PerInstallmentAmount is Amount / count rounded to kuruş. EXAmount answers EX.
//
// The 3-D start keeps to the same table. A count above the dealer's MaxInstallments answers
// CodeInstallmentForDealer (checked first); a count the card's BIN's table does not list
// answers CodeInstallmentForVirtualPos
// (PaymentDealer.DoDirectPayment3dRequest.ThisInstallmentNumberNotAvailableForVirtualPos),
// Moka's card-side refusal: the count is the card's bank's to refuse, not the dealer's, and
// the checkout shows it as a declined card. So 4183441122223339 starts with 1, 2, 3 or 6
// installments only, and 4824894728063019 with a single payment only.
//
// Card numbers and CVCs are used only to pick an outcome; a payment keeps the first
// six and last four digits.
package sandbox
