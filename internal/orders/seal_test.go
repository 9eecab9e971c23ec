package orders_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
)

const codeForHash = "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC"

func sealKey(b byte) []byte { return bytes.Repeat([]byte{b}, orders.SealKeySize) }

// openSealed opens the store on db with key (nil: no key), as a fixture.
func openSealed(t *testing.T, db storetest.DB, key []byte) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(time.Now().Year(), 3, 1, 12, 0, 0, 0, time.UTC)}
	s := db.OpenWith(t, c.Now, orders.Options{SealKey: key})
	require.NoError(t, s.EnsureMerchant(ctx, orders.Merchant{ID: merchantID, Name: "Shop"}))
	return &fixture{store: s, clock: c, db: db, path: db.Path, raw: db.Raw(t)}
}

func (f *fixture) storedCode(t *testing.T, attemptID string) string {
	t.Helper()
	var v string
	require.NoError(t, f.raw.QueryRow("SELECT code_for_hash FROM attempts WHERE id = ?", attemptID).Scan(&v))
	return v
}

func TestSealedCodeForHashIsNotInTheDatabase(t *testing.T) {
	f := openSealed(t, storetest.New(t), sealKey(1))
	ctx := context.Background()
	o := f.newOrder(t, "r")
	a := f.redirectedAttempt(t, o.ID)

	stored := f.storedCode(t, a.ID)
	assert.True(t, strings.HasPrefix(stored, "v1:"), "stored %q", stored)
	assert.NotContains(t, strings.ToUpper(stored), "9FDFBDFC")
	// Nor anywhere else in the database (SQLite: the file, its WAL included).
	assert.False(t, bytes.Contains(bytes.ToUpper(f.db.Dump(t)), []byte(codeForHash)), "the database holds the CodeForHash")
	// Two seals of one value differ (random nonce).
	b := f.redirectedAttempt(t, f.newOrder(t, "r2").ID)
	assert.NotEqual(t, stored[3:], f.storedCode(t, b.ID)[3:])

	// Callers see the plain value, through every read.
	got, err := f.store.GetAttempt(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, codeForHash, got.CodeForHash)
	order, err := f.store.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, order.Attempts, 1)
	assert.Equal(t, codeForHash, order.Attempts[0].CodeForHash)
	f.clock.Advance(time.Hour)
	stale, err := f.store.StaleAttempts(ctx, f.clock.Now())
	require.NoError(t, err)
	require.Len(t, stale, 2)
	assert.Equal(t, codeForHash, stale[0].CodeForHash)

	// And a verified return is recorded as before (the write reads the attempt too).
	rr, err := f.store.RecordOutcome(ctx, a.ID, orders.Outcome{Success: true, TrxCode: "T1"})
	require.NoError(t, err)
	assert.True(t, rr.Recorded)
	assert.Equal(t, codeForHash, rr.Attempt.CodeForHash)
	assert.Equal(t, orders.StatusPaid, rr.Order.Status)
}

func TestSealedCodeForHashMovedToAnotherAttemptDoesNotOpen(t *testing.T) {
	f := openSealed(t, storetest.New(t), sealKey(1))
	ctx := context.Background()
	a := f.redirectedAttempt(t, f.newOrder(t, "r1").ID)
	other := &orders.Attempt{Installments: 1}
	_, err := f.store.StartAttempt(ctx, f.newOrder(t, "r2").ID, other)
	require.NoError(t, err)
	require.NoError(t, f.store.MarkRedirected(ctx, other.ID, "11111111-2222-3333-4444-555555555555", "https://bank.example/3d"))

	// Someone with write access to the file copies a's sealed value onto the other attempt.
	_, err = f.raw.Exec("UPDATE attempts SET code_for_hash = ? WHERE id = ?", f.storedCode(t, a.ID), other.ID)
	require.NoError(t, err)
	_, err = f.store.GetAttempt(ctx, other.ID)
	require.ErrorIs(t, err, orders.ErrSealKey)
	_, err = f.store.RecordOutcome(ctx, other.ID, orders.Outcome{Success: true})
	require.ErrorIs(t, err, orders.ErrSealKey, "nothing is recorded for it")

	// An altered value does not open either; the untouched attempt still does.
	s := f.storedCode(t, a.ID)
	_, err = f.raw.Exec("UPDATE attempts SET code_for_hash = ? WHERE id = ?", s[:len(s)-4]+"AAA=", other.ID)
	require.NoError(t, err)
	_, err = f.store.GetAttempt(ctx, other.ID)
	require.ErrorIs(t, err, orders.ErrSealKey)
	got, err := f.store.GetAttempt(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, codeForHash, got.CodeForHash)
}

func TestPlainCodeForHashFromBeforeSealingStillReads(t *testing.T) {
	db := storetest.New(t)
	plain := openSealed(t, db, nil)
	ctx := context.Background()
	old := plain.redirectedAttempt(t, plain.newOrder(t, "old").ID)
	assert.Equal(t, codeForHash, plain.storedCode(t, old.ID), "without a key the store writes it as it is")
	require.NoError(t, plain.store.Close())

	f := openSealed(t, db, sealKey(1))
	got, err := f.store.GetAttempt(ctx, old.ID)
	require.NoError(t, err)
	assert.Equal(t, codeForHash, got.CodeForHash)
	rr, err := f.store.RecordOutcome(ctx, old.ID, orders.Outcome{Success: true})
	require.NoError(t, err)
	assert.True(t, rr.Recorded, "an attempt at the bank when sealing was switched on is still verified")

	fresh := f.redirectedAttempt(t, f.newOrder(t, "new").ID)
	assert.True(t, strings.HasPrefix(f.storedCode(t, fresh.ID), "v1:"))
}

func TestWrongSealKeyFailsLoudly(t *testing.T) {
	db := storetest.New(t)
	f := openSealed(t, db, sealKey(1))
	ctx := context.Background()
	a := f.redirectedAttempt(t, f.newOrder(t, "r").ID)
	require.NoError(t, f.store.Close())
	now := func() time.Time { return time.Date(time.Now().Year(), 3, 1, 12, 0, 0, 0, time.UTC) }

	// Another key: the store refuses to open, before any bank return meets it.
	_, err := db.Try(ctx, now, orders.Options{SealKey: sealKey(2)})
	require.ErrorIs(t, err, orders.ErrSealKey)

	// A key of the wrong size never opens a store.
	_, err = db.Try(ctx, now, orders.Options{SealKey: []byte("short")})
	require.Error(t, err)

	// No key at all: the store opens (tools that never read attempts keep working), but
	// reading the sealed attempt is an error, never an empty or a sealed CodeForHash.
	s, err := db.Try(ctx, now, orders.Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.GetAttempt(ctx, a.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no code_for_hash key")
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "checkout.db.key")
	key, err := orders.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	assert.Len(t, key, orders.SealKeySize)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	again, err := orders.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	assert.Equal(t, key, again, "a restart reads the same key")
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left")

	// Processes racing to create it agree on one key.
	racePath := filepath.Join(t.TempDir(), "race.key")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := orders.LoadOrCreateKeyFile(racePath)
			assert.NoError(t, err)
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys {
		assert.Equal(t, keys[0], k)
	}

	// A malformed file is refused and left as it is.
	for _, body := range []string{"", "not hex\n", strings.Repeat("ab", 31) + "\n"} {
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		_, err := orders.LoadOrCreateKeyFile(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "malformed")
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, body, string(b))
	}
}
