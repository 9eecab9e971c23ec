package checkout

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// dashPageSize is how many orders one page of the dashboard's list shows.
const dashPageSize = 25

func (s *Server) handleDashboardHome(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, dashboardRoute+"/orders")
}

// dashPage is the part of every dashboard page that comes from the session.
func (s *Server) dashPage(c echo.Context, active string) templates.DashPage {
	u := currentUser(c)
	lang := s.dashLang(c)
	s.rememberLang(c)
	return templates.DashPage{Lang: lang, Title: templates.DT(lang, active), Email: u.User.Email,
		MerchantName: u.Merchant.Name, CSRF: u.CSRF, Active: active, LangURL: langURL(c, lang)}
}

// handleDashOrders lists the merchant's orders, newest first: filtered by status and by
// the days they were created (Turkey time, both days included), found by the search box
// (reference, order id or a card's last four digits), a page at a time, with the totals
// of the whole filtered range.
func (s *Server) handleDashOrders(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	p := templates.DashOrdersPage{DashPage: s.dashPage(c, "orders"), Status: c.QueryParam("status"),
		From: strings.TrimSpace(c.QueryParam("from")), To: strings.TrimSpace(c.QueryParam("to")),
		Query: strings.TrimSpace(c.QueryParam("q"))}
	for _, st := range orders.AllStatuses() {
		p.Statuses = append(p.Statuses, string(st))
	}
	f, errs := s.dashFilter(p)
	for _, key := range errs {
		p.Errors = append(p.Errors, templates.DT(p.Lang, key))
	}
	if len(p.Errors) > 0 {
		return s.renderPage(c, http.StatusBadRequest, dashboardCSP, templates.DashOrders(p))
	}
	after := c.QueryParam("after")
	page := f
	page.Limit, page.StartingAfter = dashPageSize, after
	list, more, err := s.store.SearchOrders(ctx, u.Merchant.ID, page)
	if orders.ErrorCode(err) == orders.CodeInvalidCursor {
		p.Errors = []string{templates.DT(p.Lang, "err_filter_cursor")}
		return s.renderPage(c, http.StatusBadRequest, dashboardCSP, templates.DashOrders(p))
	}
	if err != nil {
		return err
	}
	totals, err := s.store.OrderTotals(ctx, u.Merchant.ID, f)
	if err != nil {
		return err
	}
	for _, t := range totals {
		p.Totals = append(p.Totals, templates.DashTotal{Currency: t.Currency, Count: t.Count,
			Amount: formatAmount(p.Lang, t.Currency, t.Amount), Paid: formatAmount(p.Lang, t.Currency, t.Paid),
			Refunded: formatAmount(p.Lang, t.Currency, t.Refunded)})
	}
	for i := range list {
		p.Rows = append(p.Rows, s.dashOrderRow(p.Lang, &list[i]))
	}
	q := url.Values{}
	for k, v := range map[string]string{"status": p.Status, "from": p.From, "to": p.To, "q": p.Query} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if after != "" {
		p.FirstURL = dashboardRoute + "/orders"
		if len(q) > 0 {
			p.FirstURL += "?" + q.Encode()
		}
	}
	if more && len(list) > 0 {
		q.Set("after", list[len(list)-1].ID)
		p.NextURL = dashboardRoute + "/orders?" + q.Encode()
	}
	return s.renderPage(c, http.StatusOK, dashboardCSP, templates.DashOrders(p))
}

// dashFilter reads the list's filters; errs are the text keys of those it cannot read.
func (s *Server) dashFilter(p templates.DashOrdersPage) (f orders.SearchFilter, errs []string) {
	f.Query = p.Query
	if p.Status != "" {
		if !contains(p.Statuses, p.Status) {
			errs = append(errs, "err_filter_status")
		}
		f.Statuses = []orders.Status{orders.Status(p.Status)}
	}
	day := func(v, key string) time.Time {
		if v == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation(time.DateOnly, v, s.istanbul)
		if err != nil {
			errs = append(errs, key)
		}
		return d
	}
	f.CreatedFrom = day(p.From, "err_filter_from")
	if to := day(p.To, "err_filter_to"); !to.IsZero() {
		f.CreatedTo = to.AddDate(0, 0, 1) // the "to" day is included
	}
	if !f.CreatedFrom.IsZero() && !f.CreatedTo.IsZero() && !f.CreatedFrom.Before(f.CreatedTo) {
		errs = append(errs, "err_filter_range")
	}
	return f, errs
}

// dashOrderRow is one order of the list, for people.
func (s *Server) dashOrderRow(lang string, o *orders.Order) templates.DashOrderRow {
	status := s.orderJSON(o).Status // an open order past its expiry shows as expired, as in the API
	row := templates.DashOrderRow{ID: o.ID, Reference: o.Reference, Status: string(status),
		StatusText: templates.DT(lang, "status_"+string(status)), Amount: formatAmount(lang, o.Currency, o.Amount),
		Created: s.dashTime(o.CreatedAt)}
	if o.Payment() != nil {
		row.Paid = formatAmount(lang, o.Currency, o.PaidAmount())
	}
	card := o.Payment()
	if card == nil && len(o.Attempts) > 0 {
		card = &o.Attempts[len(o.Attempts)-1]
	}
	if card != nil && card.CardLast4 != "" {
		row.Card = strings.TrimSpace(card.CardBrand + " •••• " + card.CardLast4)
	}
	return row
}

// dashTime is a time as the dashboard shows it: Turkey time, to the minute.
func (s *Server) dashTime(t time.Time) string {
	return t.In(s.istanbul).Format("2006-01-02 15:04")
}
