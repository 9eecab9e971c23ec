// Package storetest gives tests a fresh database for the store on the engine the run
// asks for, so that the same tests prove the product on SQLite and on PostgreSQL.
//
//   - CHECKOUT_TEST_STORE=postgres opens every test's store on PostgreSQL (each test in
//     a schema of its own, dropped afterwards); unset or "sqlite", on a SQLite file in the
//     test's temp dir.
//   - CHECKOUT_TEST_POSTGRES is a DSN (URL form) of a PostgreSQL database where tests may
//     create schemas. The PostgreSQL runs need it; tests that are about PostgreSQL itself
//     (two instances on one database) run whenever it is set.
//
// Without CHECKOUT_TEST_POSTGRES, PostgreSQL tests are skipped, except when CI=true:
// then they fail, so that a CI machine without PostgreSQL cannot pass by skipping.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mokacheckout/checkout/internal/orders"
)

// The environment variables read.
const (
	EnvStore    = "CHECKOUT_TEST_STORE"
	EnvPostgres = "CHECKOUT_TEST_POSTGRES"
)

// testConns bounds each test store's PostgreSQL connections: many tests run at once
// against one server.
const testConns = 6

// DB is one test's database: a SQLite file or a PostgreSQL schema.
type DB struct {
	Postgres bool
	Path     string // SQLite: the file
	DSN      string // PostgreSQL: a DSN whose search_path is the test's schema
}

// Postgres reports whether this run puts the tests' stores on PostgreSQL.
func Postgres() bool { return os.Getenv(EnvStore) == "postgres" }

// New is a fresh, empty database for t on the run's engine.
func New(t testing.TB) DB {
	t.Helper()
	if Postgres() {
		return NewPostgres(t)
	}
	return DB{Path: filepath.Join(t.TempDir(), "checkout.db")}
}

// NewPostgres is a fresh schema on the PostgreSQL of CHECKOUT_TEST_POSTGRES, whatever
// the run's engine; the test is skipped without one (failed when CI=true).
func NewPostgres(t testing.TB) DB {
	t.Helper()
	admin := adminDB(t)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	// Registered before any store opens on it, so it runs after they have closed.
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema: %v", err)
		}
	})
	u, err := url.Parse(os.Getenv(EnvPostgres))
	if err != nil {
		t.Fatalf("storetest: %s is not a URL", EnvPostgres)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return DB{Postgres: true, DSN: u.String()}
}

// RequirePostgres skips t unless CHECKOUT_TEST_POSTGRES is set, and fails it instead
// when CI=true.
func RequirePostgres(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvPostgres) != "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: CI must run the PostgreSQL tests (see .ci/postgres.sh)", EnvPostgres)
	}
	t.Skipf("%s is not set: PostgreSQL tests skipped", EnvPostgres)
}

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	RequirePostgres(t)
	admin.once.Do(func() {
		admin.db, admin.err = orders.OpenPostgresDB(os.Getenv(EnvPostgres))
		if admin.err == nil {
			admin.db.SetMaxOpenConns(4)
			admin.err = admin.db.PingContext(context.Background())
		}
	})
	if admin.err != nil {
		t.Fatalf("storetest: PostgreSQL at %s: %v", EnvPostgres, admin.err)
	}
	return admin.db
}

// Open opens a store on d with the clock now and closes it when t ends.
func (d DB) Open(t testing.TB, now func() time.Time) *orders.Store {
	t.Helper()
	return d.OpenWith(t, now, orders.Options{})
}

// OpenWith is Open with opt.
func (d DB) OpenWith(t testing.TB, now func() time.Time, opt orders.Options) *orders.Store {
	t.Helper()
	s, err := d.Try(context.Background(), now, opt)
	if err != nil {
		t.Fatalf("storetest: open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Try opens a store on d and leaves closing it to the caller.
func (d DB) Try(ctx context.Context, now func() time.Time, opt orders.Options) (*orders.Store, error) {
	if d.Postgres {
		if opt.ReadConns == 0 {
			opt.ReadConns = testConns
		}
		return orders.OpenPostgres(ctx, d.DSN, now, opt)
	}
	return orders.OpenWith(ctx, d.Path, now, opt)
}

// Raw is a database/sql handle on d for a test to look at or change rows directly, with
// the store's ? placeholders on both engines; it is closed when t ends.
func (d DB) Raw(t testing.TB) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if d.Postgres {
		db, err = orders.OpenPostgresDB(d.DSN)
	} else {
		db, err = sql.Open("sqlite3", d.Path+"?_busy_timeout=5000&_foreign_keys=on")
	}
	if err != nil {
		t.Fatalf("storetest: raw handle: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Name is "postgres" or "sqlite", for messages.
func (d DB) Name() string {
	if d.Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Dump is everything d holds, for a test to search for what must never be stored (a card
// number, a secret): on SQLite the bytes of the database file and its WAL and shared-memory
// files; on PostgreSQL every row of every table of the test's schema as text.
func (d DB) Dump(t testing.TB) []byte {
	t.Helper()
	var out []byte
	if !d.Postgres {
		for _, p := range []string{d.Path, d.Path + "-wal", d.Path + "-shm"} {
			b, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatalf("storetest: dump: %v", err)
			}
			out = append(out, b...)
		}
		return out
	}
	raw := d.Raw(t)
	ctx := context.Background()
	rows, err := raw.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatalf("storetest: dump: %v", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatalf("storetest: dump: %v", err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		t.Fatalf("storetest: dump: %v", err)
	}
	for _, table := range tables {
		var text sql.NullString
		// Identifiers from the catalogue, quoted.
		q := `SELECT string_agg(r::text, E'\n') FROM "` + table + `" r`
		if err := raw.QueryRowContext(ctx, q).Scan(&text); err != nil {
			t.Fatalf("storetest: dump %s: %v", table, err)
		}
		out = append(out, text.String...)
		out = append(out, '\n')
	}
	return out
}
