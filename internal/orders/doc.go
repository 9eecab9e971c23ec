// Package orders holds the domain of the checkout: orders, payment attempts, merchant
// actions (captures, voids, refunds, pool approvals), Idempotency-Keys and events, the
// card declines counted for the checkout's card-testing limits (velocity.go), the status
// machine that moves an order between states, and the
// SQLite store that keeps them. It knows nothing of HTTP or of Moka's wire format.
//
// # How the store writes
//
// SQLite lets one connection write at a time. Connections that compete for that lock do
// not queue: they sleep in the busy handler and retry, which under load turns into
// seconds of latency and "database is locked". So the store has exactly one writer:
//
//   - One write connection, owned by the committer goroutine. Every write method (an
//     order created, an attempt started, an outcome recorded, anything later: captures,
//     refunds, webhook delivery state, reconciliation) hands its transaction function to
//     the committer through a bounded queue and waits for the answer.
//   - The committer takes every write queued while the previous batch was on its way to
//     disk (up to Options.MaxBatch), runs them in one BEGIN IMMEDIATE ... COMMIT with a
//     SAVEPOINT per write, and commits once: one fsync for the batch (group commit).
//     synchronous=FULL stays: nobody is answered before the commit holding their write is
//     on disk, so an order answered 201, or an attempt committed before Moka is called,
//     survives a crash or a power cut.
//   - Checkpoints (copying the WAL back into the database file) run in the writer, as
//     SQLite does by default, once the WAL holds 1000 pages. Only the writer sees the WAL
//     fully copied back and can start it again from the beginning: a checkpointer on its
//     own connection never catches up with a committer that writes without pause, and
//     the WAL then grows without bound (tried, measured: 1.4 GB in 12 s). The WAL file is
//     cut back to 64 MiB whenever it is reset.
//   - Reads use a separate pool of Options.ReadConns query-only connections. A read of an
//     order and its rows is one deferred read transaction: one snapshot, one set of file
//     locks. In WAL mode readers never wait for the writer, nor it for them.
//   - Statements are prepared once per connection and cached (the driver's statement
//     cache), and the query planner stability guarantee is switched on for every
//     connection (see configureConn) so that SQLite does not prepare them again whenever
//     a parameter is bound.
//
// The transaction functions keep the store's single-transaction guarantees: the state
// change, its event row and anything else of one action commit together or not at all,
// and the guards in SQL (UPDATE ... WHERE status = ?) stay what makes an outcome recorded
// once, so nothing depends on there being one process.
//
// # Failure modes
//
//   - A write that returns an error (a domain refusal such as duplicate_reference, or a
//     constraint) is rolled back to its savepoint: its batch-mates are not affected. A
//     write alone in its batch (the common case at low load) runs without a savepoint,
//     and a refusal rolls its transaction back.
//   - A write that panics is rolled back alone; its caller gets an error.
//   - If the batch's transaction cannot begin or commit (disk full, I/O error, a deferred
//     constraint), or a savepoint cannot be set or undone, the whole batch is rolled back
//     and every caller of the batch gets ErrCommitFailed (code "unavailable"), also those
//     whose own write was refused, since a refusal may rest on a batch-mate's change that
//     is now gone. Nothing of the batch is stored; the request may be retried.
//   - When the queue is full the write is refused at once with ErrOverloaded (code
//     "unavailable"); the HTTP layer answers 503 with Retry-After. The store never grows
//     an unbounded backlog.
//   - A caller whose context ends while its write is queued is skipped (context error,
//     nothing written). Once the committer has started a write, its caller waits for the
//     commit: it must not report a failure for a write that is then stored. Statements
//     run under the committer's context, so one caller giving up never interrupts a
//     statement its batch-mates share.
//   - Close stops taking writes (ErrClosed), finishes those queued, then closes.
//   - Another process writing the same file (the sqlite3 shell, a test) takes SQLite's
//     lock in the ordinary way; the busy timeout covers that case only.
//
// # Merchant actions
//
// A capture, void, refund or approval is an Action row. BeginAction checks the request
// against the order (its status, amounts, the sub-dealers' parts, Moka's day rules in
// Turkey time: a void only on the payment's day before 22:00, a refund from the next day,
// a full refund on the day becoming a void) and writes the action pending before Moka is
// called, in the transaction that also claims the Idempotency-Key. FinishAction records
// Moka's answer with the order's change, its event and the key's answer in one
// transaction. A unique partial index allows one pending action per order, so a second
// racing action is refused on any number of processes sharing the database. An action
// whose answer was lost stays pending until reconciliation settles it from Moka's
// records; a refund request stays requested until Moka's refund transaction appears.
//
// An Idempotency-Key (Idem) is stored by the write it answers: the answer bytes are built
// by a callback inside the transaction, so a crash keeps both or neither, and the key is
// checked inside the transaction, so two requests with one key never both pass.
package orders
