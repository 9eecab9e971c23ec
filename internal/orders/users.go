package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// User is a person who logs in to a merchant's dashboard.
type User struct {
	ID           string // "usr_" + random
	MerchantID   string
	Email        string // stored lower-cased and trimmed; unique across merchants
	PasswordHash []byte // bcrypt
	Disabled     bool
	FailedLogins int
	LockedUntil  *time.Time
	CreatedAt    time.Time
	LastLoginAt  *time.Time
	// SessionsEndAt: the user's dashboard sessions issued at or before this time are over
	// (set at logout). Zero: none ended.
	SessionsEndAt time.Time
}

// Locked reports whether the user is locked out at now.
func (u *User) Locked(now time.Time) bool {
	return u.LockedUntil != nil && now.Before(*u.LockedUntil)
}

// Error codes of users.
const (
	// CodeDuplicateEmail: another user (of any merchant) has this email.
	CodeDuplicateEmail = "duplicate_email"
	// CodeInvalidEmail: the email is empty or not an address.
	CodeInvalidEmail = "invalid_email"
	// CodeUserLocked: the user is locked out after too many failed passwords.
	CodeUserLocked = "user_locked"
	// CodeUserDisabled: the user has been disabled.
	CodeUserDisabled = "user_disabled"
)

// DefaultAuditLimit is how many audit entries ListAudit returns when asked for none;
// MaxAuditLimit is the most it returns.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

func newUserID() string  { return "usr_" + randomBase32(20) }
func newAuditID() string { return "aud_" + randomBase32(20) }

// NormalizeEmail is the form in which emails are stored and looked up: trimmed and
// lower-cased, so a login does not depend on how the user typed the address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func checkEmail(email string) error {
	if email == "" {
		return newError(CodeInvalidEmail, "email", "email is empty")
	}
	if at := strings.IndexByte(email, '@'); at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n") {
		return newError(CodeInvalidEmail, "email", "%q is not an email address", email)
	}
	return nil
}

// CreateUser stores a new dashboard user of the merchant. An unknown merchant is refused
// with unknown_merchant, an email another user has (compared trimmed and lower-cased)
// with duplicate_email.
func (s *Store) CreateUser(ctx context.Context, merchantID, email string, passwordHash []byte) (*User, error) {
	u, err := s.insertUser(ctx, merchantID, email, passwordHash, false)
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", NormalizeEmail(email), err)
	}
	return u, nil
}

// EnsureUser creates the user when no user has the email and leaves an existing one
// alone (its merchant, password and state included). Demo mode calls it at every start.
func (s *Store) EnsureUser(ctx context.Context, merchantID, email string, passwordHash []byte) error {
	if _, err := s.insertUser(ctx, merchantID, email, passwordHash, true); err != nil {
		return fmt.Errorf("ensure user %s: %w", NormalizeEmail(email), err)
	}
	return nil
}

func (s *Store) insertUser(ctx context.Context, merchantID, email string, passwordHash []byte, keepExisting bool) (*User, error) {
	u := &User{ID: newUserID(), MerchantID: merchantID, Email: NormalizeEmail(email)}
	if err := checkEmail(u.Email); err != nil {
		return nil, err
	}
	if merchantID == "" {
		return nil, newError(CodeUnknownMerchant, "merchant_id", "merchant id is empty")
	}
	if len(passwordHash) == 0 {
		return nil, errors.New("no password hash")
	}
	u.PasswordHash = append([]byte(nil), passwordHash...)
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		u.CreatedAt = s.txNow(ctx)
		q := `INSERT INTO users (id, merchant_id, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`
		if keepExisting {
			q += ` ON CONFLICT (email) DO NOTHING`
		}
		_, err := tx.ExecContext(ctx, q, u.ID, u.MerchantID, u.Email, u.PasswordHash, formatTime(u.CreatedAt))
		switch {
		case isForeignKey(err):
			return newError(CodeUnknownMerchant, "merchant_id", "merchant %q is not known", merchantID)
		case isUnique(err, "users", "email"):
			return newError(CodeDuplicateEmail, "email", "a user with email %q already exists", u.Email)
		case err != nil:
			return fmt.Errorf("insert user: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DisableUser disables the user with the email: a disabled user can no longer log in.
// Disabling a disabled user changes nothing; an unknown email is ErrNotFound.
func (s *Store) DisableUser(ctx context.Context, email string) error {
	email = NormalizeEmail(email)
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = TRUE WHERE email = ?`, email)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("disable user %s: %w", email, err)
	}
	return nil
}

// UserByEmail returns the user with the email (compared trimmed and lower-cased), or
// ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	email = NormalizeEmail(email)
	u, err := loadUser(ctx, s.r, "email = ?", email)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", email, err)
	}
	return u, nil
}

// GetUser returns the user with the id, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (*User, error) {
	u, err := loadUser(ctx, s.r, "id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}

// LoginFailed counts a failed password for the user and, at the max-th failure in a row,
// locks the user until now+lockFor (and resets the count). Returns the user as stored
// after. A failure while the user is locked is not counted and does not extend the lock:
// the lock lasts lockFor from the failure that set it.
func (s *Store) LoginFailed(ctx context.Context, userID string, max int, lockFor time.Duration) (*User, error) {
	if max <= 0 || lockFor <= 0 {
		return nil, fmt.Errorf("login failed %s: max %d and lockFor %s must be positive", userID, max, lockFor)
	}
	var u *User
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		var err error
		if u, err = loadUser(ctx, tx, "id = ?", userID); err != nil {
			return err
		}
		now := s.txNow(ctx)
		if u.Locked(now) {
			return nil
		}
		u.FailedLogins++
		u.LockedUntil = nil // a lock that has run out is over
		if u.FailedLogins >= max {
			until := now.Add(lockFor)
			u.FailedLogins, u.LockedUntil = 0, &until
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?`,
			u.FailedLogins, formatTimePtr(u.LockedUntil), u.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("login failed %s: %w", userID, err)
	}
	return u, nil
}

// LoginSucceeded resets the failure count and records the login time. It decides again,
// in the transaction that records the login, that the user may log in: a user disabled,
// or locked by a concurrent failure, since the caller read it is refused with
// user_disabled or user_locked and nothing is changed.
func (s *Store) LoginSucceeded(ctx context.Context, userID string) error {
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		u, err := loadUser(ctx, tx, "id = ?", userID)
		if err != nil {
			return err
		}
		now := s.txNow(ctx)
		switch {
		case u.Disabled:
			return newError(CodeUserDisabled, "", "user is disabled")
		case u.Locked(now):
			return newError(CodeUserLocked, "", "user is locked until %s", formatTime(*u.LockedUntil))
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ?
			WHERE id = ?`, formatTime(now), u.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("login succeeded %s: %w", userID, err)
	}
	return nil
}

func loadUser(ctx context.Context, q querier, where string, args ...any) (*User, error) {
	var (
		u                 User
		created           string
		locked, lastLogin sql.NullString
		sessionsEnd       int64
	)
	err := q.QueryRowContext(ctx, `SELECT id, merchant_id, email, password_hash, disabled, failed_logins,
		locked_until, created_at, last_login_at, sessions_end_at FROM users WHERE `+where, args...).
		Scan(&u.ID, &u.MerchantID, &u.Email, &u.PasswordHash, &u.Disabled, &u.FailedLogins,
			&locked, &created, &lastLogin, &sessionsEnd)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read user: %w", err)
	}
	if u.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if u.LockedUntil, err = parseNullTime(locked); err != nil {
		return nil, err
	}
	if u.LastLoginAt, err = parseNullTime(lastLogin); err != nil {
		return nil, err
	}
	if sessionsEnd > 0 {
		u.SessionsEndAt = time.UnixMilli(sessionsEnd).UTC()
	}
	return &u, nil
}

// EndSessions ends every dashboard session of the user issued until now: logout does it,
// so a session cookie copied from the browser is worthless afterwards.
func (s *Store) EndSessions(ctx context.Context, userID string) error {
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET sessions_end_at = ? WHERE id = ?`, s.txNow(ctx).UnixMilli(), userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("end sessions of %s: %w", userID, err)
	}
	return nil
}

// AuditEntry is one line of the audit log: who did what, when, from where.
type AuditEntry struct {
	ID         string // "aud_" + random
	MerchantID string
	UserID     string // "" for a failed login of an unknown email
	Email      string
	IP         string
	Action     string // e.g. "login", "login_failed", "login_locked", "logout", "capture", "refund", "cancel", "approve", "link_created"
	OrderID    string
	Detail     string // human-readable, never a password or card data
	CreatedAt  time.Time
}

// Audit appends e to the audit log, filling in its ID and CreatedAt. Action is required.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if e.Action == "" {
		return errors.New("audit: no action")
	}
	e.ID = newAuditID()
	e.Email = NormalizeEmail(e.Email)
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (id, merchant_id, user_id, email, ip, action,
			order_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.MerchantID, e.UserID, e.Email, e.IP, e.Action, e.OrderID, e.Detail, formatTime(s.txNow(ctx)))
		return err
	})
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Email, err)
	}
	return nil
}

// ListAudit returns the merchant's audit entries, newest first: at most limit, 100 when
// limit <= 0, never more than MaxAuditLimit.
func (s *Store) ListAudit(ctx context.Context, merchantID string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = DefaultAuditLimit
	}
	limit = min(limit, MaxAuditLimit)
	rows, err := s.r.QueryContext(ctx, `SELECT id, merchant_id, user_id, email, ip, action, order_id, detail,
		created_at FROM audit_log WHERE merchant_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`,
		merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit %s: %w", merchantID, err)
	}
	defer rows.Close()
	var list []AuditEntry
	for rows.Next() {
		var (
			e       AuditEntry
			created string
		)
		if err := rows.Scan(&e.ID, &e.MerchantID, &e.UserID, &e.Email, &e.IP, &e.Action, &e.OrderID,
			&e.Detail, &created); err != nil {
			return nil, fmt.Errorf("list audit %s: %w", merchantID, err)
		}
		if e.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("list audit %s: %w", merchantID, err)
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit %s: %w", merchantID, err)
	}
	return list, nil
}
