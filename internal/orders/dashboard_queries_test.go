package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// paid pays the order with a card ending in last4 and returns it as the store has it.
func (f *fixture) paid(t *testing.T, o *orders.Order, last4 string) *orders.Order {
	t.Helper()
	ctx := context.Background()
	a := &orders.Attempt{Installments: 1, CardHolder: "Ali Veli", CardFirst6: "526911", CardLast4: last4, CardBrand: "mastercard"}
	_, err := f.store.StartAttempt(ctx, o.ID, a)
	require.NoError(t, err)
	require.NoError(t, f.store.MarkRedirected(ctx, a.ID, "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC", "https://bank.example/3d/"+a.ID))
	rr, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T-" + o.Reference})
	require.NoError(t, err)
	return rr.Order
}

// act runs one action through the store as Moka accepted it.
func (f *fixture) act(t *testing.T, o *orders.Order, req orders.ActionRequest, res orders.ActionStatus) *orders.Order {
	t.Helper()
	ctx := context.Background()
	_, a, err := f.store.BeginAction(ctx, merchantID, o.ID, req, nil)
	require.NoError(t, err)
	got, _, err := f.store.FinishAction(ctx, a.ID, orders.ActionResult{Status: res}, nil)
	require.NoError(t, err)
	return got
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestSearchOrdersByReferenceIDAndCard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.newOrder(t, "SHOP-100")
	f.clock.Advance(time.Second)
	b := f.newOrder(t, "shop-101")
	f.clock.Advance(time.Second)
	c := f.newOrder(t, "OTHER_1")
	f.paid(t, b, "4444")
	f.clock.Advance(time.Second)
	d := f.newOrder(t, "REF-4444") // its reference holds the digits, its card does not
	f.paid(t, d, "1111")

	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{d.ID, c.ID, b.ID, a.ID}},
		{"SHOP-10", []string{b.ID, a.ID}}, // a prefix, any case
		{"shop-100", []string{a.ID}},      // the whole reference
		{"HOP", nil},                      // only the start of a reference
		{"OTHER_", []string{c.ID}},        // LIKE's own characters are literal
		{"OTHER%", nil},                   // ...both of them
		{a.ID, []string{a.ID}},            // the order id
		{"4444", []string{b.ID}},          // a card's last four digits (REF-4444 does not start with them)
		{" 1111 ", []string{d.ID}},        // trimmed
		{"444", nil},                      // three digits are not a card
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			page, more, err := f.store.SearchOrders(ctx, merchantID, orders.SearchFilter{Query: tc.query})
			require.NoError(t, err)
			assert.False(t, more)
			if tc.want == nil {
				tc.want = []string{}
			}
			assert.Equal(t, tc.want, ids(page))
		})
	}
}

func TestSearchOrdersIsTheMerchantsOwn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.EnsureMerchant(ctx, orders.Merchant{ID: "m2", Name: "Other"}))
	mine := f.paid(t, f.newOrder(t, "R-1"), "4444")
	theirs := f.paid(t, f.newOrder(t, "R-1", func(o *orders.Order) { o.MerchantID = "m2" }), "4444")
	for _, q := range []string{"R-1", "4444", theirs.ID} {
		page, _, err := f.store.SearchOrders(ctx, merchantID, orders.SearchFilter{Query: q})
		require.NoError(t, err)
		assert.NotContains(t, ids(page), theirs.ID, q)
	}
	page, _, err := f.store.SearchOrders(ctx, merchantID, orders.SearchFilter{Query: "4444"})
	require.NoError(t, err)
	assert.Equal(t, []string{mine.ID}, ids(page))
	_, _, err = f.store.SearchOrders(ctx, merchantID, orders.SearchFilter{ListFilter: orders.ListFilter{StartingAfter: theirs.ID}})
	assert.Equal(t, orders.CodeInvalidCursor, orders.ErrorCode(err), "another merchant's order is no cursor")
}

func TestSearchOrdersPagesWithFilters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var want []string
	for i := range 5 {
		f.clock.Advance(time.Second)
		o := f.newOrder(t, "P-"+string(rune('a'+i)))
		f.newOrder(t, "Q-"+string(rune('a'+i))) // same instant, filtered out by the search
		want = append([]string{o.ID}, want...)
	}
	sf := orders.SearchFilter{Query: "p-", ListFilter: orders.ListFilter{Limit: 2, Statuses: []orders.Status{orders.StatusOpen}}}
	var got []string
	for range 10 {
		page, more, err := f.store.SearchOrders(ctx, merchantID, sf)
		require.NoError(t, err)
		got = append(got, ids(page)...)
		if !more {
			break
		}
		sf.StartingAfter = page[len(page)-1].ID
	}
	assert.Equal(t, want, got)

	sf = orders.SearchFilter{Query: "P-", ListFilter: orders.ListFilter{Statuses: []orders.Status{orders.StatusPaid}}}
	page, _, err := f.store.SearchOrders(ctx, merchantID, sf)
	require.NoError(t, err)
	assert.Empty(t, page, "the status filter still applies")
}

func TestOrderTotalsPerCurrencyInDecimals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// 0.10 + 0.20 is 0.30 exactly, which floating point would not give.
	f.paid(t, f.newOrder(t, "T-1", func(o *orders.Order) { o.Amount = dec("0.10") }), "4444")
	f.paid(t, f.newOrder(t, "T-2", func(o *orders.Order) { o.Amount = dec("0.20") }), "4444")
	f.newOrder(t, "T-3", func(o *orders.Order) { o.Amount = dec("5.00") }) // open: counted, not paid
	f.paid(t, f.newOrder(t, "E-1", func(o *orders.Order) { o.Amount = dec("10.00"); o.Currency = "EUR" }), "1111")
	// A manual capture of part of the authorised amount pays what was captured.
	auth := f.paid(t, f.newOrder(t, "M-1", func(o *orders.Order) { o.Capture = orders.CaptureManual }), "4444")
	capAmount := dec("100.00")
	f.act(t, auth, orders.ActionRequest{Kind: orders.ActionCapture, Amount: &capAmount}, orders.ActionSucceeded)
	// An authorised order has paid nothing yet; a voided one never took the money.
	f.paid(t, f.newOrder(t, "M-2", func(o *orders.Order) { o.Capture = orders.CaptureManual }), "4444")
	voided := f.paid(t, f.newOrder(t, "V-1"), "4444")
	f.act(t, voided, orders.ActionRequest{Kind: orders.ActionVoid}, orders.ActionSucceeded)
	// A refund completed the next day.
	refunded := f.paid(t, f.newOrder(t, "R-1"), "4444")
	f.clock.Advance(25 * time.Hour)
	part := dec("20.00")
	o := f.act(t, refunded, orders.ActionRequest{Kind: orders.ActionRefund, Amount: &part}, orders.ActionRequested)
	_, _, err := f.store.CompleteRefund(ctx, o.Actions[0].ID, true, "", 9001)
	require.NoError(t, err)

	totals, err := f.store.OrderTotals(ctx, merchantID, orders.SearchFilter{})
	require.NoError(t, err)
	require.Len(t, totals, 2)
	assert.Equal(t, "TRY", totals[0].Currency, "TRY first")
	assert.Equal(t, 7, totals[0].Count)
	assert.Equal(t, "605.30", totals[0].Amount.StringFixed(2), "0.10+0.20+5+150+150+150+150")
	assert.Equal(t, "250.30", totals[0].Paid.StringFixed(2), "0.10+0.20+100 captured+150 refunded in part")
	assert.Equal(t, "20.00", totals[0].Refunded.StringFixed(2))
	assert.Equal(t, "EUR", totals[1].Currency)
	assert.Equal(t, 1, totals[1].Count)
	assert.Equal(t, "10.00", totals[1].Paid.StringFixed(2))

	// The filters of the list apply; the cursor and the page size do not.
	totals, err = f.store.OrderTotals(ctx, merchantID, orders.SearchFilter{Query: "T-",
		ListFilter: orders.ListFilter{Limit: 1, StartingAfter: auth.ID}})
	require.NoError(t, err)
	require.Len(t, totals, 1)
	assert.Equal(t, 3, totals[0].Count)
	assert.Equal(t, "0.30", totals[0].Paid.StringFixed(2))
	totals, err = f.store.OrderTotals(ctx, merchantID, orders.SearchFilter{ListFilter: orders.ListFilter{
		CreatedFrom: f.clock.Now().Add(-time.Hour)}})
	require.NoError(t, err)
	assert.Empty(t, totals, "nothing was created in the last hour")
}

func TestOrderEventsOldestFirstAndOwn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.paid(t, f.newOrder(t, "EV-1"), "4444")
	evs, err := f.store.OrderEvents(ctx, merchantID, o.ID)
	require.NoError(t, err)
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
		assert.Equal(t, o.ID, e.OrderID)
	}
	assert.Equal(t, f.eventTypes(t, o.ID), types)
	assert.Equal(t, orders.EventOrderCreated, types[0])
	assert.Equal(t, orders.EventOrderPaid, types[len(types)-1])

	none, err := f.store.OrderEvents(ctx, "m2", o.ID)
	require.NoError(t, err)
	assert.Empty(t, none, "another merchant sees no events of the order")
}

func TestPlanActionWritesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.paid(t, f.newOrder(t, "PL-1"), "4444")

	// On the payment's own day a full refund is planned as a void, a partial one refused.
	a, err := f.store.PlanAction(o, orders.ActionRequest{Kind: orders.ActionRefund})
	require.NoError(t, err)
	assert.Equal(t, orders.ActionVoid, a.Kind)
	assert.Equal(t, "150.00", a.Amount.StringFixed(2))
	part := dec("10.00")
	_, err = f.store.PlanAction(o, orders.ActionRequest{Kind: orders.ActionRefund, Amount: &part})
	assert.Equal(t, orders.CodeRefundNotYetPossible, orders.ErrorCode(err))
	_, err = f.store.PlanAction(o, orders.ActionRequest{Kind: orders.ActionCapture})
	assert.Equal(t, orders.CodeInvalidTransition, orders.ErrorCode(err))

	f.clock.Advance(25 * time.Hour)
	a, err = f.store.PlanAction(o, orders.ActionRequest{Kind: orders.ActionRefund, Amount: &part})
	require.NoError(t, err)
	assert.Equal(t, orders.ActionRefund, a.Kind)
	assert.Equal(t, "10.00", a.Amount.StringFixed(2))

	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Empty(t, got.Actions, "a plan is not an action")
	assert.Equal(t, orders.StatusPaid, got.Status)
}
