package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests hold the committer on a gate write, queue writes behind it, and release
// it: the queued writes then run as one batch, whose outcome each test checks.

func openTestStore(t *testing.T, opt Options) *Store {
	t.Helper()
	clk := func() time.Time { return time.Now() }
	s, err := OpenWith(context.Background(), filepath.Join(t.TempDir(), "checkout.db"), clk, opt)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.EnsureMerchant(context.Background(), Merchant{ID: "m1", Name: "Shop"}))
	return s
}

// hold blocks the committer inside a write until the returned release is called.
func hold(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.withTx(context.Background(), func(context.Context, dbTx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(gate)
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(release)
	return release
}

// waitQueued waits until n writes are queued behind the gate.
func waitQueued(s *Store, n int) {
	for len(s.writes) < n {
		runtime.Gosched()
	}
}

func testOrder(ref string) *Order {
	return &Order{MerchantID: "m1", Reference: ref, Amount: decimal.RequireFromString("10.00"),
		Currency: "TRY", ExpiresAt: time.Now().Add(time.Hour)}
}

func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	require.NoError(t, s.r.QueryRow("SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// createAll creates the orders concurrently and returns each call's error, in order.
func createAll(s *Store, ctx context.Context, os []*Order) []error {
	errs := make([]error, len(os))
	var wg sync.WaitGroup
	for i, o := range os {
		wg.Go(func() { errs[i] = s.CreateOrder(ctx, o) })
	}
	wg.Wait()
	return errs
}

func TestBatchRefusedWriteUndoesOnlyItself(t *testing.T) {
	s := openTestStore(t, Options{})
	release := hold(t, s)
	before := s.stats.Batches.Load()

	os := []*Order{testOrder("a"), testOrder("dup"), testOrder("dup"), testOrder("c")}
	var errs []error
	done := make(chan struct{})
	go func() { errs = createAll(s, context.Background(), os); close(done) }()
	waitQueued(s, len(os))
	release()
	<-done

	// The gate's batch, then one batch for all four writes.
	assert.Equal(t, before+1, s.stats.Batches.Load(), "the four writes shared one transaction")
	refused := 0
	for i, err := range errs {
		if err != nil {
			refused++
			assert.Equal(t, CodeDuplicateReference, ErrorCode(err), "write %d", i)
			assert.Empty(t, os[i].ID, "a refused order gets no id")
			continue
		}
		got, gerr := s.GetOrder(context.Background(), os[i].ID)
		require.NoError(t, gerr)
		assert.Equal(t, os[i].Reference, got.Reference)
	}
	assert.Equal(t, 1, refused, "exactly one of the two 'dup' orders is refused")
	assert.Equal(t, 3, countRows(t, s, "orders"))
	assert.Equal(t, 3, countRows(t, s, "events"), "the refused write left no event")
}

func TestBatchCommitFailureFailsExactlyTheBatch(t *testing.T) {
	s := openTestStore(t, Options{})
	release := hold(t, s)

	// A write whose change passes its own statements but breaks the COMMIT: a foreign key
	// checked only at commit time.
	var poisonErr error
	poisoned := make(chan struct{})
	go func() {
		defer close(poisoned)
		poisonErr = s.withTx(context.Background(), func(ctx context.Context, tx dbTx) error {
			if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO approvals (order_id, dealer_id, action_id, approved_at)
				VALUES ('ord_missing', 1, 'act_x', '2000-01-01T00:00:00.000000000Z')`)
			return err
		})
	}()
	waitQueued(s, 1)
	os := []*Order{testOrder("a"), testOrder("b")}
	var errs []error
	done := make(chan struct{})
	go func() { errs = createAll(s, context.Background(), os); close(done) }()
	waitQueued(s, 3)
	release()
	<-poisoned
	<-done

	for _, err := range append([]error{poisonErr}, errs...) {
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrCommitFailed)
		assert.Equal(t, CodeUnavailable, ErrorCode(err), "retryable")
		assert.NotContains(t, err.Error(), "locked")
	}
	assert.Equal(t, 0, countRows(t, s, "orders"))
	assert.Equal(t, 0, countRows(t, s, "approvals"))

	// The committer goes on: the next batch commits.
	again := testOrder("a")
	require.NoError(t, s.CreateOrder(context.Background(), again))
	assert.Equal(t, 1, countRows(t, s, "orders"))
}

func TestBatchSkipsWritesWhoseCallerHasGone(t *testing.T) {
	s := openTestStore(t, Options{})
	release := hold(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	gone, kept := testOrder("gone"), testOrder("kept")
	var goneErr, keptErr error
	var wg sync.WaitGroup
	wg.Go(func() { goneErr = s.CreateOrder(ctx, gone) })
	waitQueued(s, 1)
	wg.Go(func() { keptErr = s.CreateOrder(context.Background(), kept) })
	waitQueued(s, 2)
	cancel()
	release()
	wg.Wait()

	assert.ErrorIs(t, goneErr, context.Canceled)
	require.NoError(t, keptErr)
	_, err := s.GetOrderByReference(context.Background(), "m1", "gone")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = s.GetOrderByReference(context.Background(), "m1", "kept")
	assert.NoError(t, err)
}

func TestBatchPanicFailsOnlyItsWrite(t *testing.T) {
	s := openTestStore(t, Options{})
	release := hold(t, s)
	var panicErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		panicErr = s.withTx(context.Background(), func(ctx context.Context, tx dbTx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO merchants (id, name, created_at) VALUES ('m2', 'x', 'y')`); err != nil {
				return err
			}
			panic("boom")
		})
	})
	waitQueued(s, 1)
	o := testOrder("a")
	var err error
	wg.Go(func() { err = s.CreateOrder(context.Background(), o) })
	waitQueued(s, 2)
	release()
	wg.Wait()
	require.Error(t, panicErr)
	assert.Contains(t, panicErr.Error(), "boom")
	require.NoError(t, err)
	assert.Equal(t, 1, countRows(t, s, "merchants"), "the panicking write was undone")
	assert.Equal(t, 1, countRows(t, s, "orders"))
}

func TestWriteQueueFullIsRefusedAtOnce(t *testing.T) {
	s := openTestStore(t, Options{WriteQueue: 2})
	release := hold(t, s)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { errs[i] = s.CreateOrder(context.Background(), testOrder(string(rune('a'+i)))) })
	}
	waitQueued(s, 2)

	err := s.CreateOrder(context.Background(), testOrder("x"))
	assert.ErrorIs(t, err, ErrOverloaded)
	assert.Equal(t, CodeUnavailable, ErrorCode(err))
	assert.Equal(t, int64(1), s.stats.Shed.Load())
	release()
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, 2, countRows(t, s, "orders"), "the refused write was never run")
}

func TestClosedStoreRefusesWrites(t *testing.T) {
	s := openTestStore(t, Options{})
	require.NoError(t, s.Close())
	err := s.CreateOrder(context.Background(), testOrder("a"))
	assert.True(t, errors.Is(err, ErrClosed), "%v", err)
	require.NoError(t, s.Close(), "closing twice is harmless")
}

// With the query planner stability guarantee on, the statements of an order read are
// compiled once and reused, whatever values are bound. The same reads on a connection
// without it are re-prepared on every run: the count works.
func TestStatementsAreNotReprepared(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := context.Background()
	var ids []string
	for i := range 20 {
		o := testOrder("r" + string(rune('a'+i)))
		require.NoError(t, s.CreateOrder(ctx, o))
		ids = append(ids, o.ID)
	}
	readAll := func(conn *sql.Conn) int64 {
		for range 5 {
			for _, id := range ids {
				_, err := loadOrder(ctx, conn, "id = ?", id)
				require.NoError(t, err)
			}
		}
		n, err := reprepares(conn)
		require.NoError(t, err)
		return n
	}

	conn, err := s.r.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	assert.Equal(t, int64(0), readAll(conn), "with QPSG")

	plain, err := sql.Open("sqlite3", s.path+"?_stmt_cache_size=64")
	require.NoError(t, err)
	defer plain.Close()
	pconn, err := plain.Conn(ctx)
	require.NoError(t, err)
	defer pconn.Close()
	assert.Greater(t, readAll(pconn), int64(len(ids)), "without QPSG every run re-prepares")
}

// Under writes without pause the WAL stays bounded: the writer checkpoints and starts it
// again from the beginning. (A checkpointer on its own connection let it grow to 1.4 GB.)
func TestWALStaysBoundedUnderSustainedWrites(t *testing.T) {
	s := openTestStore(t, Options{})
	var auto int
	require.NoError(t, s.withTx(context.Background(), func(ctx context.Context, tx dbTx) error {
		return tx.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto)
	}))
	assert.Equal(t, 1000, auto)

	const writers, each = 32, 150
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.CreateOrder(context.Background(), testOrder(fmt.Sprintf("wal-%d-%d", g, i))); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	db, err := os.Stat(s.path)
	require.NoError(t, err)
	wal, err := os.Stat(s.path + "-wal")
	require.NoError(t, err)
	t.Logf("%d writes: database %d KiB, WAL %d KiB", writers*each, db.Size()>>10, wal.Size()>>10)
	// 4800 orders with their events written without a checkpoint make a WAL of more than
	// 40 MiB; checkpointed, it stays near 1000 pages (4 MiB).
	assert.Less(t, wal.Size(), int64(16<<20))
	assert.Greater(t, db.Size(), int64(1<<20), "the orders reached the database file")
}

// A write alone in its batch runs without a savepoint: refused, it leaves nothing; its
// commit failing is ErrCommitFailed like a batch's; either way the committer goes on.
func TestWriteAloneRefusedOrFailedLeavesNothing(t *testing.T) {
	s := openTestStore(t, Options{})
	require.NoError(t, s.CreateOrder(context.Background(), testOrder("a")))
	err := s.CreateOrder(context.Background(), testOrder("a"))
	assert.Equal(t, CodeDuplicateReference, ErrorCode(err))

	err = s.withTx(context.Background(), func(ctx context.Context, tx dbTx) error {
		if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO approvals (order_id, dealer_id, action_id, approved_at)
			VALUES ('ord_missing', 1, 'act_x', '2000-01-01T00:00:00.000000000Z')`)
		return err
	})
	assert.ErrorIs(t, err, ErrCommitFailed)
	assert.Equal(t, 0, countRows(t, s, "approvals"))

	require.NoError(t, s.CreateOrder(context.Background(), testOrder("b")))
	assert.Equal(t, 2, countRows(t, s, "orders"))
	assert.Equal(t, 2, countRows(t, s, "events"))
}

// A batch's savepoints keep their statement journal in memory: a few dozen writes in one
// transaction used to spill it into a temporary file (opened, written and closed again by
// every batch, more bytes than the WAL got). Read from /proc while the batch is open.
func TestBatchOpensNoTemporaryFile(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc")
	}
	s := openTestStore(t, Options{})
	var mode int
	require.NoError(t, s.withTx(context.Background(), func(ctx context.Context, tx dbTx) error {
		return tx.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&mode)
	}))
	assert.Equal(t, 2, mode, "temp_store = MEMORY on the writer")

	release := hold(t, s)
	const n = 64
	os := make([]*Order, n)
	for i := range os {
		os[i] = testOrder(fmt.Sprintf("tmp-%d", i))
		os[i].Description = strings.Repeat("x", 1500)
	}
	var errs []error
	created := make(chan struct{})
	go func() { errs = createAll(s, context.Background(), os); close(created) }()
	waitQueued(s, n)
	// Queued last, so it runs in the same transaction after the n writes, and changes
	// every page they changed (more than SQLite's 64 KiB spill threshold).
	var temps []string
	look := make(chan error, 1)
	go func() {
		look <- s.withTx(context.Background(), func(ctx context.Context, tx dbTx) error {
			if _, err := tx.ExecContext(ctx, "UPDATE orders SET description = upper(description)"); err != nil {
				return err
			}
			temps = openTemporaryFiles(t, s.path)
			return nil
		})
	}()
	waitQueued(s, n+1)
	release()
	require.NoError(t, <-look)
	<-created
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, n, countRows(t, s, "orders"))
	assert.Empty(t, temps, "files the batch opened besides the database's own")
}

// openTemporaryFiles lists the process's open files that are neither the database at
// path nor its WAL and shared-memory files, and have no name (SQLite's temporary files
// are unlinked, or O_TMPFILE).
func openTemporaryFiles(t *testing.T, path string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	var out []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil || !strings.HasSuffix(target, "(deleted)") || strings.HasPrefix(target, path) {
			continue
		}
		out = append(out, target)
	}
	return out
}

// The committer's writes run on its connection inside BEGIN IMMEDIATE, not in a *sql.Tx
// (whose context database/sql watches with a goroutine per query), and a query in a
// write allocates no more than the same query in a read.
func TestWritesRunOnTheWriteConnection(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := context.Background()
	o := testOrder("conn")
	require.NoError(t, s.CreateOrder(ctx, o))
	require.NoError(t, s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		assert.IsType(t, (*connTx)(nil), tx)
		var mode string
		require.NoError(t, tx.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
		assert.Equal(t, "wal", mode)
		return nil
	}))

	load := func(ctx context.Context, tx querier) error {
		_, err := loadOrder(ctx, tx, "id = ?", o.ID)
		return err
	}
	inRead := testing.AllocsPerRun(50, func() {
		require.NoError(t, s.readTx(ctx, load))
	})
	inWrite := testing.AllocsPerRun(50, func() {
		require.NoError(t, s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
			if err := load(ctx, tx); err != nil {
				return err
			}
			return load(ctx, tx)
		}))
	})
	t.Logf("an order read: %.0f allocations in a read, %.0f for two in a write", inRead, inWrite)
	// Two reads in a write cost about twice one in a read (each with its transaction):
	// through a *sql.Tx each query cost a goroutine and a context more.
	assert.Less(t, inWrite, 2*inRead)
}

// Rows a write or a read leaves open (an early return out of a rows loop) are closed when
// it ends: the committer goes on, and the read connection goes back to its pool. Without
// that, closing the *sql.Conn would wait for those rows for ever.
func TestRowsLeftOpenDoNotHang(t *testing.T) {
	s := openTestStore(t, Options{ReadConns: 1})
	ctx := context.Background()
	require.NoError(t, s.CreateOrder(ctx, testOrder("open-1")))
	leave := func(ctx context.Context, q querier) error {
		rows, err := q.QueryContext(ctx, "SELECT id FROM orders UNION ALL SELECT 'x'")
		if err != nil {
			return err
		}
		if !rows.Next() {
			return errors.New("no row")
		}
		return nil // rows left open, one row unread
	}
	within := func(name string, f func() error) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			require.NoError(t, err, name)
		case <-time.After(10 * time.Second): // a bound on a hang, not a wait for an event
			t.Fatalf("%s did not return: rows left open hold the connection", name)
		}
	}
	within("a write leaving rows open", func() error {
		return s.withTx(ctx, func(ctx context.Context, tx dbTx) error { return leave(ctx, tx) })
	})
	within("a read leaving rows open", func() error { return s.readTx(ctx, leave) })
	// The committer and the one read connection serve what comes next.
	within("the next write", func() error { return s.CreateOrder(ctx, testOrder("open-2")) })
	within("the next read", func() error {
		_, err := s.GetOrderByReference(ctx, "m1", "open-2")
		return err
	})
}
