package checkout_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateOrderRejectsScenarioSums(t *testing.T) {
	e := newEnv(t)
	// Scenario 1: the sub-dealers' amounts must add up to the order amount.
	r := e.api(http.MethodPost, "/api/v1/orders", `{"reference":"M","amount":"100.00","currency":"TRY",
		"commission_scenario":1,"sub_dealers":[
		{"dealer_id":166,"amount":"50.00","dealer_commission_rate":"2"},
		{"dealer_id":167,"amount":"40.00","dealer_commission_rate":"2"}]}`)
	require.Equal(t, http.StatusBadRequest, r.status, r.body)
	body := r.json(t)["error"].(map[string]any)
	assert.Contains(t, body["field"], "sub_dealers", r.body)
	assert.NotContains(t, r.body, "SubDealer", "Moka's field names are translated to ours")
}

func TestCreateOrderMarketplaceFields(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, subs string
		scenario   int
		code       string
		field      string
		message    string
	}{
		{"scenario 2 needs a rate", `[{"dealer_id":166,"amount":"50.00","dealer_commission_rate":"2"},{"dealer_id":167,"amount":"50.00"}]`,
			2, "dealer_commission_rate_invalid", "sub_dealers[1].dealer_commission_rate",
			"sub_dealers[1].dealer_commission_rate is required in commission scenario 2"},
		{"dealer ids unique", `[{"dealer_id":166,"amount":"50.00"},{"dealer_id":166,"amount":"50.00"}]`,
			1, "dealer_id_invalid", "sub_dealers[1].dealer_id", "sub_dealers[1].dealer_id appears more than once"},
		{"scenario 7", `[{"dealer_id":166,"amount":"100.00"}]`, 7, "commission_scenario_invalid", "commission_scenario",
			"commission_scenario from 1 to 6 is required with sub_dealers"},
		{"scenario 6 must leave a commission", `[{"dealer_id":166,"amount":"100.00"}]`, 6, "sub_dealers_invalid", "sub_dealers",
			"sub_dealers: the sub-dealer amounts must add up to less than amount in scenario 6"},
		{"sub-dealer amount three decimals", `[{"dealer_id":166,"amount":"100.001"}]`, 1, "amount_invalid", "sub_dealers[0].amount", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"reference":"M","amount":"100.00","currency":"TRY","commission_scenario":` +
				strconv.Itoa(tc.scenario) + `,"sub_dealers":` + tc.subs + `}`
			r := e.api(http.MethodPost, "/api/v1/orders", body)
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			got := r.json(t)["error"].(map[string]any)
			assert.Equal(t, tc.code, got["code"], r.body)
			assert.Equal(t, tc.field, got["field"], r.body)
			if tc.message != "" {
				assert.Equal(t, tc.message, got["message"], r.body)
			}
		})
	}
}
