package checkout

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/web/templates"
)

// Login protection (PCI DSS v4 8.3.4): an account is locked for LockoutDuration after
// MaxFailedLogins wrong passwords in a row, and each client IP may try a burst of
// loginBurst logins, then one every loginEvery. The IP throttle is per instance; the
// lockout is in the database, so it holds across instances.
const (
	MaxFailedLogins = 10
	LockoutDuration = 30 * time.Minute
	loginBurst      = 10
	loginEvery      = 6 * time.Second
	maxThrottled    = 10000 // IPs remembered; past it the oldest entries go
)

// Dashboard message keys (web/templates dashTexts).
const (
	dashMsgSessionEnded = "session_ended"
	dashMsgBadCSRF      = "bad_csrf"
	dashMsgNotFound     = "not_found"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// loginThrottle limits login attempts per client IP.
type loginThrottle struct {
	mu    sync.Mutex
	byIP  map[string]*rate.Limiter
	order []string
}

func (t *loginThrottle) allow(ip string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byIP == nil {
		t.byIP = map[string]*rate.Limiter{}
	}
	l := t.byIP[ip]
	if l == nil {
		if len(t.order) >= maxThrottled {
			delete(t.byIP, t.order[0])
			t.order = t.order[1:]
		}
		l = rate.NewLimiter(rate.Every(loginEvery), loginBurst)
		t.byIP[ip] = l
		t.order = append(t.order, ip)
	}
	return l.AllowN(now, 1)
}

// DefaultPasswordCost is the bcrypt work factor `checkout user add` stores. A login for an
// unknown email is checked against a hash of the same cost, so it takes as long as a
// wrong password and timing does not tell which accounts exist.
const DefaultPasswordCost = 12

// dummyHash is made once, at the first login of an unknown email.
func (s *Server) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), s.opts.PasswordCost)
	})
	return s.dummy
}

func (s *Server) dashLang(c echo.Context) string {
	if l := c.QueryParam("lang"); l == "tr" || l == "en" {
		return l
	}
	if ck, err := c.Cookie("dashboard_lang"); err == nil && (ck.Value == "tr" || ck.Value == "en") {
		return ck.Value
	}
	return pickLang("", c.Request().Header.Get("Accept-Language"))
}

// rememberLang keeps a language chosen with ?lang= for the next pages.
func (s *Server) rememberLang(c echo.Context) {
	if l := c.QueryParam("lang"); l == "tr" || l == "en" {
		c.SetCookie(&http.Cookie{Name: "dashboard_lang", Value: l, Path: dashboardRoute, MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode})
	}
}

// langURL is the current page in the other language.
func langURL(c echo.Context, lang string) string {
	u := *c.Request().URL
	q := u.Query()
	q.Set("lang", map[string]string{"tr": "en", "en": "tr"}[lang])
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

func (s *Server) handleLoginPage(c echo.Context) error {
	lang := s.dashLang(c)
	s.rememberLang(c)
	if u, err := s.loadSession(c); err == nil && u != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.renderLogin(c, http.StatusOK, templates.DashLoginPage{Lang: lang, Next: safeNext(c.QueryParam("next")), LangURL: langURL(c, lang)})
}

func (s *Server) renderLogin(c echo.Context, status int, p templates.DashLoginPage) error {
	p.Title = templates.DT(p.Lang, "login_title")
	return s.renderPage(c, status, dashboardCSP, templates.DashLogin(p))
}

// handleLogin checks an email and password. Every outcome is in the audit log; the answer
// to a failure never says whether the email exists, the password was wrong or the account
// is locked.
func (s *Server) handleLogin(c echo.Context) error {
	lang := s.dashLang(c)
	ctx := c.Request().Context()
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	ip := c.RealIP()
	// What the audit log keeps of a failed login's email: never something that is not an
	// address (a password typed in the wrong box), never more than an address can be.
	auditEmail := email
	if len(email) > 254 || !strings.Contains(email, "@") {
		auditEmail = "(not an email address)"
	}
	page := templates.DashLoginPage{Lang: lang, Email: email, Next: next, LangURL: langURL(c, lang)}
	if !s.logins.allow(ip, s.now()) {
		page.Error = templates.DT(lang, "login_throttled")
		c.Response().Header().Set("Retry-After", "60")
		_ = s.store.Audit(ctx, orders.AuditEntry{Email: auditEmail, IP: ip, Action: "login_throttled"})
		return s.renderLogin(c, http.StatusTooManyRequests, page)
	}
	fail := func(u *orders.User, action, detail string) error {
		e := orders.AuditEntry{Email: auditEmail, IP: ip, Action: action, Detail: detail}
		if u != nil {
			e.MerchantID, e.UserID = u.MerchantID, u.ID
		}
		if err := s.store.Audit(ctx, e); err != nil {
			return err
		}
		page.Error = templates.DT(lang, "login_failed")
		return s.renderLogin(c, http.StatusUnauthorized, page)
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, orders.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return fail(nil, "login_failed", "unknown email")
	}
	if err != nil {
		return err
	}
	switch {
	case u.Disabled:
		_ = bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) // the same time as a check
		return fail(u, "login_failed", "user disabled")
	case s.merchants[u.MerchantID] == nil:
		_ = bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) // the same time as a check
		return fail(u, "login_failed", "merchant not configured")
	case u.LockedUntil != nil && s.now().Before(*u.LockedUntil):
		_ = bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) // the same time as a check
		return fail(u, "login_locked", "account locked until "+u.LockedUntil.UTC().Format(time.RFC3339))
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) != nil {
		after, err := s.store.LoginFailed(ctx, u.ID, MaxFailedLogins, LockoutDuration)
		if err != nil {
			return err
		}
		if after.LockedUntil != nil && s.now().Before(*after.LockedUntil) {
			return fail(u, "login_locked", "wrong password; account locked for 30 minutes")
		}
		return fail(u, "login_failed", "wrong password")
	}
	switch err := s.store.LoginSucceeded(ctx, u.ID); {
	case orders.ErrorCode(err) == orders.CodeUserLocked:
		// Locked by a failure that came in at the same moment: the lock wins.
		return fail(u, "login_locked", "account locked while logging in")
	case orders.ErrorCode(err) == orders.CodeUserDisabled:
		return fail(u, "login_failed", "user disabled")
	case err != nil:
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	if err := s.store.Audit(ctx, orders.AuditEntry{MerchantID: u.MerchantID, UserID: u.ID, Email: u.Email, IP: ip, Action: "login"}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) handleLogout(c echo.Context) error {
	u := currentUser(c)
	if err := s.store.Audit(c.Request().Context(), orders.AuditEntry{MerchantID: u.User.MerchantID, UserID: u.User.ID,
		Email: u.User.Email, IP: c.RealIP(), Action: "logout"}); err != nil {
		return err
	}
	// The session ends on the server too, not only in this browser: a copy of the cookie
	// is refused from now on (and so is any other session of this user).
	if err := s.store.EndSessions(c.Request().Context(), u.User.ID); err != nil {
		return err
	}
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, dashboardRoute+"/login")
}

// dashboardError shows a dashboard notice page.
func (s *Server) dashboardError(c echo.Context, status int, key string) error {
	lang := s.dashLang(c)
	link := dashboardRoute + "/orders"
	if status == http.StatusUnauthorized {
		link = dashboardRoute + "/login"
	}
	return s.renderPage(c, status, dashboardCSP, templates.DashMessage(templates.DashMessagePage{
		Lang: lang, Title: templates.DT(lang, key), Heading: templates.DT(lang, key),
		Message: templates.DT(lang, key+"_text"), LinkURL: link,
	}))
}
