package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/moka/sandbox"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
)

// reconcileEnv is the environment of `checkout reconcile` for the demo merchant paying
// through the sandbox at bankURL, on a fresh database of the run's engine.
func reconcileEnv(t *testing.T, bankURL string) (map[string]string, storetest.DB) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "checkout.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("server:\n"+storeYAML+`merchants:
  - id: `+config.DemoMerchantID+`
    name: Demo
    api_key_env: TEST_API_KEY
    link_secret_env: TEST_LINK_SECRET
    moka: {base_url: "`+bankURL+`", dealer_code: `+config.DemoDealerCode+`, username: `+config.DemoMokaUsername+`, password_env: TEST_MOKA_PASSWORD}
`), 0o600))
	env := map[string]string{"CHECKOUT_CONFIG": cfg, "TEST_API_KEY": "k", "TEST_LINK_SECRET": "l",
		"TEST_MOKA_PASSWORD": config.DemoMokaPassword}
	return env, cmdStore(t, env)
}

// TestReconcileCommand runs one pass by hand: an overdue open order is expired, and the
// command says so.
func TestReconcileCommand(t *testing.T) {
	bank := httptest.NewServer(sandbox.New(sandbox.DemoConfig("http://sandbox.invalid")))
	t.Cleanup(bank.Close)
	env, db := reconcileEnv(t, bank.URL)

	store := openCmdStore(t, db)
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

	store = openCmdStore(t, db)
	defer store.Close()
	got, err := store.GetOrder(context.Background(), o.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusExpired, got.Status)
}

// TestReconcileCommandSweeps: the command sweeps Moka's payment list and says what it
// found: a payment lost after its attempt was given up on is recorded, and one for an
// attempt whose return said failed is flagged for review.
func TestReconcileCommandSweeps(t *testing.T) {
	ctx := context.Background()
	// The sandbox is started below, with the payments; the config names its URL.
	bank := httptest.NewUnstartedServer(nil)
	t.Cleanup(bank.Close)
	env, db := reconcileEnv(t, "http://"+bank.Listener.Addr().String())
	store := openCmdStore(t, db)
	require.NoError(t, store.EnsureMerchant(ctx, orders.Merchant{ID: config.DemoMerchantID, Name: "Demo"}))
	attempt := func(ref string) (*orders.Order, *orders.Attempt) {
		o := &orders.Order{MerchantID: config.DemoMerchantID, Reference: ref, Amount: decimal.RequireFromString("10.00"),
			Currency: "TRY", Installments: []int{1}, ExpiresAt: time.Now().Add(time.Hour)}
		require.NoError(t, store.CreateOrder(ctx, o))
		a := &orders.Attempt{Installments: 1}
		_, err := store.StartAttempt(ctx, o.ID, a)
		require.NoError(t, err)
		require.NoError(t, store.MarkRedirected(ctx, a.ID, "code-for-hash", "https://bank.example/"))
		return o, a
	}
	lost, la := attempt("LOST")
	_, _, err := store.AbandonAttempt(ctx, la.ID, orders.Failure{ResultCode: "checkout.abandoned"})
	require.NoError(t, err)
	failed, fa := attempt("FAILED")
	_, err = store.RecordOutcome(ctx, fa.ID, orders.Outcome{ResultCode: "3DFailed"})
	require.NoError(t, err)
	require.NoError(t, store.Close())

	// Moka holds both payments: the bank took the money after all.
	cfg := sandbox.DemoConfig("http://sandbox.invalid")
	for i, a := range []*orders.Attempt{la, fa} {
		cfg.Payments = append(cfg.Payments, sandbox.Preset{DealerCode: sandbox.DemoDealerCode, OtherTrxCode: a.OtherTrxCode,
			VirtualPosOrderID: "SWEEP-" + string(rune('A'+i)), Amount: decimal.RequireFromString("10.00"),
			Date: time.Now().Add(-10 * time.Minute)})
	}
	bank.Config.Handler = sandbox.New(cfg)
	bank.Start()

	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"checkout", "reconcile"}, envOf(env), &stdout, &stderr), stderr.String())
	out := stdout.String()
	assert.Contains(t, out, "flagged for review 0,", "the pass itself finds nothing")
	assert.Contains(t, out, "2 ours not recorded as paid: recorded 1, flagged for review 1, left for later 0")
	assert.Contains(t, out, "order "+lost.ID+" (Moka reference "+la.OtherTrxCode+"): recorded as paid")
	assert.Contains(t, out, "order "+failed.ID+" (Moka reference "+fa.OtherTrxCode+"): flagged for review: paid_unrecorded")

	stdout.Reset()
	require.NoError(t, run(t.Context(), []string{"checkout", "reconcile"}, envOf(env), &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), "0 ours not recorded as paid", "a second sweep finds nothing new")
	stdout.Reset()
	require.NoError(t, run(t.Context(), []string{"checkout", "reconcile", "-sweep", "0"}, envOf(env), &stdout, &stderr))
	assert.NotContains(t, stdout.String(), "swept")

	store = openCmdStore(t, db)
	defer store.Close()
	got, err := store.GetOrder(ctx, lost.ID)
	require.NoError(t, err)
	assert.Equal(t, orders.StatusPaid, got.Status)
	got, err = store.GetOrder(ctx, failed.ID)
	require.NoError(t, err)
	require.True(t, got.FlaggedForReview())
	assert.Equal(t, orders.ReviewPaidUnrecorded, got.Review.Reason)
}
