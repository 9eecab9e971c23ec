package orders_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

func TestOpenRunsDurablePragmasAndMigratesOnce(t *testing.T) {
	sqliteOnly(t)
	f := newFixture(t)

	// synchronous is per connection: ask the store's own pools, the write connection and
	// several read connections.
	// The connections go back before the store writes: the committer needs its one.
	w, err := orders.WriteDB(f.store).Conn(context.Background())
	require.NoError(t, err)
	conns := []*sql.Conn{w}
	for range 3 {
		c, err := orders.ReadDB(f.store).Conn(context.Background())
		require.NoError(t, err)
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for _, c := range conns {
		var mode string
		var sync int
		require.NoError(t, c.QueryRowContext(context.Background(), "PRAGMA journal_mode").Scan(&mode))
		require.NoError(t, c.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&sync))
		assert.Equal(t, "wal", mode)
		assert.Equal(t, 2, sync)
		var fk int
		require.NoError(t, c.QueryRowContext(context.Background(), "PRAGMA foreign_keys").Scan(&fk))
		assert.Equal(t, 1, fk)
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}

	s2, err := orders.Open(context.Background(), f.path, f.clock.Now)
	require.NoError(t, err, "reopening must not re-run migrations")
	require.NoError(t, s2.Close())

	var versions int
	require.NoError(t, f.raw.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&versions))
	files, err := filepath.Glob("migrations/sqlite/*.sql")
	require.NoError(t, err)
	assert.Equal(t, len(files), versions, "each migration once")

	// Data survives the reopen.
	o := f.newOrder(t, "r-1")
	got, err := f.store.GetOrder(context.Background(), o.ID)
	require.NoError(t, err)
	assert.Equal(t, o.ID, got.ID)
}

func TestOpenRefusesMemoryDatabase(t *testing.T) {
	_, err := orders.Open(context.Background(), ":memory:", time.Now)
	require.Error(t, err)
	_, err = orders.Open(context.Background(), "file::memory:?cache=shared", time.Now)
	require.Error(t, err)
}

func TestCreateAndGetRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rate := decimal.RequireFromString("10.5")
	o := f.newOrder(t, "ref-42", func(o *orders.Order) {
		o.Description = "Two books"
		o.Capture = orders.CaptureManual
		o.Pool = true
		o.CommissionScenario = 2
		o.SubDealers = []orders.SubDealer{{DealerID: 166, Amount: decimal.RequireFromString("150.00"), DealerCommissionRate: &rate}}
		o.Buyer = orders.Buyer{Name: "Ayşe", Email: "a@example.com"}
		o.Basket = []orders.BasketItem{{ProductCode: "B1", Name: "Book", UnitPrice: decimal.RequireFromString("75.00"), Quantity: 2}}
		o.ReturnURL = "https://shop.example/done"
		o.Locale = "tr"
	})
	assert.Regexp(t, `^ord_[a-z2-7]{29}$`, o.ID)
	assert.Regexp(t, `^[0-9a-f]{32}$`, o.FormToken)
	assert.Equal(t, orders.StatusOpen, o.Status)
	assert.Equal(t, orders.DefaultMaxAttempts, o.MaxAttempts)
	assert.Equal(t, f.clock.Now(), o.CreatedAt)

	got, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, "150.00", got.Amount.StringFixed(2))
	assert.True(t, got.Amount.Equal(decimal.RequireFromString("150")))
	assert.Equal(t, o.Installments, got.Installments)
	assert.Equal(t, o.Buyer, got.Buyer)
	require.Len(t, got.SubDealers, 1)
	assert.True(t, got.SubDealers[0].DealerCommissionRate.Equal(rate))
	assert.True(t, got.Basket[0].UnitPrice.Equal(decimal.RequireFromString("75")))
	assert.Equal(t, orders.CaptureManual, got.Capture)
	assert.True(t, got.Pool)
	assert.True(t, o.ExpiresAt.Equal(got.ExpiresAt))
	assert.Empty(t, got.Attempts)

	byRef, err := f.store.GetOrderByReference(ctx, merchantID, "ref-42")
	require.NoError(t, err)
	assert.Equal(t, o.ID, byRef.ID)

	var typ, amount string
	typeOf := "typeof(amount)"
	if f.db.Postgres {
		typeOf = "pg_typeof(amount)::text"
	}
	require.NoError(t, f.raw.QueryRow("SELECT "+typeOf+", amount FROM orders WHERE id = ?", o.ID).Scan(&typ, &amount))
	assert.Equal(t, "text", typ)
	assert.Equal(t, "150.00", amount)

	assert.Equal(t, []string{orders.EventOrderCreated}, f.eventTypes(t, o.ID))
	events, err := f.store.ListEvents(ctx, merchantID, 10)
	require.NoError(t, err)
	require.Len(t, events, 1)
	var payload struct {
		Order map[string]any `json:"order"`
	}
	require.NoError(t, json.Unmarshal(events[0].Payload, &payload))
	assert.Equal(t, map[string]any{"id": o.ID, "reference": "ref-42", "status": "open", "amount": "150.00", "currency": "TRY"}, payload.Order)
}

func TestGetMissing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.store.GetOrder(ctx, "ord_nope")
	assert.ErrorIs(t, err, orders.ErrNotFound)
	_, err = f.store.GetOrderByReference(ctx, merchantID, "nope")
	assert.ErrorIs(t, err, orders.ErrNotFound)
	_, err = f.store.GetAttempt(ctx, "att_nope")
	assert.ErrorIs(t, err, orders.ErrNotFound)
}

func TestCreateOrderDuplicateReference(t *testing.T) {
	f := newFixture(t)
	first := f.newOrder(t, "dup")
	second := &orders.Order{MerchantID: merchantID, Reference: "dup", Amount: decimal.NewFromInt(9),
		Currency: "TRY", ExpiresAt: f.clock.Now().Add(time.Hour)}
	err := f.store.CreateOrder(context.Background(), second)
	require.Error(t, err)
	assert.Equal(t, orders.CodeDuplicateReference, orders.ErrorCode(err))
	var oe *orders.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "reference", oe.Field)
	assert.Empty(t, second.ID)

	var n int
	require.NoError(t, f.raw.QueryRow("SELECT count(*) FROM orders").Scan(&n))
	assert.Equal(t, 1, n)
	require.NoError(t, f.raw.QueryRow("SELECT count(*) FROM events").Scan(&n))
	assert.Equal(t, 1, n, "only the first order's event")
	assert.Equal(t, []string{orders.EventOrderCreated}, f.eventTypes(t, first.ID))
}

// The schema itself refuses a second order with the same reference and a second attempt
// with the same OtherTrxCode, whatever the code above it checks.
func TestSchemaUniqueConstraints(t *testing.T) {
	f := newFixture(t)
	o := f.newOrder(t, "dup")
	a := f.redirectedAttempt(t, o.ID)

	// A copy of the order's row under a new id: only the reference can collide.
	var err error
	if f.db.Postgres {
		_, err = f.raw.Exec(`CREATE TEMP TABLE copy AS SELECT * FROM orders WHERE id = ?`, o.ID)
		require.NoError(t, err)
		_, err = f.raw.Exec(`UPDATE copy SET id = 'ord_copy', rowid = rowid + 1000`)
		require.NoError(t, err)
		_, err = f.raw.Exec(`INSERT INTO orders OVERRIDING SYSTEM VALUE SELECT * FROM copy`)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `unique constraint "orders_reference"`)
	} else {
		_, err = f.raw.Exec(`CREATE TEMP TABLE copy AS SELECT * FROM orders WHERE id = ?;
			UPDATE copy SET id = 'ord_copy';
			INSERT INTO orders SELECT * FROM copy;`, o.ID)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "UNIQUE constraint failed: orders.merchant_id, orders.reference")
	}

	o2 := f.newOrder(t, "other")
	b := f.redirectedAttempt(t, o2.ID)
	_, err = f.raw.Exec(`UPDATE attempts SET other_trx_code = ? WHERE id = ?`, a.OtherTrxCode, b.ID)
	require.Error(t, err)
	if f.db.Postgres {
		assert.Contains(t, err.Error(), `unique constraint "attempts_other_trx_code_key"`)
	} else {
		assert.Contains(t, err.Error(), "UNIQUE constraint failed: attempts.other_trx_code")
	}
}

func TestCreateOrderUnknownMerchant(t *testing.T) {
	f := newFixture(t)
	err := f.store.CreateOrder(context.Background(), &orders.Order{MerchantID: "ghost", Reference: "x",
		Amount: decimal.NewFromInt(1), Currency: "TRY", ExpiresAt: f.clock.Now().Add(time.Hour)})
	assert.Equal(t, orders.CodeUnknownMerchant, orders.ErrorCode(err))
}

func TestOpenCreatesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "c.db")
	s, err := orders.Open(context.Background(), path, time.Now)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.FileExists(t, path)
}

// TestDatabaseFilesAreOwnerOnly: nobody but the checkout's user reads the database.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{f.path, f.path + "-wal", f.path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
	}
}

// TestMigrationsSameInBothDialects keeps the two engines' migrations numbered alike: a
// migration added for one engine only would leave the other's schema behind.
func TestMigrationsSameInBothDialects(t *testing.T) {
	names := func(dialect string) []string {
		files, err := filepath.Glob(filepath.Join("migrations", dialect, "*.sql"))
		require.NoError(t, err)
		out := make([]string, len(files))
		for i, f := range files {
			out[i] = filepath.Base(f)
		}
		return out
	}
	sqlite := names("sqlite")
	require.NotEmpty(t, sqlite)
	assert.Equal(t, sqlite, names("postgres"))
}
