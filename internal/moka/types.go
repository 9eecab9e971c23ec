package moka

// This file holds the wire types shared by the client and the sandbox: every request and
// response shape of the Moka services we call, with the JSON names Moka uses.

// Paths of the Moka services, relative to the configured base URL.
const (
	PathThreeD               = "/PaymentDealer/DoDirectPaymentThreeD"
	PathThreeDMarketPlace    = "/PaymentDealer/DoDirectPaymentThreeDMarketPlace"
	PathCapture              = "/PaymentDealer/DoCapture"
	PathApprovePoolPayment   = "/PaymentDealer/DoApprovePoolPayment"
	PathUndoApprovePool      = "/PaymentDealer/UndoApprovePoolPayment"
	PathCreateRefundRequest  = "/PaymentDealer/DoCreateRefundRequest"
	PathVoid                 = "/PaymentDealer/DoVoid"
	PathPaymentTrxList       = "/PaymentDealer/GetPaymentTrxList"
	PathDealerPaymentTrxList = "/PaymentDealer/GetDealerPaymentTrxDetailList"
)

// Credentials identify a Moka dealer. They are never logged.
type Credentials struct {
	DealerCode string
	Username   string
	Password   string
}

// Authentication is the PaymentDealerAuthentication block every request carries.
type Authentication struct {
	DealerCode string `json:"DealerCode"`
	Username   string `json:"Username"`
	Password   string `json:"Password"`
	CheckKey   string `json:"CheckKey"`
}

// Envelope is the request body of every Moka call.
type Envelope[T any] struct {
	PaymentDealerAuthentication Authentication `json:"PaymentDealerAuthentication"`
	PaymentDealerRequest        T              `json:"PaymentDealerRequest"`
}

// Response is the answer of every Moka call. ResultCode is "Success", a dotted
// "<Service>.<Check>.<Reason>" code, or "EX"; Moka sometimes pads it with spaces.
type Response[T any] struct {
	Data          *T     `json:"Data"`
	ResultCode    string `json:"ResultCode"`
	ResultMessage string `json:"ResultMessage"`
	Exception     any    `json:"Exception"`
}

// ResultSuccess is the envelope ResultCode of a successful call.
const ResultSuccess = "Success"

// Currency codes as Moka spells them. Our API speaks ISO 4217, where TL is TRY.
const (
	CurrencyTL  = "TL"
	CurrencyUSD = "USD"
	CurrencyEUR = "EUR"
	CurrencyGBP = "GBP"
)

// ThreeDRequest is the PaymentDealerRequest of DoDirectPaymentThreeD and
// DoDirectPaymentThreeDMarketPlace. CommissionScenario and SubDealer are used by the
// marketplace service only. CardNumber and CvcNumber must never be logged.
type ThreeDRequest struct {
	CardHolderFullName  string               `json:"CardHolderFullName"`
	CardNumber          string               `json:"CardNumber"`
	ExpMonth            string               `json:"ExpMonth"`
	ExpYear             string               `json:"ExpYear"`
	CvcNumber           string               `json:"CvcNumber"`
	CardToken           string               `json:"CardToken"`
	Amount              Amount               `json:"Amount"`
	Currency            string               `json:"Currency"`
	InstallmentNumber   Int                  `json:"InstallmentNumber"`
	ClientIP            string               `json:"ClientIP"`
	OtherTrxCode        string               `json:"OtherTrxCode"`
	SubMerchantName     string               `json:"SubMerchantName"`
	IsPoolPayment       Int                  `json:"IsPoolPayment"`
	IsPreAuth           Int                  `json:"IsPreAuth"`
	IsTokenized         Int                  `json:"IsTokenized"`
	IntegratorID        Int                  `json:"IntegratorId"`
	Software            string               `json:"Software"`
	Description         string               `json:"Description"`
	ReturnHash          Int                  `json:"ReturnHash"`
	RedirectURL         string               `json:"RedirectUrl"`
	RedirectType        Int                  `json:"RedirectType"`
	CommissionScenario  Int                  `json:"CommissionScenario,omitempty"`
	SubDealer           []SubDealer          `json:"SubDealer,omitempty"`
	BuyerInformation    *BuyerInformation    `json:"BuyerInformation,omitempty"`
	BasketProduct       []BasketProduct      `json:"BasketProduct,omitempty"`
	CustomerInformation *CustomerInformation `json:"CustomerInformation,omitempty"`
}

// SubDealer is one sub-dealer's share of a marketplace payment. Which of the optional
// fields are required depends on the commission scenario (see Validate).
type SubDealer struct {
	DealerID                    Int     `json:"DealerId"`
	Amount                      Amount  `json:"Amount"`
	DealerCommissionRate        *Amount `json:"DealerCommissionRate,omitempty"`
	DealerCommissionAmount      *Amount `json:"DealerCommissionAmount,omitempty"`
	DealerCommissionFixedAmount *Amount `json:"DealerCommissionFixedAmount,omitempty"`
	GroupRevenueRate            *Amount `json:"GroupRevenueRate,omitempty"`
	GroupRevenueAmount          *Amount `json:"GroupRevenueAmount,omitempty"`
	AmountToBeCommissioned      *Amount `json:"AmountToBeCommissioned,omitempty"`
	IsIncludedFixedAmount       Int     `json:"IsIncludedFixedAmount,omitempty"`
}

// BuyerInformation describes the buyer; every field is optional.
type BuyerInformation struct {
	BuyerFullName  string `json:"BuyerFullName,omitempty"`
	BuyerEmail     string `json:"BuyerEmail,omitempty"`
	BuyerGsmNumber string `json:"BuyerGsmNumber,omitempty"`
	BuyerAddress   string `json:"BuyerAddress,omitempty"`
}

// BasketProduct is one line of the basket.
type BasketProduct struct {
	ProductID   Int    `json:"ProductId"`
	ProductCode string `json:"ProductCode"`
	UnitPrice   Amount `json:"UnitPrice"`
	Quantity    Int    `json:"Quantity"`
}

// CustomerInformation is used only with Moka's card storage service.
type CustomerInformation struct {
	DealerCustomerID Int    `json:"DealerCustomerId,omitempty"`
	CustomerCode     string `json:"CustomerCode,omitempty"`
	FirstName        string `json:"FirstName,omitempty"`
	LastName         string `json:"LastName,omitempty"`
	Gender           Int    `json:"Gender,omitempty"`
	BirthDate        string `json:"BirthDate,omitempty"`
	GsmNumber        string `json:"GsmNumber,omitempty"`
	Email            string `json:"Email,omitempty"`
	Address          string `json:"Address,omitempty"`
	CardName         string `json:"CardName,omitempty"`
}

// ThreeDResult is the Data of a 3-D payment start: where to send the buyer, and the
// secret that the hash on the RedirectUrl is computed from. CodeForHash stays server-side.
type ThreeDResult struct {
	URL         string `json:"Url"`
	CodeForHash string `json:"CodeForHash"`
}

// CaptureRequest closes a pre-authorisation (DoCapture).
type CaptureRequest struct {
	VirtualPosOrderID string          `json:"VirtualPosOrderId"`
	OtherTrxCode      string          `json:"OtherTrxCode"`
	Amount            Amount          `json:"Amount"`
	ClientIP          string          `json:"ClientIP"`
	SubDealer         []SubDealerPart `json:"SubDealer"`
}

// SubDealerPart names a sub-dealer and, for captures and refunds, its amount.
type SubDealerPart struct {
	DealerID Int     `json:"DealerId"`
	Amount   *Amount `json:"Amount,omitempty"`
}

// ApproveRequest approves a pool payment (DoApprovePoolPayment and UndoApprovePoolPayment).
type ApproveRequest struct {
	VirtualPosOrderID string          `json:"VirtualPosOrderId"`
	OtherTrxCode      string          `json:"OtherTrxCode"`
	SubDealer         []SubDealerPart `json:"SubDealer"`
}

// RefundRequest asks Moka for a refund (DoCreateRefundRequest). A zero Amount refunds
// what remains.
type RefundRequest struct {
	VirtualPosOrderID string          `json:"VirtualPosOrderId"`
	OtherTrxCode      string          `json:"OtherTrxCode"`
	Amount            Amount          `json:"Amount"`
	SubDealer         []SubDealerPart `json:"SubDealer"`
}

// VoidRequest cancels a payment on its own day (DoVoid).
type VoidRequest struct {
	VirtualPosOrderID string `json:"VirtualPosOrderId"`
	OtherTrxCode      string `json:"OtherTrxCode"`
	ClientIP          string `json:"ClientIP"`
	VoidRefundReason  Int    `json:"VoidRefundReason"`
}

// BankResult is the Data of DoCapture, DoApprovePoolPayment, DoCreateRefundRequest and
// DoVoid: the bank's own answer under Moka's envelope.
type BankResult struct {
	IsSuccessful      bool   `json:"IsSuccessful"`
	ResultCode        string `json:"ResultCode"`
	ResultMessage     string `json:"ResultMessage"`
	VirtualPosOrderID string `json:"VirtualPosOrderId,omitempty"`
	RefundRequestID   String `json:"RefundRequestId,omitempty"`
}

// TrxListRequest lists payments by transaction date (GetPaymentTrxList). TrxType,
// TrxStatus and SubDealerID are optional: nil lists all. Dates are "yyyy-MM-dd HH:mm".
type TrxListRequest struct {
	TrxStartDate string `json:"TrxStartDate"`
	TrxEndDate   string `json:"TrxEndDate"`
	TrxType      OptInt `json:"TrxType"`
	TrxStatus    OptInt `json:"TrxStatus"`
	SubDealerID  OptInt `json:"SubDealerId"`
}

// TrxListResult is the Data of GetPaymentTrxList.
type TrxListResult struct {
	PaymentTrxList []Payment `json:"PaymentTrxList"`
}

// PaymentDetailRequest finds one payment (GetDealerPaymentTrxDetailList) by Moka's
// DealerPaymentId or by our OtherTrxCode.
type PaymentDetailRequest struct {
	PaymentID    String `json:"PaymentId"`
	OtherTrxCode string `json:"OtherTrxCode"`
}

// PaymentDetailResult is the Data of GetDealerPaymentTrxDetailList. IsSuccessful is true
// on every answer Moka's test host gives with ResultCode Success, as in the bank-result
// answers; the client does not depend on it.
type PaymentDetailResult struct {
	IsSuccessful         bool          `json:"IsSuccessful"`
	PaymentDetail        PaymentDetail `json:"PaymentDetail"`
	PaymentTrxDetailList []Trx         `json:"PaymentTrxDetailList"`
}

// Payment is one item of GetPaymentTrxList: the payment master record and its transactions.
type Payment struct {
	PaymentDetail        PaymentDetail `json:"PaymentDetail"`
	PaymentTrxDetailList []Trx         `json:"PaymentTrxDetailList"`
}

// PaymentDetail is Moka's master record of one payment.
// Paid means PaymentStatus 2 with TrxStatus 1; see the status constants.
type PaymentDetail struct {
	DealerPaymentID        Int              `json:"DealerPaymentId"`
	OtherTrxCode           string           `json:"OtherTrxCode"`
	CardHolderFullName     string           `json:"CardHolderFullName"`
	CardNumberFirstSix     string           `json:"CardNumberFirstSix"`
	CardNumberLastFour     string           `json:"CardNumberLastFour"`
	PaymentDate            string           `json:"PaymentDate"`
	Amount                 Amount           `json:"Amount"`
	RefAmount              Amount           `json:"RefAmount"`
	CurrencyCode           string           `json:"CurrencyCode"`
	InstallmentNumber      Int              `json:"InstallmentNumber"`
	DealerCommissionAmount Amount           `json:"DealerCommissionAmount"`
	IsThreeD               bool             `json:"IsThreeD"`
	Description            string           `json:"Description"`
	PaymentStatus          Int              `json:"PaymentStatus"`
	TrxStatus              Int              `json:"TrxStatus"`
	IsPoolPayment          bool             `json:"IsPoolPayment"`
	SubPaymentList         []SubPaymentItem `json:"PaymentDealerList,omitempty"`
}

// SubPaymentItem is one sub-dealer's part of a marketplace payment.
type SubPaymentItem struct {
	DealerPaymentDealerID       Int    `json:"DealerPaymentDealerId"`
	DealerID                    Int    `json:"DealerId"`
	Amount                      Amount `json:"Amount"`
	RefAmount                   Amount `json:"RefAmount"`
	DealerCommissionAmount      Amount `json:"DealerCommissionAmount"`
	DealerGroupCommissionAmount Amount `json:"DealerGroupCommissionAmount"`
}

// Trx is one transaction of a payment (pre-auth, payment, cancel, refund).
type Trx struct {
	DealerPaymentTrxID Int    `json:"DealerPaymentTrxId"`
	TrxCode            string `json:"TrxCode"`
	TrxDate            string `json:"TrxDate"`
	Amount             Amount `json:"Amount"`
	TrxType            Int    `json:"TrxType"`
	TrxStatus          Int    `json:"TrxStatus"`
	PaymentReason      Int    `json:"PaymentReason"`
	VoidRefundReason   Int    `json:"VoidRefundReason"`
	VirtualPosOrderID  string `json:"VirtualPosOrderId"`
	ResultMessage      string `json:"ResultMessage"`
	// SubPaymentTrxList splits a marketplace transaction among the sub-dealers; Moka
	// leaves it out for a payment without sub-dealers.
	SubPaymentTrxList []SubPaymentTrx `json:"SubPaymentTrxList,omitempty"`
}

// SubPaymentTrx is one sub-dealer's part of a transaction (seed 004). DealerPaymentDealerID
// points at the sub-dealer's SubPaymentItem of the payment; DealerStatementID is the
// statement the part was settled on, 0 until then.
type SubPaymentTrx struct {
	DealerPaymentTrxDealerID    Int    `json:"DealerPaymentTrxDealerId"`
	DealerPaymentDealerID       Int    `json:"DealerPaymentDealerId"`
	DealerID                    Int    `json:"DealerId"`
	Amount                      Amount `json:"Amount"`
	DealerCommissionAmount      Amount `json:"DealerCommissionAmount"`
	DealerGroupCommissionAmount Amount `json:"DealerGroupCommissionAmount"`
	DealerStatementID           Int    `json:"DealerStatementId"`
}

// Payment master statuses (PaymentDetail.PaymentStatus) and transaction types (TrxType).
const (
	PaymentStatusStandby    = 0
	PaymentStatusPreAuth    = 1
	PaymentStatusPayment    = 2
	PaymentStatusCancel     = 3
	PaymentStatusFullRefund = 4

	TrxTypePaymentRequest = 0
	TrxTypePreAuth        = 1
	TrxTypePayment        = 2
	TrxTypeCancel         = 3
	TrxTypeRefund         = 4

	TrxStatusPending = 0
	TrxStatusSuccess = 1
	TrxStatusFailed  = 2
)
