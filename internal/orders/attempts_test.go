package orders_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

func TestStartAttempt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	a := &orders.Attempt{Installments: 3, CardHolder: "Ali", CardFirst6: "526911", CardLast4: "4444", CardBrand: "mastercard", Embedded: true}
	got, err := f.store.StartAttempt(ctx, o.ID, a)
	require.NoError(t, err)
	assert.Regexp(t, `^att_[a-z2-7]{35}$`, a.ID)
	assert.Regexp(t, `^[0-9A-F]{32}$`, a.OtherTrxCode)
	assert.Equal(t, orders.AttemptCreated, a.Status)
	assert.Equal(t, orders.StatusProcessing, got.Status)
	require.Len(t, got.Attempts, 1)

	stored, err := f.store.GetAttempt(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, *a, *stored)
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderProcessing}, f.eventTypes(t, o.ID))

	// One attempt in flight per order.
	_, err = f.store.StartAttempt(ctx, o.ID, &orders.Attempt{})
	assert.Equal(t, orders.CodeAttemptInFlight, orders.ErrorCode(err))
}

func TestStartAttemptRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		prepare    func(t *testing.T, f *fixture, o *orders.Order)
		wantCode   string
		wantStatus orders.Status
		wantEvents []string
	}{
		{
			name: "paid",
			prepare: func(t *testing.T, f *fixture, o *orders.Order) {
				a := f.redirectedAttempt(t, o.ID)
				_, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true})
				require.NoError(t, err)
			},
			wantCode: orders.CodeOrderNotPayable, wantStatus: orders.StatusPaid,
			wantEvents: []string{orders.EventOrderCreated, orders.EventOrderProcessing, orders.EventOrderPaid},
		},
		{
			name: "canceled",
			prepare: func(t *testing.T, f *fixture, o *orders.Order) {
				_, err := f.store.CancelOrder(ctx, o.ID, "buyer left")
				require.NoError(t, err)
			},
			wantCode: orders.CodeOrderNotPayable, wantStatus: orders.StatusCanceled,
			wantEvents: []string{orders.EventOrderCreated, orders.EventOrderCanceled},
		},
		{
			name:     "expired by the clock",
			prepare:  func(t *testing.T, f *fixture, o *orders.Order) { f.clock.Advance(30 * time.Minute) },
			wantCode: orders.CodeOrderExpired, wantStatus: orders.StatusExpired,
			wantEvents: []string{orders.EventOrderCreated, orders.EventOrderExpired},
		},
		{
			name: "attempts exhausted",
			prepare: func(t *testing.T, f *fixture, o *orders.Order) {
				// Start an attempt, then lower the limit under it, as a config change would.
				a := f.redirectedAttempt(t, o.ID)
				_, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: false, ResultCode: "x"})
				require.NoError(t, err)
				_, err = f.raw.Exec("UPDATE orders SET max_attempts = 1 WHERE id = ?", o.ID)
				require.NoError(t, err)
			},
			wantCode: orders.CodeAttemptsExhausted, wantStatus: orders.StatusOpen,
			wantEvents: []string{orders.EventOrderCreated, orders.EventOrderProcessing, orders.EventOrderPaymentFailed},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			o := f.newOrder(t, "r")
			tt.prepare(t, f, o)
			before, err := f.store.GetOrder(ctx, o.ID)
			require.NoError(t, err)

			_, err = f.store.StartAttempt(ctx, o.ID, &orders.Attempt{})
			require.Error(t, err)
			assert.Equal(t, tt.wantCode, orders.ErrorCode(err))

			after, err := f.store.GetOrder(ctx, o.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, after.Status)
			assert.Len(t, after.Attempts, len(before.Attempts), "no attempt written")
			assert.Equal(t, tt.wantEvents, f.eventTypes(t, o.ID))
		})
	}
}

func TestMarkRedirected(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	a := &orders.Attempt{}
	_, err := f.store.StartAttempt(ctx, o.ID, a)
	require.NoError(t, err)

	require.Error(t, f.store.MarkRedirected(ctx, a.ID, "", "https://bank.example/3d"))
	require.NoError(t, f.store.MarkRedirected(ctx, a.ID, "CODE", "https://bank.example/3d/1"))
	got, err := f.store.GetAttempt(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.AttemptRedirected, got.Status)
	assert.Equal(t, "CODE", got.CodeForHash)
	assert.Equal(t, "https://bank.example/3d/1", got.BankURL)

	err = f.store.MarkRedirected(ctx, a.ID, "OTHER", "https://bank.example/3d/2")
	assert.Equal(t, orders.CodeInvalidTransition, orders.ErrorCode(err))
	assert.ErrorIs(t, f.store.MarkRedirected(ctx, "att_missing", "X", ""), orders.ErrNotFound)
}

func TestFailAttempt(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		maxAttempts int
		advance     time.Duration
		wantStatus  orders.Status
		wantReason  string
		wantEvents  []string
	}{
		{name: "retry allowed", maxAttempts: 3, wantStatus: orders.StatusOpen,
			wantEvents: []string{orders.EventOrderPaymentFailed}},
		{name: "time ran out", maxAttempts: 3, advance: time.Hour, wantStatus: orders.StatusExpired,
			wantEvents: []string{orders.EventOrderPaymentFailed, orders.EventOrderExpired}},
		{name: "last attempt", maxAttempts: 1, wantStatus: orders.StatusCanceled, wantReason: orders.CancelReasonAttemptsExhausted,
			wantEvents: []string{orders.EventOrderPaymentFailed, orders.EventOrderCanceled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			o := f.newOrder(t, "r", func(o *orders.Order) { o.MaxAttempts = tt.maxAttempts })
			a := &orders.Attempt{}
			_, err := f.store.StartAttempt(ctx, o.ID, a)
			require.NoError(t, err)
			f.clock.Advance(tt.advance)

			got, err := f.store.FailAttempt(ctx, a.ID, orders.Failure{ResultCode: "PaymentDealer.CheckCardInfo.InvalidCardInfo", ResultMessage: "bad card"})
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, got.Status)
			assert.Equal(t, tt.wantReason, got.CancelReason)
			require.Len(t, got.Attempts, 1)
			assert.Equal(t, orders.AttemptFailed, got.Attempts[0].Status)
			assert.Equal(t, "PaymentDealer.CheckCardInfo.InvalidCardInfo", got.Attempts[0].ResultCode)
			assert.NotNil(t, got.Attempts[0].CompletedAt)
			want := append([]string{orders.EventOrderCreated, orders.EventOrderProcessing}, tt.wantEvents...)
			assert.Equal(t, want, f.eventTypes(t, o.ID))

			// Failing again changes nothing.
			again, err := f.store.FailAttempt(ctx, a.ID, orders.Failure{ResultCode: "other", ResultMessage: "other"})
			require.NoError(t, err)
			assert.Equal(t, got.Status, again.Status)
			assert.Equal(t, "PaymentDealer.CheckCardInfo.InvalidCardInfo", again.Attempts[0].ResultCode)
			assert.Equal(t, want, f.eventTypes(t, o.ID))
		})
	}
}

// An attempt at the bank may still be charged, so FailAttempt must not end it: the verified
// success that follows has to make the order paid, not find it reopened.
func TestFailAttemptRefusesAttemptAtTheBank(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	a := f.redirectedAttempt(t, o.ID)

	_, err := f.store.FailAttempt(ctx, a.ID, orders.Failure{ResultCode: "checkout.timeout", ResultMessage: "no answer"})
	assert.Equal(t, orders.CodeInvalidTransition, orders.ErrorCode(err))
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusProcessing, got.Status)
	assert.Equal(t, orders.AttemptRedirected, got.Attempts[0].Status)

	res, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T1"})
	require.NoError(t, err)
	assert.True(t, res.Recorded)
	assert.Equal(t, orders.StatusPaid, res.Order.Status)
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderProcessing, orders.EventOrderPaid}, f.eventTypes(t, o.ID))
}

func TestRecordOutcome(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		capture     string
		maxAttempts int
		outcome     orders.Outcome
		wantStatus  orders.Status
		wantAttempt orders.AttemptStatus
		wantEvents  []string
	}{
		{name: "success auto capture", capture: orders.CaptureAuto, outcome: orders.Outcome{Success: true, TrxCode: "ORDER-1"},
			wantStatus: orders.StatusPaid, wantAttempt: orders.AttemptSucceeded, wantEvents: []string{orders.EventOrderPaid}},
		{name: "success manual capture", capture: orders.CaptureManual, outcome: orders.Outcome{Success: true, TrxCode: "ORDER-1"},
			wantStatus: orders.StatusAuthorized, wantAttempt: orders.AttemptSucceeded, wantEvents: []string{orders.EventOrderAuthorized}},
		{name: "failure with retries left", capture: orders.CaptureAuto, outcome: orders.Outcome{ResultCode: "3DFailed", ResultMessage: "otp"},
			wantStatus: orders.StatusOpen, wantAttempt: orders.AttemptFailed, wantEvents: []string{orders.EventOrderPaymentFailed}},
		{name: "failure of last attempt", capture: orders.CaptureAuto, maxAttempts: 1, outcome: orders.Outcome{ResultCode: "3DFailed"},
			wantStatus: orders.StatusCanceled, wantAttempt: orders.AttemptFailed,
			wantEvents: []string{orders.EventOrderPaymentFailed, orders.EventOrderCanceled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			o := f.newOrder(t, "r", func(o *orders.Order) { o.Capture = tt.capture; o.MaxAttempts = tt.maxAttempts })
			a := f.redirectedAttempt(t, o.ID)

			res, err := f.store.RecordOutcome(ctx, a.ID, tt.outcome)
			require.NoError(t, err)
			assert.True(t, res.Recorded)
			assert.Equal(t, tt.wantStatus, res.Order.Status)
			assert.Equal(t, tt.wantAttempt, res.Attempt.Status)
			assert.Equal(t, tt.outcome.TrxCode, res.Attempt.TrxCode)
			assert.Equal(t, tt.wantStatus == orders.StatusPaid, res.Order.PaidAt != nil)
			want := append([]string{orders.EventOrderCreated, orders.EventOrderProcessing}, tt.wantEvents...)
			assert.Equal(t, want, f.eventTypes(t, o.ID))

			// A replay of the same or the opposite outcome changes nothing.
			for _, replay := range []orders.Outcome{tt.outcome, {Success: !tt.outcome.Success, TrxCode: "EVIL"}} {
				again, err := f.store.RecordOutcome(ctx, a.ID, replay)
				require.NoError(t, err)
				assert.False(t, again.Recorded)
				assert.Equal(t, tt.wantStatus, again.Order.Status)
				assert.Equal(t, tt.wantAttempt, again.Attempt.Status)
				assert.Equal(t, tt.outcome.TrxCode, again.Attempt.TrxCode)
			}
			assert.Equal(t, want, f.eventTypes(t, o.ID))
		})
	}
}

func TestRecordOutcomeNeedsRedirect(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	a := &orders.Attempt{}
	_, err := f.store.StartAttempt(ctx, o.ID, a)
	require.NoError(t, err)
	_, err = f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true})
	assert.Equal(t, orders.CodeInvalidTransition, orders.ErrorCode(err))
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusProcessing, got.Status)
	_, err = f.store.RecordOutcome(ctx, "att_missing", orders.Outcome{Success: true})
	assert.ErrorIs(t, err, orders.ErrNotFound)
}

func TestRecordOutcomeSuccessOnOrderNoLongerProcessing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	a := f.redirectedAttempt(t, o.ID)
	// The order left processing without this attempt's return (e.g. an operator fix).
	_, err := f.raw.Exec("UPDATE orders SET status = 'canceled' WHERE id = ?", o.ID)
	require.NoError(t, err)

	res, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T1"})
	require.NoError(t, err)
	assert.True(t, res.Recorded)
	assert.Equal(t, orders.AttemptSucceeded, res.Attempt.Status)
	assert.Equal(t, orders.StatusCanceled, res.Order.Status, "a conflicting charge never looks like a normal payment")
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderProcessing, orders.EventOrderPaymentConflict,
		orders.EventOrderNeedsReview}, f.eventTypes(t, o.ID), "the conflict flags the order for review")
}

func TestRecordOutcomeRaceRecordsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	a := f.redirectedAttempt(t, o.ID)

	results, errs := raceOutcomes(f, a.ID, func(int) orders.Outcome { return orders.Outcome{Success: true, TrxCode: "T1"} })

	recorded := 0
	for i := range results {
		require.NoError(t, errs[i])
		if results[i].Recorded {
			recorded++
		}
		assert.Equal(t, orders.StatusPaid, results[i].Order.Status, "every caller sees the paid order")
	}
	assert.Equal(t, 1, recorded)
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusPaid, got.Status)
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderProcessing, orders.EventOrderPaid}, f.eventTypes(t, o.ID))
}

// Success and failure returns racing for one attempt: whichever is recorded first is the
// only outcome, the order ends in the matching status, and exactly one event follows.
func TestRecordOutcomeRaceMixedOutcomesRecordsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	a := f.redirectedAttempt(t, o.ID)

	results, errs := raceOutcomes(f, a.ID, func(i int) orders.Outcome {
		return orders.Outcome{Success: i%2 == 0, TrxCode: "T1", ResultCode: "3DFailed"}
	})

	var winner *orders.RecordResult
	for i := range results {
		require.NoError(t, errs[i])
		if results[i].Recorded {
			require.Nil(t, winner, "two callers recorded an outcome")
			winner = &results[i]
		}
	}
	require.NotNil(t, winner)
	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	want, event := orders.StatusOpen, orders.EventOrderPaymentFailed
	if winner.Attempt.Status == orders.AttemptSucceeded {
		want, event = orders.StatusPaid, orders.EventOrderPaid
	}
	assert.Equal(t, want, got.Status)
	assert.Equal(t, winner.Attempt.Status, got.Attempts[0].Status)
	assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderProcessing, event}, f.eventTypes(t, o.ID))
}

// A failure that was not the buyer's (Moka unreachable) does not use up an attempt.
func TestFailAttemptNotCounted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r", func(o *orders.Order) { o.MaxAttempts = 1 })
	for range 3 {
		a := &orders.Attempt{}
		_, err := f.store.StartAttempt(ctx, o.ID, a)
		require.NoError(t, err)
		got, err := f.store.FailAttempt(ctx, a.ID, orders.Failure{ResultCode: "checkout.moka_unavailable", NotCounted: true})
		require.NoError(t, err)
		assert.Equal(t, orders.StatusOpen, got.Status, "Moka's outage leaves the buyer's attempt")
		assert.Equal(t, 0, got.CountedAttempts())
	}
	a := &orders.Attempt{}
	_, err := f.store.StartAttempt(ctx, o.ID, a)
	require.NoError(t, err)
	got, err := f.store.FailAttempt(ctx, a.ID, orders.Failure{ResultCode: "PaymentDealer.CheckCardInfo.InvalidCardInfo"})
	require.NoError(t, err)
	assert.Equal(t, orders.StatusCanceled, got.Status, "a declined card counts")
	assert.Equal(t, orders.CancelReasonAttemptsExhausted, got.CancelReason)
	require.Len(t, got.Attempts, 4)
	assert.True(t, got.Attempts[0].NotCounted)
	assert.False(t, got.Attempts[3].NotCounted)
}

func TestAbandonAttempt(t *testing.T) {
	ctx := context.Background()
	abandon := orders.Failure{ResultCode: "checkout.abandoned", ResultMessage: "the buyer never came back from the bank"}

	t.Run("frees the order; a failure return changes nothing after", func(t *testing.T) {
		f := newFixture(t)
		o := f.newOrder(t, "r")
		a := f.redirectedAttempt(t, o.ID)
		got, _, err := f.store.AbandonAttempt(ctx, a.ID, abandon)
		require.NoError(t, err)
		assert.Equal(t, orders.StatusOpen, got.Status)
		assert.Equal(t, orders.AttemptAbandoned, got.Attempts[0].Status)
		assert.Equal(t, "checkout.abandoned", got.Attempts[0].ResultCode)

		res, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{ResultCode: "3DFailed"})
		require.NoError(t, err)
		assert.False(t, res.Recorded)
		assert.Equal(t, orders.AttemptAbandoned, res.Attempt.Status)
		assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderProcessing, orders.EventOrderPaymentFailed},
			f.eventTypes(t, o.ID))
	})

	t.Run("a late verified success still pays the open order", func(t *testing.T) {
		f := newFixture(t)
		o := f.newOrder(t, "r")
		a := f.redirectedAttempt(t, o.ID)
		_, _, err := f.store.AbandonAttempt(ctx, a.ID, abandon)
		require.NoError(t, err)

		res, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T1"})
		require.NoError(t, err)
		assert.True(t, res.Recorded)
		assert.Equal(t, orders.AttemptSucceeded, res.Attempt.Status)
		assert.Equal(t, orders.StatusPaid, res.Order.Status)
		assert.Equal(t, []string{orders.EventOrderCreated, orders.EventOrderProcessing, orders.EventOrderPaymentFailed,
			orders.EventOrderProcessing, orders.EventOrderPaid}, f.eventTypes(t, o.ID))

		again, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T1"})
		require.NoError(t, err)
		assert.False(t, again.Recorded, "recorded once")
	})

	t.Run("a late success while another attempt is at the bank is a conflict", func(t *testing.T) {
		f := newFixture(t)
		o := f.newOrder(t, "r")
		a := f.redirectedAttempt(t, o.ID)
		_, _, err := f.store.AbandonAttempt(ctx, a.ID, abandon)
		require.NoError(t, err)
		b := f.redirectedAttempt(t, o.ID)

		res, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T1"})
		require.NoError(t, err)
		assert.True(t, res.Recorded)
		assert.Equal(t, orders.StatusProcessing, res.Order.Status, "the order still waits for the attempt at the bank")
		assert.Equal(t, b.ID, res.Order.InFlight().ID)
		events := f.eventTypes(t, o.ID)
		assert.Equal(t, []string{orders.EventOrderPaymentConflict, orders.EventOrderNeedsReview}, events[len(events)-2:])
	})

	t.Run("may end an attempt that never reached the bank", func(t *testing.T) {
		f := newFixture(t)
		o := f.newOrder(t, "r")
		a := &orders.Attempt{}
		_, err := f.store.StartAttempt(ctx, o.ID, a)
		require.NoError(t, err)
		got, _, err := f.store.AbandonAttempt(ctx, a.ID, abandon)
		require.NoError(t, err)
		assert.Equal(t, orders.StatusOpen, got.Status)
		// It had no CodeForHash, so no return can ever be verified for it.
		_, err = f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true})
		require.NoError(t, err)
		still, err := f.store.GetAttempt(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, orders.AttemptAbandoned, still.Status)
	})
}

func TestStaleAttempts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old := f.redirectedAttempt(t, f.newOrder(t, "a").ID)
	created := &orders.Attempt{}
	_, err := f.store.StartAttempt(ctx, f.newOrder(t, "b").ID, created)
	require.NoError(t, err)
	done := f.redirectedAttempt(t, f.newOrder(t, "c").ID)
	_, err = f.store.RecordOutcome(ctx, done.ID, orders.Outcome{Success: true})
	require.NoError(t, err)
	f.clock.Advance(20 * time.Minute)
	fresh := f.redirectedAttempt(t, f.newOrder(t, "d").ID)

	stale, err := f.store.StaleAttempts(ctx, f.clock.Now().Add(-10*time.Minute))
	require.NoError(t, err)
	var ids []string
	for _, a := range stale {
		ids = append(ids, a.ID)
	}
	assert.ElementsMatch(t, []string{old.ID, created.ID}, ids)
	assert.NotContains(t, ids, fresh.ID)
}

// raceOutcomes records 20 outcomes for one attempt from 20 goroutines released at once.
func raceOutcomes(f *fixture, attemptID string, outcome func(i int) orders.Outcome) ([]orders.RecordResult, []error) {
	const n = 20
	results := make([]orders.RecordResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = f.store.RecordOutcome(context.Background(), attemptID, outcome(i))
		}()
	}
	close(start)
	wg.Wait()
	return results, errs
}

func TestOtherTrxCodesNeverLookLikeCardNumbers(t *testing.T) {
	assert.True(t, orders.HasDigitRun("AB123456789012CD", 12))
	assert.False(t, orders.HasDigitRun("AB12345678901CD2", 12))
	for range 20000 {
		c := orders.NewOtherTrxCode()
		require.Regexp(t, `^[0-9A-F]{32}$`, c)
		require.False(t, orders.HasDigitRun(c, 12), c)
	}
}

// Once an attempt has taken the money, the order is never reopened for another payment,
// even when its success was recorded as a conflict while a second attempt was at the bank.
func TestOrderWithASuccessfulAttemptIsNeverReopened(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.newOrder(t, "r")
	a := f.redirectedAttempt(t, o.ID)
	_, ended, err := f.store.AbandonAttempt(ctx, a.ID, orders.Failure{ResultCode: "checkout.abandoned"})
	require.NoError(t, err)
	require.True(t, ended)
	b := f.redirectedAttempt(t, o.ID)

	late, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true})
	require.NoError(t, err)
	assert.True(t, late.Recorded)
	assert.True(t, late.Conflict, "a success while another attempt is at the bank needs a person")
	assert.Equal(t, orders.StatusProcessing, late.Order.Status)

	failed, err := f.store.RecordOutcome(ctx, b.ID, orders.Outcome{ResultCode: "3DFailed"})
	require.NoError(t, err)
	assert.True(t, failed.Recorded)
	assert.False(t, failed.Conflict)
	assert.Equal(t, orders.StatusPaid, failed.Order.Status, "attempt A's money makes the order paid")
	_, err = f.store.StartAttempt(ctx, o.ID, &orders.Attempt{})
	assert.Equal(t, orders.CodeOrderNotPayable, orders.ErrorCode(err))

	_, ended, err = f.store.AbandonAttempt(ctx, a.ID, orders.Failure{ResultCode: "checkout.abandoned"})
	require.NoError(t, err)
	assert.False(t, ended, "an ended attempt is not abandoned again")
}

func TestAbandonedAttemptsByCodeAndAge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old := f.redirectedAttempt(t, f.newOrder(t, "a").ID)
	_, _, err := f.store.AbandonAttempt(ctx, old.ID, orders.Failure{ResultCode: "checkout.pending"})
	require.NoError(t, err)
	f.clock.Advance(2 * time.Hour)
	pending := f.redirectedAttempt(t, f.newOrder(t, "b").ID)
	_, _, err = f.store.AbandonAttempt(ctx, pending.ID, orders.Failure{ResultCode: "checkout.pending"})
	require.NoError(t, err)
	other := f.redirectedAttempt(t, f.newOrder(t, "c").ID)
	_, _, err = f.store.AbandonAttempt(ctx, other.ID, orders.Failure{ResultCode: "checkout.abandoned"})
	require.NoError(t, err)

	got, err := f.store.AbandonedAttempts(ctx, "checkout.pending", f.clock.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, pending.ID, got[0].ID)
}
