package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
)

// Outcomes a test card can pick.
const (
	OutcomeSuccess                = "success"
	OutcomeThreeDFailed           = "3d-failed"
	OutcomeInvalidCard            = "invalid-card"
	OutcomeDailyCardLimit         = "daily-card-limit"
	OutcomeVirtualPosNotAvailable = "virtual-pos-not-available"
	OutcomeAbandoned              = "abandoned"
	OutcomeNoInstallments         = "no-installments"
	OutcomeRefundRefused          = "refund-refused"
)

// TestCard is one row of the sandbox's test card table; the README and the tests are
// built from the same table.
type TestCard struct {
	Number  string
	Brand   string
	Outcome string
	// ResultCode is the code the outcome produces: an envelope ResultCode for cards
	// refused at the 3-D start, the bank's resultCode on the RedirectUrl post for a 3-D
	// failure, and "" otherwise.
	ResultCode string
	// Note says what a user sees, in a sentence for the README.
	Note string
}

// Result codes the sandbox answers at the 3-D start and on the bank return.
const (
	CodeInvalidCardInfo          = "PaymentDealer.CheckCardInfo.InvalidCardInfo"
	CodeDailyCardLimitExceeded   = "PaymentDealer.CheckDealerPaymentLimits.DailyCardLimitExceeded"
	CodeDailyDealerLimitExceeded = "PaymentDealer.CheckDealerPaymentLimits.DailyDealerLimitExceeded"
	CodeVirtualPosNotAvailable   = "PaymentDealer.DoDirectPayment3dRequest.VirtualPosNotAvailable"
	CodeInstallmentForVirtualPos = "PaymentDealer.DoDirectPayment3dRequest.ThisInstallmentNumberNotAvailableForVirtualPos"
	CodeInstallmentForDealer     = "PaymentDealer.DoDirectPayment3dRequest.ThisInstallmentNumberNotAvailableForDealer"
	CodeInstallmentForeign       = "PaymentDealer.DoDirectPayment3dRequest.InstallmentNotAvailableForForeignCurrencyTransaction"
	CodeInvalidInstallment       = "PaymentDealer.DoDirectPayment3dRequest.InvalidInstallmentNumber"
	CodeInvalidSubDealer         = "PaymentDealer.DoDirectPayment3dRequest.InvalidSubDealer"
	CodeInvalidScenario          = "PaymentDealer.DoDirectPayment3dRequest.InvalidCommissionScenario"
	CodeSubDealerAmountMismatch  = "PaymentDealer.DoDirectPayment3dRequest.SubDealerAmountMismatch"
	// BankCodeThreeDFailed is the bank's resultCode posted to the RedirectUrl when 3-D
	// authentication fails (wrong OTP or the 3-D failure card).
	BankCodeThreeDFailed = "000002"
)

// TestCards is the sandbox's test card table. Expiry: any future date; CVC: any 3 or 4
// digits. Any other Luhn-valid number succeeds; a number failing the Luhn check answers
// InvalidCardInfo. 5269552233334444 (from Moka's seed samples) fails the Luhn check but
// is honoured because the seed samples use it.
var TestCards = []TestCard{
	{"5269552233334444", "mastercard", OutcomeSuccess, "", "Succeeds (the seed samples' card; not Luhn-valid, so only API calls can use it)."},
	{"4183441122223339", "visa", OutcomeSuccess, "", "Succeeds with OTP 123456."},
	{"4355084355084358", "visa", OutcomeThreeDFailed, BankCodeThreeDFailed, "3-D authentication fails at the bank: hash F, resultCode 000002."},
	{"5890040000000016", "maestro", OutcomeInvalidCard, CodeInvalidCardInfo, "Refused at the 3-D start."},
	{"4022774022774026", "visa", OutcomeDailyCardLimit, CodeDailyCardLimitExceeded, "Refused at the 3-D start."},
	{"4546711234567894", "visa", OutcomeVirtualPosNotAvailable, CodeVirtualPosNotAvailable, "Refused at the 3-D start."},
	{"5400360000000003", "mastercard", OutcomeAbandoned, "", "The bank page never posts back (session timed out); the payment stays pending."},
	{"4824894728063019", "visa", OutcomeNoInstallments, CodeInstallmentForVirtualPos, "Refused at the 3-D start when installments > 1; succeeds as a single payment."},
	{"4556789012345672", "visa", OutcomeRefundRefused, "", "Pays; a refund request is accepted, but the bank refuses the refund when Moka completes it (a failed TrxType 4 row, RefAmount unchanged)."},
}

// cardOutcome picks the outcome for a card number. The number is not kept.
func cardOutcome(number string) string {
	for _, c := range TestCards {
		if c.Number == number {
			return c.Outcome
		}
	}
	if !luhnValid(number) {
		return OutcomeInvalidCard
	}
	return OutcomeSuccess
}

// luhnValid reports whether number is 12 to 19 digits passing the Luhn check.
func luhnValid(number string) bool {
	if len(number) < 12 || len(number) > 19 {
		return false
	}
	sum := 0
	for i := 0; i < len(number); i++ {
		c := number[len(number)-1-i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// checkKey is Moka's CheckKey: lowercase hex SHA-256 of DealerCode+"MK"+Username+"PD"+Password.
func checkKey(dealerCode, username, password string) string {
	sum := sha256.Sum256([]byte(dealerCode + "MK" + username + "PD" + password))
	return hex.EncodeToString(sum[:])
}

// messages are the result messages of the codes the sandbox answers, from the seed tables.
var messages = map[string]string{
	authPrefix + "InvalidRequest":                                      "The CheckKey may be bad, or the object may be bad, or the JSON may be corrupt.",
	authPrefix + "InvalidAccount":                                      "No such dealer was found.",
	authPrefix + "VirtualPosNotFound":                                  "There is no virtual pos definition for this dealer.",
	"PaymentDealer.DoCreateRefundRequest.InvalidRequest":               "The CheckKey may be bad, or the object may be bad, or the JSON may be corrupt.",
	"PaymentDealer.DoCreateRefundRequest.InvalidAccount":               "No such dealer was found.",
	CodeInvalidCardInfo:                                                "There is an error in the card information.",
	CodeDailyCardLimitExceeded:                                         "No more transactions can be made using this card during the day.",
	CodeDailyDealerLimitExceeded:                                       "Any of the daily limits defined for the dealer have been exceeded.",
	CodeVirtualPosNotAvailable:                                         "There is no virtual pos for this card's bank.",
	CodeInstallmentForVirtualPos:                                       "Virtual Pos does not allow this number of installments.",
	CodeInstallmentForDealer:                                           "This number of installments cannot be made for this dealer.",
	CodeInstallmentForeign:                                             "Installments cannot be made in foreign currency.",
	CodeInvalidInstallment:                                             "The number of installments is between 2 and 12.",
	CodeInvalidSubDealer:                                               "A sub-dealer is missing, repeated, or does not belong to this dealer.",
	CodeInvalidScenario:                                                "The commission scenario is missing, unknown, or lacks a required sub-dealer field.",
	CodeSubDealerAmountMismatch:                                        "The sub-dealer amounts do not add up as the commission scenario requires.",
	"PaymentDealer.DoCapture.InvalidAmount":                            "The amount field was entered incorrectly.",
	approvePrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven":         "Incomplete data sent. OrderId or OtherTrxCode must be entered.",
	approvePrefix + "DealerPaymentNotFound":                            "No payment record was found for the information entered to be confirmed.",
	approvePrefix + "PaymentAlreadyApproved":                           "This payment has already been confirmed.",
	approvePrefix + "PaymentIsNotPoolPayment":                          "This payment is not a pool payment.",
	undoPrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven":            "Incomplete data sent. OrderId or OtherTrxCode must be entered.",
	undoPrefix + "DealerPaymentNotFound":                               "No payment record was found for the information entered.",
	undoPrefix + "PaymentIsNotPoolPayment":                             "This payment is not a pool payment.",
	undoPrefix + "PaymentNotApproved":                                  "This payment has not been confirmed.",
	refundPrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven":          "Incomplete data sent. OrderId or OtherTrxCode must be entered.",
	refundPrefix + "InvalidAmount":                                     "The value entered in the Amount field should not be greater than the payment amount.",
	refundPrefix + "PaymentNotFound":                                   "A payment record to create a refund request could not be found.",
	refundPrefix + "OtherTrxCodeAndVirtualPosOrderIdMismatch":          "The data sent belong to different payments.",
	refundPrefix + "RefundRequestAlreadyExist":                         "There is a pending refund request for this payment. It must be waited for its completion or the request withdrawn.",
	voidPrefix + "OtherTrxCodeOrVirtualPosOrderIdMustGiven":            "Incomplete data sent. OrderId or OtherTrxCode must be entered.",
	voidPrefix + "PaymentNotFound":                                     "No payment was found to cancel.",
	CodeVoidInvalidRequest:                                             "The CheckKey may be bad, or the object may be bad, or the JSON may be corrupt.",
	CodeVoidPaymentNotAvailable:                                        "This payment cannot be cancelled: it did not go through, is cancelled or refunded already, or its day's 22:00 has passed.",
	CodeCaptureMustGiven:                                               "Incomplete data sent. OrderId or OtherTrxCode must be entered.",
	CodeRefundOnPaymentDay:                                             "A payment cannot be refunded on its own day; cancel it with DoVoid instead.",
	CodeDetailMustBeGiven:                                              "Incomplete data sent. PaymentId or OtherTrxCode must be entered.",
	CodeDetailNotFound:                                                 "No payment was found.",
	"PaymentDealer.GetPaymentTrxListMarketPlace.InvalidDateTimeFormat": `The date format should be "yyyy-MM-dd HH:mm".`,
	"PaymentDealer.GetPaymentTrxListMarketPlace.DealerNotAuthorized":   "The dealer is not allowed.",
	"PaymentDealer.GetPaymentTrxListMarketPlace.InvalidTrxType":        "Invalid TrxType value entered.",
	"PaymentDealer.GetPaymentTrxListMarketPlace.InvalidTrxStatus":      "Invalid TrxStatus value entered.",
}
