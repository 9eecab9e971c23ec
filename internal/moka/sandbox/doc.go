// Package sandbox is a Moka-compatible payment server for demo mode and tests.
//
// It answers the Moka marketplace services the checkout calls (same paths, the same
// JSON envelope and the seed documents' result codes), plays the bank's 3-D page with
// an OTP form that posts back to the merchant's RedirectUrl exactly like Moka does
// (hashValue = SHA-256 of upper(CodeForHash)+"T"/"F"), and keeps every payment in
// memory so captures, pool approvals, refunds, voids and listings see what earlier
// calls did. Outcomes are chosen by test card (TestCards), by dealer, or by a magic
// value; SetFault, or the FaultPath endpoint, injects latency, HTTP 500, malformed JSON,
// EX and lost answers on demand.
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
// Any other DealerCode, Username or Password answers InvalidAccount; a missing one or a
// wrong CheckKey answers InvalidRequest (DoCreateRefundRequest has its own prefix for
// both).
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
// Card numbers and CVCs are used only to pick an outcome; a payment keeps the first
// six and last four digits.
package sandbox
