package orders

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Reasons an order is flagged for review (Review.Reason), besides ReviewPaymentConflict.
// They are shown to merchants (the API's needs_review.reason) and never change once
// published.
const (
	// ReviewAmountMismatch: Moka holds another amount than asked for: a payment of another
	// amount than the order's, or a capture of another amount than the capture asked.
	ReviewAmountMismatch ReviewReason = "amount_mismatch"
	// ReviewCaptureMismatch: Moka holds a payment of another kind than the order asked
	// for: a pre-authorisation for an order captured automatically, a payment for one
	// captured by hand, or a payment Moka already shows canceled or refunded.
	ReviewCaptureMismatch ReviewReason = "capture_mismatch"
	// ReviewPaidUnrecorded: Moka holds a successful payment for an attempt we hold as not
	// paid, and it cannot be recorded as the order's payment: the attempt failed (by a
	// verified bank return), or never got its bank URL (so no return can be verified).
	ReviewPaidUnrecorded ReviewReason = "paid_unrecorded"
)

// flagReasons are the reasons FlagForReview takes.
var flagReasons = []ReviewReason{ReviewAmountMismatch, ReviewCaptureMismatch, ReviewPaymentConflict, ReviewPaidUnrecorded}

// Event types of the review flag.
const (
	// EventOrderNeedsReview: the order was flagged for review (once per flag).
	EventOrderNeedsReview = "order.needs_review"
	// EventOrderReviewResolved: a person marked the order's review resolved.
	EventOrderReviewResolved = "order.review_resolved"
)

// Error codes of ResolveReview.
const (
	// CodeReviewNotOpen: the order is not flagged, or its flag was resolved already.
	CodeReviewNotOpen = "review_not_open"
	// CodeUnderReview: the order is flagged for review and takes no payment meanwhile.
	CodeUnderReview = "under_review"
	// CodeReviewNoteInvalid: the resolution's note is empty or longer than MaxReviewNote.
	CodeReviewNoteInvalid = "note_invalid"
)

// MaxReviewNote is the longest note a resolution may carry, in characters.
const MaxReviewNote = 2000

// Review is an order's lasting needs-review flag: why it was raised and, once a person
// has dealt with it, when, by whom and with which note. Order.Review is nil for an order
// never flagged; a resolved flag stays until the order is flagged again.
type Review struct {
	Reason     ReviewReason
	Detail     string // what was found, for people (English)
	FlaggedAt  time.Time
	ResolvedAt *time.Time
	ResolvedBy string // "api", or the dashboard user's email
	Note       string
}

// Open reports whether the flag is raised and not resolved.
func (r *Review) Open() bool { return r != nil && r.ResolvedAt == nil }

// FlaggedForReview reports whether the order carries an open needs-review flag.
func (o *Order) FlaggedForReview() bool { return o.Review.Open() }

// FlagForReview raises the order's needs-review flag with reason and detail, and writes
// one order.needs_review event, in one transaction. An order already flagged and not yet
// resolved is left as it is (its first reason stands, no second event): flagged is false.
func (s *Store) FlagForReview(ctx context.Context, orderID string, reason ReviewReason, detail string) (flagged bool, err error) {
	return s.HoldForReview(ctx, orderID, "", reason, detail)
}

// HoldForReview is FlagForReview for a mismatch found on one of the order's attempts or
// actions (itemID): in the same transaction the item is put on hold, so reconciliation
// no longer asks Moka about it (StaleAttempts, AbandonedAttempts and HeldItems leave it
// out) and the order cannot be paid or captured twice meanwhile. The hold is kept even
// when the order was flagged already. itemID "" holds nothing.
func (s *Store) HoldForReview(ctx context.Context, orderID, itemID string, reason ReviewReason, detail string) (flagged bool, err error) {
	if !slices.Contains(flagReasons, reason) {
		return false, fmt.Errorf("flag order %s for review: unknown reason %q", orderID, reason)
	}
	err = s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		o, err := loadOrder(ctx, tx, "id = ?", orderID)
		if err != nil {
			return err
		}
		var a *Attempt
		var act *Action
		if itemID != "" {
			if i := slices.IndexFunc(o.Attempts, func(x Attempt) bool { return x.ID == itemID }); i >= 0 {
				a = &o.Attempts[i]
			} else if act = o.Action(itemID); act == nil {
				return fmt.Errorf("%s is not an attempt or action of the order: %w", itemID, ErrNotFound)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO review_holds (item_id, order_id, reason, held_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (item_id) DO NOTHING`,
				itemID, o.ID, reason, formatTime(s.txNow(ctx))); err != nil {
				return fmt.Errorf("hold %s: %w", itemID, err)
			}
		}
		flagged, err = s.flagTx(ctx, tx, o, a, act, reason, detail)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("flag order %s for review: %w", orderID, err)
	}
	return flagged, nil
}

// flagTx raises o's flag inside tx and writes its event, naming the attempt or action
// concerned (either may be nil); an order already flagged is left alone. o is updated in
// place.
func (s *Store) flagTx(ctx context.Context, tx dbTx, o *Order, a *Attempt, act *Action, reason ReviewReason, detail string) (bool, error) {
	if o.FlaggedForReview() {
		return false, nil
	}
	now := s.txNow(ctx)
	// Guarded in SQL as well: a flag raised by another process since o was read stands.
	res, err := tx.ExecContext(ctx, `UPDATE orders SET review_reason = ?, review_detail = ?, review_flagged_at = ?,
		review_resolved_at = NULL, review_resolved_by = '', review_note = '', updated_at = ?
		WHERE id = ? AND (review_flagged_at IS NULL OR review_resolved_at IS NOT NULL)`,
		reason, detail, formatTime(now), formatTime(now), o.ID)
	if err != nil {
		return false, fmt.Errorf("flag: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	o.Review = &Review{Reason: reason, Detail: detail, FlaggedAt: now}
	o.UpdatedAt = now
	return true, s.writeEvent(ctx, tx, EventOrderNeedsReview, o, a, act)
}

// ResolveReview marks the merchant's order's open flag resolved by by ("api", or the
// dashboard user's email) with note, and writes order.review_resolved, in one
// transaction. The flag's reason and time are kept beside the resolution. Another
// merchant's order is not_found; an order without an open flag is review_not_open; an
// empty or overlong note is note_invalid. It changes nothing else: what the person did
// about the money (a refund, a void) is done through the actions.
func (s *Store) ResolveReview(ctx context.Context, merchantID, orderID, by, note string) (*Order, error) {
	return s.ResolveReviewIdem(ctx, merchantID, orderID, by, note, nil)
}

// ResolveReviewIdem is ResolveReview under a merchant's Idempotency-Key: the resolution,
// its event and the key's answer commit together, and a refusal of the domain (not_found,
// review_not_open) is stored as the key's answer. An invalid note is refused before the
// key is looked at, so the request can be fixed and sent again with the same key. A key
// already used returns *KeyUsedError and writes nothing.
func (s *Store) ResolveReviewIdem(ctx context.Context, merchantID, orderID, by, note string, idem *Idem) (*Order, error) {
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > MaxReviewNote {
		return nil, fmt.Errorf("resolve review of order %s: %w", orderID,
			newError(CodeReviewNoteInvalid, "note", "say in a note (at most %d characters) what was done", MaxReviewNote))
	}
	var out *Order
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		if err := checkKey(ctx, tx, idem); err != nil {
			return err
		}
		o, err := loadOrder(ctx, tx, "id = ? AND merchant_id = ?", orderID, merchantID)
		if err != nil {
			return s.refuse(ctx, tx, idem, nil, err)
		}
		switch {
		case o.Review == nil:
			return s.refuse(ctx, tx, idem, o, newError(CodeReviewNotOpen, "", "the order is not flagged for review"))
		case !o.Review.Open():
			return s.refuse(ctx, tx, idem, o, newError(CodeReviewNotOpen, "", "the order's review was resolved already, at %s by %s",
				o.Review.ResolvedAt.UTC().Format(time.RFC3339), o.Review.ResolvedBy))
		}
		now := s.txNow(ctx)
		res, err := tx.ExecContext(ctx, `UPDATE orders SET review_resolved_at = ?, review_resolved_by = ?, review_note = ?,
			updated_at = ? WHERE id = ? AND review_flagged_at IS NOT NULL AND review_resolved_at IS NULL`,
			formatTime(now), by, note, formatTime(now), o.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("order %s: review changed meanwhile", o.ID)
		}
		o.Review.ResolvedAt, o.Review.ResolvedBy, o.Review.Note = &now, by, note
		o.UpdatedAt = now
		out = o
		if err := s.insertEvent(ctx, tx, EventOrderReviewResolved, o, nil); err != nil {
			return err
		}
		if idem == nil {
			return nil
		}
		status, body := idem.Answer(o, nil, nil)
		return s.insertKey(ctx, tx, idem, status, body, "")
	})
	if err != nil {
		return nil, fmt.Errorf("resolve review of order %s: %w", orderID, err)
	}
	return out, nil
}

// FlaggedOrders lists the merchant's orders with an open flag, the most recently flagged
// first, at most limit (<= 0: DefaultReviewLimit; at most MaxReviewLimit).
func (s *Store) FlaggedOrders(ctx context.Context, merchantID string, limit int) ([]Order, error) {
	if limit <= 0 {
		limit = DefaultReviewLimit
	}
	limit = min(limit, MaxReviewLimit)
	var out []Order
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM orders WHERE merchant_id = ?
			AND review_flagged_at IS NOT NULL AND review_resolved_at IS NULL
			ORDER BY review_flagged_at DESC, rowid DESC LIMIT ?`, merchantID, limit)
		if err != nil {
			return err
		}
		ids, err := scanStrings(rows)
		if err != nil {
			return err
		}
		for _, id := range ids {
			o, err := loadOrder(ctx, tx, "id = ?", id)
			if err != nil {
				return fmt.Errorf("order %s: %w", id, err)
			}
			out = append(out, *o)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("flagged orders of %s: %w", merchantID, err)
	}
	return out, nil
}

// HeldItems reports which of ids (attempts or actions) are on hold for review.
func (s *Store) HeldItems(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		for part := range slices.Chunk(ids, 500) { // well below SQLite's bound parameters
			args := make([]any, len(part))
			for i, id := range part {
				args[i] = id
			}
			rows, err := tx.QueryContext(ctx, `SELECT item_id FROM review_holds WHERE item_id IN (?`+
				strings.Repeat(", ?", len(part)-1)+`)`, args...)
			if err != nil {
				return err
			}
			held, err := scanStrings(rows)
			if err != nil {
				return err
			}
			for _, id := range held {
				out[id] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("held items: %w", err)
	}
	return out, nil
}

// UnpaidAttemptsByOtherTrxCode returns the merchant's attempts with one of codes that have
// not succeeded and are not on hold: those a sweep of Moka's records must look at when
// Moka holds a successful payment for them.
func (s *Store) UnpaidAttemptsByOtherTrxCode(ctx context.Context, merchantID string, codes []string) ([]Attempt, error) {
	var out []Attempt
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		for part := range slices.Chunk(codes, 500) {
			args := make([]any, 0, len(part)+2)
			args = append(args, AttemptSucceeded)
			for _, c := range part {
				args = append(args, c)
			}
			args = append(args, merchantID)
			as, err := loadAttempts(ctx, tx, `status != ? AND other_trx_code IN (?`+strings.Repeat(", ?", len(part)-1)+`)
				AND order_id IN (SELECT id FROM orders WHERE merchant_id = ?)
				AND id NOT IN (SELECT item_id FROM review_holds) ORDER BY created_at, rowid`, args...)
			if err != nil {
				return err
			}
			out = append(out, as...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("unpaid attempts of %s by OtherTrxCode: %w", merchantID, err)
	}
	return out, nil
}

// MerchantIDs lists the merchants the store knows, for work done merchant by merchant
// (a sweep of Moka's records).
func (s *Store) MerchantIDs(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM merchants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list merchants: %w", err)
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("list merchants: %w", err)
	}
	return ids, nil
}

// scanStrings reads a one-column result and closes rows.
func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// loadReview builds an order's Review from its stored columns; nil when never flagged.
func loadReview(reason, detail string, flagged, resolved sql.NullString, by, note string) (*Review, error) {
	if !flagged.Valid {
		return nil, nil
	}
	at, err := parseTime(flagged.String)
	if err != nil {
		return nil, err
	}
	r := &Review{Reason: ReviewReason(reason), Detail: detail, FlaggedAt: at, ResolvedBy: by, Note: note}
	if r.ResolvedAt, err = parseNullTime(resolved); err != nil {
		return nil, err
	}
	return r, nil
}

// conflictDetail says what a payment conflict is: money taken for attempt a while its
// order had moved on.
func conflictDetail(o *Order, a *Attempt) string {
	why := "the order was " + string(o.Status)
	if other := o.InFlight(); other != nil && other.ID != a.ID {
		why = "another attempt (" + other.ID + ") was at the bank"
	}
	return fmt.Sprintf("the bank took %s %s for attempt %s (Moka reference %s) while %s: the buyer may have paid twice",
		formatMoney(o.Amount), o.Currency, a.ID, a.OtherTrxCode, why)
}
