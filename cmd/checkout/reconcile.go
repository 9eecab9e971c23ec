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

// runReconcile runs one reconciliation pass by hand, on the database and with the Moka
// accounts of the configured checkout (or of demo mode without a config), and prints what
// it changed. It may run while the server runs: the store waits for SQLite's lock like any
// second process, and every change is guarded as the server's own passes are.
func runReconcile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	path := fs.String("config", getenv(config.EnvConfig), "config file (default $"+config.EnvConfig+"; none: demo mode's)")
	if done, err := parseFlags(fs, args, stderr); done {
		return err
	}
	cfg := config.Demo(getenv)
	if *path != "" {
		var err error
		if cfg, err = config.Load(*path, getenv, os.ReadFile); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	store, err := orders.Open(ctx, cfg.DB, time.Now)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := reconciler(cfg, store, log, nil).RunOnce(ctx)
	fmt.Fprintf(stdout, "reconciled %s: expired %d, paid %d, abandoned %d, actions settled %d, left for later %d\n",
		cfg.DB, rep.Expired, rep.Paid, rep.Abandoned, rep.Actions, rep.Left)
	return err
}
