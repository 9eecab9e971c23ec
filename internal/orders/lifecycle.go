package orders

import (
	"context"
	"fmt"
)

// CancelReasonAttemptsExhausted is the CancelReason of an order whose last allowed
// attempt failed.
const CancelReasonAttemptsExhausted = "attempts_exhausted"

// moveOrder changes o's status inside tx, checks the status machine, and writes the event
// for the new status (if it has one). The UPDATE is guarded by the old status, so a row
// changed under us is reported instead of overwritten. o is updated in place.
func (s *Store) moveOrder(ctx context.Context, tx dbTx, o *Order, to Status, a *Attempt) error {
	return s.moveOrderEvent(ctx, tx, o, to, a, nil, statusEvents[to])
}

// moveOrderEvent is moveOrder with the event named: typ "" writes none; act is the
// merchant action that made the change, if any.
func (s *Store) moveOrderEvent(ctx context.Context, tx dbTx, o *Order, to Status, a *Attempt, act *Action, typ string) error {
	from := o.Status
	if !CanTransition(from, to) {
		return invalidTransition(from, to)
	}
	now := s.txNow(ctx)
	o.Status, o.UpdatedAt = to, now
	if to == StatusPaid && o.PaidAt == nil {
		o.PaidAt = &now
	}
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = ?, cancel_reason = ?, updated_at = ?, paid_at = ?
		WHERE id = ? AND status = ?`,
		o.Status, o.CancelReason, formatTime(o.UpdatedAt), formatTimePtr(o.PaidAt), o.ID, from)
	if err != nil {
		return fmt.Errorf("move order %s to %s: %w", o.ID, to, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("move order %s to %s: order was not %s", o.ID, to, from)
	}
	if typ == "" {
		return nil
	}
	return s.writeEvent(ctx, tx, typ, o, a, act)
}

// CancelOrder cancels an open order. An order at the bank (processing) cannot be
// canceled, since the bank may still take the money: that is attempt_in_flight.
func (s *Store) CancelOrder(ctx context.Context, orderID, reason string) (*Order, error) {
	var out *Order
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		o, err := loadOrder(ctx, tx, "id = ?", orderID)
		if err != nil {
			return err
		}
		switch o.Status {
		case StatusOpen:
		case StatusProcessing:
			return newError(CodeAttemptInFlight, "", "a payment attempt is at the bank")
		default:
			return invalidTransition(o.Status, StatusCanceled)
		}
		o.CancelReason = reason
		if err := s.moveOrder(ctx, tx, o, StatusCanceled, nil); err != nil {
			return err
		}
		out = o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cancel order %s: %w", orderID, err)
	}
	return out, nil
}

// ExpireDue moves every open order whose expiry has passed to expired, one transaction
// and one order.expired event per order, and returns how many it moved. Orders in
// processing are left alone: their attempt decides (see FailAttempt and RecordOutcome).
func (s *Store) ExpireDue(ctx context.Context) (int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM orders WHERE status = ? AND expires_at <= ?`,
		StatusOpen, formatTime(s.now()))
	if err != nil {
		return 0, fmt.Errorf("expire due orders: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("expire due orders: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("expire due orders: %w", err)
	}
	expired := 0
	for _, id := range ids {
		var moved bool
		err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
			o, err := loadOrder(ctx, tx, "id = ?", id)
			if err != nil {
				return err
			}
			// Checked again inside the transaction: an attempt may have started since.
			if o.Status != StatusOpen || o.ExpiresAt.After(s.txNow(ctx)) {
				return nil
			}
			moved = true
			return s.moveOrder(ctx, tx, o, StatusExpired, nil)
		})
		if err != nil {
			return expired, fmt.Errorf("expire order %s: %w", id, err)
		}
		if moved {
			expired++
		}
	}
	return expired, nil
}
