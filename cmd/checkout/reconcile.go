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
// accounts of the configured checkout (or of demo mode without a config), then sweeps
// Moka's payment list over the last -sweep (48h by default; 0 skips it), and prints what
// it changed. It may run while the server runs: the store waits for SQLite's lock like any
// second process, and every change is guarded as the server's own passes are.
func runReconcile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	path := fs.String("config", getenv(config.EnvConfig), "config file (default $"+config.EnvConfig+"; none: demo mode's)")
	sweep := fs.Duration("sweep", 48*time.Hour, "sweep Moka's payment list over this much of the past (0: no sweep)")
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
	key, err := codeForHashKey(cfg)
	if err != nil {
		return err
	}
	// With the server's key: the pass reads sealed CodeForHash values of attempts.
	store, err := openStore(ctx, cfg, time.Now, orders.Options{SealKey: key})
	if err != nil {
		return err
	}
	defer store.Close()
	rec := reconciler(cfg, store, log, nil)
	rec.SweepEvery = -1 // swept below, with its own report
	rep, err := rec.RunOnce(ctx)
	fmt.Fprintf(stdout, "reconciled %s: expired %d, paid %d, abandoned %d, actions settled %d, flagged for review %d, left for later %d\n",
		storeName(cfg), rep.Expired, rep.Paid, rep.Abandoned, rep.Actions, rep.Flagged, rep.Left)
	if err != nil || *sweep <= 0 {
		return err
	}
	now := time.Now()
	srep, err := rec.Sweep(ctx, now.Add(-*sweep), now)
	fmt.Fprintf(stdout, "swept Moka's payments from %s to %s (%d merchants): %d successful, %d ours not recorded as paid: recorded %d, flagged for review %d, left for later %d\n",
		srep.From.UTC().Format(time.RFC3339), srep.To.UTC().Format(time.RFC3339), srep.Merchants,
		srep.Payments, srep.Unpaid, srep.Recorded, srep.Flagged, srep.Left)
	for _, f := range srep.Found {
		what := "recorded as paid"
		switch {
		case f.Recorded && f.Flagged != "":
			what += ", flagged for review: " + string(f.Flagged)
		case f.Flagged != "":
			what = "flagged for review: " + string(f.Flagged)
		}
		fmt.Fprintf(stdout, "  order %s (Moka reference %s): %s\n", f.OrderID, f.OtherTrxCode, what)
	}
	return err
}
