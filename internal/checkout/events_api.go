package checkout

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
)

// eventJSON is an event as the API shows it, with its webhook delivery.
type eventJSON struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	OrderID   string          `json:"order_id"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"` // the event's record of the change, as written then
	// Delivery is null when the event was never queued: its merchant had no webhook_url.
	Delivery *deliveryJSON `json:"delivery"`
}

type deliveryJSON struct {
	State       orders.DeliveryState `json:"state"`
	Tries       int                  `json:"tries"`
	NextTryAt   *time.Time           `json:"next_try_at,omitempty"` // while pending
	LastError   string               `json:"last_error,omitempty"`
	DeliveredAt *time.Time           `json:"delivered_at,omitempty"`
}

// eventDetailJSON is the answer of GET /api/v1/events/{id}: the event and every try.
type eventDetailJSON struct {
	eventJSON
	Tries []tryJSON `json:"tries"`
}

type tryJSON struct {
	Attempt    int        `json:"attempt"`
	StartedAt  time.Time  `json:"started_at"`
	DurationMS int64      `json:"duration_ms"`
	HTTPStatus int        `json:"http_status"` // 0: no answer
	Error      string     `json:"error,omitempty"`
	Response   string     `json:"response,omitempty"` // the answer's first 1 KiB
	NextTryAt  *time.Time `json:"next_try_at,omitempty"`
}

type eventListJSON struct {
	Data    []eventJSON `json:"data"`
	HasMore bool        `json:"has_more"`
}

func toEventJSON(e *orders.EventDelivery) eventJSON {
	out := eventJSON{ID: e.ID, Type: e.Type, OrderID: e.OrderID, CreatedAt: e.CreatedAt, Data: e.Payload}
	if d := e.Delivery; d != nil {
		out.Delivery = &deliveryJSON{State: d.State, Tries: d.Attempts, LastError: d.LastError, DeliveredAt: d.DeliveredAt}
		if d.State == orders.DeliveryPending {
			out.Delivery.NextTryAt = &d.NextTryAt
		}
	}
	return out
}

// OrderView is the order as GET /api/v1/orders/{id} shows it now: webhook deliveries
// carry it as data.order.
func (s *Server) OrderView(o *orders.Order) any { return s.orderJSON(o) }

// eventParams are the query parameters GET /api/v1/events knows.
var eventParams = []string{"order", "type", "delivery", "limit", "starting_after"}

// handleListEvents lists the merchant's events with their deliveries, newest first, one
// page at a time (see docs/webhooks.md).
func (s *Server) handleListEvents(c echo.Context) error {
	f, err := eventFilter(c.QueryParams())
	if err != nil {
		return err
	}
	page, hasMore, err := s.store.ListEventDeliveries(c.Request().Context(), apiMerchant(c).ID, f)
	if err != nil {
		return err
	}
	out := eventListJSON{Data: make([]eventJSON, 0, len(page)), HasMore: hasMore}
	for i := range page {
		out.Data = append(out.Data, toEventJSON(&page[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// eventFilter reads the list's query parameters; as for orders, an unknown parameter or
// a bad value is refused rather than ignored.
func eventFilter(q map[string][]string) (orders.EventFilter, error) {
	var f orders.EventFilter
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(eventParams, name) {
			return f, badRequest("unknown_parameter", name, "unknown query parameter "+strconv.Quote(name)+"; known: "+strings.Join(eventParams, ", "))
		}
		if vs := q[name]; len(vs) != 1 || vs[0] == "" {
			return f, badRequest(name+"_invalid", name, name+" must be given once, not empty")
		}
	}
	one := func(name string) string {
		if vs := q[name]; len(vs) == 1 {
			return vs[0]
		}
		return ""
	}
	f.OrderID, f.Type, f.StartingAfter = one("order"), one("type"), one("starting_after")
	if d := orders.DeliveryState(one("delivery")); d != "" {
		if !slices.Contains(orders.DeliveryStates(), d) {
			return f, badRequest("delivery_invalid", "delivery", "delivery must be one of pending, delivered, failed")
		}
		f.Delivery = d
	}
	if v := one("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > orders.MaxListLimit {
			return f, badRequest("limit_invalid", "limit", "limit must be a whole number from 1 to "+strconv.Itoa(orders.MaxListLimit))
		}
		f.Limit = n
	}
	return f, nil
}

// handleGetEvent shows one of the merchant's events with every try of its delivery;
// another merchant's event is 404.
func (s *Server) handleGetEvent(c echo.Context) error {
	e, tries, err := s.store.GetEventDelivery(c.Request().Context(), apiMerchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, eventDetail(e, tries))
}

func eventDetail(e *orders.EventDelivery, tries []orders.DeliveryTry) eventDetailJSON {
	out := eventDetailJSON{eventJSON: toEventJSON(e), Tries: make([]tryJSON, 0, len(tries))}
	for _, t := range tries {
		out.Tries = append(out.Tries, tryJSON{Attempt: t.Attempt, StartedAt: t.StartedAt, DurationMS: t.Duration.Milliseconds(),
			HTTPStatus: t.HTTPStatus, Error: t.Error, Response: t.Response, NextTryAt: t.NextTryAt})
	}
	return out
}

var errWebhookNotConfigured = &apiError{Status: http.StatusConflict, Code: "webhook_not_configured",
	Message: "this merchant has no webhook_url: there is nowhere to deliver the event"}

// handleRedeliver asks for a new try of an event's delivery soon, and answers 202 with
// the event. It is naturally idempotent: a repeat asks for the same thing, and every try
// carries the event's id as webhook-id, so an Idempotency-Key is accepted and not needed.
func (s *Server) handleRedeliver(c echo.Context) error {
	m := apiMerchant(c)
	if m.WebhookURL == "" {
		// Still 404 for an event that is not the merchant's, so nothing is revealed.
		if _, _, err := s.store.GetEventDelivery(c.Request().Context(), m.ID, c.Param("id")); err != nil {
			return err
		}
		return errWebhookNotConfigured
	}
	e, err := s.store.Redeliver(c.Request().Context(), m.ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, toEventJSON(e))
}
