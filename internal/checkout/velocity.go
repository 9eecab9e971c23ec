package checkout

import (
	"context"
	"crypto/hkdf"
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

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// Card testing: a carder with a list of stolen numbers posts them one after another to
// find the live ones. Declined cards are counted in a sliding window per card and client
// IP, per card, per IP and per merchant; past a limit the card form answers 429 before
// Moka is called. A key is refused while it has limit declines or more in the last
// VelocityWindow, and Retry-After is the time until the oldest of the declines that must
// leave the window for one more to be allowed has left it.
//
// The declines are rows in the store (velocity_declines, see internal/orders/velocity.go),
// so every instance on one database counts the same declines: a carder spread over n
// instances meets the same limits as on one. One query per card post reads all four
// counts; a decline is written in the transaction that ends its attempt. The bank's
// return, which carries no card number and may reach another instance than the card
// post, finds the keys to count in the attempt's row (Attempt.DeclineKeys).
//
// A card is known only by a keyed HMAC-SHA256 of its number, hex. The HMAC key is
// derived from the CodeForHash seal key (CardHashKeyFrom), so every instance computes the
// same card keys, and it is never in the database: a stolen copy of the database holds
// neither card numbers nor a way to test a guessed number against the stored keys (a
// plain hash of a 16-digit number with a known prefix could be brute-forced). No first
// six or last four digits are kept with the keys either.
//
// The API key and link signature throttle (authThrottle) and the dashboard's login
// throttle stay in each process's memory: they protect one process's CPU (key and
// bcrypt checks) from brute force, and a shared count would turn every bad request into
// a database write.
const (
	// VelocityWindow is the window in which declines are counted.
	VelocityWindow = orders.DeclineWindow
	// Default decline limits per VelocityWindow, in the spirit of the big payment
	// orchestrators' card-testing rules.
	DefaultVelocityCardIP   = 3
	DefaultVelocityCard     = 10
	DefaultVelocityIP       = 20
	DefaultVelocityMerchant = 500

	// maxThrottleKeys bounds each in-memory throttle's memory. Only a failure adds a
	// key; the oldest keys go first.
	maxThrottleKeys = 100_000

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

// cardHashKeyInfo labels the HKDF output: the seal key's bytes give this key and the
// CodeForHash sealing key, and the two must differ.
const cardHashKeyInfo = "checkout velocity card hmac v1"

// CardHashKeyFrom derives Options.CardHashKey from the CodeForHash seal key (HKDF-SHA256),
// so that every instance with the same seal key knows a card by the same HMAC.
func CardHashKeyFrom(sealKey []byte) ([]byte, error) {
	if len(sealKey) == 0 {
		return nil, errors.New("card hash key: no seal key")
	}
	return hkdf.Key(sha256.New, sealKey, nil, cardHashKeyInfo, 32)
}

// velocity checks the card form's decline limits against the store's counts.
type velocity struct {
	cardKey []byte // HMAC key for card numbers
	store   *orders.Store
}

// declineKeys are what a decline is counted against.
type declineKeys struct {
	merchant string
	limits   VelocityLimits
	card, ip string
}

func newVelocity(cardKey []byte, store *orders.Store) *velocity {
	if len(cardKey) == 0 {
		// One instance on its own: the keys only need to agree within this process (and
		// a restart starts the counts afresh, as the old keys no longer match).
		cardKey = make([]byte, 32)
		_, _ = rand.Read(cardKey) // never fails (crypto/rand since Go 1.24)
	}
	return &velocity{cardKey: cardKey, store: store}
}

// keysFor names the card (by HMAC) and the client (by IP, IPv6 by its /64, which one
// subscriber usually holds whole) of a card form post.
func (v *velocity) keysFor(m *merchant, number, ip string) declineKeys {
	mac := hmac.New(sha256.New, v.cardKey)
	mac.Write([]byte(number))
	return declineKeys{merchant: m.ID, limits: m.Velocity.withDefaults(),
		card: hex.EncodeToString(mac.Sum(nil)), ip: ipKey(ip)}
}

// ipKey is how a client is counted: its IPv4 address, or its IPv6 /64. What does not
// parse is quoted, so that a key never holds a line break (see orders.Attempt.DeclineKeys).
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return strconv.QuoteToASCII(ip)
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// velocityCheck is one limit: its key and its limit.
type velocityCheck struct {
	key   string
	limit int
}

// The keys are per merchant (the store keeps the merchant beside each key): each
// merchant's limits count its own declines.
func (k declineKeys) checks() []velocityCheck {
	return []velocityCheck{
		{"card_ip:" + k.card + ":" + k.ip, k.limits.CardIP},
		{"card:" + k.card, k.limits.Card},
		{"ip:" + k.ip, k.limits.IP},
		{"merchant", k.limits.Merchant},
	}
}

// keys are the keys a decline counts against: all four, also those of a limit turned
// off, so that a limit turned on later counts the declines before it.
func (k declineKeys) keys() []string {
	var out []string
	for _, c := range k.checks() {
		out = append(out, c.key)
	}
	return out
}

// blocked reports whether any limit is used up, and the longest wait until the post
// would be let through. Two posts at once may both pass at one decline below a limit:
// the counts bound card testing, they are not a lock.
func (v *velocity) blocked(ctx context.Context, k declineKeys, now time.Time) (bool, time.Duration, error) {
	var limits []orders.DeclineLimit
	for _, c := range k.checks() {
		if c.limit >= 1 {
			limits = append(limits, orders.DeclineLimit{Key: c.key, Limit: c.limit})
		}
	}
	if len(limits) == 0 {
		return false, 0, nil
	}
	counts, err := v.store.CountDeclines(ctx, k.merchant, limits, now.Add(-VelocityWindow))
	if err != nil {
		return false, 0, err
	}
	refused, wait := false, time.Duration(0)
	for _, c := range counts {
		if c.Blocked() {
			refused, wait = true, max(wait, c.LimitTh.Add(VelocityWindow).Sub(now))
		}
	}
	return refused, wait, nil
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

// authThrottle answers 429 to an IP that failed authentication too often. Its counts
// are token buckets in this process's memory (per instance, see the comment at the top).
type authThrottle struct {
	limit  int
	counts *keyedLimiters
}

func newAuthThrottle(limit int) *authThrottle {
	if limit == 0 {
		limit = DefaultAuthFailures
	}
	return &authThrottle{limit: limit, counts: newKeyedLimiters(maxThrottleKeys)}
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
