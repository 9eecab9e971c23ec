package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// declineRows is how many decline rows the database holds.
func (f *fixture) declineRows(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, f.raw.QueryRow("SELECT COUNT(*) FROM velocity_declines").Scan(&n))
	return n
}

// The counts of several keys in one query: each key's declines since the time asked
// about, up to its limit, and the limit-th newest once the limit is reached; another
// merchant's declines and those before the window are not counted.
func TestCountDeclines(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t0 := f.clock.Now()
	require.NoError(t, f.store.AddDeclines(ctx, merchantID, []string{"a", "merchant"}, t0))
	require.NoError(t, f.store.AddDeclines(ctx, merchantID, []string{"a", "merchant"}, t0.Add(5*time.Minute)))
	require.NoError(t, f.store.AddDeclines(ctx, merchantID, []string{"a", "b", "merchant"}, t0.Add(10*time.Minute)))
	require.NoError(t, f.store.AddDeclines(ctx, "m2", []string{"a", "b", "c"}, t0.Add(10*time.Minute)))
	require.NoError(t, f.store.AddDeclines(ctx, merchantID, nil, t0), "nothing to count")

	now := t0.Add(30 * time.Minute)
	got, err := f.store.CountDeclines(ctx, merchantID, []orders.DeclineLimit{
		{Key: "a", Limit: 3}, {Key: "b", Limit: 2}, {Key: "c", Limit: 1}, {Key: "merchant", Limit: 2},
	}, now.Add(-orders.DeclineWindow))
	require.NoError(t, err)
	assert.Equal(t, map[string]orders.VelocityCount{
		"a":        {Declines: 3, LimitTh: t0},
		"b":        {Declines: 1},
		"c":        {},
		"merchant": {Declines: 2, LimitTh: t0.Add(5 * time.Minute)}, // counted up to its limit
	}, got)
	assert.True(t, got["a"].Blocked())
	assert.False(t, got["b"].Blocked())

	// An hour after the first decline it has left the window: one more is allowed.
	got, err = f.store.CountDeclines(ctx, merchantID, []orders.DeclineLimit{{Key: "a", Limit: 3}},
		t0.Add(orders.DeclineWindow).Add(-orders.DeclineWindow))
	require.NoError(t, err)
	assert.Equal(t, orders.VelocityCount{Declines: 2}, got["a"])

	got, err = f.store.CountDeclines(ctx, "m2", []orders.DeclineLimit{{Key: "c", Limit: 1}}, now.Add(-orders.DeclineWindow))
	require.NoError(t, err)
	assert.Equal(t, orders.VelocityCount{Declines: 1, LimitTh: t0.Add(10 * time.Minute)}, got["c"])

	_, err = f.store.CountDeclines(ctx, merchantID, []orders.DeclineLimit{{Key: "a", Limit: 0}}, now)
	assert.Error(t, err, "a limit that is off is not asked about")
}

// Reconciliation's purge deletes the declines that have left the window, and keeps the
// others.
func TestPurgeDeclines(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t0 := f.clock.Now()
	require.NoError(t, f.store.AddDeclines(ctx, merchantID, []string{"a", "merchant"}, t0))
	require.NoError(t, f.store.AddDeclines(ctx, merchantID, []string{"a", "merchant"}, t0.Add(30*time.Minute)))

	f.clock.Advance(orders.DeclineWindow - time.Second)
	_, err := f.store.PurgeIdempotency(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, f.declineRows(t), "all still in the window")

	f.clock.Advance(time.Second)
	_, err = f.store.PurgeIdempotency(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, f.declineRows(t), "the first decline has left the window")

	f.clock.Advance(30 * time.Minute)
	_, err = f.store.PurgeIdempotency(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, f.declineRows(t))
}

// An attempt keeps its decline keys until it ends; a decline is counted against them in
// the transaction that ends it, only when the caller says the failure is a decline.
func TestAttemptDeclineKeys(t *testing.T) {
	keys := []string{"card_ip:abc:203.0.113.1", "card:abc", "ip:203.0.113.1", "merchant"}
	cases := []struct {
		name    string
		atBank  bool // the attempt is started and redirected before end; else end starts it
		end     func(t *testing.T, f *fixture, o *orders.Order, a *orders.Attempt)
		counted bool
	}{
		{"failed return counted", true, func(t *testing.T, f *fixture, _ *orders.Order, a *orders.Attempt) {
			_, err := f.store.RecordOutcome(context.Background(), a.ID, orders.Outcome{ResultCode: "3D", CountDecline: true})
			require.NoError(t, err)
		}, true},
		{"failure found by reconciliation not counted", true, func(t *testing.T, f *fixture, _ *orders.Order, a *orders.Attempt) {
			_, err := f.store.RecordOutcome(context.Background(), a.ID, orders.Outcome{ResultCode: "3D"})
			require.NoError(t, err)
		}, false},
		{"success not counted", true, func(t *testing.T, f *fixture, _ *orders.Order, a *orders.Attempt) {
			_, err := f.store.RecordOutcome(context.Background(), a.ID, orders.Outcome{Success: true, TrxCode: "T", CountDecline: true})
			require.NoError(t, err)
		}, false},
		{"declined at the 3-D start counted", false, func(t *testing.T, f *fixture, o *orders.Order, _ *orders.Attempt) {
			a := &orders.Attempt{Installments: 1, CardHolder: "Ali", CardFirst6: "526911", CardLast4: "4444", DeclineKeys: keys}
			_, err := f.store.StartAttempt(context.Background(), o.ID, a)
			require.NoError(t, err)
			_, err = f.store.FailAttempt(context.Background(), a.ID, orders.Failure{ResultCode: "InvalidCardInfo", Declined: true})
			require.NoError(t, err)
		}, true},
		{"Moka unreachable not counted", false, func(t *testing.T, f *fixture, o *orders.Order, _ *orders.Attempt) {
			a := &orders.Attempt{Installments: 1, CardHolder: "Ali", CardFirst6: "526911", CardLast4: "4444", DeclineKeys: keys}
			_, err := f.store.StartAttempt(context.Background(), o.ID, a)
			require.NoError(t, err)
			_, err = f.store.FailAttempt(context.Background(), a.ID, orders.Failure{ResultCode: "timeout", NotCounted: true})
			require.NoError(t, err)
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			o := f.newOrder(t, "V-1")
			if !tc.atBank {
				tc.end(t, f, o, nil)
			} else {
				a := &orders.Attempt{Installments: 1, CardHolder: "Ali", CardFirst6: "526911", CardLast4: "4444", DeclineKeys: keys}
				_, err := f.store.StartAttempt(ctx, o.ID, a)
				require.NoError(t, err)
				stored, err := f.store.GetAttempt(ctx, a.ID)
				require.NoError(t, err)
				assert.Equal(t, keys, stored.DeclineKeys, "kept for the bank's return")
				require.NoError(t, f.store.MarkRedirected(ctx, a.ID, "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC", "https://bank.example/3d/"+a.ID))
				tc.end(t, f, o, a)
			}

			got, err := f.store.GetOrder(ctx, o.ID)
			require.NoError(t, err)
			require.Len(t, got.Attempts, 1)
			assert.Empty(t, got.Attempts[0].DeclineKeys, "cleared when the attempt ended")
			counts, err := f.store.CountDeclines(ctx, merchantID, []orders.DeclineLimit{{Key: "card:abc", Limit: 1}, {Key: "merchant", Limit: 1}},
				f.clock.Now().Add(-orders.DeclineWindow))
			require.NoError(t, err)
			want := 0
			if tc.counted {
				want = 1
			}
			assert.Equal(t, want, counts["card:abc"].Declines)
			assert.Equal(t, want, counts["merchant"].Declines)
			assert.Equal(t, want*len(keys), f.declineRows(t))
		})
	}
}
