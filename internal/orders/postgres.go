package orders

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Defaults of Options on PostgreSQL.
const (
	// DefaultPostgresConns bounds the connections one store opens to PostgreSQL: reads
	// and writes share them.
	DefaultPostgresConns = 16
	// maxSerializationRetries bounds how often a write chosen as a deadlock's victim (or
	// refused for a serialization failure) is run again.
	maxSerializationRetries = 10
)

// migrationLock is the key of the advisory lock held while migrations run, so that
// instances starting together do not apply the same migration twice.
const migrationLock = 7_466_345_211

// OpenPostgres opens the store on the PostgreSQL database named by dsn (a libpq
// connection string or URL), applies pending migrations and returns a Store with the same
// API and guarantees as the SQLite one. Options.ReadConns bounds the connections
// (default DefaultPostgresConns), Options.WriteQueue the writes waiting for one.
//
// Every write is one READ COMMITTED transaction that locks the order it reads before it
// changes it (see lockRows), and an Idempotency-Key before it looks it up; the guards in
// SQL (UPDATE ... WHERE status = ?) and the unique indexes stay what makes an outcome
// recorded once. A write chosen as a deadlock's victim is run again (up to 10 times).
// Reads are REPEATABLE READ READ ONLY transactions: one snapshot per order read.
func OpenPostgres(ctx context.Context, dsn string, now func() time.Time, opt Options) (*Store, error) {
	if now == nil {
		return nil, errors.New("open store: no clock")
	}
	if opt.ReadConns <= 0 {
		opt.ReadConns = DefaultPostgresConns
	}
	if opt.WriteQueue <= 0 {
		opt.WriteQueue = DefaultWriteQueue
	}
	db, err := OpenPostgresDB(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.SetMaxOpenConns(opt.ReadConns)
	db.SetMaxIdleConns(opt.ReadConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	seal, err := sealerFor(opt.SealKey)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{
		w: db, r: db, pg: true, now: storeClock(now), onCommit: opt.OnCommit, seal: seal,
		pgSlots: make(chan struct{}, opt.WriteQueue),
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.migratePostgres(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.checkSealKey(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if seal != nil {
		sealers.Store(querier(db), seal)
	}
	return s, nil
}

// OpenPostgresDB opens a database/sql handle on dsn through pgx whose statements are
// written with SQLite's ? placeholders, as the store's are: each ? outside quotes and
// comments becomes $1, $2, ... It is what the store uses, and what tests and tools use to
// run the store's kind of SQL on PostgreSQL.
func OpenPostgresDB(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included.
		return nil, errors.New("the PostgreSQL DSN cannot be parsed")
	}
	return sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)}), nil
}

// withTxPostgres runs fn as one transaction, again when PostgreSQL undoes it for a
// deadlock. Once the transaction has begun, the caller's
// context no longer interrupts it: as on SQLite, a caller that gives up must not be told
// a write failed that then commits.
func (s *Store) withTxPostgres(ctx context.Context, fn txFunc) error {
	select {
	case s.pgSlots <- struct{}{}:
	default:
		s.stats.Shed.Add(1)
		return ErrOverloaded
	}
	defer func() { <-s.pgSlots }()
	conn, err := s.r.Conn(ctx) // waits for a free connection under the caller's context
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %w", ErrCommitFailed, err)
	}
	defer conn.Close()
	running := s.stats.Running.Add(1)
	defer s.stats.Running.Add(-1)
	for peak := s.stats.PeakRunning.Load(); running > peak && !s.stats.PeakRunning.CompareAndSwap(peak, running); {
		peak = s.stats.PeakRunning.Load()
	}
	run := context.WithoutCancel(ctx)
	for try := 0; ; try++ {
		start := time.Now()
		err := s.tryPostgres(run, conn, fn)
		s.stats.Batches.Add(1)
		s.stats.Writes.Add(1)
		if s.onCommit != nil {
			s.onCommit(time.Since(start), 1)
		}
		if !retryable(err) || try == maxSerializationRetries {
			if retryable(err) {
				return fmt.Errorf("%w: %w", ErrCommitFailed, err)
			}
			return err
		}
		// Jittered, growing pause so that the conflicting transactions do not meet again.
		time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) << min(try, 6))))
	}
}

// tryPostgres runs fn once in a transaction on conn and commits it when fn's changes are
// kept.
func (s *Store) tryPostgres(ctx context.Context, conn *sql.Conn, fn txFunc) error {
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return fmt.Errorf("%w: begin: %w", ErrCommitFailed, err)
	}
	if s.seal != nil {
		sealers.Store(querier(tx), s.seal)
		defer sealers.Delete(querier(tx))
	}
	keep, result := outcome(s.callWrite(context.WithValue(ctx, lockRowsKey{}, true), tx, fn))
	if !keep {
		if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
			return fmt.Errorf("%w: rollback: %w", ErrCommitFailed, err)
		}
		return result
	}
	if err := tx.Commit(); err != nil {
		if retryable(err) {
			return err
		}
		return fmt.Errorf("%w: commit: %w", ErrCommitFailed, err)
	}
	return result
}

// lockRowsKey marks the context of a write on PostgreSQL.
type lockRowsKey struct{}

// lockRows reports whether the write running under ctx must lock the rows it reads
// before changing them. On PostgreSQL writes run at READ COMMITTED, many at once: a write
// locks the order it reads (SELECT ... FOR UPDATE) so that writes of one order run one
// after the other, each seeing what the one before committed, as on SQLite, where one
// write runs at a time and nothing needs a lock.
func lockRows(ctx context.Context) bool {
	v, _ := ctx.Value(lockRowsKey{}).(bool)
	return v
}

// lockOrderOf locks, in a write on PostgreSQL, the order of the attempt attemptID: the
// attempt is then read as the last write of its order left it.
func lockOrderOf(ctx context.Context, q querier, attemptID string) error {
	if !lockRows(ctx) {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id FROM orders WHERE id = (SELECT order_id FROM attempts WHERE id = ?) FOR UPDATE`, attemptID)
	if err != nil {
		return fmt.Errorf("lock order of attempt %s: %w", attemptID, err)
	}
	return rows.Close()
}

// retryable reports a serialization failure or a deadlock: the transaction was undone
// and may run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// migratePostgres applies the migrations under an advisory lock held on one connection,
// so that instances started together apply each migration once.
func (s *Store) migratePostgres(ctx context.Context) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(migrationLock)); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", int64(migrationLock))
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    bigint PRIMARY KEY,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return s.applyMigrations(ctx, "postgres", func(ctx context.Context) (*sql.Tx, error) {
		return conn.BeginTx(ctx, nil)
	})
}

// isUnique reports a unique constraint violation on table; column, when set, must be
// named by SQLite's message ("table.column") or by PostgreSQL's constraint name.
func isUnique(err error, table, column string) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" && pe.TableName == table &&
			(column == "" || strings.Contains(pe.ConstraintName, column))
	}
	return isSQLiteUnique(err, table, column)
}

// isForeignKey reports a foreign key violation.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return isSQLiteForeignKey(err)
}

// rebindConnector makes pgx's connections take the store's ? placeholders.
type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &rebindConn{conn.(*stdlib.Conn)}, nil
}

// rebindConn is pgx's connection with each query's ? placeholders numbered.
type rebindConn struct{ *stdlib.Conn }

func (c *rebindConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(query))
}

func (c *rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// rebind numbers the ? placeholders of query ($1, $2, ...), leaving those inside quoted
// strings, quoted identifiers and comments alone.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case ch == '\'' || ch == '"':
			end := strings.IndexByte(query[i+1:], ch)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case ch == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+1])
			i += end
		case ch == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}
