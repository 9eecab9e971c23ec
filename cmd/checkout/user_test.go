package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
)

const testPassword = "correct horse battery"

// userEnv writes a config with two merchants and returns the environment that points
// `checkout user` (and `checkout serve`) at it and at a database in a temp dir.
func userEnv(t *testing.T) (map[string]string, storetest.DB) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "checkout.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`
server:
  public_url: https://pay.example.com
`+storeYAML+`merchants:
  - id: shop
    name: Shop
    api_key_env: SHOP_KEY
    link_secret_env: SHOP_LINK
    moka: {base_url: "https://service.refmokaunited.com", dealer_code: "1", username: u, password_env: SHOP_MOKA}
  - id: other
    name: Other
    api_key_env: SHOP_KEY
    link_secret_env: SHOP_LINK
    moka: {base_url: "https://service.refmokaunited.com", dealer_code: "2", username: u, password_env: SHOP_MOKA}
`), 0o600))
	env := map[string]string{
		"CHECKOUT_CONFIG": cfg,
		"SHOP_KEY":        "k", "SHOP_LINK": "shop-link-secret", "SHOP_MOKA": "p",
	}
	return env, cmdStore(t, env)
}

// runUserCmd runs `checkout user ...` with stdin, hashing at bcrypt's least cost: the
// real cost takes seconds under the race detector. TestUserAdd checks the real one.
func runUserCmd(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return runUserCost(t, env, stdin, bcrypt.MinCost, args...)
}

func runUserCost(t *testing.T, env map[string]string, stdin string, cost int, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runUser(t.Context(), args, envOf(env), strings.NewReader(stdin), &stdout, &stderr, cost)
	return stdout.String(), stderr.String(), err
}

// storedUser opens the database the command wrote, as the server would.
func storedUser(t *testing.T, db storetest.DB, email string) (*orders.User, error) {
	t.Helper()
	s := openCmdStore(t, db)
	defer s.Close()
	return s.UserByEmail(context.Background(), email)
}

func TestUserAdd(t *testing.T) {
	t.Parallel() // the real bcrypt cost takes seconds under the race detector
	env, db := userEnv(t)
	out, errOut, err := runUserCost(t, env, testPassword+"\n", bcryptCost, "add", "-merchant", "shop", "-email", " Ana@Shop.Example ")
	require.NoError(t, err)
	assert.Regexp(t, `^added user ana@shop.example \(usr_[a-z2-7]{20}\) for merchant shop\n$`, out)
	assert.NotContains(t, out+errOut, testPassword)

	u, err := storedUser(t, db, "ana@shop.example")
	require.NoError(t, err)
	assert.Equal(t, "shop", u.MerchantID)
	assert.False(t, u.Disabled)
	require.NoError(t, bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(testPassword)))
	cost, err := bcrypt.Cost(u.PasswordHash)
	require.NoError(t, err)
	assert.Equal(t, 12, cost)
}

func TestUserAddPasswordLine(t *testing.T) {
	env, db := userEnv(t)
	// A Windows line ending and no final newline are both one line; what follows the first
	// line is not part of the password.
	for i, stdin := range []string{testPassword + "\r\nsecond line\n", testPassword} {
		email := []string{"crlf@shop.example", "eof@shop.example"}[i]
		_, _, err := runUserCmd(t, env, stdin, "add", "-merchant", "shop", "-email", email)
		require.NoError(t, err)
		u, err := storedUser(t, db, email)
		require.NoError(t, err)
		assert.NoError(t, bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(testPassword)), email)
	}
}

func TestUserAddRefuses(t *testing.T) {
	env, db := userEnv(t)
	_, _, err := runUserCmd(t, env, testPassword+"\n", "add", "-merchant", "shop", "-email", "taken@shop.example")
	require.NoError(t, err)
	long := strings.Repeat("p", 73)

	cases := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"short password", "eleven char\n", []string{"-merchant", "shop", "-email", "new@shop.example"},
			"user add: the password is too short: dashboard passwords need at least 12 characters (PCI DSS v4 8.3.6)"},
		{"short in runes", "şifreşifreş\n", []string{"-merchant", "shop", "-email", "new@shop.example"},
			"at least 12 characters"},
		{"long password", long + "\n", []string{"-merchant", "shop", "-email", "new@shop.example"},
			"the password is too long: bcrypt takes at most 72 bytes"},
		{"no password", "", []string{"-merchant", "shop", "-email", "new@shop.example"},
			"no password on stdin"},
		{"empty line", "\n" + testPassword + "\n", []string{"-merchant", "shop", "-email", "new@shop.example"},
			"no password on stdin"},
		{"merchant not configured", testPassword, []string{"-merchant", "demo", "-email", "new@shop.example"},
			`user add: merchant "demo" is not configured in ` + env["CHECKOUT_CONFIG"]},
		{"taken email", testPassword, []string{"-merchant", "other", "-email", "TAKEN@shop.example"},
			"user add: a user with email taken@shop.example already exists"},
		{"not an email", testPassword, []string{"-merchant", "shop", "-email", "ana"},
			`user add: -email "ana" is not an email address`},
		{"no email", testPassword, []string{"-merchant", "shop"}, "user add: -merchant and -email are required"},
		{"no merchant", testPassword, []string{"-email", "new@shop.example"}, "user add: -merchant and -email are required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := runUserCmd(t, env, tc.stdin, append([]string{"add"}, tc.args...)...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, out)
			for _, secret := range []string{testPassword, "eleven char", long} {
				assert.NotContains(t, err.Error()+errOut, secret)
			}
		})
	}
	_, err = storedUser(t, db, "new@shop.example")
	assert.ErrorIs(t, err, orders.ErrNotFound, "nothing refused was stored")
	u, err := storedUser(t, db, "taken@shop.example")
	require.NoError(t, err)
	assert.Equal(t, "shop", u.MerchantID, "the existing user is unchanged")
}

func TestUserNeedsConfig(t *testing.T) {
	for _, args := range [][]string{
		{"add", "-merchant", "demo", "-email", "a@example.com"},
		{"disable", "-email", "a@example.com"},
	} {
		_, _, err := runUserCmd(t, nil, testPassword, args...)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "pass -config FILE or set CHECKOUT_CONFIG")
	}

	// -config wins over the environment, as for serve.
	env, _ := userEnv(t)
	env["CHECKOUT_CONFIG"] = filepath.Join(t.TempDir(), "nope.yaml")
	_, _, err := runUserCmd(t, env, testPassword, "add", "-merchant", "shop", "-email", "a@example.com")
	assert.ErrorContains(t, err, "read config")
}

func TestUserDisable(t *testing.T) {
	env, db := userEnv(t)
	_, _, err := runUserCmd(t, env, testPassword+"\n", "add", "-merchant", "shop", "-email", "ana@shop.example")
	require.NoError(t, err)

	// Through run, as the binary is called: the command is registered.
	out, _, err := runCmd(t, env, "user", "disable", "-email", "ANA@shop.example")
	require.NoError(t, err)
	assert.Equal(t, "disabled user ana@shop.example\n", out)
	u, err := storedUser(t, db, "ana@shop.example")
	require.NoError(t, err)
	assert.True(t, u.Disabled)

	_, _, err = runCmd(t, env, "user", "disable", "-email", "nobody@shop.example")
	require.EqualError(t, err, "user disable: no user with email nobody@shop.example")
	_, _, err = runCmd(t, env, "user", "disable")
	require.EqualError(t, err, "user disable: -email is required")
}

func TestUserUsage(t *testing.T) {
	out, _, err := runCmd(t, nil, "-h")
	require.NoError(t, err)
	assert.Contains(t, out, "\n  user ")

	out, _, err = runCmd(t, nil, "user", "help")
	require.NoError(t, err)
	assert.Contains(t, out, "checkout user add -merchant M -email E")

	_, errOut, err := runCmd(t, nil, "user")
	require.EqualError(t, err, "user: want a subcommand: add or disable")
	assert.Contains(t, errOut, "checkout user disable -email E")

	_, _, err = runCmd(t, nil, "user", "remove")
	require.EqualError(t, err, `user: unknown subcommand "remove"`)

	_, errOut, err = runCmd(t, nil, "user", "add", "-h")
	require.NoError(t, err)
	assert.Contains(t, errOut, "-merchant")
}
