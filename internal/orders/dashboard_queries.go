package orders

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// The dashboard's reads: the order list with a search box and its totals, one order's
// events, and a dry run of an action. All are read-only.

// SearchFilter selects orders for the dashboard: the list's filter and a search text.
type SearchFilter struct {
	ListFilter
	// Query finds orders by the start of their reference (any case), their exact id, or,
	// when it is four digits, the last four digits of a card used on them (in any
	// attempt: a merchant looks a buyer's card up whether it paid or not).
	Query string
}

// MaxOrderEvents is the most events OrderEvents returns for one order.
const MaxOrderEvents = 500

// searchWhere is listWhere with the search text.
func searchWhere(merchantID string, f SearchFilter, s *Store) ([]string, []any) {
	where, args := listWhere(merchantID, f.ListFilter, s.now())
	q := strings.TrimSpace(f.Query)
	if q == "" {
		return where, args
	}
	// lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
	or := []string{`lower(reference) LIKE lower(?) ESCAPE '\'`, "id = ?"}
	args = append(args, likePrefix(q), q)
	if isLast4(q) {
		or = append(or, "EXISTS (SELECT 1 FROM attempts t WHERE t.order_id = orders.id AND t.card_last4 = ?)")
		args = append(args, q)
	}
	return append(where, "("+strings.Join(or, " OR ")+")"), args
}

// likeEscapes takes LIKE's own characters (and its escape) literally.
var likeEscapes = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// likePrefix is a LIKE pattern for text followed by anything, with LIKE's own
// characters in text taken literally.
func likePrefix(text string) string {
	return likeEscapes.Replace(text) + "%"
}

func isLast4(q string) bool {
	if len(q) != 4 {
		return false
	}
	for _, c := range q {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// SearchOrders is ListOrders with a search text: one page of the merchant's orders that
// match f, newest first, each as GetOrder gives it, and whether more follow. The cursor
// works as ListOrders's.
func (s *Store) SearchOrders(ctx context.Context, merchantID string, f SearchFilter) ([]Order, bool, error) {
	where, args := searchWhere(merchantID, f, s)
	page, hasMore, err := s.orderPage(ctx, merchantID, where, args, f.StartingAfter, f.Limit)
	if err != nil {
		return nil, false, fmt.Errorf("search orders of %s: %w", merchantID, err)
	}
	return page, hasMore, nil
}

// Totals sums one currency's orders of a filtered range.
type Totals struct {
	Currency string
	Count    int
	// Amount is the sum of the orders' amounts, whatever became of them.
	Amount decimal.Decimal
	// Paid and Refunded are what the orders that kept their payment (paid, partially
	// refunded or refunded) took and gave back: Order.PaidAmount and RefundedAmount.
	// An authorised order has paid nothing yet; a voided one never took the money.
	Paid, Refunded decimal.Decimal
}

// keptPayment reports whether the order's money was taken and not voided.
func (o *Order) keptPayment() bool {
	return o.Status == StatusPaid || o.Status == StatusPartiallyRefunded || o.Status == StatusRefunded
}

// OrderTotals sums the merchant's orders that match f (its Limit and StartingAfter are
// ignored), per currency, TRY first and then by code. Amounts are added as decimals in
// Go, never by SQL's SUM (which would add them as floating point). It reads only the
// columns the sums need, in three queries over the range, and reuses the domain's
// PaidAmount and RefundedAmount on those rows.
func (s *Store) OrderTotals(ctx context.Context, merchantID string, f SearchFilter) ([]Totals, error) {
	f.StartingAfter, f.Limit = "", 0
	byID := map[string]*Order{}
	var ids []string
	err := s.readTx(ctx, func(ctx context.Context, tx querier) error {
		where, args := searchWhere(merchantID, f, s)
		cond := strings.Join(where, " AND ")
		rows, err := tx.QueryContext(ctx, "SELECT id, currency, amount, status, capture FROM orders WHERE "+cond, args...)
		if err != nil {
			return err
		}
		err = scanRows(rows, func(r *sql.Rows) error {
			var o Order
			var amount string
			if err := r.Scan(&o.ID, &o.Currency, &amount, &o.Status, &o.Capture); err != nil {
				return err
			}
			var err error
			if o.Amount, err = decimal.NewFromString(amount); err != nil {
				return fmt.Errorf("stored amount %q: %w", amount, err)
			}
			byID[o.ID] = &o
			ids = append(ids, o.ID)
			return nil
		})
		if err != nil {
			return err
		}
		in := "order_id IN (SELECT id FROM orders WHERE " + cond + ")"
		rows, err = tx.QueryContext(ctx, "SELECT order_id FROM attempts WHERE status = ? AND "+in,
			append([]any{AttemptSucceeded}, args...)...)
		if err != nil {
			return err
		}
		err = scanRows(rows, func(r *sql.Rows) error {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			if o := byID[id]; o != nil {
				o.Attempts = append(o.Attempts, Attempt{OrderID: id, Status: AttemptSucceeded})
			}
			return nil
		})
		if err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, "SELECT order_id, kind, status, amount FROM actions WHERE status = ? AND kind IN (?, ?) AND "+in,
			append([]any{ActionSucceeded, ActionCapture, ActionRefund}, args...)...)
		if err != nil {
			return err
		}
		return scanRows(rows, func(r *sql.Rows) error {
			var a Action
			var amount string
			if err := r.Scan(&a.OrderID, &a.Kind, &a.Status, &amount); err != nil {
				return err
			}
			var err error
			if a.Amount, err = decimal.NewFromString(amount); err != nil {
				return fmt.Errorf("stored amount %q: %w", amount, err)
			}
			if o := byID[a.OrderID]; o != nil {
				o.Actions = append(o.Actions, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("order totals of %s: %w", merchantID, err)
	}
	sums := map[string]*Totals{}
	for _, id := range ids {
		o := byID[id]
		t := sums[o.Currency]
		if t == nil {
			t = &Totals{Currency: o.Currency, Amount: decimal.Zero, Paid: decimal.Zero, Refunded: decimal.Zero}
			sums[o.Currency] = t
		}
		t.Count++
		t.Amount = t.Amount.Add(o.Amount)
		if o.keptPayment() {
			t.Paid = t.Paid.Add(o.PaidAmount())
			t.Refunded = t.Refunded.Add(o.RefundedAmount())
		}
	}
	out := make([]Totals, 0, len(sums))
	for _, t := range sums {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Totals) int {
		switch {
		case a.Currency == b.Currency:
			return 0
		case a.Currency == "TRY":
			return -1
		case b.Currency == "TRY":
			return 1
		}
		return strings.Compare(a.Currency, b.Currency)
	})
	return out, nil
}

// scanRows calls fn for each row and closes rows.
func scanRows(rows *sql.Rows, fn func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// OrderEvents returns the events of one of the merchant's orders, oldest first, at most
// MaxOrderEvents. Another merchant's order has none.
func (s *Store) OrderEvents(ctx context.Context, merchantID, orderID string) ([]Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, merchant_id, order_id, type, payload, created_at
		FROM events WHERE order_id = ? AND merchant_id = ? ORDER BY created_at, rowid LIMIT ?`,
		orderID, merchantID, MaxOrderEvents)
	if err != nil {
		return nil, fmt.Errorf("events of order %s: %w", orderID, err)
	}
	var out []Event
	err = scanRows(rows, func(r *sql.Rows) error {
		var e Event
		var payload, created string
		if err := r.Scan(&e.ID, &e.MerchantID, &e.OrderID, &e.Type, &payload, &created); err != nil {
			return err
		}
		e.Payload = []byte(payload)
		var err error
		if e.CreatedAt, err = parseTime(created); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events of order %s: %w", orderID, err)
	}
	return out, nil
}

// PlanAction says what BeginAction would do with req on o at the store's now, without
// writing anything: the action's kind (a full refund on the payment's own day is a void),
// amount and shares, or the refusal as an *Error. The dashboard uses it to offer only the
// actions an order allows and to repeat the exact amount on its confirmation page; it is
// the same rule as BeginAction's, which checks again in its transaction.
func (s *Store) PlanAction(o *Order, req ActionRequest) (Action, error) {
	return s.plan(o, req, s.now())
}
