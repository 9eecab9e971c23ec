package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery, named as in the Standard Webhooks 1.0 spec.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a delivery's webhook-timestamp may be from the receiver's
// clock. A captured delivery replayed later than this fails Verify.
const DefaultTolerance = 5 * time.Minute

const secretPrefix = "whsec_"

// minSecretLen is the shortest key accepted, in bytes: the spec asks for 24 to 64.
const minSecretLen = 24

// Secret is one signing key: the base64-decoded part of a "whsec_..." secret.
type Secret struct{ key []byte }

// Errors of ParseSecrets and Verify.
var (
	ErrInvalidSecret       = errors.New("webhook secret must be whsec_ followed by the base64 of 24 to 64 bytes")
	ErrMissingHeaders      = errors.New("webhook-id, webhook-timestamp and webhook-signature are required")
	ErrInvalidTimestamp    = errors.New("webhook-timestamp is not a unix time in seconds")
	ErrTimestampOutOfRange = errors.New("webhook-timestamp is too far from now")
	ErrNoMatchingSignature = errors.New("no signature matches")
)

// ParseSecrets reads a merchant's webhook secrets: one "whsec_<base64>", or several
// separated by spaces while a secret is rotated. Every delivery is signed with each, so a
// receiver that knows either accepts it.
func ParseSecrets(s string) ([]Secret, error) {
	var out []Secret
	for _, f := range strings.Fields(s) {
		b64, ok := strings.CutPrefix(f, secretPrefix)
		if !ok {
			return nil, ErrInvalidSecret
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(key) < minSecretLen || len(key) > 64 {
			return nil, ErrInvalidSecret
		}
		out = append(out, Secret{key: key})
	}
	if len(out) == 0 {
		return nil, ErrInvalidSecret
	}
	return out, nil
}

// sign is the spec's v1 signature: the base64 HMAC-SHA256 of "id.timestamp.body".
func (s Secret) sign(id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	h.Write(body)
	return []byte(base64.StdEncoding.EncodeToString(h.Sum(nil)))
}

// Sign returns the webhook-signature header of a delivery: "v1,<signature>" for each
// secret, space-separated.
func Sign(secrets []Secret, id string, ts time.Time, body []byte) string {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sigs = append(sigs, "v1,"+string(s.sign(id, ts.Unix(), body)))
	}
	return strings.Join(sigs, " ")
}

// Verify is the receiver's check, as docs/webhooks.md describes it: the three headers are
// there, the timestamp is within tolerance of now, and one v1 signature in the header
// matches the body under one of the secrets (compared in constant time). body must be the
// bytes received, not JSON decoded and encoded again.
func Verify(secrets []Secret, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsHeader, sigHeader := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsHeader == "" || sigHeader == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s", ErrTimestampOutOfRange, d.Round(time.Second))
	}
	for _, s := range secrets {
		want := s.sign(id, ts, body)
		for sig := range strings.FieldsSeq(sigHeader) {
			if v, got, ok := strings.Cut(sig, ","); ok && v == "v1" && hmac.Equal([]byte(got), want) {
				return nil
			}
		}
	}
	return ErrNoMatchingSignature
}

// NewEndpoint checks a merchant's webhook configuration: its URL and its secrets (one, or
// two separated by a space during a rotation).
func NewEndpoint(url, secrets string) (Endpoint, error) {
	s, err := ParseSecrets(secrets)
	if err != nil {
		return Endpoint{}, err
	}
	return Endpoint{URL: url, Secrets: s}, nil
}
