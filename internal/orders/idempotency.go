package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IdempotencyRecord is the answer given to a merchant's POST with an Idempotency-Key. A
// repeat with the same key gets this answer again; RequestHash lets the caller tell a
// true repeat from a different request reusing the key (409). A record whose request is
// still at Moka is InProgress and names its action.
type IdempotencyRecord struct {
	MerchantID  string
	Key         string
	RequestHash string
	StatusCode  int // 0 while in progress
	Body        []byte
	ActionID    string
	CreatedAt   time.Time
}

// InProgress reports whether the key's request has not been answered yet: its action is
// at Moka, or the process stopped while it was (then reconciliation settles the action).
func (r *IdempotencyRecord) InProgress() bool { return r.StatusCode == 0 }

// Idem ties a write to a merchant's Idempotency-Key: the write and the answer it gives
// are stored in one transaction, so a retry after a crash finds either both or neither.
type Idem struct {
	MerchantID, Key, RequestHash string
	// Answer builds the answer stored for the key from the write's result (the order, the
	// action if any, or the domain error that refused it). It runs inside the write's
	// transaction and must only build bytes.
	Answer func(o *Order, a *Action, err error) (status int, body []byte)
}

// KeyUsedError is returned by a write whose Idempotency-Key already has a record:
// nothing was written, and the caller answers from Record.
type KeyUsedError struct{ Record *IdempotencyRecord }

func (e *KeyUsedError) Error() string {
	return "idempotency key " + e.Record.Key + " was used before"
}

// IdempotencyTTL is how long a key's answer is kept.
const IdempotencyTTL = 24 * time.Hour

// LookupIdempotency returns the stored answer for a merchant's key, or ErrNotFound.
func (s *Store) LookupIdempotency(ctx context.Context, merchantID, key string) (*IdempotencyRecord, error) {
	r, err := lookupIdempotency(ctx, s.r, merchantID, key)
	if err != nil {
		return nil, fmt.Errorf("look up idempotency key: %w", err)
	}
	return r, nil
}

// PurgeIdempotency deletes the keys older than IdempotencyTTL, the work leases that ran
// out as long ago and the card declines that have left DeclineWindow, in one write, and
// returns how many keys it deleted. Reconciliation runs it on every pass.
func (s *Store) PurgeIdempotency(ctx context.Context) (int64, error) {
	var n int64
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		cutoff := s.txNow(ctx).Add(-IdempotencyTTL)
		res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, formatTime(cutoff))
		if err != nil {
			return err
		}
		if err := purgeLeases(ctx, tx, cutoff); err != nil {
			return err
		}
		if err := purgeDeclines(ctx, tx, s.txNow(ctx)); err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return n, nil
}

// checkKey refuses a write whose key already has a record, inside its transaction: with
// one writer (and, later, a unique key in any database) two requests with one key can
// never both pass.
func checkKey(ctx context.Context, tx dbTx, idem *Idem) error {
	if idem == nil {
		return nil
	}
	if lockRows(ctx) {
		// PostgreSQL: requests with one key wait here for each other, on any instance, so
		// the second sees the first's key (and answer) once it has committed.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
			idem.MerchantID+"/"+idem.Key); err != nil {
			return fmt.Errorf("lock idempotency key: %w", err)
		}
	}
	r, err := lookupIdempotency(ctx, tx, idem.MerchantID, idem.Key)
	switch {
	case err == nil:
		return &KeyUsedError{Record: r}
	case errors.Is(err, ErrNotFound):
		return nil
	default:
		return err
	}
}

// insertKey stores the key's answer (status 0: in progress, for actionID) unless the key
// has one.
func (s *Store) insertKey(ctx context.Context, tx dbTx, idem *Idem, status int, body []byte, actionID string) error {
	if body == nil {
		body = []byte{}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys
		(merchant_id, key, request_hash, status_code, body, action_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (merchant_id, key) DO NOTHING`,
		idem.MerchantID, idem.Key, idem.RequestHash, status, body, actionID, formatTime(s.txNow(ctx)))
	if err != nil {
		return fmt.Errorf("store idempotency key: %w", err)
	}
	return nil
}

// answerKey gives an in-progress key its answer.
func (s *Store) answerKey(ctx context.Context, tx dbTx, idem *Idem, status int, body []byte) error {
	_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status_code = ?, body = ?
		WHERE merchant_id = ? AND key = ? AND status_code = 0`, status, body, idem.MerchantID, idem.Key)
	if err != nil {
		return fmt.Errorf("answer idempotency key: %w", err)
	}
	return nil
}

func lookupIdempotency(ctx context.Context, q querier, merchantID, key string) (*IdempotencyRecord, error) {
	r := IdempotencyRecord{MerchantID: merchantID, Key: key}
	var created string
	err := q.QueryRowContext(ctx, `SELECT request_hash, status_code, body, action_id, created_at FROM idempotency_keys
		WHERE merchant_id = ? AND key = ?`, merchantID, key).Scan(&r.RequestHash, &r.StatusCode, &r.Body, &r.ActionID, &created)
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
