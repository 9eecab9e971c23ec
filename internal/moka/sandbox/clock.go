package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// ClockPath is the sandbox's clock control endpoint: GET reads the sandbox's now, POST
// moves it (JSON or form field "offset", a Go duration such as "26h" or "-30m", or "now",
// an RFC 3339 time), DELETE goes back to real time. Each answers the clock as JSON. Like
// FaultPath it lies outside Moka's /PaymentDealer/ paths.
const ClockPath = "/_sandbox/clock"

// maxClockOffset bounds how far the control endpoint moves the clock, so a typo such as
// "26000h" is refused rather than making every test card expired.
const maxClockOffset = 10 * 365 * 24 * time.Hour

// now is the sandbox's clock: Config.Now (or time.Now) moved by the offset set with
// SetClockOffset, SetNow or ClockPath. Everything time-based in the sandbox reads it.
// It takes no lock on s.mu, so it is safe to call with s.mu held.
func (s *Server) now() time.Time {
	return s.baseNow().Add(time.Duration(s.offset.Load()))
}

// Now returns the sandbox's current time, as its services see it.
func (s *Server) Now() time.Time { return s.now() }

// SetClockOffset moves the sandbox's clock d away from its base clock (Config.Now, or
// the real time): SetClockOffset(26*time.Hour) makes today's payments yesterday's, and
// SetClockOffset(0) goes back. The clock keeps running from there.
func (s *Server) SetClockOffset(d time.Duration) { s.offset.Store(int64(d)) }

// ClockOffset returns the offset set with SetClockOffset or SetNow.
func (s *Server) ClockOffset() time.Duration { return time.Duration(s.offset.Load()) }

// SetNow moves the sandbox's clock so that it reads t now; it keeps running from there.
func (s *Server) SetNow(t time.Time) { s.SetClockOffset(t.Sub(s.baseNow())) }

// clockJSON is the clock as the control endpoint writes it.
type clockJSON struct {
	Now    string `json:"now"`
	Offset string `json:"offset"`
}

func (s *Server) clockJSON() clockJSON {
	return clockJSON{Now: s.now().In(istanbul).Format(time.RFC3339Nano), Offset: s.ClockOffset().String()}
}

// handleClock serves ClockPath. Like handleFault it needs no credentials but refuses a
// browser request from another origin, so a web page cannot move the clock of someone's
// demo with a cross-site form post.
func (s *Server) handleClock(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && o != s.public {
		writeFaultError(w, http.StatusForbidden, "cross-origin requests are refused")
		return
	}
	switch r.Method {
	case http.MethodPost:
		d, err := s.readClock(r)
		if err != nil {
			writeFaultError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.SetClockOffset(d)
	case http.MethodDelete:
		s.SetClockOffset(0)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(s.clockJSON())
}

// readClock reads a JSON body or form fields with exactly one of offset (a Go duration)
// and now (RFC 3339) and returns the offset they ask for.
func (s *Server) readClock(r *http.Request) (time.Duration, error) {
	var in struct {
		Offset string `json:"offset"`
		Now    string `json:"now"`
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return 0, errors.New("body is not a clock object: " + err.Error())
		}
	} else {
		if err := r.ParseMultipartForm(1 << 16); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return 0, errors.New("unreadable form")
		}
		in.Offset, in.Now = r.PostFormValue("offset"), r.PostFormValue("now")
	}
	offset, now := strings.TrimSpace(in.Offset), strings.TrimSpace(in.Now)
	var d time.Duration
	switch {
	case offset != "" && now != "":
		return 0, errors.New("give offset or now, not both")
	case offset != "":
		var err error
		if d, err = time.ParseDuration(offset); err != nil {
			return 0, errors.New(`offset must be a duration such as "26h" or "-30m"`)
		}
	case now != "":
		t, err := time.Parse(time.RFC3339Nano, now)
		if err != nil {
			return 0, errors.New(`now must be an RFC 3339 time such as "2026-03-01T21:59:00+03:00"`)
		}
		d = t.Sub(s.baseNow())
	default:
		return 0, errors.New("give offset or now (DELETE goes back to real time)")
	}
	if d < -maxClockOffset || d > maxClockOffset {
		return 0, errors.New("the clock can move at most " + maxClockOffset.String() + " either way")
	}
	return d, nil
}
