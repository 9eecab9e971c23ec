package moka

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one Moka call when no WithTimeout option is given.
const DefaultTimeout = 30 * time.Second

// maxResponseBytes bounds how much of an answer is read. Moka's largest answer is a
// 1000-record transaction list: with two sub-dealers per payment that is about 1.4 MB
// (measured on the sandbox), so the bound leaves room for payments split many ways.
const maxResponseBytes = 8 << 20

// Client calls the Moka API for one dealer. It is safe for concurrent use and never logs:
// request bodies carry card data.
type Client struct {
	baseURL string
	auth    Authentication
	http    *http.Client
	timeout time.Duration
	observe func(service, result string, d time.Duration)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the HTTP client, e.g. for a proxy or a test transport. The
// default client follows no redirects; a replacement should not either.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithObserver calls observe after every call with the service ("DoCapture"), its result
// ("Success", Moka's result code, "timeout", "unavailable", "http_<status>" or
// "malformed") and how long it took: for metrics. It never sees the request.
func WithObserver(observe func(service, result string, d time.Duration)) Option {
	return func(c *Client) { c.observe = observe }
}

// WithTimeout bounds each call, on top of any deadline of the caller's context.
// Zero or a negative value keeps the default.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// New returns a client for the dealer creds at baseURL (scheme and host, e.g. Moka's test
// host or our sandbox; a trailing slash is ignored). The base URL is configuration because
// test, live and sandbox hosts differ.
func New(baseURL string, creds Credentials, opts ...Option) *Client {
	c := &Client{
		baseURL: strings.TrimRight(strings.TrimSpace(baseURL), "/"),
		auth:    creds.Authentication(),
		http:    &http.Client{Transport: sharedTransport, CheckRedirect: refuseRedirect},
		timeout: DefaultTimeout,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// sharedTransport is the default clients' connection pool, shared by every dealer's
// client: keep-alive connections with room for as many idle connections per host as a
// busy checkout has Moka calls in flight (net/http keeps only 2 by default, so under load
// every other call would open, and TIME_WAIT, a new connection and TLS session).
var sharedTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return t
}()

// CloseIdleConnections closes the default clients' idle connections to Moka. A server
// shutting down calls it once its own requests are done: a connection dialed for a burst
// of calls but never used looks new to the other end, and a Go server (the in-process
// sandbox) would wait seconds for it before it stops.
func CloseIdleConnections() { sharedTransport.CloseIdleConnections() }

// refuseRedirect stops the default client from following redirects: a 307 or 308 would
// send the body, card data included, to wherever Moka's answer points. The 3xx answer is
// then returned as a *StatusError.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// call posts the envelope of req to path and decodes the answer's Data. It returns
// *Error when Moka's ResultCode is not Success (whatever Data holds), and
// ErrMalformedResponse when a Success carries no Data or Data of the wrong shape.
func call[Req, Data any](ctx context.Context, c *Client, p string, req Req) (_ *Data, err error) {
	service := path.Base(p)
	if c.observe != nil {
		start := time.Now()
		defer func() { c.observe(service, resultOf(err), time.Since(start)) }()
	}
	body, err := json.Marshal(Envelope[Req]{PaymentDealerAuthentication: c.auth, PaymentDealerRequest: req})
	if err != nil {
		// Only a programming error gets here; the cause names a type, not a value.
		return nil, fmt.Errorf("moka %s: encode request: %w", service, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+p, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("moka %s: %w: %w", service, ErrUnavailable, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, transportError(ctx, service, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, transportError(ctx, service, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &StatusError{Service: service, StatusCode: resp.StatusCode}
	}
	if len(raw) > maxResponseBytes {
		return nil, fmt.Errorf("moka %s: %w: answer larger than %d bytes", service, ErrMalformedResponse, maxResponseBytes)
	}

	// Data stays raw until ResultCode is read: a refusal may carry any Data at all (null,
	// "", [], a string), and its code must reach the caller whatever Data holds.
	var out struct {
		Data          json.RawMessage `json:"Data"`
		ResultCode    string          `json:"ResultCode"`
		ResultMessage string          `json:"ResultMessage"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("moka %s: %w: %w", service, ErrMalformedResponse, err)
	}
	code := strings.TrimSpace(out.ResultCode)
	switch {
	case code == "":
		return nil, fmt.Errorf("moka %s: %w: no ResultCode", service, ErrMalformedResponse)
	case code != ResultSuccess:
		return nil, &Error{Service: service, ResultCode: code, ResultMessage: strings.TrimSpace(out.ResultMessage)}
	case len(out.Data) == 0 || string(out.Data) == "null":
		return nil, fmt.Errorf("moka %s: %w: Success without Data", service, ErrMalformedResponse)
	}
	data := new(Data)
	if err := json.Unmarshal(out.Data, data); err != nil {
		return nil, fmt.Errorf("moka %s: %w: Data: %w", service, ErrMalformedResponse, err)
	}
	return data, nil
}

// resultOf names a call's result for metrics: a small, fixed set of values besides
// Moka's own codes.
func resultOf(err error) string {
	var me *Error
	var se *StatusError
	switch {
	case err == nil:
		return ResultSuccess
	case errors.As(err, &me):
		return me.ResultCode
	case errors.As(err, &se):
		return "http_" + strconv.Itoa(se.StatusCode)
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrMalformedResponse):
		return "malformed"
	default:
		return "unavailable"
	}
}

// transportError classifies a failed round trip: a deadline (ours or the caller's) is
// ErrTimeout, anything else ErrUnavailable; both keep the cause for errors.Is, so a
// caller that canceled its own context still finds context.Canceled.
func transportError(ctx context.Context, service string, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("moka %s: %w: %w", service, ErrTimeout, err)
	}
	return fmt.Errorf("moka %s: %w: %w", service, ErrUnavailable, err)
}

// bankCall is call for the services whose Data carries the bank's own verdict: an
// IsSuccessful false under a Success envelope becomes an *Error with Bank set.
func bankCall[Req any](ctx context.Context, c *Client, p string, req Req) (*BankResult, error) {
	res, err := call[Req, BankResult](ctx, c, p, req)
	if err != nil {
		return nil, err
	}
	res.trim()
	if !res.IsSuccessful {
		return nil, &Error{Service: path.Base(p), ResultCode: res.ResultCode, ResultMessage: res.ResultMessage, Bank: true}
	}
	return res, nil
}

func (r *BankResult) trim() {
	r.ResultCode = strings.TrimSpace(r.ResultCode)
	r.ResultMessage = strings.TrimSpace(r.ResultMessage)
	r.VirtualPosOrderID = strings.TrimSpace(r.VirtualPosOrderID)
	r.RefundRequestID = String(strings.TrimSpace(string(r.RefundRequestID)))
}
