package checkout_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/orders"
)

const dashPassword = "correct horse battery"

// addUser creates a dashboard user of merchant.
func (e *env) addUser(merchant, email string) {
	e.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(dashPassword), bcrypt.MinCost)
	require.NoError(e.t, err)
	_, err = e.store.CreateUser(context.Background(), merchant, email, hash)
	require.NoError(e.t, err)
}

// browser is a dashboard user's browser: its own cookie jar, same-origin requests.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(e.t, err)
	return &browser{e: e, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values, header ...string) response {
	b.e.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, b.e.abs(path), body)
	require.NoError(b.e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	saved := b.e.client
	b.e.client = b.client
	defer func() { b.e.client = saved }()
	return b.e.do(req)
}

func (b *browser) get(path string) response { return b.do(http.MethodGet, path, nil) }

func (b *browser) login(email, password string) response {
	return b.do(http.MethodPost, "/dashboard/login", url.Values{"email": {email}, "password": {password}})
}

// csrf is the session's token, read from the logout form of a dashboard page.
func (b *browser) csrf() string {
	b.e.t.Helper()
	r := b.get("/dashboard/orders")
	require.Equal(b.e.t, http.StatusOK, r.status, r.body)
	tok, ok := r.doc(b.e.t).Find(`form[action="/dashboard/logout"] input[name="csrf_token"]`).Attr("value")
	require.True(b.e.t, ok)
	return tok
}

func auditActions(t *testing.T, e *env, merchant string) []string {
	t.Helper()
	entries, err := e.store.ListAudit(context.Background(), merchant, 100)
	require.NoError(t, err)
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i].Action)
	}
	return out
}

func TestDashboardLoginAndLogout(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	b := e.browser()

	r := b.get("/dashboard/orders")
	require.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, "/dashboard/login?next=%2Fdashboard%2Forders", r.location())

	r = b.get("/dashboard/login")
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")

	r = b.login("Owner@Shop.example ", dashPassword)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/dashboard/orders", r.location())
	cookie := r.header.Get("Set-Cookie")
	assert.Contains(t, cookie, "HttpOnly")
	assert.Contains(t, cookie, "SameSite=Lax")
	assert.NotContains(t, cookie, dashPassword)

	r = b.get("/dashboard/orders")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, "owner@shop.example")

	r = b.do(http.MethodPost, "/dashboard/logout", url.Values{"csrf_token": {b.csrf()}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	r = b.get("/dashboard/orders")
	assert.Equal(t, http.StatusSeeOther, r.status, "logged out")
	assert.Equal(t, []string{"login", "logout"}, auditActions(t, e, "shop"))
}

func TestDashboardNewSessionAtLogin(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	first := b.csrf()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	assert.NotEqual(t, first, b.csrf(), "a login starts a new session with a new token")
}

func TestDashboardLockoutAfterTenFailures(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	// A try every 6 seconds stays within the per-IP throttle; the lockout is per account.
	for range checkout.MaxFailedLogins {
		e.clock.Add(6 * time.Second)
		r := e.browser().login("owner@shop.example", "wrong")
		require.Equal(t, http.StatusUnauthorized, r.status, r.body)
		assert.Contains(t, r.body, "10")
	}
	u, err := e.store.UserByEmail(context.Background(), "owner@shop.example")
	require.NoError(t, err)
	require.NotNil(t, u.LockedUntil, "locked at the 10th failure")

	e.clock.Add(6 * time.Second)
	r := e.browser().login("owner@shop.example", dashPassword)
	assert.Equal(t, http.StatusUnauthorized, r.status, "the right password does not open a locked account")
	e.clock.Add(checkout.LockoutDuration + time.Second)
	r = e.browser().login("owner@shop.example", dashPassword)
	assert.Equal(t, http.StatusSeeOther, r.status, "open again after 30 minutes")

	actions := auditActions(t, e, "shop")
	assert.Equal(t, 9, count(actions, "login_failed"))
	assert.Equal(t, 2, count(actions, "login_locked"), "the locking failure and the refused right password")
	assert.Equal(t, "login", actions[len(actions)-1])
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

func TestDashboardLoginThrottledPerIP(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	statuses := map[int]int{}
	for range 12 {
		statuses[b.login("nobody@shop.example", "wrong").status]++
	}
	assert.Equal(t, 10, statuses[http.StatusUnauthorized])
	assert.Equal(t, 2, statuses[http.StatusTooManyRequests])
}

func TestDashboardIdleAndOldSessionsEnd(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	e.clock.Add(checkout.SessionIdle - time.Minute)
	require.Equal(t, http.StatusOK, b.get("/dashboard/orders").status, "active within 15 minutes")
	e.clock.Add(checkout.SessionIdle + time.Second)
	assert.Equal(t, http.StatusSeeOther, b.get("/dashboard/orders").status, "idle for more than 15 minutes")

	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	for elapsed := time.Duration(0); elapsed < checkout.SessionMaxAge; elapsed += 10 * time.Minute {
		e.clock.Add(10 * time.Minute)
		if b.get("/dashboard/orders").status != http.StatusOK {
			assert.GreaterOrEqual(t, elapsed+10*time.Minute, checkout.SessionMaxAge, "ended before 12 hours")
			return
		}
	}
	assert.Equal(t, http.StatusSeeOther, b.get("/dashboard/orders").status, "12 hours in all")
}

func TestDashboardPostsNeedTokenAndOrigin(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	tok := b.csrf()

	r := b.do(http.MethodPost, "/dashboard/logout", url.Values{})
	assert.Equal(t, http.StatusForbidden, r.status, "no token")
	r = b.do(http.MethodPost, "/dashboard/logout", url.Values{"csrf_token": {"x" + tok[1:]}})
	assert.Equal(t, http.StatusForbidden, r.status, "a wrong token")
	r = b.do(http.MethodPost, "/dashboard/logout", url.Values{"csrf_token": {tok}}, "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, r.status, "from another site, even with the token")
	r = b.do(http.MethodPost, "/dashboard/login", url.Values{"email": {"owner@shop.example"}, "password": {dashPassword}},
		"Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, r.status, "no login from another site")
	assert.Equal(t, http.StatusOK, b.get("/dashboard/orders").status, "still logged in: nothing changed")
	assert.Equal(t, []string{"login"}, auditActions(t, e, "shop"))
}

func TestDashboardOrdersAreTheMerchantsOwn(t *testing.T) {
	e := newEnv(t)
	e.addUser("shop", "owner@shop.example")
	e.addUser("other", "owner@other.example")
	mine := e.createOrder(orderBody("MINE-1"))["id"].(string)
	r := e.api(http.MethodPost, "/api/v1/orders", orderBody("THEIRS-1"), "Authorization", "Bearer "+otherAPIKey)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	theirs := r.json(t)["id"].(string)

	b := e.browser()
	require.Equal(t, http.StatusSeeOther, b.login("owner@shop.example", dashPassword).status)
	page := b.get("/dashboard/orders")
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, page.body, mine)
	assert.NotContains(t, page.body, theirs)
	_ = orders.StatusOpen
}

func withDashboardKeys(keys ...string) envOption {
	return func(o *checkout.Options) {
		o.DashboardKeys = nil
		for _, k := range keys {
			o.DashboardKeys = append(o.DashboardKeys, []byte(k))
		}
	}
}

// TestDashboardSessionKeyRotation: a cookie made with the old key is still good where the
// old key is kept second, and worthless where it was dropped.
func TestDashboardSessionKeyRotation(t *testing.T) {
	const oldKey, newKey = "old-key-0123456789abcdef0123456789abcdef", "new-key-0123456789abcdef0123456789abcdef"
	e := newEnv(t, withDashboardKeys(oldKey))
	e.addUser("shop", "owner@shop.example")
	b := e.browser()
	r := b.login("owner@shop.example", dashPassword)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	cookie := strings.SplitN(r.header.Get("Set-Cookie"), ";", 2)[0]

	rotated := e.secondInstance(withDashboardKeys(newKey, oldKey))
	dropped := e.secondInstance(withDashboardKeys(newKey))
	for _, tc := range []struct {
		env    *env
		status int
	}{{rotated, http.StatusOK}, {dropped, http.StatusSeeOther}} {
		req, err := http.NewRequest(http.MethodGet, tc.env.url+"/dashboard/orders", nil)
		require.NoError(t, err)
		req.Header.Set("Cookie", cookie)
		assert.Equal(t, tc.status, tc.env.do(req).status)
	}
}

// TestDashboardCookieOnHTTPS: on an https public URL the session cookie is Secure and
// __Host- prefixed, so only this exact origin ever gets it.
func TestDashboardCookieOnHTTPS(t *testing.T) {
	e := newEnv(t, func(o *checkout.Options) { o.PublicURL = "https://pay.example" })
	e.addUser("shop", "owner@shop.example")
	r := e.browser().login("owner@shop.example", dashPassword)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	c := r.header.Get("Set-Cookie")
	assert.True(t, strings.HasPrefix(c, "__Host-"), c)
	assert.Contains(t, c, "Secure")
	assert.Contains(t, c, "Path=/")
	assert.NotContains(t, c, "Domain=")
}
