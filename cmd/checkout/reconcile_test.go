package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/orders"
)

// TestReconcileCommand runs one pass by hand on demo mode's settings: an overdue open
// order is expired, and the command says so.
func TestReconcileCommand(t *testing.T) {
	bank := httptest.NewServer(sandbox.New(sandbox.DemoConfig("http://sandbox.invalid")))
	t.Cleanup(bank.Close)
	db := filepath.Join(t.TempDir(), "checkout.db")
	env := map[string]string{"CHECKOUT_DB": db, "CHECKOUT_SANDBOX_PUBLIC_URL": bank.URL}

	store, err := orders.Open(context.Background(), db, time.Now)
	require.NoError(t, err)
	require.NoError(t, store.EnsureMerchant(context.Background(), orders.Merchant{ID: config.DemoMerchantID, Name: "Demo"}))
	o := &orders.Order{MerchantID: config.DemoMerchantID, Reference: "R-1", Amount: decimal.RequireFromString("10.00"),
		Currency: "TRY", Installments: []int{1}, ExpiresAt: time.Now().Add(-time.Minute)}
	require.NoError(t, store.CreateOrder(context.Background(), o))
	require.NoError(t, store.Close())

	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"checkout", "reconcile"}, envOf(env), &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), "expired 1,")

	stdout.Reset()
	require.NoError(t, run(t.Context(), []string{"checkout", "reconcile"}, envOf(env), &stdout, &stderr))
	assert.Contains(t, stdout.String(), "expired 0,", "a second pass finds nothing")

	store, err = orders.Open(context.Background(), db, time.Now)
	require.NoError(t, err)
	defer store.Close()
	got, err := store.GetOrder(context.Background(), o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusExpired, got.Status)
}
