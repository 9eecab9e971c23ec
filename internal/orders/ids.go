package orders

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// IDs come from crypto/rand because order and attempt ids appear in public URLs: knowing
// one must not help anyone guess another.

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// randomBase32 returns n lowercase base32 characters carrying 5n random bits.
func randomBase32(n int) string {
	b := make([]byte, (n*5+7)/8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it crashes the program instead
	return idEncoding.EncodeToString(b)[:n]
}

func randomHex(nBytes int) string {
	b := make([]byte, nBytes)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newOrderID() string   { return "ord_" + randomBase32(20) }
func newAttemptID() string { return "att_" + randomBase32(26) }
func newEventID() string   { return "evt_" + randomBase32(20) }
func newActionID() string  { return "act_" + randomBase32(20) }

// newOtherTrxCode is our reference for an attempt at Moka: 128 random bits, upper hex.
// A code with 12 digits in a row is drawn again: logs mask such runs as card numbers,
// and operators search logs and Moka's panel by this code.
func newOtherTrxCode() string {
	for {
		if c := strings.ToUpper(randomHex(16)); !hasDigitRun(c, 12) {
			return c
		}
	}
}

// hasDigitRun reports whether s has n or more ASCII digits in a row.
func hasDigitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// newFormToken is the per-order token the card form echoes back: 128 random bits.
func newFormToken() string { return randomHex(16) }
