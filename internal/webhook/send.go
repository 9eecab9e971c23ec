package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mokacheckout/checkout/internal/redact"
)

// excerptLen is how much of an answer's body a try keeps.
const excerptLen = 1 << 10

// userAgent names us to receivers.
const userAgent = "mokacheckout-webhooks/1"

// answer is what a receiver said to one try.
type answer struct {
	status     int
	excerpt    string
	retryAfter time.Duration
}

// post makes one try: the signed POST of body to ep. Any answer but a 2xx is an error.
func (w *Worker) post(ctx context.Context, ep Endpoint, id string, body []byte, now time.Time) (answer, error) {
	if err := checkURL(ep.URL, w.opts.AllowInsecure); err != nil {
		return answer{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(ep.Secrets, id, now, body))
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, excerptLen))
	// Read a little more so that the connection can be used again, but never much.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	a := answer{status: resp.StatusCode, excerpt: excerpt(head)}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return a, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return a, fmt.Errorf("HTTP %d: redirects are not followed; set webhook_url to where it leads (%q)",
			resp.StatusCode, resp.Header.Get("Location"))
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		a.retryAfter = time.Duration(s) * time.Second
	}
	return a, fmt.Errorf("HTTP %d", resp.StatusCode)
}

// excerpt is the start of an answer as a try keeps it: valid UTF-8, with anything that
// looks like a card number masked (a receiver may echo what we sent, or worse).
func excerpt(b []byte) string {
	return redact.Digits(strings.ToValidUTF8(string(b), "\uFFFD"))
}
