package main

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/mokacheckout/checkout/internal/config"
)

// composeFile is the part of compose.yaml the deploy test reads.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       string            `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Secrets     []string          `yaml:"secrets"`
		Ports       []string          `yaml:"ports"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

// imageEnv is what the Dockerfile's ENV sets in every container of the image.
var imageEnv = map[string]string{"CHECKOUT_ADDR": "0.0.0.0:8080", "CHECKOUT_DB": "/data/checkout.db"}

// TestComposeConfigValidates loads deploy/checkout.yaml as each checkout container of
// compose.yaml sees it: its environment, its mounted files, and the secrets that
// deploy/secrets.sh makes. The checkout's own validation must pass, and the pieces must
// agree with each other: the DSN with PostgreSQL's settings, the sandbox's URLs with the
// merchant's, the load balancer with the instances and the public URL.
func TestComposeConfigValidates(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run deploy/secrets.sh")
	}
	secrets := t.TempDir()
	out, err := exec.Command("sh", filepath.Join(root, "deploy", "secrets.sh"), secrets).CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command("sh", filepath.Join(root, "deploy", "secrets.sh"), secrets).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Empty(t, string(out), "a second run keeps the secrets it made")

	b, err := os.ReadFile(filepath.Join(root, "compose.yaml"))
	require.NoError(t, err)
	var compose composeFile
	require.NoError(t, yaml.Unmarshal(b, &compose))
	for _, name := range []string{"postgres", "migrate", "checkout-1", "checkout-2", "sandbox", "lb"} {
		require.Contains(t, compose.Services, name)
	}
	secretValue := func(name string) string {
		s, ok := compose.Secrets[name]
		require.True(t, ok, "secret %s is declared", name)
		require.True(t, strings.HasPrefix(s.File, "./deploy/secrets/"), s.File)
		v, err := os.ReadFile(filepath.Join(secrets, strings.TrimPrefix(s.File, "./deploy/secrets/")))
		require.NoError(t, err, "deploy/secrets.sh makes %s", name)
		return strings.TrimSpace(string(v))
	}

	var instances []string
	for _, name := range []string{"migrate", "checkout-1", "checkout-2"} {
		t.Run(name, func(t *testing.T) {
			svc := compose.Services[name]
			assert.Equal(t, ".", svc.Build, "built from the repository's Dockerfile")
			env := map[string]string{}
			for k, v := range imageEnv {
				env[k] = v
			}
			for k, v := range svc.Environment {
				env[k] = v
			}
			// The container's files: its bind mounts and its secrets; nothing else.
			mounted := map[string]string{}
			for _, v := range svc.Volumes {
				parts := strings.Split(v, ":")
				require.GreaterOrEqual(t, len(parts), 2, v)
				mounted[parts[1]] = filepath.Join(root, parts[0])
			}
			secretFiles := map[string]string{}
			for _, s := range svc.Secrets {
				secretFiles["/run/secrets/"+s] = secretValue(s)
			}
			readFile := func(path string) ([]byte, error) {
				if host, ok := mounted[path]; ok {
					return os.ReadFile(host)
				}
				if v, ok := secretFiles[path]; ok {
					return []byte(v + "\n"), nil
				}
				return nil, fmt.Errorf("open %s: %w (not mounted in %s)", path, fs.ErrNotExist, name)
			}
			cfg, err := config.Load(env[config.EnvConfig], envOf(env), readFile)
			require.NoError(t, err)

			assert.Equal(t, config.DriverPostgres, cfg.Store.Driver)
			assert.NotEmpty(t, cfg.CodeForHashKey.Value())
			assert.NotEmpty(t, cfg.Dashboard.SessionKeys, "every instance reads the same session keys")
			dsn, err := url.Parse(cfg.Store.DSN.Value())
			require.NoError(t, err)
			pg := compose.Services["postgres"].Environment
			password, _ := dsn.User.Password()
			assert.Equal(t, secretValue("postgres_password"), password)
			assert.Equal(t, pg["POSTGRES_USER"], dsn.User.Username())
			assert.Equal(t, "/"+pg["POSTGRES_DB"], dsn.Path)
			assert.Equal(t, "postgres", dsn.Hostname(), "the postgres service")

			m := cfg.Merchants[0]
			mokaURL, err := url.Parse(m.Moka.BaseURL)
			require.NoError(t, err)
			assert.Equal(t, "sandbox", mokaURL.Hostname(), "the sandbox service")
			sandboxCmd := compose.Services["sandbox"].Command
			i := slices.Index(sandboxCmd, "-public-url")
			require.GreaterOrEqual(t, i, 0)
			assert.Contains(t, m.Moka.ThreeDOrigins, sandboxCmd[i+1], "the bank pages' origin is allowed")
			assert.Contains(t, compose.Services["sandbox"].Ports, strings.TrimPrefix(sandboxCmd[i+1], "http://")+":8081")

			if name == "migrate" {
				assert.Equal(t, []string{"migrate"}, svc.Command)
				assert.Equal(t, "service_healthy", svc.DependsOn["postgres"].Condition)
				return
			}
			instances = append(instances, name)
			assert.Equal(t, []string{"serve"}, svc.Command)
			assert.Equal(t, "service_completed_successfully", svc.DependsOn["migrate"].Condition)
			assert.Contains(t, compose.Services["lb"].Ports, strings.TrimPrefix(cfg.PublicURL, "http://")+":8080",
				"buyers reach the instances through the load balancer")
			assert.True(t, cfg.TrustProxyHeaders, "behind the load balancer")
		})
	}

	caddy, err := os.ReadFile(filepath.Join(root, "deploy", "Caddyfile"))
	require.NoError(t, err)
	upstreams := regexp.MustCompile(`(?m)^\s*reverse_proxy\s+(.+?)\s*\{`).FindSubmatch(caddy)
	require.NotNil(t, upstreams)
	var want []string
	for _, name := range instances {
		want = append(want, name+":8080")
	}
	assert.Equal(t, strings.Join(want, " "), string(upstreams[1]))
	assert.Regexp(t, `(?m)^\s*health_uri /healthz$`, string(caddy))
	assert.Regexp(t, `(?m)^\s*lb_policy round_robin$`, string(caddy))
}
