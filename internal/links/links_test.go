package links

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignedLinkVerifies(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	q := SignedQuery("demo-link-secret", url.Values{
		"merchant": {"demo"}, "reference": {"R-1"}, "amount": {"150.00"}, "currency": {"TRY"},
	}, now.Add(time.Hour))
	require.NoError(t, Verify("demo-link-secret", q, now))

	// The signature is over url.Values.Encode() of every other parameter, as DESIGN.md says.
	other := url.Values{}
	for k, v := range q {
		if k != "sig" {
			other[k] = v
		}
	}
	assert.Equal(t, Sign("demo-link-secret", other), q.Get("sig"))
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	good := SignedQuery("s3cret", url.Values{"merchant": {"demo"}, "amount": {"150.00"}}, now.Add(time.Minute))
	tamper := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = append([]string(nil), vv...)
		}
		q.Set(k, v)
		return q
	}
	cases := []struct {
		name   string
		secret string
		q      url.Values
		at     time.Time
		want   error
	}{
		{"amount changed", "s3cret", tamper("amount", "1.00"), now, ErrBadSignature},
		{"wrong secret", "other", good, now, ErrBadSignature},
		{"no sig", "s3cret", tamper("sig", ""), now, ErrBadSignature},
		{"sig not hex", "s3cret", tamper("sig", "zz"), now, ErrBadSignature},
		{"expired", "s3cret", good, now.Add(2 * time.Minute), ErrExpired},
		{"expiry extended", "s3cret", tamper("expires", "99999999999"), now, ErrBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, Verify(tc.secret, tc.q, tc.at), tc.want)
		})
	}
}
