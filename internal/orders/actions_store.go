package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// BeginAction checks a merchant's action against the order and, in one transaction,
// writes it pending (and, with idem, claims the Idempotency-Key for it) before Moka is
// called. A refusal is returned as an *Error and, with idem, stored as the key's answer
// in the same transaction. A key already used returns *KeyUsedError and changes nothing.
// The returned order includes the new action; the returned action says what to send to
// Moka (a full refund on the payment's own day comes back as a void).
func (s *Store) BeginAction(ctx context.Context, merchantID, orderID string, req ActionRequest, idem *Idem) (*Order, *Action, error) {
	var out *Order
	var act *Action
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		if err := checkKey(ctx, tx, idem); err != nil {
			return err
		}
		o, err := loadOrder(ctx, tx, "id = ? AND merchant_id = ?", orderID, merchantID)
		if err != nil {
			return s.refuse(ctx, tx, idem, nil, err)
		}
		a, err := s.plan(o, req, s.txNow(ctx))
		if err != nil {
			return s.refuse(ctx, tx, idem, o, err)
		}
		a.ID, a.OrderID, a.Status, a.CreatedAt = newActionID(), o.ID, ActionPending, s.txNow(ctx)
		if err := insertAction(ctx, tx, &a); err != nil {
			return err
		}
		if idem != nil {
			if err := s.insertKey(ctx, tx, idem, 0, nil, a.ID); err != nil {
				return err
			}
		}
		o.Actions = append(o.Actions, a)
		out, act = o, &a
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("begin %s of order %s: %w", req.Kind, orderID, err)
	}
	return out, act, nil
}

// refuse stores a refusal as the key's answer (when there is a key) and returns it so
// that the write commits the answer alone.
func (s *Store) refuse(ctx context.Context, tx dbTx, idem *Idem, o *Order, err error) error {
	var de *Error
	if idem == nil || !errors.As(err, &de) {
		return err
	}
	switch de.Code {
	case CodeActionInProgress, CodeRefundInProgress, CodeUnavailable:
		// A conflict that passes: the same request may succeed later, so it is not the
		// key's answer (Stripe does not store these either).
		return err
	}
	status, body := idem.Answer(o, nil, err)
	if kerr := s.insertKey(ctx, tx, idem, status, body, ""); kerr != nil {
		return kerr
	}
	return committed{err}
}

// FinishAction records Moka's answer to a pending action, in one transaction with the
// order's change, its event and (with idem) the key's answer:
//   - succeeded: a capture makes the order paid (order.captured), a void canceled
//     (order.canceled), an approval records each share's approval time and, once every
//     share is approved, the order's approved_at (order.approved);
//   - requested: the refund request's id is kept (order.refund_requested);
//   - failed: the action ends with Moka's code; the order is unchanged;
//   - pending: the answer was lost; the action stays pending for reconciliation.
//
// An action that is no longer pending (reconciliation settled it meanwhile) is left as it
// is: the current state is returned.
func (s *Store) FinishAction(ctx context.Context, actionID string, r ActionResult, idem *Idem) (*Order, *Action, error) {
	var out *Order
	var act *Action
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		o, a, err := loadActionOrder(ctx, tx, actionID)
		if err != nil {
			return err
		}
		if a.Status == ActionPending && r.Status != ActionPending {
			if err := s.settleAction(ctx, tx, o, a, r); err != nil {
				return err
			}
		}
		if idem != nil && a.Status != ActionPending {
			// While the outcome is unknown the key stays in progress: a repeat is told so,
			// and gets the settled answer once reconciliation has it.
			status, body := idem.Answer(o, a, nil)
			if err := s.answerKey(ctx, tx, idem, status, body); err != nil {
				return err
			}
		}
		out, act = o, a
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("finish action %s: %w", actionID, err)
	}
	return out, act, nil
}

// settleAction moves a pending action (a points into o.Actions) to r's status and the
// order with it.
func (s *Store) settleAction(ctx context.Context, tx dbTx, o *Order, a *Action, r ActionResult) error {
	now := s.txNow(ctx)
	a.Status, a.ResultCode, a.ResultMessage = r.Status, r.ResultCode, r.ResultMessage
	if r.RefundRequestID != "" {
		a.RefundRequestID = r.RefundRequestID
	}
	if r.Status != ActionRequested {
		a.CompletedAt = &now
	}
	if err := updateAction(ctx, tx, a); err != nil {
		return err
	}
	switch {
	case r.Status == ActionFailed:
		if a.Kind == ActionRefund {
			return s.insertActionEvent(ctx, tx, EventOrderRefundFailed, o, a)
		}
		if r.Reconciled {
			return s.insertActionEvent(ctx, tx, EventOrderActionFailed, o, a)
		}
		return nil
	case r.Status == ActionRequested:
		return s.insertActionEvent(ctx, tx, EventOrderRefundRequested, o, a)
	case r.Status != ActionSucceeded:
		return fmt.Errorf("action %s: cannot settle as %s", a.ID, r.Status)
	}
	switch a.Kind {
	case ActionCapture:
		return s.moveOrderEvent(ctx, tx, o, StatusPaid, nil, a, EventOrderCaptured)
	case ActionVoid:
		o.CancelReason = CancelReasonVoided
		return s.moveOrderEvent(ctx, tx, o, StatusCanceled, nil, a, EventOrderCanceled)
	case ActionApprove:
		return s.approve(ctx, tx, o, a, now)
	case ActionRefund:
		return s.refunded(ctx, tx, o, a)
	}
	return fmt.Errorf("action %s: unknown kind %s", a.ID, a.Kind)
}

func (s *Store) approve(ctx context.Context, tx dbTx, o *Order, a *Action, now time.Time) error {
	for _, sh := range a.Shares {
		if _, err := tx.ExecContext(ctx, `INSERT INTO approvals (order_id, dealer_id, action_id, approved_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (order_id, dealer_id) DO NOTHING`, o.ID, sh.DealerID, a.ID, formatTime(now)); err != nil {
			return fmt.Errorf("insert approval: %w", err)
		}
		o.Approvals = append(o.Approvals, Approval{DealerID: sh.DealerID, ActionID: a.ID, ApprovedAt: now})
	}
	all := len(o.Approvals) > 0
	for _, sd := range o.SubDealers {
		found := false
		for _, ap := range o.Approvals {
			found = found || ap.DealerID == sd.DealerID
		}
		all = all && found
	}
	if all && o.ApprovedAt == nil {
		o.ApprovedAt = &now
		o.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET approved_at = ?, updated_at = ? WHERE id = ?`,
			formatTime(now), formatTime(now), o.ID); err != nil {
			return fmt.Errorf("approve order: %w", err)
		}
	}
	return s.insertActionEvent(ctx, tx, EventOrderApproved, o, a)
}

// refunded moves the order once a refund is done: refunded when nothing is left,
// partially_refunded otherwise.
func (s *Store) refunded(ctx context.Context, tx dbTx, o *Order, a *Action) error {
	to := StatusPartiallyRefunded
	if !o.PaidAmount().Sub(o.RefundedAmount()).IsPositive() {
		to = StatusRefunded
	}
	return s.moveOrderEvent(ctx, tx, o, to, nil, a, statusEvents[to])
}

// CompleteRefund records what became of a refund request (or of a refund whose request's
// answer was lost), from Moka's refund transaction mokaTrxID: done (succeeded, and the order becomes partially_refunded or
// refunded) or refused by the bank (failed, order.refund_failed). A refund already
// settled is left alone; done reports whether this call settled it.
func (s *Store) CompleteRefund(ctx context.Context, actionID string, success bool, message string, mokaTrxID int64) (o *Order, done bool, err error) {
	err = s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		var a *Action
		o, a, err = loadActionOrder(ctx, tx, actionID)
		if err != nil {
			return err
		}
		if a.Kind != ActionRefund || (a.Status != ActionPending && a.Status != ActionRequested) {
			return nil
		}
		r := ActionResult{Status: ActionSucceeded, ResultMessage: message}
		if !success {
			r = ActionResult{Status: ActionFailed, ResultCode: ResultRefundRefused, ResultMessage: message}
		}
		a.MokaTrxID = mokaTrxID
		done = true
		return s.settleAction(ctx, tx, o, a, r)
	})
	if err != nil {
		return nil, false, fmt.Errorf("complete refund %s: %w", actionID, err)
	}
	return o, done, nil
}

// OpenActions lists the actions reconciliation must settle: pending ones created before
// before (their Moka call has surely ended), and every refund request not yet done.
func (s *Store) OpenActions(ctx context.Context, before time.Time) ([]Action, error) {
	as, err := loadActions(ctx, s.r, `(status = ? AND created_at < ?) OR status = ? ORDER BY created_at, rowid`,
		ActionPending, formatTime(before), ActionRequested)
	if err != nil {
		return nil, fmt.Errorf("list open actions: %w", err)
	}
	return as, nil
}

func loadActionOrder(ctx context.Context, q querier, actionID string) (*Order, *Action, error) {
	var orderID string
	err := q.QueryRowContext(ctx, `SELECT order_id FROM actions WHERE id = ?`, actionID).Scan(&orderID)
	// loadOrder locks the order (PostgreSQL), then reads the action as it is now.
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := loadOrder(ctx, q, "id = ?", orderID)
	if err != nil {
		return nil, nil, err
	}
	a := o.Action(actionID)
	if a == nil {
		return nil, nil, fmt.Errorf("action %s not loaded with order %s", actionID, orderID)
	}
	return o, a, nil
}

const actionColumns = `id, order_id, kind, status, amount, shares, refund_request_id, result_code,
	result_message, created_at, completed_at, moka_trx_id`

func insertAction(ctx context.Context, tx dbTx, a *Action) error {
	shares, err := json.Marshal(a.Shares)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO actions ("+actionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.OrderID, a.Kind, a.Status, formatMoney(a.Amount), string(shares), a.RefundRequestID,
		a.ResultCode, a.ResultMessage, formatTime(a.CreatedAt), formatTimePtr(a.CompletedAt), a.MokaTrxID)
	if isUnique(err, "actions", "") {
		return newError(CodeActionInProgress, "", "another action of this order is waiting for Moka's answer")
	}
	if err != nil {
		return fmt.Errorf("insert action: %w", err)
	}
	return nil
}

// updateAction writes a's outcome; only a pending or requested action may change.
func updateAction(ctx context.Context, tx dbTx, a *Action) error {
	res, err := tx.ExecContext(ctx, `UPDATE actions SET status = ?, refund_request_id = ?, result_code = ?,
		result_message = ?, completed_at = ?, moka_trx_id = ? WHERE id = ? AND status IN (?, ?)`,
		a.Status, a.RefundRequestID, a.ResultCode, a.ResultMessage, formatTimePtr(a.CompletedAt), a.MokaTrxID, a.ID,
		ActionPending, ActionRequested)
	if err != nil {
		return fmt.Errorf("update action %s: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("update action %s: it was already settled", a.ID)
	}
	return nil
}

func loadActions(ctx context.Context, q querier, where string, args ...any) ([]Action, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+actionColumns+" FROM actions WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var amount, shares, created string
		var completed sql.NullString
		if err := rows.Scan(&a.ID, &a.OrderID, &a.Kind, &a.Status, &amount, &shares, &a.RefundRequestID,
			&a.ResultCode, &a.ResultMessage, &created, &completed, &a.MokaTrxID); err != nil {
			return nil, err
		}
		if a.Amount, err = decimal.NewFromString(amount); err != nil {
			return nil, fmt.Errorf("stored action amount %q: %w", amount, err)
		}
		if err := json.Unmarshal([]byte(shares), &a.Shares); err != nil {
			return nil, fmt.Errorf("stored action %s shares: %w", a.ID, err)
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

func loadApprovals(ctx context.Context, q querier, orderID string) ([]Approval, error) {
	rows, err := q.QueryContext(ctx, `SELECT dealer_id, action_id, approved_at FROM approvals
		WHERE order_id = ? ORDER BY approved_at, dealer_id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Approval
	for rows.Next() {
		var ap Approval
		var at string
		if err := rows.Scan(&ap.DealerID, &ap.ActionID, &at); err != nil {
			return nil, err
		}
		if ap.ApprovedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, ap)
	}
	return out, rows.Err()
}

// GetAction returns an action with its order.
func (s *Store) GetAction(ctx context.Context, actionID string) (*Order, *Action, error) {
	var o *Order
	var a *Action
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		var err error
		o, a, err = loadActionOrder(ctx, tx, actionID)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("get action %s: %w", actionID, err)
	}
	return o, a, nil
}
