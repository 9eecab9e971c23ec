package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
)

// Secret is a string that does not print itself: fmt, slog and JSON see "[redacted]", so a
// config logged by mistake leaks nothing. Value returns the real string.
type Secret string

const redacted = "[redacted]"

// Value returns the secret itself, for the code that must use it.
func (s Secret) Value() string { return string(s) }

// String keeps %v and %s (also inside structs) from printing the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the secret.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// LogValue keeps slog from printing the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps encoding/json and friends from printing the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// HashAPIKey is the lowercase hex SHA-256 of an API key; it matches checkout.HashAPIKey.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// secretSource reads one secret given as <name>_env or <name>_file. key is the YAML path
// without the suffix ("merchants[0].moka.password"), used in error messages.
type secretSource struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
}

// read returns the secret, "" when neither form is given and it is optional, or an error
// naming the key and the variable or file (never the value).
func (s secretSource) read(key, envName, fileName string, required bool) (Secret, error) {
	switch {
	case envName != "" && fileName != "":
		return "", fmt.Errorf("%s_env and %s_file: set only one", key, key)
	case envName != "":
		v := s.getenv(envName)
		if v == "" {
			return "", fmt.Errorf("%s_env: %s is not set", key, envName)
		}
		return Secret(v), nil
	case fileName != "":
		b, err := s.readFile(fileName)
		if err != nil {
			return "", fmt.Errorf("%s_file: %w", key, err)
		}
		// Files written by editors and secret managers usually end in a newline.
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s_file: %s is empty", key, fileName)
		}
		return Secret(v), nil
	case required:
		return "", fmt.Errorf("%s_env or %s_file is required", key, key)
	}
	return "", nil
}
