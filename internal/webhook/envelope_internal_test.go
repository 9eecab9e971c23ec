package webhook

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The body written by hand is byte for byte what json.Marshal makes of the envelope,
// for an order json.Marshal wrote (as OrderView's and the stored payloads are).
func TestEnvelopeMarshalIsJSONMarshal(t *testing.T) {
	created := time.Now().UTC()
	view, err := json.Marshal(map[string]any{"id": "ord_1", "amount": "150.00", "reference": "<a&b>\u2028", "n": []int{1}})
	require.NoError(t, err)
	for _, order := range []json.RawMessage{nil, view, json.RawMessage(`{}`)} {
		e := envelope{ID: `evt_"1"`, Type: "order.paid", CreatedAt: created}
		e.Data.Order = order
		want, err := json.Marshal(e)
		require.NoError(t, err)
		got, err := e.marshal()
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
		assert.True(t, json.Valid(got))
	}
}
