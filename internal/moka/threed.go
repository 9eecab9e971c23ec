package moka

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// StartThreeD starts a 3-D Secure payment for the dealer itself
// (DoDirectPaymentThreeD). The request must carry no SubDealer and no CommissionScenario.
// On success, send the buyer to the result's URL and keep CodeForHash server-side: it is
// what the RedirectUrl's hashValue is checked against.
func (c *Client) StartThreeD(ctx context.Context, req ThreeDRequest) (*ThreeDResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if req.CommissionScenario != 0 {
		return nil, &ValidationError{Field: "CommissionScenario", Reason: "must be empty for the plain 3-D service"}
	}
	if len(req.SubDealer) > 0 {
		return nil, &ValidationError{Field: "SubDealer", Reason: "must be empty for the plain 3-D service"}
	}
	return startThreeD(ctx, c, PathThreeD, req)
}

// StartThreeDMarketPlace starts a 3-D Secure marketplace payment
// (DoDirectPaymentThreeDMarketPlace): the amount is split among SubDealer under
// CommissionScenario, and the scenario's rules are checked before anything is sent.
func (c *Client) StartThreeDMarketPlace(ctx context.Context, req ThreeDRequest) (*ThreeDResult, error) {
	if err := req.ValidateMarketPlace(); err != nil {
		return nil, err
	}
	return startThreeD(ctx, c, PathThreeDMarketPlace, req)
}

func startThreeD(ctx context.Context, c *Client, p string, req ThreeDRequest) (*ThreeDResult, error) {
	res, err := call[ThreeDRequest, ThreeDResult](ctx, c, p, req)
	var me *Error
	if errors.As(err, &me) {
		// Moka's messages are free text; should one ever echo the card, it stops here.
		me.ResultMessage = redact(me.ResultMessage, req.CardNumber, req.CvcNumber)
	}
	if err != nil {
		return nil, err
	}
	res.URL = strings.TrimSpace(res.URL)
	res.CodeForHash = strings.TrimSpace(res.CodeForHash)
	if res.CodeForHash == "" {
		return nil, fmt.Errorf("moka %s: %w: no CodeForHash", serviceName(p), ErrMalformedResponse)
	}
	// The buyer is redirected to this URL, so anything but an absolute web address is
	// refused rather than passed on.
	u, err := url.Parse(res.URL)
	if res.URL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("moka %s: %w: no usable Url", serviceName(p), ErrMalformedResponse)
	}
	return res, nil
}

// redact replaces every occurrence of the given secrets in s.
func redact(s string, secrets ...string) string {
	for _, x := range secrets {
		if x = strings.TrimSpace(x); x != "" {
			s = strings.ReplaceAll(s, x, strings.Repeat("*", len(x)))
		}
	}
	return s
}
