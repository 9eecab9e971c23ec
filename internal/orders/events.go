package orders

import (
	"context"
	"encoding/json"
	"fmt"
)

// Event types written to the outbox.
const (
	EventOrderCreated       = "order.created"
	EventOrderProcessing    = "order.processing"
	EventOrderPaid          = "order.paid"
	EventOrderAuthorized    = "order.authorized"
	EventOrderPaymentFailed = "order.payment_failed"
	EventOrderExpired       = "order.expired"
	EventOrderCanceled      = "order.canceled"
	// EventOrderPartiallyRefunded and EventOrderRefunded follow completed refunds.
	EventOrderPartiallyRefunded = "order.partially_refunded"
	EventOrderRefunded          = "order.refunded"
	// EventOrderPaymentConflict records a successful bank return for an order that was no
	// longer waiting for it (the order had already left processing). The money may have
	// been taken twice, so a human must look: the order's status is left as it was.
	EventOrderPaymentConflict = "order.payment_conflict"
)

// statusEvents names the event written when an order enters a status.
var statusEvents = map[Status]string{
	StatusProcessing:        EventOrderProcessing,
	StatusPaid:              EventOrderPaid,
	StatusAuthorized:        EventOrderAuthorized,
	StatusExpired:           EventOrderExpired,
	StatusCanceled:          EventOrderCanceled,
	StatusPartiallyRefunded: EventOrderPartiallyRefunded,
	StatusRefunded:          EventOrderRefunded,
}

type eventOrder struct {
	ID           string `json:"id"`
	Reference    string `json:"reference"`
	Status       Status `json:"status"`
	Amount       string `json:"amount"`
	Currency     string `json:"currency"`
	CancelReason string `json:"cancel_reason,omitempty"`
}

type eventAttempt struct {
	ID            string        `json:"id"`
	Status        AttemptStatus `json:"status"`
	Installments  int           `json:"installments,omitempty"`
	CardFirst6    string        `json:"card_first6,omitempty"`
	CardLast4     string        `json:"card_last4,omitempty"`
	CardBrand     string        `json:"card_brand,omitempty"`
	TrxCode       string        `json:"trx_code,omitempty"`
	ResultCode    string        `json:"result_code,omitempty"`
	ResultMessage string        `json:"result_message,omitempty"`
}

type eventAction struct {
	ID              string       `json:"id"`
	Kind            ActionKind   `json:"kind"`
	Status          ActionStatus `json:"status"`
	Amount          string       `json:"amount,omitempty"`
	Shares          []Share      `json:"sub_dealers,omitempty"`
	RefundRequestID string       `json:"refund_request_id,omitempty"`
	ResultCode      string       `json:"result_code,omitempty"`
	ResultMessage   string       `json:"result_message,omitempty"`
}

type eventPayload struct {
	Order   eventOrder    `json:"order"`
	Attempt *eventAttempt `json:"attempt,omitempty"`
	Action  *eventAction  `json:"action,omitempty"`
}

// insertEvent writes one outbox row describing o (and a, if the change concerns an
// attempt) inside tx, so the event exists exactly when the change does.
func (s *Store) insertEvent(ctx context.Context, tx dbTx, typ string, o *Order, a *Attempt) error {
	return s.writeEvent(ctx, tx, typ, o, a, nil)
}

// insertActionEvent writes the outbox row of a merchant action's change.
func (s *Store) insertActionEvent(ctx context.Context, tx dbTx, typ string, o *Order, act *Action) error {
	return s.writeEvent(ctx, tx, typ, o, nil, act)
}

func (s *Store) writeEvent(ctx context.Context, tx dbTx, typ string, o *Order, a *Attempt, act *Action) error {
	p := eventPayload{Order: eventOrder{
		ID: o.ID, Reference: o.Reference, Status: o.Status,
		Amount: formatMoney(o.Amount), Currency: o.Currency, CancelReason: o.CancelReason,
	}}
	if a != nil {
		p.Attempt = &eventAttempt{
			ID: a.ID, Status: a.Status, Installments: a.Installments,
			CardFirst6: a.CardFirst6, CardLast4: a.CardLast4, CardBrand: a.CardBrand,
			TrxCode: a.TrxCode, ResultCode: a.ResultCode, ResultMessage: a.ResultMessage,
		}
	}
	if act != nil {
		p.Action = &eventAction{ID: act.ID, Kind: act.Kind, Status: act.Status, Shares: act.Shares,
			RefundRequestID: act.RefundRequestID, ResultCode: act.ResultCode, ResultMessage: act.ResultMessage}
		if act.Kind != ActionApprove {
			p.Action.Amount = formatMoney(act.Amount)
		}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO events (id, merchant_id, order_id, type, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, newEventID(), o.MerchantID, o.ID, typ, string(body), formatTime(s.txNow(ctx)))
	if err != nil {
		return fmt.Errorf("insert event %s: %w", typ, err)
	}
	return nil
}

// ListEvents returns a merchant's most recent events, newest first. limit <= 0 means 100.
func (s *Store) ListEvents(ctx context.Context, merchantID string, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, merchant_id, order_id, type, payload, created_at
		FROM events WHERE merchant_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var payload, created string
		if err := rows.Scan(&e.ID, &e.MerchantID, &e.OrderID, &e.Type, &payload, &created); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		e.Payload = []byte(payload)
		if e.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
