package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
)

// The commands' tests (reconcile, user) run on the run's engine: a SQLite file, or in the
// PostgreSQL run (CHECKOUT_TEST_STORE=postgres) a PostgreSQL schema of the test's own.

// storeYAML is the config that commands read alongside cmdStore's environment: with
// PostgreSQL a CodeForHash key is required, so the tests always give one.
const storeYAML = "  code_for_hash_key_env: TEST_CODE_FOR_HASH_KEY\n"

// cmdStore is a fresh database on the run's engine, and adds to env what points a command
// at it: CHECKOUT_DB for a SQLite file; CHECKOUT_STORE_DRIVER and CHECKOUT_STORE_DSN for a
// PostgreSQL schema; and the CodeForHash key that storeYAML names.
func cmdStore(t *testing.T, env map[string]string) storetest.DB {
	t.Helper()
	d := storetest.New(t)
	if d.Postgres {
		env["CHECKOUT_STORE_DRIVER"] = "postgres"
		env["CHECKOUT_STORE_DSN"] = d.DSN
	} else {
		env["CHECKOUT_DB"] = d.Path
	}
	env["TEST_CODE_FOR_HASH_KEY"] = strings.Repeat("cd", 32)
	return d
}

// openCmdStore opens the database a command wrote, as the server would; the caller closes it.
func openCmdStore(t *testing.T, d storetest.DB) *orders.Store {
	t.Helper()
	s, err := d.Try(context.Background(), time.Now, orders.Options{})
	if err != nil {
		t.Fatalf("open the command's store: %v", err)
	}
	return s
}
