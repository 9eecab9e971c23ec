package config

import (
	"errors"
	"net/url"
	"strings"
)

// secretDSNParams are the libpq connection parameters that hold a secret: the password,
// and the passphrase of the client's TLS key.
var secretDSNParams = map[string]bool{"password": true, "sslpassword": true}

// dsnHasSecret reports whether a PostgreSQL DSN carries a password, in either of libpq's
// forms: a URL (postgres://user:password@host/db?password=...) or key=value pairs
// (host=db password=...). A DSN it cannot read counts as holding one, so an inline DSN
// is refused rather than trusted.
func dsnHasSecret(dsn string) bool {
	if isDSNURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return true
		}
		if _, ok := u.User.Password(); ok {
			return true
		}
		for k := range u.Query() {
			if secretDSNParams[k] {
				return true
			}
		}
		return false
	}
	pairs, err := parseDSNPairs(dsn)
	if err != nil {
		return true
	}
	for _, p := range pairs {
		if secretDSNParams[p[0]] {
			return true
		}
	}
	return false
}

// DSNWithoutSecrets is a PostgreSQL DSN with its password and TLS key passphrase left
// out, to show which database a command uses; "" when the DSN cannot be read (then
// nothing of it is shown).
func DSNWithoutSecrets(dsn string) string {
	if isDSNURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return ""
		}
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		for k := range q {
			if secretDSNParams[k] {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	pairs, err := parseDSNPairs(dsn)
	if err != nil {
		return ""
	}
	var out []string
	for _, p := range pairs {
		if !secretDSNParams[p[0]] {
			out = append(out, p[0]+"="+quoteDSNValue(p[1]))
		}
	}
	return strings.Join(out, " ")
}

func isDSNURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// parseDSNPairs reads libpq's key=value form: pairs separated by whitespace, spaces
// allowed around "=", a value either single-quoted or ending at whitespace, with
// backslash escaping the next character in both.
func parseDSNPairs(dsn string) ([][2]string, error) {
	var pairs [][2]string
	s := strings.TrimSpace(dsn)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, errors.New("want key=value")
		}
		key := strings.TrimSpace(s[:eq])
		if key == "" || strings.ContainsAny(key, " \t\r\n'\\") {
			return nil, errors.New("bad key")
		}
		s = strings.TrimLeft(s[eq+1:], " \t\r\n")
		var val strings.Builder
		quoted := strings.HasPrefix(s, "'")
		if quoted {
			s = s[1:]
		}
		closed := !quoted
		i := 0
		for ; i < len(s); i++ {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				i++
				val.WriteByte(s[i])
				continue
			}
			if quoted && c == '\'' {
				closed = true
				i++
				break
			}
			if !quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				break
			}
			val.WriteByte(c)
		}
		if !closed {
			return nil, errors.New("unterminated quoted value")
		}
		pairs = append(pairs, [2]string{key, val.String()})
		s = strings.TrimLeft(s[i:], " \t\r\n")
	}
	return pairs, nil
}

// quoteDSNValue writes a value back in libpq's key=value form.
func quoteDSNValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\r\n'\\") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
