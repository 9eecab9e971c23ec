package moka

import (
	"context"
	"path"
	"strings"
)

// MaxTrxListRecords is the most records GetPaymentTrxList answers; a window that may
// hold more must be split by the caller.
const MaxTrxListRecords = 1000

// PaymentTrxList lists payments whose transactions fall in a date window
// (GetPaymentTrxList). Dates are Istanbul time in DateLayout.
func (c *Client) PaymentTrxList(ctx context.Context, req TrxListRequest) (*TrxListResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	res, err := call[TrxListRequest, TrxListResult](ctx, c, PathPaymentTrxList, req)
	if err != nil {
		return nil, err
	}
	for i := range res.PaymentTrxList {
		res.PaymentTrxList[i].PaymentDetail.trim()
		trimTrxs(res.PaymentTrxList[i].PaymentTrxDetailList)
	}
	return res, nil
}

// PaymentDetail finds one payment and its transactions by Moka's DealerPaymentId or by our
// OtherTrxCode (GetDealerPaymentTrxDetailList). Reconciliation uses it to learn the outcome
// of a 3-D attempt whose return never came: paid is PaymentStatus 2 with TrxStatus 1.
func (c *Client) PaymentDetail(ctx context.Context, req PaymentDetailRequest) (*PaymentDetailResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	res, err := call[PaymentDetailRequest, PaymentDetailResult](ctx, c, PathDealerPaymentTrxList, req)
	if err != nil {
		return nil, err
	}
	res.PaymentDetail.trim()
	trimTrxs(res.PaymentTrxDetailList)
	return res, nil
}

func (d *PaymentDetail) trim() {
	d.OtherTrxCode = strings.TrimSpace(d.OtherTrxCode)
	d.CardHolderFullName = strings.TrimSpace(d.CardHolderFullName)
	d.CardNumberFirstSix = strings.TrimSpace(d.CardNumberFirstSix)
	d.CardNumberLastFour = strings.TrimSpace(d.CardNumberLastFour)
	d.PaymentDate = strings.TrimSpace(d.PaymentDate)
	d.CurrencyCode = strings.TrimSpace(d.CurrencyCode)
	d.Description = strings.TrimSpace(d.Description)
}

func trimTrxs(ts []Trx) {
	for i := range ts {
		t := &ts[i]
		t.TrxCode = strings.TrimSpace(t.TrxCode)
		t.TrxDate = strings.TrimSpace(t.TrxDate)
		t.VirtualPosOrderID = strings.TrimSpace(t.VirtualPosOrderID)
		t.ResultMessage = strings.TrimSpace(t.ResultMessage)
	}
}

// serviceName is the Moka service name of a path, used in error messages.
func serviceName(p string) string { return path.Base(p) }
