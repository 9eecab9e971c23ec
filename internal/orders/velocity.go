package orders

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// DeclineWindow is how long a declined card counts against the card-testing limits
// (internal/checkout/velocity.go): the store keeps the declines of the last window and
// purges older ones.
const DeclineWindow = time.Hour

// The store counts declines for the checkout's card-testing limits in velocity_declines:
// one row per decline and limit key, so that every instance on the database counts the
// same declines. A key is opaque to the store. The checkout's per-card keys hold a keyed
// HMAC of the card number whose key is never in the database, so the table holds no card
// number, nor its first six or last four digits.

// DeclineLimit asks CountDeclines about one key: whether it has Limit declines or more.
type DeclineLimit struct {
	Key   string
	Limit int // at least 1
}

// VelocityCount is what CountDeclines found for one key.
type VelocityCount struct {
	// Declines is the key's declines since the time asked about, counted up to the
	// limit: no more than Limit rows of a key are read.
	Declines int
	// LimitTh is the Limit-th most recent of those declines when Declines reached the
	// limit, else zero. One more decline is allowed once it has left the window.
	LimitTh time.Time
}

// Blocked reports whether the key's limit is used up.
func (c VelocityCount) Blocked() bool { return !c.LimitTh.IsZero() }

// CountDeclines counts, in one query, the merchant's declines of each key after since.
func (s *Store) CountDeclines(ctx context.Context, merchantID string, limits []DeclineLimit, since time.Time) (map[string]VelocityCount, error) {
	out := make(map[string]VelocityCount, len(limits))
	if len(limits) == 0 {
		return out, nil
	}
	// Per key two scalar subqueries on the index (merchant_id, key, declined_at): the
	// count of the newest Limit rows, and the Limit-th newest. Each reads at most Limit
	// index entries, however many declines the key has.
	const one = `SELECT %d,
		(SELECT COUNT(*) FROM (SELECT 1 FROM velocity_declines WHERE merchant_id = ? AND key = ? AND declined_at > ?
			ORDER BY declined_at DESC LIMIT ?) newest),
		(SELECT declined_at FROM velocity_declines WHERE merchant_id = ? AND key = ? AND declined_at > ?
			ORDER BY declined_at DESC LIMIT 1 OFFSET ?)`
	parts := make([]string, len(limits))
	args := make([]any, 0, 8*len(limits))
	after := formatTime(since)
	for i, l := range limits {
		if l.Limit < 1 {
			return nil, fmt.Errorf("count declines: limit %d of key %q", l.Limit, l.Key)
		}
		parts[i] = fmt.Sprintf(one, i)
		args = append(args, merchantID, l.Key, after, l.Limit, merchantID, l.Key, after, l.Limit-1)
	}
	rows, err := s.r.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, fmt.Errorf("count declines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i, n int
		var nth sql.NullString
		if err := rows.Scan(&i, &n, &nth); err != nil {
			return nil, fmt.Errorf("count declines: %w", err)
		}
		c := VelocityCount{Declines: n}
		if nth.Valid {
			if c.LimitTh, err = parseTime(nth.String); err != nil {
				return nil, fmt.Errorf("count declines: %w", err)
			}
		}
		out[limits[i].Key] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count declines: %w", err)
	}
	return out, nil
}

// AddDeclines counts one decline at the merchant against each key, in one write.
func (s *Store) AddDeclines(ctx context.Context, merchantID string, keys []string, at time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		return addDeclines(ctx, tx, merchantID, keys, at)
	})
	if err != nil {
		return fmt.Errorf("add declines: %w", err)
	}
	return nil
}

// addDeclines inserts a decline row per key, inside a write.
func addDeclines(ctx context.Context, tx dbTx, merchantID string, keys []string, at time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	values := make([]string, len(keys))
	args := make([]any, 0, 3*len(keys))
	when := formatTime(at)
	for i, k := range keys {
		values[i] = "(?, ?, ?)"
		args = append(args, merchantID, k, when)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO velocity_declines (merchant_id, key, declined_at) VALUES `+
		strings.Join(values, ", "), args...)
	return err
}

// countAttemptDecline counts the ended attempt a as a decline against the keys it was
// started with, inside the write that ended it.
func countAttemptDecline(ctx context.Context, tx dbTx, o *Order, a *Attempt, at time.Time) error {
	if err := addDeclines(ctx, tx, o.MerchantID, a.DeclineKeys, at); err != nil {
		return fmt.Errorf("count decline: %w", err)
	}
	return nil
}

// purgeDeclines deletes the declines that have left the window at now, inside a write.
func purgeDeclines(ctx context.Context, tx dbTx, now time.Time) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM velocity_declines WHERE declined_at <= ?`,
		formatTime(now.Add(-DeclineWindow)))
	return err
}

// declineKeysColumn is how an attempt's decline keys are stored: one per line (a key
// never holds a line break: see the checkout's velocity keys).
func declineKeysColumn(keys []string) string { return strings.Join(keys, "\n") }

func parseDeclineKeys(col string) []string {
	if col == "" {
		return nil
	}
	return strings.Split(col, "\n")
}
