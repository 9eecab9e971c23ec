package moka

import "context"

// CreateRefundRequest asks Moka to refund a payment from the day after it was made
// (DoCreateRefundRequest). A zero Amount refunds what remains. The answer's
// RefundRequestId names a request, not a refund: the money moves when Moka completes it.
func (c *Client) CreateRefundRequest(ctx context.Context, req RefundRequest) (*BankResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return bankCall(ctx, c, PathCreateRefundRequest, req)
}
