package webhook_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/webhook"
)

// The Standard Webhooks spec's published test vector (libraries/go/webhook_test.go,
// TestWebhookSign, the same in every language's library).
const (
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignSpecVector(t *testing.T) {
	got := webhook.Sign(secrets(t, specSecret), vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload))
	assert.Equal(t, vectorSignature, got)

	h := http.Header{}
	h.Set(webhook.HeaderID, vectorID)
	h.Set(webhook.HeaderTimestamp, strconv.Itoa(vectorTimestamp))
	h.Set(webhook.HeaderSignature, got)
	assert.NoError(t, webhook.Verify(secrets(t, specSecret), h, []byte(vectorPayload), time.Unix(vectorTimestamp, 0), webhook.DefaultTolerance))

	// The spec's own library accepts what we sign.
	wh, err := standardwebhooks.NewWebhook(specSecret)
	require.NoError(t, err)
	assert.NoError(t, wh.VerifyIgnoringTimestamp([]byte(vectorPayload), h))
}

func TestSignRotationSendsBothSignatures(t *testing.T) {
	const next = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk"
	both := secrets(t, next+" "+specSecret)
	now := time.Now()
	body := []byte(`{"id":"evt_1"}`)
	h := http.Header{}
	h.Set(webhook.HeaderID, "evt_1")
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(webhook.HeaderSignature, webhook.Sign(both, "evt_1", now, body))
	assert.Len(t, h.Values(webhook.HeaderSignature), 1, "one header, space-separated signatures")
	for _, s := range []string{next, specSecret} {
		assert.NoError(t, webhook.Verify(secrets(t, s), h, body, now, webhook.DefaultTolerance), s)
		wh, err := standardwebhooks.NewWebhook(s)
		require.NoError(t, err)
		assert.NoError(t, wh.Verify(body, h), "the spec's library, with either secret")
	}
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Unix(vectorTimestamp, 0)
	sec := secrets(t, specSecret)
	good := func() http.Header {
		h := http.Header{}
		h.Set(webhook.HeaderID, vectorID)
		h.Set(webhook.HeaderTimestamp, strconv.Itoa(vectorTimestamp))
		h.Set(webhook.HeaderSignature, vectorSignature)
		return h
	}
	for _, tc := range []struct {
		name string
		edit func(h http.Header) []byte
		at   time.Time
		want error
	}{
		{"tampered body", func(http.Header) []byte { return []byte(`{"test": 2432232315}`) }, now, webhook.ErrNoMatchingSignature},
		{"body re-encoded", func(http.Header) []byte { return []byte(`{"test":2432232314}`) }, now, webhook.ErrNoMatchingSignature},
		{"other id", func(h http.Header) []byte { h.Set(webhook.HeaderID, "msg_other"); return nil }, now, webhook.ErrNoMatchingSignature},
		{"timestamp changed", func(h http.Header) []byte {
			h.Set(webhook.HeaderTimestamp, strconv.Itoa(vectorTimestamp+1))
			return nil
		}, now, webhook.ErrNoMatchingSignature},
		{"old timestamp (replay)", nil, now.Add(webhook.DefaultTolerance + time.Second), webhook.ErrTimestampOutOfRange},
		{"timestamp from the future", nil, now.Add(-webhook.DefaultTolerance - time.Second), webhook.ErrTimestampOutOfRange},
		{"no signature", func(h http.Header) []byte { h.Del(webhook.HeaderSignature); return nil }, now, webhook.ErrMissingHeaders},
		{"unknown version only", func(h http.Header) []byte {
			h.Set(webhook.HeaderSignature, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
			return nil
		}, now, webhook.ErrNoMatchingSignature},
		{"timestamp not a number", func(h http.Header) []byte { h.Set(webhook.HeaderTimestamp, "yesterday"); return nil }, now, webhook.ErrInvalidTimestamp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, body := good(), []byte(vectorPayload)
			if tc.edit != nil {
				if b := tc.edit(h); b != nil {
					body = b
				}
			}
			assert.ErrorIs(t, webhook.Verify(sec, h, body, tc.at, webhook.DefaultTolerance), tc.want)
		})
	}
	assert.NoError(t, webhook.Verify(sec, good(), []byte(vectorPayload), now.Add(webhook.DefaultTolerance), webhook.DefaultTolerance),
		"at the edge of the tolerance")
}

func TestParseSecretsRefuses(t *testing.T) {
	for _, s := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not base64!", "whsec_c2hvcnQ="} {
		_, err := webhook.ParseSecrets(s)
		assert.ErrorIs(t, err, webhook.ErrInvalidSecret, "%q", s)
	}
}
