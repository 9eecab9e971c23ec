package checkout_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	qr "github.com/piglig/go-qr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/links"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/orders"
)

const (
	shopUser  = "owner@shop.example"
	otherUser = "owner@other.example"
)

// pgEnv is a checkout with a dashboard user for each merchant.
func pgEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := newEnv(t, opts...)
	e.addUser("shop", shopUser)
	e.addUser("other", otherUser)
	return e
}

// pgLogin is a browser logged in as email.
func (e *env) pgLogin(email string) *browser {
	e.t.Helper()
	b := e.browser()
	r := b.login(email, dashPassword)
	require.Equal(e.t, http.StatusSeeOther, r.status, r.body)
	return b
}

// pgPage GETs a dashboard page that must answer 200 and parses it.
func (b *browser) pgPage(path string) (*goquery.Document, response) {
	b.e.t.Helper()
	r := b.get(path)
	require.Equal(b.e.t, http.StatusOK, r.status, r.body)
	return r.doc(b.e.t), r
}

// pgDay is the day of t in Turkey, as the dashboard's date filters take it.
func pgDay(t time.Time) string { return t.In(orders.Istanbul).Format("2006-01-02") }

func TestDashTransactionsListPaymentsWithTheirOrders(t *testing.T) {
	e := pgEnv(t)
	id := e.paidOrder(orderBody("TRX-PAGE-1"))
	b := e.pgLogin(shopUser)

	doc, _ := b.pgPage("/dashboard/transactions")
	row := doc.Find(`#transactions tbody tr`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find(`a[data-order="`+id+`"]`).Length() == 1
	})
	require.Equal(t, 1, row.Length(), "the payment made here links its order")
	href, _ := row.Find("a[data-order]").Attr("href")
	assert.Equal(t, "/dashboard/orders/"+id, href)
	assert.Contains(t, row.Text(), "150,00 TL", "Turkish amounts by default")
	assert.Contains(t, row.Text(), "Two books")
	assert.Equal(t, "1", doc.Find("#trx-total").Text())
	assert.Equal(t, "col", doc.Find("#transactions thead th").First().AttrOr("scope", ""))
	csvHref, ok := doc.Find("#trx-csv").Attr("href")
	require.True(t, ok)
	assert.Contains(t, csvHref, "/dashboard/transactions.csv?")

	doc, _ = b.pgPage("/dashboard/transactions?lang=en&type=payment&status=success")
	assert.Contains(t, doc.Find("#transactions").Text(), "TRY 150.00")
	assert.Equal(t, "en", doc.Find("html").AttrOr("lang", ""))
	assert.Equal(t, "payment", doc.Find(`#trx-type option[selected]`).AttrOr("value", ""), "the filters stay in the form")

	doc, _ = b.pgPage("/dashboard/transactions?type=refund")
	assert.Equal(t, 0, doc.Find("#transactions").Length(), "no refund in the window")

	// The other merchant shares the test's Moka dealer, so Moka's record is listed there
	// too, but never as one of its orders.
	_, r := e.pgLogin(otherUser).pgPage("/dashboard/transactions")
	assert.NotContains(t, r.body, id)
}

func TestDashTransactionsPagesAndExportTheWholeWindow(t *testing.T) {
	ts := startTrxSandbox(t, paidPresets("PG", 60, trxBase(), time.Minute))
	e := ts.env(t, sandbox.DemoDealerCode)
	e.addUser("shop", shopUser)
	b := e.pgLogin(shopUser)

	seen := map[string]bool{}
	doc, _ := b.pgPage("/dashboard/transactions?status=success")
	assert.Equal(t, "60", doc.Find("#trx-total").Text())
	rows := doc.Find("#transactions tbody tr")
	assert.Equal(t, 50, rows.Length())
	rows.Each(func(_ int, s *goquery.Selection) { seen[s.AttrOr("data-trx", "")] = true })
	next, ok := doc.Find(`.pager a[rel="next"]`).Attr("href")
	require.True(t, ok)
	assert.Contains(t, next, "status=success", "the filters go on to the next page")

	doc, _ = b.pgPage(next)
	rows = doc.Find("#transactions tbody tr")
	assert.Equal(t, 10, rows.Length())
	rows.Each(func(_ int, s *goquery.Selection) { seen[s.AttrOr("data-trx", "")] = true })
	assert.Len(t, seen, 60, "every transaction once")
	assert.Equal(t, 0, doc.Find(`.pager a[rel="next"]`).Length())
	first, ok := doc.Find(".pager a").First().Attr("href")
	require.True(t, ok)
	assert.NotContains(t, first, "after=")

	csvHref, ok := doc.Find("#trx-csv").Attr("href")
	require.True(t, ok)
	assert.NotContains(t, csvHref, "after=", "the export is the whole window")
	r := b.get(csvHref)
	require.Equal(t, http.StatusOK, r.status, r.body)
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
	require.NoError(t, err)
	assert.Len(t, records, 61, "the header and 60 transactions")
	for _, rec := range records[1:] {
		assert.True(t, seen[rec[0]], rec[0])
		assert.Equal(t, "25.50", rec[4])
	}
}

func TestDashTransactionsFilterErrorsNameTheField(t *testing.T) {
	e := pgEnv(t)
	b := e.pgLogin(shopUser)
	today := pgDay(e.clock.Now())
	for _, tc := range []struct {
		name, query, input string
	}{
		{"from not a date", "from=yesterday", "trx-from"},
		{"to before from", "from=" + today + "&to=" + pgDay(e.clock.Now().AddDate(0, 0, -7)), "trx-to"},
		{"window over 31 days", "from=" + pgDay(e.clock.Now().AddDate(0, 0, -60)) + "&to=" + today, "trx-to"},
		{"unknown type", "type=chargeback", "trx-type"},
		{"sub-dealer not a number", "sub_dealer_id=abc", "trx-sub-dealer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/dashboard/transactions?", "/dashboard/transactions.csv?"} {
				r := b.get(path + tc.query + "&lang=en")
				require.Equal(t, http.StatusBadRequest, r.status, r.body)
				doc := r.doc(t)
				assert.Equal(t, "true", doc.Find("#"+tc.input).AttrOr("aria-invalid", ""), path)
				assert.NotEmpty(t, strings.TrimSpace(doc.Find("#"+tc.input+"-error").Text()))
				assert.Contains(t, doc.Find("#"+tc.input).AttrOr("aria-describedby", ""), tc.input+"-error")
				assert.Equal(t, "#"+tc.input, doc.Find(`.error-summary a`).AttrOr("href", ""))
			}
		})
	}
}

func TestDashTransactionsShowMokaErrorsInPlainWords(t *testing.T) {
	e := pgEnv(t)
	b := e.pgLogin(shopUser)
	code := "PaymentDealer.GetPaymentTrxListMarketPlace.DealerNotAuthorized"
	e.override.set(func(w http.ResponseWriter, r *http.Request) bool {
		fmt.Fprintf(w, `{"Data":null,"ResultCode":%q,"ResultMessage":"","Exception":null}`, code)
		return true
	})
	defer e.override.set(nil)
	r := b.get("/dashboard/transactions?lang=en")
	require.Equal(t, http.StatusBadGateway, r.status, r.body)
	msg := r.doc(t).Find("#moka-error")
	assert.Contains(t, msg.Text(), "Moka does not let this dealer account list transactions")
	assert.Equal(t, code, msg.Find("code").Text())
	assert.Equal(t, "alert", msg.AttrOr("role", ""))
}

func TestDashTransactionsCSV(t *testing.T) {
	e := pgEnv(t)
	description := `Kitap, "özel" baskı`
	id := e.paidOrder(`{"reference":"CSV-1","amount":"1234.50","currency":"TRY","description":"Kitap, \"özel\" baskı"}`)
	e.paidOrder(orderBody("CSV-2"))
	b := e.pgLogin(shopUser)
	day := pgDay(e.clock.Now())

	r := b.get("/dashboard/transactions.csv?from=" + day + "&to=" + day)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "text/csv; charset=utf-8", r.header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename="moka-transactions_`+day+`_`+day+`.csv"`, r.header.Get("Content-Disposition"))
	require.True(t, strings.HasPrefix(r.body, "\uFEFF"), "UTF-8 with a BOM, for Excel")
	body := strings.TrimPrefix(r.body, "\uFEFF")
	assert.Contains(t, body, "\r\n", "RFC 4180 lines end with CRLF")
	assert.Contains(t, body, `,"Kitap, ""özel"" baskı",`, "a field with a comma or quote is quoted, its quotes doubled")

	rd := csv.NewReader(strings.NewReader(body))
	rows, err := rd.ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	header := rows[0]
	assert.Equal(t, []string{"id", "date", "type", "status", "amount", "currency", "order_id", "payment_id", "other_trx_code",
		"virtual_pos_order_id", "trx_code", "installments", "card_brand", "card_first6", "card_last4",
		"card_holder", "description", "sub_dealers", "void_refund_reason", "result_message"}, header)
	col := func(row []string, name string) string { return row[slices.Index(header, name)] }
	var mine []string
	for _, row := range rows[1:] {
		if col(row, "order_id") == id {
			mine = row
		}
	}
	require.NotNil(t, mine, body)
	assert.Equal(t, "1234.50", col(mine, "amount"), "a decimal with a dot, no thousands separator")
	assert.Equal(t, "TRY", col(mine, "currency"))
	assert.Equal(t, description, col(mine, "description"))
	assert.Equal(t, "Ayşe Yılmaz", col(mine, "card_holder"))
	assert.Equal(t, "3339", col(mine, "card_last4"))

	// The same records as the API for the same window and filters.
	from := time.Date(e.clock.Now().In(orders.Istanbul).Year(), e.clock.Now().In(orders.Istanbul).Month(),
		e.clock.Now().In(orders.Istanbul).Day(), 0, 0, 0, 0, orders.Istanbul)
	for _, filter := range []string{"", "&status=success", "&type=payment", "&type=refund"} {
		api := e.api(http.MethodGet, "/api/v1/transactions?limit=1000&from="+url.QueryEscape(from.Format(time.RFC3339))+
			"&to="+url.QueryEscape(from.AddDate(0, 0, 1).Format(time.RFC3339))+filter, "")
		require.Equal(t, http.StatusOK, api.status, api.body)
		var want []string
		data := api.json(t)["data"].([]any)
		if filter == "" {
			require.Len(t, data, 2, "the two payments")
		}
		for _, it := range data {
			m := it.(map[string]any)
			want = append(want, fmt.Sprintf("%.0f %s %s", m["id"].(float64), m["amount"], m["payment"].(map[string]any)["order_id"]))
		}
		r := b.get("/dashboard/transactions.csv?from=" + day + "&to=" + day + filter)
		require.Equal(t, http.StatusOK, r.status, r.body)
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
		require.NoError(t, err)
		var got []string
		for _, row := range rows[1:] {
			got = append(got, col(row, "id")+" "+col(row, "amount")+" "+col(row, "order_id"))
		}
		assert.Equal(t, want, got, "filter %q", filter)
	}

	// A window given to the minute names the file to the minute.
	r = b.get("/dashboard/transactions.csv?from=" + day + "T00:00&to=" + day + "T12:30")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, `attachment; filename="moka-transactions_`+day+`T0000_`+day+`T1230.csv"`, r.header.Get("Content-Disposition"))
}

// pgCreateLink posts the link form and returns the page the browser is sent to.
func (b *browser) pgCreateLink(form url.Values) response {
	b.e.t.Helper()
	form.Set("csrf_token", b.csrf())
	return b.do(http.MethodPost, "/dashboard/links", form)
}

func TestDashLinksMakeASignedLinkWithAQRCode(t *testing.T) {
	e := pgEnv(t)
	b := e.pgLogin(shopUser)
	doc, _ := b.pgPage("/dashboard/links")
	require.Equal(t, 1, doc.Find(`#link-form input[name="csrf_token"]`).Length())
	assert.Equal(t, "link-amount-input", doc.Find(`label[for="link-amount-input"]`).AttrOr("for", ""))

	r := b.pgCreateLink(url.Values{"amount": {"250,75"}, "currency": {"TRY"}, "reference": {"LINK-T-1"},
		"description": {"Çiçek, büyük"}, "expiry": {"168h"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	loc, err := url.Parse(r.location())
	require.NoError(t, err)
	assert.Equal(t, "/dashboard/links", loc.Path)

	doc, _ = b.pgPage(r.location())
	link := strings.TrimSpace(doc.Find("#link-url").Text())
	require.True(t, strings.HasPrefix(link, e.url+"/link?"), link)
	assert.Equal(t, "250,75 TL", doc.Find("#link-amount").Text())
	assert.Equal(t, "LINK-T-1", doc.Find("#link-reference").Text())
	lu, err := url.Parse(link)
	require.NoError(t, err)
	q := lu.Query()
	assert.Equal(t, "250.75", q.Get("amount"))
	assert.Equal(t, "Çiçek, büyük", q.Get("description"))
	require.NoError(t, links.Verify(testLinkSecret, q, e.clock.Now()), "signed with the shop's link secret")
	expires, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	require.NoError(t, err)
	assert.Equal(t, e.clock.Now().Add(7*24*time.Hour).Unix(), expires)
	copyButton := doc.Find("#link-copy")
	assert.Equal(t, "link-url", copyButton.AttrOr("data-copy", ""))
	_, hidden := copyButton.Attr("hidden")
	assert.True(t, hidden, "shown by copy.js only: without a script there is no dead button")

	// The QR code is a PNG of exactly the link.
	src, ok := doc.Find("#link-qr").Attr("src")
	require.True(t, ok)
	assert.NotEmpty(t, doc.Find("#link-qr").AttrOr("alt", ""))
	img := b.get(src)
	require.Equal(t, http.StatusOK, img.status, img.body)
	assert.Equal(t, "image/png", img.header.Get("Content-Type"))
	decoded, err := png.Decode(bytes.NewReader([]byte(img.body)))
	require.NoError(t, err)
	text, err := qr.Decode(decoded)
	require.NoError(t, err)
	assert.Equal(t, link, text)

	// The link opens: the buyer (no session) is sent to the order's card page.
	open := e.get(link)
	require.Equal(t, http.StatusSeeOther, open.status, open.body)
	require.True(t, strings.HasPrefix(open.location(), "/pay/"), open.location())
	card := e.get(open.location())
	require.Equal(t, http.StatusOK, card.status)
	assert.Equal(t, 1, card.doc(t).Find("#card-form").Length())
	o, err := e.store.GetOrderByReference(context.Background(), "shop", "LINK-T-1")
	require.NoError(t, err)
	assert.Equal(t, "250.75", o.Amount.StringFixed(2))
	assert.Equal(t, "Çiçek, büyük", o.Description)

	// Now that the reference is an order, a new link for it is refused.
	r = b.pgCreateLink(url.Values{"amount": {"10.00"}, "currency": {"TRY"}, "reference": {"LINK-T-1"}, "expiry": {"1h"}})
	require.Equal(t, http.StatusBadRequest, r.status, r.body)
	assert.NotEmpty(t, r.doc(t).Find("#link-reference-input-error").Text())

	// Typed the Turkish way, with thousands: 1.234,50.
	r = b.pgCreateLink(url.Values{"amount": {"1.234,50"}, "currency": {"TRY"}, "expiry": {"1h"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	doc, _ = b.pgPage(r.location())
	assert.Equal(t, "1.234,50 TL", doc.Find("#link-amount").Text())

	// Without a reference, one is made.
	r = b.pgCreateLink(url.Values{"amount": {"10"}, "currency": {"EUR"}, "expiry": {"1h"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	doc, _ = b.pgPage(r.location())
	assert.True(t, strings.HasPrefix(doc.Find("#link-reference").Text(), "LINK-"))
	assert.Equal(t, 3, count(auditActions(t, e, "shop"), "link_created"))
}

func TestDashLinksRefuseBadInputNamingTheField(t *testing.T) {
	e := pgEnv(t)
	b := e.pgLogin(shopUser)
	good := func(edit func(url.Values)) url.Values {
		v := url.Values{"amount": {"150.00"}, "currency": {"TRY"}, "reference": {"R-1"}, "expiry": {"24h"}}
		edit(v)
		return v
	}
	for _, tc := range []struct {
		name  string
		form  url.Values
		input string
	}{
		{"amount not a number", good(func(v url.Values) { v.Set("amount", "abc") }), "link-amount-input"},
		{"amount zero", good(func(v url.Values) { v.Set("amount", "0") }), "link-amount-input"},
		{"amount three decimals", good(func(v url.Values) { v.Set("amount", "12,345") }), "link-amount-input"},
		{"amount too large", good(func(v url.Values) { v.Set("amount", "100000000") }), "link-amount-input"},
		{"currency unknown", good(func(v url.Values) { v.Set("currency", "XAU") }), "link-currency"},
		{"reference too long", good(func(v url.Values) { v.Set("reference", strings.Repeat("r", 65)) }), "link-reference-input"},
		{"description too long", good(func(v url.Values) { v.Set("description", strings.Repeat("d", 201)) }), "link-description"},
		{"expiry not offered", good(func(v url.Values) { v.Set("expiry", "9999h") }), "link-expiry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.pgCreateLink(tc.form)
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			doc := r.doc(t)
			assert.Equal(t, "true", doc.Find("#"+tc.input).AttrOr("aria-invalid", ""))
			assert.NotEmpty(t, strings.TrimSpace(doc.Find("#"+tc.input+"-error").Text()))
			assert.Contains(t, doc.Find("#"+tc.input).AttrOr("aria-describedby", ""), tc.input+"-error")
			assert.Equal(t, "#"+tc.input, doc.Find(".error-summary a").AttrOr("href", ""))
			assert.Equal(t, tc.form.Get("reference"), doc.Find("#link-reference-input").AttrOr("value", ""), "what was typed is kept")
		})
	}
	r := b.do(http.MethodPost, "/dashboard/links", good(func(url.Values) {}))
	assert.Equal(t, http.StatusForbidden, r.status, "no CSRF token")
	assert.Equal(t, 0, count(auditActions(t, e, "shop"), "link_created"), "nothing made")
}

func TestDashLinkQRIsOnlyForTheMerchantsLinks(t *testing.T) {
	e := pgEnv(t)
	shop := e.pgLogin(shopUser)
	r := shop.pgCreateLink(url.Values{"amount": {"99.90"}, "currency": {"TRY"}, "expiry": {"1h"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	loc, err := url.Parse(r.location())
	require.NoError(t, err)
	link := loc.Query().Get("u")
	lu, err := url.Parse(link)
	require.NoError(t, err)

	tampered := lu.Query()
	tampered.Set("amount", "0.99")
	otherSigned := e.url + "/link?" + links.SignedQuery("other-link-secret", url.Values{"merchant": {"other"}, "reference": {"X"},
		"amount": {"1.00"}, "currency": {"TRY"}}, e.clock.Now().Add(time.Hour)).Encode()
	elsewhere := strings.Replace(link, e.url, "https://evil.example", 1)
	for name, u := range map[string]string{
		"another site":        "https://evil.example/anything",
		"our link, elsewhere": elsewhere,
		"amount changed":      e.url + "/link?" + tampered.Encode(),
		"another merchant's":  otherSigned,
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, http.StatusNotFound, shop.get("/dashboard/links/qr.png?u="+url.QueryEscape(u)).status)
			assert.Equal(t, http.StatusNotFound, shop.get("/dashboard/links?u="+url.QueryEscape(u)).status)
		})
	}
	other := e.pgLogin(otherUser)
	assert.Equal(t, http.StatusNotFound, other.get("/dashboard/links/qr.png?u="+url.QueryEscape(link)).status,
		"the shop's link is not the other merchant's")
	r = other.get("/dashboard/links?u=" + url.QueryEscape(link))
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.NotContains(t, r.body, link)
	assert.Equal(t, http.StatusOK, other.get("/dashboard/links/qr.png?u="+url.QueryEscape(otherSigned)).status)

	dl := shop.get("/dashboard/links/qr.png?download=1&u=" + url.QueryEscape(link))
	require.Equal(t, http.StatusOK, dl.status)
	assert.Contains(t, dl.header.Get("Content-Disposition"), "attachment")

	// An expired link is still shown, marked as expired.
	e.clock.Add(2 * time.Hour)
	shop = e.pgLogin(shopUser)
	doc, _ := shop.pgPage("/dashboard/links?u=" + url.QueryEscape(link))
	assert.Equal(t, 1, doc.Find(".link-made .alert").Length())
}

func TestDashSettingsShowOnlyThisMerchantsValues(t *testing.T) {
	e := pgEnv(t, func(o *checkout.Options) { o.Merchants[0].WebhookURL = "https://shop.example/hooks/checkout" })
	doc, r := e.pgLogin(shopUser).pgPage("/dashboard/settings?lang=en")
	assert.Equal(t, shopOrigin, doc.Find("#set-origins code").Text())
	assert.Equal(t, shopOrigin+"/", doc.Find("#set-return code").Text())
	assert.Equal(t, "1 (single payment), 2, 3, 6", doc.Find("#set-installments").Text())
	assert.Equal(t, "https://shop.example/hooks/checkout", doc.Find("#set-webhook").Text())
	hash := checkout.HashAPIKey(testAPIKey)
	assert.Equal(t, "…"+hash[len(hash)-4:], doc.Find("#set-key").Text())
	for _, secret := range []string{testAPIKey, hash, testLinkSecret, "demo-pass"} {
		assert.NotContains(t, r.body, secret)
	}

	doc, r = e.pgLogin(otherUser).pgPage("/dashboard/settings?lang=en")
	assert.Contains(t, doc.Find("#set-origins").Text(), "None")
	assert.Contains(t, doc.Find("#set-return").Text(), "None")
	assert.Equal(t, "1 (single payment)", doc.Find("#set-installments").Text())
	assert.Equal(t, "Not set", strings.TrimSpace(doc.Find("#set-webhook").Text()))
	otherHash := checkout.HashAPIKey(otherAPIKey)
	assert.Equal(t, "…"+otherHash[len(otherHash)-4:], doc.Find("#set-key").Text())
	assert.NotContains(t, r.body, shopOrigin)
	assert.NotContains(t, r.body, "Test Shop")

	doc, _ = e.pgLogin(otherUser).pgPage("/dashboard/settings")
	assert.Equal(t, "Ayarlanmamış", strings.TrimSpace(doc.Find("#set-webhook").Text()), "Turkish by default")
}

func TestDashAuditListsLoginsAndLinks(t *testing.T) {
	e := pgEnv(t)
	require.Equal(t, http.StatusUnauthorized, e.browser().login(shopUser, "wrong password!").status)
	b := e.pgLogin(shopUser)
	r := b.pgCreateLink(url.Values{"amount": {"42.00"}, "currency": {"TRY"}, "reference": {"AUDIT-LINK"}, "expiry": {"1h"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)

	doc, _ := b.pgPage("/dashboard/audit?lang=en")
	rows := doc.Find("#audit tbody tr")
	var actions []string
	rows.Each(func(_ int, s *goquery.Selection) { actions = append(actions, s.AttrOr("data-action", "")) })
	assert.Equal(t, []string{"link_created", "login", "login_failed"}, actions, "newest first")
	first := rows.First()
	assert.Contains(t, first.Text(), shopUser)
	assert.Contains(t, first.Text(), "127.0.0.1")
	assert.Contains(t, first.Text(), "Created a payment link")
	assert.Contains(t, first.Text(), "AUDIT-LINK")
	assert.Contains(t, rows.Eq(1).Text(), "Logged in")

	_, other := e.pgLogin(otherUser).pgPage("/dashboard/audit")
	assert.NotContains(t, other.body, shopUser)
	assert.NotContains(t, other.body, "AUDIT-LINK")
}

// pgConflictOrder makes an order of the shop whose first attempt's money came after the
// buyer had started a second one, and returns it and the late attempt.
func (e *env) pgConflictOrder(reference string) (string, *orders.Attempt) {
	e.t.Helper()
	ctx := context.Background()
	id := e.createOrder(orderBody(reference))["id"].(string)
	start := func() *orders.Attempt {
		a := &orders.Attempt{Installments: 1, CardHolder: "Ayşe Yılmaz", CardFirst6: "418344", CardLast4: "3339", CardBrand: "visa"}
		_, err := e.store.StartAttempt(ctx, id, a)
		require.NoError(e.t, err)
		require.NoError(e.t, e.store.MarkRedirected(ctx, a.ID, "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC", e.bankURL+"/3d/"+a.ID))
		return a
	}
	late := start()
	_, ended, err := e.store.AbandonAttempt(ctx, late.ID, orders.Failure{ResultCode: "checkout.pending_timeout"})
	require.NoError(e.t, err)
	require.True(e.t, ended)
	second := start()
	rr, err := e.store.RecordOutcome(ctx, late.ID, orders.Outcome{Success: true, TrxCode: "BANK-" + reference})
	require.NoError(e.t, err)
	require.True(e.t, rr.Conflict)
	_, err = e.store.RecordOutcome(ctx, second.ID, orders.Outcome{ResultCode: "3DFailed"})
	require.NoError(e.t, err)
	return id, late
}

func TestDashReviewListsConflictsAndUnsettledAttempts(t *testing.T) {
	e := pgEnv(t)
	conflict, late := e.pgConflictOrder("REVIEW-CONFLICT")
	stuck := e.createOrder(orderBody("REVIEW-STUCK"))["id"].(string)
	a := &orders.Attempt{Installments: 1, CardFirst6: "418344", CardLast4: "3339", CardBrand: "visa"}
	_, err := e.store.StartAttempt(context.Background(), stuck, a)
	require.NoError(t, err)

	doc, _ := e.pgLogin(shopUser).pgPage("/dashboard/review?lang=en")
	item := doc.Find(`article[data-order="` + conflict + `"]`)
	require.Equal(t, 1, item.Length(), doc.Text())
	assert.Equal(t, "payment_conflict", item.AttrOr("data-reason", ""))
	assert.Contains(t, item.Find("h3").Text(), "REVIEW-CONFLICT")
	assert.Contains(t, item.Text(), late.OtherTrxCode, "what is known: the attempt's Moka reference")
	assert.Contains(t, item.Text(), "BANK-REVIEW-CONFLICT")
	assert.Contains(t, item.Text(), "may have paid twice")
	assert.Contains(t, item.Text(), "refund or cancel the extra payment", "what to do")
	assert.Equal(t, "/dashboard/orders/"+conflict, item.Find(`a[href^="/dashboard/orders/"]`).AttrOr("href", ""))
	assert.Equal(t, 0, doc.Find(`article[data-order="`+stuck+`"]`).Length(), "an attempt just started is not for review")

	e.clock.Add(orders.DefaultReviewAttemptAge + time.Minute)
	doc, _ = e.pgLogin(shopUser).pgPage("/dashboard/review")
	item = doc.Find(`article[data-order="` + stuck + `"]`)
	require.Equal(t, 1, item.Length())
	assert.Equal(t, "attempt_unsettled", item.AttrOr("data-reason", ""))
	assert.Contains(t, item.Text(), a.OtherTrxCode)

	doc, r := e.pgLogin(otherUser).pgPage("/dashboard/review")
	assert.Equal(t, 1, doc.Find("#review-none").Length())
	assert.NotContains(t, r.body, conflict)
}

// TestDashPagesShowNothingOfAnotherMerchant: a user of merchant "other" sees none of the
// shop's orders, links, users or settings on any of these pages.
func TestDashPagesShowNothingOfAnotherMerchant(t *testing.T) {
	e := pgEnv(t)
	paid := e.paidOrder(orderBody("SHOP-PAID-REF"))
	conflict, _ := e.pgConflictOrder("SHOP-CONFLICT-REF")
	shop := e.pgLogin(shopUser)
	r := shop.pgCreateLink(url.Values{"amount": {"10.00"}, "currency": {"TRY"}, "reference": {"SHOP-LINK-REF"}, "expiry": {"1h"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	shopLink, _ := url.Parse(r.location())

	// The shop sees its own on each page.
	for path, want := range map[string]string{
		"/dashboard/transactions": paid, "/dashboard/review": conflict, "/dashboard/audit": "SHOP-LINK-REF",
		"/dashboard/settings": shopOrigin, r.location(): "SHOP-LINK-REF",
	} {
		_, page := shop.pgPage(path)
		assert.Contains(t, page.body, want, path)
	}

	other := e.pgLogin(otherUser)
	day := pgDay(e.clock.Now())
	for _, path := range []string{
		"/dashboard/transactions", "/dashboard/transactions.csv?from=" + day + "&to=" + day, "/dashboard/links",
		"/dashboard/links?" + shopLink.RawQuery, "/dashboard/links/qr.png?" + shopLink.RawQuery,
		"/dashboard/settings", "/dashboard/audit", "/dashboard/review",
	} {
		page := other.get(path)
		require.Contains(t, []int{http.StatusOK, http.StatusNotFound}, page.status, path)
		for _, secret := range []string{paid, conflict, "SHOP-PAID-REF", "SHOP-CONFLICT-REF", "SHOP-LINK-REF", shopUser, shopOrigin, "Test Shop"} {
			assert.NotContains(t, page.body, secret, path)
		}
	}
}
