package checkout

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
)

const maxAPIBody = 1 << 20

var errUnauthorized = &apiError{Status: http.StatusUnauthorized, Code: "unauthorized",
	Message: "a valid API key is required: Authorization: Bearer <key>"}

// requireAPIKey finds the merchant whose key hash matches the Bearer key. Every merchant
// is compared, in constant time, so timing reveals neither which merchant nor how close.
// An IP that sent too many wrong keys is answered 429 until its failures age out.
func (s *Server) requireAPIKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var found *merchant
		if err := s.authThrottled(c, s.apiFailures, errTooManyAuthFailures, func() error {
			found = s.merchantForKey(c)
			if found == nil {
				return errUnauthorized
			}
			return nil
		}); err != nil {
			return err
		}
		c.Set("merchant", found)
		return next(c)
	}
}

// merchantForKey is the merchant whose key is the request's Bearer key, or nil.
func (s *Server) merchantForKey(c echo.Context) *merchant {
	auth := c.Request().Header.Get(echo.HeaderAuthorization)
	scheme, key, ok := strings.Cut(auth, " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(key))
	var found *merchant
	for _, m := range s.ordered {
		if subtle.ConstantTimeCompare(sum[:], m.keyHash) == 1 {
			found = m
		}
	}
	return found
}

func apiMerchant(c echo.Context) *merchant {
	m, _ := c.Get("merchant").(*merchant)
	return m
}

// handleCreateOrder creates an order. With an Idempotency-Key, the answer is stored in
// the order's own transaction and given again to a repeat with the same body; a different
// body under the same key is refused with 409.
//
// Two rules, as Stripe has them, keep a key usable after a mistake:
//   - Only a request that passed validation and started executing stores its answer: the
//     201, and any answer decided after that (a duplicate reference). A 400 from the
//     input checks (bad JSON, unknown field, invalid amount...) is not stored, so the
//     merchant can fix the body and retry with the same key. Neither is a 5xx, which may
//     succeed on a retry.
//   - The body is compared by the SHA-256 of its compacted JSON (json.Compact), so the
//     same JSON with other whitespace is the same request. Key order and string escapes
//     still count: reordered fields are a different body. A body that is not JSON is
//     hashed as it is; it fails validation and is never stored anyway.
func (s *Server) handleCreateOrder(c echo.Context) error {
	m := apiMerchant(c)
	body, err := readAPIBody(c)
	if err != nil {
		return err
	}
	answer := func(o *orders.Order, _ *orders.Action, err error) (int, []byte) {
		if err != nil {
			return errorAnswer(err)
		}
		b, jerr := json.Marshal(s.orderJSON(o))
		if jerr != nil {
			return http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
		}
		return http.StatusCreated, b
	}
	idem, err := s.idemFor(c, m, body, answer)
	if err != nil {
		return err
	}
	if idem != nil {
		if done, err := s.replayKnown(c, idem); done || err != nil {
			return err
		}
	}
	o, err := s.parseOrder(m, body)
	if err != nil {
		return err
	}
	if err := s.store.CreateOrderIdem(c.Request().Context(), o, idem); err != nil {
		return s.answerRefusal(c, idem, err)
	}
	status, b := answer(o, nil, nil)
	return c.JSONBlob(status, b)
}

// readAPIBody reads a request body of at most maxAPIBody bytes.
func readAPIBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxAPIBody+1))
	if len(body) > maxAPIBody || errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return nil, errBodyTooLarge
	}
	if err != nil {
		return nil, badRequest("invalid_json", "", "the body could not be read")
	}
	return body, nil
}

// idemFor reads the request's Idempotency-Key: nil without one. answer builds the answer
// stored for the key, inside the write's transaction.
func (s *Server) idemFor(c echo.Context, m *merchant, body []byte, answer func(*orders.Order, *orders.Action, error) (int, []byte)) (*orders.Idem, error) {
	key := strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))
	if key == "" {
		return nil, nil
	}
	if len(key) > 255 {
		return nil, badRequest("idempotency_key_invalid", "Idempotency-Key", "the Idempotency-Key must be at most 255 characters")
	}
	r := c.Request()
	return &orders.Idem{MerchantID: m.ID, Key: key, RequestHash: requestHash(r.Method, r.URL.Path, body), Answer: answer}, nil
}

// replayKnown answers from the key's record when it has one (done true). The write
// checks the key again in its own transaction; this only spares a repeat the work.
func (s *Server) replayKnown(c echo.Context, idem *orders.Idem) (done bool, err error) {
	rec, err := s.store.LookupIdempotency(c.Request().Context(), idem.MerchantID, idem.Key)
	switch {
	case errors.Is(err, orders.ErrNotFound):
		return false, nil
	case err != nil:
		return true, err
	}
	return true, s.replayRecord(c, idem, rec)
}

// parseOrder reads and checks a new order's body.
func (s *Server) parseOrder(m *merchant, body []byte) (*orders.Order, error) {
	if err := refuseDuplicateKeys(body); err != nil {
		return nil, err
	}
	var req createOrderRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	in, err := req.toInput()
	if err != nil {
		return nil, err
	}
	return s.validateOrder(m, in)
}

// requestHash identifies a request for Idempotency-Key: the hex SHA-256 of its method,
// its path (so a key used to cancel order A never answers a refund of order B) and its
// compacted JSON body, or the raw bytes when the body is not JSON.
func requestHash(method, path string, body []byte) string {
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err == nil {
		body = compact.Bytes()
	}
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// replayRecord answers with a key's stored answer, or 409 when the key was first used for
// a different body. A key whose action was at Moka when its process stopped has no
// answer: while the action is pending that is 409 idempotency_in_progress; once
// reconciliation has settled it, the answer is built from the action.
func (s *Server) replayRecord(c echo.Context, idem *orders.Idem, rec *orders.IdempotencyRecord) error {
	if subtle.ConstantTimeCompare([]byte(rec.RequestHash), []byte(idem.RequestHash)) != 1 {
		return &apiError{Status: http.StatusConflict, Code: "idempotency_key_reused", Field: "Idempotency-Key",
			Message: "this Idempotency-Key was used with a different request (another body, endpoint or order)"}
	}
	if !rec.InProgress() {
		return c.JSONBlob(rec.StatusCode, rec.Body)
	}
	o, a, err := s.store.GetAction(c.Request().Context(), rec.ActionID)
	if err != nil {
		return err
	}
	if a.Status == orders.ActionPending {
		return &apiError{Status: http.StatusConflict, Code: "idempotency_in_progress", Field: "Idempotency-Key",
			Message: "a request with this Idempotency-Key is still waiting for Moka's answer; retry later"}
	}
	status, b := idem.Answer(o, a, nil)
	return c.JSONBlob(status, b)
}

// handleGetOrder shows one of the merchant's orders; another merchant's order is 404.
func (s *Server) handleGetOrder(c echo.Context) error {
	o, err := s.store.GetOrder(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if o.MerchantID != apiMerchant(c).ID {
		return orders.ErrNotFound
	}
	return c.JSON(http.StatusOK, s.orderJSON(o))
}

// handleHealth answers 200 when the store answers.
func (s *Server) handleHealth(c echo.Context) error {
	// The store has no ping; reading an order that cannot exist touches the database.
	_, err := s.store.GetOrder(c.Request().Context(), "healthz")
	if err != nil && !errors.Is(err, orders.ErrNotFound) {
		s.log.Error("health check", "error", err.Error())
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
