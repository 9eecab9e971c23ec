// Package links signs and verifies storefront checkout links: a merchant's page can send a
// buyer to checkout with the order in the query string, without an API call.
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// Errors returned by Verify. Both mean: refuse the link, create nothing.
var (
	ErrBadSignature = errors.New("links: signature missing or invalid")
	ErrExpired      = errors.New("links: link expired")
)

// Sign returns the hex HMAC-SHA256, keyed with the merchant's link secret, of
// url.Values.Encode() of every parameter except sig (Encode sorts by key).
func Sign(secret string, params url.Values) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(canonical(params)))
	return hex.EncodeToString(mac.Sum(nil))
}

// SignedQuery returns params with expires (unix seconds) and sig added, ready for /link.
func SignedQuery(secret string, params url.Values, expires time.Time) url.Values {
	q := url.Values{}
	for k, v := range params {
		if k != "sig" {
			q[k] = append([]string(nil), v...)
		}
	}
	q.Set("expires", strconv.FormatInt(expires.Unix(), 10))
	q.Set("sig", Sign(secret, q))
	return q
}

// Verify checks the sig parameter in constant time and that expires (unix seconds) is
// present and still in the future at now.
func Verify(secret string, params url.Values, now time.Time) error {
	got, err := hex.DecodeString(params.Get("sig"))
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	want, _ := hex.DecodeString(Sign(secret, params))
	if !hmac.Equal(got, want) {
		return ErrBadSignature
	}
	exp, err := strconv.ParseInt(params.Get("expires"), 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	if !now.Before(time.Unix(exp, 0)) {
		return ErrExpired
	}
	return nil
}

func canonical(params url.Values) string {
	q := url.Values{}
	for k, v := range params {
		if k != "sig" {
			q[k] = v
		}
	}
	return q.Encode()
}
