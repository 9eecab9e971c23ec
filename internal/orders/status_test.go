package orders_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mokacheckout/checkout/internal/orders"
)

func TestCanTransitionAllPairs(t *testing.T) {
	allowed := map[[2]orders.Status]bool{
		{orders.StatusOpen, orders.StatusProcessing}:                     true,
		{orders.StatusOpen, orders.StatusExpired}:                        true,
		{orders.StatusOpen, orders.StatusCanceled}:                       true,
		{orders.StatusProcessing, orders.StatusPaid}:                     true,
		{orders.StatusProcessing, orders.StatusAuthorized}:               true,
		{orders.StatusProcessing, orders.StatusOpen}:                     true,
		{orders.StatusProcessing, orders.StatusExpired}:                  true,
		{orders.StatusProcessing, orders.StatusCanceled}:                 true,
		{orders.StatusAuthorized, orders.StatusPaid}:                     true,
		{orders.StatusAuthorized, orders.StatusCanceled}:                 true,
		{orders.StatusPaid, orders.StatusCanceled}:                       true,
		{orders.StatusPaid, orders.StatusPartiallyRefunded}:              true,
		{orders.StatusPaid, orders.StatusRefunded}:                       true,
		{orders.StatusPartiallyRefunded, orders.StatusRefunded}:          true,
		{orders.StatusPartiallyRefunded, orders.StatusPartiallyRefunded}: true,
	}
	all := orders.AllStatuses()
	assert.Len(t, all, 8)
	for _, from := range all {
		for _, to := range all {
			t.Run(fmt.Sprintf("%s->%s", from, to), func(t *testing.T) {
				assert.Equal(t, allowed[[2]orders.Status{from, to}], orders.CanTransition(from, to))
			})
		}
	}
	assert.False(t, orders.CanTransition("bogus", orders.StatusOpen))
	assert.False(t, orders.CanTransition(orders.StatusOpen, "bogus"))
}

func TestErrorCodes(t *testing.T) {
	inFlight := &orders.Error{Code: orders.CodeAttemptInFlight, Message: "busy"}
	wrapped := fmt.Errorf("start attempt: %w", inFlight)
	assert.True(t, errors.Is(wrapped, &orders.Error{Code: orders.CodeAttemptInFlight}))
	assert.False(t, errors.Is(wrapped, &orders.Error{Code: orders.CodeOrderExpired}))
	assert.False(t, errors.Is(wrapped, orders.ErrNotFound))
	assert.True(t, errors.Is(fmt.Errorf("get: %w", orders.ErrNotFound), orders.ErrNotFound))
	assert.Equal(t, "attempt_in_flight", orders.ErrorCode(wrapped))
	assert.Equal(t, "not_found", orders.ErrorCode(orders.ErrNotFound))
	assert.Equal(t, "internal", orders.ErrorCode(errors.New("disk on fire")))
	assert.Equal(t, "", orders.ErrorCode(nil))
	assert.Equal(t, "duplicate_reference (reference): taken",
		(&orders.Error{Code: orders.CodeDuplicateReference, Field: "reference", Message: "taken"}).Error())
}
