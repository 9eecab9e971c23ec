package sandbox

import (
	"time"

	"github.com/shopspring/decimal"
)

// Config describes the dealers the sandbox knows, its clock, and its own public origin.
type Config struct {
	Dealers []Dealer
	// Payments exist from the start, as if made before the sandbox ran: DemoConfig puts
	// the payments the seed samples name here, so those samples succeed unchanged.
	Payments []Preset
	// Now is the sandbox's clock; nil means time.Now.
	Now func() time.Time
	// PublicURL is the sandbox's own origin (e.g. http://127.0.0.1:8081), used to build
	// the bank page URL returned as Data.Url.
	PublicURL string
	// RefundDelay, when positive, completes a pending refund request on its own once it is
	// this old (checked on every service call), so demo refunds settle without a hook.
	// Zero leaves completion to CompleteRefunds.
	RefundDelay time.Duration
	// SessionTimeout, when positive, fails a 3-D payment whose bank page was not answered
	// within it (TrxStatus 2, as a bank ends an abandoned 3-D session), checked on every
	// service call. Zero leaves such payments pending for ever.
	SessionTimeout time.Duration
}

// Dealer is one Moka dealer account with the settings that change the sandbox's answers.
type Dealer struct {
	DealerCode, Username, Password string
	// HasVirtualPos false answers VirtualPosNotFound to payment services.
	HasVirtualPos bool
	// SubDealers are the sub-dealer ids a marketplace payment may name.
	SubDealers []int64
	// MaxInstallments above which ThisInstallmentNumberNotAvailableForDealer is answered.
	MaxInstallments int
	// DailyLimit caps the sum of the day's started payments; zero means no limit.
	DailyLimit decimal.Decimal
	// Authorized false answers DealerNotAuthorized to GetPaymentTrxList.
	Authorized bool
}

// Preset is a payment that exists when the sandbox starts. It was paid (or, with
// PreAuth, pre-authorised) in full by the seed samples' card, with 3-D, at Date.
type Preset struct {
	DealerCode        string
	VirtualPosOrderID string
	OtherTrxCode      string
	Amount            decimal.Decimal
	// Currency is Moka's code; "" is TL.
	Currency   string
	SubDealers []PresetShare
	// PreAuth leaves an open pre-authorisation (PaymentStatus 1) for DoCapture.
	PreAuth bool
	// Pool makes it a pool payment that waits for DoApprovePoolPayment.
	Pool bool
	// Date is when it was made; zero means when New runs.
	Date time.Time
}

// PresetShare is one sub-dealer's share of a Preset.
type PresetShare struct {
	DealerID int64
	Amount   decimal.Decimal
}

// Credentials of the sandbox's demo dealers (documented in doc.go and the README). Every
// demo dealer has Username DemoUsername and Password DemoPassword; the dealer code picks
// the behaviour, so a dealer-level result code is one changed setting away.
const (
	DemoDealerCode = "demo-dealer"
	DemoUsername   = "demo-user"
	DemoPassword   = "demo-pass"

	// NoPosDealerCode has no virtual POS: the 3-D services, DoCapture and DoVoid answer
	// PaymentDealer.CheckPaymentDealerAuthentication.VirtualPosNotFound.
	NoPosDealerCode = "demo-nopos"
	// LimitedDealerCode may start payments worth LimitedDealerDailyLimit a day; a payment
	// that would pass it answers PaymentDealer.CheckDealerPaymentLimits.DailyDealerLimitExceeded.
	LimitedDealerCode = "demo-limited"
	// SingleDealerCode takes single payments only: 2 to 12 installments answer
	// PaymentDealer.DoDirectPayment3dRequest.ThisInstallmentNumberNotAvailableForDealer.
	SingleDealerCode = "demo-single"
	// UnauthorizedDealerCode may not list transactions: GetPaymentTrxList answers
	// PaymentDealer.GetPaymentTrxListMarketPlace.DealerNotAuthorized.
	UnauthorizedDealerCode = "demo-unauthorized"

	// LimitedDealerDailyLimit is the daily limit of LimitedDealerCode, in TL.
	LimitedDealerDailyLimit = "10.00"
)

// VirtualPosOrderIds of the seed samples of DoCapture (000), DoApprovePoolPayment (001) and
// DoCreateRefundRequest (002), and of the one transaction shown in GetPaymentTrxList's
// sample answer (004). DemoConfig pre-creates a payment for each.
const (
	SeedCaptureOrderID = "Test-df9e21da-e911-4ff2-a0d8-eb6bd09fad39"
	SeedApproveOrderID = "Test-fa80dffc-64be-4771-a9b3-c4527982a735"
	SeedRefundOrderID  = "Test-9bfad942-eb5c-4265-95d9-a8c652b7c29c"
	SeedListOrderID    = "ORDER-20209NHXA05020598"
)

// demoSubDealers are the sub-dealers the seed samples name.
func demoSubDealers() []int64 {
	return []int64{166, 167, 1738, 1744, 1767, 1768, 1770, 1772, 1774, 1787, 1788}
}

// DemoConfig returns the demo dealer with every sub-dealer the seed samples use, the
// payments the seed samples refer to, and one extra dealer per dealer-level result code
// (see the constants above). Each seed sample succeeds with only its authentication
// block and, for a card, the expiry year changed.
func DemoConfig(publicURL string) Config {
	dealer := func(code string) Dealer {
		return Dealer{
			DealerCode: code, Username: DemoUsername, Password: DemoPassword,
			HasVirtualPos: true, SubDealers: demoSubDealers(), MaxInstallments: 12, Authorized: true,
		}
	}
	noPos := dealer(NoPosDealerCode)
	noPos.HasVirtualPos = false
	limited := dealer(LimitedDealerCode)
	limited.DailyLimit = decimal.RequireFromString(LimitedDealerDailyLimit)
	single := dealer(SingleDealerCode)
	single.MaxInstallments = 1
	unauthorized := dealer(UnauthorizedDealerCode)
	unauthorized.Authorized = false
	return Config{
		PublicURL: publicURL,
		// The demo dealer stays first: tests change Dealers[0] to vary it.
		Dealers:        []Dealer{dealer(DemoDealerCode), noPos, limited, single, unauthorized},
		Payments:       seedPayments(),
		RefundDelay:    time.Minute,
		SessionTimeout: 10 * time.Minute,
	}
}

// seedPayments are the payments the seed samples act on. They are dated on the day of
// seed 004's sample transaction, inside that sample's window (2020-07-12 to 2020-08-12),
// so the list sample finds them and date-window sweeps of today never do. Each sample
// names its own VirtualPosOrderId, so no two samples touch the same payment.
func seedPayments() []Preset {
	d := decimal.RequireFromString
	at := time.Date(2020, 7, 27, 13, 6, 39, 997e6, istanbul)
	return []Preset{{
		// 000: captures 1.00 for 1774 out of a 1.00 pre-authorisation.
		DealerCode: DemoDealerCode, VirtualPosOrderID: SeedCaptureOrderID, Amount: d("1"),
		SubDealers: []PresetShare{{1774, d("1")}}, PreAuth: true, Date: at,
	}, {
		// 001: approves the pool shares of 1787 and 1788.
		DealerCode: DemoDealerCode, VirtualPosOrderID: SeedApproveOrderID, Amount: d("10"),
		SubDealers: []PresetShare{{1787, d("4")}, {1788, d("6")}}, Pool: true, Date: at,
	}, {
		// 002: refunds 1.00 of 1772's 2.00 and 3.00 of 1774's 3.00.
		DealerCode: DemoDealerCode, VirtualPosOrderID: SeedRefundOrderID, Amount: d("5"),
		SubDealers: []PresetShare{{1772, d("2")}, {1774, d("3")}}, Date: at,
	}, {
		// 004: the sample answer's paid 1.00 (TrxType 2, TrxStatus 1).
		DealerCode: DemoDealerCode, VirtualPosOrderID: SeedListOrderID, Amount: d("1"), Date: at,
	}}
}
