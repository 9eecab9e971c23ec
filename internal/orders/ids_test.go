package orders_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
)

// Ids made later sort after ids made earlier, byte by byte (as SQLite's index compares
// them), whatever their random part: a new key lands at the end of its index.
func TestIDsSortInTheOrderTheyWereMade(t *testing.T) {
	now := time.Now()
	var prev string
	// Every millisecond step in the first 1024 past now, then steps that carry into each
	// character of the prefix in turn, then the prefix's last millisecond.
	var times []time.Time
	for i := range 1024 {
		times = append(times, now.Add(time.Duration(i)*time.Millisecond))
	}
	for shift := 10; shift < 45; shift += 5 {
		times = append(times, time.UnixMilli(now.UnixMilli()+int64(1)<<shift))
	}
	times = append(times, time.UnixMilli(1<<45-1))
	for _, at := range times {
		p := orders.TimePrefix(at)
		require.Len(t, p, 9)
		require.Regexp(t, `^[a-z2-7]+$`, p)
		require.Less(t, prev, p, "prefix of %s", at)
		prev = p
	}
	assert.Equal(t, "222222222", orders.TimePrefix(time.UnixMilli(0)))
	assert.Equal(t, "zzzzzzzzz", orders.TimePrefix(time.UnixMilli(1<<45-1)), "the last millisecond the prefix holds, in 3084")
}

// An order id is "ord_", the time it was made, and 20 random characters (100 bits): two
// made in the same millisecond still differ, and the prefix names the millisecond.
func TestOrderIDCarriesItsTimeAndRandomBits(t *testing.T) {
	before := orders.TimePrefix(time.Now())
	a, b := orders.NewOrderID(), orders.NewOrderID()
	after := orders.TimePrefix(time.Now())
	for _, id := range []string{a, b} {
		require.Regexp(t, `^ord_[a-z2-7]{29}$`, id)
		p := strings.TrimPrefix(id, "ord_")[:9]
		assert.True(t, before <= p && p <= after, "prefix %s between %s and %s", p, before, after)
	}
	assert.NotEqual(t, a[13:], b[13:], "the random parts differ")
}
