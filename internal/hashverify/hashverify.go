// Package hashverify is the only code that decides what a post to our RedirectUrl means.
//
// Moka's 3-D return carries hashValue: the lowercase hex SHA-256 of the attempt's
// CodeForHash in upper case followed by "T" for a successful payment or "F" for a failed
// one. Only the holder of CodeForHash (Moka and us; it is never shown to the buyer) can
// produce either value, so a hash that matches neither proves nothing and must never move
// money: Check reports it as ErrInvalid and the caller rejects the post, changing nothing.
package hashverify

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
)

// Result is what a verified hashValue says about the payment.
type Result int

// Results of a verified return. The zero value is deliberately not Success.
const (
	Failure Result = iota + 1
	Success
)

// String names the result for logs.
func (r Result) String() string {
	switch r {
	case Success:
		return "success"
	case Failure:
		return "failure"
	default:
		return "invalid"
	}
}

// ErrInvalid means the hashValue matched neither outcome, or there was no CodeForHash to
// check it against. Moka treats any such value as a failed payment; we go further and
// treat it as untrusted: the caller must reject the post and change nothing.
var ErrInvalid = errors.New("hashverify: hash value matches neither outcome")

// Expected returns the hashValue Moka sends for codeForHash and the given outcome. The
// sandbox uses it to sign its returns; Check uses it to verify them.
func Expected(codeForHash string, success bool) string {
	suffix := "F"
	if success {
		suffix = "T"
	}
	sum := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(codeForHash)) + suffix))
	return hex.EncodeToString(sum[:])
}

// Check verifies hashValue against codeForHash. It compares against both expected values
// in constant time and always performs both comparisons, so timing reveals neither which
// outcome matched nor how much of a guess was right.
func Check(codeForHash, hashValue string) (Result, error) {
	if strings.TrimSpace(codeForHash) == "" {
		return 0, ErrInvalid
	}
	got := []byte(strings.ToLower(strings.TrimSpace(hashValue)))
	okT := subtle.ConstantTimeCompare(got, []byte(Expected(codeForHash, true)))
	okF := subtle.ConstantTimeCompare(got, []byte(Expected(codeForHash, false)))
	switch {
	case okT == 1 && okF == 0:
		return Success, nil
	case okF == 1 && okT == 0:
		return Failure, nil
	default:
		return 0, ErrInvalid
	}
}
