package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
)

// flowStepNames are the timed steps of one buyer payment, in order. "bank" covers the two
// requests to the sandbox's bank page (GET the page, POST the OTP).
var flowStepNames = []string{"create", "page", "submit", "bank", "return", "status"}

// requestsPerFlow is how many HTTP requests one whole flow sends.
const requestsPerFlow = 7

// maxBody bounds what the harness reads of one answer.
const maxBody = 1 << 20

// payTarget is what every flow shares: the checkouts, the HTTP client, the card's expiry
// year and a run id that makes references unique.
type payTarget struct {
	targets *targets
	client  *http.Client
	expYear string
	runID   string
	seq     atomic.Int64
}

func newPayTarget(t *targets, client *http.Client, expYear, runID string) *payTarget {
	return &payTarget{targets: t, client: client, expYear: expYear, runID: runID}
}

// flow returns the flowFunc that pays one order, its steps timed with clk.
func (p *payTarget) flow(clk clock) flowFunc {
	return func(ctx context.Context, scheduled time.Time) flowResult {
		f := &payFlow{p: p}
		r := runSteps(ctx, clk, scheduled, []step{
			{"create", f.create}, {"page", f.page}, {"submit", f.submit},
			{"bank", f.bank}, {"return", f.ret}, {"status", f.status},
		})
		r.requests = f.requests
		return r
	}
}

// payFlow is one buyer's payment; each step leaves what the next one needs.
type payFlow struct {
	p        *payTarget
	requests int
	// client, when set, is this flow's own client (hold mode: one connection per buyer);
	// otherwise the flow uses the target's shared client.
	client *http.Client
	// bankClient, when set, is the client for the bank's page (hold mode): one that keeps no
	// connection and whose connections are not counted. The bank is another server in
	// production, so the checkout's figures must not count connections to it just because
	// the demo runs it in the same process.
	bankClient *http.Client
	// connClosed is whether the last answer on client said its connection would be
	// closed ("Connection: close").
	connClosed bool
	// pin, when set, is the one checkout this flow talks to (hold mode: one connection per
	// buyer); otherwise each request to a checkout goes to the next target in turn.
	pin *url.URL

	id           string
	cardAction   *url.URL
	formToken    string
	bankPage     *url.URL
	otpAction    *url.URL
	returnAction *url.URL
	returnFields url.Values
}

// kindError is a failure the harness names itself: an unexpected status, a page it
// cannot read, an order that is not paid.
type kindError struct {
	kind   string
	bare   bool // the kind stands alone, without the step's name
	status bool // the kind is an unexpected HTTP status
}

func (e *kindError) Error() string { return e.kind }

func kindErr(kind string) error { return &kindError{kind: kind} }

func statusErr(code int) error { return &kindError{kind: strconv.Itoa(code), status: true} }

// errNotLoopback is what the dialer answers for any address off this machine.
var errNotLoopback = errors.New("loadtest: refusing a non-loopback address")

// errorKind names a step's failure for the report: "submit:503", "page:timeout",
// "bank:parse", "not_paid". It never carries a body or a URL: they may hold card data.
func errorKind(ctx context.Context, stepName string, err error) string {
	var ke *kindError
	if errors.As(err, &ke) {
		if ke.bare {
			return ke.kind
		}
		return stepName + ":" + ke.kind
	}
	return stepName + ":" + transportKind(ctx, err)
}

func transportKind(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, errNotLoopback):
		return "nonloopback"
	case ctx.Err() != nil:
		// The hard stop (window + grace) or an interrupt cancelled the request.
		return "stopped"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connreset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connrefused"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too_many_files"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no_ports"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	}
	return "transport"
}

// checkout is the target of this flow's next request to a checkout.
func (f *payFlow) checkout() *url.URL {
	if f.pin != nil {
		return f.pin
	}
	return f.p.targets.pick()
}

// do sends one request and reads the whole answer (up to maxBody). A request to any of
// the checkouts goes to the flow's next one (see targets.spread).
func (f *payFlow) do(ctx context.Context, method string, u *url.URL, body io.Reader, header ...string) (*http.Response, []byte, error) {
	client := f.client
	if client == nil {
		client = f.p.client
	}
	return f.send(ctx, client, method, u, body, header...)
}

// send is do on client.
func (f *payFlow) send(ctx context.Context, client *http.Client, method string, u *url.URL, body io.Reader, header ...string) (*http.Response, []byte, error) {
	if f.p.targets.isCheckout(u) {
		u = f.p.targets.spread(u, f.checkout())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, nil, kindErr("request")
	}
	req.Header.Set("User-Agent", "checkout-loadtest")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	f.requests++
	if client == f.client {
		f.connClosed = resp.Close
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, err
	}
	return resp, b, nil
}

func (f *payFlow) postForm(ctx context.Context, u *url.URL, form url.Values, header ...string) (*http.Response, []byte, error) {
	return f.do(ctx, http.MethodPost, u, formBody(form), formHeader(header)...)
}

func formBody(form url.Values) io.Reader { return strings.NewReader(form.Encode()) }

func formHeader(header []string) []string {
	return append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)
}

// toBank is do for a request to the bank's page: on f.bankClient when set.
func (f *payFlow) toBank(ctx context.Context, method string, u *url.URL, body io.Reader, header ...string) (*http.Response, []byte, error) {
	if f.bankClient == nil {
		return f.do(ctx, method, u, body, header...)
	}
	return f.send(ctx, f.bankClient, method, u, body, header...)
}

func (f *payFlow) api(ctx context.Context, method, path string, body []byte) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	return f.do(ctx, method, f.p.targets.list[0].JoinPath(path), rd,
		"Authorization", "Bearer "+config.DemoAPIKey, "Content-Type", "application/json")
}

// create: POST /api/v1/orders -> 201 with the order's id.
func (f *payFlow) create(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{
		"reference":   fmt.Sprintf("LT-%s-%d", f.p.runID, f.p.seq.Add(1)),
		"amount":      "150.00",
		"currency":    "TRY",
		"description": "Load test",
	})
	resp, b, err := f.api(ctx, http.MethodPost, "/api/v1/orders", body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return statusErr(resp.StatusCode)
	}
	var o struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(b, &o) != nil || o.ID == "" {
		return kindErr("parse")
	}
	f.id = o.ID
	return nil
}

// htmlPage takes an answer that must be a 200 HTML page and parses it.
func htmlPage(resp *http.Response, body []byte, err error) (*goquery.Document, error) {
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusErr(resp.StatusCode)
	}
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, kindErr("parse")
	}
	return d, nil
}

// page: GET /pay/{id} -> 200 with the card form's action and form token.
func (f *payFlow) page(ctx context.Context) error {
	u := f.p.targets.list[0].JoinPath("pay", f.id)
	d, err := htmlPage(f.do(ctx, http.MethodGet, u, nil))
	if err != nil {
		return err
	}
	action, _ := d.Find("#card-form").Attr("action")
	token, _ := d.Find(`#card-form input[name="form_token"]`).Attr("value")
	if action == "" || token == "" {
		return kindErr("parse")
	}
	if f.cardAction, err = resolve(u, action); err != nil {
		return kindErr("parse")
	}
	f.formToken = token
	return nil
}

// submit: POST the card form -> 303 to the bank's 3-D page.
func (f *payFlow) submit(ctx context.Context) error {
	form := url.Values{
		"card_holder": {"Ayse Yilmaz"}, "card_number": {demoCard}, "exp_month": {"12"},
		"exp_year": {f.p.expYear}, "cvc": {"000"}, "installments": {"1"}, "form_token": {f.formToken},
	}
	resp, _, err := f.postForm(ctx, f.cardAction, form, "Sec-Fetch-Site", "same-origin")
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return statusErr(resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return kindErr("no_location")
	}
	if f.bankPage, err = resolve(f.cardAction, loc); err != nil {
		return kindErr("parse")
	}
	return nil
}

// bank: GET the bank's page -> 200 with #otp-form; POST the OTP -> 200 with #return-form,
// the form the bank's page would post back to the checkout. The OTP post's unexpected
// status is the kind "bank:otp:NNN".
func (f *payFlow) bank(ctx context.Context) error {
	if err := f.bankGet(ctx); err != nil {
		return err
	}
	err := f.otp(ctx)
	var ke *kindError
	if errors.As(err, &ke) && ke.status {
		return kindErr("otp:" + ke.kind)
	}
	return err
}

// bankGet: GET the bank's page -> 200 with #otp-form. Hold mode stops here: the buyer
// is looking at the bank's page, about to type the OTP.
func (f *payFlow) bankGet(ctx context.Context) error {
	d, err := htmlPage(f.toBank(ctx, http.MethodGet, f.bankPage, nil))
	if err != nil {
		return err
	}
	action, ok := d.Find("#otp-form").Attr("action")
	if !ok {
		return kindErr("parse")
	}
	if f.otpAction, err = resolve(f.bankPage, action); err != nil {
		return kindErr("parse")
	}
	return nil
}

// otp: POST otp=123456 to the bank's #otp-form -> 200 with #return-form.
func (f *payFlow) otp(ctx context.Context) error {
	d, err := htmlPage(f.toBank(ctx, http.MethodPost, f.otpAction, formBody(url.Values{"otp": {sandbox.DemoOTP}}), formHeader([]string{"Sec-Fetch-Site", "same-origin"})...))
	if err != nil {
		return err
	}
	form := d.Find("#return-form")
	target, ok := form.Attr("action")
	if !ok {
		return kindErr("parse")
	}
	if f.returnAction, err = resolve(f.otpAction, target); err != nil {
		return kindErr("parse")
	}
	f.returnFields = url.Values{}
	form.Find("input").Each(func(_ int, s *goquery.Selection) {
		if name, ok := s.Attr("name"); ok {
			value, _ := s.Attr("value")
			f.returnFields.Set(name, value)
		}
	})
	return nil
}

// ret: POST the bank's fields to the checkout's return URL, cross-site -> 303 to the result.
func (f *payFlow) ret(ctx context.Context) error {
	resp, _, err := f.postForm(ctx, f.returnAction, f.returnFields, "Sec-Fetch-Site", "cross-site")
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return statusErr(resp.StatusCode)
	}
	return nil
}

// status: GET /api/v1/orders/{id} -> 200 with "status":"paid".
func (f *payFlow) status(ctx context.Context) error {
	resp, b, err := f.api(ctx, http.MethodGet, "/api/v1/orders/"+url.PathEscape(f.id), nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return statusErr(resp.StatusCode)
	}
	var o struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(b, &o) != nil {
		return kindErr("parse")
	}
	if o.Status != "paid" {
		return &kindError{kind: "not_paid", bare: true}
	}
	return nil
}

// resolve reads ref (an action or a Location) relative to the page it came from.
func resolve(page *url.URL, ref string) (*url.URL, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return nil, err
	}
	return page.ResolveReference(r), nil
}

// newLoadClient is the one client of a run: keep-alives, enough idle connections per host
// for every concurrent flow, no proxy, no redirects followed, and a dialer that connects
// to loopback addresses only, whatever a page or a Location names.
func newLoadClient(concurrency int, timeout time.Duration) *http.Client {
	return clientOn(newLoadTransport(concurrency, timeout, newLoadDialer(timeout).DialContext), timeout)
}

// newLoadDialer connects to loopback addresses only.
func newLoadDialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: loopbackOnly}
}

// newLoadTransport keeps up to concurrency idle connections per host, uses no proxy and
// dials with dial (a newLoadDialer's DialContext, or one that wraps it).
func newLoadTransport(concurrency int, timeout time.Duration, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dial,
		MaxIdleConns:          0, // no limit across hosts
		MaxIdleConnsPerHost:   max(concurrency, 2),
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
}

// clientOn is a client on rt that follows no redirect and bounds each request by timeout.
func clientOn(rt http.RoundTripper, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport:     rt,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// loopbackOnly is the dialer's check of the resolved address, so "localhost" or a
// redirect cannot lead the harness off the machine.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return errNotLoopback
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errNotLoopback
	}
	return nil
}
