package checkout

import (
	"bytes"
	"context"
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
func (s *Server) requireAPIKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		auth := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, key, ok := strings.Cut(auth, " ")
		key = strings.TrimSpace(key)
		if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
			return errUnauthorized
		}
		sum := sha256.Sum256([]byte(key))
		var found *merchant
		for _, m := range s.ordered {
			if subtle.ConstantTimeCompare(sum[:], m.keyHash) == 1 {
				found = m
			}
		}
		if found == nil {
			return errUnauthorized
		}
		c.Set("merchant", found)
		return next(c)
	}
}

func apiMerchant(c echo.Context) *merchant {
	m, _ := c.Get("merchant").(*merchant)
	return m
}

// handleCreateOrder creates an order. With an Idempotency-Key, the answer is stored and
// given again to a repeat with the same body; a different body under the same key is
// refused with 409.
//
// Two rules, as Stripe has them, keep a key usable after a mistake:
//   - Only a request that passed validation and started executing stores its answer: the
//     201, and any answer decided after that (a duplicate reference, a store conflict). A
//     400 from the input checks (bad JSON, unknown field, invalid amount...) is not stored,
//     so the merchant can fix the body and retry with the same key. Neither is a 5xx, which
//     may succeed on a retry.
//   - The body is compared by the SHA-256 of its compacted JSON (json.Compact), so the
//     same JSON with other whitespace is the same request. Key order and string escapes
//     still count: reordered fields are a different body. A body that is not JSON is
//     hashed as it is; it fails validation and is never stored anyway.
func (s *Server) handleCreateOrder(c echo.Context) error {
	m := apiMerchant(c)
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxAPIBody+1))
	if len(body) > maxAPIBody || errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return errBodyTooLarge
	}
	if err != nil {
		return badRequest("invalid_json", "", "the body could not be read")
	}
	ctx := c.Request().Context()
	key := strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))
	if len(key) > 255 {
		return badRequest("idempotency_key_invalid", "Idempotency-Key", "the Idempotency-Key must be at most 255 characters")
	}
	hash := requestHash(body)
	if key != "" {
		defer s.idempotency.lock(m.ID + "\x00" + key)()
		rec, err := s.store.LookupIdempotency(ctx, m.ID, key)
		switch {
		case err == nil:
			return s.replay(c, rec, hash)
		case !errors.Is(err, orders.ErrNotFound):
			return err
		}
	}

	status, answer, executed := s.createOrder(c, m, body)
	if key != "" && executed && status < 500 {
		// Saved even if the merchant has gone: a retry with the key must get this answer.
		rec, err := s.store.SaveIdempotency(context.WithoutCancel(ctx), orders.IdempotencyRecord{
			MerchantID: m.ID, Key: key, RequestHash: hash, StatusCode: status, Body: answer,
		})
		if err != nil && status == http.StatusCreated {
			// The order is stored: answer it, never "nothing was written". A retry with
			// the key then finds the reference taken (duplicate_reference), as after a
			// crash between the two writes (docs/decisions.md, Idempotency).
			s.log.Error("idempotency answer not saved for a created order", "request_id", requestIDOf(c), "error", err.Error())
			return c.JSONBlob(status, answer)
		}
		if err != nil {
			return err
		}
		return s.replay(c, rec, hash)
	}
	return c.JSONBlob(status, answer)
}

// requestHash identifies a request body for Idempotency-Key: the hex SHA-256 of its
// compacted JSON, or of the raw bytes when it is not JSON.
func requestHash(body []byte) string {
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err == nil {
		body = compact.Bytes()
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// replay answers with a stored idempotent answer, or 409 when the key was first used
// for a different body.
func (s *Server) replay(c echo.Context, rec *orders.IdempotencyRecord, hash string) error {
	if subtle.ConstantTimeCompare([]byte(rec.RequestHash), []byte(hash)) != 1 {
		return &apiError{Status: http.StatusConflict, Code: "idempotency_key_reused", Field: "Idempotency-Key",
			Message: "this Idempotency-Key was used with a different request body"}
	}
	return c.JSONBlob(rec.StatusCode, rec.Body)
}

// createOrder runs the creation and returns the answer as status and JSON body, errors
// included, so that an idempotent repeat can be given the very same bytes. executed is
// false when the input checks refused the request before anything was done.
func (s *Server) createOrder(c echo.Context, m *merchant, body []byte) (status int, answer []byte, executed bool) {
	o, err := func() (*orders.Order, error) {
		var req createOrderRequest
		if err := decodeStrict(body, &req); err != nil {
			return nil, err
		}
		in, err := req.toInput()
		if err != nil {
			return nil, err
		}
		o, err := s.validateOrder(m, in)
		if err != nil {
			return nil, err
		}
		executed = true
		if err := s.store.CreateOrder(c.Request().Context(), o); err != nil {
			return nil, err
		}
		return o, nil
	}()
	if err != nil {
		ae := toAPIError(err)
		s.logFailure(c, ae.Status, err)
		b, _ := json.Marshal(errorJSON{Error: errorBody{Code: ae.Code, Message: ae.Message, Field: ae.Field, MokaResultCode: ae.MokaResultCode}})
		return ae.Status, b, executed
	}
	b, err := json.Marshal(s.orderJSON(o))
	if err != nil {
		return http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`), executed
	}
	return http.StatusCreated, b, executed
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

// handleFindOrder finds one of the merchant's orders by its reference.
func (s *Server) handleFindOrder(c echo.Context) error {
	ref := c.QueryParam("reference")
	if ref == "" {
		return badRequest("reference_invalid", "reference", "the reference query parameter is required")
	}
	o, err := s.store.GetOrderByReference(c.Request().Context(), apiMerchant(c).ID, ref)
	if err != nil {
		return err
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
