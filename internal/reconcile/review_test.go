package reconcile_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/reconcile"
)

// countingClient is the real client to the sandbox, counting what it is asked.
type countingClient struct {
	*moka.Client
	mu     sync.Mutex
	detail map[string]int // PaymentDetail calls by OtherTrxCode
	lists  int            // AllPaymentTrx calls
}

func (c *countingClient) PaymentDetail(ctx context.Context, req moka.PaymentDetailRequest) (*moka.PaymentDetailResult, error) {
	c.mu.Lock()
	c.detail[req.OtherTrxCode]++
	c.mu.Unlock()
	return c.Client.PaymentDetail(ctx, req)
}

func (c *countingClient) AllPaymentTrx(ctx context.Context, from, to time.Time, filter moka.TrxListFilter) (*moka.AllTrxResult, error) {
	c.mu.Lock()
	c.lists++
	c.mu.Unlock()
	return c.Client.AllPaymentTrx(ctx, from, to, filter)
}

func (f *fixture) counting() *countingClient {
	c := &countingClient{Client: f.client, detail: map[string]int{}}
	f.rec.Moka = func(id string) reconcile.Detailer {
		if id == "shop" {
			return c
		}
		return nil
	}
	return c
}

// atBankFor is atBank with the 3-D payment started for amount instead of the order's: the
// bank then takes another amount than the order asked for.
func (f *fixture) atBankFor(t *testing.T, o *orders.Order, card, amount string) (*orders.Attempt, string) {
	t.Helper()
	ctx := context.Background()
	a := &orders.Attempt{Installments: 1, CardFirst6: card[:6], CardLast4: card[len(card)-4:]}
	_, err := f.store.StartAttempt(ctx, o.ID, a)
	require.NoError(t, err)
	res, err := f.client.StartThreeD(ctx, moka.ThreeDRequest{
		CardHolderFullName: "Ayse Yilmaz", CardNumber: card, ExpMonth: "12", ExpYear: strconv.Itoa(time.Now().Year() + 3), CvcNumber: "000",
		Amount: moka.NewAmount(decimal.RequireFromString(amount)), Currency: "TL", OtherTrxCode: a.OtherTrxCode,
		ReturnHash: 1, RedirectURL: "http://127.0.0.1:1/return/" + a.ID,
	})
	require.NoError(t, err)
	require.NoError(t, f.store.MarkRedirected(ctx, a.ID, res.CodeForHash, res.URL))
	return a, res.URL
}

func (f *fixture) events(t *testing.T, orderID, typ string) int {
	t.Helper()
	evs, err := f.store.OrderEvents(context.Background(), "shop", orderID)
	require.NoError(t, err)
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// A payment of another amount at Moka ends in needs_review once, with one event, over
// any number of passes and sweeps, and Moka is no longer asked about it.
func TestPaymentOfAnotherAmountNeedsReviewOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	moka := f.counting()
	o := f.order(t, "R-1", orders.CaptureAuto)
	a, bank := f.atBankFor(t, o, "4183441122223339", "140.00")
	passOTP(t, bank, sandbox.DemoOTP) // the bank takes 140.00; the return is lost

	f.clock.Add(16 * time.Minute)
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Flagged: 1}, rep)

	for range 3 {
		f.clock.Add(61 * time.Minute) // each pass sweeps Moka's list again too
		rep, err := f.rec.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, reconcile.Report{}, rep, "nothing new")
	}
	assert.Equal(t, 1, moka.detail[a.OtherTrxCode], "Moka is asked about the attempt once")
	assert.Equal(t, 4, moka.lists, "one sweep an hour")

	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Review)
	assert.True(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewAmountMismatch, got.Review.Reason)
	assert.Contains(t, got.Review.Detail, "140 paid for an order of 150")
	assert.Equal(t, orders.StatusProcessing, got.Status, "the order cannot be paid twice")
	assert.Equal(t, orders.AttemptRedirected, got.Attempts[0].Status)
	assert.Equal(t, 1, f.events(t, o.ID, orders.EventOrderNeedsReview))

	// A person resolves it: the attempt stays off the work list, nothing is flagged again.
	_, err = f.store.ResolveReview(ctx, "shop", o.ID, "api", "refunded the 140.00 at Moka")
	require.NoError(t, err)
	f.clock.Add(61 * time.Minute)
	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{}, rep)
	assert.Equal(t, 1, f.events(t, o.ID, orders.EventOrderNeedsReview))
	assert.Equal(t, 1, moka.detail[a.OtherTrxCode])
}

// A capture Moka holds for another amount than asked is flagged once and left pending, so
// no second capture can start; Moka is not asked about it again.
func TestCaptureOfAnotherAmountNeedsReviewOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.order(t, "R-1", orders.CaptureManual)
	a := &orders.Attempt{}
	_, err := f.store.StartAttempt(ctx, o.ID, a)
	require.NoError(t, err)
	require.NoError(t, f.store.MarkRedirected(ctx, a.ID, "code-for-hash", "https://bank.example/"))
	_, err = f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T-1"})
	require.NoError(t, err)
	_, capture, err := f.store.BeginAction(ctx, "shop", o.ID, orders.ActionRequest{Kind: orders.ActionCapture}, nil)
	require.NoError(t, err)
	fake := &fakeDetail{res: &moka.PaymentDetailResult{PaymentDetail: moka.PaymentDetail{
		Amount: moka.NewAmount(decimal.RequireFromString("100.00")), PaymentStatus: moka.PaymentStatusPayment,
		TrxStatus: moka.TrxStatusSuccess,
	}}}
	f.rec.Moka = func(string) reconcile.Detailer { return fake }

	f.clock.Add(5 * time.Minute) // past ActionAfter: the capture's answer was lost
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Flagged: 1}, rep)
	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{}, rep)
	assert.Equal(t, 1, fake.calls)

	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.True(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewAmountMismatch, got.Review.Reason)
	assert.Contains(t, got.Review.Detail, "100 captured, the capture asked for 150")
	assert.Equal(t, orders.ActionPending, got.Action(capture.ID).Status)
	assert.Equal(t, orders.StatusAuthorized, got.Status)
	assert.Equal(t, 1, f.events(t, o.ID, orders.EventOrderNeedsReview))
}

// The sweep finds, in Moka's payment list, payments the bank's return and the reconciler's
// questions missed: it records the one it can and flags those it cannot.
func TestSweepRecordsLostPaymentsAndFlagsTheRest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.rec.SweepEvery = -1 // swept by hand below
	start := f.clock.Now()
	lost := orders.Failure{ResultCode: reconcile.CodeAbandoned, ResultMessage: "Moka holds no payment for this attempt"}

	// Given up on while Moka knew no payment; the bank charged later.
	recover := f.order(t, "RECOVER", orders.CaptureAuto)
	ra, bank := f.atBank(t, recover, "4183441122223339")
	_, _, err := f.store.AbandonAttempt(ctx, ra.ID, lost)
	require.NoError(t, err)
	passOTP(t, bank, sandbox.DemoOTP)

	// The same, for another amount.
	other := f.order(t, "OTHER", orders.CaptureAuto)
	oa, bank := f.atBankFor(t, other, "4183441122223339", "15.00")
	_, _, err = f.store.AbandonAttempt(ctx, oa.ID, lost)
	require.NoError(t, err)
	passOTP(t, bank, sandbox.DemoOTP)

	// A return that said failed, while Moka took the money.
	failed := f.order(t, "FAILED", orders.CaptureAuto)
	fa, bank := f.atBank(t, failed, "4183441122223339")
	passOTP(t, bank, sandbox.DemoOTP)
	_, err = f.store.RecordOutcome(ctx, fa.ID, orders.Outcome{ResultCode: "3DFailed"})
	require.NoError(t, err)

	// Paid and recorded: nothing to do.
	fine := f.order(t, "FINE", orders.CaptureAuto)
	pa, bank := f.atBank(t, fine, "4183441122223339")
	passOTP(t, bank, sandbox.DemoOTP)
	_, err = f.store.RecordOutcome(ctx, pa.ID, orders.Outcome{Success: true})
	require.NoError(t, err)

	f.clock.Add(20 * time.Minute)
	rep, err := f.rec.Sweep(ctx, start.Add(-time.Hour), f.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Merchants)
	assert.Equal(t, 4, rep.Payments)
	assert.Equal(t, 3, rep.Unpaid)
	assert.Equal(t, 1, rep.Recorded)
	assert.Equal(t, 2, rep.Flagged)
	assert.Zero(t, rep.Left)
	assert.ElementsMatch(t, []reconcile.SweepFinding{
		{OrderID: recover.ID, AttemptID: ra.ID, OtherTrxCode: ra.OtherTrxCode, Recorded: true},
		{OrderID: other.ID, AttemptID: oa.ID, OtherTrxCode: oa.OtherTrxCode, Flagged: orders.ReviewAmountMismatch},
		{OrderID: failed.ID, AttemptID: fa.ID, OtherTrxCode: fa.OtherTrxCode, Flagged: orders.ReviewPaidUnrecorded},
	}, rep.Found)

	got, err := f.store.GetOrder(ctx, recover.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusPaid, got.Status, "the lost payment is the order's")
	assert.Equal(t, orders.AttemptSucceeded, got.Attempts[0].Status)
	assert.False(t, got.FlaggedForReview())

	got, err = f.store.GetOrder(ctx, other.ID)
	require.NoError(t, err)
	require.True(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewAmountMismatch, got.Review.Reason)
	assert.Equal(t, orders.StatusOpen, got.Status, "nothing was recorded")

	got, err = f.store.GetOrder(ctx, failed.ID)
	require.NoError(t, err)
	require.True(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewPaidUnrecorded, got.Review.Reason)
	assert.Contains(t, got.Review.Detail, fa.OtherTrxCode)
	assert.Contains(t, got.Review.Detail, "ended failed (3DFailed)")

	// The next sweep over the same window finds nothing new.
	rep, err = f.rec.Sweep(ctx, start.Add(-time.Hour), f.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, reconcile.SweepReport{From: rep.From, To: rep.To, Merchants: 1, Payments: 4}, rep)
	for _, o := range []*orders.Order{other, failed} {
		assert.Equal(t, 1, f.events(t, o.ID, orders.EventOrderNeedsReview))
	}
}

// A lost payment found for an order that has expired since is recorded as a conflict,
// and the order flagged.
func TestSweepFlagsAPaymentAfterExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.rec.SweepEvery = -1
	start := f.clock.Now()
	o := f.order(t, "R-1", orders.CaptureAuto)
	a, bank := f.atBank(t, o, "4183441122223339")
	_, _, err := f.store.AbandonAttempt(ctx, a.ID, orders.Failure{ResultCode: reconcile.CodeAbandoned})
	require.NoError(t, err)
	passOTP(t, bank, sandbox.DemoOTP)
	f.clock.Add(4 * time.Hour)
	_, err = f.store.ExpireDue(ctx)
	require.NoError(t, err)

	rep, err := f.rec.Sweep(ctx, start.Add(-time.Minute), f.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Recorded)
	assert.Equal(t, 1, rep.Flagged)
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusExpired, got.Status)
	require.True(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewPaymentConflict, got.Review.Reason)
	assert.Equal(t, 1, f.events(t, o.ID, orders.EventOrderPaymentConflict))
	assert.Equal(t, 1, f.events(t, o.ID, orders.EventOrderNeedsReview))
}
