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

	// Messages card.js shows before the form is sent. The server checks the same rules and
	// says the same words: each is, word for word, the text of one of the server's card form
	// messages in internal/checkout/i18n.go (named beside it), and a test holds the pairs
	// equal. The template package cannot import the checkout's texts (the checkout imports
	// it), hence the copy.
	//
	// ErrRequired is for an empty name on the card (err_card_holder); every other field
	// left empty gets its own message below, as it does from the server.
	ErrRequired string
	// ErrCardNumber is for a number failing the Luhn check (err_card_luhn), ErrCardLength
	// for one that is not 12 to 19 digits (err_card_number).
	ErrCardNumber string
	ErrCardLength string
	// ErrExpMonth is err_exp_month, ErrExpYear err_exp_year, ErrExpPast err_expired,
	// ErrCVC err_cvc3 and ErrCVCAmex err_cvc4.
	ErrExpMonth string
	ErrExpYear  string
	ErrExpPast  string
	ErrCVC      string
	ErrCVCAmex  string
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
		ErrRequired:    "Kart üzerindeki adı girin.",
		ErrCardNumber:  "Bu kart numarası geçerli değil. Yazım hatası olup olmadığını kontrol edin.",
		ErrCardLength:  "12 ile 19 haneli bir kart numarası girin.",
		ErrExpMonth:    "Son kullanma ayını girin (1-12).",
		ErrExpYear:     "Son kullanma yılını girin.",
		ErrExpPast:     "Bu kartın süresi dolmuş.",
		ErrCVC:         "3 haneli güvenlik kodunu girin.",
		ErrCVCAmex:     "4 haneli güvenlik kodunu girin.",
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
		ErrRequired:    "Enter the name on the card.",
		ErrCardNumber:  "This card number is not valid. Check it for typos.",
		ErrCardLength:  "Enter a card number of 12 to 19 digits.",
		ErrExpMonth:    "Enter the expiry month (1-12).",
		ErrExpYear:     "Enter the expiry year.",
		ErrExpPast:     "This card has expired.",
		ErrCVC:         "Enter the 3-digit security code.",
		ErrCVCAmex:     "Enter the 4-digit security code.",
	},
}

// months are the options of the expiry month select.
var months = []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}
