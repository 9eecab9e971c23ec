package orders

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// RecordResult is what RecordOutcome did. Recorded is true for exactly one call per
// attempt: the one whose outcome was stored. Every other call (a duplicate, a replay, a
// concurrent post) gets Recorded false and the state as it now is.
type RecordResult struct {
	Order    *Order
	Attempt  *Attempt
	Recorded bool
	// Conflict: the recorded success came for an order no longer waiting for it, and
	// order.payment_conflict was written. The buyer may have paid twice: alert a person.
	Conflict bool
}

const attemptColumns = `id, order_id, other_trx_code, status, code_for_hash, installments, card_holder,
	card_first6, card_last4, card_brand, embedded, parent_origin, trx_code, result_code, result_message,
	bank_url, counted, decline_keys, created_at, completed_at`

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
		var counted bool
		var declineKeys string
		if err := rows.Scan(&a.ID, &a.OrderID, &a.OtherTrxCode, &a.Status, &a.CodeForHash, &a.Installments,
			&a.CardHolder, &a.CardFirst6, &a.CardLast4, &a.CardBrand, &a.Embedded, &a.ParentOrigin,
			&a.TrxCode, &a.ResultCode, &a.ResultMessage, &a.BankURL, &counted, &declineKeys, &created, &completed); err != nil {
			return nil, err
		}
		a.NotCounted, a.DeclineKeys = !counted, parseDeclineKeys(declineKeys)
		// Stored sealed (v1:...) by a store with a key, or plain from before: see seal.go.
		if a.CodeForHash, err = sealerOf(q).open(a.ID, a.CodeForHash); err != nil {
			return nil, fmt.Errorf("open code_for_hash: %w", err)
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
	if err := lockOrderOf(ctx, q, id); err != nil {
		return nil, err
	}
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
	a, err := loadAttempt(ctx, s.r, attemptID)
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
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
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
		if !s.txNow(ctx).Before(o.ExpiresAt) {
			if err := s.moveOrder(ctx, tx, o, StatusExpired, nil); err != nil {
				return err
			}
			return committed{newError(CodeOrderExpired, "", "the order has expired")}
		}
		if o.succeeded() != nil {
			// Money was taken for this order already (a late success recorded as a conflict).
			return newError(CodeOrderNotPayable, "", "the order has a successful payment")
		}
		if o.FlaggedForReview() {
			// Moka may hold money for it that we have not recorded (another amount, a
			// payment found by the sweep): no second payment until a person has looked.
			return newError(CodeUnderReview, "", "the order is being reviewed: %s", o.Review.Reason)
		}
		if o.CountedAttempts() >= o.MaxAttempts {
			return newError(CodeAttemptsExhausted, "", "the order allows %d payment attempts", o.MaxAttempts)
		}
		n := *a
		n.ID, n.OrderID, n.OtherTrxCode = newAttemptID(), o.ID, newOtherTrxCode()
		n.Status, n.CreatedAt, n.CompletedAt = AttemptCreated, s.txNow(ctx), nil
		n.CodeForHash, n.TrxCode, n.ResultCode, n.ResultMessage, n.BankURL, n.NotCounted = "", "", "", "", "", false
		_, err = tx.ExecContext(ctx, "INSERT INTO attempts ("+attemptColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ID, n.OrderID, n.OtherTrxCode, n.Status, n.CodeForHash, n.Installments, n.CardHolder,
			n.CardFirst6, n.CardLast4, n.CardBrand, n.Embedded, n.ParentOrigin,
			n.TrxCode, n.ResultCode, n.ResultMessage, n.BankURL, true, declineKeysColumn(n.DeclineKeys),
			formatTime(n.CreatedAt), nil)
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
func (s *Store) MarkRedirected(ctx context.Context, attemptID, codeForHash, bankURL string) error {
	if codeForHash == "" {
		return fmt.Errorf("mark attempt %s redirected: %w", attemptID,
			newError(CodeInvalidTransition, "code_for_hash", "an attempt cannot be redirected without a CodeForHash"))
	}
	// Sealed with the attempt's id: the stored value opens for this attempt only.
	stored, err := s.seal.seal(attemptID, codeForHash)
	if err != nil {
		return fmt.Errorf("mark attempt %s redirected: %w", attemptID, err)
	}
	err = s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE attempts SET status = ?, code_for_hash = ?, bank_url = ?
			WHERE id = ? AND status = ?`, AttemptRedirected, stored, bankURL, attemptID, AttemptCreated)
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
// (reason attempts_exhausted) when no counted attempts remain; events order.payment_failed
// and, for expired or canceled, the status event. A failure marked NotCounted does not use
// up an attempt. An attempt that has already ended is left as it is, and the current order
// is returned without error.
//
// A redirected attempt is refused with invalid_transition: the buyer holds the bank's
// URL, so the bank may still charge and post a verified success. Only that return
// (RecordOutcome) or Moka's own word about the attempt (AbandonAttempt) may end it.
func (s *Store) FailAttempt(ctx context.Context, attemptID string, f Failure) (*Order, error) {
	o, _, err := s.endAttempt(ctx, attemptID, f, AttemptFailed)
	if err != nil {
		return nil, fmt.Errorf("fail attempt %s: %w", attemptID, err)
	}
	return o, nil
}

// AbandonAttempt ends an attempt that never came back from the bank, after Moka has said
// it holds no payment for it (or none that went through) and the bank session has run
// out. It may end a created or a redirected attempt, which becomes abandoned; the order
// moves on as with FailAttempt. Should the bank's verified success still arrive,
// RecordOutcome records it all the same. ended is false when the attempt had already
// ended (its return came in meanwhile): then nothing changed.
func (s *Store) AbandonAttempt(ctx context.Context, attemptID string, f Failure) (o *Order, ended bool, err error) {
	o, ended, err = s.endAttempt(ctx, attemptID, f, AttemptAbandoned)
	if err != nil {
		return nil, false, fmt.Errorf("abandon attempt %s: %w", attemptID, err)
	}
	return o, ended, nil
}

// endAttempt moves a created (or, when abandoning, a redirected) attempt to status and
// settles the order like any failure.
func (s *Store) endAttempt(ctx context.Context, attemptID string, f Failure, status AttemptStatus) (*Order, bool, error) {
	var out *Order
	var ended bool
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		a, err := loadAttempt(ctx, tx, attemptID)
		if err != nil {
			return err
		}
		if a.Status == AttemptRedirected && status != AttemptAbandoned {
			return newError(CodeInvalidTransition, "", "attempt %s is at the bank; only its return can end it", attemptID)
		}
		res, err := tx.ExecContext(ctx, `UPDATE attempts SET status = ?, result_code = ?, result_message = ?,
			counted = ?, decline_keys = '', completed_at = ? WHERE id = ? AND status IN (?, ?)`,
			status, f.ResultCode, f.ResultMessage, !f.NotCounted, formatTime(s.txNow(ctx)), attemptID,
			AttemptCreated, AttemptRedirected)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			ended = true
			now := s.txNow(ctx)
			a.Status, a.ResultCode, a.ResultMessage, a.NotCounted, a.CompletedAt =
				status, f.ResultCode, f.ResultMessage, f.NotCounted, &now
			o, err := loadOrder(ctx, tx, "id = ?", a.OrderID)
			if err != nil {
				return err
			}
			if f.Declined {
				if err := countAttemptDecline(ctx, tx, o, a, now); err != nil {
					return err
				}
			}
			a.DeclineKeys = nil
			if err := s.settleFailure(ctx, tx, o, a); err != nil {
				return err
			}
			// o was read after the attempt's update and moved in place: it is the state.
			out = o
			return nil
		}
		out, err = loadOrder(ctx, tx, "id = ?", a.OrderID)
		return err
	})
	return out, ended, err
}

// AbandonedAttempts lists the attempts abandoned with resultCode that started at or after
// since: reconciliation keeps asking Moka about those it gave up on while still pending.
// Attempts on hold for review (HoldForReview) are left out.
func (s *Store) AbandonedAttempts(ctx context.Context, resultCode string, since time.Time) ([]Attempt, error) {
	as, err := loadAttempts(ctx, s.r, `status = ? AND result_code = ? AND created_at >= ?
		AND id NOT IN (SELECT item_id FROM review_holds) ORDER BY created_at`,
		AttemptAbandoned, resultCode, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("list abandoned attempts: %w", err)
	}
	return as, nil
}

// StaleAttempts lists the attempts that have not ended although they started before
// before: the buyer left at the bank, or the process stopped while Moka was called.
// Reconciliation asks Moka about each. Attempts on hold for review (HoldForReview) are
// left out: what Moka holds for them needs a person.
func (s *Store) StaleAttempts(ctx context.Context, before time.Time) ([]Attempt, error) {
	as, err := loadAttempts(ctx, s.r, `status IN (?, ?) AND created_at < ?
		AND id NOT IN (SELECT item_id FROM review_holds) ORDER BY created_at`,
		AttemptCreated, AttemptRedirected, formatTime(before))
	if err != nil {
		return nil, fmt.Errorf("list stale attempts: %w", err)
	}
	return as, nil
}

// settleFailure writes order.payment_failed for a failed attempt and, if the order was
// waiting on it, moves the order on: back to open while time and attempts remain, else
// to expired or to canceled (attempts_exhausted).
func (s *Store) settleFailure(ctx context.Context, tx dbTx, o *Order, a *Attempt) error {
	if o.Status != StatusProcessing {
		return s.insertEvent(ctx, tx, EventOrderPaymentFailed, o, a)
	}
	if paid := o.succeeded(); paid != nil {
		// Another attempt of this order took the money (its late success was recorded as a
		// conflict while this one was at the bank): the order is paid, never reopened.
		if err := s.insertEvent(ctx, tx, EventOrderPaymentFailed, o, a); err != nil {
			return err
		}
		return s.moveOrder(ctx, tx, o, paidStatus(o), paid)
	}
	next := StatusOpen
	switch {
	case !s.txNow(ctx).Before(o.ExpiresAt):
		next = StatusExpired
	case o.CountedAttempts() >= o.MaxAttempts:
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
// immediate transaction a redirected attempt moves to succeeded or failed; the caller that
// made that move gets Recorded true and is the only one to change the order: success makes
// it paid (or authorized when Capture is manual), failure is handled like FailAttempt.
// Every later or concurrent call gets Recorded false and the current state.
//
// A verified success also ends an abandoned attempt (the bank took the money after
// reconciliation gave up on it): money taken is never left unrecorded. Nothing else
// replaces an ended attempt's outcome. If the order is open again it becomes paid through
// processing; if it has moved on (another attempt at the bank, paid, expired, canceled),
// the success is recorded on the attempt, the order's status is left alone and
// order.payment_conflict is written, so it is never mistaken for a normal payment.
//
// An attempt still in created has no CodeForHash, so no return for it can have been
// verified: invalid_transition.
func (s *Store) RecordOutcome(ctx context.Context, attemptID string, out Outcome) (RecordResult, error) {
	var rr RecordResult
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
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
		now := s.txNow(ctx)
		if out.Success && !out.At.IsZero() && out.At.Before(now) {
			now = out.At.UTC()
		}
		// A success may also end an abandoned attempt; a failure only a redirected one.
		replaces := "status = '" + string(AttemptRedirected) + "'"
		if out.Success {
			replaces = "status IN ('" + string(AttemptRedirected) + "', '" + string(AttemptAbandoned) + "')"
		}
		res, err := tx.ExecContext(ctx, `UPDATE attempts SET status = ?, trx_code = ?, result_code = ?,
			result_message = ?, decline_keys = '', completed_at = ? WHERE id = ? AND `+replaces+` AND code_for_hash != ''`,
			status, out.TrxCode, out.ResultCode, out.ResultMessage, formatTime(now), attemptID)
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
			if !out.Success && out.CountDecline {
				// The declined card's time is when the bank's answer came.
				if err := countAttemptDecline(ctx, tx, o, a, s.txNow(ctx)); err != nil {
					return err
				}
			}
			a.DeclineKeys = nil
			if out.Success && o.PaidAt == nil && paidStatus(o) == StatusPaid {
				o.PaidAt = &now // the payment's own time, not the time we heard of it
			}
			if rr.Conflict, err = s.settleOutcome(ctx, tx, o, a, out.Success); err != nil {
				return err
			}
			// o was read after the attempt's update and moved in place: it is the state.
			rr.Attempt, rr.Order = a, o
			return nil
		}
		// Not recorded: a is as loaded in this transaction, and nothing changed since.
		rr.Attempt = a
		rr.Order, err = loadOrder(ctx, tx, "id = ?", a.OrderID)
		return err
	})
	if err != nil {
		return RecordResult{}, fmt.Errorf("record outcome of attempt %s: %w", attemptID, err)
	}
	return rr, nil
}

// settleOutcome moves the order after its attempt's outcome was recorded, and reports
// whether a success had to be recorded as a conflict.
func (s *Store) settleOutcome(ctx context.Context, tx dbTx, o *Order, a *Attempt, success bool) (conflict bool, err error) {
	if !success {
		return false, s.settleFailure(ctx, tx, o, a)
	}
	if o.Status == StatusOpen {
		// A late success for an attempt given up on: the order is at the bank after all.
		if err := s.moveOrder(ctx, tx, o, StatusProcessing, a); err != nil {
			return false, err
		}
	}
	if o.Status != StatusProcessing || o.InFlight() != nil {
		if err := s.insertEvent(ctx, tx, EventOrderPaymentConflict, o, a); err != nil {
			return false, err
		}
		// The buyer may have paid twice: the order needs a person, and says so lastingly.
		_, err := s.flagTx(ctx, tx, o, a, nil, ReviewPaymentConflict, conflictDetail(o, a))
		return true, err
	}
	return false, s.moveOrder(ctx, tx, o, paidStatus(o), a)
}

// paidStatus is where a successful payment takes the order: paid, or authorized when the
// merchant captures by hand.
func paidStatus(o *Order) Status {
	if o.Capture == CaptureManual {
		return StatusAuthorized
	}
	return StatusPaid
}

// OrderIDsByOtherTrxCode maps the OtherTrxCodes that are attempts of the merchant's
// orders to those orders' ids; codes that are not ours are left out. It lets Moka's own
// records (the transaction list) point back at our orders.
func (s *Store) OrderIDsByOtherTrxCode(ctx context.Context, merchantID string, codes []string) (map[string]string, error) {
	out := make(map[string]string, len(codes))
	const chunk = 500 // well below SQLite's limit on bound parameters
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		for start := 0; start < len(codes); start += chunk {
			part := codes[start:min(start+chunk, len(codes))]
			args := make([]any, 0, len(part)+1)
			args = append(args, merchantID)
			for _, c := range part {
				args = append(args, c)
			}
			rows, err := tx.QueryContext(ctx, `SELECT a.other_trx_code, a.order_id FROM attempts a
				JOIN orders o ON o.id = a.order_id
				WHERE o.merchant_id = ? AND a.other_trx_code IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var code, id string
				if err := rows.Scan(&code, &id); err != nil {
					rows.Close()
					return err
				}
				out[code] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find orders by OtherTrxCode: %w", err)
	}
	return out, nil
}
