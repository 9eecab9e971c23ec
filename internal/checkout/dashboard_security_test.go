package checkout_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
)

// TestDashboardLogoutEndsTheSessionOnTheServer: a copy of the cookie is worthless once its
// user has logged out.
func TestDashboardLogoutEndsTheSessionOnTheServer(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	b := e.browser()
	r := b.login("owner@shop.example", dashPassword)
	require.Equal(t, http.StatusSeeOther, r.status)
	stolen := strings.SplitN(r.header.Get("Set-Cookie"), ";", 2)[0]
	require.Equal(t, http.StatusSeeOther, b.do(http.MethodPost, "/dashboard/logout", url.Values{"csrf_token": {b.csrf()}}).status)

	req, err := http.NewRequest(http.MethodGet, e.url+"/dashboard/orders", nil)
	require.NoError(t, err)
	req.Header.Set("Cookie", stolen)
	assert.Equal(t, http.StatusSeeOther, e.do(req).status, "the copied cookie is refused")

	e.clock.Add(time.Second) // the test's clock stands still; a real one has moved on
	again := e.browser()
	require.Equal(t, http.StatusSeeOther, again.login("owner@shop.example", dashPassword).status)
	assert.Equal(t, http.StatusOK, again.get("/dashboard/orders").status, "a new login works")
}

// TestDashboardCSRFTokenOnlyFromTheBody: a token in the URL is not accepted.
func TestDashboardCSRFTokenOnlyFromTheBody(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	r := b.do(http.MethodPost, "/dashboard/logout?csrf_token="+url.QueryEscape(b.csrf()), url.Values{})
	assert.Equal(t, http.StatusForbidden, r.status)
}

// TestDashboardNextStaysInTheDashboard: dot segments cannot lead out of /dashboard.
func TestDashboardNextStaysInTheDashboard(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	for _, next := range []string{"/dashboard/../../evil", "/dashboard/..//evil.example", "//evil.example", "/\\evil", "https://evil.example/"} {
		r := e.browser().do(http.MethodPost, "/dashboard/login", url.Values{"email": {"owner@shop.example"}, "password": {dashPassword}, "next": {next}})
		require.Equal(t, http.StatusSeeOther, r.status, next)
		assert.Equal(t, "/dashboard/orders", r.location(), next)
	}
	r := e.browser().do(http.MethodPost, "/dashboard/login", url.Values{"email": {"owner@shop.example"}, "password": {dashPassword}, "next": {"/dashboard/orders?status=paid"}})
	assert.Equal(t, "/dashboard/orders?status=paid", r.location(), "a page of the dashboard is kept")
}

// TestDashboardCSVCellsAreNeverFormulas: what a buyer typed cannot run in a spreadsheet.
func TestDashboardCSVCellsAreNeverFormulas(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	e.paidOrder(`{"reference":"CSV-1","amount":"150.00","currency":"TRY","description":"=HYPERLINK(\"http://evil.example\",\"x\")"}`)
	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	r := b.get("/dashboard/transactions.csv")
	require.Equal(t, http.StatusOK, r.status, r.body)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
	require.NoError(t, err)
	found := false
	for _, row := range rows[1:] {
		for _, c := range row {
			assert.False(t, strings.HasPrefix(strings.TrimLeft(c, " "), "="), "a cell starts with =: %q", c)
			found = found || strings.Contains(c, "HYPERLINK")
		}
	}
	assert.True(t, found, "the description is there, as text")
}

// TestSharedDealerListsOnlyTheMerchantsOwn: two merchants on one Moka dealer account
// each see only their own orders' records in Moka's transaction list.
func TestSharedDealerListsOnlyTheMerchantsOwn(t *testing.T) {
	e := newEnv(t, func(o *checkout.Options) { o.Merchants[1].Moka = o.Merchants[0].Moka })
	id := e.paidOrder(orderBody("SHARED-1"))
	from := url.QueryEscape(e.clock.Now().Add(-time.Hour).Format(time.RFC3339))
	to := url.QueryEscape(e.clock.Now().Add(time.Hour).Format(time.RFC3339))
	mine := e.api(http.MethodGet, "/api/v1/transactions?from="+from+"&to="+to, "")
	require.Equal(t, http.StatusOK, mine.status, mine.body)
	assert.Contains(t, mine.body, id)
	theirs := e.api(http.MethodGet, "/api/v1/transactions?from="+from+"&to="+to, "", "Authorization", "Bearer "+otherAPIKey)
	require.Equal(t, http.StatusOK, theirs.status, theirs.body)
	assert.Equal(t, `[]`, strings.TrimSpace(compactData(t, theirs)), "nothing of the other merchant's: %s", theirs.body)
}

func compactData(t *testing.T, r response) string {
	t.Helper()
	data, ok := r.json(t)["data"].([]any)
	require.True(t, ok, r.body)
	if len(data) == 0 {
		return "[]"
	}
	return r.body
}

// TestDashboardConfirmationIsForTheOrderAsShown: a confirmation shown before the order
// changed acts on nothing; an English page never reads "1,50" as 150.
func TestDashboardConfirmationIsForTheOrderAsShown(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	id := e.paidOrder(orderBody("STALE-1", `"capture":"manual"`))
	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	tok := b.csrf()

	r := b.do(http.MethodPost, "/dashboard/orders/"+id+"/capture", url.Values{"csrf_token": {tok}, "amount": {"1,50"}, "form_lang": {"en"}})
	assert.GreaterOrEqual(t, r.status, 400, "refused, not read as 150.00: %d", r.status)
	assert.Zero(t, r.doc(t).Find("#confirm-form").Length())

	r = b.do(http.MethodPost, "/dashboard/orders/"+id+"/cancel", url.Values{"csrf_token": {tok}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	confirm := url.Values{}
	r.doc(t).Find("#confirm-form input").Each(func(_ int, sel *goquery.Selection) {
		name, _ := sel.Attr("name")
		value, _ := sel.Attr("value")
		confirm.Set(name, value)
	})
	require.Equal(t, "1", confirm.Get("confirm"))

	// Meanwhile, through the API, part of it is captured.
	e.clock.Add(time.Second)
	require.Equal(t, http.StatusOK, e.act(id, "capture", `{"amount":"50.00"}`).status)
	r = b.do(http.MethodPost, "/dashboard/orders/"+id+"/cancel", confirm)
	assert.Equal(t, http.StatusConflict, r.status, "the order changed after the confirmation was shown")
	assert.Equal(t, "paid", e.order(id)["status"], "nothing voided")
}
