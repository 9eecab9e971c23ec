package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// helloFlag starts the baseline's hello-world server: `checkout loadtest -serve-hello ADDR`.
const helloFlag = "-serve-hello"

// childStopTimeout is how long a child has to stop after SIGINT before it is killed.
const childStopTimeout = 15 * time.Second

// childProcess is a server the harness started from its own binary.
type childProcess struct {
	cmd     *exec.Cmd
	logPath string
	log     *os.File
	done    chan struct{}
	waitErr error
	once    sync.Once
}

// startChild runs this binary with args. The child inherits the environment without any
// CHECKOUT_* variable, so a setting meant for another server cannot change it, plus env.
// Its stderr (the demo's JSON logs, card data redacted) goes to logPath, or nowhere when
// logPath is "". Its stdout is discarded: the demo's banner names the test card, and a
// failed start shows the log's end.
func startChild(args, env []string, logPath string) (*childProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c := &childProcess{logPath: logPath, done: make(chan struct{})}
	c.cmd = exec.Command(exe, args...)
	c.cmd.Env = append(childEnv(os.Environ()), env...)
	if logPath != "" {
		if c.log, err = os.Create(logPath); err != nil {
			return nil, err
		}
		c.cmd.Stderr = c.log
	}
	stopWithParent(c.cmd)
	if err := c.cmd.Start(); err != nil {
		if c.log != nil {
			c.log.Close()
		}
		return nil, err
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func childEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "CHECKOUT_") {
			out = append(out, kv)
		}
	}
	return out
}

func (c *childProcess) pid() int { return c.cmd.Process.Pid }

// stop asks the child to shut down as Ctrl-C would (the demo then closes its database),
// kills it if it has not stopped in time, and waits for it. It may be called again.
func (c *childProcess) stop() {
	c.once.Do(func() {
		select {
		case <-c.done:
		default:
			if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
				_ = c.cmd.Process.Kill()
			}
			select {
			case <-c.done:
			case <-time.After(childStopTimeout):
				_ = c.cmd.Process.Kill()
				<-c.done
			}
		}
		if c.log != nil {
			c.log.Close()
		}
	})
}

// waitHTTP polls u until it answers 200, the child exits, ctx ends or timeout passes.
func (c *childProcess) waitHTTP(ctx context.Context, u string, timeout time.Duration) error {
	client := newLoadClient(1, time.Second)
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-c.done:
			return fmt.Errorf("it exited: %v", c.waitErr)
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer 200 within %s", u, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// logTail is the end of the child's log (the demo's logs pass through redact), to explain
// a failed start.
func (c *childProcess) logTail() string {
	if c.logPath == "" {
		return ""
	}
	b, err := os.ReadFile(c.logPath)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nserver log ends:\n" + string(b)
}

// freeLoopbackAddrs finds n free ports on 127.0.0.1. They are free when it returns; a
// server that takes them a moment later will almost always get them.
func freeLoopbackAddrs(n int) ([]string, error) {
	var addrs []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat. Linux has used
// 100 on every architecture for decades; reading it properly (sysconf(_SC_CLK_TCK)) needs
// cgo or golang.org/x/sys, which this module does not use directly.
const clockTicks = 100

// procCPU is the user plus system CPU time a process has used so far (Linux only).
func procCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, errors.New("no pid")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: fields count from
	// after its closing parenthesis, where field 3 (state) comes first.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("unreadable /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, errors.New("unreadable /proc stat")
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

type procMem struct{ rss, peak int64 }

// procMemory is a process's resident set now (VmRSS) and at its peak (VmHWM), in bytes
// (Linux only).
func procMemory(pid int) (procMem, error) {
	var m procMem
	if pid <= 0 {
		return m, errors.New("no pid")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return m, err
	}
	found := 0
	for line := range strings.Lines(string(b)) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(rest) // "12345 kB"
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if name == "VmRSS" {
			m.rss = kb << 10
		} else {
			m.peak = kb << 10
		}
		found++
	}
	if found != 2 {
		return m, errors.New("no VmRSS or VmHWM")
	}
	return m, nil
}

// serveHello is the baseline's server: echo answering GET / with "Hello, World!", with the
// same http.Server settings as the checkout, until ctx ends.
func serveHello(ctx context.Context, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !isLoopbackHost(host) {
		return fmt.Errorf("loadtest: %s %q: want a loopback HOST:PORT", helloFlag, addr)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "Hello, World!") })
	log := slog.New(slog.DiscardHandler)
	return serveAll(ctx, log, []service{{name: "hello", addr: addr, url: "http://" + addr, handler: e}}, time.Second, nil)
}

// baselineReport is the echo hello-world server's throughput, measured like the checkout.
type baselineReport struct {
	Concurrency       int      `json:"concurrency"`
	Duration          string   `json:"duration"`
	HelloRequests     int      `json:"hello_requests"`
	HelloErrors       int      `json:"hello_errors"`
	HelloReqPerSec    float64  `json:"hello_requests_per_second"`
	CheckoutReqPerSec float64  `json:"checkout_requests_per_second"`
	Ratio             *float64 `json:"ratio"`
}

// runBaseline starts the hello-world server in its own process and runs a closed loop of
// GET / against it with the same client settings, at concurrency conc.
func runBaseline(ctx context.Context, o loadOptions, conc int) (*baselineReport, error) {
	addrs, err := freeLoopbackAddrs(1)
	if err != nil {
		return nil, fmt.Errorf("loadtest: baseline: %w", err)
	}
	c, err := startChild([]string{"loadtest", helloFlag, addrs[0]}, nil, "")
	if err != nil {
		return nil, fmt.Errorf("loadtest: baseline: start the hello server: %w", err)
	}
	defer c.stop()
	u := "http://" + addrs[0] + "/"
	if err := c.waitHTTP(ctx, u, serverStartTimeout); err != nil {
		return nil, fmt.Errorf("loadtest: baseline: the hello server did not start: %w", err)
	}
	client := newLoadClient(conc, o.timeout)
	defer client.CloseIdleConnections()
	hello := helloFlow(client, u)

	bo := o
	bo.mode, bo.workers = "closed", conc
	if w := min(o.warmup, time.Second); w > 0 {
		if _, err := runPhase(ctx, bo, w, hello, newRecorder([]string{"hello"})); err != nil {
			return nil, err
		}
	}
	rec := newRecorder([]string{"hello"})
	ph, err := runPhase(ctx, bo, o.baseline, hello, rec)
	if err != nil {
		return nil, err
	}
	s := rec.snapshot()
	b := &baselineReport{Concurrency: conc, Duration: o.baseline.String(), HelloRequests: s.ok, HelloErrors: s.failed}
	if el := ph.elapsed(); el > 0 {
		b.HelloReqPerSec = float64(s.ok) / el.Seconds()
	}
	return b, nil
}

// helloFlow is the baseline's "flow": one GET / answered 200.
func helloFlow(client *http.Client, u string) flowFunc {
	clk := realClock{}
	return func(ctx context.Context, scheduled time.Time) flowResult {
		requests := 0
		r := runSteps(ctx, clk, scheduled, []step{{"hello", func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return kindErr("request")
			}
			req.Header.Set("User-Agent", "checkout-loadtest")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			requests++
			_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
			resp.Body.Close()
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return statusErr(resp.StatusCode)
			}
			return nil
		}}})
		r.requests = requests
		return r
	}
}
