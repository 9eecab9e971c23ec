package checkout_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka/sandbox"
)

// orderList is the answer of GET /api/v1/orders.
type orderList struct {
	Data    []map[string]any `json:"data"`
	HasMore *bool            `json:"has_more"`
}

// listOrders calls GET /api/v1/orders?query and requires a 200 list.
func (e *env) listOrders(query string, header ...string) orderList {
	e.t.Helper()
	r := e.api(http.MethodGet, "/api/v1/orders?"+query, "", header...)
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	var l orderList
	require.NoError(e.t, json.Unmarshal([]byte(r.body), &l), r.body)
	require.NotNil(e.t, l.Data, "data is always an array: %s", r.body)
	require.NotNil(e.t, l.HasMore, "has_more is always there: %s", r.body)
	return l
}

// ordersByReference lists the merchant's orders with the reference ref: none or one.
func (e *env) ordersByReference(ref string, header ...string) []map[string]any {
	e.t.Helper()
	l := e.listOrders(url.Values{"reference": {ref}}.Encode(), header...)
	require.LessOrEqual(e.t, len(l.Data), 1)
	require.False(e.t, *l.HasMore)
	return l.Data
}

// listAllOrders pages through the list for query, limit at a time, and returns the ids in
// the order seen. between runs after each page.
func (e *env) listAllOrders(query url.Values, limit int, between func()) []string {
	e.t.Helper()
	query.Set("limit", fmt.Sprint(limit))
	ids := []string{}
	for range 1000 {
		l := e.listOrders(query.Encode())
		require.LessOrEqual(e.t, len(l.Data), limit)
		for _, o := range l.Data {
			ids = append(ids, o["id"].(string))
		}
		if !*l.HasMore {
			return ids
		}
		require.NotEmpty(e.t, l.Data)
		query.Set("starting_after", ids[len(ids)-1])
		if between != nil {
			between()
		}
	}
	e.t.Fatal("paging did not end")
	return nil
}

func newestFirst(ids []string) []string {
	out := make([]string, 0, len(ids))
	for i := len(ids) - 1; i >= 0; i-- {
		out = append(out, ids[i])
	}
	return out
}

func TestListOrdersNewestFirstInPages(t *testing.T) {
	e := newEnv(t)
	var created []string
	for i := range 5 {
		if i != 2 {
			e.clock.Add(time.Second) // orders 1 and 2 share an instant
		}
		created = append(created, e.createOrder(orderBody(fmt.Sprintf("R-%d", i)))["id"].(string))
	}
	want := newestFirst(created)

	first := e.listOrders("limit=2")
	assert.True(t, *first.HasMore)
	require.Len(t, first.Data, 2)
	// Each listed order is the order as GET /api/v1/orders/{id} shows it.
	for _, o := range first.Data {
		assert.Equal(t, e.order(o["id"].(string)), o)
	}
	second := e.listOrders("limit=2&starting_after=" + first.Data[1]["id"].(string))
	assert.True(t, *second.HasMore)
	last := e.listOrders("limit=2&starting_after=" + second.Data[1]["id"].(string))
	assert.False(t, *last.HasMore)
	var got []string
	for _, l := range []orderList{first, second, last} {
		for _, o := range l.Data {
			got = append(got, o["id"].(string))
		}
	}
	assert.Equal(t, want, got)

	end := e.listOrders("starting_after=" + want[4])
	assert.Empty(t, end.Data)
	assert.False(t, *end.HasMore)
	assert.Equal(t, want, e.listAllOrders(url.Values{}, 5, nil), "exactly one page's worth: no has_more")
}

func TestListOrdersDefaultLimit(t *testing.T) {
	e := newEnv(t)
	empty := e.listOrders("")
	assert.Empty(t, empty.Data)
	assert.False(t, *empty.HasMore)
	for i := range 21 {
		e.createOrder(orderBody(fmt.Sprintf("R-%d", i)))
	}
	l := e.listOrders("")
	assert.Len(t, l.Data, 20, "the default page is 20 orders")
	assert.True(t, *l.HasMore)
	assert.Len(t, e.listOrders("limit=100").Data, 21)
}

func TestListOrdersFilters(t *testing.T) {
	e := newEnv(t)
	start := e.clock.Now()
	open := e.createOrder(orderBody("open"))["id"].(string)
	e.clock.Add(time.Minute)
	paid := e.createOrder(orderBody("paid"))["id"].(string)
	status, _ := resultStatus(t, e.pay("/pay/"+paid, successCard, sandbox.DemoOTP))
	require.Equal(t, "paid", status)
	e.clock.Add(time.Minute)
	failed := e.createOrder(orderBody("failed", `"expires_in":"2m"`))["id"].(string)
	e.pay("/pay/"+failed, failCard, sandbox.DemoOTP)
	require.Equal(t, "open", e.order(failed)["status"])
	e.clock.Add(3 * time.Minute) // failed is now past its expiry: the API shows it expired
	require.Equal(t, "expired", e.order(failed)["status"])
	other := e.createOrder(orderBody("other"))["id"].(string)

	paidAt := e.order(paid)["created_at"].(string)
	istanbul := time.FixedZone("TRT", 3*3600)
	cases := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"all", url.Values{}, []string{other, failed, paid, open}},
		{"status", url.Values{"status": {"paid"}}, []string{paid}},
		{"comma-separated statuses", url.Values{"status": {"open,paid"}}, []string{other, paid, open}},
		{"statuses repeated, with spaces", url.Values{"status": {"open", " paid"}}, []string{other, paid, open}},
		{"expired as shown", url.Values{"status": {"expired"}}, []string{failed}},
		{"open as shown", url.Values{"status": {"open"}}, []string{other, open}},
		{"none in a status", url.Values{"status": {"refunded"}}, []string{}},
		{"created_from is inclusive", url.Values{"created_from": {paidAt}}, []string{other, failed, paid}},
		{"created_to is exclusive", url.Values{"created_to": {paidAt}}, []string{open}},
		{"a window in another zone", url.Values{
			"created_from": {start.Add(30 * time.Second).In(istanbul).Format(time.RFC3339)},
			"created_to":   {start.Add(90 * time.Second).In(istanbul).Format(time.RFC3339)},
		}, []string{paid}},
		{"reference", url.Values{"reference": {"paid"}}, []string{paid}},
		{"reference and status", url.Values{"reference": {"paid"}, "status": {"open"}}, []string{}},
		{"reference of nobody", url.Values{"reference": {"nope"}}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, e.listAllOrders(tc.query, 1, nil))
		})
	}
	// The list shows the state as GET does: the paid order with its attempt.
	got := e.listOrders("reference=paid").Data[0]
	assert.Equal(t, e.order(paid), got)
	assert.Equal(t, "paid", got["status"])
	assert.Len(t, got["attempts"], 1)
}

func TestListOrdersRejects(t *testing.T) {
	e := newEnv(t)
	theirs := e.api(http.MethodPost, "/api/v1/orders", orderBody("O-1"), "Authorization", "Bearer "+otherAPIKey)
	require.Equal(t, http.StatusCreated, theirs.status, theirs.body)
	theirID := theirs.json(t)["id"].(string)
	now := e.clock.Now()
	cases := []struct {
		name, query, code, field string
	}{
		{"unknown status", "status=settled", "status_invalid", "status"},
		{"empty status", "status=", "status_invalid", "status"},
		{"empty status in a list", "status=open,,paid", "status_invalid", "status"},
		{"status in capitals", "status=PAID", "status_invalid", "status"},
		{"created_from not RFC 3339", "created_from=" + now.Format("2006-01-02"), "created_from_invalid", "created_from"},
		{"created_from a unix time", "created_from=1767225600", "created_from_invalid", "created_from"},
		{"created_to not a time", "created_to=yesterday", "created_to_invalid", "created_to"},
		{"created_to before created_from", url.Values{
			"created_from": {now.Format(time.RFC3339)}, "created_to": {now.Add(-time.Hour).Format(time.RFC3339)},
		}.Encode(), "created_to_invalid", "created_to"},
		{"created_to equal to created_from", url.Values{
			"created_from": {now.Format(time.RFC3339)}, "created_to": {now.Format(time.RFC3339)},
		}.Encode(), "created_to_invalid", "created_to"},
		{"created_from twice", url.Values{"created_from": {now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)}}.Encode(),
			"created_from_invalid", "created_from"},
		{"empty reference", "reference=", "reference_invalid", "reference"},
		{"limit 0", "limit=0", "limit_invalid", "limit"},
		{"limit 101", "limit=101", "limit_invalid", "limit"},
		{"limit negative", "limit=-1", "limit_invalid", "limit"},
		{"limit not a number", "limit=ten", "limit_invalid", "limit"},
		{"unknown starting_after", "starting_after=ord_nope", "starting_after_invalid", "starting_after"},
		{"another merchant's order as cursor", "starting_after=" + theirID, "starting_after_invalid", "starting_after"},
		{"empty starting_after", "starting_after=", "starting_after_invalid", "starting_after"},
		{"unknown parameter", "ending_before=ord_x", "unknown_parameter", "ending_before"},
		{"misspelt filter", "stauts=paid", "unknown_parameter", "stauts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api(http.MethodGet, "/api/v1/orders?"+tc.query, "")
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			body := r.json(t)["error"].(map[string]any)
			assert.Equal(t, tc.code, body["code"], r.body)
			assert.Equal(t, tc.field, body["field"], r.body)
			assert.NotEmpty(t, body["message"])
		})
	}
	assert.NotContains(t, e.api(http.MethodGet, "/api/v1/orders?starting_after="+theirID, "").body, "O-1",
		"the refusal says nothing of the other merchant's order")

	r := e.api(http.MethodGet, "/api/v1/orders", "", "Authorization", "Bearer wrong")
	assert.Equal(t, http.StatusUnauthorized, r.status)
}

func TestListOrdersOnlyTheCallersMerchant(t *testing.T) {
	e := newEnv(t)
	mine := e.createOrder(orderBody("R-1"))["id"].(string)
	theirs := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-1"), "Authorization", "Bearer "+otherAPIKey)
	require.Equal(t, http.StatusCreated, theirs.status, theirs.body)
	theirID := theirs.json(t)["id"].(string)

	for _, q := range []string{"", "reference=R-1", "status=open", "limit=100"} {
		assert.Equal(t, []any{mine}, ids(e.listOrders(q).Data), q)
		assert.Equal(t, []any{theirID}, ids(e.listOrders(q, "Authorization", "Bearer "+otherAPIKey).Data), q)
	}
	r := e.api(http.MethodGet, "/api/v1/orders?starting_after="+mine, "", "Authorization", "Bearer "+otherAPIKey)
	assert.Equal(t, http.StatusBadRequest, r.status, "the shop's order is no cursor for the other merchant")
}

func ids(orders []map[string]any) []any {
	out := make([]any, len(orders))
	for i, o := range orders {
		out[i] = o["id"]
	}
	return out
}

// Orders created between page fetches, in the cursor's instant or later, never push an
// older order into a second page or out of the list.
func TestListOrdersPagingStableUnderInserts(t *testing.T) {
	e := newEnv(t)
	var before []string
	for i := range 12 {
		if i%3 == 0 {
			e.clock.Add(time.Second)
		}
		before = append(before, e.createOrder(orderBody(fmt.Sprintf("old-%d", i)))["id"].(string))
	}
	n := 0
	got := e.listAllOrders(url.Values{}, 5, func() {
		e.createOrder(orderBody(fmt.Sprintf("new-%d", n)))
		e.clock.Add(time.Millisecond)
		e.createOrder(orderBody(fmt.Sprintf("new-%d-later", n)))
		n++
	})
	require.Positive(t, n)
	assert.Equal(t, newestFirst(before), got)
	assert.Len(t, e.listAllOrders(url.Values{}, 100, nil), len(before)+2*n)
}

// Merchants' servers create orders while a report pages through every order: each order
// that existed before is listed exactly once, and no order twice.
func TestListOrdersPagingWithConcurrentCreates(t *testing.T) {
	e := newEnv(t)
	var before []string
	for i := range 15 {
		if i%3 == 0 {
			e.clock.Add(time.Millisecond)
		}
		before = append(before, e.createOrder(orderBody(fmt.Sprintf("old-%d", i)))["id"].(string))
	}

	const writers, perWriter = 3, 10
	written := make(chan struct{}, writers*perWriter)
	finished := make(chan struct{})
	errs := make(chan error, writers*perWriter)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				e.clock.Add(time.Microsecond)
				errs <- createOrderRaw(e, fmt.Sprintf("new-%d-%d", w, i))
				written <- struct{}{}
			}
		})
	}
	go func() { wg.Wait(); close(finished) }()
	got := e.listAllOrders(url.Values{}, 2, func() {
		select { // every page is read while orders are being created
		case <-written:
		case <-finished:
		}
	})
	<-finished
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "order %s listed %d times", id, n)
	}
	var olds []string
	for _, id := range got {
		for _, b := range before {
			if b == id {
				olds = append(olds, id)
			}
		}
	}
	assert.Equal(t, newestFirst(before), olds, "each older order once, in order")
}

// createOrderRaw creates an order from any goroutine: it reports instead of failing.
func createOrderRaw(e *env, ref string) error {
	req, err := http.NewRequest(http.MethodPost, e.url+"/api/v1/orders", strings.NewReader(orderBody(ref)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("create %s: %d %s", ref, resp.StatusCode, b)
	}
	return nil
}
