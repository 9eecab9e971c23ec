package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DeliveryState is where the webhook delivery of one event stands.
type DeliveryState string

// Delivery states. A delivery is pending until a try is answered 2xx (delivered) or its
// retries run out (failed); a redelivery makes it pending again.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed"
)

// DeliveryStates lists every state, for filters.
// unclaimed is claimed_until of a delivery no worker holds: before any time (SQLite's
// rows written before used ”, which sorts first as well).
const unclaimed = "0001-01-01T00:00:00.000000000Z"

func DeliveryStates() []DeliveryState {
	return []DeliveryState{DeliveryPending, DeliveryDelivered, DeliveryFailed}
}

// Delivery is the webhook delivery of one event.
type Delivery struct {
	EventID     string
	State       DeliveryState
	Attempts    int // tries made so far
	NextTryAt   time.Time
	Deadline    time.Time // no retry is scheduled after it
	LastError   string
	DeliveredAt *time.Time
	UpdatedAt   time.Time
}

// EventDelivery is an event with its delivery; Delivery is nil when the event was never
// queued (its merchant had no webhook_url when it was written).
type EventDelivery struct {
	Event
	Delivery *Delivery
}

// DeliveryTry is one HTTP try of a delivery, as the worker saw it.
type DeliveryTry struct {
	Attempt    int // 1 for the first try
	StartedAt  time.Time
	Duration   time.Duration
	HTTPStatus int    // 0: no answer (refused, timed out, reset)
	Error      string // why the try failed; "" for a 2xx
	Response   string // the start of the answer's body
	// NextTryAt is the retry this try scheduled; nil when it ended the delivery.
	NextTryAt *time.Time
}

// ClaimedDelivery is a delivery a worker holds the lease of, with its event.
type ClaimedDelivery struct {
	Event    Event
	Attempts int // tries made before this one
	Deadline time.Time
	// Order is the event's order as the claim found it, read in the claim's own
	// transaction (nil if it could not be read): the delivery shows the order as it is
	// when the try is made. On
	// SQLite that read runs on the write connection, whose page cache every commit
	// leaves warm, where a read on the pool after a commit reads each page again.
	Order *Order
	token string
}

// EnqueueOptions bound EnqueueDeliveries.
type EnqueueOptions struct {
	// Merchants are the merchants that have a webhook_url: only their events are queued.
	Merchants []string
	// Window is how long after its event a delivery is retried.
	Window time.Duration
	// Limit bounds the events read in one call; 0 = 500.
	Limit int
}

// EnqueueDeliveries reads the outbox past the cursor and queues a delivery for each event
// of opt.Merchants; the others are passed over for good. It reports how many it queued and
// whether more events wait past the limit. It runs as one write, so on any number of
// processes an event is queued once.
func (s *Store) EnqueueDeliveries(ctx context.Context, opt EnqueueOptions) (queued int, more bool, err error) {
	if opt.Limit <= 0 {
		opt.Limit = 500
	}
	// A read first: the worker asks ten times a second, and most times nothing is new, which
	// must not cost a write (and an fsync).
	var fresh bool
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce((SELECT max(rowid) FROM events), 0) >
		(SELECT last_rowid FROM webhook_cursor WHERE id = 1)`).Scan(&fresh); err != nil {
		return 0, false, fmt.Errorf("enqueue deliveries: %w", err)
	}
	if !fresh {
		return 0, false, nil
	}
	err = s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		queued, more = 0, false
		now := formatTime(s.txNow(ctx))
		var last int64
		cursor := "SELECT last_rowid FROM webhook_cursor WHERE id = 1"
		if lockRows(ctx) {
			// PostgreSQL hands out rowids at insert, not at commit: a smaller rowid may
			// commit after a bigger one was read. The SHARE lock waits for every
			// transaction inserting events to end and holds new ones back while the outbox
			// is read, so nothing below the cursor can appear later. The cursor's row lock
			// makes the instances' enqueuers take turns.
			cursor += " FOR UPDATE"
		}
		if err := tx.QueryRowContext(ctx, cursor).Scan(&last); err != nil {
			return fmt.Errorf("read webhook cursor: %w", err)
		}
		if lockRows(ctx) {
			if _, err := tx.ExecContext(ctx, "LOCK TABLE events IN SHARE MODE"); err != nil {
				return fmt.Errorf("lock outbox: %w", err)
			}
		}
		type row struct {
			seq                 int64
			id, merchant, order string
			created             string
		}
		var evs []row
		rows, err := tx.QueryContext(ctx, `SELECT rowid, id, merchant_id, order_id, created_at FROM events
			WHERE rowid > ? ORDER BY rowid LIMIT ?`, last, opt.Limit+1)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		err = scanRows(rows, func(r *sql.Rows) error {
			var e row
			if err := r.Scan(&e.seq, &e.id, &e.merchant, &e.order, &e.created); err != nil {
				return err
			}
			evs = append(evs, e)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(evs) > opt.Limit {
			evs, more = evs[:opt.Limit], true
		}
		for _, e := range evs {
			last = e.seq
			if !slices.Contains(opt.Merchants, e.merchant) {
				continue
			}
			created, err := parseTime(e.created)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries
				(event_id, event_seq, merchant_id, order_id, state, next_try_at, deadline, created_at, updated_at)
				VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
				e.id, e.seq, e.merchant, e.order, now, formatTime(created.Add(opt.Window)), now, now)
			if err != nil {
				return fmt.Errorf("queue delivery of %s: %w", e.id, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				queued++
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE webhook_cursor SET last_rowid = ? WHERE id = 1", last); err != nil {
			return fmt.Errorf("move webhook cursor: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("enqueue deliveries: %w", err)
	}
	return queued, more, nil
}

// ClaimOptions bound ClaimDeliveries.
type ClaimOptions struct {
	// Merchants are tried in this order; a worker rotates it between calls so that none
	// is always first.
	Merchants   []string
	Limit       int            // deliveries claimed in all
	PerMerchant int            // at most this many of one merchant in flight at once
	Busy        map[string]int // the caller's deliveries in flight, per merchant
	Lease       time.Duration  // how long a claim holds
}

// ClaimDeliveries takes the lease of deliveries that are due: pending, next_try_at passed,
// no live lease, and each the first pending event of its order, so that an order's events
// go out one after the other. A merchant whose receiver is slow holds at most
// opt.PerMerchant of them; the others' deliveries are claimed beside it. The claim's
// UPDATE checks the lease again, so two processes never hold the same delivery.
func (s *Store) ClaimDeliveries(ctx context.Context, opt ClaimOptions) ([]ClaimedDelivery, error) {
	// As in EnqueueDeliveries, a read spares the write when nothing is due; the write
	// checks again.
	nowS := formatTime(s.now())
	var due bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries
		WHERE state = 'pending' AND next_try_at <= ? AND claimed_until <= ?)`, nowS, nowS).Scan(&due); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if !due {
		return nil, nil
	}
	var out []ClaimedDelivery
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		out = out[:0]
		now := s.txNow(ctx)
		nowS, until := formatTime(now), formatTime(now.Add(opt.Lease))
		for _, m := range opt.Merchants {
			free := min(opt.PerMerchant-opt.Busy[m], opt.Limit-len(out))
			if free <= 0 {
				continue
			}
			got, err := claimDue(ctx, tx, m, nowS, until, `d.merchant_id = ?`, m, free)
			if err != nil {
				return fmt.Errorf("due deliveries of %s: %w", m, err)
			}
			out = append(out, got...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// claimDue claims, in tx, up to limit deliveries of merchant m that match where (with
// its one argument arg) and are due at nowS: pending, next_try_at passed, no live lease,
// and each the first pending event of its order, so that an order's events go out one
// after the other. Each is leased until until; the claim's UPDATE checks the lease again.
func claimDue(ctx context.Context, tx dbTx, m, nowS, until, where string, arg any, limit int) ([]ClaimedDelivery, error) {
	// PostgreSQL: rows another instance is claiming right now are skipped, not waited
	// for (the UPDATE below checks the lease again either way). A skipped row is still
	// pending, so the events after it in its order are held back by the NOT EXISTS.
	skipLocked := ""
	if lockRows(ctx) {
		skipLocked = " FOR UPDATE OF d SKIP LOCKED"
	}
	rows, err := tx.QueryContext(ctx, `SELECT d.event_id, d.attempts, d.deadline, e.order_id, e.type, e.payload, e.created_at
		FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
		WHERE `+where+` AND d.state = 'pending' AND d.next_try_at <= ? AND d.claimed_until <= ?
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
			WHERE p.order_id = d.order_id AND p.state = 'pending' AND p.event_seq < d.event_seq)
		ORDER BY d.next_try_at, d.event_seq LIMIT ?`+skipLocked, arg, nowS, nowS, limit)
	if err != nil {
		return nil, err
	}
	var due []ClaimedDelivery
	err = scanRows(rows, func(r *sql.Rows) error {
		c := ClaimedDelivery{Event: Event{MerchantID: m}, token: randomHex(16)}
		var deadline, created, payload string
		if err := r.Scan(&c.Event.ID, &c.Attempts, &deadline, &c.Event.OrderID, &c.Event.Type, &payload, &created); err != nil {
			return err
		}
		c.Event.Payload = []byte(payload)
		var err error
		if c.Deadline, err = parseTime(deadline); err != nil {
			return err
		}
		c.Event.CreatedAt, err = parseTime(created)
		due = append(due, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []ClaimedDelivery
	for _, c := range due {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET claimed_until = ?, claim_token = ?, updated_at = ?
			WHERE event_id = ? AND state = 'pending' AND claimed_until <= ?`, until, c.token, nowS, c.Event.ID, nowS)
		if err != nil {
			return nil, fmt.Errorf("claim delivery of %s: %w", c.Event.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		// An order that cannot be read (not found, or stored data it cannot decode) must
		// not fail the claim, or the record that claims the next event: that would hold
		// back every delivery of the merchant. Order stays nil and the worker reads it
		// again for that try, which fails with the reason, as it did before the claim
		// read it. (On PostgreSQL a failed statement aborts the transaction, so the
		// claim's commit then fails as any database error does, and is tried again.)
		c.Order, _ = loadOrder(ctx, tx, "id = ?", c.Event.OrderID)
		out = append(out, c)
	}
	return out, nil
}

// TryResult is what one try of a claimed delivery came to.
type TryResult struct {
	StartedAt  time.Time
	Duration   time.Duration
	HTTPStatus int
	Error      string
	Response   string
	Delivered  bool      // answered 2xx
	NextTryAt  time.Time // the retry, when not delivered; zero: the delivery has failed for good
}

// RecordTry logs a try of c and moves its delivery on: delivered, failed for good, or
// pending until r.NextTryAt, and releases the lease. A worker whose lease was lost (it
// outlived it and another claim took the delivery) still logs its try, which did happen,
// but leaves the delivery to the claim that holds it; kept reports which.
func (s *Store) RecordTry(ctx context.Context, c *ClaimedDelivery, r TryResult) (kept bool, err error) {
	err = s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		var err error
		kept, err = s.recordTry(ctx, tx, c, r)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record try of %s: %w", c.Event.ID, err)
	}
	return kept, nil
}

// RecordTryAndClaimNext is RecordTry, and when the try delivered c on a lease still held,
// it also claims, in the same transaction and until lease from now, the delivery the
// ordering rule held back behind c: the next pending event of c's order, if it is due now
// and nobody holds it. next is nil when there is none. The caller makes that try next, in
// the slot c held: the events of an order then go out one after the other at one write per
// try instead of two (a claim, then the try's record).
func (s *Store) RecordTryAndClaimNext(ctx context.Context, c *ClaimedDelivery, r TryResult, lease time.Duration) (kept bool, next *ClaimedDelivery, err error) {
	err = s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		next = nil
		var err error
		if kept, err = s.recordTry(ctx, tx, c, r); err != nil || !kept || !r.Delivered {
			return err
		}
		now := s.txNow(ctx)
		got, err := claimDue(ctx, tx, c.Event.MerchantID, formatTime(now), formatTime(now.Add(lease)),
			`d.order_id = ?`, c.Event.OrderID, 1)
		if err != nil {
			return fmt.Errorf("claim the next delivery of order %s: %w", c.Event.OrderID, err)
		}
		if len(got) == 1 {
			next = &got[0]
		}
		return nil
	})
	if err != nil {
		return false, nil, fmt.Errorf("record try of %s: %w", c.Event.ID, err)
	}
	return kept, next, nil
}

// recordTry logs a try of c in tx and moves its delivery on (see RecordTry).
func (s *Store) recordTry(ctx context.Context, tx dbTx, c *ClaimedDelivery, r TryResult) (kept bool, err error) {
	now := formatTime(s.txNow(ctx))
	var next any
	state, lastErr := DeliveryPending, r.Error
	switch {
	case r.Delivered:
		state, lastErr = DeliveryDelivered, ""
	case r.NextTryAt.IsZero():
		state = DeliveryFailed
	default:
		next = formatTime(r.NextTryAt)
	}
	var delivered any
	if r.Delivered {
		delivered = now
	}
	// One statement when the lease is still held (the claim token matches): the try is
	// counted and the delivery moved on. Otherwise the try is only counted.
	var attempts int
	err = tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, state = ?,
		next_try_at = coalesce(?, next_try_at), last_error = ?, claimed_until = ?, claim_token = '',
		updated_at = ?, delivered_at = coalesce(?, delivered_at) WHERE event_id = ? AND claim_token = ?
		RETURNING attempts`,
		state, next, lastErr, unclaimed, now, delivered, c.Event.ID, c.token).Scan(&attempts)
	kept = err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, updated_at = ?
			WHERE event_id = ? RETURNING attempts`, now, c.Event.ID).Scan(&attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return false, ErrNotFound
		}
	}
	if err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO webhook_tries
		(event_id, attempt, started_at, duration_ms, http_status, error, response, next_try_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Event.ID, attempts, formatTime(r.StartedAt), r.Duration.Milliseconds(), r.HTTPStatus, r.Error, r.Response, next)
	return kept, err
}

// Redeliver asks for a new try of one of the merchant's events as soon as a worker is
// free. A pending delivery is tried now, within its retry window; a delivered or failed
// one (or an event never queued) gets one more try. A delivery in flight is left to its
// try. Asking twice asks for the same thing, so the request is naturally idempotent.
func (s *Store) Redeliver(ctx context.Context, merchantID, eventID string) (*EventDelivery, error) {
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		now := formatTime(s.txNow(ctx))
		var seq int64
		var orderID string
		err := tx.QueryRowContext(ctx, "SELECT rowid, order_id FROM events WHERE id = ? AND merchant_id = ?",
			eventID, merchantID).Scan(&seq, &orderID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_deliveries
			(event_id, event_seq, merchant_id, order_id, state, next_try_at, deadline, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)
			ON CONFLICT (event_id) DO UPDATE SET next_try_at = excluded.next_try_at, updated_at = excluded.updated_at,
				deadline = CASE WHEN webhook_deliveries.state = 'pending' THEN webhook_deliveries.deadline ELSE excluded.deadline END, state = 'pending'`,
			eventID, seq, merchantID, orderID, now, now, now, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("redeliver %s: %w", eventID, err)
	}
	ev, _, err := s.GetEventDelivery(ctx, merchantID, eventID)
	return ev, err
}

// EventFilter selects a page of a merchant's events. Zero fields select everything.
type EventFilter struct {
	OrderID  string
	Type     string
	Delivery DeliveryState
	// Limit is the page size: DefaultListLimit when zero, at most MaxListLimit.
	Limit int
	// StartingAfter is the id of the last event of the previous page.
	StartingAfter string
}

const eventDeliveryColumns = `e.id, e.merchant_id, e.order_id, e.type, e.payload, e.created_at,
	d.state, d.attempts, d.next_try_at, d.deadline, d.last_error, d.delivered_at, d.updated_at`

// ListEventDeliveries returns one page of the merchant's events with their deliveries,
// newest first (created_at DESC, rowid DESC, the cursor a fixed position as in
// ListOrders), and whether more follow.
func (s *Store) ListEventDeliveries(ctx context.Context, merchantID string, f EventFilter) ([]EventDelivery, bool, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	var page []EventDelivery
	hasMore := false
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		where, args := []string{"e.merchant_id = ?"}, []any{merchantID}
		if f.OrderID != "" {
			where, args = append(where, "e.order_id = ?"), append(args, f.OrderID)
		}
		if f.Type != "" {
			where, args = append(where, "e.type = ?"), append(args, f.Type)
		}
		if f.Delivery != "" {
			where, args = append(where, "d.state = ?"), append(args, f.Delivery)
		}
		if f.StartingAfter != "" {
			var created string
			var rowid int64
			err := tx.QueryRowContext(ctx, "SELECT created_at, rowid FROM events WHERE id = ? AND merchant_id = ?",
				f.StartingAfter, merchantID).Scan(&created, &rowid)
			if errors.Is(err, sql.ErrNoRows) {
				return newError(CodeInvalidCursor, "starting_after", "starting_after %q is not one of your events", f.StartingAfter)
			}
			if err != nil {
				return fmt.Errorf("read cursor: %w", err)
			}
			where = append(where, "e.created_at <= ? AND (e.created_at < ? OR e.rowid < ?)")
			args = append(args, created, created, rowid)
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+eventDeliveryColumns+` FROM events e
			LEFT JOIN webhook_deliveries d ON d.event_id = e.id WHERE `+strings.Join(where, " AND ")+
			" ORDER BY e.created_at DESC, e.rowid DESC LIMIT ?", append(args, limit+1)...)
		if err != nil {
			return err
		}
		return scanRows(rows, func(r *sql.Rows) error {
			ev, err := scanEventDelivery(r)
			if err == nil {
				page = append(page, *ev)
			}
			return err
		})
	})
	if err != nil {
		return nil, false, fmt.Errorf("list events of %s: %w", merchantID, err)
	}
	if len(page) > limit {
		page, hasMore = page[:limit], true
	}
	return page, hasMore, nil
}

// GetEventDelivery returns one of the merchant's events with its delivery and every try,
// oldest first. Another merchant's event is ErrNotFound.
func (s *Store) GetEventDelivery(ctx context.Context, merchantID, eventID string) (*EventDelivery, []DeliveryTry, error) {
	var ev *EventDelivery
	var tries []DeliveryTry
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		var err error
		ev, err = scanEventDelivery(tx.QueryRowContext(ctx, "SELECT "+eventDeliveryColumns+` FROM events e
			LEFT JOIN webhook_deliveries d ON d.event_id = e.id WHERE e.id = ? AND e.merchant_id = ?`, eventID, merchantID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT attempt, started_at, duration_ms, http_status, error, response, next_try_at
			FROM webhook_tries WHERE event_id = ? ORDER BY id`, eventID)
		if err != nil {
			return err
		}
		return scanRows(rows, func(r *sql.Rows) error {
			var t DeliveryTry
			var started string
			var ms int64
			var next sql.NullString
			if err := r.Scan(&t.Attempt, &started, &ms, &t.HTTPStatus, &t.Error, &t.Response, &next); err != nil {
				return err
			}
			t.Duration = time.Duration(ms) * time.Millisecond
			var err error
			if t.StartedAt, err = parseTime(started); err != nil {
				return err
			}
			t.NextTryAt, err = parseNullTime(next)
			tries = append(tries, t)
			return err
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("event %s: %w", eventID, err)
	}
	return ev, tries, nil
}

// scanEventDelivery reads one row of eventDeliveryColumns.
func scanEventDelivery(r interface{ Scan(...any) error }) (*EventDelivery, error) {
	var ev EventDelivery
	var payload, created string
	var state, next, deadline, lastErr, updated, delivered sql.NullString
	var attempts sql.NullInt64
	if err := r.Scan(&ev.ID, &ev.MerchantID, &ev.OrderID, &ev.Type, &payload, &created,
		&state, &attempts, &next, &deadline, &lastErr, &delivered, &updated); err != nil {
		return nil, err
	}
	ev.Payload = []byte(payload)
	var err error
	if ev.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if !state.Valid {
		return &ev, nil
	}
	d := &Delivery{EventID: ev.ID, State: DeliveryState(state.String), Attempts: int(attempts.Int64), LastError: lastErr.String}
	for _, p := range []struct {
		s   string
		dst *time.Time
	}{{next.String, &d.NextTryAt}, {deadline.String, &d.Deadline}, {updated.String, &d.UpdatedAt}} {
		if *p.dst, err = parseTime(p.s); err != nil {
			return nil, err
		}
	}
	if d.DeliveredAt, err = parseNullTime(delivered); err != nil {
		return nil, err
	}
	ev.Delivery = d
	return &ev, nil
}
