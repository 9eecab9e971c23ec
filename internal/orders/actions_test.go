package orders_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
)

// tickingClock moves on by a millisecond at every reading, like a real clock does between
// two statements.
type tickingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// authorizedOrder is a manual-capture order whose pre-authorisation went through.
func authorizedOrder(t *testing.T, s *orders.Store, now time.Time) *orders.Order {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.EnsureMerchant(ctx, orders.Merchant{ID: merchantID, Name: "Shop"}))
	o := &orders.Order{MerchantID: merchantID, Reference: "A-1", Amount: decimal.RequireFromString("150.00"),
		Currency: "TRY", Installments: []int{1}, Capture: orders.CaptureManual, ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, s.CreateOrder(ctx, o))
	a := &orders.Attempt{Installments: 1, CardFirst6: "526911", CardLast4: "4444", CardBrand: "mastercard"}
	_, err := s.StartAttempt(ctx, o.ID, a)
	require.NoError(t, err)
	require.NoError(t, s.MarkRedirected(ctx, a.ID, "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC", "https://bank.example/3d"))
	rr, err := s.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "Test-1"})
	require.NoError(t, err)
	require.Equal(t, orders.StatusAuthorized, rr.Order.Status)
	return rr.Order
}

// TestActionOneTimePerTransaction: the action's end, the order's change and the event of
// one transaction carry one instant, though the clock moves on at every reading.
func TestActionOneTimePerTransaction(t *testing.T) {
	clk := &tickingClock{t: time.Now().UTC()}
	s := storetest.New(t).Open(t, clk.Now)
	o := authorizedOrder(t, s, clk.Now())
	ctx := context.Background()

	_, a, err := s.BeginAction(ctx, merchantID, o.ID, orders.ActionRequest{Kind: orders.ActionCapture}, nil)
	require.NoError(t, err)
	got, done, err := s.FinishAction(ctx, a.ID, orders.ActionResult{Status: orders.ActionSucceeded}, nil)
	require.NoError(t, err)
	require.Equal(t, orders.StatusPaid, got.Status)
	require.NotNil(t, done.CompletedAt)
	assert.Equal(t, *done.CompletedAt, got.UpdatedAt)
	assert.Equal(t, *done.CompletedAt, *got.PaidAt)
	evs, err := s.ListEvents(ctx, merchantID, 1)
	require.NoError(t, err)
	assert.Equal(t, orders.EventOrderCaptured, evs[0].Type)
	assert.Equal(t, *done.CompletedAt, evs[0].CreatedAt)

	stored, err := s.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, got.UpdatedAt, stored.UpdatedAt, "what the write returned is what it stored")
}

// TestBeginActionClaimsTheKeyInItsTransaction: the key is in progress exactly when the
// action is pending, and a second request with it is refused without a second action.
func TestBeginActionClaimsTheKeyInItsTransaction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := authorizedOrderOn(t, f)
	answered := 0
	idem := &orders.Idem{MerchantID: merchantID, Key: "k", RequestHash: "h",
		Answer: func(o *orders.Order, a *orders.Action, err error) (int, []byte) {
			answered++
			return 200, []byte(`{"done":true}`)
		}}
	_, a, err := f.store.BeginAction(ctx, merchantID, o.ID, orders.ActionRequest{Kind: orders.ActionCapture}, idem)
	require.NoError(t, err)
	rec, err := f.store.LookupIdempotency(ctx, merchantID, "k")
	require.NoError(t, err)
	assert.True(t, rec.InProgress())
	assert.Equal(t, a.ID, rec.ActionID)

	_, _, err = f.store.BeginAction(ctx, merchantID, o.ID, orders.ActionRequest{Kind: orders.ActionCapture}, idem)
	var used *orders.KeyUsedError
	require.True(t, errors.As(err, &used), "%v", err)
	assert.True(t, used.Record.InProgress())
	_, _, err = f.store.BeginAction(ctx, merchantID, o.ID, orders.ActionRequest{Kind: orders.ActionVoid}, nil)
	assert.Equal(t, orders.CodeActionInProgress, orders.ErrorCode(err))

	_, _, err = f.store.FinishAction(ctx, a.ID, orders.ActionResult{Status: orders.ActionSucceeded}, idem)
	require.NoError(t, err)
	assert.Equal(t, 1, answered)
	rec, err = f.store.LookupIdempotency(ctx, merchantID, "k")
	require.NoError(t, err)
	assert.False(t, rec.InProgress())
	assert.Equal(t, `{"done":true}`, string(rec.Body))

	// Keys older than a day are purged.
	f.clock.Advance(orders.IdempotencyTTL + time.Minute)
	n, err := f.store.PurgeIdempotency(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	_, err = f.store.LookupIdempotency(ctx, merchantID, "k")
	assert.ErrorIs(t, err, orders.ErrNotFound)
}

func authorizedOrderOn(t *testing.T, f *fixture) *orders.Order {
	t.Helper()
	o := f.newOrder(t, "A-2", func(o *orders.Order) { o.Capture = orders.CaptureManual })
	a := f.redirectedAttempt(t, o.ID)
	rr, err := f.store.RecordOutcome(context.Background(), a.ID, orders.Outcome{Success: true, TrxCode: "Test-2"})
	require.NoError(t, err)
	require.Equal(t, orders.StatusAuthorized, rr.Order.Status)
	return rr.Order
}
