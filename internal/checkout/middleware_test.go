package checkout_test

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
)

func TestAccessLogKeepsQueriesAndBodiesOut(t *testing.T) {
	e := newEnv(t)
	r := e.get(e.link(linkParams("L-1", "150.00"), e.clock.Now().Add(time.Hour)))
	require.Equal(t, http.StatusSeeOther, r.status)
	id := r.header.Get("X-Request-Id")
	require.NotEmpty(t, id)
	e.api(http.MethodPost, "/api/v1/orders", `{"reference":"secret-ref","amount":"1.00","currency":"TRY"}`)

	var found bool
	sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
	for sc.Scan() {
		var line map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		if line["request_id"] == id {
			found = true
			assert.Equal(t, "request", line["msg"])
			assert.Equal(t, "GET", line["method"])
			assert.Equal(t, "/link", line["path"])
			assert.Equal(t, 303.0, line["status"])
			assert.Contains(t, line, "duration")
		}
	}
	assert.True(t, found, "the request is logged under its id")
	assert.NotContains(t, e.logs.String(), "sig=")
	assert.NotContains(t, e.logs.String(), "shop-link")
	assert.NotContains(t, e.logs.String(), "secret-ref")
}

func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	page := e.get("/nothing-here")
	assert.Equal(t, http.StatusNotFound, page.status)
	assert.Contains(t, page.header.Get("Content-Type"), "text/html")

	api := e.api(http.MethodGet, "/api/v1/nothing", "")
	assert.Equal(t, http.StatusNotFound, api.status)
	assert.Contains(t, api.header.Get("Content-Type"), "application/json")
}

// blockingWriter holds every write until released, like a log pipe nobody reads.
type blockingWriter struct {
	entered chan struct{}
	release chan struct{}
	syncBuffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	return w.syncBuffer.Write(p)
}

// A log sink that does not take writes never holds a request: the access log line waits
// in its own queue, and is written once the sink moves again.
func TestAccessLogNeverBlocksRequests(t *testing.T) {
	w := &blockingWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	var released bool
	release := func() {
		if !released {
			released = true
			close(w.release)
		}
	}
	defer release()
	e := newEnv(t, func(o *checkout.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(w, nil))
	})
	// The first line enters the sink and sticks there; the rest queue behind it.
	first := e.get("/healthz")
	require.Equal(t, http.StatusOK, first.status)
	<-w.entered
	ids := []string{first.header.Get("X-Request-Id")}
	for range 20 {
		r := e.get("/healthz")
		require.Equal(t, http.StatusOK, r.status, "answered while the log is stuck")
		ids = append(ids, r.header.Get("X-Request-Id"))
	}
	release()
	checkout.FlushAccessLog(e.server)
	logs := w.String()
	for _, id := range ids {
		assert.Contains(t, logs, `"request_id":"`+id+`"`)
	}
	assert.Zero(t, e.server.AccessLogDropped())
}

// TestHardeningHeaders: every answer, static files too, forbids framing where no merchant
// embeds us, isolates the window and switches off what a card page never needs; on an
// https public URL browsers are told to keep to https.
func TestHardeningHeaders(t *testing.T) {
	e := newEnv(t, func(o *checkout.Options) { o.PublicURL = "https://pay.example" })
	o := e.createOrder(orderBody("HDR-1"))
	for _, path := range []string{"/healthz", "/static/app.css", "/dashboard/login", "/pay/ord_nope"} {
		r := e.get(path)
		assert.Equal(t, "DENY", r.header.Get("X-Frame-Options"), path)
		assert.Equal(t, "same-origin", r.header.Get("Cross-Origin-Opener-Policy"), path)
		assert.Contains(t, r.header.Get("Permissions-Policy"), "camera=()", path)
		assert.Equal(t, "max-age=31536000", r.header.Get("Strict-Transport-Security"), path)
	}
	// The shop may embed its card page: frame-ancestors names it, and no DENY contradicts it.
	r := e.get("/pay/" + o["id"].(string))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Empty(t, r.header.Get("X-Frame-Options"))
	assert.Contains(t, r.header.Get("Content-Security-Policy"), "frame-ancestors "+shopOrigin)

	plain := newEnv(t)
	assert.Empty(t, plain.get("/healthz").header.Get("Strict-Transport-Security"), "no HSTS over http")
}
