package moka

import "context"

// Capture turns a pre-authorisation into a payment (DoCapture), for an amount up to the
// authorised one, split among the sub-dealers.
func (c *Client) Capture(ctx context.Context, req CaptureRequest) (*BankResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return bankCall(ctx, c, PathCapture, req)
}
