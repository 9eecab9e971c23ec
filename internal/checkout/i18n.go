package checkout

import (
	"fmt"
	"strconv"
	"strings"
)

// Message keys of what handlers show buyers. Templates translate their own static labels;
// everything a handler decides (headings, alerts, field errors) is translated here.
const (
	msgRawText            = "raw"
	msgNotFound           = "not_found"
	msgNotFoundText       = "not_found_text"
	msgInvalidRequest     = "invalid_request"
	msgInvalidRequestText = "invalid_request_text"
	msgMethodNotAllowed   = "method_not_allowed"
	msgServerError        = "server_error"
	msgServerErrorText    = "server_error_text"
	msgBusy               = "busy"
	msgBusyText           = "busy_text"
	msgForbidden          = "forbidden"
	msgBadFormToken       = "bad_form_token"
	msgCrossSite          = "cross_site"
	msgBadEmbed           = "bad_embed"
	msgBadLink            = "bad_link"
	msgLinkExpired        = "link_expired"
	msgUnknownMerchant    = "unknown_merchant"
	msgLinkConflict       = "link_conflict"
	msgLinkConflictText   = "link_conflict_text"
	msgLinkInvalidField   = "link_invalid_field"
	msgPayTitle           = "pay_title"
	msgOrderPaid          = "order_paid"
	msgOrderPaidText      = "order_paid_text"
	msgOrderAuthorized    = "order_authorized"
	msgOrderRefunded      = "order_refunded"
	msgOrderRefundedText  = "order_refunded_text"
	msgOrderExpired       = "order_expired"
	msgOrderExpiredText   = "order_expired_text"
	msgOrderCanceled      = "order_canceled"
	msgOrderCanceledText  = "order_canceled_text"
	msgInProgress         = "in_progress"
	msgInProgressText     = "in_progress_text"
	msgUnderReview        = "under_review"
	msgUnderReviewText    = "under_review_text"
	msgContinueAtBank     = "continue_at_bank"
	msgExhaustedText      = "exhausted_text"
	msgDeclined           = "declined"
	msgMokaFailed         = "moka_failed"
	msgMokaUnavailable    = "moka_unavailable"
	msgFixErrors          = "fix_errors"
	msgResultPaid         = "result_paid"
	msgResultPaidText     = "result_paid_text"
	msgResultAuthorized   = "result_authorized"
	msgResultAuthText     = "result_authorized_text"
	msgResultFailed       = "result_failed"
	msgResultFailedRetry  = "result_failed_retry"
	msgResultFailedFinal  = "result_failed_final"
	msgResultPending      = "result_pending"
	msgResultPendingText  = "result_pending_text"
	msgBankSaid           = "bank_said"
	msgBackToShop         = "back_to_shop"
	msgTryAgain           = "try_again"
	msgSinglePayment      = "single_payment"
	msgInstallmentCount   = "installment_count"
	errCardHolder         = "err_card_holder"
	errCardHolderDigits   = "err_card_holder_digits"
	errCardHolderLong     = "err_card_holder_long"
	errCardNumber         = "err_card_number"
	errCardLuhn           = "err_card_luhn"
	errExpMonth           = "err_exp_month"
	errExpYear            = "err_exp_year"
	errExpired            = "err_expired"
	errCVC3               = "err_cvc3"
	errCVC4               = "err_cvc4"
	errInstallments       = "err_installments"
	msgTooManyDeclines    = "too_many_declines"
	msgTooManyTries       = "too_many_tries"
	msgTooManyTriesText   = "too_many_tries_text"
)

var messages = map[string]map[string]string{
	"en": {
		msgRawText:            "%s",
		msgNotFound:           "Not found",
		msgNotFoundText:       "There is no such payment page. Check the link you were given.",
		msgInvalidRequest:     "Invalid request",
		msgInvalidRequestText: "The request could not be understood.",
		msgMethodNotAllowed:   "This page does not accept that kind of request.",
		msgServerError:        "Something went wrong",
		msgServerErrorText:    "We could not complete your request. Please try again in a moment.",
		msgBusy:               "Very busy right now",
		msgBusyText:           "Too many payments are being made at this moment. Please try again in a few seconds.",
		msgForbidden:          "Not allowed",
		msgBadFormToken:       "This payment form is not valid any more. Open the payment page again.",
		msgCrossSite:          "Payments can only be sent from the payment page itself.",
		msgBadEmbed:           "This payment page cannot be shown inside that site.",
		msgBadLink:            "This payment link is not valid. Ask the shop for a new one.",
		msgLinkExpired:        "This payment link has expired. Ask the shop for a new one.",
		msgUnknownMerchant:    "This payment link does not belong to a known shop.",
		msgLinkConflict:       "Payment link conflict",
		msgLinkConflictText:   "An order with this reference already exists with a different amount or currency.",
		msgLinkInvalidField:   "This payment link is not valid (%s). Ask the shop for a new one.",
		msgPayTitle:           "Pay %s",
		msgOrderPaid:          "This order is paid",
		msgOrderPaidText:      "The payment for this order has been received. Nothing more to pay.",
		msgOrderAuthorized:    "This order is authorized",
		msgOrderRefunded:      "This order was refunded",
		msgOrderRefundedText:  "This order has been paid and refunded. Nothing more to pay.",
		msgOrderExpired:       "This order has expired",
		msgOrderExpiredText:   "The time to pay this order is over. Ask the shop for a new payment link.",
		msgOrderCanceled:      "This order was canceled",
		msgOrderCanceledText:  "This order can no longer be paid. Ask the shop for a new payment link.",
		msgInProgress:         "Payment in progress",
		msgInProgressText:     "A payment for this order is in progress at the bank. Finish it there, or wait a few minutes and reload this page.",
		msgUnderReview:        "This order is being checked",
		msgUnderReviewText:    "The shop is checking a payment for this order, so it cannot be paid now. Please do not pay again; the shop will contact you.",
		msgContinueAtBank:     "Continue at your bank",
		msgExhaustedText:      "Too many payment attempts were made for this order. Ask the shop for a new payment link.",
		msgDeclined:           "The card was declined. Check the card details, or use another card.",
		msgMokaFailed:         "The payment could not be started. Try again, or use another card.",
		msgMokaUnavailable:    "The payment service is not answering right now. Your card was not charged. Please try again in a moment.",
		msgFixErrors:          "Please correct the highlighted fields.",
		msgResultPaid:         "Payment successful",
		msgResultPaidText:     "Thank you. Your payment has been received.",
		msgResultAuthorized:   "Payment authorized",
		msgResultAuthText:     "Thank you. The amount has been reserved on your card; the shop will complete the payment.",
		msgResultFailed:       "Payment failed",
		msgResultFailedRetry:  "The payment did not go through. You can try again with the same or another card.",
		msgResultFailedFinal:  "The payment did not go through, and this order can no longer be paid here.",
		msgResultPending:      "We are confirming your payment",
		msgResultPendingText:  "We have not yet received a confirmed answer from the bank. Do not pay again; the shop will be told the result.",
		msgBankSaid:           "The bank said: %s",
		msgBackToShop:         "Back to the shop",
		msgTryAgain:           "Try again",
		msgSinglePayment:      "Single payment",
		msgInstallmentCount:   "%d installments",
		errCardHolder:         "Enter the name on the card.",
		errCardHolderDigits:   "Enter the name on the card here, not the card number.",
		errCardHolderLong:     "The name on the card can be at most 100 characters.",
		errCardNumber:         "Enter a card number of 12 to 19 digits.",
		errCardLuhn:           "This card number is not valid. Check it for typos.",
		errExpMonth:           "Enter the expiry month (1-12).",
		errExpYear:            "Enter the expiry year.",
		errExpired:            "This card has expired.",
		errCVC3:               "Enter the 3-digit security code.",
		errCVC4:               "Enter the 4-digit security code.",
		errInstallments:       "Choose one of the installment options.",
		msgReason3DFailed:     "Your bank could not confirm the payment with 3-D Secure (the code was wrong or the time ran out).",
		msgReasonDeclined:     "Your bank declined the payment.",
		msgReasonInvalidCard:  "Your bank says the card details are not valid.",
		msgReasonFunds:        "The card's limit or balance is not enough for this payment.",
		msgReasonExpired:      "Your bank says the card has expired.",
		msgReasonNotPermitted: "Your bank does not allow this card for online payments. Your bank can turn them on, or use another card.",
		msgReasonBankDown:     "Your bank could not be reached.",
		msgTooManyDeclines:    "Too many cards have been declined here recently, so card payments are paused for a while. Please try again later. Your card was not charged.",
		msgTooManyTries:       "Too many attempts",
		msgTooManyTriesText:   "Too many invalid payment links were opened from your connection. Please try again later.",
	},
	"tr": {
		msgRawText:            "%s",
		msgNotFound:           "Bulunamadı",
		msgNotFoundText:       "Böyle bir ödeme sayfası yok. Size verilen bağlantıyı kontrol edin.",
		msgInvalidRequest:     "Geçersiz istek",
		msgInvalidRequestText: "İstek anlaşılamadı.",
		msgMethodNotAllowed:   "Bu sayfa bu tür bir isteği kabul etmiyor.",
		msgServerError:        "Bir sorun oluştu",
		msgServerErrorText:    "İsteğiniz tamamlanamadı. Lütfen biraz sonra tekrar deneyin.",
		msgBusy:               "Şu an çok yoğunuz",
		msgBusyText:           "Şu anda çok sayıda ödeme yapılıyor. Lütfen birkaç saniye sonra tekrar deneyin.",
		msgForbidden:          "İzin verilmedi",
		msgBadFormToken:       "Bu ödeme formu artık geçerli değil. Ödeme sayfasını yeniden açın.",
		msgCrossSite:          "Ödeme yalnızca ödeme sayfasının kendisinden gönderilebilir.",
		msgBadEmbed:           "Bu ödeme sayfası o sitede gösterilemez.",
		msgBadLink:            "Bu ödeme bağlantısı geçerli değil. Mağazadan yeni bir bağlantı isteyin.",
		msgLinkExpired:        "Bu ödeme bağlantısının süresi doldu. Mağazadan yeni bir bağlantı isteyin.",
		msgUnknownMerchant:    "Bu ödeme bağlantısı tanınan bir mağazaya ait değil.",
		msgLinkConflict:       "Ödeme bağlantısı çakışması",
		msgLinkConflictText:   "Bu referansla farklı tutar veya para birimine sahip bir sipariş zaten var.",
		msgLinkInvalidField:   "Bu ödeme bağlantısı geçerli değil (%s). Mağazadan yeni bir bağlantı isteyin.",
		msgPayTitle:           "%s öde",
		msgOrderPaid:          "Bu sipariş ödendi",
		msgOrderPaidText:      "Bu siparişin ödemesi alındı. Ödenecek bir şey kalmadı.",
		msgOrderAuthorized:    "Bu siparişin ödemesi onaylandı",
		msgOrderRefunded:      "Bu sipariş iade edildi",
		msgOrderRefundedText:  "Bu sipariş ödendi ve iade edildi. Ödenecek bir şey kalmadı.",
		msgOrderExpired:       "Bu siparişin süresi doldu",
		msgOrderExpiredText:   "Bu siparişin ödeme süresi sona erdi. Mağazadan yeni bir ödeme bağlantısı isteyin.",
		msgOrderCanceled:      "Bu sipariş iptal edildi",
		msgOrderCanceledText:  "Bu sipariş artık ödenemez. Mağazadan yeni bir ödeme bağlantısı isteyin.",
		msgInProgress:         "Ödeme sürüyor",
		msgInProgressText:     "Bu sipariş için bankada süren bir ödeme var. Ödemeyi orada tamamlayın ya da birkaç dakika bekleyip sayfayı yenileyin.",
		msgUnderReview:        "Bu sipariş inceleniyor",
		msgUnderReviewText:    "Mağaza bu siparişe ait bir ödemeyi kontrol ediyor; sipariş şu an ödenemez. Lütfen yeniden ödeme yapmayın, mağaza sizinle iletişime geçecek.",
		msgContinueAtBank:     "Bankanızda devam edin",
		msgExhaustedText:      "Bu sipariş için çok fazla ödeme denemesi yapıldı. Mağazadan yeni bir ödeme bağlantısı isteyin.",
		msgDeclined:           "Kart reddedildi. Kart bilgilerini kontrol edin ya da başka bir kart kullanın.",
		msgMokaFailed:         "Ödeme başlatılamadı. Tekrar deneyin ya da başka bir kart kullanın.",
		msgMokaUnavailable:    "Ödeme servisi şu anda yanıt vermiyor. Kartınızdan çekim yapılmadı. Lütfen biraz sonra tekrar deneyin.",
		msgFixErrors:          "Lütfen işaretli alanları düzeltin.",
		msgResultPaid:         "Ödeme başarılı",
		msgResultPaidText:     "Teşekkürler. Ödemeniz alındı.",
		msgResultAuthorized:   "Ödeme onaylandı",
		msgResultAuthText:     "Teşekkürler. Tutar kartınızda ayrıldı; mağaza ödemeyi tamamlayacak.",
		msgResultFailed:       "Ödeme başarısız",
		msgResultFailedRetry:  "Ödeme gerçekleşmedi. Aynı ya da başka bir kartla tekrar deneyebilirsiniz.",
		msgResultFailedFinal:  "Ödeme gerçekleşmedi ve bu sipariş artık burada ödenemez.",
		msgResultPending:      "Ödemeniz doğrulanıyor",
		msgResultPendingText:  "Bankadan henüz doğrulanmış bir yanıt almadık. Tekrar ödeme yapmayın; sonuç mağazaya bildirilecek.",
		msgBankSaid:           "Bankanın yanıtı: %s",
		msgBackToShop:         "Mağazaya dön",
		msgTryAgain:           "Tekrar dene",
		msgSinglePayment:      "Tek çekim",
		msgInstallmentCount:   "%d taksit",
		errCardHolder:         "Kart üzerindeki adı girin.",
		errCardHolderDigits:   "Buraya kart numarasını değil, kart üzerindeki adı girin.",
		errCardHolderLong:     "Kart üzerindeki ad en fazla 100 karakter olabilir.",
		errCardNumber:         "12 ile 19 haneli bir kart numarası girin.",
		errCardLuhn:           "Bu kart numarası geçerli değil. Yazım hatası olup olmadığını kontrol edin.",
		errExpMonth:           "Son kullanma ayını girin (1-12).",
		errExpYear:            "Son kullanma yılını girin.",
		errExpired:            "Bu kartın süresi dolmuş.",
		errCVC3:               "3 haneli güvenlik kodunu girin.",
		errCVC4:               "4 haneli güvenlik kodunu girin.",
		errInstallments:       "Taksit seçeneklerinden birini seçin.",
		msgReason3DFailed:     "Bankanız ödemeyi 3-D Secure ile doğrulayamadı (kod hatalıydı ya da süre doldu).",
		msgReasonDeclined:     "Bankanız ödemeyi onaylamadı.",
		msgReasonInvalidCard:  "Bankanıza göre kart bilgileri geçerli değil.",
		msgReasonFunds:        "Kartın limiti ya da bakiyesi bu ödeme için yeterli değil.",
		msgReasonExpired:      "Bankanıza göre kartın süresi dolmuş.",
		msgReasonNotPermitted: "Bankanız bu kartla internetten ödemeye izin vermiyor. Bankanızdan açtırabilir ya da başka bir kart kullanabilirsiniz.",
		msgReasonBankDown:     "Bankanıza ulaşılamadı.",
		msgTooManyDeclines:    "Son zamanlarda burada çok sayıda kart reddedildi; bu yüzden kartla ödeme bir süre durduruldu. Lütfen daha sonra tekrar deneyin. Kartınızdan çekim yapılmadı.",
		msgTooManyTries:       "Çok fazla deneme",
		msgTooManyTriesText:   "Bağlantınızdan çok sayıda geçersiz ödeme bağlantısı açıldı. Lütfen daha sonra tekrar deneyin.",
	},
}

// tr translates a message key to lang, filling in args.
func tr(lang, key string, args ...any) string {
	m, ok := messages[lang]
	if !ok {
		m = messages["tr"]
	}
	s, ok := m[key]
	if !ok {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// pickLang chooses the page language: the order's locale when set, else the best of tr
// and en in Accept-Language, else tr.
func pickLang(orderLocale, acceptLanguage string) string {
	if orderLocale == "tr" || orderLocale == "en" {
		return orderLocale
	}
	best, bestQ := "", -1.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if primary != "tr" && primary != "en" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > bestQ {
			best, bestQ = primary, q
		}
	}
	if best == "" || bestQ <= 0 {
		return "tr"
	}
	return best
}

// Reasons of a failed 3-D payment, by the bank's result code (bankReasons in result.go).
const (
	msgReason3DFailed     = "reason_3d_failed"
	msgReasonDeclined     = "reason_declined"
	msgReasonInvalidCard  = "reason_invalid_card"
	msgReasonFunds        = "reason_funds"
	msgReasonExpired      = "reason_expired"
	msgReasonNotPermitted = "reason_not_permitted"
	msgReasonBankDown     = "reason_bank_down"
)

// The installment table's texts (installments.go).
const (
	msgSinglePaymentTotal = "single_payment_total"
	msgInstallmentTotal   = "installment_total"
	msgCardInstallments   = "card_installments"
	errInstallmentCard    = "err_installment_card"
)

func init() {
	for lang, m := range map[string]map[string]string{
		"en": {
			msgSinglePaymentTotal: "Single payment: %s",
			msgInstallmentTotal:   "%d × %s = %s",
			msgCardInstallments:   "Installment options of your card",
			errInstallmentCard:    "Your card's bank does not offer this installment count. Choose one of the options below.",
		},
		"tr": {
			msgSinglePaymentTotal: "Tek çekim: %s",
			msgInstallmentTotal:   "%d × %s = %s",
			msgCardInstallments:   "Kartınızın taksit seçenekleri",
			errInstallmentCard:    "Kartınızın bankası bu taksit sayısını sunmuyor. Aşağıdaki seçeneklerden birini seçin.",
		},
	} {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}
