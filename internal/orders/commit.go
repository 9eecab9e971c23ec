package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of the write path. All carry CodeUnavailable: nothing was written for the
// caller, and the same write may be tried again.
var (
	// ErrOverloaded refuses a write because the committer's queue is full.
	ErrOverloaded = &Error{Code: CodeUnavailable, Message: "too many writes waiting; retry shortly"}
	// ErrCommitFailed is wrapped around the cause when a batch's transaction could not be
	// committed (or begun, or a savepoint failed): every write of the batch was undone.
	ErrCommitFailed = &Error{Code: CodeUnavailable, Message: "the write was not committed; retry"}
	// ErrClosed refuses a write after Close.
	ErrClosed = &Error{Code: CodeUnavailable, Message: "the store is closed"}
)

// write is one caller's transaction function waiting for the committer.
type write struct {
	ctx  context.Context // the caller's: a write whose caller has gone is skipped
	fn   txFunc
	done chan error // buffered: the committer never waits for the caller
	err  error      // the write's own result, kept until the batch commits
}

// commitLoop is the committer: the only goroutine that writes. It takes the writes queued
// while the previous batch was on its way to disk, runs them in one transaction, commits
// once (one fsync for the batch), and only then answers each caller.
func (s *Store) commitLoop() {
	defer close(s.stopped)
	batch := make([]*write, 0, s.maxBatch)
	for w := range s.writes {
		batch = append(batch[:0], w)
	fill:
		for len(batch) < s.maxBatch {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break fill
				}
				batch = append(batch, w)
			default:
				break fill
			}
		}
		s.runBatch(batch)
		clear(batch)
	}
}

// runBatch runs a batch in one BEGIN IMMEDIATE ... COMMIT with a SAVEPOINT per write, so
// a refused write undoes only itself. If the transaction cannot begin or commit, or a
// savepoint cannot be set or undone, the whole batch is rolled back and every caller gets
// ErrCommitFailed, also those whose own write was refused: a refusal may rest on a
// batch-mate's change that is now gone.
//
// The transaction is BEGIN IMMEDIATE and COMMIT (or ROLLBACK) on the write connection,
// not a *sql.Tx: database/sql watches the context of a *sql.Tx, and of every query in
// one, with a goroutine each (see readTx). The statements run under the committer's own
// context, which is never cancelled.
func (s *Store) runBatch(batch []*write) {
	ctx := context.Background()
	s.stats.Batches.Add(1)
	if s.onCommit != nil {
		start := time.Now()
		defer func() { s.onCommit(time.Since(start), len(batch)) }()
	}
	fail := func(err error) {
		err = fmt.Errorf("%w: %w", ErrCommitFailed, err)
		for _, w := range batch {
			w.done <- err
		}
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	// A write alone in its batch needs no savepoint: if it is refused, the transaction
	// itself is rolled back.
	alone := len(batch) == 1
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.err = err // its caller has gone; nothing of it runs
			continue
		}
		s.stats.Writes.Add(1)
		if alone {
			s.runAlone(ctx, tx, w)
			return
		}
		var broken error
		w.err, broken = s.runWrite(ctx, tx, w.fn)
		if broken != nil {
			tx.rollback(ctx)
			fail(broken)
			return
		}
	}
	if err := tx.commit(ctx); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	for _, w := range batch {
		w.done <- w.err
	}
}

// runAlone runs the only write of a batch in tx and commits it, or rolls tx back when the
// write is refused.
func (s *Store) runAlone(ctx context.Context, tx *connTx, w *write) {
	keep, result := outcome(s.callWrite(ctx, tx, w.fn))
	tx.closeRows()
	if !keep {
		if err := tx.rollback(ctx); err != nil {
			result = fmt.Errorf("%w: rollback: %w", ErrCommitFailed, err)
		}
		w.done <- result
		return
	}
	if err := tx.commit(ctx); err != nil {
		result = fmt.Errorf("%w: commit: %w", ErrCommitFailed, err)
	}
	w.done <- result
}

// connTx is a transaction run by hand on one pooled *sql.Conn (BEGIN, then COMMIT or
// ROLLBACK): the committer's batches and the SQLite reads run their statements on it. It
// keeps the rows it hands out, and closeRows closes them when a write or a read is over.
// A *sql.Tx closes its open rows when it ends; a *sql.Conn does not, and its Close waits
// for every one of them, so rows left open (an early return out of a rows loop) would
// hang the committer, and every write after it, for good. A *sql.Row holds its rows until
// Scan: every QueryRowContext must be scanned, as each one in this package is.
type connTx struct {
	conn *sql.Conn
	rows []*sql.Rows
}

func (c *connTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := c.conn.QueryContext(ctx, query, args...)
	if err == nil {
		c.rows = append(c.rows, rows)
	}
	return rows, err
}

func (c *connTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.conn.QueryRowContext(ctx, query, args...)
}

func (c *connTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.conn.ExecContext(ctx, query, args...)
}

// closeRows closes every rows handed out since the last call (closing closed rows does
// nothing).
func (c *connTx) closeRows() {
	for _, r := range c.rows {
		_ = r.Close()
	}
	clear(c.rows)
	c.rows = c.rows[:0]
}

// beginWrite takes the write connection and begins the batch's transaction on it:
// BEGIN IMMEDIATE, held until commit or rollback.
func (s *Store) beginWrite(ctx context.Context) (*connTx, error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		// BEGIN either started a transaction or did not; a connection in doubt is not
		// given back to the pool.
		discard(conn)
		return nil, err
	}
	return &connTx{conn: conn}, nil
}

// commit commits the transaction and gives the connection back. A COMMIT that fails (a
// deferred constraint, an I/O error) may leave the transaction open: it is rolled back,
// as the driver's own Commit does, and the connection is closed if even that fails.
func (tx *connTx) commit(ctx context.Context) error {
	tx.closeRows()
	if _, err := tx.conn.ExecContext(ctx, "COMMIT"); err != nil {
		if _, rerr := tx.conn.ExecContext(ctx, "ROLLBACK"); rerr != nil && !noTransaction(rerr) {
			discard(tx.conn)
			return err
		}
		tx.conn.Close()
		return err
	}
	// Committed: nothing after this may report the batch as failed.
	_ = tx.conn.Close()
	return nil
}

// rollback undoes the transaction and gives the connection back, or closes it when the
// rollback fails.
func (tx *connTx) rollback(ctx context.Context) error {
	tx.closeRows()
	if _, err := tx.conn.ExecContext(ctx, "ROLLBACK"); err != nil && !noTransaction(err) {
		discard(tx.conn)
		return err
	}
	return tx.conn.Close()
}

// noTransaction reports SQLite refusing a ROLLBACK because no transaction is open (it
// rolled back by itself, as it may after an I/O error).
func noTransaction(err error) bool {
	return strings.Contains(err.Error(), "no transaction is active")
}

// outcome tells from a write function's error whether its changes are kept (nil or a
// committed error) and what its caller is answered once they are.
func outcome(ferr error) (keep bool, result error) {
	var c committed
	switch {
	case ferr == nil:
		return true, nil
	case errors.As(ferr, &c):
		return true, c.err
	default:
		return false, ferr
	}
}

// runWrite runs fn in a savepoint of tx and returns fn's result for its caller. broken
// is set when the savepoint itself failed: then tx is unusable.
func (s *Store) runWrite(ctx context.Context, tx *connTx, fn txFunc) (result, broken error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	keep, result := outcome(s.callWrite(ctx, tx, fn))
	tx.closeRows() // before the savepoint ends: no statement of the write is left running
	if !keep {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
			return nil, fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
		return nil, fmt.Errorf("release savepoint: %w", err)
	}
	return result, nil
}

// callWrite runs fn, turning a panic into an error for its caller alone: the committer
// goes on serving the others. fn's ctx carries the write's one time (txNow).
func (s *Store) callWrite(ctx context.Context, tx dbTx, fn txFunc) (err error) {
	ctx = context.WithValue(ctx, txNowKey{}, s.now())
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write panicked: %v", r)
		}
	}()
	return fn(ctx, tx)
}

// txNowKey carries a write's time in its context.
type txNowKey struct{}

// txNow is the one time of the write running under ctx: every row it stamps (the state
// change, its event, the key's answer) carries the same instant. Outside a write it is
// the store's clock.
func (s *Store) txNow(ctx context.Context) time.Time {
	if t, ok := ctx.Value(txNowKey{}).(time.Time); ok {
		return t
	}
	return s.now()
}
