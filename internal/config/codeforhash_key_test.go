package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
)

func TestCodeForHashKey(t *testing.T) {
	dir := t.TempDir()
	load := func(keyLine string, e env) (*config.Config, error) {
		yaml := fmt.Sprintf(`
server:
%s
merchants:
  - id: shop
    name: Shop
    api_key_sha256: %s
    link_secret_env: LINK
    moka:
      base_url: https://service.refmokaunited.com
      dealer_code: "1730"
      username: api
      password_env: PASS
`, keyLine, config.HashAPIKey("k"))
		p := filepath.Join(dir, "checkout.yaml")
		require.NoError(t, os.WriteFile(p, []byte(yaml), 0o600))
		e["LINK"], e["PASS"] = "l", "p"
		return config.Load(p, e.get, os.ReadFile)
	}
	want := strings.Repeat("\xab", 32)
	hexKey := strings.Repeat("ab", 32)
	b64Key := "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="

	c, err := load("  addr: 127.0.0.1:8080", env{})
	require.NoError(t, err)
	assert.Empty(t, c.CodeForHashKey, "none configured: the key file beside the database")

	c, err = load("  code_for_hash_key_env: K", env{"K": hexKey})
	require.NoError(t, err)
	assert.Equal(t, want, c.CodeForHashKey.Value())
	assert.NotContains(t, fmt.Sprintf("%v %+v", c, *c), hexKey)

	kf := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(kf, []byte(b64Key+"\n"), 0o600))
	c, err = load("  code_for_hash_key_file: "+kf, env{})
	require.NoError(t, err)
	assert.Equal(t, want, c.CodeForHashKey.Value())

	for _, bad := range []string{"short", hexKey[:62], hexKey + "ab", "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s"} {
		_, err = load("  code_for_hash_key_env: K", env{"K": bad})
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "server.code_for_hash_key")
		assert.NotContains(t, err.Error(), bad)
	}
	_, err = load("  code_for_hash_key_env: MISSING", env{})
	require.Error(t, err)
	_, err = load("  code_for_hash_key_env: K\n  code_for_hash_key_file: "+kf, env{"K": hexKey})
	require.Error(t, err)
}
