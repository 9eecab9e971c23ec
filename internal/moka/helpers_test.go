package moka_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

var testCreds = moka.Credentials{DealerCode: "dealer-1", Username: "api-user", Password: "s3cret"}

func amt(s string) moka.Amount   { return moka.NewAmount(decimal.RequireFromString(s)) }
func amtp(s string) *moka.Amount { return moka.AmountPtr(decimal.RequireFromString(s)) }

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// fakeMoka is an httptest server that records what it receives and answers with a fixed
// status and body.
type fakeMoka struct {
	*httptest.Server
	mu     sync.Mutex
	hits   int
	path   string
	header http.Header
	body   []byte
}

func newFakeMoka(t *testing.T, status int, answer []byte) *fakeMoka {
	t.Helper()
	f := &fakeMoka{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		f.mu.Lock()
		f.hits++
		f.path, f.header, f.body = r.URL.Path, r.Header.Clone(), buf.Bytes()
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(answer)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeMoka) client(opts ...moka.Option) *moka.Client {
	return moka.New(f.URL+"/", testCreds, opts...)
}

func (f *fakeMoka) received() (hits int, path string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits, f.path, f.body
}

// assertSameJSON compares two JSON documents semantically: numbers, and strings that hold
// numbers on the other side, are equal when equal as decimals ("2.00" and 2 and 2.0); a key
// missing on one side equals an empty string, zero or null on the other (Moka's "blank").
func assertSameJSON(t *testing.T, want, got []byte) {
	t.Helper()
	var w, g any
	dw := json.NewDecoder(bytes.NewReader(want))
	dw.UseNumber()
	require.NoError(t, dw.Decode(&w))
	dg := json.NewDecoder(bytes.NewReader(got))
	dg.UseNumber()
	require.NoError(t, dg.Decode(&g))
	compareJSON(t, "$", w, g)
}

func compareJSON(t *testing.T, at string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !assert.Truef(t, ok, "%s: want an object, got %v", at, got) {
			return
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !wok:
				assert.Truef(t, blank(gv), "%s.%s: not in the sample, sent %v", at, k, gv)
			case !gok:
				assert.Truef(t, blank(wv), "%s.%s: in the sample (%v), not sent", at, k, wv)
			default:
				compareJSON(t, at+"."+k, wv, gv)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !assert.Truef(t, ok, "%s: want an array, got %v", at, got) || !assert.Lenf(t, g, len(w), "%s", at) {
			return
		}
		for i := range w {
			compareJSON(t, at+"["+decimal.NewFromInt(int64(i)).String()+"]", w[i], g[i])
		}
	default:
		wd, werr := numeric(want)
		gd, gerr := numeric(got)
		_, wNum := want.(json.Number)
		_, gNum := got.(json.Number)
		if (wNum || gNum) && werr == nil && gerr == nil {
			assert.Truef(t, wd.Equal(gd), "%s: want %v, got %v", at, want, got)
			return
		}
		assert.Equalf(t, want, got, "%s", at)
	}
}

func numeric(v any) (decimal.Decimal, error) {
	switch x := v.(type) {
	case json.Number:
		return decimal.NewFromString(x.String())
	case string:
		return decimal.NewFromString(x)
	}
	return decimal.Zero, assert.AnError
}

func blank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case json.Number:
		d, err := decimal.NewFromString(x.String())
		return err == nil && d.IsZero()
	}
	return false
}
