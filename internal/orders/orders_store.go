package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
	"github.com/shopspring/decimal"
)

// DefaultMaxAttempts is how many payment attempts an order allows when the caller sets none.
const DefaultMaxAttempts = 5

// formatMoney keeps at least two fraction digits, so 150 and "150.00" are both stored
// as "150.00" and an amount reads back the way the merchant wrote it.
func formatMoney(d decimal.Decimal) string {
	places := int32(2)
	if -d.Exponent() > places {
		places = -d.Exponent()
	}
	return d.StringFixed(places)
}

// EnsureMerchant creates the merchant or updates its name. Orders may only belong to a
// merchant the store knows.
func (s *Store) EnsureMerchant(ctx context.Context, m Merchant) error {
	if m.ID == "" {
		return newError(CodeUnknownMerchant, "merchant_id", "merchant id is empty")
	}
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO merchants (id, name, created_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name`, m.ID, m.Name, formatTime(s.txNow(ctx)))
		return err
	})
	if err != nil {
		return fmt.Errorf("ensure merchant %s: %w", m.ID, err)
	}
	return nil
}

// CreateOrder stores a new open order and its order.created event. It fills in ID,
// FormToken, Status, CreatedAt, UpdatedAt and, when zero, MaxAttempts; the caller must
// set ExpiresAt. A second order with the same merchant and reference is refused with
// duplicate_reference and nothing is written.
func (s *Store) CreateOrder(ctx context.Context, o *Order) error {
	return s.CreateOrderIdem(ctx, o, nil)
}

// CreateOrderIdem is CreateOrder under a merchant's Idempotency-Key: the order, its event
// and the key's answer commit together, and a duplicate_reference refusal stores its
// answer for the key. A key already used returns *KeyUsedError and writes nothing.
func (s *Store) CreateOrderIdem(ctx context.Context, o *Order, idem *Idem) error {
	if o.ExpiresAt.IsZero() {
		return errors.New("create order: ExpiresAt is not set")
	}
	n := *o
	if n.MaxAttempts <= 0 {
		n.MaxAttempts = DefaultMaxAttempts
	}
	n.ID = newOrderID()
	n.FormToken = newFormToken()
	n.Status = StatusOpen
	n.ExpiresAt = o.ExpiresAt.UTC()
	if n.Capture == "" {
		n.Capture = CaptureAuto
	}
	installments, err := json.Marshal(n.Installments)
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	subDealers, err := json.Marshal(n.SubDealers)
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	buyer, err := json.Marshal(n.Buyer)
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	basket, err := json.Marshal(n.Basket)
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	err = s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		if err := checkKey(ctx, tx, idem); err != nil {
			return err
		}
		now := s.txNow(ctx)
		n.CreatedAt, n.UpdatedAt = now, now
		// The schema refuses an unknown merchant (foreign key) and a reused reference
		// (UNIQUE, skipped by ON CONFLICT so that the transaction stays usable for the
		// key's answer: PostgreSQL ends a transaction at a failed statement): no query
		// before the insert.
		res, err := tx.ExecContext(ctx, `INSERT INTO orders (id, merchant_id, reference, amount, currency,
			description, installments, capture, pool, commission_scenario, sub_dealers, buyer, basket,
			return_url, cancel_url, locale, status, cancel_reason, form_token, max_attempts,
			created_at, updated_at, expires_at, paid_at, approved_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (merchant_id, reference) DO NOTHING`,
			n.ID, n.MerchantID, n.Reference, formatMoney(n.Amount), n.Currency,
			n.Description, string(installments), n.Capture, n.Pool, n.CommissionScenario,
			string(subDealers), string(buyer), string(basket),
			n.ReturnURL, n.CancelURL, n.Locale, n.Status, n.CancelReason, n.FormToken, n.MaxAttempts,
			formatTime(n.CreatedAt), formatTime(n.UpdatedAt), formatTime(n.ExpiresAt),
			formatTimePtr(n.PaidAt), formatTimePtr(n.ApprovedAt))
		switch {
		case isForeignKey(err):
			return newError(CodeUnknownMerchant, "merchant_id", "merchant %q is not known", n.MerchantID)
		case err != nil:
			return fmt.Errorf("insert order: %w", err)
		}
		if inserted, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert order: %w", err)
		} else if inserted == 0 {
			// The refusal is the key's answer.
			return s.refuse(ctx, tx, idem, nil,
				newError(CodeDuplicateReference, "reference", "an order with reference %q already exists", n.Reference))
		}
		if err := s.insertEvent(ctx, tx, EventOrderCreated, &n, nil); err != nil {
			return err
		}
		if idem == nil {
			return nil
		}
		status, body := idem.Answer(&n, nil, nil)
		return s.insertKey(ctx, tx, idem, status, body, "")
	})
	if err != nil {
		return fmt.Errorf("create order %s/%s: %w", n.MerchantID, n.Reference, err)
	}
	*o = n
	return nil
}

// GetOrder returns the order with its attempts, captures and refunds, oldest first.
func (s *Store) GetOrder(ctx context.Context, id string) (*Order, error) {
	o, err := s.readOrder(ctx, "id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("get order %s: %w", id, err)
	}
	return o, nil
}

// GetOrderByReference returns a merchant's order by the merchant's own reference.
func (s *Store) GetOrderByReference(ctx context.Context, merchantID, reference string) (*Order, error) {
	o, err := s.readOrder(ctx, "merchant_id = ? AND reference = ?", merchantID, reference)
	if err != nil {
		return nil, fmt.Errorf("get order %s/%s: %w", merchantID, reference, err)
	}
	return o, nil
}

// readOrder reads one order and its rows in one read transaction (one snapshot, one set
// of file locks).
func (s *Store) readOrder(ctx context.Context, where string, args ...any) (*Order, error) {
	var o *Order
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		var err error
		o, err = loadOrder(ctx, tx, where, args...)
		return err
	})
	return o, err
}

// isSQLiteUnique reports SQLite refusing a write for a unique constraint on table
// (and column, when set).
func isSQLiteUnique(err error, table, column string) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) || se.ExtendedCode != sqlite3.ErrConstraintUnique {
		return false
	}
	return strings.Contains(err.Error(), table+"."+column)
}

// isSQLiteForeignKey reports SQLite refusing a write for a foreign key.
func isSQLiteForeignKey(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey
}

// mayHaveMoneyRows reports whether an order in status st can have actions (captures,
// voids, refunds, approvals).
// An open order, or one at the bank, has taken no money (a payment that lands on an
// order that has moved on is recorded as a conflict, never reopening it), so the card
// page's and the card post's reads skip those queries. Every other status may have them,
// an expired or canceled one too: a late payment recorded as a conflict is refunded.
func mayHaveMoneyRows(st Status) bool {
	return st != StatusOpen && st != StatusProcessing
}

const orderColumns = `id, merchant_id, reference, amount, currency, description, installments,
	capture, pool, commission_scenario, sub_dealers, buyer, basket, return_url, cancel_url, locale,
	status, cancel_reason, form_token, max_attempts, created_at, updated_at, expires_at, paid_at, approved_at,
	review_reason, review_detail, review_flagged_at, review_resolved_at, review_resolved_by, review_note`

// loadOrder reads one order matching where, with its attempts, captures and refunds.
func loadOrder(ctx context.Context, q querier, where string, args ...any) (*Order, error) {
	var (
		o                                                Order
		amount, installments, subDealers, buyer, basket  string
		created, updated, expires                        string
		paid, approved                                   sql.NullString
		reviewReason, reviewDetail, reviewBy, reviewNote string
		reviewFlagged, reviewResolved                    sql.NullString
	)
	query := "SELECT " + orderColumns + " FROM orders WHERE " + where
	if lockRows(ctx) {
		query += " FOR UPDATE"
	}
	err := q.QueryRowContext(ctx, query, args...).Scan(
		&o.ID, &o.MerchantID, &o.Reference, &amount, &o.Currency, &o.Description, &installments,
		&o.Capture, &o.Pool, &o.CommissionScenario, &subDealers, &buyer, &basket,
		&o.ReturnURL, &o.CancelURL, &o.Locale, &o.Status, &o.CancelReason, &o.FormToken, &o.MaxAttempts,
		&created, &updated, &expires, &paid, &approved,
		&reviewReason, &reviewDetail, &reviewFlagged, &reviewResolved, &reviewBy, &reviewNote)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if o.Amount, err = decimal.NewFromString(amount); err != nil {
		return nil, fmt.Errorf("stored amount %q: %w", amount, err)
	}
	for _, j := range []struct {
		src string
		dst any
	}{{installments, &o.Installments}, {subDealers, &o.SubDealers}, {buyer, &o.Buyer}, {basket, &o.Basket}} {
		if j.src == "null" || j.src == "{}" {
			continue // what Unmarshal would leave: the zero value
		}
		if err := json.Unmarshal([]byte(j.src), j.dst); err != nil {
			return nil, fmt.Errorf("stored order %s: %w", o.ID, err)
		}
	}
	for _, t := range []struct {
		src string
		dst *time.Time
	}{{created, &o.CreatedAt}, {updated, &o.UpdatedAt}, {expires, &o.ExpiresAt}} {
		if *t.dst, err = parseTime(t.src); err != nil {
			return nil, err
		}
	}
	if o.PaidAt, err = parseNullTime(paid); err != nil {
		return nil, err
	}
	if o.ApprovedAt, err = parseNullTime(approved); err != nil {
		return nil, err
	}
	if o.Review, err = loadReview(reviewReason, reviewDetail, reviewFlagged, reviewResolved, reviewBy, reviewNote); err != nil {
		return nil, err
	}
	if o.Attempts, err = loadAttempts(ctx, q, "order_id = ? ORDER BY created_at, rowid", o.ID); err != nil {
		return nil, err
	}
	if !mayHaveMoneyRows(o.Status) {
		return &o, nil
	}
	if o.Actions, err = loadActions(ctx, q, "order_id = ? ORDER BY created_at, rowid", o.ID); err != nil {
		return nil, err
	}
	if o.Pool {
		if o.Approvals, err = loadApprovals(ctx, q, o.ID); err != nil {
			return nil, err
		}
	}
	return &o, nil
}
