package reconcile_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/reconcile"
)

// unsentAfter is what the checkout wires: the Moka timeout (30s) plus a minute.
const unsentAfter = 30*time.Second + time.Minute

// oneTry is an order that allows a single attempt, so an attempt counted against it
// would leave it unpayable.
func (f *fixture) oneTry(t *testing.T, ref string) *orders.Order {
	t.Helper()
	o := &orders.Order{MerchantID: "shop", Reference: ref, Amount: decimal.RequireFromString("150.00"),
		Currency: "TRY", Capture: orders.CaptureAuto, MaxAttempts: 1, ExpiresAt: f.clock.Now().Add(3 * time.Hour)}
	require.NoError(t, f.store.CreateOrder(context.Background(), o))
	return o
}

// unsent starts an attempt as the card post does and stops there, as a process killed
// during the 3-D start call: the attempt is created, the order processing, no bank URL.
func (f *fixture) unsent(t *testing.T, o *orders.Order) *orders.Attempt {
	t.Helper()
	a := &orders.Attempt{Installments: 1, CardFirst6: "418344", CardLast4: "3339"}
	_, err := f.store.StartAttempt(context.Background(), o.ID, a)
	require.NoError(t, err)
	return a
}

func TestUnsentAttemptIsAbandonedSoonWithoutUsingUpAnAttempt(t *testing.T) {
	f := newFixture(t)
	f.rec.UnsentAfter = unsentAfter
	ctx := context.Background()

	old := f.oneTry(t, "R-old")
	oldAttempt := f.unsent(t, old)
	// At the bank for as long: the buyer may still be typing the SMS code.
	atBank := f.order(t, "R-bank", orders.CaptureAuto)
	bankAttempt, _ := f.atBank(t, atBank, "4183441122223339")
	f.clock.Add(time.Minute)
	young := f.oneTry(t, "R-young")
	youngAttempt := f.unsent(t, young) // its Moka call may still be running
	f.clock.Add(time.Minute)

	// Moka has no payment for the old unsent attempt (PaymentNotFound): it is settled now,
	// 13 minutes before the bank session timeout.
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Abandoned: 1}, rep)

	got, err := f.store.GetOrder(ctx, old.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusOpen, got.Status)
	require.Len(t, got.Attempts, 1)
	assert.Equal(t, oldAttempt.ID, got.Attempts[0].ID)
	assert.Equal(t, orders.AttemptAbandoned, got.Attempts[0].Status)
	assert.Equal(t, reconcile.CodeAbandoned, got.Attempts[0].ResultCode)
	assert.True(t, got.Attempts[0].NotCounted, "the buyer never got a bank page: no attempt used up")
	assert.Equal(t, 0, got.CountedAttempts())
	// The single attempt the order allows is still the buyer's.
	again := &orders.Attempt{Installments: 1}
	reopened, err := f.store.StartAttempt(ctx, old.ID, again)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusProcessing, reopened.Status)

	// Younger than UnsentAfter: left alone, Moka not asked.
	got, err = f.store.GetOrder(ctx, young.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusProcessing, got.Status)
	assert.Equal(t, orders.AttemptCreated, got.Attempts[0].Status)
	assert.Equal(t, youngAttempt.ID, got.Attempts[0].ID)
	// At the bank: left alone until After, however short UnsentAfter is.
	got, err = f.store.GetOrder(ctx, atBank.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusProcessing, got.Status)
	assert.Equal(t, orders.AttemptRedirected, got.Attempts[0].Status)
	assert.Equal(t, bankAttempt.ID, got.Attempts[0].ID)

	// Once it too is past UnsentAfter, the young one goes the same way.
	f.clock.Add(time.Minute)
	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Abandoned: 1}, rep)
	got, err = f.store.GetOrder(ctx, young.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusOpen, got.Status)
	assert.True(t, got.Attempts[0].NotCounted)
}

func TestUnsentAttemptWithoutUnsentAfterWaitsForTheBankSession(t *testing.T) {
	f := newFixture(t) // UnsentAfter 0: created attempts wait for After as before
	ctx := context.Background()
	o := f.oneTry(t, "R-1")
	f.unsent(t, o)
	f.clock.Add(2 * time.Minute)
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{}, rep)
	f.clock.Add(14 * time.Minute)
	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Abandoned: 1}, rep)
}

// The process stopped after Moka opened the 3-D session but before the bank URL was
// stored: Moka holds the payment pending, but nobody was sent to the bank to finish it.
func TestUnsentAttemptMokaHoldsPendingIsAbandonedAtOnce(t *testing.T) {
	f := newFixture(t) // the sandbox keeps unanswered 3-D payments pending
	f.rec.UnsentAfter = unsentAfter
	ctx := context.Background()
	o := f.oneTry(t, "R-1")
	a := f.unsent(t, o)
	_, err := f.client.StartThreeD(ctx, moka.ThreeDRequest{
		CardHolderFullName: "Ayse Yilmaz", CardNumber: "4183441122223339", ExpMonth: "12",
		ExpYear: strconv.Itoa(time.Now().Year() + 3), CvcNumber: "000",
		Amount: moka.NewAmount(o.Amount), Currency: "TL", OtherTrxCode: a.OtherTrxCode,
		ReturnHash: 1, RedirectURL: "http://127.0.0.1:1/return/" + a.ID,
	})
	require.NoError(t, err)
	f.clock.Add(2 * time.Minute)

	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Abandoned: 1}, rep)
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusOpen, got.Status)
	assert.Equal(t, orders.AttemptAbandoned, got.Attempts[0].Status)
	assert.Equal(t, reconcile.CodePendingTimeout, got.Attempts[0].ResultCode, "watched, should Moka still take the money")
	assert.True(t, got.Attempts[0].NotCounted)

	// Watched: a later pass asks again and, while Moka still holds it pending, changes nothing.
	f.clock.Add(time.Minute)
	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{}, rep)
}
