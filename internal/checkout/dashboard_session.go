package checkout

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
)

// Dashboard session limits (PCI DSS v4 8.2.8: re-authenticate after 15 minutes idle).
const (
	SessionIdle    = 15 * time.Minute
	SessionMaxAge  = 12 * time.Hour
	csrfFormField  = "csrf_token"
	dashboardRoute = "/dashboard"
)

// session keys of the dashboard cookie's values.
const (
	sessUser     = "uid"
	sessMerchant = "mid"
	sessID       = "sid"
	sessCSRF     = "csrf"
	sessIssued   = "iat"
	sessSeen     = "seen"
)

// newSessionStore builds the dashboard's cookie store from the configured keys: the first
// signs and encrypts new cookies, the others are still accepted (a key rotation). Each key
// gives an HMAC key and an AES-256 key, derived apart so neither reveals the other.
func newSessionStore(keys [][]byte, secure bool) *sessions.CookieStore {
	var pairs [][]byte
	for _, k := range keys {
		auth := sha256.Sum256(append([]byte("checkout dashboard auth\x00"), k...))
		enc := sha256.Sum256(append([]byte("checkout dashboard enc\x00"), k...))
		pairs = append(pairs, auth[:], enc[:])
	}
	st := sessions.NewCookieStore(pairs...)
	st.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(SessionMaxAge / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	st.MaxAge(st.Options.MaxAge)
	return st
}

// sessionCookieName is __Host- prefixed on https: the browser then keeps it to our exact
// origin (Secure, Path=/, no Domain), so no sibling subdomain can plant or read it.
func (s *Server) sessionCookieName() string {
	if s.secureCookies {
		return "__Host-checkout_dashboard"
	}
	return "checkout_dashboard"
}

// dashUser is the logged-in user of a dashboard request.
type dashUser struct {
	User     *orders.User
	Merchant *merchant
	CSRF     string
	session  *sessions.Session
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var errNoSession = errors.New("no dashboard session")

// loadSession reads and checks the session cookie: signed by one of our keys, within the
// idle and absolute limits, for a user who exists, is not disabled and still belongs to a
// configured merchant.
func (s *Server) loadSession(c echo.Context) (*dashUser, error) {
	sess, err := s.sessions.Get(c.Request(), s.sessionCookieName())
	if err != nil || sess.IsNew {
		return nil, errNoSession
	}
	uid, _ := sess.Values[sessUser].(string)
	mid, _ := sess.Values[sessMerchant].(string)
	csrf, _ := sess.Values[sessCSRF].(string)
	issued, _ := sess.Values[sessIssued].(int64) // Unix milliseconds
	seen, _ := sess.Values[sessSeen].(int64)
	now := s.now()
	if uid == "" || csrf == "" || now.Sub(time.UnixMilli(issued)) >= SessionMaxAge || now.Sub(time.Unix(seen, 0)) >= SessionIdle {
		return nil, errNoSession
	}
	u, err := s.store.GetUser(c.Request().Context(), uid)
	if err != nil {
		if errors.Is(err, orders.ErrNotFound) {
			return nil, errNoSession
		}
		return nil, err
	}
	m := s.merchants[u.MerchantID]
	if u.Disabled || m == nil || u.MerchantID != mid || !time.UnixMilli(issued).After(u.SessionsEndAt) {
		return nil, errNoSession // disabled, moved, or logged out since this session began
	}
	return &dashUser{User: u, Merchant: m, CSRF: csrf, session: sess}, nil
}

// requireSession lets a request through with a valid session, refreshing its idle time;
// without one a GET is sent to the login page (coming back afterwards) and anything else
// is refused. A state-changing request must carry the session's CSRF token.
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := s.loadSession(c)
		if errors.Is(err, errNoSession) {
			if c.Request().Method == http.MethodGet {
				return c.Redirect(http.StatusSeeOther, dashboardRoute+"/login?next="+urlQueryEscape(c.Request().URL.RequestURI()))
			}
			return s.dashboardError(c, http.StatusUnauthorized, dashMsgSessionEnded)
		}
		if err != nil {
			return err
		}
		if c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead {
			// From the body only: a token in a URL ends up in logs and history.
			if subtle.ConstantTimeCompare([]byte(c.Request().PostFormValue(csrfFormField)), []byte(u.CSRF)) != 1 {
				return s.dashboardError(c, http.StatusForbidden, dashMsgBadCSRF)
			}
		}
		u.session.Values[sessSeen] = s.now().Unix()
		if err := u.session.Save(c.Request(), c.Response()); err != nil {
			return err
		}
		c.Set("dash_user", u)
		return next(c)
	}
}

func currentUser(c echo.Context) *dashUser {
	u, _ := c.Get("dash_user").(*dashUser)
	return u
}

// startSession logs u in: a new session (new id, new CSRF token) replaces whatever cookie
// the browser had, so a session id planted before login is worth nothing after it.
func (s *Server) startSession(c echo.Context, u *orders.User) error {
	sess, err := s.sessions.New(c.Request(), s.sessionCookieName())
	if err != nil && sess == nil {
		return err
	}
	now := s.now()
	sess.Values = map[any]any{
		sessUser: u.ID, sessMerchant: u.MerchantID, sessID: randomToken(), sessCSRF: randomToken(),
		sessIssued: now.UnixMilli(), sessSeen: now.Unix(),
	}
	return sess.Save(c.Request(), c.Response())
}

// endSession removes the session cookie.
func (s *Server) endSession(c echo.Context) error {
	sess, _ := s.sessions.New(c.Request(), s.sessionCookieName())
	sess.Options = &sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode}
	return sess.Save(c.Request(), c.Response())
}

// dashboardCSP allows our own scripts, styles and images, forms to ourselves only, and no
// framing at all: the dashboard is never embedded.
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'" + cspReportDirectives

// safeNext keeps a post-login redirect on our dashboard: a path under /dashboard, never
// another host ("//evil.example" or "/\evil").
func safeNext(next string) string {
	fallback := dashboardRoute + "/orders"
	if strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "//") {
		return fallback
	}
	p, query, _ := strings.Cut(next, "?")
	if clean := path.Clean(p); clean != p || (!strings.HasPrefix(clean, dashboardRoute+"/") && clean != dashboardRoute) {
		return fallback // dot segments or a path outside the dashboard
	}
	if query != "" {
		return p + "?" + query
	}
	return p
}

// refuseCrossOrigin refuses a state-changing request that a browser says came from another
// origin (Sec-Fetch-Site, or Origin against Host), with the standard library's check.
func (s *Server) refuseCrossOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.crossOrigin.Check(c.Request()); err != nil {
			return s.dashboardError(c, http.StatusForbidden, dashMsgBadCSRF)
		}
		return next(c)
	}
}
