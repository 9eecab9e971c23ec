package templates

// labels are the static texts of the pages in one language. Dynamic messages (errors,
// result headings) arrive translated in the view models.
type labels struct {
	CardHolder     string
	CardNumber     string
	Expiry         string
	ExpMonth       string
	ExpYear        string
	MonthPlaceHold string
	YearPlaceHold  string
	CVC            string
	CVCHint        string
	Installments   string
	Pay            string
	Processing     string
	SecurePayment  string
	SecureNote     string
	Cancel         string
	Continue       string
	Retry          string
	Redirecting    string
	Amount         string
	Order          string
	BankDetail     string
	BackToShop     string

	// Messages card.js shows before the form is sent; the server checks the same rules.
	ErrRequired   string
	ErrCardNumber string
	ErrExpMonth   string
	ErrExpYear    string
	ErrExpPast    string
	ErrCVC        string
	ErrCVCAmex    string
}

// labelSets is keyed by language; "tr" is the default for anything unknown.
var labelSets = map[string]labels{
	"tr": {
		CardHolder:     "Kart sahibinin adı",
		CardNumber:     "Kart numarası",
		Expiry:         "Son kullanma tarihi",
		ExpMonth:       "Son kullanma ayı",
		ExpYear:        "Son kullanma yılı",
		MonthPlaceHold: "AA",
		YearPlaceHold:  "YYYY",
		CVC:            "CVC",
		CVCHint:        "Kartın arkasındaki 3 haneli kod (Amex: önündeki 4 hane)",
		Installments:   "Taksit",
		Pay:            "Öde",
		Processing:     "İşleniyor…",
		SecurePayment:  "Güvenli ödeme",
		SecureNote:     "Kart bilgileriniz bankanıza 3-D Secure ile iletilir ve saklanmaz.",
		Cancel:         "Vazgeç ve mağazaya dön",
		Continue:       "Devam et",
		Retry:          "Tekrar dene",
		Redirecting:    "Birkaç saniye içinde yönlendirileceksiniz.",
		Amount:         "Tutar",
		Order:          "Sipariş",
		BankDetail:     "Bankanın yanıtı",
		BackToShop:     "Mağazaya dön",
		ErrRequired:    "Bu alan zorunludur.",
		ErrCardNumber:  "Kart numarası geçersiz.",
		ErrExpMonth:    "Ay 01 ile 12 arasında olmalıdır.",
		ErrExpYear:     "Yılı dört hane olarak girin.",
		ErrExpPast:     "Kartın son kullanma tarihi geçmiş.",
		ErrCVC:         "CVC 3 haneli olmalıdır.",
		ErrCVCAmex:     "American Express kartlarında CVC 4 hanelidir.",
	},
	"en": {
		CardHolder:     "Name on card",
		CardNumber:     "Card number",
		Expiry:         "Expiry date",
		ExpMonth:       "Expiry month",
		ExpYear:        "Expiry year",
		MonthPlaceHold: "MM",
		YearPlaceHold:  "YYYY",
		CVC:            "CVC",
		CVCHint:        "3 digits on the back of the card (Amex: 4 on the front)",
		Installments:   "Installments",
		Pay:            "Pay",
		Processing:     "Processing…",
		SecurePayment:  "Secure payment",
		SecureNote:     "Your card details go to your bank with 3-D Secure and are not stored.",
		Cancel:         "Cancel and return to the shop",
		Continue:       "Continue",
		Retry:          "Try again",
		Redirecting:    "You will be redirected in a few seconds.",
		Amount:         "Amount",
		Order:          "Order",
		BankDetail:     "The bank's answer",
		BackToShop:     "Back to the shop",
		ErrRequired:    "This field is required.",
		ErrCardNumber:  "The card number is not valid.",
		ErrExpMonth:    "The month must be between 01 and 12.",
		ErrExpYear:     "Enter the year as four digits.",
		ErrExpPast:     "The card has expired.",
		ErrCVC:         "The CVC has 3 digits.",
		ErrCVCAmex:     "American Express cards have a 4-digit CVC.",
	},
}

// months are the options of the expiry month select.
var months = []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}
