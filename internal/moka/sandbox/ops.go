package sandbox

import (
	"net/http"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

// Bank-level result codes in Data.ResultCode when Data.IsSuccessful is false (ISO 8583
// response codes, as Moka passes the bank's answer through).
const (
	BankCodeNotFound           = "25" // unable to locate the record: no such payment
	BankCodeInvalidTransaction = "12" // the payment is not in a state that allows this
)

const (
	codeCaptureInvalidAmount = "PaymentDealer.DoCapture.InvalidAmount"
	approvePrefix            = "PaymentDealer.DoApprovePoolPayment."
	undoPrefix               = "PaymentDealer.UndoApprovePoolPayment."
	refundPrefix             = "PaymentDealer.DoCreateRefundRequest."
	voidPrefix               = "PaymentDealer.DoVoid."
)

func bankFailure(code, msg string) moka.BankResult {
	return moka.BankResult{IsSuccessful: false, ResultCode: code, ResultMessage: msg}
}

func (s *Server) handleCapture(w http.ResponseWriter, r *http.Request) {
	req, d, ok := decode[moka.CaptureRequest](s, w, r, authPayment)
	if !ok {
		return
	}
	amount := req.Amount.Decimal
	if amount.Equal(exAmount) {
		writeEX(w, "amount 99.99 always answers EX")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(d.DealerCode, req.VirtualPosOrderID, req.OtherTrxCode)
	switch {
	case p == nil:
		writeSuccess(w, bankFailure(BankCodeNotFound, "Payment not found"))
		return
	case p.status != moka.PaymentStatusPreAuth || p.trxStatus != moka.TrxStatusSuccess:
		writeSuccess(w, bankFailure(BankCodeInvalidTransaction, "Payment is not an open pre-authorisation"))
		return
	}
	sum := decimal.Zero
	for _, sd := range req.SubDealer {
		if sd.Amount != nil {
			sum = sum.Add(sd.Amount.Decimal)
		}
		if len(p.subs) > 0 && p.sub(int64(sd.DealerID)) == nil {
			writeCode(w, codeCaptureInvalidAmount)
			return
		}
	}
	if !amount.IsPositive() || amount.GreaterThan(p.provision) || (len(req.SubDealer) > 0 && !sum.Equal(amount)) {
		writeCode(w, codeCaptureInvalidAmount)
		return
	}
	p.amount = amount
	p.status, p.trxStatus = moka.PaymentStatusPayment, moka.TrxStatusSuccess
	s.addTrx(p, s.now(), moka.TrxTypePayment, moka.TrxStatusSuccess, amount, "")
	writeSuccess(w, moka.BankResult{IsSuccessful: true, ResultCode: "00"})
}

func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request) {
	s.approve(w, r, approvePrefix, true)
}

func (s *Server) handleUndoApprove(w http.ResponseWriter, r *http.Request) {
	s.approve(w, r, undoPrefix, false)
}

// approve approves (or undoes the approval of) a pool payment for the listed sub-dealers,
// or for all of them when none is listed. Undo answers PaymentNotApproved when nothing
// listed is approved.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, prefix string, approve bool) {
	req, d, ok := decode[moka.ApproveRequest](s, w, r, authPlain)
	if !ok {
		return
	}
	if req.VirtualPosOrderID == "" && req.OtherTrxCode == "" {
		writeCode(w, prefix+"OtherTrxCodeOrVirtualPosOrderIdMustGiven")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(d.DealerCode, req.VirtualPosOrderID, req.OtherTrxCode)
	if p == nil || !p.isPaid() {
		writeCode(w, prefix+"DealerPaymentNotFound")
		return
	}
	if !p.pool {
		writeCode(w, prefix+"PaymentIsNotPoolPayment")
		return
	}
	if len(p.subs) == 0 {
		// A plain (non-marketplace) pool payment is approved as a whole.
		p.subs = []subShare{{dealerID: 0, amount: p.amount, refAmount: decimal.Zero}}
	}
	targets := []*subShare{}
	if len(req.SubDealer) == 0 {
		for i := range p.subs {
			targets = append(targets, &p.subs[i])
		}
	}
	for _, sd := range req.SubDealer {
		share := p.sub(int64(sd.DealerID))
		if share == nil {
			writeCode(w, prefix+"DealerPaymentNotFound")
			return
		}
		targets = append(targets, share)
	}
	changed := false
	for _, t := range targets {
		if t.approved != approve {
			t.approved, changed = approve, true
		}
	}
	if !changed {
		if approve {
			writeCode(w, prefix+"PaymentAlreadyApproved")
		} else {
			writeCode(w, prefix+"PaymentNotApproved")
		}
		return
	}
	writeSuccess(w, moka.BankResult{IsSuccessful: true, VirtualPosOrderID: p.vposOrderID})
}

func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request) {
	req, d, ok := decode[moka.RefundRequest](s, w, r, authRefund)
	if !ok {
		return
	}
	amount := req.Amount.Decimal
	switch {
	case amount.Equal(exAmount):
		writeEX(w, "amount 99.99 always answers EX")
		return
	case req.VirtualPosOrderID == "" && req.OtherTrxCode == "":
		writeCode(w, refundPrefix+"OtherTrxCodeOrVirtualPosOrderIdMustGiven")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(d.DealerCode, req.VirtualPosOrderID, req.OtherTrxCode)
	if req.VirtualPosOrderID != "" && req.OtherTrxCode != "" {
		if byOther := s.find(d.DealerCode, "", req.OtherTrxCode); p != byOther {
			writeCode(w, refundPrefix+"OtherTrxCodeAndVirtualPosOrderIdMismatch")
			return
		}
	}
	switch {
	case p == nil || !p.isPaid():
		writeCode(w, refundPrefix+"PaymentNotFound")
		return
	case p.refund != nil:
		writeCode(w, refundPrefix+"RefundRequestAlreadyExist")
		return
	}
	remaining := p.amount.Sub(p.refAmount)
	if amount.IsZero() {
		amount = remaining
	}
	subs := map[int64]decimal.Decimal{}
	sum := decimal.Zero
	for _, sd := range req.SubDealer {
		share := p.sub(int64(sd.DealerID))
		if share == nil || sd.Amount == nil {
			writeCode(w, refundPrefix+"InvalidAmount")
			return
		}
		if sd.Amount.GreaterThan(share.amount.Sub(share.refAmount)) {
			writeCode(w, refundPrefix+"InvalidAmount")
			return
		}
		subs[share.dealerID] = sd.Amount.Decimal
		sum = sum.Add(sd.Amount.Decimal)
	}
	if amount.IsNegative() || amount.GreaterThan(remaining) || (len(req.SubDealer) > 0 && !sum.Equal(amount)) {
		writeCode(w, refundPrefix+"InvalidAmount")
		return
	}
	s.nextRefund++
	p.refund = &refundRequest{id: s.nextRefund, amount: amount, subs: subs, created: s.now()}
	writeSuccess(w, moka.BankResult{IsSuccessful: true, RefundRequestID: moka.String(strconv.FormatInt(s.nextRefund, 10))})
}

// CompleteRefunds completes every pending refund request, as Moka does later in the day:
// RefAmount grows, a TrxType 4 row is written, and a payment refunded in full moves to
// PaymentStatus 4. Tests and demo mode call it; until then a second request for the same
// payment answers RefundRequestAlreadyExist.
func (s *Server) CompleteRefunds() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completeRefunds(time.Time{})
}

// completeRefunds completes the pending requests created before cutoff, or all of them
// when cutoff is zero; the caller holds s.mu.
func (s *Server) completeRefunds(cutoff time.Time) {
	for _, p := range s.payments {
		rr := p.refund
		if rr == nil || (!cutoff.IsZero() && !rr.created.Before(cutoff)) {
			continue
		}
		p.refund = nil
		p.refAmount = p.refAmount.Add(rr.amount)
		for id, a := range rr.subs {
			if share := p.sub(id); share != nil {
				share.refAmount = share.refAmount.Add(a)
			}
		}
		t := s.addTrx(p, s.now(), moka.TrxTypeRefund, moka.TrxStatusSuccess, rr.amount, "")
		t.voidRefundReason = 2
		if p.refAmount.GreaterThanOrEqual(p.amount) {
			p.status = moka.PaymentStatusFullRefund
		}
	}
}

// handleVoid cancels a paid or pre-authorised payment that has no refund. Moka allows
// this until 22:00 on the payment's day; the sandbox does not enforce the clock.
func (s *Server) handleVoid(w http.ResponseWriter, r *http.Request) {
	req, d, ok := decode[moka.VoidRequest](s, w, r, authPayment)
	if !ok {
		return
	}
	if req.VirtualPosOrderID == "" && req.OtherTrxCode == "" {
		writeCode(w, voidPrefix+"OtherTrxCodeOrVirtualPosOrderIdMustGiven")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(d.DealerCode, req.VirtualPosOrderID, req.OtherTrxCode)
	switch {
	case p == nil:
		writeCode(w, voidPrefix+"PaymentNotFound")
		return
	case p.trxStatus != moka.TrxStatusSuccess || p.refund != nil || !p.refAmount.IsZero() ||
		(p.status != moka.PaymentStatusPayment && p.status != moka.PaymentStatusPreAuth):
		writeSuccess(w, bankFailure(BankCodeInvalidTransaction, "Payment cannot be voided"))
		return
	}
	p.status = moka.PaymentStatusCancel
	t := s.addTrx(p, s.now(), moka.TrxTypeCancel, moka.TrxStatusSuccess, p.amount, "")
	t.voidRefundReason = int(req.VoidRefundReason)
	writeSuccess(w, moka.BankResult{IsSuccessful: true, ResultCode: "00"})
}
