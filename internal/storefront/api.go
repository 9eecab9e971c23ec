package storefront

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// orderRequest is the body of POST /api/v1/orders. The amount is a JSON string: checkout
// refuses a JSON number, so money never passes through a float.
type orderRequest struct {
	Reference    string `json:"reference"`
	Amount       string `json:"amount"`
	Currency     string `json:"currency"`
	Description  string `json:"description"`
	Installments []int  `json:"installments"`
	ReturnURL    string `json:"return_url"`
	Locale       string `json:"locale"`
}

type orderResponse struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	CheckoutURL string `json:"checkout_url"`
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// createOrder asks checkout for an order, the way a merchant's backend would.
func (s *shop) createOrder(ctx context.Context, in orderRequest) (orderResponse, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return orderResponse{}, fmt.Errorf("create order: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.CheckoutURL+"/api/v1/orders", bytes.NewReader(body))
	if err != nil {
		return orderResponse{}, fmt.Errorf("create order: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.APIKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Idempotency-Key", in.Reference)
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return orderResponse{}, fmt.Errorf("create order: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return orderResponse{}, fmt.Errorf("create order: read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e apiError
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			return orderResponse{}, fmt.Errorf("create order: checkout answered %d: %s (%s)", resp.StatusCode, e.Error.Message, e.Error.Code)
		}
		return orderResponse{}, fmt.Errorf("create order: checkout answered %s", resp.Status)
	}
	var out orderResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return orderResponse{}, fmt.Errorf("create order: decode answer: %w", err)
	}
	if out.CheckoutURL == "" {
		return orderResponse{}, fmt.Errorf("create order: answer has no checkout_url")
	}
	return out, nil
}

// errOrderNotFound is checkout's 404 for an order id: none such, or another merchant's.
var errOrderNotFound = errors.New("order not found")

// orderView is the part of GET /api/v1/orders/{id} the thanks page shows.
type orderView struct {
	ID        string `json:"id"`
	Reference string `json:"reference"`
	Status    string `json:"status"`
	Amount    string `json:"amount"`
	Currency  string `json:"currency"`
}

// getOrder asks checkout for one of the shop's orders, as a merchant's backend would
// before it ships anything: what the buyer's browser brings back proves nothing.
func (s *shop) getOrder(ctx context.Context, id string) (orderView, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.CheckoutURL+"/api/v1/orders/"+url.PathEscape(id), nil)
	if err != nil {
		return orderView{}, fmt.Errorf("get order: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.APIKey)
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return orderView{}, fmt.Errorf("get order: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return orderView{}, fmt.Errorf("get order: read answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return orderView{}, errOrderNotFound
	case resp.StatusCode != http.StatusOK:
		return orderView{}, fmt.Errorf("get order: checkout answered %s", resp.Status)
	}
	var out orderView
	if err := json.Unmarshal(raw, &out); err != nil {
		return orderView{}, fmt.Errorf("get order: decode answer: %w", err)
	}
	if out.ID != id || out.Status == "" {
		return orderView{}, fmt.Errorf("get order: the answer is not order %s", id)
	}
	return out, nil
}
