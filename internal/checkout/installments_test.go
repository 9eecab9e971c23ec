package checkout_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

const singlePaymentCard = "4824894728063019" // sandbox BIN 482489: single payment only

// countCalls counts the sandbox's calls of one service, letting them through.
func countCalls(e *env, path string) *atomic.Int64 {
	n := new(atomic.Int64)
	e.override.set(func(_ http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == path {
			n.Add(1)
		}
		return false
	})
	return n
}

func TestInstallmentTableOffersTheCardsOptions(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("R-T", `"installments":[1,2,3,6]`, `"locale":"tr"`))
	path := "/pay/" + o["id"].(string) + "/installments?bin="
	tests := []struct {
		name, bin string
		want      []any
	}{
		{"2, 3 and 6 installments", "418344", []any{
			map[string]any{"installments": 1.0, "monthly": "150.00", "total": "150.00", "label": "Tek çekim: 150,00 TL"},
			map[string]any{"installments": 2.0, "monthly": "75.00", "total": "150.00", "label": "2 × 75,00 TL = 150,00 TL"},
			map[string]any{"installments": 3.0, "monthly": "50.00", "total": "150.00", "label": "3 × 50,00 TL = 150,00 TL"},
			map[string]any{"installments": 6.0, "monthly": "25.00", "total": "150.00", "label": "6 × 25,00 TL = 150,00 TL"},
		}},
		{"single payment only", "482489", []any{
			map[string]any{"installments": 1.0, "monthly": "150.00", "total": "150.00", "label": "Tek çekim: 150,00 TL"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(path + tt.bin)
			require.Equal(t, http.StatusOK, r.status, r.body)
			assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
			got := r.json(t)
			assert.Equal(t, true, got["checked"])
			assert.Equal(t, tt.want, got["options"])
		})
	}
}

func TestInstallmentTableRefusesMoreThanABIN(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("R-B", `"installments":[1,3]`))
	calls := countCalls(e, moka.PathCalcPaymentTable)
	for _, bin := range []string{"", "41834", "4183441122223339", "41834a"} {
		r := e.get("/pay/" + o["id"].(string) + "/installments?bin=" + url.QueryEscape(bin))
		assert.Equal(t, http.StatusBadRequest, r.status, bin)
	}
	assert.Zero(t, calls.Load())
	assert.NotContains(t, e.logs.String(), "4183441122223339")
}

func TestInstallmentTableIsCached(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("R-C", `"installments":[1,3]`))
	calls := countCalls(e, moka.PathCalcPaymentTable)
	for range 3 {
		r := e.get("/pay/" + o["id"].(string) + "/installments?bin=418344")
		require.Equal(t, http.StatusOK, r.status)
	}
	assert.Equal(t, int64(1), calls.Load())
}

func TestInstallmentTableFallsBackWhenMokaFails(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("R-F", `"installments":[1,3]`, `"locale":"en"`))
	e.override.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != moka.PathCalcPaymentTable {
			return false
		}
		w.WriteHeader(http.StatusInternalServerError)
		return true
	})
	r := e.get("/pay/" + o["id"].(string) + "/installments?bin=482489")
	require.Equal(t, http.StatusOK, r.status)
	got := r.json(t)
	assert.Equal(t, false, got["checked"])
	assert.Len(t, got["options"], 2, "the order's own counts, unchecked")
	assert.Contains(t, e.logs.String(), "moka installment table failed")
	assert.NotContains(t, e.logs.String(), "482489")

	// The card form is not held up either: 3 installments go to the bank.
	res := e.submitCard("/pay/"+o["id"].(string), successCard, func(v url.Values) { v.Set("installments", "3") })
	assert.Equal(t, http.StatusSeeOther, res.status, res.body)
}

func TestCardFormRefusesAnInstallmentTheCardDoesNotOffer(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("R-S", `"installments":[1,3]`, `"locale":"tr"`))
	id := o["id"].(string)
	threeD := countCalls(e, moka.PathThreeD)

	r := e.submitCard("/pay/"+id, singlePaymentCard, func(v url.Values) { v.Set("installments", "3") })
	require.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
	d := r.doc(t)
	assert.Contains(t, d.Find("#installments-error").Text(), "bu taksit sayısını sunmuyor")
	// The table for the card's BIN: a single payment only, with its total.
	assert.Equal(t, "1", d.Find(`input[name="installments"]`).AttrOr("value", ""))
	assert.Equal(t, "Tek çekim: 150,00 TL", strings.TrimSpace(d.Find("#installments-fixed").Text()))
	assert.NotContains(t, r.body, singlePaymentCard)
	assert.Zero(t, threeD.Load(), "Moka's 3-D start is not called")
	assert.Empty(t, e.order(id)["attempts"], "no attempt is used")

	// The same card as a single payment goes to the bank.
	r = e.submitCard("/pay/"+id, singlePaymentCard)
	assert.Equal(t, http.StatusSeeOther, r.status, r.body)
}

func TestCardFormShowsTheTableOfTheCardsBank(t *testing.T) {
	e := newEnv(t)
	// Merchant offers 1, 2, 3, 6; the order 1, 3, 6; card 418344's bank offers 1, 2, 3, 6.
	o := e.createOrder(orderBody("R-P", `"installments":[1,3,6]`, `"locale":"tr"`))
	id := o["id"].(string)
	page := e.get("/pay/" + id)
	sel := page.doc(t).Find("select#installments")
	assert.Equal(t, "/pay/"+id+"/installments", sel.AttrOr("data-table-url", ""))

	// 6 installments are offered by 418344's bank: the form goes to the bank.
	r := e.submitCard("/pay/"+id, successCard, func(v url.Values) { v.Set("installments", "6") })
	assert.Equal(t, http.StatusSeeOther, r.status, r.body)
}
