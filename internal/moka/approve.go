package moka

import "context"

// ApprovePoolPayment releases a pool payment to the listed sub-dealers
// (DoApprovePoolPayment).
func (c *Client) ApprovePoolPayment(ctx context.Context, req ApproveRequest) (*BankResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return bankCall(ctx, c, PathApprovePoolPayment, req)
}

// UndoApprovePoolPayment takes back an approval of a pool payment (UndoApprovePoolPayment).
func (c *Client) UndoApprovePoolPayment(ctx context.Context, req ApproveRequest) (*BankResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return bankCall(ctx, c, PathUndoApprovePool, req)
}
