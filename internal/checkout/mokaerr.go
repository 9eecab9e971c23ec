package checkout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mokacheckout/checkout/internal/metrics"
	"github.com/mokacheckout/checkout/internal/moka"
)

// mokaAPIError maps a failed Moka call to a 502 answer carrying Moka's result code, or
// returns nil when err did not come from Moka.
func mokaAPIError(err error) *apiError {
	var full *moka.FullMinuteError
	switch {
	case errors.As(err, &full):
		// GET /api/v1/transactions: a minute Moka cannot list whole.
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "too_many_transactions",
			Message: fmt.Sprintf("Moka holds %d or more records in the minute from %s and lists no more than that; "+
				"narrow the list with type, status or sub_dealer_id", moka.MaxTrxListRecords, full.Start.Format(time.RFC3339))}
	case errors.Is(err, moka.ErrTrxListTooManyCalls):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "window_too_dense",
			Message: "the window holds too many transactions to list in one request; ask for a shorter window or add filters"}
	}
	var me *moka.Error
	if errors.As(err, &me) {
		return mokaCodeError(me.ResultCode, me.ResultMessage)
	}
	if isMokaUnavailable(err) {
		return &apiError{Status: http.StatusBadGateway, Code: "moka_unavailable", Message: "the payment service did not answer"}
	}
	return nil
}

// isMokaUnavailable reports a failure to get an answer from Moka at all: timeout,
// HTTP error status, unreadable answer or no connection.
func isMokaUnavailable(err error) bool {
	var se *moka.StatusError
	return errors.Is(err, moka.ErrTimeout) || errors.Is(err, moka.ErrUnavailable) ||
		errors.Is(err, moka.ErrMalformedResponse) || errors.As(err, &se) ||
		errors.Is(err, context.DeadlineExceeded)
}

// cardDeclined reports a Moka answer that is about the buyer's card (details, limits,
// installments the card's bank does not offer, a card whose bank the merchant has no POS
// for): the buyer can fix it with this card or another, so we say "declined" rather than
// "unavailable", and the attempt counts against the order's limit. Anything else, the
// merchant's own installment setup included, is not the buyer's doing.
func cardDeclined(err error) bool {
	var me *moka.Error
	if !errors.As(err, &me) {
		return false
	}
	code := strings.TrimSpace(me.ResultCode)
	switch {
	case strings.HasSuffix(code, "ForDealer"):
		return false
	case strings.Contains(code, ".CheckCardInfo."),
		strings.HasSuffix(code, ".DailyCardLimitExceeded"),
		strings.HasSuffix(code, ".VirtualPosNotAvailable"),
		strings.Contains(code, "Installment"):
		return true
	}
	return false
}

// mokaResultCode is the code recorded on an attempt whose Moka call failed.
func mokaResultCode(err error) string {
	var me *moka.Error
	var ve *moka.ValidationError
	switch {
	case errors.As(err, &me):
		return strings.TrimSpace(me.ResultCode)
	case errors.As(err, &ve):
		return "checkout.invalid_request"
	case errors.Is(err, moka.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "checkout.moka_timeout"
	default:
		return "checkout.moka_unavailable"
	}
}

// errMalformedAnswer marks a Moka success answer we cannot use.
var errMalformedAnswer = moka.ErrMalformedResponse

// mokaMessage is the message recorded on an attempt whose Moka call failed, and whether
// Moka itself refused the request (as opposed to not answering).
func mokaMessage(err error) (string, bool) {
	var me *moka.Error
	if errors.As(err, &me) {
		return strings.TrimSpace(me.ResultMessage), true
	}
	var ve *moka.ValidationError
	if errors.As(err, &ve) {
		// Refused by the client before sending: our request, not Moka, is at fault.
		return ve.Error(), true
	}
	return "the payment service did not answer", false
}

// newMokaClient builds the merchant's Moka client.
func newMokaClient(m Merchant, timeout time.Duration, met *metrics.Metrics) *moka.Client {
	return moka.New(m.MokaBaseURL, m.Moka, moka.WithTimeout(timeout), moka.WithObserver(met.ObserveMoka))
}

// validateMarketplace runs Moka's scenario rules and names the failing field our way.
func validateMarketplace(in orderInput) error {
	err := moka.ValidateMarketplace(in.Amount, mokaCurrency(in.Currency), in.CommissionScenario, mokaSubDealers(in.SubDealers))
	if err == nil {
		return nil
	}
	var ve *moka.ValidationError
	if errors.As(err, &ve) {
		field := ourField(ve.Field)
		return badRequest(codeForField(field), field, ourReason(field, ve.Reason))
	}
	return badRequest("sub_dealers_invalid", "sub_dealers", err.Error())
}

// ourReason makes Moka's rule text a message in our API's words that names the field,
// like the other input errors: "sub_dealers[1].dealer_id appears more than once".
func ourReason(field, reason string) string {
	for _, w := range []string{"AmountToBeCommissioned", "Amount"} {
		reason = strings.ReplaceAll(reason, w, snake(w))
	}
	if strings.HasPrefix(reason, "the ") || strings.HasPrefix(reason, "at least ") {
		return field + ": " + reason
	}
	return field + " " + reason
}
