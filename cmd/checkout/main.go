// Command checkout runs the hosted 3-D Secure checkout, the Moka sandbox, or both (demo).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "checkout:", err)
		os.Exit(1)
	}
}

// run is the whole program; main only wires the process to it so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 && (args[1] == "--version" || args[1] == "-version" || args[1] == "version") {
		fmt.Fprintln(stdout, "checkout", version)
		return nil
	}
	_ = ctx
	_ = getenv
	_ = stderr
	return fmt.Errorf("not implemented yet")
}
