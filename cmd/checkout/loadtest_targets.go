package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Several instances behind no load balancer: -target takes a comma-separated list of
// checkouts (sharing one database) and each flow sends its requests to them in turn, so a
// card post may reach another instance than the card page, and the bank's return yet
// another. -pid takes a comma-separated list, and the server's CPU and memory are summed
// over those processes.

// parseTargets reads -target: one or more loopback origins, comma-separated.
func parseTargets(raw string) ([]*url.URL, error) {
	var out []*url.URL
	for part := range strings.SplitSeq(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("loadtest: -target %q: an empty entry in the list", raw)
		}
		u, err := loopbackTarget(part)
		if err != nil {
			return nil, err
		}
		for _, seen := range out {
			if sameOrigin(seen, u) {
				return nil, fmt.Errorf("loadtest: -target %q: %s is listed twice", raw, u)
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// parsePids reads -pid: one or more process ids, comma-separated.
func parsePids(raw string) (procs, error) {
	if raw == "" {
		return nil, nil
	}
	var out procs
	for part := range strings.SplitSeq(raw, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("loadtest: -pid %q: want process ids, comma-separated", raw)
		}
		out = append(out, pid)
	}
	return out, nil
}

func joinURLs(us []*url.URL) string {
	s := make([]string, len(us))
	for i, u := range us {
		s[i] = u.String()
	}
	return strings.Join(s, ",")
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// targets are the checkouts of a run, taken in turn.
type targets struct {
	list []*url.URL
	next atomic.Uint64
}

func newTargets(list []*url.URL) *targets { return &targets{list: list} }

// pick is the next target, round-robin over every request of every flow.
func (t *targets) pick() *url.URL {
	return t.list[(t.next.Add(1)-1)%uint64(len(t.list))]
}

// isCheckout reports whether u points at one of the targets.
func (t *targets) isCheckout(u *url.URL) bool {
	for _, b := range t.list {
		if sameOrigin(b, u) {
			return true
		}
	}
	return false
}

// spread sends a checkout URL (a page, a form's action, a Location, the return URL the
// checkout gave Moka) to to's origin instead: any instance serves any order. A URL
// elsewhere (the bank's pages) is left as it is.
func (t *targets) spread(u, to *url.URL) *url.URL {
	if !t.isCheckout(u) {
		return u
	}
	c := *u
	c.Scheme, c.Host = to.Scheme, to.Host
	return &c
}

// procs are the server processes whose CPU and memory the report sums.
type procs []int

// cpu is the CPU time the processes have used so far, summed.
func (ps procs) cpu() (time.Duration, error) {
	if len(ps) == 0 {
		return 0, errors.New("no pid")
	}
	var sum time.Duration
	for _, pid := range ps {
		c, err := procCPU(pid)
		if err != nil {
			return 0, err
		}
		sum += c
	}
	return sum, nil
}

// pidMemory is one process's memory in a reading.
type pidMemory struct {
	PID          int   `json:"pid"`
	RSSBytes     int64 `json:"rss_bytes"`
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
}

// memReading is the processes' memory at one moment: VmRSS summed, VmHWM summed (each
// process's own peak: they need not have peaked at once), and each process's.
type memReading struct {
	total procMem
	each  []pidMemory
}

// memory reads every process's VmRSS and VmHWM; nil without a pid, or when any cannot be
// read.
func (ps procs) memory() *memReading {
	if len(ps) == 0 {
		return nil
	}
	r := &memReading{}
	for _, pid := range ps {
		m, err := procMemory(pid)
		if err != nil {
			return nil
		}
		r.total.rss += m.rss
		r.total.peak += m.peak
		r.each = append(r.each, pidMemory{PID: pid, RSSBytes: m.rss, PeakRSSBytes: m.peak})
	}
	return r
}

// perProcess is the report's list of each process's memory: only with more than one.
func (r *memReading) perProcess() []pidMemory {
	if r == nil || len(r.each) < 2 {
		return nil
	}
	return r.each
}

// perProcessText is " (pid 12 31.0 MiB, pid 34 30.2 MiB)" for several processes, or "".
func perProcessText(each []pidMemory) string {
	if len(each) < 2 {
		return ""
	}
	parts := make([]string, len(each))
	for i, p := range each {
		parts[i] = fmt.Sprintf("pid %d %.1f MiB", p.PID, mib(p.RSSBytes))
	}
	return "; per process: " + strings.Join(parts, ", ")
}
