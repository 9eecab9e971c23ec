package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/mokacheckout/checkout/internal/moka"
)

// Temporary: replaced by mokaerr.go once internal/moka's client lands.

type pendingPayer struct{}

func (pendingPayer) StartThreeD(context.Context, moka.ThreeDRequest) (*moka.ThreeDResult, error) {
	return nil, errors.New("moka client not wired yet")
}

func (pendingPayer) StartThreeDMarketPlace(context.Context, moka.ThreeDRequest) (*moka.ThreeDResult, error) {
	return nil, errors.New("moka client not wired yet")
}

func newMokaClient(Merchant, time.Duration) payer { return pendingPayer{} }

func mokaAPIError(error) *apiError { return nil }

func cardDeclined(error) (string, bool) { return "", false }

func mokaResultCode(error) string { return "checkout.moka_unavailable" }

func mokaMessage(error) (string, bool) { return "the payment service did not answer", false }

var errMalformedAnswer = errors.New("malformed answer")

func validateMarketplace(orderInput) error { return nil }
