package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
)

const (
	// migrateKey is 32 bytes of 0xab in hex.
	migrateKey = "abababababababababababababababababababababababababababababababab"
	// migrateConfig is the checkout.yaml of the migrate tests; the store section comes
	// from the environment (CHECKOUT_STORE_DRIVER, CHECKOUT_STORE_DSN).
	migrateConfig = `
server:
  code_for_hash_key_env: CFH_KEY
merchants:
  - id: shop
    name: Shop
    api_key_env: SHOP_KEY
    link_secret_env: SHOP_LINK
    moka: {base_url: "https://service.refmokaunited.com", dealer_code: "1", username: u, password_env: SHOP_MOKA}
`
)

// migrateEnv writes the config and returns the environment of a `checkout migrate` on it.
func migrateEnv(t *testing.T, kv ...string) map[string]string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "checkout.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(migrateConfig), 0o600))
	env := map[string]string{"CHECKOUT_CONFIG": cfg, "CFH_KEY": migrateKey, "SHOP_KEY": "k", "SHOP_LINK": "l", "SHOP_MOKA": "p"}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

func TestMigrateCommandSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "checkout.db")
	env := migrateEnv(t, "CHECKOUT_DB", db)

	for range 2 { // a second run finds nothing to do, and says the same
		out, stderr, err := runCmd(t, env, "migrate")
		require.NoError(t, err, stderr)
		assert.Equal(t, "migrate: sqlite "+db+": migrations applied\n", out)
	}
	_, err := os.Stat(db + ".key")
	assert.ErrorIs(t, err, os.ErrNotExist, "migrate makes no key file")

	// The schema is there: the server's store opens on it and writes.
	store, err := orders.OpenWith(context.Background(), db, time.Now, orders.Options{SealKey: bytes.Repeat([]byte{0xab}, 32)})
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, store.EnsureMerchant(context.Background(), orders.Merchant{ID: "shop", Name: "Shop"}))
}

func TestMigrateCommandErrors(t *testing.T) {
	_, _, err := runCmd(t, nil, "migrate")
	require.EqualError(t, err, "migrate: no config file: pass -config FILE or set CHECKOUT_CONFIG, the same as for checkout serve")

	_, _, err = runCmd(t, migrateEnv(t, "CHECKOUT_STORE_DRIVER", "postgres"), "migrate")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "store.dsn: store.driver postgres needs a DSN")

	_, _, err = runCmd(t, migrateEnv(t), "migrate", "extra")
	require.EqualError(t, err, `migrate: unexpected argument "extra"`)
}

// A PostgreSQL that cannot be opened is an error without the DSN's password, whether the
// engine is missing or the server does not answer.
func TestMigrateCommandPostgresErrorHidesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	env := migrateEnv(t, "CHECKOUT_STORE_DRIVER", "postgres",
		"CHECKOUT_STORE_DSN", "postgres://checkout:pg-s3cret@127.0.0.1:1/checkout?sslmode=disable&connect_timeout=2")
	err := run(ctx, []string{"checkout", "migrate"}, envOf(env), &stdout, &stderr)
	require.Error(t, err)
	assert.NotContains(t, err.Error()+stdout.String()+stderr.String(), "pg-s3cret")
}

func TestStoreName(t *testing.T) {
	cases := []struct {
		store config.Store
		want  string
	}{
		{config.Store{Driver: config.DriverSQLite}, "sqlite ./data/checkout.db"},
		{config.Store{Driver: config.DriverPostgres, DSN: "postgres://checkout:pg-s3cret@db:5432/checkout?sslmode=disable"},
			"postgres postgres://checkout@db:5432/checkout?sslmode=disable"},
		{config.Store{Driver: config.DriverPostgres, DSN: "host=db password=pg-s3cret dbname=checkout"}, "postgres host=db dbname=checkout"},
		{config.Store{Driver: config.DriverPostgres, DSN: "pg-s3cret"}, "postgres"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, storeName(&config.Config{DB: "./data/checkout.db", Store: tc.store}))
	}
}

func TestMigrateCommandPostgres(t *testing.T) {
	// A schema of the test's own on CHECKOUT_TEST_POSTGRES (skipped without it, failed in CI).
	dsn := storetest.NewPostgres(t).DSN
	env := migrateEnv(t, "CHECKOUT_STORE_DRIVER", "postgres", "CHECKOUT_STORE_DSN", dsn)
	for range 2 { // a second run finds nothing to do, and says the same
		out, stderr, err := runCmd(t, env, "migrate")
		require.NoError(t, err, stderr)
		assert.Regexp(t, `^migrate: postgres .*: migrations applied\n$`, out)
		if u, err := url.Parse(dsn); err == nil {
			if pw, ok := u.User.Password(); ok {
				assert.NotContains(t, out+stderr, pw)
			}
		}
	}

	cfg, err := config.Load(env["CHECKOUT_CONFIG"], envOf(env), os.ReadFile)
	require.NoError(t, err)
	store, err := openStore(context.Background(), cfg, time.Now, orders.Options{SealKey: bytes.Repeat([]byte{0xab}, 32)})
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, store.EnsureMerchant(context.Background(), orders.Merchant{ID: "shop", Name: "Shop"}))
}
