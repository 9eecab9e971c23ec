package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/orders"
)

// openStore opens the configured store: the SQLite file at cfg.DB, or the PostgreSQL
// database of cfg.Store.DSN. Either applies pending migrations before it returns. Every
// command that opens the database goes through here, so they all open the same one.
func openStore(ctx context.Context, cfg *config.Config, clock func() time.Time, opts orders.Options) (*orders.Store, error) {
	switch cfg.Store.Driver {
	case config.DriverSQLite:
		return orders.OpenWith(ctx, cfg.DB, clock, opts)
	case config.DriverPostgres:
		return orders.OpenPostgres(ctx, cfg.Store.DSN.Value(), clock, opts)
	}
	return nil, fmt.Errorf("store.driver: %q is not one of %s, %s", cfg.Store.Driver, config.DriverSQLite, config.DriverPostgres)
}

// storeName says which database cfg names, for people: the driver and the SQLite path,
// or the PostgreSQL DSN without its password (nothing of a DSN that cannot be read).
func storeName(cfg *config.Config) string {
	if cfg.Store.Driver != config.DriverPostgres {
		return cfg.Store.Driver + " " + cfg.DB
	}
	if dsn := config.DSNWithoutSecrets(cfg.Store.DSN.Value()); dsn != "" {
		return cfg.Store.Driver + " " + dsn
	}
	return cfg.Store.Driver
}

// runMigrate opens the configured store, which applies the pending migrations, and
// exits. With several instances on one PostgreSQL database it runs once before they
// start (compose.yaml's migrate service); the servers would apply the same migrations
// on start, under the same lock.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	path := fs.String("config", getenv(config.EnvConfig), "config file (default $"+config.EnvConfig+")")
	if done, err := parseFlags(fs, args, stderr); done {
		return err
	}
	if *path == "" {
		// No demo fallback: demo mode migrates its own database when it starts.
		return fmt.Errorf("migrate: no config file: pass -config FILE or set %s, the same as for checkout serve", config.EnvConfig)
	}
	cfg, err := config.Load(*path, getenv, os.ReadFile)
	if err != nil {
		return err
	}
	// A configured CodeForHash key is checked too: a key that does not open the
	// database's sealed values stops here, before any server starts with it. Without
	// one (SQLite only) no key file is made: that is for the server's first start.
	var opts orders.Options
	if k := cfg.CodeForHashKey.Value(); k != "" {
		opts.SealKey = []byte(k)
	}
	store, err := openStore(ctx, cfg, time.Now, opts)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := store.Close(); err != nil {
		return fmt.Errorf("migrate: close database: %w", err)
	}
	fmt.Fprintf(stdout, "migrate: %s: migrations applied\n", storeName(cfg))
	return nil
}
