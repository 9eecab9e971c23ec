package checkout_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
)

const (
	tooManyDeclinesTR = "kartla ödeme bir süre durduruldu"
	tooManyDeclinesEN = "card payments are paused for a while"
)

// luhnCard is the i-th of a series of Luhn-valid card numbers that are in no test card
// table row, as a carder's list would be.
func luhnCard(i int) string {
	body := fmt.Sprintf("411111%09d", 100000000+i) // 15 digits
	sum := 0
	for j := 0; j < len(body); j++ {
		d := int(body[len(body)-1-j] - '0')
		if j%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + fmt.Sprint((10-sum%10)%10)
}

// declineAllBut makes the sandbox refuse every 3-D start (InvalidCardInfo) except for the
// live card, and counts the 3-D starts that reach it.
func declineAllBut(e *env, live string) *atomic.Int64 {
	var calls atomic.Int64
	e.override.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != moka.PathThreeD {
			return false
		}
		calls.Add(1)
		body, err := io.ReadAll(r.Body)
		require.NoError(e.t, err)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(`"`+live+`"`)) {
			return false
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"Data": nil, "ResultCode": sandbox.CodeInvalidCardInfo, "ResultMessage": "", "Exception": nil})
		return true
	})
	return &calls
}

// submitCardFrom posts the card form as the buyer at ip (the server trusts
// X-Forwarded-For in these tests).
func (e *env) submitCardFrom(ip, path, number string) response {
	e.t.Helper()
	token, action := e.payForm(path)
	return e.postForm(action, cardValues(number, token), "Sec-Fetch-Site", "same-origin", "X-Forwarded-For", ip)
}

func trustProxy(o *checkout.Options) { o.TrustProxyHeaders = true }

// One IP testing a list of cards, as seen in testing (60 declined cards on 12 orders):
// past the per-IP limit the form answers 429 and Moka is not asked again; a live card
// before the limit still goes to the bank, and an hour later the form works again.
func TestCardTestingFromOneIPIsStopped(t *testing.T) {
	e := newEnv(t)
	calls := declineAllBut(e, successCard)

	statuses := map[int]int{}
	var refused response
	card := 0
	for o := range 12 {
		path := "/pay/" + e.createOrder(orderBody(fmt.Sprintf("CT-%d", o)))["id"].(string)
		for range 5 {
			if card == checkout.DefaultVelocityIP-1 {
				// One decline below the limit a live card still reaches the bank.
				live := e.submitCard("/pay/"+e.createOrder(orderBody("CT-live"))["id"].(string), successCard)
				require.Equal(t, http.StatusSeeOther, live.status, live.body)
				assert.True(t, strings.HasPrefix(live.location(), e.bankURL), live.location())
			}
			r := e.submitCard(path, luhnCard(card))
			card++
			statuses[r.status]++
			if r.status == http.StatusTooManyRequests {
				refused = r
			}
		}
	}
	// A decline that uses up an order's last attempt answers 410 (the order is over).
	assert.Equal(t, checkout.DefaultVelocityIP, statuses[http.StatusPaymentRequired]+statuses[http.StatusGone], statuses)
	assert.Equal(t, 60-checkout.DefaultVelocityIP, statuses[http.StatusTooManyRequests], statuses)
	assert.EqualValues(t, checkout.DefaultVelocityIP+1, calls.Load(), "no 3-D call past the limit")
	require.Equal(t, http.StatusTooManyRequests, refused.status)
	assert.Contains(t, refused.body, tooManyDeclinesTR)
	assert.NotEmpty(t, refused.header.Get("Retry-After"))
	assert.Equal(t, 1, refused.doc(t).Find("#card-form").Length(), "the form is shown again")
	assert.NotContains(t, refused.body, luhnCard(card-1), "the card number is not echoed")

	// A live card from that IP waits too: the limit is on the client, not the card.
	en := "/pay/" + e.createOrder(orderBody("CT-en", `"locale":"en"`))["id"].(string)
	r := e.submitCard(en, successCard)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Contains(t, r.body, tooManyDeclinesEN)
	assert.EqualValues(t, checkout.DefaultVelocityIP+1, calls.Load())

	e.clock.Add(time.Hour)
	path := "/pay/" + e.createOrder(orderBody("CT-later", `"expires_in":"2h"`))["id"].(string)
	r = e.submitCard(path, luhnCard(1000))
	assert.Equal(t, http.StatusPaymentRequired, r.status, "an hour later Moka is asked again")
	r = e.submitCard(path, successCard)
	assert.Equal(t, http.StatusSeeOther, r.status, r.body)
}

// One card tried from many IPs: 3 declines per card and IP, 10 per card in all.
func TestDeclinedCardLimitsAcrossIPs(t *testing.T) {
	e := newEnv(t, trustProxy)
	var calls atomic.Int64
	e.override.set(func(_ http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == moka.PathThreeD {
			calls.Add(1)
		}
		return false
	})
	n := 0
	newOrder := func() string {
		n++
		return "/pay/" + e.createOrder(orderBody(fmt.Sprintf("IP-%d", n)))["id"].(string)
	}

	ip := func(i int) string { return fmt.Sprintf("203.0.113.%d", i) }
	for i := range checkout.DefaultVelocityCardIP {
		r := e.submitCardFrom(ip(1), newOrder(), invalidCard)
		require.Equal(t, http.StatusPaymentRequired, r.status, "decline %d", i)
	}
	r := e.submitCardFrom(ip(1), newOrder(), invalidCard)
	assert.Equal(t, http.StatusTooManyRequests, r.status, "card+IP limit")
	r = e.submitCardFrom(ip(1), newOrder(), successCard)
	assert.Equal(t, http.StatusSeeOther, r.status, "another card from that IP still goes to the bank")

	// The same card from other IPs, up to the card's own limit.
	for i := checkout.DefaultVelocityCardIP; i < checkout.DefaultVelocityCard; i++ {
		r := e.submitCardFrom(ip(2+i), newOrder(), invalidCard)
		require.Equal(t, http.StatusPaymentRequired, r.status, "decline %d", i)
	}
	before := calls.Load()
	r = e.submitCardFrom(ip(99), newOrder(), invalidCard)
	assert.Equal(t, http.StatusTooManyRequests, r.status, "the card limit holds on a new IP")
	assert.Equal(t, before, calls.Load(), "Moka not called")
	r = e.submitCardFrom("2001:db8:1:2::1", newOrder(), invalidCard)
	assert.Equal(t, http.StatusTooManyRequests, r.status)

	e.clock.Add(time.Hour)
	r = e.submitCardFrom(ip(99), newOrder(), invalidCard)
	assert.Equal(t, http.StatusPaymentRequired, r.status, "the window has passed")
}

// A 3-D failure at the bank counts as a decline: after three failed returns the card and
// IP are refused at the form.
func TestFailedBankReturnsCount(t *testing.T) {
	e := newEnv(t)
	path := "/pay/" + e.createOrder(orderBody("3D-1"))["id"].(string)
	for range checkout.DefaultVelocityCardIP {
		r := e.pay(path, failCard, "123456")
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
	r := e.submitCard(path, failCard)
	assert.Equal(t, http.StatusTooManyRequests, r.status, r.body)
}

// A merchant's own limits replace the defaults.
func TestMerchantVelocityConfigured(t *testing.T) {
	e := newEnv(t, func(o *checkout.Options) {
		o.Merchants[0].Velocity = checkout.VelocityLimits{CardIP: 1, Merchant: 2}
	}, trustProxy)
	n := 0
	newOrder := func() string {
		n++
		return "/pay/" + e.createOrder(orderBody(fmt.Sprintf("M-%d", n)))["id"].(string)
	}
	assert.Equal(t, http.StatusPaymentRequired, e.submitCardFrom("198.51.100.1", newOrder(), invalidCard).status)
	assert.Equal(t, http.StatusTooManyRequests, e.submitCardFrom("198.51.100.1", newOrder(), invalidCard).status, "card_ip: 1")
	assert.Equal(t, http.StatusPaymentRequired, e.submitCardFrom("198.51.100.2", newOrder(), invalidCard).status)
	assert.Equal(t, http.StatusTooManyRequests, e.submitCardFrom("198.51.100.3", newOrder(), successCard).status, "merchant: 2")
}

func TestVelocityConfigKeys(t *testing.T) {
	yaml := func(velocity string) string {
		return `
merchants:
  - id: shop
    name: Shop
    api_key_sha256: ` + checkout.HashAPIKey("k") + `
    link_secret_env: SHOP_LINK
    moka:
      base_url: https://service.refmokaunited.com
      dealer_code: "1730"
      username: api
      password_env: SHOP_MOKA
` + velocity
	}
	getenv := func(k string) string {
		return map[string]string{"SHOP_MOKA": "moka-s3cret", "SHOP_LINK": "link-s3cret"}[k]
	}
	load := func(y string) (*config.Config, error) {
		return config.Load("c.yaml", getenv, func(string) ([]byte, error) { return []byte(y), nil })
	}
	c, err := load(yaml("    velocity: {card_ip: 2, card: 5, ip: 8, merchant: -1}\n"))
	require.NoError(t, err)
	assert.Equal(t, config.Velocity{CardIP: 2, Card: 5, IP: 8, Merchant: -1}, c.Merchants[0].Velocity)
	_, err = load(yaml("    velocity: {card: -2}\n"))
	assert.ErrorContains(t, err, "merchants[0].velocity.card: -2")
	_, err = load(yaml("    velocity: {cards: 2}\n"))
	assert.Error(t, err, "unknown key")
}

// Wrong API keys from one IP: after ten, even the right key waits, until the window
// passes. Right keys never count.
func TestAPIKeyFailuresThrottled(t *testing.T) {
	e := newEnv(t)
	for range 20 {
		require.Equal(t, http.StatusOK, e.api(http.MethodGet, "/api/v1/orders", "").status)
	}
	for i := range checkout.DefaultAuthFailures {
		r := e.api(http.MethodGet, "/api/v1/orders", "", "Authorization", fmt.Sprintf("Bearer sk_wrong_%d", i))
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
	r := e.api(http.MethodGet, "/api/v1/orders", "")
	assert.Equal(t, http.StatusTooManyRequests, r.status, r.body)
	assert.NotEmpty(t, r.header.Get("Retry-After"))
	assert.Equal(t, "too_many_failures", r.json(t)["error"].(map[string]any)["code"])

	e.clock.Add(time.Hour)
	assert.Equal(t, http.StatusOK, e.api(http.MethodGet, "/api/v1/orders", "").status)
}

// Bad link signatures from one IP: after ten, even a good link waits.
func TestLinkFailuresThrottled(t *testing.T) {
	e := newEnv(t)
	good := e.link(linkParams("TH-1", "150.00"), e.clock.Now().Add(2*time.Hour))
	for i := range checkout.DefaultAuthFailures {
		q := linkParams(fmt.Sprintf("TH-%d", i), "150.00")
		q.Set("sig", strings.Repeat("0", 64))
		q.Set("expires", fmt.Sprint(e.clock.Now().Add(time.Hour).Unix()))
		r := e.get("/link?" + q.Encode())
		require.Equal(t, http.StatusForbidden, r.status, r.body)
	}
	r := e.get(good)
	assert.Equal(t, http.StatusTooManyRequests, r.status, r.body)
	assert.NotEmpty(t, r.header.Get("Retry-After"))
	assert.Contains(t, r.body, "Too many invalid payment links")

	e.clock.Add(time.Hour)
	r = e.get(good)
	assert.Equal(t, http.StatusSeeOther, r.status, r.body)
	_, err := url.Parse(r.location())
	assert.NoError(t, err)
}
