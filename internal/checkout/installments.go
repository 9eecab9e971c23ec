package checkout

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

// The installment table: which of the order's installment counts the card's bank offers,
// and what each costs, from Moka's DoCalcPaymentTable for the card's BIN. The card page's
// script asks as the buyer types (handleInstallments); without the script, the card
// form's post is checked before an attempt is opened (checkInstallments), so a buyer is
// never declined, and never uses up an attempt, for a count the card cannot take.

const (
	// binLength is how many digits of the card number are ever sent for the table: the
	// BIN, never more.
	binLength = 6
	// tableTTL is how long a table answer is reused: commission tables change rarely,
	// and a buyer typing and retyping a number should not cost a Moka call each time.
	tableTTL = 5 * time.Minute
	// maxTables bounds the cache per merchant.
	maxTables = 2048
	// tableIncludesCommission is DoCalcPaymentTable's IsIncludedCommissionAmount. The
	// checkout charges the order's amount whatever the count (threeDRequest), so the
	// dealer bears the installment commission and the table asked for is the one whose
	// totals are what the bank will charge.
	tableIncludesCommission = 0
)

// installmentOption is one count the card can take, with what the buyer pays.
type installmentOption struct {
	Count          int
	Monthly, Total decimal.Decimal
}

// tablePayer is a merchant's Moka client with its table answers cached per BIN, amount
// and currency: one per merchant, so the cache is per (merchant, BIN, amount). It embeds
// the client itself, so every other use of the merchant's client (the transaction list
// asks it for more than payer) sees all of its methods.
type tablePayer struct {
	*moka.Client
	now func() time.Time

	mu      sync.Mutex
	answers map[tableKey]tableAnswer
}

type tableKey struct {
	bin, amount, currency string
}

type tableAnswer struct {
	options []moka.InstallmentInfo
	expires time.Time
}

// newTablePayer wraps a merchant's Moka client with the installment tables' cache.
func newTablePayer(c *moka.Client, now func() time.Time) *tablePayer {
	return &tablePayer{Client: c, now: now, answers: map[tableKey]tableAnswer{}}
}

// table is the bank's offered rows for the BIN, from the cache when fresh.
func (p *tablePayer) table(ctx context.Context, req moka.PaymentTableRequest) ([]moka.InstallmentInfo, error) {
	key := tableKey{req.BinNumber, req.OrderAmount.StringFixed(2), req.Currency}
	now := p.now()
	p.mu.Lock()
	a, ok := p.answers[key]
	p.mu.Unlock()
	if ok && now.Before(a.expires) {
		return a.options, nil
	}
	t, err := p.CalcPaymentTable(ctx, req)
	if err != nil {
		return nil, err
	}
	options := t.Options()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.answers) >= maxTables {
		for k, v := range p.answers {
			if !now.Before(v.expires) {
				delete(p.answers, k)
			}
		}
		// Still full of fresh answers: drop any one (map order is random enough).
		for k := range p.answers {
			if len(p.answers) < maxTables {
				break
			}
			delete(p.answers, k)
		}
	}
	p.answers[key] = tableAnswer{options: options, expires: now.Add(tableTTL)}
	return options, nil
}

// errNoTable says the merchant's client cannot give tables (a test double).
var errNoTable = errors.New("no installment table client")

// bankInstallments lists the counts of allowed that the card with this BIN can take,
// in allowed's order. On any failure it returns the error and the caller falls back to
// the order's counts, unchecked: a table outage must not stop payments.
func (s *Server) bankInstallments(ctx context.Context, pc *payContext, bin string, allowed []int) ([]installmentOption, error) {
	tp, ok := pc.merchant.moka.(*tablePayer)
	if !ok {
		return nil, errNoTable
	}
	o := pc.order
	req := moka.PaymentTableRequest{
		BinNumber:                  bin[:binLength],
		Currency:                   mokaCurrency(o.Currency),
		OrderAmount:                moka.NewAmount(o.Amount),
		IsThreeD:                   1,
		IsIncludedCommissionAmount: tableIncludesCommission,
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.MokaTimeout)
	defer cancel()
	rows, err := tp.table(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []installmentOption
	for _, n := range allowed {
		for _, r := range rows {
			if int(r.InstallmentNumber) == n {
				out = append(out, installmentOption{Count: n, Monthly: r.PerInstallmentAmount.Decimal, Total: r.Amount.Decimal})
				break
			}
		}
	}
	return out, nil
}

// tableFailed logs a table call that failed; the BIN is not logged.
func (s *Server) tableFailed(pc *payContext, err error) {
	s.log.Warn("moka installment table failed; offering the order's installments unchecked",
		"merchant_id", pc.merchant.ID, "order_id", pc.order.ID, "result_code", mokaResultCode(err))
}

// validBIN reports whether v is at least the BIN: 6 to 8 digits. More would be a card
// number, which this endpoint must not take.
func validBIN(v string) bool {
	return len(v) >= binLength && len(v) <= 8 && allDigits(v)
}

// installmentJSON is one option as the card page's script reads it.
type installmentJSON struct {
	Installments int    `json:"installments"`
	Monthly      string `json:"monthly"`
	Total        string `json:"total"`
	Label        string `json:"label"`
}

// handleInstallments answers the card page's script: the options the card's bank offers
// among the order's counts. checked false means the table could not be had and the
// options are the order's own, as without the script.
func (s *Server) handleInstallments(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	pc, err := s.loadPay(c)
	if err != nil {
		return c.JSON(http.StatusNotFound, map[string]string{"error": "not_found"})
	}
	if pe := s.unpayable(pc, false); pe != nil {
		return c.JSON(http.StatusConflict, map[string]string{"error": "not_payable"})
	}
	bin := c.QueryParam("bin")
	if !validBIN(bin) {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "bin_invalid"})
	}
	allowed := installmentsFor(pc.order, pc.merchant)
	out := struct {
		Checked bool              `json:"checked"`
		Options []installmentJSON `json:"options"`
	}{Options: []installmentJSON{}}
	opts, err := s.bankInstallments(c.Request().Context(), pc, bin, allowed)
	if err != nil {
		s.tableFailed(pc, err)
		for _, n := range allowed {
			out.Options = append(out.Options, installmentJSON{Installments: n, Label: s.installmentLabel(pc, n, nil)})
		}
		return c.JSON(http.StatusOK, out)
	}
	out.Checked = true
	for _, o := range opts {
		out.Options = append(out.Options, installmentJSON{Installments: o.Count, Monthly: o.Monthly.StringFixed(2),
			Total: o.Total.StringFixed(2), Label: s.installmentLabel(pc, o.Count, &o)})
	}
	return c.JSON(http.StatusOK, out)
}

// installmentLabel is an option's text: "Tek çekim" or "3 taksit", and with the bank's
// table "3 × 50,00 TL = 150,00 TL".
func (s *Server) installmentLabel(pc *payContext, n int, o *installmentOption) string {
	cur := pc.order.Currency
	switch {
	case o != nil && n == 1:
		return tr(pc.lang, msgSinglePaymentTotal, formatAmount(pc.lang, cur, o.Total))
	case o != nil:
		return tr(pc.lang, msgInstallmentTotal, n, formatAmount(pc.lang, cur, o.Monthly), formatAmount(pc.lang, cur, o.Total))
	case n == 1:
		return tr(pc.lang, msgSinglePayment)
	default:
		return tr(pc.lang, msgInstallmentCount, n)
	}
}

// checkInstallments refuses, before any attempt, a card form whose installment count the
// card's bank does not offer. It returns the table when it was had (for the page to
// show), and whether the count is refused.
func (s *Server) checkInstallments(ctx context.Context, pc *payContext, card cardInput) ([]installmentOption, bool) {
	if card.Installments <= 1 {
		return nil, false // a single payment is every card's; no table call for it
	}
	opts, err := s.bankInstallments(ctx, pc, card.Number, installmentsFor(pc.order, pc.merchant))
	if err != nil {
		s.tableFailed(pc, err)
		return nil, false
	}
	for _, o := range opts {
		if o.Count == card.Installments {
			return opts, false
		}
	}
	return opts, true
}
