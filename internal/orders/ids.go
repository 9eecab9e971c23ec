package orders

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"
)

// IDs come from crypto/rand because order and attempt ids appear in public URLs: knowing
// one must not help anyone guess another.
//
// The ids of orders, attempts, events and actions start with the time they were made
// (timePrefix), then carry as many random bits as before (100, 130 for attempts). They
// are primary keys, and the keys of the indexes that find an order's attempts, events and
// deliveries: keys made in time order land on the last pages of each index, where random
// ones landed on a random page each. A batch of writes then dirties a handful of pages
// instead of one per write per index, and SQLite writes each dirty page to the WAL once
// per commit (and again at the checkpoint). The prefix tells the creation time to the
// millisecond, which the order shows anyway; the random part is what makes an id
// unguessable, and it is unchanged.

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// sortedDigits are the same 32 characters in byte order, so that a larger number
// spells a larger string.
const sortedDigits = "234567abcdefghijklmnopqrstuvwxyz"

// timePrefixLen characters of 5 bits hold the milliseconds since 1970 until the year
// 3084.
const timePrefixLen = 9

// timePrefix spells t's milliseconds since 1970 in timePrefixLen sortedDigits.
func timePrefix(t time.Time) string {
	ms := uint64(t.UnixMilli())
	var b [timePrefixLen]byte
	for i := timePrefixLen - 1; i >= 0; i-- {
		b[i] = sortedDigits[ms&31]
		ms >>= 5
	}
	return string(b[:])
}

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

func newOrderID() string   { return "ord_" + timePrefix(time.Now()) + randomBase32(20) }
func newAttemptID() string { return "att_" + timePrefix(time.Now()) + randomBase32(26) }
func newEventID() string   { return "evt_" + timePrefix(time.Now()) + randomBase32(20) }
func newActionID() string  { return "act_" + timePrefix(time.Now()) + randomBase32(20) }

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
