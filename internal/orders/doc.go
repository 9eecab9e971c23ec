// Package orders holds the domain of the checkout: orders, payment attempts, merchant
// actions (captures, voids, refunds, pool approvals), Idempotency-Keys and events, the
// card declines counted for the checkout's card-testing limits (velocity.go), the
// status machine that moves an order between states, and the store that keeps them, on
// SQLite (Open, the default: one file, one process) or on PostgreSQL (OpenPostgres: many
// instances on one database). It knows nothing of HTTP or of Moka's wire format.
//
// # One store, two engines
//
// Store is the one API the rest of the checkout uses; the engine under it is chosen when
// it is opened. The queries are written once, with SQLite's ? placeholders (the
// PostgreSQL driver numbers them, see OpenPostgresDB), in SQL both engines run: ON
// CONFLICT instead of INSERT OR IGNORE, TRUE and FALSE, a rowid column on PostgreSQL's
// tables where SQLite has its own. What differs is confined to the engines' files:
//
//   - how a write runs: through the committer on SQLite (below), as its own READ
//     COMMITTED transaction on PostgreSQL (postgres.go);
//   - the schema's types: money is TEXT on both (the decimal exactly as given), times are
//     TEXT in a fixed RFC 3339 layout on SQLite and timestamptz on PostgreSQL (both kept
//     to the microsecond: the store's clock is truncated so, and what a write returns
//     equals what a read gives later), booleans are integers on SQLite and boolean on
//     PostgreSQL; the numbered migrations exist once per dialect, the same numbers in
//     both (migrations/sqlite, migrations/postgres);
//   - constraint errors (isUnique, isForeignKey) and the SQLite engine's files and
//     pragmas.
//
// # How the store writes on SQLite
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
//     cut back to 64 MiB whenever it is reset. The writer keeps its savepoints' statement
//     journal in memory (temp_store=MEMORY): spilled to a temporary file, it cost every
//     batch a file opened, written and closed.
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
// # How the store writes on PostgreSQL
//
// Any number of instances write at once, so every write is a transaction of its own on a
// connection of the store's bounded pool, at READ COMMITTED, PostgreSQL's default:
//
//   - A write locks the order it reads before changing it (SELECT ... FOR UPDATE, done by
//     loadOrder and loadAttempt inside a write, see lockRows), so the writes of one order
//     run one after the other on every instance, each seeing what the previous one
//     committed: what SQLite's single writer gives for free. The guards in SQL and the
//     unique indexes stay what records an outcome once.
//   - An Idempotency-Key is locked (a transaction-scoped advisory lock on its hash)
//     before it is looked up, so two requests with one key on two instances never both
//     pass; the second sees the first's key once it has committed.
//   - The outbox's cursor: PostgreSQL hands out an event's rowid when it is inserted, not
//     when it commits, so EnqueueDeliveries reads the outbox under a SHARE lock on events
//     (it waits for the transactions inserting events, and holds new ones back while it
//     reads) and nothing can appear behind the cursor. Delivery claims skip rows another
//     instance is claiming (FOR UPDATE SKIP LOCKED) and check the lease again.
//   - Background work takes leases in the database (TakeLease): of the instances'
//     reconcilers, one asks Moka about an attempt or an action at a time.
//   - Reads of an order and its rows are one REPEATABLE READ READ ONLY transaction: one
//     snapshot.
//   - Migrations run under an advisory lock: instances starting together apply each once.
//
// Failure modes: a caller whose context ends while it waits for a connection is told so
// and nothing is written; once its transaction has begun it runs to its end, as on
// SQLite. A write chosen as a deadlock's victim (or refused for a serialization failure)
// is run again, up to 10 times; then, and when a commit fails or the database cannot be
// reached, the caller gets ErrCommitFailed (code "unavailable", a 503). More than
// Options.WriteQueue writes running or waiting for a connection are refused at once with
// ErrOverloaded. A commit whose answer is lost (the connection dropped during COMMIT) is
// reported as ErrCommitFailed though it may have committed: every money action is
// written pending before Moka is called and settled from Moka's records, so a retry
// finds the pending row or the Idempotency-Key.
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
