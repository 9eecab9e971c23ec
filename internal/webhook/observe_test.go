package webhook_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/webhook"
)

// Options.Observe hears of every try with the receiver's status, or 0 and the error when
// no answer came: what the metrics count by result.
func TestObserveIsToldOfEveryTry(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			http.Error(w, "no", http.StatusBadRequest)
		}
	})
	type try struct {
		status int
		failed bool
	}
	var mu sync.Mutex
	var seen []try
	observe := func(status int, err error, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		assert.GreaterOrEqual(t, d, time.Duration(0))
		seen = append(seen, try{status, err != nil})
	}
	e.order(t, "shop", "A")
	e.order(t, "other", "B")
	down := webhook.Endpoint{URL: "http://127.0.0.1:1/hooks", Secrets: secrets(t, specSecret)} // nothing listens
	w := e.worker(t, map[string]webhook.Endpoint{"shop": rc.endpoint(t), "other": down},
		func(o *webhook.Options) { o.Observe = observe })

	require.Equal(t, 2, runOnce(t, w))
	e.clock.Advance(30 * time.Second)
	require.Equal(t, 2, runOnce(t, w))
	mu.Lock()
	defer mu.Unlock()
	assert.ElementsMatch(t, []try{{400, true}, {0, true}, {200, false}, {0, true}}, seen)
}
