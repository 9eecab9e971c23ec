package reconcile_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/reconcile"
	"github.com/mokacheckout/checkout/internal/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a real store (see storetest), the sandbox on a real port and a reconciler between them.
type fixture struct {
	db     storetest.DB
	store  *orders.Store
	bank   *sandbox.Server
	client *moka.Client
	clock  *clock
	rec    *reconcile.Reconciler
	logs   *bytes.Buffer
}

// newFixture starts the sandbox on the fixture's clock; sessionTimeout 0 keeps unanswered
// 3-D payments pending for ever.
func newFixture(t *testing.T, sessionTimeout ...time.Duration) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC()}
	srv := httptest.NewUnstartedServer(nil)
	bankURL := "http://" + srv.Listener.Addr().String()
	cfg := sandbox.DemoConfig(bankURL)
	cfg.Now = clk.Now
	cfg.SessionTimeout = 0
	if len(sessionTimeout) > 0 {
		cfg.SessionTimeout = sessionTimeout[0]
	}
	bank := sandbox.New(cfg)
	srv.Config.Handler = bank
	srv.Start()
	t.Cleanup(srv.Close)

	db := storetest.New(t)
	store := db.Open(t, clk.Now)
	require.NoError(t, store.EnsureMerchant(ctx, orders.Merchant{ID: "shop", Name: "Shop"}))

	client := moka.New(bankURL, moka.Credentials{DealerCode: sandbox.DemoDealerCode,
		Username: sandbox.DemoUsername, Password: sandbox.DemoPassword}, moka.WithTimeout(2*time.Second))
	logs := &bytes.Buffer{}
	f := &fixture{db: db, store: store, bank: bank, client: client, clock: clk, logs: logs}
	f.rec = &reconcile.Reconciler{
		Store: store,
		Moka: func(id string) reconcile.Detailer {
			if id == "shop" {
				return client
			}
			return nil
		},
		After:  15 * time.Minute,
		GiveUp: time.Hour,
		Watch:  24 * time.Hour,
		Now:    clk.Now,
		Log:    slog.New(slog.NewJSONHandler(logs, nil)),
	}
	return f
}

func (f *fixture) order(t *testing.T, ref, capture string) *orders.Order {
	t.Helper()
	o := &orders.Order{MerchantID: "shop", Reference: ref, Amount: decimal.RequireFromString("150.00"),
		Currency: "TRY", Capture: capture, ExpiresAt: f.clock.Now().Add(3 * time.Hour)}
	require.NoError(t, f.store.CreateOrder(context.Background(), o))
	return o
}

// atBank starts an attempt and Moka's 3-D payment for it with card, as the checkout does,
// and returns the attempt and the bank page's URL.
func (f *fixture) atBank(t *testing.T, o *orders.Order, card string) (*orders.Attempt, string) {
	t.Helper()
	ctx := context.Background()
	a := &orders.Attempt{Installments: 1, CardFirst6: card[:6], CardLast4: card[len(card)-4:]}
	_, err := f.store.StartAttempt(ctx, o.ID, a)
	require.NoError(t, err)
	res, err := f.client.StartThreeD(ctx, moka.ThreeDRequest{
		CardHolderFullName: "Ayse Yilmaz", CardNumber: card, ExpMonth: "12", ExpYear: strconv.Itoa(time.Now().Year() + 3), CvcNumber: "000",
		Amount: moka.NewAmount(o.Amount), Currency: "TL", OtherTrxCode: a.OtherTrxCode,
		IsPreAuth:  moka.Int(boolInt(o.Capture == orders.CaptureManual)),
		ReturnHash: 1, RedirectURL: "http://127.0.0.1:1/return/" + a.ID,
	})
	require.NoError(t, err)
	require.NoError(t, f.store.MarkRedirected(ctx, a.ID, res.CodeForHash, res.URL))
	return a, res.URL
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// passOTP answers the bank page, but the buyer's browser never delivers the return post:
// Moka knows the outcome, we do not.
func passOTP(t *testing.T, bankURL, otp string) {
	t.Helper()
	resp, err := http.Get(bankURL)
	require.NoError(t, err)
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	action, ok := doc.Find("#otp-form").Attr("action")
	require.True(t, ok)
	base, err := url.Parse(bankURL)
	require.NoError(t, err)
	ref, err := url.Parse(action)
	require.NoError(t, err)
	resp, err = http.PostForm(base.ResolveReference(ref).String(), url.Values{"otp": {otp}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestLostReturnOfAPaymentIsRecordedAsPaid(t *testing.T) {
	for _, capture := range []string{orders.CaptureAuto, orders.CaptureManual} {
		t.Run(capture, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			o := f.order(t, "R-1", capture)
			a, bank := f.atBank(t, o, "4183441122223339")
			passOTP(t, bank, sandbox.DemoOTP)
			paidAt := f.clock.Now()

			// Still within the bank session: nothing is asked yet.
			rep, err := f.rec.RunOnce(ctx)
			require.NoError(t, err)
			assert.Equal(t, reconcile.Report{}, rep)

			f.clock.Add(16 * time.Minute)
			rep, err = f.rec.RunOnce(ctx)
			require.NoError(t, err)
			assert.Equal(t, reconcile.Report{Paid: 1}, rep)
			got, err := f.store.GetOrder(ctx, o.ID)
			require.NoError(t, err)
			want := orders.StatusPaid
			if capture == orders.CaptureManual {
				want = orders.StatusAuthorized
			}
			assert.Equal(t, want, got.Status)
			assert.Equal(t, orders.AttemptSucceeded, got.Attempts[0].Status)
			assert.NotEmpty(t, got.Attempts[0].TrxCode, "the bank's order id is kept for captures and refunds")
			// The payment's time is Moka's, not the pass's 16 minutes later: Moka's void
			// and refund days go by it.
			require.NotNil(t, got.Attempts[0].CompletedAt)
			assert.WithinDuration(t, paidAt, *got.Attempts[0].CompletedAt, time.Second)
			if capture == orders.CaptureAuto {
				require.NotNil(t, got.PaidAt)
				assert.WithinDuration(t, paidAt, *got.PaidAt, time.Second)
			}

			// The next pass finds nothing left; a late return changes nothing either.
			rep, err = f.rec.RunOnce(ctx)
			require.NoError(t, err)
			assert.Equal(t, reconcile.Report{}, rep)
			rr, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true})
			require.NoError(t, err)
			assert.False(t, rr.Recorded)
		})
	}
}

func TestAbandonedAtTheBankFreesTheOrder(t *testing.T) {
	f := newFixture(t, 10*time.Minute) // the bank ends unanswered 3-D sessions after 10 minutes
	ctx := context.Background()
	o := f.order(t, "R-1", orders.CaptureAuto)
	a, _ := f.atBank(t, o, "5400360000000003") // the sandbox's abandon card: no return ever

	f.clock.Add(16 * time.Minute)
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Abandoned: 1}, rep)
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusOpen, got.Status, "the buyer may pay again")
	assert.Equal(t, orders.AttemptAbandoned, got.Attempts[0].Status)
	assert.Equal(t, reconcile.CodeAbandoned, got.Attempts[0].ResultCode)
	assert.Contains(t, got.Attempts[0].ResultMessage, "session timed out")
	assert.Equal(t, a.ID, got.Attempts[0].ID)

	// A new attempt can start and pay.
	_, bank := f.atBank(t, got, "4183441122223339")
	passOTP(t, bank, sandbox.DemoOTP)
	f.clock.Add(16 * time.Minute)
	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Paid)
}

func TestFailedAtTheBankAndNeverSentAreAbandoned(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	failed := f.order(t, "R-1", orders.CaptureAuto)
	_, bank := f.atBank(t, failed, "4183441122223339")
	passOTP(t, bank, "000000") // wrong SMS code: Moka records a failed payment

	// An attempt committed but never sent to Moka (the process stopped in between).
	never := f.order(t, "R-2", orders.CaptureAuto)
	_, err := f.store.StartAttempt(ctx, never.ID, &orders.Attempt{})
	require.NoError(t, err)

	f.clock.Add(16 * time.Minute)
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Abandoned: 2}, rep)
	for id, counted := range map[string]bool{failed.ID: true, never.ID: false} {
		got, err := f.store.GetOrder(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, orders.StatusOpen, got.Status)
		assert.Equal(t, orders.AttemptAbandoned, got.Attempts[0].Status)
		assert.Equal(t, counted, !got.Attempts[0].NotCounted, "only the buyer's own failure uses up an attempt")
	}
}

func TestMokaDownLeavesAttemptsForLater(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.order(t, "R-1", orders.CaptureAuto)
	_, bank := f.atBank(t, o, "4183441122223339")
	passOTP(t, bank, sandbox.DemoOTP)
	f.clock.Add(16 * time.Minute)

	f.bank.SetFault(sandbox.Fault{Status500: true})
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Left: 1}, rep)
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusProcessing, got.Status, "no answer from Moka is no answer: nothing changes")
	assert.Contains(t, f.logs.String(), `"level":"ERROR","msg":"reconcile attempt"`)

	f.bank.SetFault(sandbox.Fault{})
	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Paid: 1}, rep)
}

// fakeDetail answers every question with one payment detail, and counts them.
type fakeDetail struct {
	res   *moka.PaymentDetailResult
	calls int
}

func (f *fakeDetail) PaymentDetail(context.Context, moka.PaymentDetailRequest) (*moka.PaymentDetailResult, error) {
	f.calls++
	return f.res, nil
}

func TestOverdueOpenOrdersExpire(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.order(t, "R-1", orders.CaptureAuto)
	f.clock.Add(4 * time.Hour)
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Expired: 1}, rep)
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusExpired, got.Status)
}

// A buyer still at the bank when the bank session should be over is left alone: their
// payment is recorded when it goes through, and the order was never reopened meanwhile.
func TestPendingAtMokaIsLeftAlone(t *testing.T) {
	f := newFixture(t) // sessions never time out at this bank
	ctx := context.Background()
	o := f.order(t, "R-1", orders.CaptureAuto)
	_, bank := f.atBank(t, o, "4183441122223339")

	f.clock.Add(16 * time.Minute)
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Left: 1}, rep)
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusProcessing, got.Status, "no second attempt can start")

	passOTP(t, bank, sandbox.DemoOTP) // minute 16: the buyer finishes; the return is lost
	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Paid: 1}, rep)
}

// Still pending after GiveUp: the order is freed, but Moka is asked again, and money the
// bank takes after all is recorded rather than lost.
func TestPendingPastGiveUpIsAbandonedAndWatched(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.order(t, "R-1", orders.CaptureAuto)
	a, bank := f.atBank(t, o, "4183441122223339")

	f.clock.Add(61 * time.Minute)
	rep, err := f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Abandoned: 1}, rep)
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusOpen, got.Status)
	assert.Equal(t, reconcile.CodePendingTimeout, got.Attempts[0].ResultCode)

	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{}, rep, "a watched attempt still unpaid is not news")

	passOTP(t, bank, sandbox.DemoOTP) // the bank charges after all; the return is lost
	rep, err = f.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, reconcile.Report{Paid: 1}, rep)
	got, err = f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusPaid, got.Status)
	assert.Equal(t, a.ID, got.Attempts[0].ID)
	assert.Equal(t, orders.AttemptSucceeded, got.Attempts[0].Status)

	// After Watch, an abandoned attempt is no longer asked about.
	f.clock.Add(25 * time.Hour)
	watched, err := f.store.AbandonedAttempts(ctx, reconcile.CodePendingTimeout, f.clock.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	assert.Empty(t, watched)
}

// A success that is not what the order asked for (another amount, or a pre-authorisation
// for an order captured automatically) is flagged for a person, never recorded and never
// abandoned with the money held; Moka is not asked about it again.
func TestPaymentNotAsOrderedIsFlaggedForAPerson(t *testing.T) {
	cases := []struct {
		name       string
		amount     string
		status     int64
		wantReason orders.ReviewReason
		wantDetail string
	}{
		{"other amount", "1.50", moka.PaymentStatusPayment, orders.ReviewAmountMismatch, "1.5 paid for an order of 150"},
		{"pre-authorised, captured auto", "150.00", moka.PaymentStatusPreAuth, orders.ReviewCaptureMismatch, "payment status 1 for an order captured auto"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			o := f.order(t, "R-1", orders.CaptureAuto)
			f.atBank(t, o, "4183441122223339")
			fake := &fakeDetail{res: &moka.PaymentDetailResult{PaymentDetail: moka.PaymentDetail{
				Amount:        moka.NewAmount(decimal.RequireFromString(tc.amount)),
				PaymentStatus: moka.Int(tc.status), TrxStatus: moka.TrxStatusSuccess,
			}}}
			f.rec.Moka = func(string) reconcile.Detailer { return fake }
			f.clock.Add(2 * time.Hour)
			rep, err := f.rec.RunOnce(ctx)
			require.NoError(t, err)
			assert.Equal(t, reconcile.Report{Flagged: 1}, rep)
			got, err := f.store.GetOrder(ctx, o.ID)
			require.NoError(t, err)
			assert.Equal(t, orders.StatusProcessing, got.Status, "the order cannot be paid twice")
			assert.Equal(t, orders.AttemptRedirected, got.Attempts[0].Status)
			require.True(t, got.FlaggedForReview())
			assert.Equal(t, tc.wantReason, got.Review.Reason)
			assert.Contains(t, got.Review.Detail, tc.wantDetail)

			rep, err = f.rec.RunOnce(ctx)
			require.NoError(t, err)
			assert.Equal(t, reconcile.Report{}, rep)
			assert.Equal(t, 1, fake.calls, "Moka is asked once")
		})
	}
}
