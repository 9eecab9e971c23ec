package config_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
)

const (
	testDSN = "postgres://checkout:pg-s3cret@db.internal:5432/checkout?sslmode=require"
	testKey = "abababababababababababababababababababababababababababababababab"
)

// storeEnv is minimalEnv with a DSN and a CodeForHash key in the environment.
func storeEnv() env {
	e := minimalEnv()
	e["PG_DSN"], e["CFH_KEY"] = testDSN, testKey
	return e
}

// withStore puts a store section, and the CodeForHash key every postgres setup needs,
// before the minimal merchant.
func withStore(store string) string {
	return "server:\n  code_for_hash_key_env: CFH_KEY\nstore:\n" + store + minimal
}

func TestStoreDefaultsToSQLite(t *testing.T) {
	c, err := load(t, minimal, minimalEnv())
	require.NoError(t, err)
	assert.Equal(t, config.Store{Driver: config.DriverSQLite}, c.Store)
	assert.Equal(t, "./data/checkout.db", c.DB, "SQLite keeps server.db")

	c, err = load(t, "store:\n  driver: sqlite\n"+minimal, env{"CHECKOUT_DB": "/var/lib/checkout/c.db", "SHOP_KEY": "k", "SHOP_LINK": "l", "SHOP_MOKA": "m"})
	require.NoError(t, err)
	assert.Equal(t, config.DriverSQLite, c.Store.Driver)
	assert.Equal(t, "/var/lib/checkout/c.db", c.DB)
}

func TestStorePostgres(t *testing.T) {
	fsys := files{"/run/secrets/dsn": testDSN + "\n"}
	cases := []struct {
		name, store string
		env         env
		want        string
	}{
		{"dsn_env", "  driver: postgres\n  dsn_env: PG_DSN\n", storeEnv(), testDSN},
		{"dsn_file, trimmed", "  driver: postgres\n  dsn_file: /run/secrets/dsn\n", storeEnv(), testDSN},
		{"inline URL without a password", "  driver: postgres\n  dsn: postgres://checkout@db.internal/checkout\n", storeEnv(),
			"postgres://checkout@db.internal/checkout"},
		{"inline key=value without a password", "  driver: postgres\n  dsn: host=db.internal dbname=checkout user=checkout\n", storeEnv(),
			"host=db.internal dbname=checkout user=checkout"},
		{"CHECKOUT_STORE_DRIVER and CHECKOUT_STORE_DSN", "  driver: sqlite\n",
			with(storeEnv(), "CHECKOUT_STORE_DRIVER", "postgres", "CHECKOUT_STORE_DSN", "postgres://other@h/db"), "postgres://other@h/db"},
		{"CHECKOUT_STORE_DSN wins over dsn_env, whose variable may then be unset", "  driver: postgres\n  dsn_env: UNSET\n",
			with(storeEnv(), "CHECKOUT_STORE_DSN", "postgres://other@h/db"), "postgres://other@h/db"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys["checkout.yaml"] = withStore(tc.store)
			c, err := config.Load("checkout.yaml", tc.env.get, fsys.read)
			require.NoError(t, err)
			assert.Equal(t, config.DriverPostgres, c.Store.Driver)
			assert.Equal(t, tc.want, c.Store.DSN.Value())
		})
	}
}

func TestStoreDSNIsNeverPrinted(t *testing.T) {
	c, err := load(t, withStore("  driver: postgres\n  dsn_env: PG_DSN\n"), storeEnv())
	require.NoError(t, err)
	b, err := json.Marshal(c)
	require.NoError(t, err)
	out := fmt.Sprintf("%v %+v %#v %s", c, *c, *c, b)
	assert.NotContains(t, out, "pg-s3cret")
	assert.NotContains(t, out, "db.internal", "the whole DSN is a secret, not only its password")
}

func TestStoreErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        env
		want       string
	}{
		{"unknown driver", withStore("  driver: mysql\n"), storeEnv(), `store.driver: "mysql" is not one of sqlite, postgres`},
		{"unknown driver from the environment", minimal, with(storeEnv(), "CHECKOUT_STORE_DRIVER", "postgresql"),
			`store.driver: "postgresql" is not one of sqlite, postgres`},
		{"postgres without a DSN", withStore("  driver: postgres\n"), storeEnv(),
			"store.dsn: store.driver postgres needs a DSN: set store.dsn (without a password), store.dsn_env, store.dsn_file or CHECKOUT_STORE_DSN"},
		{"postgres without a CodeForHash key", "store:\n  driver: postgres\n  dsn_env: PG_DSN\n" + minimal, storeEnv(),
			"server.code_for_hash_key_env: store.driver postgres needs server.code_for_hash_key_env or server.code_for_hash_key_file: the default key file beside the SQLite database (<server.db>.key) is not shared between instances"},
		{"a DSN with sqlite", "store:\n  dsn_env: PG_DSN\n" + minimal, storeEnv(),
			"store.dsn: is only used with store.driver postgres; with sqlite the database is the file server.db"},
		{"dsn_env not set", withStore("  driver: postgres\n  dsn_env: NOPE\n"), storeEnv(), "store.dsn_env: NOPE is not set"},
		{"dsn_file missing", withStore("  driver: postgres\n  dsn_file: /run/secrets/nope\n"), storeEnv(),
			"store.dsn_file: open /run/secrets/nope: file does not exist"},
		{"dsn_env and dsn_file", withStore("  driver: postgres\n  dsn_env: PG_DSN\n  dsn_file: /run/secrets/dsn\n"), storeEnv(),
			"store.dsn_env and store.dsn_file: set only one"},
		{"dsn and dsn_env", withStore("  driver: postgres\n  dsn: postgres://h/db\n  dsn_env: PG_DSN\n"), storeEnv(),
			"store.dsn, store.dsn_env and store.dsn_file: set only one"},
		{"inline URL password", withStore("  driver: postgres\n  dsn: " + testDSN + "\n"), storeEnv(),
			"store.dsn: holds a password, and secrets are never inline: move the DSN to store.dsn_env or store.dsn_file"},
		{"inline password parameter", withStore("  driver: postgres\n  dsn: postgres://checkout@h/db?password=pg-s3cret\n"), storeEnv(),
			"store.dsn: holds a password"},
		{"inline key=value password", withStore("  driver: postgres\n  dsn: \"host=h password='pg-s3cret'\"\n"), storeEnv(),
			"store.dsn: holds a password"},
		{"inline TLS key passphrase", withStore("  driver: postgres\n  dsn: host=h sslpassword=pg-s3cret\n"), storeEnv(),
			"store.dsn: holds a password"},
		{"unknown store key", "store:\n  driver: postgres\n  url: x\n" + minimal, storeEnv(), `line 3: unknown key "url"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml, tc.env)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "pg-s3cret")
		})
	}
}

// Demo mode is SQLite whatever the environment says.
func TestDemoIgnoresStoreEnv(t *testing.T) {
	c := config.Demo(env{"CHECKOUT_STORE_DRIVER": "postgres", "CHECKOUT_STORE_DSN": testDSN}.get)
	require.NoError(t, c.Validate())
	assert.Equal(t, config.Store{Driver: config.DriverSQLite}, c.Store)
}

func TestDSNWithoutSecrets(t *testing.T) {
	cases := []struct{ dsn, want string }{
		{testDSN, "postgres://checkout@db.internal:5432/checkout?sslmode=require"},
		{"postgresql://u:p@h/db?password=p&sslpassword=q&application_name=x", "postgresql://u@h/db?application_name=x"},
		{"postgres://h/db", "postgres://h/db"},
		{"host=h port=5432 user=u password=p dbname=db", "host=h port=5432 user=u dbname=db"},
		{"host = h  password = 'it''s' dbname='my db'", ""}, // '' is not libpq's escape: unreadable, nothing shown
		{`host=h password='a\'b c' dbname='my db'`, "host=h dbname='my db'"},
		{"postgres://u:p@h:bad/db", ""},
		{"not a dsn", ""},
	}
	for _, tc := range cases {
		t.Run(tc.dsn, func(t *testing.T) {
			got := config.DSNWithoutSecrets(tc.dsn)
			assert.Equal(t, tc.want, got)
			assert.NotContains(t, got, "password")
		})
	}
}

// with returns a copy of e with the given key, value pairs set.
func with(e env, kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}
