package checkout

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/moka"
)

// Bounds of GET /api/v1/transactions (docs/api-transactions.md).
const (
	// maxTrxWindow is the longest from..to: a month of a busy shop is already tens of
	// Moka calls, and every page asks Moka again.
	maxTrxWindow = 31 * 24 * time.Hour
	// defaultTrxLimit is the page size when limit is not given.
	defaultTrxLimit = 100
	// maxTrxLimit is the largest page, Moka's own cap on one answer. Every page costs a
	// full Moka listing of the window, whatever its size, so a merchant exporting a month
	// is better served by a few large pages than by many small ones.
	maxTrxLimit = moka.MaxTrxListRecords
)

// trxTypeNames are our names of Moka's TrxType (and of PaymentStatus, which uses the same
// numbers for the payment's latest kind of transaction), indexed by Moka's number.
var trxTypeNames = []string{
	moka.TrxTypePaymentRequest: "payment_request",
	moka.TrxTypePreAuth:        "pre_auth",
	moka.TrxTypePayment:        "payment",
	moka.TrxTypeCancel:         "cancel",
	moka.TrxTypeRefund:         "refund",
}

// trxStatusNames are our names of Moka's TrxStatus, indexed by Moka's number.
var trxStatusNames = []string{
	moka.TrxStatusPending: "pending",
	moka.TrxStatusSuccess: "success",
	moka.TrxStatusFailed:  "failed",
}

// trxParams are the query parameters the endpoint knows; any other is refused, so that a
// misspelt filter ("sub_dealer=") is not silently ignored and everything listed.
var trxParams = []string{"from", "to", "type", "status", "sub_dealer_id", "limit", "starting_after"}

// trxLister is the part of the Moka client the transaction list uses. The merchant's
// client (newMokaClient) is a *moka.Client, which has it.
type trxLister interface {
	AllPaymentTrx(ctx context.Context, from, to time.Time, filter moka.TrxListFilter) (*moka.AllTrxResult, error)
}

// trxQuery is a checked GET /api/v1/transactions query.
type trxQuery struct {
	from, to      time.Time
	filter        moka.TrxListFilter
	limit         int
	startingAfter int64 // 0: the first page
}

// handleTransactions lists the merchant's transactions at Moka (GetPaymentTrxList) in a
// window, one item per transaction, newest first by Moka's transaction id, paginated with
// starting_after. Every page lists the whole window at Moka again (splitting it past
// Moka's 1000-record cap); nothing is cached, so a page is never staler than Moka.
func (s *Server) handleTransactions(c echo.Context) error {
	q, err := parseTrxQuery(c.QueryParams())
	if err != nil {
		return err
	}
	items, err := s.listTransactions(c.Request().Context(), apiMerchant(c), q.from, q.to, q.filter)
	if err != nil {
		return err
	}
	page, more := trxPage(items, q.startingAfter, q.limit)
	if page == nil {
		page = []transactionJSON{} // "data": [], not null, when nothing matches
	}
	return c.JSON(http.StatusOK, transactionListJSON{Data: page, HasMore: more})
}

// listTransactions is every transaction of merchant m at Moka in [from, to) that matches
// filter, newest first, each naming our order when its payment is one of m's. The API,
// the dashboard's page and its CSV export all list through here, so they show the same
// records.
func (s *Server) listTransactions(ctx context.Context, m *merchant, from, to time.Time, filter moka.TrxListFilter) ([]transactionJSON, error) {
	lister, ok := m.moka.(trxLister)
	if !ok {
		return nil, fmt.Errorf("list transactions: merchant %s: its Moka client cannot list transactions", m.ID)
	}
	res, err := lister.AllPaymentTrx(ctx, from, to, filter)
	if err != nil {
		return nil, fmt.Errorf("list transactions: %w", err)
	}
	items := s.transactionItems(res.Payments)
	if err := s.linkOrders(ctx, m.ID, items); err != nil {
		return nil, err
	}
	if s.sharesDealer(m) {
		// Another configured merchant uses the same Moka dealer account, so Moka's list
		// holds its payments too: show only this merchant's own orders' records.
		items = slices.DeleteFunc(items, func(it transactionJSON) bool { return it.Payment.OrderID == "" })
	}
	return items, nil
}

// sharesDealer reports whether another configured merchant has m's Moka dealer account.
func (s *Server) sharesDealer(m *merchant) bool {
	for _, o := range s.ordered {
		if o.ID != m.ID && o.Moka.DealerCode == m.Moka.DealerCode && o.MokaBaseURL == m.MokaBaseURL {
			return true
		}
	}
	return false
}

// trxPage is the page of at most limit items below the transaction id startingAfter (0:
// from the top), and whether more follow it.
func trxPage(items []transactionJSON, startingAfter int64, limit int) ([]transactionJSON, bool) {
	start := 0
	if startingAfter != 0 {
		// The cursor is a position, not an item to find: the page goes on below that id
		// even if its transaction no longer matches the filters.
		start = len(items)
		if i := slices.IndexFunc(items, func(t transactionJSON) bool { return t.ID < startingAfter }); i >= 0 {
			start = i
		}
	}
	end := min(start+limit, len(items))
	return items[start:end], end < len(items)
}

// parseTrxQuery checks the query; errors are 400s naming the parameter.
func parseTrxQuery(v url.Values) (trxQuery, error) {
	for name, vals := range v {
		if !slices.Contains(trxParams, name) {
			return trxQuery{}, badRequest("unknown_parameter", name, fmt.Sprintf("unknown query parameter %q", name))
		}
		if len(vals) > 1 {
			return trxQuery{}, badRequest(name+"_invalid", name, name+" is given more than once")
		}
	}
	q := trxQuery{limit: defaultTrxLimit}
	var err error
	if q.from, err = parseTrxTime(v, "from"); err != nil {
		return q, err
	}
	if q.to, err = parseTrxTime(v, "to"); err != nil {
		return q, err
	}
	if err := checkTrxWindow(q.from, q.to); err != nil {
		return q, err
	}
	if q.filter, err = parseTrxFilter(v); err != nil {
		return q, err
	}
	if s := strings.TrimSpace(v.Get("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxTrxLimit {
			return q, badRequest("limit_invalid", "limit", fmt.Sprintf("limit must be a whole number from 1 to %d", maxTrxLimit))
		}
		q.limit = n
	}
	if s := strings.TrimSpace(v.Get("starting_after")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return q, badRequest("starting_after_invalid", "starting_after", "starting_after must be the id of a transaction: a positive whole number")
		}
		q.startingAfter = id
	}
	return q, nil
}

// checkTrxWindow checks a window of the transaction list: from before to, at most
// maxTrxWindow long. The error names "to".
func checkTrxWindow(from, to time.Time) error {
	switch {
	case !from.Before(to):
		return badRequest("to_invalid", "to", "to must be after from")
	case to.Sub(from) > maxTrxWindow:
		return badRequest("to_invalid", "to", "the window from..to may be at most 31 days")
	}
	return nil
}

// parseTrxFilter reads the filters type, status and sub_dealer_id; each may be empty.
// Errors are 400s naming the parameter.
func parseTrxFilter(v url.Values) (moka.TrxListFilter, error) {
	var f moka.TrxListFilter
	if s := strings.TrimSpace(v.Get("type")); s != "" {
		i := slices.Index(trxTypeNames, s)
		if i < 0 {
			return f, badRequest("type_invalid", "type", "type must be one of "+strings.Join(trxTypeNames, ", "))
		}
		f.TrxType = moka.SomeInt(int64(i))
	}
	if s := strings.TrimSpace(v.Get("status")); s != "" {
		i := slices.Index(trxStatusNames, s)
		if i < 0 {
			return f, badRequest("status_invalid", "status", "status must be one of "+strings.Join(trxStatusNames, ", "))
		}
		f.TrxStatus = moka.SomeInt(int64(i))
	}
	if s := strings.TrimSpace(v.Get("sub_dealer_id")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, badRequest("sub_dealer_id_invalid", "sub_dealer_id", "sub_dealer_id must be a positive whole number")
		}
		f.SubDealerID = moka.SomeInt(id)
	}
	return f, nil
}

// parseTrxTime reads a required RFC 3339 time; the offset is required too, since a time
// without one would be read in some zone the merchant did not choose.
func parseTrxTime(v url.Values, name string) (time.Time, error) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return time.Time{}, badRequest(name+"_invalid", name, name+" is required: an RFC 3339 time such as 2026-03-01T00:00:00+03:00")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badRequest(name+"_invalid", name, name+" must be an RFC 3339 time with an offset, such as 2026-03-01T00:00:00+03:00")
	}
	return t, nil
}

type transactionListJSON struct {
	Data    []transactionJSON `json:"data"`
	HasMore bool              `json:"has_more"`
}

// transactionJSON is one Moka transaction with the payment it belongs to.
type transactionJSON struct {
	ID                int64          `json:"id"` // Moka's DealerPaymentTrxId
	Type              string         `json:"type"`
	Status            string         `json:"status"`
	Amount            string         `json:"amount"`
	Date              time.Time      `json:"date"`
	TrxCode           string         `json:"trx_code"`
	VirtualPosOrderID string         `json:"virtual_pos_order_id"`
	VoidRefundReason  int64          `json:"void_refund_reason"`
	ResultMessage     string         `json:"result_message"`
	SubDealers        []trxShareJSON `json:"sub_dealers"`
	Payment           trxPaymentJSON `json:"payment"`
}

// trxShareJSON is one sub-dealer's part of a transaction.
type trxShareJSON struct {
	DealerID              int64  `json:"dealer_id"`
	Amount                string `json:"amount"`
	CommissionAmount      string `json:"commission_amount"`
	GroupCommissionAmount string `json:"group_commission_amount"`
	StatementID           int64  `json:"statement_id"`
}

// trxPaymentJSON is Moka's master record of the payment a transaction belongs to.
type trxPaymentJSON struct {
	ID               int64              `json:"id"` // Moka's DealerPaymentId
	OtherTrxCode     string             `json:"other_trx_code"`
	OrderID          string             `json:"order_id,omitempty"` // ours, when the payment is one of our orders'
	Type             string             `json:"type"`
	Status           string             `json:"status"`
	Amount           string             `json:"amount"`
	RefAmount        string             `json:"ref_amount"`
	Currency         string             `json:"currency"`
	Installments     int64              `json:"installments"`
	CommissionAmount string             `json:"commission_amount"`
	ThreeD           bool               `json:"three_d"`
	Pool             bool               `json:"pool"`
	Date             *time.Time         `json:"date"`
	Description      string             `json:"description"`
	CardHolder       string             `json:"card_holder"`
	Card             cardJSON           `json:"card"`
	SubDealers       []paymentShareJSON `json:"sub_dealers"`
}

// paymentShareJSON is one sub-dealer's part of a payment.
type paymentShareJSON struct {
	DealerID              int64  `json:"dealer_id"`
	Amount                string `json:"amount"`
	RefAmount             string `json:"ref_amount"`
	CommissionAmount      string `json:"commission_amount"`
	GroupCommissionAmount string `json:"group_commission_amount"`
}

// transactionItems flattens Moka's payments into one item per transaction, in descending
// DealerPaymentTrxId: the order Moka recorded them, newest first. The id, unlike the date,
// never changes (a 3-D payment request takes the bank's date when the bank decides it), so
// a new transaction can only come on top and a page that starts below an id is the same
// page on every call.
func (s *Server) transactionItems(ps []moka.Payment) []transactionJSON {
	var items []transactionJSON
	for _, p := range ps {
		pay := s.trxPaymentJSON(p.PaymentDetail)
		for _, t := range p.PaymentTrxDetailList {
			// AllPaymentTrx has read every TrxDate already; an unreadable one is an error there.
			at, _ := moka.ParseTrxDate(t.TrxDate)
			item := transactionJSON{
				ID: int64(t.DealerPaymentTrxID), Type: mokaName(trxTypeNames, t.TrxType),
				Status: mokaName(trxStatusNames, t.TrxStatus), Amount: money(t.Amount.Decimal),
				Date: at.In(s.istanbul), TrxCode: t.TrxCode, VirtualPosOrderID: t.VirtualPosOrderID,
				VoidRefundReason: int64(t.VoidRefundReason), ResultMessage: t.ResultMessage,
				SubDealers: []trxShareJSON{}, Payment: pay,
			}
			for _, sh := range t.SubPaymentTrxList {
				item.SubDealers = append(item.SubDealers, trxShareJSON{
					DealerID: int64(sh.DealerID), Amount: money(sh.Amount.Decimal),
					CommissionAmount:      money(sh.DealerCommissionAmount.Decimal),
					GroupCommissionAmount: money(sh.DealerGroupCommissionAmount.Decimal),
					StatementID:           int64(sh.DealerStatementID),
				})
			}
			items = append(items, item)
		}
	}
	slices.SortFunc(items, func(a, b transactionJSON) int { return cmp.Compare(b.ID, a.ID) })
	return items
}

// linkOrders sets each item's order_id where its payment's OtherTrxCode is one of the
// merchant's attempts.
func (s *Server) linkOrders(ctx context.Context, merchantID string, items []transactionJSON) error {
	var codes []string
	seen := map[string]bool{}
	for _, it := range items {
		if c := it.Payment.OtherTrxCode; c != "" && !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	ids, err := s.store.OrderIDsByOtherTrxCode(ctx, merchantID, codes)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].Payment.OrderID = ids[items[i].Payment.OtherTrxCode]
	}
	return nil
}

func (s *Server) trxPaymentJSON(d moka.PaymentDetail) trxPaymentJSON {
	out := trxPaymentJSON{
		ID: int64(d.DealerPaymentID), OtherTrxCode: d.OtherTrxCode,
		Type: mokaName(trxTypeNames, d.PaymentStatus), Status: mokaName(trxStatusNames, d.TrxStatus),
		Amount: money(d.Amount.Decimal), RefAmount: money(d.RefAmount.Decimal), Currency: isoCurrency(d.CurrencyCode),
		Installments: int64(d.InstallmentNumber), CommissionAmount: money(d.DealerCommissionAmount.Decimal),
		ThreeD: d.IsThreeD, Pool: d.IsPoolPayment, Description: d.Description, CardHolder: d.CardHolderFullName,
		Card:       cardJSON{First6: d.CardNumberFirstSix, Last4: d.CardNumberLastFour, Brand: cardBrand(d.CardNumberFirstSix)},
		SubDealers: []paymentShareJSON{},
	}
	if at, err := moka.ParseTrxDate(d.PaymentDate); err == nil {
		at = at.In(s.istanbul)
		out.Date = &at
	}
	for _, sh := range d.SubPaymentList {
		out.SubDealers = append(out.SubDealers, paymentShareJSON{
			DealerID: int64(sh.DealerID), Amount: money(sh.Amount.Decimal), RefAmount: money(sh.RefAmount.Decimal),
			CommissionAmount:      money(sh.DealerCommissionAmount.Decimal),
			GroupCommissionAmount: money(sh.DealerGroupCommissionAmount.Decimal),
		})
	}
	return out
}

// mokaName is our name of one of Moka's numbered values; a number we do not know (Moka
// may add some) is shown as "unknown_<n>" rather than dropped or mislabelled.
func mokaName(names []string, n moka.Int) string {
	if n >= 0 && int(n) < len(names) {
		return names[n]
	}
	return "unknown_" + strconv.FormatInt(int64(n), 10)
}

// isoCurrency maps Moka's currency code to ISO 4217: TL is TRY.
func isoCurrency(code string) string {
	if code == "" || code == moka.CurrencyTL {
		return "TRY"
	}
	return code
}
