package orders

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Connection settings. Every connection enforces foreign keys, runs in WAL mode with
// synchronous=FULL (a commit is on disk before anyone hears of it, so a payment survives
// a power cut) and keeps its prepared statements (the driver's statement cache). The one
// write connection starts its transactions with BEGIN IMMEDIATE; the read connections
// are query-only and start theirs deferred. busy_timeout only matters when another
// process writes the same file (a second store in a test, the sqlite3 shell): inside
// one store nobody waits for SQLite's lock, since only the committer writes.
const (
	commonParams = "_foreign_keys=on&_journal_mode=WAL&_synchronous=FULL&_mutex=no&_stmt_cache_size=64"
	writeParams  = commonParams + "&_txlock=immediate"
	readParams   = commonParams + "&_txlock=deferred&_query_only=1"
)

// Defaults of Options.
const (
	DefaultReadConns  = 4
	DefaultWriteQueue = 1024
	DefaultMaxBatch   = 128
	// DefaultBusyTimeout is how long a connection waits for a lock another process holds.
	DefaultBusyTimeout = 5 * time.Second
)

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction: unlike RFC3339Nano it
// never trims zeros, so comparing the stored strings compares the times.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Options bound the store's resources. Zero fields take the defaults.
type Options struct {
	// ReadConns bounds the read pool. A read waits for a free connection.
	ReadConns int
	// WriteQueue bounds the writes waiting for the committer; a write that finds the
	// queue full is refused at once with ErrOverloaded.
	WriteQueue int
	// MaxBatch bounds how many writes share one transaction and one fsync.
	MaxBatch int
	// BusyTimeout is how long to wait for SQLite's lock when another process holds it;
	// a write still waiting then fails with ErrCommitFailed.
	BusyTimeout time.Duration
	// OnCommit, when set, is called by the committer after each transaction with its
	// duration (begin to commit, fsync included) and how many writes it held: for metrics.
	// It must not block.
	OnCommit func(d time.Duration, writes int)
	// SealKey, when set (SealKeySize bytes), seals every CodeForHash the store writes
	// with AES-256-GCM and opens it on every read (see seal.go); plain values written
	// before are still read. nil: CodeForHash is stored as it is.
	SealKey []byte
}

// Store keeps orders and their history in one SQLite file. It is safe for concurrent use.
// See the package documentation for how it writes.
type Store struct {
	w        *sql.DB // the one write connection, used only by the committer
	r        *sql.DB // the bounded read pool
	path     string
	now      func() time.Time
	maxBatch int
	onCommit func(time.Duration, int)
	seal     *sealer // nil: CodeForHash is stored plain
	pg       bool    // PostgreSQL: w and r are one pool, and writes do not go through the committer

	pgSlots chan struct{} // PostgreSQL: bounds the writes running or waiting for a connection

	mu      sync.RWMutex // guards closed against sends on writes
	closed  bool
	writes  chan *write
	stopped chan struct{}

	stats Stats
}

// Stats counts the committer's work, for tests, benchmarks and metrics.
type Stats struct {
	Writes  atomic.Int64 // writes run
	Batches atomic.Int64 // transactions committed or failed
	Shed    atomic.Int64 // writes refused with ErrOverloaded
	// PostgreSQL: the writes holding a connection now, and the most there ever were.
	Running, PeakRunning atomic.Int64
}

// Stats returns the store's counters.
func (s *Store) Stats() *Stats { return &s.stats }

// Open opens (creating if needed) the SQLite database at path with the default Options.
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	return OpenWith(ctx, path, now, Options{})
}

// OpenWith opens (creating if needed) the SQLite database at path, checks that it runs in
// WAL mode with synchronous=FULL, applies pending migrations and starts the committer.
// now is the store's clock.
func OpenWith(ctx context.Context, path string, now func() time.Time, opt Options) (*Store, error) {
	if path == "" || strings.Contains(path, ":memory:") || strings.HasPrefix(path, "file:") || strings.Contains(path, "?") {
		// A :memory: database behind a pool is a different database per connection.
		return nil, fmt.Errorf("open store: %q is not a plain file path", path)
	}
	if now == nil {
		return nil, errors.New("open store: no clock")
	}
	if opt.ReadConns <= 0 {
		opt.ReadConns = DefaultReadConns
	}
	if opt.WriteQueue <= 0 {
		opt.WriteQueue = DefaultWriteQueue
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = DefaultMaxBatch
	}
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = DefaultBusyTimeout
	}
	busy := fmt.Sprintf("&_busy_timeout=%d", opt.BusyTimeout.Milliseconds())
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	seal, err := sealerFor(opt.SealKey)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w, err := openPool(writerDriverName, path+"?"+writeParams+busy, 1)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{w: w, path: path, now: storeClock(now), maxBatch: opt.MaxBatch, onCommit: opt.OnCommit, seal: seal}
	// The schema is made (and WAL mode switched on) by the writer before any reader opens.
	if err := s.checkPragmas(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.checkSealKey(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := ownerOnly(path); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r, err := openPool(driverName, path+"?"+readParams+busy, opt.ReadConns)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.checkPragmas(ctx, r); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s.r = r
	if seal != nil {
		sealers.Store(querier(r), seal)
	}
	s.writes = make(chan *write, opt.WriteQueue)
	s.stopped = make(chan struct{})
	go s.commitLoop()
	return s, nil
}

// storeClock is now in UTC and to the microsecond, the precision both engines keep, so
// that what a write returns equals what a read of it gives later.
func storeClock(now func() time.Time) func() time.Time {
	return func() time.Time { return now().UTC().Truncate(time.Microsecond) }
}

// sealerFor is the sealer of key, nil when there is no key.
func sealerFor(key []byte) (*sealer, error) {
	if key == nil {
		return nil, nil
	}
	return newSealer(key)
}

// openPool opens a pool of exactly n connections that are never closed for idleness or
// age: each keeps its prepared statements for as long as the store is open.
func openPool(driver, dsn string, n int) (*sql.DB, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// Close stops taking writes, lets the committer finish the ones queued, and closes the
// database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.pg {
		s.mu.Unlock()
		sealers.Delete(querier(s.r))
		return s.r.Close()
	}
	close(s.writes)
	s.mu.Unlock()
	<-s.stopped
	sealers.Delete(querier(s.r))
	return errors.Join(s.r.Close(), s.w.Close())
}

// checkPragmas refuses to run on a database that would not keep a payment after a crash:
// the DSN asks for WAL and FULL, and this makes sure the driver honoured it.
func (s *Store) checkPragmas(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	var sync int
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("read synchronous: %w", err)
	}
	if sync != 2 {
		return fmt.Errorf("synchronous is %d, want 2 (FULL)", sync)
	}
	return nil
}

// migrate applies the SQLite migrations on the write connection before the committer
// starts.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return s.applyMigrations(ctx, "sqlite", func(ctx context.Context) (*sql.Tx, error) {
		return s.w.BeginTx(ctx, nil)
	})
}

// applyMigrations applies, in order, each embedded migrations/<dialect>/NNN_name.sql not
// yet recorded in schema_migrations, each in its own transaction from begin. Both
// dialects have the same numbered migrations.
func (s *Store) applyMigrations(ctx context.Context, dialect string, begin func(context.Context) (*sql.Tx, error)) error {
	names, err := fs.Glob(migrationFiles, "migrations/"+dialect+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		num, _, _ := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return err
		}
		if err := s.migrateOne(ctx, begin, version, string(body)); err != nil {
			return fmt.Errorf("migration %s/%s: %w", dialect, base, err)
		}
	}
	return nil
}

func (s *Store) migrateOne(ctx context.Context, begin func(context.Context) (*sql.Tx, error), version int, body string) error {
	tx, err := begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
		version, formatTime(s.now())); err != nil {
		return err
	}
	return tx.Commit()
}

// committed wraps a domain error that must be returned AFTER the transaction commits,
// e.g. order_expired, whose transaction also records the expiry.
type committed struct{ err error }

func (c committed) Error() string { return c.err.Error() }

// txFunc is one write: it runs inside the committer's transaction, in its own savepoint.
// ctx is the committer's, not the caller's: a caller that gives up must not interrupt a
// statement its batch-mates share. Returning an error (other than committed) undoes the
// write's own changes and nothing else.
type txFunc func(ctx context.Context, tx dbTx) error

// withTx runs fn as one write through the committer and returns once the transaction
// holding it is on disk (or has failed). fn's changes are kept when it returns nil or a
// committed error; any other error undoes them and is returned as is.
func (s *Store) withTx(ctx context.Context, fn txFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.pg {
		return s.withTxPostgres(ctx, fn)
	}
	if s.seal != nil {
		// Attempts read inside the write open their CodeForHash with this store's key.
		inner := fn
		fn = func(ctx context.Context, tx dbTx) error {
			sealers.Store(querier(tx), s.seal)
			defer sealers.Delete(querier(tx))
			return inner(ctx, tx)
		}
	}
	w := &write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.writes <- w:
	default:
		s.mu.RUnlock()
		s.stats.Shed.Add(1)
		return ErrOverloaded
	}
	s.mu.RUnlock()
	// Wait for the answer even if ctx ends meanwhile: a queued write whose caller has gone
	// is skipped, but one already running may commit, and its caller must not think it
	// failed.
	return <-w.done
}

// readTx runs fn in one deferred read transaction on the read pool: the reads inside see
// one snapshot and take SQLite's file locks once. fn must run its statements with the ctx
// it is given.
//
// On SQLite the transaction is a BEGIN and a ROLLBACK on one connection of the pool, not
// a *sql.Tx, and the statements run without ctx's cancellation (ctx still bounds the wait
// for a connection): database/sql starts a goroutine for every transaction and for every
// query inside one, or under a context that can be cancelled, to watch it, which made up
// a third of the CPU of a cached order read. The price: a read whose caller has gone runs
// to its end. The buyer's reads take microseconds; the longest, the dashboard's totals
// and lists, are bounded by their filters and page sizes.
func (s *Store) readTx(ctx context.Context, fn func(ctx context.Context, tx querier) error) error {
	if s.pg {
		return s.readTxPostgres(ctx, fn)
	}
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	ctx = context.WithoutCancel(ctx)
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		discard(conn)
		return fmt.Errorf("begin read: %w", err)
	}
	ct := &connTx{conn: conn}
	if s.seal != nil {
		sealers.Store(querier(ct), s.seal)
		defer sealers.Delete(querier(ct))
	}
	ended := false
	defer func() {
		if !ended {
			// fn panicked: the snapshot must not stay open on a pooled connection.
			ct.closeRows()
			discard(conn)
		}
	}()
	err = fn(ctx, ct)
	// A read transaction has nothing to keep; ending it releases the snapshot. A
	// connection whose transaction could not be ended is closed, not pooled.
	rerr := ct.rollback(ctx)
	ended = true
	if err == nil && rerr != nil {
		err = fmt.Errorf("end read: %w", rerr)
	}
	return err
}

// discard closes conn instead of giving it back to its pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// readTxPostgres runs fn in one REPEATABLE READ READ ONLY transaction: one snapshot for
// the whole read (READ COMMITTED, the default, takes one per statement).
func (s *Store) readTxPostgres(ctx context.Context, fn func(ctx context.Context, tx querier) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	if s.seal != nil {
		sealers.Store(querier(tx), s.seal)
		defer sealers.Delete(querier(tx))
	}
	err = fn(ctx, tx)
	if rerr := tx.Rollback(); err == nil && rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
		err = rerr
	}
	return err
}

// dbTx is what a write's statements run on: on SQLite the committer's connTx (the batch's
// BEGIN IMMEDIATE on the write connection), on PostgreSQL the write's *sql.Tx.
type dbTx interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// querier is what both *sql.DB and *sql.Tx offer, so readers work in and out of a tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ownerOnly makes the database and its WAL files readable and writable by their owner
// only: they hold orders, buyers' names and the secrets that verify bank returns.
func ownerOnly(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
