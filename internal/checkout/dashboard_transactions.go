package checkout

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/web/templates"
)

// dashTrxPageSize is how many transactions one dashboard page shows.
const dashTrxPageSize = 50

// dashTrxDefaultDays is the window the transactions page opens with: the last seven
// days, today included.
const dashTrxDefaultDays = 7

// dashTrxFilters are the query parameters the transactions page and its CSV keep in
// their links; the API's names, so a filter reads the same everywhere.
var dashTrxFilters = []string{"from", "to", "type", "status", "sub_dealer_id"}

// dashTrxQuery is a checked transactions page query.
type dashTrxQuery struct {
	values   url.Values // the filters as given (or defaulted), for the form and the links
	from, to time.Time
	filter   moka.TrxListFilter
	after    int64
}

// dashTimeLayouts are the forms a dashboard date takes, read in Istanbul time: a date,
// a date and time (as typed, or as a datetime-local input sends it) or RFC 3339.
var dashTimeLayouts = []string{"2006-01-02", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

// parseDashTime reads a dashboard date. A plain date as the end of a window means the
// whole of that day: the window ends at the next midnight.
func (s *Server) parseDashTime(text string, end bool) (time.Time, bool) {
	for _, layout := range dashTimeLayouts {
		t, err := time.ParseInLocation(layout, strings.TrimSpace(text), s.istanbul)
		if err != nil {
			continue
		}
		if end && layout == "2006-01-02" {
			t = t.AddDate(0, 0, 1)
		}
		return t, true
	}
	return time.Time{}, false
}

// parseDashTrxQuery reads the page's filters; field errors come back keyed by parameter,
// in the API's names.
func (s *Server) parseDashTrxQuery(c echo.Context) (dashTrxQuery, map[string]string) {
	q := dashTrxQuery{values: url.Values{}}
	for _, k := range dashTrxFilters {
		if v := strings.TrimSpace(c.QueryParam(k)); v != "" {
			q.values.Set(k, v)
		}
	}
	today := s.now().In(s.istanbul).Format("2006-01-02")
	if q.values.Get("from") == "" {
		q.values.Set("from", s.now().In(s.istanbul).AddDate(0, 0, 1-dashTrxDefaultDays).Format("2006-01-02"))
	}
	if q.values.Get("to") == "" {
		q.values.Set("to", today)
	}
	errs := map[string]string{}
	var ok bool
	if q.from, ok = s.parseDashTime(q.values.Get("from"), false); !ok {
		errs["from"] = "trx_err_from"
	}
	if q.to, ok = s.parseDashTime(q.values.Get("to"), true); !ok {
		errs["to"] = "trx_err_to"
	}
	if len(errs) == 0 {
		if err := checkTrxWindow(q.from, q.to); err != nil {
			errs["to"] = "trx_err_window"
			if !q.from.Before(q.to) {
				errs["to"] = "trx_err_order"
			}
		}
	}
	filter, err := parseTrxFilter(q.values)
	var ae *apiError
	if errors.As(err, &ae) {
		errs[ae.Field] = "trx_err_" + ae.Field
	}
	q.filter = filter
	if a := c.QueryParam("after"); a != "" {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			errs["after"] = "trx_err_after"
		}
		q.after = id
	}
	return q, errs
}

// handleDashTransactions shows Moka's transaction list: the API's records, with its
// filters, a page at a time.
func (s *Server) handleDashTransactions(c echo.Context) error {
	u := currentUser(c)
	q, errs := s.parseDashTrxQuery(c)
	p := s.dashTrxPage(c, q, errs)
	if len(errs) > 0 {
		return s.renderPage(c, http.StatusBadRequest, dashboardCSP, templates.DashTransactions(p))
	}
	items, err := s.listTransactions(c.Request().Context(), u.Merchant, q.from, q.to, q.filter)
	if err != nil {
		return s.dashTrxMokaError(c, p, err)
	}
	p.Total = len(items)
	page, more := trxPage(items, q.after, dashTrxPageSize)
	for _, it := range page {
		p.Rows = append(p.Rows, s.dashTrxRow(p.Lang, it))
	}
	if more && len(page) > 0 {
		next := cloneValues(q.values)
		next.Set("after", strconv.FormatInt(page[len(page)-1].ID, 10))
		p.NextURL = dashboardRoute + "/transactions?" + next.Encode()
	}
	if q.after != 0 {
		p.FirstURL = dashboardRoute + "/transactions?" + q.values.Encode()
	}
	return s.renderPage(c, http.StatusOK, dashboardCSP, templates.DashTransactions(p))
}

// dashTrxPage is the page's frame: the filters as given, their errors and the window.
func (s *Server) dashTrxPage(c echo.Context, q dashTrxQuery, errs map[string]string) templates.DashTrxPage {
	p := templates.DashTrxPage{DashPage: s.dashPage(c, "transactions"),
		From: q.values.Get("from"), To: q.values.Get("to"), Type: q.values.Get("type"),
		Status: q.values.Get("status"), SubDealer: q.values.Get("sub_dealer_id")}
	for _, t := range trxTypeNames {
		p.Types = append(p.Types, templates.DashOption{Value: t, Text: templates.DT(p.Lang, "trx_type_"+t)})
	}
	for _, st := range trxStatusNames {
		p.Statuses = append(p.Statuses, templates.DashOption{Value: st, Text: templates.DT(p.Lang, "trx_status_"+st)})
	}
	p.Errors = dashFieldErrors(p.Lang, errs, []string{"from", "to", "type", "status", "sub_dealer_id", "after"}, map[string]string{
		"from": "trx-from", "to": "trx-to", "type": "trx-type", "status": "trx-status", "sub_dealer_id": "trx-sub-dealer", "after": "trx-from",
	})
	if len(errs) == 0 {
		p.Window = s.dashTime(q.from) + " – " + s.dashTime(q.to)
		p.CSVURL = dashboardRoute + "/transactions.csv?" + q.values.Encode()
	}
	return p
}

// dashFieldErrors puts field errors (text keys by field) in the form's order, each
// pointing at its input's id.
func dashFieldErrors(lang string, errs map[string]string, order []string, ids map[string]string) []templates.DashFieldError {
	var out []templates.DashFieldError
	for _, f := range order {
		if key, ok := errs[f]; ok {
			out = append(out, templates.DashFieldError{Field: f, InputID: ids[f], Message: templates.DT(lang, key)})
		}
	}
	return out
}

// dashTrxMokaError shows why Moka's list could not be had, in plain words with Moka's
// code beside them; an error that is not Moka's goes to the central handler.
func (s *Server) dashTrxMokaError(c echo.Context, p templates.DashTrxPage, err error) error {
	ae := mokaAPIError(err)
	if ae == nil {
		return err
	}
	s.log.Warn("dashboard transactions: no list from Moka", "merchant_id", currentUser(c).Merchant.ID, "code", ae.Code,
		"moka_result_code", ae.MokaResultCode, "request_id", requestIDOf(c))
	key := "trx_" + ae.Code
	if templates.DT(p.Lang, key) == key {
		key = "trx_moka_error" // a code the list does not expect: Moka's own words follow
	}
	p.MokaError = templates.DT(p.Lang, key)
	p.MokaCode = ae.MokaResultCode
	p.CSVURL = ""
	return s.renderPage(c, ae.Status, dashboardCSP, templates.DashTransactions(p))
}

func (s *Server) dashTrxRow(lang string, it transactionJSON) templates.DashTrxRow {
	r := templates.DashTrxRow{
		ID: strconv.FormatInt(it.ID, 10), Date: s.dashTime(it.Date),
		Type: it.Type, TypeText: templates.DT(lang, "trx_type_"+it.Type),
		Status: it.Status, StatusText: templates.DT(lang, "trx_status_"+it.Status),
		Amount: it.Amount, Description: it.Payment.Description, OrderID: it.Payment.OrderID,
		OtherTrxCode: it.Payment.OtherTrxCode, ResultMessage: it.ResultMessage,
	}
	if d, err := decimal.NewFromString(it.Amount); err == nil {
		r.Amount = formatAmount(lang, it.Payment.Currency, d)
	}
	if c := it.Payment.Card; c.Last4 != "" {
		r.Card = strings.TrimSpace(c.Brand + " •••• " + c.Last4)
	}
	var subs []string
	for _, sh := range it.SubDealers {
		subs = append(subs, strconv.FormatInt(sh.DealerID, 10))
	}
	r.SubDealers = strings.Join(subs, ", ")
	return r
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// trxCSVHeader names the CSV's columns after the API's fields (docs/api-transactions.md),
// so a spreadsheet and a program read the same names.
var trxCSVHeader = []string{
	"id", "date", "type", "status", "amount", "currency", "order_id", "payment_id", "other_trx_code",
	"virtual_pos_order_id", "trx_code", "installments", "card_brand", "card_first6", "card_last4",
	"card_holder", "description", "sub_dealers", "void_refund_reason", "result_message",
}

// utf8BOM starts the CSV: without it Excel reads the file in the system's code page
// (Windows-1254 in Turkish) and garbles ş, ğ, ı and the rest.
const utf8BOM = "\uFEFF"

// handleDashTransactionsCSV exports the same records as the page (and the API) for the
// same filters, the whole window at once: RFC 4180 (CRLF, fields quoted when they hold a
// comma, quote or line break), amounts as decimals with a dot, UTF-8 with a BOM.
func (s *Server) handleDashTransactionsCSV(c echo.Context) error {
	u := currentUser(c)
	q, errs := s.parseDashTrxQuery(c)
	delete(errs, "after") // the export has no pages
	if len(errs) > 0 {
		return s.renderPage(c, http.StatusBadRequest, dashboardCSP, templates.DashTransactions(s.dashTrxPage(c, q, errs)))
	}
	items, err := s.listTransactions(c.Request().Context(), u.Merchant, q.from, q.to, q.filter)
	if err != nil {
		return s.dashTrxMokaError(c, s.dashTrxPage(c, q, nil), err)
	}
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(trxCSVHeader)
	for _, it := range items {
		var subs []string
		for _, sh := range it.SubDealers {
			subs = append(subs, fmt.Sprintf("%d:%s", sh.DealerID, sh.Amount))
		}
		_ = w.Write([]string{
			strconv.FormatInt(it.ID, 10), it.Date.In(s.istanbul).Format("2006-01-02 15:04:05"), it.Type, it.Status,
			it.Amount, it.Payment.Currency, it.Payment.OrderID, strconv.FormatInt(it.Payment.ID, 10),
			cell(it.Payment.OtherTrxCode), cell(it.VirtualPosOrderID), cell(it.TrxCode), strconv.FormatInt(it.Payment.Installments, 10),
			cell(it.Payment.Card.Brand), cell(it.Payment.Card.First6), cell(it.Payment.Card.Last4), cell(it.Payment.CardHolder),
			cell(it.Payment.Description), strings.Join(subs, ";"), strconv.FormatInt(it.VoidRefundReason, 10), cell(it.ResultMessage),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("transactions csv: %w", err)
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+s.trxCSVName(q.from, q.to)+`"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// trxCSVName names the export after its window in Istanbul time: whole days as dates,
// the last one included ("moka-transactions_2026-03-01_2026-03-07.csv"), other windows
// to the minute.
func (s *Server) trxCSVName(from, to time.Time) string {
	from, to = from.In(s.istanbul), to.In(s.istanbul)
	midnight := func(t time.Time) bool {
		return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
	}
	if midnight(from) && midnight(to) {
		return "moka-transactions_" + from.Format("2006-01-02") + "_" + to.AddDate(0, 0, -1).Format("2006-01-02") + ".csv"
	}
	return "moka-transactions_" + from.Format("2006-01-02T1504") + "_" + to.Format("2006-01-02T1504") + ".csv"
}

// cell keeps a text from a buyer or from Moka from being read as a formula by a
// spreadsheet (CSV injection, OWASP): one starting with = + - @, a tab or a carriage
// return, also after spaces, gets a leading apostrophe, which Excel and LibreOffice show
// as text. Our own numbers and dates are written as they are.
func cell(s string) string {
	if t := strings.TrimLeft(s, " "); t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
		return "'" + s
	}
	return s
}
