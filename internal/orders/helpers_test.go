package orders_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
)

// clock is a settable clock, safe for the concurrent tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const merchantID = "m1"

type fixture struct {
	store *orders.Store
	clock *clock
	db    storetest.DB
	path  string  // SQLite: the database file
	raw   *sql.DB // the database, with the store's ? placeholders on both engines
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(time.Now().Year(), 3, 1, 12, 0, 0, 0, time.UTC)}
	db := storetest.New(t)
	if !db.Postgres {
		// A directory that does not exist yet: Open makes it.
		db.Path = filepath.Join(t.TempDir(), "db", "checkout.db")
	}
	s := db.Open(t, c.Now)
	require.NoError(t, s.EnsureMerchant(ctx, orders.Merchant{ID: merchantID, Name: "Shop"}))
	return &fixture{store: s, clock: c, db: db, path: db.Path, raw: db.Raw(t)}
}

// sqliteOnly skips a test of the SQLite engine itself (its files, pragmas, committer)
// in a run on PostgreSQL.
func sqliteOnly(t testing.TB) {
	t.Helper()
	if storetest.Postgres() {
		t.Skip("a test of the SQLite engine")
	}
}

func (f *fixture) newOrder(t *testing.T, reference string, mutate ...func(*orders.Order)) *orders.Order {
	t.Helper()
	o := &orders.Order{
		MerchantID:   merchantID,
		Reference:    reference,
		Amount:       decimal.RequireFromString("150.00"),
		Currency:     "TRY",
		Installments: []int{1, 3},
		Capture:      orders.CaptureAuto,
		ExpiresAt:    f.clock.Now().Add(30 * time.Minute),
	}
	for _, m := range mutate {
		m(o)
	}
	require.NoError(t, f.store.CreateOrder(context.Background(), o))
	return o
}

// redirectedAttempt starts an attempt on the order and marks it redirected.
func (f *fixture) redirectedAttempt(t *testing.T, orderID string) *orders.Attempt {
	t.Helper()
	ctx := context.Background()
	a := &orders.Attempt{Installments: 1, CardHolder: "Ali Veli", CardFirst6: "526911", CardLast4: "4444", CardBrand: "mastercard"}
	_, err := f.store.StartAttempt(ctx, orderID, a)
	require.NoError(t, err)
	require.NoError(t, f.store.MarkRedirected(ctx, a.ID, "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC", "https://bank.example/3d/"+a.ID))
	return a
}

// eventTypes lists the order's events oldest first, straight from the outbox table.
func (f *fixture) eventTypes(t *testing.T, orderID string) []string {
	t.Helper()
	rows, err := f.raw.Query("SELECT type FROM events WHERE order_id = ? ORDER BY created_at, rowid", orderID)
	require.NoError(t, err)
	defer rows.Close()
	var types []string
	for rows.Next() {
		var typ string
		require.NoError(t, rows.Scan(&typ))
		types = append(types, typ)
	}
	require.NoError(t, rows.Err())
	return types
}
