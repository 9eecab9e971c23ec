package checkout

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/mokacheckout/checkout/web/templates"
)

// Card testing: a carder with a list of stolen numbers posts them one after another to
// find the live ones. Declined cards are counted in a sliding window per card and client
// IP, per card, per IP and per merchant; past a limit the card form answers 429 before
// Moka is called. The counts are token buckets (golang.org/x/time/rate) of limit tokens
// that refill over VelocityWindow, which is a sliding window in effect: after limit
// declines the key is refused, one more decline is allowed every window/limit, and a
// whole window without declines frees it completely.
//
// The counts live in this process's memory only: several instances behind a load
// balancer each keep their own (a carder spread over n instances gets up to n times the
// limits until the counts move to PostgreSQL). A card is known only by a keyed HMAC of
// its number, never the number.
const (
	// VelocityWindow is the window in which declines are counted.
	VelocityWindow = time.Hour
	// Default decline limits per VelocityWindow, in the spirit of the big payment
	// orchestrators' card-testing rules.
	DefaultVelocityCardIP   = 3
	DefaultVelocityCard     = 10
	DefaultVelocityIP       = 20
	DefaultVelocityMerchant = 500

	// maxVelocityKeys bounds each limiter's memory. Only a decline adds a key, and the
	// per-merchant ceiling bounds declines, so the bound is reached only by a flood that
	// the ceiling has already stopped; the oldest keys go first.
	maxVelocityKeys = 100_000
	// maxRemembered bounds the attempts at the bank whose card key is kept for their
	// return (a bank return that never comes leaves its entry until it is pushed out).
	maxRemembered = 50_000

	// DefaultAuthFailures is how many failed API key checks (401) or bad link signatures
	// (403) an IP may have per AuthFailureWindow before it is answered 429 without a check.
	DefaultAuthFailures = 10
	AuthFailureWindow   = time.Hour
)

// VelocityLimits are a merchant's decline limits per VelocityWindow. A zero field takes
// its default; a negative one turns that limit off.
type VelocityLimits struct {
	CardIP   int // declines of one card from one IP
	Card     int // declines of one card from any IP
	IP       int // declines of any card from one IP
	Merchant int // declines of any card at the merchant: a ceiling against a distributed attack
}

func (v VelocityLimits) withDefaults() VelocityLimits {
	def := func(n, d int) int {
		if n == 0 {
			return d
		}
		return n
	}
	return VelocityLimits{
		CardIP:   def(v.CardIP, DefaultVelocityCardIP),
		Card:     def(v.Card, DefaultVelocityCard),
		IP:       def(v.IP, DefaultVelocityIP),
		Merchant: def(v.Merchant, DefaultVelocityMerchant),
	}
}

// keyedLimiters is a bounded map of token buckets, one per key, all with the same limit
// per window. A key is added only when a failure is counted, so checking an unknown key
// costs no memory.
type keyedLimiters struct {
	mu    sync.Mutex
	max   int
	byKey map[string]*rate.Limiter
	order []string // insertion order, for eviction
}

func newKeyedLimiters(max int) *keyedLimiters {
	return &keyedLimiters{max: max, byKey: map[string]*rate.Limiter{}}
}

// blocked reports whether key has used up limit failures in the window, and if so how
// long until one more is allowed. A limit below 1 never blocks.
func (k *keyedLimiters) blocked(key string, limit int, window time.Duration, now time.Time) (bool, time.Duration) {
	if limit < 1 {
		return false, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.byKey[key]
	if l == nil {
		return false, 0
	}
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return false, 0
	}
	every := window / time.Duration(limit)
	return true, time.Duration(math.Ceil((1 - tokens) * float64(every)))
}

// fail counts one failure for key.
func (k *keyedLimiters) fail(key string, limit int, window time.Duration, now time.Time) {
	if limit < 1 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.byKey[key]
	if l == nil {
		if len(k.byKey) >= k.max {
			delete(k.byKey, k.order[0])
			k.order = k.order[1:]
		}
		l = rate.NewLimiter(rate.Every(window/time.Duration(limit)), limit)
		k.byKey[key] = l
		k.order = append(k.order, key)
	}
	l.AllowN(now, 1) // false once used up: the key stays blocked, nothing more to take
}

// velocity holds the card form's decline counts.
type velocity struct {
	cardKey []byte // HMAC key for card numbers
	counts  *keyedLimiters

	mu       sync.Mutex
	attempts map[string]declineKeys // attempt id -> keys to count if its bank return fails
	order    []string
}

// declineKeys are what a decline is counted against.
type declineKeys struct {
	merchant string
	limits   VelocityLimits
	card, ip string
}

func newVelocity(cardKey []byte) *velocity {
	if len(cardKey) == 0 {
		cardKey = make([]byte, 32)
		_, _ = rand.Read(cardKey) // never fails (crypto/rand since Go 1.24)
	}
	return &velocity{cardKey: cardKey, counts: newKeyedLimiters(maxVelocityKeys), attempts: map[string]declineKeys{}}
}

// keysFor names the card (by HMAC) and the client (by IP, IPv6 by its /64, which one
// subscriber usually holds whole) of a card form post.
func (v *velocity) keysFor(m *merchant, number, ip string) declineKeys {
	mac := hmac.New(sha256.New, v.cardKey)
	mac.Write([]byte(number))
	return declineKeys{merchant: m.ID, limits: m.Velocity.withDefaults(),
		card: hex.EncodeToString(mac.Sum(nil)), ip: ipKey(ip)}
}

func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// velocityCheck is one limit: its bucket's key and its limit.
type velocityCheck struct {
	key   string
	limit int
}

// The keys are per merchant: each merchant's limits count its own declines.
func (k declineKeys) checks() []velocityCheck {
	m := k.merchant + "\x00"
	return []velocityCheck{
		{"cardip\x00" + m + k.card + "\x00" + k.ip, k.limits.CardIP},
		{"card\x00" + m + k.card, k.limits.Card},
		{"ip\x00" + m + k.ip, k.limits.IP},
		{"merchant\x00" + m, k.limits.Merchant},
	}
}

// blocked reports whether any limit is used up, and the longest wait until the post
// would be let through.
func (v *velocity) blocked(k declineKeys, now time.Time) (bool, time.Duration) {
	refused, wait := false, time.Duration(0)
	for _, c := range k.checks() {
		if b, w := v.counts.blocked(c.key, c.limit, VelocityWindow, now); b {
			refused, wait = true, max(wait, w)
		}
	}
	return refused, wait
}

// decline counts a declined card against every limit.
func (v *velocity) decline(k declineKeys, now time.Time) {
	for _, c := range k.checks() {
		v.counts.fail(c.key, c.limit, VelocityWindow, now)
	}
}

// remember keeps an attempt's keys until its bank return, which carries no card number.
func (v *velocity) remember(attemptID string, k declineKeys) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.attempts[attemptID]; ok {
		return
	}
	if len(v.attempts) >= maxRemembered {
		delete(v.attempts, v.order[0])
		v.order = v.order[1:]
	}
	v.attempts[attemptID] = k
	v.order = append(v.order, attemptID)
}

// returned counts a failed bank return of a remembered attempt as a decline. The entry
// stays in order until pushed out; a second return of the attempt finds no entry.
func (v *velocity) returned(attemptID string, failed bool, now time.Time) {
	v.mu.Lock()
	k, ok := v.attempts[attemptID]
	delete(v.attempts, attemptID)
	v.mu.Unlock()
	if ok && failed {
		v.decline(k, now)
	}
}

// authThrottle answers 429 to an IP that failed authentication too often.
type authThrottle struct {
	limit  int
	counts *keyedLimiters
}

func newAuthThrottle(limit int) *authThrottle {
	if limit == 0 {
		limit = DefaultAuthFailures
	}
	return &authThrottle{limit: limit, counts: newKeyedLimiters(maxVelocityKeys)}
}

func (t *authThrottle) blocked(ip string, now time.Time) (bool, time.Duration) {
	return t.counts.blocked(ipKey(ip), t.limit, AuthFailureWindow, now)
}

func (t *authThrottle) fail(ip string, now time.Time) {
	t.counts.fail(ipKey(ip), t.limit, AuthFailureWindow, now)
}

// setRetryAfter sets Retry-After in whole seconds, at least 1.
func setRetryAfter(c echo.Context, wait time.Duration) {
	secs := int64(math.Ceil(wait.Seconds()))
	c.Response().Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}

var errTooManyAuthFailures = &apiError{Status: http.StatusTooManyRequests, Code: "too_many_failures",
	Message: "too many failed authentications from this address; wait for Retry-After seconds"}

// tooManyDeclines shows the card form again, answered 429, when a decline limit is used
// up. The message is the same whichever limit it was, so it tells a carder nothing about
// the card.
func (s *Server) tooManyDeclines(c echo.Context, pc *payContext, card cardInput, wait time.Duration) error {
	s.log.Warn("card form refused: decline limit reached", "order_id", pc.order.ID, "merchant_id", pc.merchant.ID,
		"client_ip", c.RealIP(), "retry_after_s", int64(math.Ceil(wait.Seconds())))
	setRetryAfter(c, wait)
	vm := s.payVM(pc, card.Installments)
	vm.CardHolder, vm.ExpMonth, vm.ExpYear = card.Holder, fmt.Sprintf("%02d", card.ExpMonth), strconv.Itoa(card.ExpYear)
	vm.Alert = tr(pc.lang, msgTooManyDeclines)
	return s.render(c, pc.merchant, http.StatusTooManyRequests, templates.Pay(vm))
}

// authThrottled answers 429 before an API key or link signature is checked, for an IP
// that failed too often; else it runs check and counts a 401 or 403 it answers.
func (s *Server) authThrottled(c echo.Context, t *authThrottle, tooMany error, check func() error) error {
	ip := c.RealIP()
	if refused, wait := t.blocked(ip, s.now()); refused {
		setRetryAfter(c, wait)
		return tooMany
	}
	err := check()
	if st := errorStatus(err); st == http.StatusUnauthorized || st == http.StatusForbidden {
		t.fail(ip, s.now())
	}
	return err
}

// errorStatus is the status an error from a handler is answered with, 0 for none.
func errorStatus(err error) int {
	var ae *apiError
	var pe *pageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ae):
		return ae.Status
	case errors.As(err, &pe):
		return pe.Status
	}
	return 0
}
