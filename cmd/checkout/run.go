package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
)

const usage = `Usage: checkout [command] [flags]

Commands:
  (none)       demo mode: checkout on 127.0.0.1:8080, Moka sandbox on :8081, example
               storefront on :8082, SQLite at ./data/checkout.db; prints the demo API key
               and a ready checkout link
  serve        run from a config file: -config FILE or CHECKOUT_CONFIG
               (see configs/checkout.example.yaml); also starts the sandbox and the
               storefront when the config enables them
  sandbox      run the Moka sandbox alone: -addr 127.0.0.1:8081 (or CHECKOUT_SANDBOX_ADDR),
               -public-url (or CHECKOUT_SANDBOX_PUBLIC_URL)
  link         print a signed storefront link: -merchant -reference -amount -currency
               -description -installments -return-url -locale -expires [-config FILE]
  user         dashboard users in the configured database: "user add -merchant M -email E"
               (password on stdin, 12+ characters), "user disable -email E"; -config FILE
  migrate      apply the database's pending migrations and exit: -config FILE or
               CHECKOUT_CONFIG (SQLite or PostgreSQL, as store.driver says)
  reconcile    run one reconciliation pass by hand and print what it changed:
               [-config FILE] (none: demo mode's database and sandbox)
  healthcheck  exit 0 when the server answers: -url (default /healthz at CHECKOUT_ADDR,
               a 0.0.0.0 host as 127.0.0.1; http://127.0.0.1:8080/healthz without it)
  loadtest     load test a demo checkout over HTTP: flows/s, latencies, errors, CPU
  version      print the version (also --version)
  help         print this help (also -h)

Run "checkout <command> -h" for a command's flags.
`

// run is the whole program; main only wires the process to it so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var rest []string
	if len(args) > 1 {
		rest = args[1:]
	}
	if len(rest) == 0 {
		return runDemo(ctx, getenv, stdout, stderr)
	}
	cmd, flags := rest[0], rest[1:]
	switch cmd {
	case "demo":
		return runDemo(ctx, getenv, stdout, stderr)
	case "serve":
		return runServe(ctx, flags, getenv, stdout, stderr)
	case "sandbox":
		return runSandbox(ctx, flags, getenv, stdout, stderr)
	case "link":
		return runLink(flags, getenv, time.Now(), stdout, stderr)
	case "user":
		// run has no stdin of its own (the signature is fixed); only this command reads it.
		return runUser(ctx, flags, getenv, os.Stdin, stdout, stderr, bcryptCost)
	case "migrate":
		return runMigrate(ctx, flags, getenv, stdout, stderr)
	case "reconcile":
		return runReconcile(ctx, flags, getenv, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, flags, getenv, stdout, stderr)
	case "loadtest":
		return runLoadtest(ctx, flags, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "checkout", buildVersion())
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// parseFlags parses a subcommand's flags; -h prints them and ends the command without error.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (done bool, err error) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return true, err
	}
	if fs.NArg() > 0 {
		return true, fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return false, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := fs.String("config", getenv(config.EnvConfig), "config file (default $"+config.EnvConfig+")")
	if done, err := parseFlags(fs, args, stderr); done {
		return err
	}
	if *path == "" {
		return fmt.Errorf("serve: no config file: pass -config FILE or set %s (see configs/checkout.example.yaml), or run without arguments for demo mode", config.EnvConfig)
	}
	cfg, err := config.Load(*path, getenv, os.ReadFile)
	if err != nil {
		return err
	}
	return start(ctx, cfg, stdout, stderr, nil)
}

// runSandbox runs the Moka sandbox alone. CHECKOUT_SANDBOX_ADDR and
// CHECKOUT_SANDBOX_PUBLIC_URL, the same settings `checkout serve` reads, give the
// defaults; the flags win over them.
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	defaultAddr := getenv(config.EnvSandboxAddr)
	if defaultAddr == "" {
		defaultAddr = config.DefaultSandboxAddr
	}
	addr := fs.String("addr", defaultAddr, "listen address (overrides $"+config.EnvSandboxAddr+")")
	publicURL := fs.String("public-url", getenv(config.EnvSandboxPublicURL),
		"URL browsers reach the sandbox at (overrides $"+config.EnvSandboxPublicURL+"; default http://<addr>)")
	if done, err := parseFlags(fs, args, stderr); done {
		return err
	}
	if *publicURL == "" {
		*publicURL = config.URLForAddr(*addr)
	}
	log := newLogger(stderr, 0)
	h := sandbox.New(sandbox.DemoConfig(*publicURL))
	return serveAll(ctx, log, []service{{name: "sandbox", addr: *addr, url: *publicURL, handler: h}}, shutdownTimeout, func() {
		fmt.Fprintf(stdout, "Moka sandbox: %s\nDealer: %s / %s / %s\n", *publicURL,
			config.DemoDealerCode, config.DemoMokaUsername, config.DemoMokaPassword)
	})
}

// runHealthcheck asks the checkout's /healthz. Without -url it asks where CHECKOUT_ADDR
// says the server listens, so a container that moves the port (the Docker HEALTHCHECK
// runs in the same environment as the server) needs no second setting.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	url := fs.String("url", healthURL(getenv), "health endpoint (default from $"+config.EnvAddr+")")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after")
	if done, err := parseFlags(fs, args, stderr); done {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", *url, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// healthURL is the /healthz URL of the server listening at CHECKOUT_ADDR, or at the
// default address when that is unset; a wildcard host (0.0.0.0, ::, none) is asked on
// 127.0.0.1.
func healthURL(getenv func(string) string) string {
	addr := getenv(config.EnvAddr)
	if addr == "" {
		addr = config.DefaultAddr
	}
	return config.URLForAddr(addr) + "/healthz"
}
