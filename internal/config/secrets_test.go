package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
)

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	yaml := fmt.Sprintf(`
merchants:
  - id: shop
    name: Shop
    api_key_file: %s
    link_secret_file: %s
    moka:
      base_url: https://service.refmokaunited.com
      dealer_code: "1730"
      username: api
      password_file: %s
    webhook_url: https://shop.example.com/hook
    webhook_secret_file: %s
`, write("key", "sk_file\n"), write("link", "  link-file\n"), write("moka", "moka-file"), write("hook", "whsec_x\r\n"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "checkout.yaml"), []byte(yaml), 0o600))

	c, err := config.Load(filepath.Join(dir, "checkout.yaml"), env{}.get, os.ReadFile)
	require.NoError(t, err)
	m := c.Merchants[0]
	assert.Equal(t, "sk_file", m.APIKey.Value())
	assert.Equal(t, config.HashAPIKey("sk_file"), m.APIKeyHash)
	assert.Equal(t, "link-file", m.LinkSecret.Value())
	assert.Equal(t, "moka-file", m.Moka.Password.Value())
	assert.Equal(t, "whsec_x", m.WebhookSecret.Value())
}

func TestSecretErrors(t *testing.T) {
	cases := []struct {
		name    string
		replace [2]string
		env     env
		want    string
	}{
		{"env not set", [2]string{}, env{"SHOP_KEY": "k", "SHOP_LINK": "l"},
			"merchants[0].moka.password_env: SHOP_MOKA is not set"},
		{"link secret not set", [2]string{}, env{"SHOP_KEY": "k", "SHOP_MOKA": "m"},
			"merchants[0].link_secret_env: SHOP_LINK is not set"},
		{"file missing", [2]string{"password_env: SHOP_MOKA", "password_file: /run/secrets/nope"}, minimalEnv(),
			"merchants[0].moka.password_file: open /run/secrets/nope: file does not exist"},
		{"file empty", [2]string{"password_env: SHOP_MOKA", "password_file: empty.txt"}, minimalEnv(),
			"merchants[0].moka.password_file: empty.txt is empty"},
		{"env and file", [2]string{"password_env: SHOP_MOKA", "password_env: SHOP_MOKA\n      password_file: empty.txt"}, minimalEnv(),
			"merchants[0].moka.password_env and merchants[0].moka.password_file: set only one"},
		{"no password", [2]string{"      password_env: SHOP_MOKA\n", ""}, minimalEnv(),
			"merchants[0].moka.password_env or merchants[0].moka.password_file is required"},
		{"no api key", [2]string{"    api_key_env: SHOP_KEY\n", ""}, minimalEnv(),
			"merchants[0]: one of api_key_sha256, api_key_env, api_key_file is required"},
		{"hash and env", [2]string{"api_key_env: SHOP_KEY", "api_key_env: SHOP_KEY\n    api_key_sha256: " + strings.Repeat("a", 64)}, minimalEnv(),
			"merchants[0]: set only one of api_key_sha256, api_key_env, api_key_file"},
		{"hash not hex", [2]string{"api_key_env: SHOP_KEY", "api_key_sha256: sk_live_abc"}, minimalEnv(),
			"merchants[0].api_key_sha256: must be 64 hex digits"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			yaml := minimal
			if tc.replace[0] != "" {
				yaml = strings.Replace(yaml, tc.replace[0], tc.replace[1], 1)
			}
			_, err := config.Load("checkout.yaml", tc.env.get, files{"checkout.yaml": yaml, "empty.txt": "\n"}.read)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestSecretsAreNeverPrinted(t *testing.T) {
	c, err := load(t, minimal, minimalEnv())
	require.NoError(t, err)

	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %s\n", c, *c, *c, c.Merchants[0].Moka)
	b, err := json.Marshal(c)
	require.NoError(t, err)
	out.Write(b)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("config", "merchant", c.Merchants[0], "password", c.Merchants[0].Moka.Password)

	for _, secret := range minimalEnv() {
		assert.NotContains(t, out.String(), secret)
	}
	assert.Contains(t, out.String(), "[redacted]")
	assert.Equal(t, "moka-s3cret", c.Merchants[0].Moka.Password.Value())
}
