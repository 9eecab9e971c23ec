package checkout_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/checkout"
	"github.com/mokacheckout/checkout/internal/orders"
	"github.com/mokacheckout/checkout/internal/storetest"
)

// With room for two requests, two card posts held at a Moka that does not answer fill
// the checkout: every other request is answered 503 with Retry-After at once (the
// test's requests would hang otherwise), nothing is stored for them, the bank's return
// still has its reserve, and /healthz still answers. Once Moka answers, all is as before.
func TestOverloadShedsFastAndStoresNothingWrong(t *testing.T) {
	moka, arrived, unblock := stuckMoka(t, 2)

	e := newEnv(t, func(o *checkout.Options) {
		o.MaxInFlight = 2
		o.Merchants[0].MokaBaseURL = moka.URL
	})
	ids := []string{e.createOrder(orderBody("R-1"))["id"].(string), e.createOrder(orderBody("R-2"))["id"].(string)}
	forms := make([]url.Values, 2)
	actions := make([]string, 2)
	for i, id := range ids {
		token, action := e.payForm("/pay/" + id)
		forms[i], actions[i] = cardValues(successCard, token), action
	}

	before := countOrders(t, e)

	// Two card posts reach Moka and wait there, each holding a slot.
	var wg sync.WaitGroup
	held := make([]int, 2)
	for i := range ids {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.abs(actions[i]), strings.NewReader(forms[i].Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			if resp, err := e.client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				held[i] = resp.StatusCode
			}
		})
	}
	<-arrived
	<-arrived

	api := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-3"))
	assert.Equal(t, http.StatusServiceUnavailable, api.status, api.body)
	assert.Equal(t, "1", api.header.Get("Retry-After"))
	assert.Equal(t, "overloaded", api.json(t)["error"].(map[string]any)["code"])
	assert.Equal(t, "nosniff", api.header.Get("X-Content-Type-Options"), "a shed answer has the security headers")

	page := e.get("/pay/"+ids[0], "Accept-Language", "tr")
	assert.Equal(t, http.StatusServiceUnavailable, page.status)
	assert.Equal(t, "1", page.header.Get("Retry-After"))
	assert.Contains(t, page.body, "Şu an çok yoğunuz")
	assert.NotContains(t, page.body, successCard)

	read := e.api(http.MethodGet, "/api/v1/orders/"+ids[0], "")
	assert.Equal(t, http.StatusServiceUnavailable, read.status)

	health := e.get("/healthz")
	assert.Equal(t, http.StatusOK, health.status, "a busy checkout is not a dead one")
	static := e.get("/static/no-such-file.css")
	assert.Equal(t, http.StatusNotFound, static.status, "static files are served, not shed")

	// The bank's return has its own reserve: it is served (here: an unknown attempt).
	ret := e.postForm("/pay/"+ids[0]+"/return/att_unknown", url.Values{"hashValue": {"x"}}, "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusNotFound, ret.status, "served, not shed")

	assert.Equal(t, int64(3), e.server.Shed())
	assert.NotContains(t, e.logs.String(), `"level":"ERROR"`, "a request shed is not an error; the access log has it")
	assert.Contains(t, e.logs.String(), `"status":503`)

	unblock()
	wg.Wait()
	assert.Equal(t, []int{http.StatusBadGateway, http.StatusBadGateway}, held, "Moka's failure, shown to the buyer")
	assert.Equal(t, before, countOrders(t, e), "a shed create stored nothing")
	for _, id := range ids {
		o := e.order(id)
		assert.Equal(t, "open", o["status"], "a Moka outage leaves the order payable")
	}
	again := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-3"))
	assert.Equal(t, http.StatusCreated, again.status, "the shed request may simply be sent again")
}

// stuckMoka is a Moka that holds every call until unblock is called (at the latest when
// the test ends), then answers 500. arrived receives once per call held, up to n.
func stuckMoka(t *testing.T, n int) (srv *httptest.Server, arrived <-chan struct{}, unblock func()) {
	in, release := make(chan struct{}, n), make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in <- struct{}{}
		<-release
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	var once sync.Once
	unblock = func() { once.Do(func() { close(release) }) }
	t.Cleanup(srv.Close)
	t.Cleanup(unblock) // runs first: the held calls end before the server closes
	return srv, in, unblock
}

func countOrders(t *testing.T, e *env) int {
	t.Helper()
	n := 0
	for _, ref := range []string{"R-1", "R-2", "R-3"} {
		n += len(e.ordersByReference(ref))
	}
	return n
}

// A store that cannot take the write (overloaded, its commit failed, or closing) is a
// 503 with Retry-After: retryable, never a 500.
func TestStoreUnavailableIs503(t *testing.T) {
	if storetest.Postgres() {
		t.Skip("holds SQLite's write lock from another connection")
	}
	path := filepath.Join(t.TempDir(), "checkout.db")
	e := newEnv(t, func(o *checkout.Options) {
		store, err := orders.OpenWith(context.Background(), path, time.Now, orders.Options{BusyTimeout: 20 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { store.Close() })
		o.Store = store
	})
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	token, action := e.payForm("/pay/" + id)
	// Another process holds SQLite's write lock: the store's writes cannot commit.
	other, err := sql.Open("sqlite3", path)
	require.NoError(t, err)
	defer other.Close()
	lock, err := other.Conn(context.Background())
	require.NoError(t, err)
	defer lock.Close()
	_, err = lock.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	require.NoError(t, err)

	api := e.api(http.MethodPost, "/api/v1/orders", orderBody("R-2"))
	assert.Equal(t, http.StatusServiceUnavailable, api.status, api.body)
	assert.Equal(t, "1", api.header.Get("Retry-After"))
	assert.Equal(t, "unavailable", api.json(t)["error"].(map[string]any)["code"])

	card := e.postForm(action, cardValues(successCard, token), "Sec-Fetch-Site", "same-origin", "Accept-Language", "en")
	assert.Equal(t, http.StatusServiceUnavailable, card.status)
	assert.Equal(t, "1", card.header.Get("Retry-After"))
	assert.Contains(t, card.body, "Very busy right now")
	assert.NotContains(t, card.body, successCard)
	// The failed writes are logged with their cause, once each; nothing else is an error.
	logs := e.logs.String()
	assert.Equal(t, 2, strings.Count(logs, "write not committed; answered 503"), logs)
	assert.Equal(t, 2, strings.Count(logs, `"level":"ERROR"`), logs)
	assert.Contains(t, logs, "database is locked", "the cause is in the log")
	assert.NotContains(t, logs, successCard)

	_, err = lock.ExecContext(context.Background(), "ROLLBACK")
	require.NoError(t, err)
	o := e.order(id)
	assert.Equal(t, "open", o["status"], "nothing of the refused card post was stored")
	assert.Empty(t, o["attempts"])
	assert.Equal(t, http.StatusCreated, e.api(http.MethodPost, "/api/v1/orders", orderBody("R-2")).status)
}

// The bank's return is the last to be turned away: with every slot and its reserve taken
// it waits for one, and only then is answered 503 with Retry-After.
func TestBankReturnWaitsForItsReserve(t *testing.T) {
	moka, arrived, unblock := stuckMoka(t, 1)
	e := newEnv(t, func(o *checkout.Options) {
		o.MaxInFlight = 1 // one slot, and a reserve of one for the bank's return
		o.Merchants[0].MokaBaseURL = moka.URL
	})
	id := e.createOrder(orderBody("R-1"))["id"].(string)
	token, action := e.payForm("/pay/" + id)

	// The slot: a card post waiting at Moka.
	var wg sync.WaitGroup
	wg.Go(func() {
		req, _ := http.NewRequest(http.MethodPost, e.abs(action), strings.NewReader(cardValues(successCard, token).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if resp, err := e.client.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	<-arrived
	// The reserve: a bank return for the attempt at Moka, whose body has not arrived
	// yet; the handler waits for it while it holds the reserve.
	o, err := e.store.GetOrder(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, o.Attempts, 1)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /pay/%s/return/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\n", id, o.Attempts[0].ID)
	require.NoError(t, err)

	// Another return is served at once while the reserve is free, and is turned away,
	// after its wait, once the slow one holds it.
	var ret response
	for {
		ret = e.postForm("/pay/"+id+"/return/att_other", url.Values{"hashValue": {"x"}}, "Sec-Fetch-Site", "cross-site")
		if ret.status != http.StatusNotFound {
			break
		}
		runtime.Gosched()
	}
	assert.Equal(t, http.StatusServiceUnavailable, ret.status, "turned away after its wait")
	assert.Equal(t, "1", ret.header.Get("Retry-After"))

	// The slow return completes (that attempt never reached the bank: on to the result
	// page); the reserve is free again and a return is served.
	_, err = conn.Write([]byte("hashValue=x"))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	served := e.postForm("/pay/"+id+"/return/att_other", url.Values{"hashValue": {"x"}}, "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusNotFound, served.status, "served from the reserve")
	unblock()
	wg.Wait()
}
