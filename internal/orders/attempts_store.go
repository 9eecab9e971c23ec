package orders

import (
	"context"
	"database/sql"
	"fmt"
)

// RecordResult is what RecordOutcome did. Recorded is true for exactly one call per
// attempt: the one whose outcome was stored. Every other call (a duplicate, a replay, a
// concurrent post) gets Recorded false and the state as it now is.
type RecordResult struct {
	Order    *Order
	Attempt  *Attempt
	Recorded bool
}

const attemptColumns = `id, order_id, other_trx_code, status, code_for_hash, installments, card_holder,
	card_first6, card_last4, card_brand, embedded, parent_origin, trx_code, result_code, result_message,
	created_at, completed_at`

func loadAttempts(ctx context.Context, q querier, where string, args ...any) ([]Attempt, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+attemptColumns+" FROM attempts WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var created string
		var completed sql.NullString
		if err := rows.Scan(&a.ID, &a.OrderID, &a.OtherTrxCode, &a.Status, &a.CodeForHash, &a.Installments,
			&a.CardHolder, &a.CardFirst6, &a.CardLast4, &a.CardBrand, &a.Embedded, &a.ParentOrigin,
			&a.TrxCode, &a.ResultCode, &a.ResultMessage, &created, &completed); err != nil {
			return nil, err
		}
		if a.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if a.CompletedAt, err = parseNullTime(completed); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func loadAttempt(ctx context.Context, q querier, id string) (*Attempt, error) {
	as, err := loadAttempts(ctx, q, "id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, ErrNotFound
	}
	return &as[0], nil
}

// GetAttempt returns one attempt by its id.
func (s *Store) GetAttempt(ctx context.Context, attemptID string) (*Attempt, error) {
	a, err := loadAttempt(ctx, s.db, attemptID)
	if err != nil {
		return nil, fmt.Errorf("get attempt %s: %w", attemptID, err)
	}
	return a, nil
}

// StartAttempt opens a payment attempt on an open order and moves the order to
// processing, in one transaction committed before Moka is called. It refuses with
// attempt_in_flight (order processing), order_not_payable (any other non-open status),
// order_expired (expiry passed: the order is moved to expired, and that is committed), or
// attempts_exhausted. It fills in a's ID, OrderID, OtherTrxCode, Status and CreatedAt.
// Only the card's first six, last four, brand and holder may be in a.
func (s *Store) StartAttempt(ctx context.Context, orderID string, a *Attempt) (*Order, error) {
	var out *Order
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		o, err := loadOrder(ctx, tx, "id = ?", orderID)
		if err != nil {
			return err
		}
		switch o.Status {
		case StatusOpen:
		case StatusProcessing:
			return newError(CodeAttemptInFlight, "", "a payment attempt for this order is already at the bank")
		case StatusExpired:
			return newError(CodeOrderExpired, "", "the order has expired")
		default:
			return newError(CodeOrderNotPayable, "", "the order is %s", o.Status)
		}
		if !s.now().Before(o.ExpiresAt) {
			if err := s.moveOrder(ctx, tx, o, StatusExpired, nil); err != nil {
				return err
			}
			return committed{newError(CodeOrderExpired, "", "the order has expired")}
		}
		if len(o.Attempts) >= o.MaxAttempts {
			return newError(CodeAttemptsExhausted, "", "the order allows %d payment attempts", o.MaxAttempts)
		}
		n := *a
		n.ID, n.OrderID, n.OtherTrxCode = newAttemptID(), o.ID, newOtherTrxCode()
		n.Status, n.CreatedAt, n.CompletedAt = AttemptCreated, s.now(), nil
		n.CodeForHash, n.TrxCode, n.ResultCode, n.ResultMessage = "", "", "", ""
		_, err = tx.ExecContext(ctx, "INSERT INTO attempts ("+attemptColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ID, n.OrderID, n.OtherTrxCode, n.Status, n.CodeForHash, n.Installments, n.CardHolder,
			n.CardFirst6, n.CardLast4, n.CardBrand, n.Embedded, n.ParentOrigin,
			n.TrxCode, n.ResultCode, n.ResultMessage, formatTime(n.CreatedAt), nil)
		if err != nil {
			return fmt.Errorf("insert attempt: %w", err)
		}
		if err := s.moveOrder(ctx, tx, o, StatusProcessing, &n); err != nil {
			return err
		}
		o.Attempts = append(o.Attempts, n)
		*a, out = n, o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("start attempt on order %s: %w", orderID, err)
	}
	return out, nil
}

// MarkRedirected records that Moka accepted the attempt and answered with the bank URL
// and codeForHash; only now can a bank return be verified and recorded.
func (s *Store) MarkRedirected(ctx context.Context, attemptID, codeForHash string) error {
	if codeForHash == "" {
		return fmt.Errorf("mark attempt %s redirected: %w", attemptID,
			newError(CodeInvalidTransition, "code_for_hash", "an attempt cannot be redirected without a CodeForHash"))
	}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE attempts SET status = ?, code_for_hash = ? WHERE id = ? AND status = ?`,
			AttemptRedirected, codeForHash, attemptID, AttemptCreated)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		a, err := loadAttempt(ctx, tx, attemptID)
		if err != nil {
			return err
		}
		return newError(CodeInvalidTransition, "", "attempt is %s, not %s", a.Status, AttemptCreated)
	})
	if err != nil {
		return fmt.Errorf("mark attempt %s redirected: %w", attemptID, err)
	}
	return nil
}

// FailAttempt ends an attempt whose Moka call failed before the buyer reached the bank.
// The order goes back to open, or to expired when its time ran out, or to canceled
// (reason attempts_exhausted) when no attempts remain; events order.payment_failed and,
// for expired or canceled, the status event. An attempt that has already ended is left
// as it is, and the current order is returned without error.
//
// A redirected attempt is refused with invalid_transition: the buyer holds the bank's
// URL, so the bank may still charge and post a verified success. Only that return
// (RecordOutcome) or an answer from Moka about the attempt may end it; failing it here
// would let a real payment arrive for an order already reopened for another attempt.
func (s *Store) FailAttempt(ctx context.Context, attemptID, resultCode, resultMessage string) (*Order, error) {
	var out *Order
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		a, err := loadAttempt(ctx, tx, attemptID)
		if err != nil {
			return err
		}
		if a.Status == AttemptRedirected {
			return newError(CodeInvalidTransition, "", "attempt %s is at the bank; only its return can end it", attemptID)
		}
		res, err := tx.ExecContext(ctx, `UPDATE attempts SET status = ?, result_code = ?, result_message = ?,
			completed_at = ? WHERE id = ? AND status = ?`,
			AttemptFailed, resultCode, resultMessage, formatTime(s.now()), attemptID, AttemptCreated)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			now := s.now()
			a.Status, a.ResultCode, a.ResultMessage, a.CompletedAt = AttemptFailed, resultCode, resultMessage, &now
			o, err := loadOrder(ctx, tx, "id = ?", a.OrderID)
			if err != nil {
				return err
			}
			if err := s.settleFailure(ctx, tx, o, a); err != nil {
				return err
			}
		}
		out, err = loadOrder(ctx, tx, "id = ?", a.OrderID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("fail attempt %s: %w", attemptID, err)
	}
	return out, nil
}

// settleFailure writes order.payment_failed for a failed attempt and, if the order was
// waiting on it, moves the order on: back to open while time and attempts remain, else
// to expired or to canceled (attempts_exhausted).
func (s *Store) settleFailure(ctx context.Context, tx *sql.Tx, o *Order, a *Attempt) error {
	if o.Status != StatusProcessing {
		return s.insertEvent(ctx, tx, EventOrderPaymentFailed, o, a)
	}
	next := StatusOpen
	switch {
	case !s.now().Before(o.ExpiresAt):
		next = StatusExpired
	case len(o.Attempts) >= o.MaxAttempts:
		next = StatusCanceled
		o.CancelReason = CancelReasonAttemptsExhausted
	}
	// The failure event carries the status the order is moving to.
	failed := *o
	failed.Status = next
	if err := s.insertEvent(ctx, tx, EventOrderPaymentFailed, &failed, a); err != nil {
		return err
	}
	return s.moveOrder(ctx, tx, o, next, a)
}

// RecordOutcome stores the verified bank return for an attempt exactly once. Within one
// immediate transaction only a redirected attempt can move to succeeded or failed; the
// caller that made that move gets Recorded true and is the only one to change the order:
// success makes it paid (or authorized when Capture is manual), failure is handled like
// FailAttempt. Every later or concurrent call gets Recorded false and the current state.
//
// An attempt still in created has no CodeForHash, so no return for it can have been
// verified: invalid_transition. A success for an order that is no longer processing
// (a second charge, or a return after reconciliation moved the order) is recorded on the
// attempt, leaves the order's status alone and writes order.payment_conflict, so it is
// never mistaken for a normal payment.
func (s *Store) RecordOutcome(ctx context.Context, attemptID string, out Outcome) (RecordResult, error) {
	var rr RecordResult
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		a, err := loadAttempt(ctx, tx, attemptID)
		if err != nil {
			return err
		}
		if a.Status == AttemptCreated {
			return newError(CodeInvalidTransition, "", "attempt %s never reached the bank", attemptID)
		}
		status := AttemptFailed
		if out.Success {
			status = AttemptSucceeded
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE attempts SET status = ?, trx_code = ?, result_code = ?,
			result_message = ?, completed_at = ? WHERE id = ? AND status = ?`,
			status, out.TrxCode, out.ResultCode, out.ResultMessage, formatTime(now), attemptID, AttemptRedirected)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			rr.Recorded = true
			a.Status, a.TrxCode, a.ResultCode, a.ResultMessage, a.CompletedAt =
				status, out.TrxCode, out.ResultCode, out.ResultMessage, &now
			o, err := loadOrder(ctx, tx, "id = ?", a.OrderID)
			if err != nil {
				return err
			}
			if err := s.settleOutcome(ctx, tx, o, a, out.Success); err != nil {
				return err
			}
		}
		if rr.Attempt, err = loadAttempt(ctx, tx, attemptID); err != nil {
			return err
		}
		rr.Order, err = loadOrder(ctx, tx, "id = ?", a.OrderID)
		return err
	})
	if err != nil {
		return RecordResult{}, fmt.Errorf("record outcome of attempt %s: %w", attemptID, err)
	}
	return rr, nil
}

func (s *Store) settleOutcome(ctx context.Context, tx *sql.Tx, o *Order, a *Attempt, success bool) error {
	if !success {
		return s.settleFailure(ctx, tx, o, a)
	}
	if o.Status != StatusProcessing {
		return s.insertEvent(ctx, tx, EventOrderPaymentConflict, o, a)
	}
	to := StatusPaid
	if o.Capture == CaptureManual {
		to = StatusAuthorized
	}
	return s.moveOrder(ctx, tx, o, to, a)
}
