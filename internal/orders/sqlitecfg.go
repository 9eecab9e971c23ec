package orders

/*
// The SQLite library is the one compiled into github.com/mattn/go-sqlite3; its symbols
// are linked into the same binary. They are declared weak so that cgo's own trial link of
// this package alone (which lacks them) succeeds; the program's link binds them to the
// driver's definitions, and configureConn fails (so Open fails) should they be missing.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
extern int sqlite3_db_config(sqlite3 *, int op, ...) __attribute__((weak));
extern sqlite3_stmt *sqlite3_next_stmt(sqlite3 *, sqlite3_stmt *) __attribute__((weak));
extern int sqlite3_stmt_status(sqlite3_stmt *, int op, int reset) __attribute__((weak));

#define CHECKOUT_DBCONFIG_ENABLE_QPSG 1007
#define CHECKOUT_STMTSTATUS_REPREPARE 5

// checkout_enable_qpsg turns on the query planner stability guarantee and reports
// whether it is on afterwards (1), off (0), or the call failed (-1).
static int checkout_enable_qpsg(void *db) {
	int on = -1;
	if (!sqlite3_db_config) return -1;
	if (sqlite3_db_config((sqlite3 *)db, CHECKOUT_DBCONFIG_ENABLE_QPSG, 1, &on) != 0) return -1;
	return on;
}

// checkout_reprepares sums, over the connection's live statements, how often SQLite had
// to prepare them again.
static long checkout_reprepares(void *db) {
	long n = 0;
	sqlite3_stmt *s = 0;
	if (!sqlite3_next_stmt || !sqlite3_stmt_status) return -1;
	while ((s = sqlite3_next_stmt((sqlite3 *)db, s)) != 0) {
		n += sqlite3_stmt_status(s, CHECKOUT_STMTSTATUS_REPREPARE, 0);
	}
	return n;
}
*/
import "C"

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// driverName is the SQLite driver as the store registers it: mattn's, with a hook that
// configures every new connection. writerDriverName is the same for the write connection,
// which also bounds the WAL file.
const (
	driverName       = "sqlite3_checkout"
	writerDriverName = "sqlite3_checkout_writer"
)

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: configureConn})
	sql.Register(writerDriverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		if err := configureConn(c); err != nil {
			return err
		}
		// The writer checkpoints (SQLite's default: once the WAL holds 1000 pages), and
		// only the writer can: it is the one connection that sees the WAL fully copied
		// back and starts it again from the beginning. A checkpointer on another
		// connection never catches up with a writer that commits without pause, and the
		// WAL then grows without bound. The WAL file is cut back to 64 MiB when reset.
		//
		// The statement journal of each write's SAVEPOINT (the pages a write changes that
		// were already dirty in its batch, kept so that a refused write can be undone
		// alone) stays in memory. SQLite's default spills it past 64 KiB into a new
		// temporary file, which a batch of a few dozen writes always passed: every such
		// batch opened, wrote and closed a file (measured under load: more bytes written
		// to those files than to the WAL). It holds nothing that must survive a crash;
		// the WAL does.
		_, err := c.Exec("PRAGMA wal_autocheckpoint = 1000; PRAGMA journal_size_limit = 67108864; PRAGMA temp_store = MEMORY", nil)
		return err
	}})
}

// configureConn turns on SQLite's query planner stability guarantee (QPSG) for a new
// connection. Without it SQLite lets the values bound to `col = ?` steer the query plan:
// it marks such statements to be prepared again whenever a parameter is bound, and the
// driver binds every parameter on every run, so a cached statement was compiled twice per
// use (~44% of an order read's CPU). The build flag SQLITE_ENABLE_QPSG would do the same
// but cannot come from this repository (cgo flags of a dependency are set only by the
// environment), so it is switched on here per connection, through sqlite3_db_config.
func configureConn(c *sqlite3.SQLiteConn) error {
	db, err := rawHandle(c)
	if err != nil {
		return err
	}
	if C.checkout_enable_qpsg(db) != 1 {
		return errors.New("sqlite: cannot enable the query planner stability guarantee")
	}
	return nil
}

// rawHandle is the connection's sqlite3* handle. The driver keeps it in an unexported
// field; a driver version that renames it fails here, at Open, and in the store's tests.
func rawHandle(c *sqlite3.SQLiteConn) (unsafe.Pointer, error) {
	f := reflect.ValueOf(c).Elem().FieldByName("db")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil, fmt.Errorf("sqlite: the driver's connection has no usable handle (%s)", f.Kind())
	}
	return f.UnsafePointer(), nil
}

// reprepares is how often the statements alive on conn were prepared again.
func reprepares(conn *sql.Conn) (int64, error) {
	var n int64
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("not a SQLite connection: %T", dc)
		}
		db, err := rawHandle(c)
		if err != nil {
			return err
		}
		if n = int64(C.checkout_reprepares(db)); n < 0 {
			return errors.New("sqlite: statement status unavailable")
		}
		return nil
	})
	return n, err
}
