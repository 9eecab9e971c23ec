package checkout_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/moka"
)

// The decline counts are in the database: two instances on one database (see
// instances_test.go) count the same declines, so a carder spread over both meets the
// same limits as on one.

// countThreeD counts the 3-D starts that reach the sandbox, from either instance.
func countThreeD(e *env) *atomic.Int64 {
	var calls atomic.Int64
	e.override.set(func(_ http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == moka.PathThreeD {
			calls.Add(1)
		}
		return false
	})
	return &calls
}

// orderMaker creates a fresh order on e for each card post, as a carder spreads cards
// over orders.
func orderMaker(e *env, prefix string) func() string {
	n := 0
	return func() string {
		n++
		return "/pay/" + e.createOrder(orderBody(fmt.Sprintf("%s-%d", prefix, n)))["id"].(string)
	}
}

// Declines spread over both instances are refused at the limit on either, for the card
// and IP, the card from any IP and the IP with any card, and Moka is not asked.
func TestVelocityLimitsHoldAcrossInstances(t *testing.T) {
	a := newEnv(t, trustProxy)
	b := a.secondInstance()
	both := []*env{a, b}
	calls := declineAllBut(a, successCard)
	newOrder := orderMaker(a, "VI")

	// Card and IP: three declines, alternating instances.
	for i := range checkout.DefaultVelocityCardIP {
		r := both[i%2].submitCardFrom("203.0.113.1", newOrder(), invalidCard)
		require.Equal(t, http.StatusPaymentRequired, r.status, "decline %d", i)
	}
	before := calls.Load()
	for _, e := range both {
		r := e.submitCardFrom("203.0.113.1", newOrder(), invalidCard)
		assert.Equal(t, http.StatusTooManyRequests, r.status, "card+IP limit on %s", e.url)
		assert.Equal(t, "3600", r.header.Get("Retry-After"), "the three declines leave the window in an hour")
		assert.Contains(t, r.body, tooManyDeclinesTR)
	}
	assert.Equal(t, before, calls.Load(), "Moka not called past the limit")

	// The card from other IPs, alternating instances, up to the card's own limit.
	for i := checkout.DefaultVelocityCardIP; i < checkout.DefaultVelocityCard; i++ {
		r := both[i%2].submitCardFrom(fmt.Sprintf("198.51.100.%d", i), newOrder(), invalidCard)
		require.Equal(t, http.StatusPaymentRequired, r.status, "decline %d", i)
	}
	for _, e := range both {
		r := e.submitCardFrom("192.0.2.99", newOrder(), invalidCard)
		assert.Equal(t, http.StatusTooManyRequests, r.status, "card limit on a new IP, on %s", e.url)
	}

	// One IP with many cards: IPv6 by its /64, the addresses and instances alternating.
	for i := range checkout.DefaultVelocityIP {
		ip := fmt.Sprintf("2001:db8:5:6::%x", i+1)
		r := both[i%2].submitCardFrom(ip, newOrder(), luhnCard(i))
		require.Equal(t, http.StatusPaymentRequired, r.status, "decline %d", i)
	}
	before = calls.Load()
	for _, e := range both {
		r := e.submitCardFrom("2001:db8:5:6:ffff::1", newOrder(), successCard)
		assert.Equal(t, http.StatusTooManyRequests, r.status, "IP limit for a live card from the same /64, on %s", e.url)
	}
	assert.Equal(t, before, calls.Load())
	r := b.submitCardFrom("2001:db8:5:7::1", newOrder(), successCard)
	assert.Equal(t, http.StatusSeeOther, r.status, "another /64 still goes to the bank")
}

// A 3-D failure whose bank return reaches instance B, for an attempt started on A,
// counts for A's next card post: what the return counts comes from the database.
func TestVelocityBankReturnOnOtherInstanceCounts(t *testing.T) {
	a := newEnv(t)
	b := a.secondInstance()
	calls := countThreeD(a)
	for i := range checkout.DefaultVelocityCardIP {
		id := a.createOrder(orderBody(fmt.Sprintf("VR-%d", i)))["id"].(string)
		target, fields := a.startAtBank(id, failCard)
		require.True(t, strings.HasPrefix(target, a.url), target)
		ret := b.postForm(b.url+strings.TrimPrefix(target, a.url), fields, "Sec-Fetch-Site", "cross-site")
		require.Equal(t, http.StatusSeeOther, ret.status, ret.body)
		require.Equal(t, "failed", attempts(a.order(id))[0]["status"])
	}
	before := calls.Load()
	for _, e := range []*env{a, b} {
		r := e.submitCard("/pay/"+a.createOrder(orderBody("VR-post-" + e.url))["id"].(string), failCard)
		assert.Equal(t, http.StatusTooManyRequests, r.status, "on %s: %s", e.url, r.body)
	}
	assert.Equal(t, before, calls.Load(), "Moka not called")
}

// The window slides: Retry-After is the time until the oldest decline that must leave
// for one more to be allowed has left, and one more is allowed exactly then.
func TestVelocityRetryAfterSlidingWindow(t *testing.T) {
	a := newEnv(t, trustProxy)
	b := a.secondInstance()
	newOrder := orderMaker(a, "VW")
	const ip = "203.0.113.9"
	// Declines at 0, 10 and 20 minutes, on A, B, A.
	for i, e := range []*env{a, b, a} {
		if i > 0 {
			a.clock.Add(10 * time.Minute)
		}
		require.Equal(t, http.StatusPaymentRequired, e.submitCardFrom(ip, newOrder(), invalidCard).status)
	}
	a.clock.Add(10 * time.Minute) // 30 minutes
	r := b.submitCardFrom(ip, newOrder(), invalidCard)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "1800", r.header.Get("Retry-After"), "the decline at 0 leaves at 60 minutes")

	a.clock.Add(30*time.Minute - time.Second)
	r = a.submitCardFrom(ip, newOrder(), invalidCard)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"))

	a.clock.Add(time.Second) // 60 minutes: one more allowed
	require.Equal(t, http.StatusPaymentRequired, b.submitCardFrom(ip, newOrder(), invalidCard).status)
	r = a.submitCardFrom(ip, newOrder(), invalidCard)
	require.Equal(t, http.StatusTooManyRequests, r.status, "declines at 10, 20 and 60 minutes")
	assert.Equal(t, "600", r.header.Get("Retry-After"), "the decline at 10 leaves at 70 minutes")
}

// The decline rows hold keyed hashes, never a card number, and neither do the logs;
// reconciliation's purge removes the rows that have left the window.
func TestVelocityRowsHoldNoCardAndArePurged(t *testing.T) {
	a := newEnv(t, trustProxy)
	b := a.secondInstance()
	newOrder := orderMaker(a, "VP")
	declineAllBut(a, successCard)
	cards := []string{invalidCard, luhnCard(1), luhnCard(2)}
	for i, card := range cards {
		r := []*env{a, b}[i%2].submitCardFrom("203.0.113.20", newOrder(), card)
		require.Equal(t, http.StatusPaymentRequired, r.status, r.body)
	}
	r := a.submitCardFrom("203.0.113.20", newOrder(), luhnCard(3))
	require.Equal(t, http.StatusPaymentRequired, r.status, "only the card+IP limit of each card: not reached")

	raw := a.db.Raw(t)
	rows, err := raw.Query("SELECT merchant_id, key FROM velocity_declines")
	require.NoError(t, err)
	keyForm := regexp.MustCompile(`^(card_ip:[0-9a-f]{64}:203\.0\.113\.20|card:[0-9a-f]{64}|ip:203\.0\.113\.20|merchant)$`)
	n := 0
	for rows.Next() {
		var merchant, key string
		require.NoError(t, rows.Scan(&merchant, &key))
		assert.Equal(t, "shop", merchant)
		assert.Regexp(t, keyForm, key)
		n++
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	assert.Equal(t, 4*4, n, "four declines, four keys each")

	dump := string(a.db.Dump(t))
	logs := a.logs.String()
	for _, card := range append(cards, luhnCard(3)) {
		assert.NotContains(t, dump, card, "card number in the database")
		assert.NotContains(t, logs, card, "card number in the logs")
	}

	// Within the window nothing goes; once it has passed, reconciliation's purge (it
	// runs PurgeIdempotency on every pass) removes every row.
	a.clock.Add(checkout.VelocityWindow - time.Second)
	_, err = b.store.PurgeIdempotency(context.Background())
	require.NoError(t, err)
	require.NoError(t, raw.QueryRow("SELECT COUNT(*) FROM velocity_declines").Scan(&n))
	assert.Equal(t, 16, n)
	a.clock.Add(time.Second)
	_, err = b.store.PurgeIdempotency(context.Background())
	require.NoError(t, err)
	require.NoError(t, raw.QueryRow("SELECT COUNT(*) FROM velocity_declines").Scan(&n))
	assert.Equal(t, 0, n)
}
