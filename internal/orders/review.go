package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// ReviewReason says why an order needs a person to look at it.
type ReviewReason string

// Review reasons, as NeedsReview derives them from events and ages. The lasting flag
// (Order.Review, FlagForReview) uses ReviewPaymentConflict and the reasons in
// needs_review.go.
const (
	// ReviewPaymentConflict: the bank took money for an order that had moved on (paid by
	// another attempt, expired, canceled, or with another attempt at the bank): the buyer
	// may have paid twice. The store wrote order.payment_conflict and left the order's
	// status as it was.
	ReviewPaymentConflict ReviewReason = "payment_conflict"
	// ReviewAttemptUnsettled: an attempt is still at the bank long after reconciliation
	// should have settled it: Moka has not answered, or keeps reporting it pending. (What
	// Moka holds that does not match the order is flagged instead: see FlagForReview.)
	ReviewAttemptUnsettled ReviewReason = "attempt_unsettled"
	// ReviewActionPending: a capture, void, refund or approval has waited for Moka's
	// answer long after reconciliation should have settled it from Moka's records.
	ReviewActionPending ReviewReason = "action_pending"
	// ReviewRefundRequested: Moka took a refund request long ago and has not completed
	// it.
	ReviewRefundRequested ReviewReason = "refund_requested"
)

// Defaults of ReviewOptions. The reconciler asks Moka about an attempt 15 minutes after it
// started and gives up on a pending one after an hour; it settles a lost action's answer
// after 2 minutes. Anything still open well past those has been left for a person.
const (
	DefaultReviewAttemptAge = 2 * time.Hour
	DefaultReviewActionAge  = time.Hour
	DefaultReviewRefundAge  = 72 * time.Hour
	DefaultReviewLimit      = 100
	MaxReviewLimit          = 500
)

// ReviewOptions bound NeedsReview. Zero fields take the defaults.
type ReviewOptions struct {
	AttemptAge time.Duration // an attempt still at the bank after this long is listed
	ActionAge  time.Duration // an action still pending after this long is listed
	RefundAge  time.Duration // a refund still requested after this long is listed
	Limit      int           // at most this many items, newest first
}

func (o ReviewOptions) withDefaults() ReviewOptions {
	if o.AttemptAge <= 0 {
		o.AttemptAge = DefaultReviewAttemptAge
	}
	if o.ActionAge <= 0 {
		o.ActionAge = DefaultReviewActionAge
	}
	if o.RefundAge <= 0 {
		o.RefundAge = DefaultReviewRefundAge
	}
	if o.Limit <= 0 {
		o.Limit = DefaultReviewLimit
	}
	o.Limit = min(o.Limit, MaxReviewLimit)
	return o
}

// ReviewItem is one reason one order needs a look. An order with two problems (say a
// conflict and a refund left requested) is two items.
type ReviewItem struct {
	Reason ReviewReason
	Since  time.Time // when the problem began: the conflict recorded, the attempt or action started
	Order  *Order    // with its attempts and actions
	// Attempt is the attempt concerned (a conflict's or an unsettled one), Action the
	// action concerned; each nil when the reason is not about one.
	Attempt *Attempt
	Action  *Action
}

type reviewHit struct {
	reason          ReviewReason
	since           time.Time
	orderID, itemID string // itemID: the attempt's or the action's id
}

// NeedsReview derives, from events and ages, what the checkout could not settle by itself,
// newest first: payments recorded as conflicts before orders carried a lasting flag,
// attempts left at the bank, actions left waiting for Moka and refund requests Moka has
// not completed. It only reads. Orders flagged for review (FlaggedOrders) are listed
// apart: a conflict on an order that carries a flag, and attempts or actions on hold for
// review, are left out here.
func (s *Store) NeedsReview(ctx context.Context, merchantID string, opt ReviewOptions) ([]ReviewItem, error) {
	opt = opt.withDefaults()
	now := s.now()
	var items []ReviewItem
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		var hits []reviewHit
		for _, q := range []func(context.Context, querier, string, time.Time, ReviewOptions) ([]reviewHit, error){
			reviewConflicts, reviewAttempts, reviewActions,
		} {
			h, err := q(ctx, tx, merchantID, now, opt)
			if err != nil {
				return err
			}
			hits = append(hits, h...)
		}
		slices.SortStableFunc(hits, func(a, b reviewHit) int { return b.since.Compare(a.since) })
		hits = hits[:min(len(hits), opt.Limit)]
		loaded := map[string]*Order{}
		for _, h := range hits {
			o := loaded[h.orderID]
			if o == nil {
				var err error
				if o, err = loadOrder(ctx, tx, "id = ? AND merchant_id = ?", h.orderID, merchantID); err != nil {
					return fmt.Errorf("order %s: %w", h.orderID, err)
				}
				loaded[h.orderID] = o
			}
			it := ReviewItem{Reason: h.reason, Since: h.since, Order: o}
			if i := slices.IndexFunc(o.Attempts, func(a Attempt) bool { return a.ID == h.itemID }); i >= 0 {
				it.Attempt = &o.Attempts[i]
			}
			if a := o.Action(h.itemID); a != nil {
				it.Action = a
			}
			items = append(items, it)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("needs review %s: %w", merchantID, err)
	}
	return items, nil
}

// reviewConflicts finds the order.payment_conflict events of orders that carry no flag
// (conflicts recorded before the flag existed): the event's payload names the attempt
// whose money came late. A conflict recorded since flags its order in the same
// transaction, and the flag is what the queue shows, until and after it is resolved.
func reviewConflicts(ctx context.Context, tx querier, merchantID string, _ time.Time, opt ReviewOptions) ([]reviewHit, error) {
	rows, err := tx.QueryContext(ctx, `SELECT e.order_id, e.payload, e.created_at FROM events e
		JOIN orders o ON o.id = e.order_id
		WHERE e.merchant_id = ? AND e.type = ? AND o.review_flagged_at IS NULL
		ORDER BY e.created_at DESC, e.rowid DESC LIMIT ?`,
		merchantID, EventOrderPaymentConflict, opt.Limit)
	if err != nil {
		return nil, fmt.Errorf("conflicts: %w", err)
	}
	defer rows.Close()
	var out []reviewHit
	for rows.Next() {
		var h reviewHit
		var payload, created string
		if err := rows.Scan(&h.orderID, &payload, &created); err != nil {
			return nil, fmt.Errorf("conflicts: %w", err)
		}
		var p eventPayload
		if err := json.Unmarshal([]byte(payload), &p); err != nil {
			return nil, fmt.Errorf("conflict event of order %s: %w", h.orderID, err)
		}
		if p.Attempt != nil {
			h.itemID = p.Attempt.ID
		}
		if h.since, err = parseTime(created); err != nil {
			return nil, err
		}
		h.reason = ReviewPaymentConflict
		out = append(out, h)
	}
	return out, rows.Err()
}

// reviewAttempts finds attempts still at the bank (created or redirected) that started
// more than AttemptAge ago and are not on hold for review.
func reviewAttempts(ctx context.Context, tx querier, merchantID string, now time.Time, opt ReviewOptions) ([]reviewHit, error) {
	return reviewRows(ctx, tx, ReviewAttemptUnsettled, `SELECT a.id, a.order_id, a.created_at
		FROM attempts a JOIN orders o ON o.id = a.order_id
		WHERE o.merchant_id = ? AND a.status IN (?, ?) AND a.created_at < ?
		AND a.id NOT IN (SELECT item_id FROM review_holds)
		ORDER BY a.created_at DESC LIMIT ?`,
		merchantID, AttemptCreated, AttemptRedirected, formatTime(now.Add(-opt.AttemptAge)), opt.Limit)
}

// reviewActions finds actions pending for more than ActionAge (and not on hold for review)
// and refunds requested for more than RefundAge.
func reviewActions(ctx context.Context, tx querier, merchantID string, now time.Time, opt ReviewOptions) ([]reviewHit, error) {
	pending, err := reviewRows(ctx, tx, ReviewActionPending, `SELECT x.id, x.order_id, x.created_at
		FROM actions x JOIN orders o ON o.id = x.order_id
		WHERE o.merchant_id = ? AND x.status = ? AND x.created_at < ?
		AND x.id NOT IN (SELECT item_id FROM review_holds)
		ORDER BY x.created_at DESC LIMIT ?`,
		merchantID, ActionPending, formatTime(now.Add(-opt.ActionAge)), opt.Limit)
	if err != nil {
		return nil, err
	}
	requested, err := reviewRows(ctx, tx, ReviewRefundRequested, `SELECT x.id, x.order_id, x.created_at
		FROM actions x JOIN orders o ON o.id = x.order_id
		WHERE o.merchant_id = ? AND x.status = ? AND x.created_at < ?
		ORDER BY x.created_at DESC LIMIT ?`,
		merchantID, ActionRequested, formatTime(now.Add(-opt.RefundAge)), opt.Limit)
	return append(pending, requested...), err
}

// reviewRows reads (item id, order id, created_at) rows as hits of one reason.
func reviewRows(ctx context.Context, tx querier, reason ReviewReason, query string, args ...any) ([]reviewHit, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", reason, err)
	}
	defer rows.Close()
	var out []reviewHit
	for rows.Next() {
		h := reviewHit{reason: reason}
		var created string
		if err := rows.Scan(&h.itemID, &h.orderID, &created); err != nil {
			return nil, fmt.Errorf("%s: %w", reason, err)
		}
		if h.since, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
