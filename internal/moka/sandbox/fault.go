package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is an injected failure of the Moka services (not of the bank page). The zero
// value means no fault. When several are set, the first that applies wins, in the order
// Status500, Malformed, EX, After.
type Fault struct {
	// Latency delays every matching answer.
	Latency time.Duration
	// Status500 answers HTTP 500 with an HTML body, like a broken load balancer.
	Status500 bool
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
	// EX answers Moka's unexpected-error envelope (ResultCode "EX", Data null) without
	// acting, for services that have no amount to trigger it with.
	EX bool
	// After lets the service act and then loses its answer, so a caller can test
	// "Moka did it, but we never heard".
	After AfterMode
	// Path limits the fault to one service path (e.g. moka.PathCapture); "" means all.
	Path string
}

// AfterMode says how the answer is lost after a service has acted.
type AfterMode string

// Ways to lose an answer after the fact.
const (
	AfterNone AfterMode = ""
	// After500 answers HTTP 500 in place of the real answer.
	After500 AfterMode = "500"
	// AfterHang answers nothing until the caller gives up (or maxHang passes, when the
	// connection is dropped).
	AfterHang AfterMode = "hang"
)

// maxHang bounds AfterHang for a caller that never gives up, so the server can still
// shut down.
const maxHang = 2 * time.Minute

// maxLatency bounds the latency the control endpoint accepts.
const maxLatency = 5 * time.Minute

// FaultPath is the sandbox's own control endpoint: POST sets the fault, DELETE clears it,
// GET reads it; each answers the current fault as JSON. It lies outside Moka's
// /PaymentDealer/ paths so no Moka call can reach it.
const FaultPath = "/_sandbox/fault"

// SetFault injects f into the Moka services until it is replaced; SetFault(Fault{})
// clears it.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// CurrentFault returns the fault in force.
func (s *Server) CurrentFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// service wraps a Moka service handler with fault injection.
func (s *Server) service(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.fault
		if s.cfg.SessionTimeout > 0 {
			s.expireSessions(s.now().Add(-s.cfg.SessionTimeout))
		}
		if s.cfg.RefundDelay > 0 {
			s.completeRefunds(s.now().Add(-s.cfg.RefundDelay))
		}
		s.mu.Unlock()
		if f.Path != "" && f.Path != r.URL.Path {
			f = Fault{}
		}
		if f.Latency > 0 && !sleep(r, f.Latency) {
			return
		}
		switch {
		case f.Status500:
			write500(w)
		case f.Malformed:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(`{"Data":{"IsSuccessful":tru`))
		case f.EX:
			writeEX(w, "fault EX injected")
		case f.After == After500:
			h(discard(), r)
			write500(w)
		case f.After == AfterHang:
			h(discard(), r)
			if !sleep(r, maxHang) {
				return
			}
			// Drop the connection without an answer, as a dead proxy would.
			panic(http.ErrAbortHandler)
		default:
			h(w, r)
		}
	}
}

// sleep waits d, or less when the caller goes away; it reports whether d passed.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func write500(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte("<html><body><h1>500 - Internal server error.</h1></body></html>"))
}

// discardWriter swallows an answer that a Fault.After loses.
type discardWriter struct{ h http.Header }

func discard() *discardWriter                        { return &discardWriter{h: http.Header{}} }
func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// faultJSON is a Fault as the control endpoint reads and writes it.
type faultJSON struct {
	Latency   string `json:"latency"`
	Status500 bool   `json:"status500"`
	Malformed bool   `json:"malformed"`
	EX        bool   `json:"ex"`
	After     string `json:"after"`
	Path      string `json:"path"`
}

func (f Fault) toJSON() faultJSON {
	j := faultJSON{Status500: f.Status500, Malformed: f.Malformed, EX: f.EX, After: string(f.After), Path: f.Path}
	if f.Latency > 0 {
		j.Latency = f.Latency.String()
	}
	return j
}

// handleFault serves FaultPath. It needs no credentials, like the rest of the sandbox,
// but refuses a browser request from another origin: a page on the web must not be able
// to switch faults on in someone's demo with a cross-site form post.
func (s *Server) handleFault(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && o != s.public {
		writeFaultError(w, http.StatusForbidden, "cross-origin requests are refused")
		return
	}
	switch r.Method {
	case http.MethodPost:
		f, err := s.readFault(r)
		if err != nil {
			writeFaultError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.SetFault(f)
	case http.MethodDelete:
		s.SetFault(Fault{})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(s.CurrentFault().toJSON())
}

func writeFaultError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// readFault reads a JSON body or form fields (latency, status500, malformed, ex, after,
// path). Latency is a Go duration ("250ms", "2s") or a whole number of milliseconds;
// path is a service path or its last segment ("DoCapture"). What is not given is off:
// a POST replaces the fault, it does not add to it.
func (s *Server) readFault(r *http.Request) (Fault, error) {
	var j faultJSON
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var in struct {
			Latency   json.RawMessage `json:"latency"`
			Status500 bool            `json:"status500"`
			Malformed bool            `json:"malformed"`
			EX        bool            `json:"ex"`
			After     string          `json:"after"`
			Path      string          `json:"path"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return Fault{}, errors.New("body is not a fault object: " + err.Error())
		}
		j = faultJSON{Status500: in.Status500, Malformed: in.Malformed, EX: in.EX, After: in.After, Path: in.Path}
		if l := strings.TrimSpace(string(in.Latency)); l != "" && l != "null" {
			if err := json.Unmarshal(in.Latency, &j.Latency); err != nil {
				j.Latency = l // a bare number of milliseconds
			}
		}
	} else {
		if err := r.ParseMultipartForm(1 << 16); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return Fault{}, errors.New("unreadable form")
		}
		var err error
		flag := func(name string) bool {
			v := strings.TrimSpace(r.PostFormValue(name))
			if v == "" {
				return false
			}
			if v == "on" {
				return true
			}
			b, e := strconv.ParseBool(v)
			if e != nil && err == nil {
				err = errors.New(name + " must be true or false")
			}
			return b
		}
		j = faultJSON{
			Latency: r.PostFormValue("latency"), Status500: flag("status500"), Malformed: flag("malformed"),
			EX: flag("ex"), After: r.PostFormValue("after"), Path: r.PostFormValue("path"),
		}
		if err != nil {
			return Fault{}, err
		}
	}
	return s.faultFrom(j)
}

func (s *Server) faultFrom(j faultJSON) (Fault, error) {
	f := Fault{Status500: j.Status500, Malformed: j.Malformed, EX: j.EX}
	if l := strings.TrimSpace(j.Latency); l != "" {
		d, err := time.ParseDuration(l)
		if err != nil {
			ms, err2 := strconv.ParseInt(l, 10, 64)
			if err2 != nil {
				return Fault{}, errors.New(`latency must be a duration such as "250ms" or a number of milliseconds`)
			}
			d = time.Duration(ms) * time.Millisecond
		}
		if d < 0 || d > maxLatency {
			return Fault{}, errors.New("latency must be between 0 and " + maxLatency.String())
		}
		f.Latency = d
	}
	switch a := AfterMode(strings.TrimSpace(j.After)); a {
	case AfterNone, After500, AfterHang:
		f.After = a
	default:
		return Fault{}, errors.New(`after must be "", "500" or "hang"`)
	}
	if p := strings.TrimSpace(j.Path); p != "" {
		if !strings.HasPrefix(p, "/") {
			p = "/PaymentDealer/" + p
		}
		if !s.services[p] {
			return Fault{}, errors.New("path is not a Moka service of this sandbox")
		}
		f.Path = p
	}
	return f, nil
}
