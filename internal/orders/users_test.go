package orders_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// hash stands in for a bcrypt hash: the store keeps the bytes it is given.
var hash = []byte("$2a$12$notarealhashbutthestoredoesnotcare")

func TestCreateUser(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	u, err := f.store.CreateUser(ctx, merchantID, "  Ana@Shop.Example ", hash)
	require.NoError(t, err)
	assert.Regexp(t, `^usr_[a-z2-7]{20}$`, u.ID)
	assert.Equal(t, "ana@shop.example", u.Email)
	assert.Equal(t, merchantID, u.MerchantID)
	assert.Equal(t, f.clock.Now(), u.CreatedAt)

	got, err := f.store.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, u, got)
	got, err = f.store.UserByEmail(ctx, "ANA@shop.example\t")
	require.NoError(t, err)
	assert.Equal(t, u, got)
	assert.Equal(t, hash, got.PasswordHash)
	assert.False(t, got.Disabled)
	assert.Zero(t, got.FailedLogins)
	assert.Nil(t, got.LockedUntil)
	assert.Nil(t, got.LastLoginAt)
}

func TestCreateUserRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.EnsureMerchant(ctx, orders.Merchant{ID: "m2", Name: "Other"}))
	_, err := f.store.CreateUser(ctx, merchantID, "ana@shop.example", hash)
	require.NoError(t, err)

	cases := []struct {
		name, merchant, email, code string
	}{
		{"same email", merchantID, "ana@shop.example", orders.CodeDuplicateEmail},
		{"other case and spaces", merchantID, " ANA@Shop.example  ", orders.CodeDuplicateEmail},
		{"other merchant", "m2", "Ana@shop.example", orders.CodeDuplicateEmail},
		{"unknown merchant", "nope", "bob@shop.example", orders.CodeUnknownMerchant},
		{"no merchant", "", "bob@shop.example", orders.CodeUnknownMerchant},
		{"no email", merchantID, "  ", orders.CodeInvalidEmail},
		{"not an email", merchantID, "bob", orders.CodeInvalidEmail},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := f.store.CreateUser(ctx, tc.merchant, tc.email, hash)
			require.Error(t, err)
			assert.Nil(t, u)
			assert.Equal(t, tc.code, orders.ErrorCode(err), err.Error())
		})
	}
	var n int
	require.NoError(t, f.raw.QueryRow("SELECT count(*) FROM users").Scan(&n))
	assert.Equal(t, 1, n, "nothing refused was stored")
}

func TestEnsureUserLeavesExistingAlone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.EnsureUser(ctx, merchantID, "demo@example.com", hash))
	first, err := f.store.UserByEmail(ctx, "demo@example.com")
	require.NoError(t, err)
	require.NoError(t, f.store.DisableUser(ctx, "demo@example.com"))

	f.clock.Advance(time.Hour)
	require.NoError(t, f.store.EnsureUser(ctx, merchantID, "Demo@Example.com", []byte("other hash")))
	again, err := f.store.UserByEmail(ctx, "demo@example.com")
	require.NoError(t, err)
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, hash, again.PasswordHash)
	assert.Equal(t, first.CreatedAt, again.CreatedAt)
	assert.True(t, again.Disabled, "EnsureUser does not enable a disabled user")

	err = f.store.EnsureUser(ctx, "nope", "x@example.com", hash)
	assert.Equal(t, orders.CodeUnknownMerchant, orders.ErrorCode(err))
}

func TestUserNotFound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.store.GetUser(ctx, "usr_nope")
	assert.ErrorIs(t, err, orders.ErrNotFound)
	_, err = f.store.UserByEmail(ctx, "nobody@example.com")
	assert.ErrorIs(t, err, orders.ErrNotFound)
	assert.ErrorIs(t, f.store.DisableUser(ctx, "nobody@example.com"), orders.ErrNotFound)
	_, err = f.store.LoginFailed(ctx, "usr_nope", 10, 30*time.Minute)
	assert.ErrorIs(t, err, orders.ErrNotFound)
	assert.ErrorIs(t, f.store.LoginSucceeded(ctx, "usr_nope"), orders.ErrNotFound)
}

func TestLockoutAtTenthFailure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.store.CreateUser(ctx, merchantID, "ana@shop.example", hash)
	require.NoError(t, err)

	for i := 1; i <= 9; i++ {
		got, err := f.store.LoginFailed(ctx, u.ID, 10, 30*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, i, got.FailedLogins)
		assert.Nil(t, got.LockedUntil, "failure %d", i)
		f.clock.Advance(time.Second)
	}
	lockedAt := f.clock.Now()
	got, err := f.store.LoginFailed(ctx, u.ID, 10, 30*time.Minute)
	require.NoError(t, err)
	require.NotNil(t, got.LockedUntil)
	assert.Equal(t, lockedAt.Add(30*time.Minute), *got.LockedUntil)
	assert.Zero(t, got.FailedLogins, "the count starts again after the lock")
	assert.True(t, got.Locked(f.clock.Now()))
	stored, err := f.store.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, got, stored, "LoginFailed returns the user as stored")

	// While locked, a correct password is refused and a wrong one neither counts nor
	// extends the lock.
	f.clock.Advance(29 * time.Minute)
	err = f.store.LoginSucceeded(ctx, u.ID)
	assert.Equal(t, orders.CodeUserLocked, orders.ErrorCode(err))
	got, err = f.store.LoginFailed(ctx, u.ID, 10, 30*time.Minute)
	require.NoError(t, err)
	assert.Zero(t, got.FailedLogins)
	assert.Equal(t, lockedAt.Add(30*time.Minute), *got.LockedUntil)

	// Once the lock has run out, the user may log in.
	f.clock.Advance(time.Minute)
	assert.False(t, got.Locked(f.clock.Now()))
	require.NoError(t, f.store.LoginSucceeded(ctx, u.ID))
	got, err = f.store.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Nil(t, got.LockedUntil)
	require.NotNil(t, got.LastLoginAt)
	assert.Equal(t, f.clock.Now(), *got.LastLoginAt)
}

func TestLoginSucceededResetsFailures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.store.CreateUser(ctx, merchantID, "ana@shop.example", hash)
	require.NoError(t, err)

	for range 9 {
		_, err := f.store.LoginFailed(ctx, u.ID, 10, 30*time.Minute)
		require.NoError(t, err)
	}
	require.NoError(t, f.store.LoginSucceeded(ctx, u.ID))
	got, err := f.store.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Zero(t, got.FailedLogins)
	require.NotNil(t, got.LastLoginAt)
	assert.Equal(t, f.clock.Now(), *got.LastLoginAt)

	// Failures count "in a row": nine more after the success do not lock.
	for range 9 {
		got, err = f.store.LoginFailed(ctx, u.ID, 10, 30*time.Minute)
		require.NoError(t, err)
	}
	assert.Equal(t, 9, got.FailedLogins)
	assert.Nil(t, got.LockedUntil)

	// After a lock has run out, counting starts from zero.
	got, err = f.store.LoginFailed(ctx, u.ID, 10, 30*time.Minute)
	require.NoError(t, err)
	require.NotNil(t, got.LockedUntil)
	f.clock.Advance(30 * time.Minute)
	got, err = f.store.LoginFailed(ctx, u.ID, 10, 30*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 1, got.FailedLogins)
	assert.Nil(t, got.LockedUntil)

	_, err = f.store.LoginFailed(ctx, u.ID, 0, 30*time.Minute)
	assert.Error(t, err)
}

func TestDisabledUser(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.store.CreateUser(ctx, merchantID, "ana@shop.example", hash)
	require.NoError(t, err)
	other, err := f.store.CreateUser(ctx, merchantID, "bob@shop.example", hash)
	require.NoError(t, err)

	require.NoError(t, f.store.DisableUser(ctx, " ANA@shop.example"))
	require.NoError(t, f.store.DisableUser(ctx, "ana@shop.example"), "disabling twice is fine")
	got, err := f.store.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.True(t, got.Disabled)
	err = f.store.LoginSucceeded(ctx, u.ID)
	assert.Equal(t, orders.CodeUserDisabled, orders.ErrorCode(err))
	got, err = f.store.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Nil(t, got.LastLoginAt, "a refused login is not recorded")

	got, err = f.store.GetUser(ctx, other.ID)
	require.NoError(t, err)
	assert.False(t, got.Disabled, "only that user is disabled")
	require.NoError(t, f.store.LoginSucceeded(ctx, other.ID))

	_, err = f.store.CreateUser(ctx, merchantID, "ana@shop.example", hash)
	assert.Equal(t, orders.CodeDuplicateEmail, orders.ErrorCode(err), "a disabled user keeps its email")
}

func TestAuditNewestFirstPerMerchant(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.EnsureMerchant(ctx, orders.Merchant{ID: "m2", Name: "Other"}))

	start := f.clock.Now()
	for i, a := range []string{"login", "capture", "refund", "logout"} {
		require.NoError(t, f.store.Audit(ctx, orders.AuditEntry{
			MerchantID: merchantID, UserID: "usr_a", Email: "Ana@Shop.example", IP: "203.0.113.7",
			Action: a, OrderID: fmt.Sprintf("ord_%d", i), Detail: "amount 10.00 TRY",
		}))
		require.NoError(t, f.store.Audit(ctx, orders.AuditEntry{MerchantID: "m2", Email: "eve@other.example", Action: "other_" + a}))
		if i < 2 {
			f.clock.Advance(time.Minute) // the last two share a time: the later written comes first
		}
	}
	require.NoError(t, f.store.Audit(ctx, orders.AuditEntry{Email: "nobody@example.com", IP: "198.51.100.1", Action: "login_failed"}))

	list, err := f.store.ListAudit(ctx, merchantID, 0)
	require.NoError(t, err)
	var actions []string
	for _, e := range list {
		actions = append(actions, e.Action)
		assert.Equal(t, merchantID, e.MerchantID)
		assert.Regexp(t, `^aud_[a-z2-7]{20}$`, e.ID)
	}
	assert.Equal(t, []string{"logout", "refund", "capture", "login"}, actions)
	assert.Equal(t, orders.AuditEntry{
		ID: list[3].ID, MerchantID: merchantID, UserID: "usr_a", Email: "ana@shop.example", IP: "203.0.113.7",
		Action: "login", OrderID: "ord_0", Detail: "amount 10.00 TRY", CreatedAt: start,
	}, list[3])
	assert.Equal(t, start.Add(2*time.Minute), list[0].CreatedAt)

	list, err = f.store.ListAudit(ctx, merchantID, 2)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "logout", list[0].Action)

	list, err = f.store.ListAudit(ctx, "m2", 100)
	require.NoError(t, err)
	assert.Len(t, list, 4)
	for _, e := range list {
		assert.Equal(t, "m2", e.MerchantID)
	}
	list, err = f.store.ListAudit(ctx, "m3", 100)
	require.NoError(t, err)
	assert.Empty(t, list)

	assert.Error(t, f.store.Audit(ctx, orders.AuditEntry{MerchantID: merchantID}), "an entry needs an action")
}
