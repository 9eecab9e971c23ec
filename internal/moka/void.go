package moka

import "context"

// VoidReasonMerchantCancel is the VoidRefundReason Moka documents for a merchant's own
// cancel; Void sends it when the request leaves the reason zero.
const VoidReasonMerchantCancel = 2

// Void cancels a payment on the day it was made, until 22:00 Turkey time (DoVoid).
// Later, use CreateRefundRequest.
func (c *Client) Void(ctx context.Context, req VoidRequest) (*BankResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if req.VoidRefundReason == 0 {
		req.VoidRefundReason = VoidReasonMerchantCancel
	}
	return bankCall(ctx, c, PathVoid, req)
}
