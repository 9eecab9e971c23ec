package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IdempotencyRecord is the first answer given to a merchant's POST with an
// Idempotency-Key. A repeat with the same key gets this answer again; RequestHash lets
// the caller tell a true repeat from a different request reusing the key (409).
type IdempotencyRecord struct {
	MerchantID  string
	Key         string
	RequestHash string
	StatusCode  int
	Body        []byte
	CreatedAt   time.Time
}

// LookupIdempotency returns the stored answer for a merchant's key, or ErrNotFound.
func (s *Store) LookupIdempotency(ctx context.Context, merchantID, key string) (*IdempotencyRecord, error) {
	r, err := lookupIdempotency(ctx, s.r, merchantID, key)
	if err != nil {
		return nil, fmt.Errorf("look up idempotency key: %w", err)
	}
	return r, nil
}

// SaveIdempotency stores r unless the merchant's key already has an answer, and returns
// the stored record: the first answer wins, so two racing requests reply the same.
func (s *Store) SaveIdempotency(ctx context.Context, r IdempotencyRecord) (*IdempotencyRecord, error) {
	var out *IdempotencyRecord
	if r.Body == nil {
		r.Body = []byte{}
	}
	err := s.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys
			(merchant_id, key, request_hash, status_code, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (merchant_id, key) DO NOTHING`,
			r.MerchantID, r.Key, r.RequestHash, r.StatusCode, r.Body, formatTime(s.now()))
		if err != nil {
			return err
		}
		out, err = lookupIdempotency(ctx, tx, r.MerchantID, r.Key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save idempotency key: %w", err)
	}
	return out, nil
}

func lookupIdempotency(ctx context.Context, q querier, merchantID, key string) (*IdempotencyRecord, error) {
	r := IdempotencyRecord{MerchantID: merchantID, Key: key}
	var created string
	err := q.QueryRowContext(ctx, `SELECT request_hash, status_code, body, created_at FROM idempotency_keys
		WHERE merchant_id = ? AND key = ?`, merchantID, key).Scan(&r.RequestHash, &r.StatusCode, &r.Body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &r, nil
}
