//go:build pprof

package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

// A profiling build (go build -tags pprof) serves net/http/pprof on CHECKOUT_PPROF_ADDR,
// a loopback address apart from the checkout's own. The default build has no such
// listener: profiles show what the program is doing, and are for this machine only.
func init() {
	addr := os.Getenv("CHECKOUT_PPROF_ADDR")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !isLoopbackHost(host) {
		fmt.Fprintf(os.Stderr, "checkout: CHECKOUT_PPROF_ADDR %q: want a loopback HOST:PORT; no profiling\n", addr)
		return
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			fmt.Fprintln(os.Stderr, "checkout: pprof:", err)
		}
	}()
}
