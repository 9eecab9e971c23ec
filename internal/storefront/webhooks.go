package storefront

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mokacheckout/checkout/internal/webhook"
)

// DefaultKeepEvents is how many received webhooks the shop keeps (and shows) when
// Config.KeepEvents is zero.
const DefaultKeepEvents = 50

// maxWebhookBody bounds what the receiver reads of a delivery.
const maxWebhookBody = 1 << 20

// receivedEvent is one verified delivery as the shop keeps it.
type receivedEvent struct {
	ID          string // the webhook-id, which is the event's id
	Type        string
	CreatedAt   time.Time
	ReceivedAt  time.Time
	OrderID     string
	Reference   string
	OrderStatus string // data.order.status: the order as it was when the delivery was made
	Repeats     int    // deliveries of the same webhook-id after the first
}

// inbox keeps the last few verified deliveries in memory, once per webhook-id.
type inbox struct {
	mu   sync.Mutex
	keep int
	// buf holds the deliveries oldest first; the kept ones are its last keep. It grows
	// to twice keep before the kept ones move back to its start, so that adding one
	// neither allocates nor copies the others (the demo's shop gets three per payment).
	buf []receivedEvent
}

func newInbox(keep int) *inbox {
	if keep <= 0 {
		keep = DefaultKeepEvents
	}
	return &inbox{keep: keep, buf: make([]receivedEvent, 0, 2*keep)}
}

// kept is the kept deliveries, oldest first; the caller holds mu.
func (in *inbox) kept() []receivedEvent {
	return in.buf[max(0, len(in.buf)-in.keep):]
}

// add keeps ev unless its webhook-id is kept already (a retry, or a redelivery); it
// reports whether ev was new.
func (in *inbox) add(ev receivedEvent) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	kept := in.kept()
	for i := len(kept) - 1; i >= 0; i-- {
		if kept[i].ID == ev.ID {
			kept[i].Repeats++
			return false
		}
	}
	if len(in.buf) == cap(in.buf) {
		in.buf = in.buf[:copy(in.buf, kept)]
	}
	in.buf = append(in.buf, ev)
	return true
}

// list returns the kept deliveries, newest first.
func (in *inbox) list() []receivedEvent {
	in.mu.Lock()
	defer in.mu.Unlock()
	kept := in.kept()
	out := make([]receivedEvent, len(kept))
	for i, e := range kept {
		out[len(kept)-1-i] = e
	}
	return out
}

// orderStatus is the order's status as the newest kept delivery about it showed it:
// data.order is the order when the delivery was made, and one order's events arrive in
// the order they happened.
func (in *inbox) orderStatus(orderID string) (string, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	kept := in.kept()
	for i := len(kept) - 1; i >= 0; i-- {
		if e := kept[i]; e.OrderID == orderID && e.OrderStatus != "" {
			return e.OrderStatus, true
		}
	}
	return "", false
}

// delivery is the part of a delivery's body the shop reads.
type delivery struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      struct {
		Order struct {
			ID        string `json:"id"`
			Reference string `json:"reference"`
			Status    string `json:"status"`
		} `json:"order"`
	} `json:"data"`
}

// handleWebhook receives checkout's webhooks the way docs/webhooks.md tells a merchant
// to: the raw body is verified (signature and a timestamp within five minutes) before
// anything is read from it; a delivery that fails is 401 and not kept; a repeat of a
// webhook-id already kept is answered 204 and kept once.
func (s *shop) handleWebhook(w http.ResponseWriter, r *http.Request) {
	if s.secrets == nil {
		msg := "this shop has no webhook secret"
		if s.secretErr != nil {
			msg = s.secretErr.Error()
		}
		http.Error(w, msg, http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	now := s.cfg.Now()
	if err := webhook.Verify(s.secrets, r.Header, body, now, webhook.DefaultTolerance); err != nil {
		http.Error(w, "webhook refused: "+err.Error(), http.StatusUnauthorized)
		return
	}
	var d delivery
	if err := json.Unmarshal(body, &d); err != nil {
		// Signed by checkout, so not an attack; still nothing the shop can show.
		http.Error(w, "webhook body is not an event: "+err.Error(), http.StatusBadRequest)
		return
	}
	id := r.Header.Get(webhook.HeaderID)
	if d.ID != "" && d.ID != id {
		http.Error(w, "webhook-id and the event id differ", http.StatusBadRequest)
		return
	}
	s.inbox.add(receivedEvent{
		ID: id, Type: d.Type, CreatedAt: d.CreatedAt, ReceivedAt: now,
		OrderID: d.Data.Order.ID, Reference: d.Data.Order.Reference, OrderStatus: d.Data.Order.Status,
	})
	w.WriteHeader(http.StatusNoContent)
}

// webhooksData is the view of the received-webhooks page.
type webhooksData struct {
	base
	Configured bool
	SecretErr  string
	Events     []receivedEvent
}

func (s *shop) handleWebhooksPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "webhooks", webhooksData{
		base: newBase(lang(r)), Configured: s.secrets != nil, Events: s.inbox.list(),
		SecretErr: errText(s.secretErr),
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// parseSecrets reads Config.WebhookSecret; "" means the shop receives no webhooks.
func parseSecrets(s string) ([]webhook.Secret, error) {
	if s == "" {
		return nil, nil
	}
	secrets, err := webhook.ParseSecrets(s)
	if err != nil {
		return nil, errors.Join(errors.New("storefront: webhook secret"), err)
	}
	return secrets, nil
}
