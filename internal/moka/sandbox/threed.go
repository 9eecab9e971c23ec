package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

func (s *Server) handleThreeD(w http.ResponseWriter, r *http.Request) {
	s.startThreeD(w, r, false)
}

func (s *Server) handleThreeDMarketPlace(w http.ResponseWriter, r *http.Request) {
	s.startThreeD(w, r, true)
}

// startThreeD validates a 3-D payment the way Moka does, in the order of the seed's
// table, and on success stores a pending payment and answers the bank page URL.
func (s *Server) startThreeD(w http.ResponseWriter, r *http.Request, marketplace bool) {
	wire, d, ok := decode[threeDWire](s, w, r, authPayment)
	if !ok {
		return
	}
	req := wire.request()
	amount := req.Amount.Decimal
	currency := strings.ToUpper(strings.TrimSpace(req.Currency))
	if currency == "" {
		currency = moka.CurrencyTL
	}
	switch {
	case isEXAmount(amount):
		writeEX(w, "amount "+EXAmount+" always answers EX")
		return
	}
	redirectURL, urlOK := bankReturnURL(req.RedirectURL)
	if !amount.IsPositive() || !amount.Equal(amount.Round(2)) || !validCurrency(currency) ||
		(req.ReturnHash != 0 && req.ReturnHash != 1) || !urlOK {
		writeCode(w, authPayment.invalidRequest)
		return
	}
	number := strings.ReplaceAll(strings.TrimSpace(req.CardNumber), " ", "")
	outcome := cardOutcome(number)
	if outcome == OutcomeInvalidCard || !s.validExpiry(req.ExpMonth, req.ExpYear) || !validCVC(req.CvcNumber) {
		writeCode(w, CodeInvalidCardInfo)
		return
	}
	inst := int(req.InstallmentNumber)
	switch {
	case inst < 0 || inst > 12:
		writeCode(w, CodeInvalidInstallment)
		return
	case inst > 1 && currency != moka.CurrencyTL:
		writeCode(w, CodeInstallmentForeign)
		return
	case inst > 1 && inst > d.MaxInstallments:
		writeCode(w, CodeInstallmentForDealer)
		return
	case inst > 1 && !bankTableFor(number).offers(inst):
		// The card's bank (its BIN's row of BankTables, the table DoCalcPaymentTable
		// answers) does not offer the count: Moka answers the card-side refusal, not the
		// dealer's, so the checkout tells the buyer the card cannot take it.
		writeCode(w, CodeInstallmentForVirtualPos)
		return
	case outcome == OutcomeDailyCardLimit:
		writeCode(w, CodeDailyCardLimitExceeded)
		return
	case outcome == OutcomeVirtualPosNotAvailable:
		writeCode(w, CodeVirtualPosNotAvailable)
		return
	}
	if inst < 1 {
		inst = 1
	}
	var subs []subShare
	if marketplace {
		var code string
		subs, code = checkMarketplace(d, amount, req)
		if code != "" {
			writeCode(w, code)
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if d.DailyLimit.IsPositive() && s.startedToday(d.DealerCode).Add(amount).GreaterThan(d.DailyLimit) {
		writeCode(w, CodeDailyDealerLimitExceeded)
		return
	}
	s.nextPayment++
	p := &payment{
		id:           s.nextPayment,
		dealer:       d.DealerCode,
		token:        newToken(),
		codeForHash:  strings.ToUpper(newGUID()),
		vposOrderID:  "Test-" + newGUID(),
		otherTrx:     strings.TrimSpace(req.OtherTrxCode),
		amount:       amount,
		provision:    amount,
		refAmount:    decimal.Zero,
		currency:     currency,
		instalment:   inst,
		pool:         req.IsPoolPayment == 1,
		preAuth:      req.IsPreAuth == 1,
		subs:         subs,
		redirectURL:  redirectURL,
		returnHash:   req.ReturnHash == 1,
		redirectType: int64(req.RedirectType),
		holder:       strings.TrimSpace(req.CardHolderFullName),
		first6:       number[:6],
		last4:        number[len(number)-4:],
		description:  req.Description,
		merchantName: merchantName(d, req.SubMerchantName),
		outcome:      outcome,
		created:      s.now(),
	}
	// A pending payment carries a TrxType 0 (payment request) row so that date-window
	// sweeps find it; the bank's answer turns that row into the real transaction.
	s.addTrx(p, p.created, moka.TrxTypePaymentRequest, moka.TrxStatusPending, amount, "", p.shareParts())
	s.payments = append(s.payments, p)
	s.unanswered = append(s.unanswered, p)
	s.byToken[p.token] = p
	bankURL := s.public + "/bank/3d/" + p.token
	if !p.returnHash {
		// Without ReturnHash, Moka answers the bank page's URL as a bare string.
		writeSuccess(w, bankURL)
		return
	}
	writeSuccess(w, moka.ThreeDResult{URL: bankURL, CodeForHash: p.codeForHash})
}

// threeDWire is a 3-D request as Moka's test host reads it: the card's expiry and CVC,
// strings in Moka's documents, may also come as JSON numbers ("ExpMonth":10). The outer
// fields hide the embedded request's fields of the same JSON name. The client keeps
// sending strings; only the sandbox is lenient.
type threeDWire struct {
	moka.ThreeDRequest
	ExpMonth  moka.String `json:"ExpMonth"`
	ExpYear   moka.String `json:"ExpYear"`
	CvcNumber moka.String `json:"CvcNumber"`
}

func (w threeDWire) request() moka.ThreeDRequest {
	r := w.ThreeDRequest
	r.ExpMonth, r.ExpYear, r.CvcNumber = string(w.ExpMonth), string(w.ExpYear), string(w.CvcNumber)
	return r
}

// bankReturnURL returns the absolute http(s) URL the bank page posts to. Moka's test host
// takes a RedirectUrl without a scheme ("www.example.com/return") and posts to it over
// http, so the sandbox does the same; any scheme other than http and https, a URL with
// user info, or one without a host is refused.
func bankReturnURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", false
	}
	// Without "://" before the path, query or fragment, there is no scheme: "//host/x",
	// "host/x" and "host:8080/x" all name a host.
	if i, j := strings.Index(raw, "://"), strings.IndexAny(raw, "/?#"); i < 0 || (j >= 0 && j < i) {
		raw = "http://" + strings.TrimPrefix(raw, "//")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return "", false
	}
	return raw, true
}

// offers reports whether the bank's table lists installment count n. bankTableFor takes
// the whole card number as well as a BIN: only the prefix counts.
func (t BankTable) offers(n int) bool {
	_, ok := t.Rates[n]
	return ok
}

func merchantName(d *Dealer, sub string) string {
	if sub = strings.TrimSpace(sub); sub != "" {
		return sub
	}
	return d.DealerCode
}

// startedToday sums the dealer's payments started on the current Istanbul day that did
// not fail; the caller holds s.mu.
func (s *Server) startedToday(dealer string) decimal.Decimal {
	y, m, dd := s.now().In(istanbul).Date()
	sum := decimal.Zero
	for _, p := range s.payments {
		py, pm, pd := p.created.In(istanbul).Date()
		if p.dealer == dealer && py == y && pm == m && pd == dd && p.trxStatus != moka.TrxStatusFailed {
			sum = sum.Add(p.amount)
		}
	}
	return sum
}

func validCurrency(c string) bool {
	switch c {
	case moka.CurrencyTL, moka.CurrencyUSD, moka.CurrencyEUR, moka.CurrencyGBP:
		return true
	}
	return false
}

func validCVC(cvc string) bool {
	cvc = strings.TrimSpace(cvc)
	if len(cvc) < 3 || len(cvc) > 4 {
		return false
	}
	_, err := strconv.Atoi(cvc)
	return err == nil
}

// validExpiry accepts MM and YYYY (or YY) not before the current month.
func (s *Server) validExpiry(month, year string) bool {
	m, err1 := strconv.Atoi(strings.TrimSpace(month))
	y, err2 := strconv.Atoi(strings.TrimSpace(year))
	if err1 != nil || err2 != nil || m < 1 || m > 12 || y < 0 {
		return false
	}
	if y < 100 {
		y += 2000
	}
	now := s.now().In(istanbul)
	return y > now.Year() || y == now.Year() && m >= int(now.Month())
}

// checkMarketplace applies the seed's commission scenario rules: sub-dealers belong to
// the dealer and appear once; scenarios 1-3 split Amount exactly; 4-5 split Amount over
// AmountToBeCommissioned; 6 leaves a positive remainder as commission.
func checkMarketplace(d *Dealer, amount decimal.Decimal, req moka.ThreeDRequest) ([]subShare, string) {
	if len(req.SubDealer) == 0 {
		return nil, CodeInvalidSubDealer
	}
	sc := int64(req.CommissionScenario)
	if sc < 1 || sc > 6 {
		return nil, CodeInvalidScenario
	}
	seen := map[int64]bool{}
	sum, toComm := decimal.Zero, decimal.Zero
	var subs []subShare
	for _, sd := range req.SubDealer {
		id := int64(sd.DealerID)
		if seen[id] || !ownsSub(d, id) || !sd.Amount.IsPositive() {
			return nil, CodeInvalidSubDealer
		}
		seen[id] = true
		missing := (sc == 2 && sd.DealerCommissionRate == nil) ||
			(sc == 3 && sd.DealerCommissionAmount == nil) ||
			(sc == 4 && (sd.GroupRevenueRate == nil || sd.AmountToBeCommissioned == nil)) ||
			(sc == 5 && (sd.GroupRevenueAmount == nil || sd.AmountToBeCommissioned == nil))
		if missing {
			return nil, CodeInvalidScenario
		}
		sum = sum.Add(sd.Amount.Decimal)
		if sd.AmountToBeCommissioned != nil {
			toComm = toComm.Add(sd.AmountToBeCommissioned.Decimal)
		}
		subs = append(subs, subShare{dealerID: id, provision: sd.Amount.Decimal, amount: sd.Amount.Decimal, refAmount: decimal.Zero})
	}
	var good bool
	switch sc {
	case 1, 2, 3:
		good = sum.Equal(amount)
	case 4, 5:
		good = toComm.Equal(amount)
	case 6:
		good = sum.LessThan(amount)
	}
	if !good {
		return nil, CodeSubDealerAmountMismatch
	}
	return subs, ""
}

func ownsSub(d *Dealer, id int64) bool {
	for _, s := range d.SubDealers {
		if s == id {
			return true
		}
	}
	return false
}
