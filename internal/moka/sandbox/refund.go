package sandbox

import (
	"net/http"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

// msgRefundRefused is the message of a failed refund row (TrxType 4, TrxStatus 2).
const msgRefundRefused = "Refund refused by the bank"

func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request) {
	req, d, ok := decode[moka.RefundRequest](s, w, r, authRefund)
	if !ok {
		return
	}
	vpos, other := trimIDs(req.VirtualPosOrderID, req.OtherTrxCode)
	amount := req.Amount.Decimal
	switch {
	case isEXAmount(amount) || isEXOrder(vpos, other):
		writeEX(w, "amount "+EXAmount+" or payment "+EXOrderID+" always answers EX")
		return
	case vpos == "" && other == "":
		writeCode(w, refundPrefix+"OtherTrxCodeOrVirtualPosOrderIdMustGiven")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(d.DealerCode, vpos, other)
	if vpos != "" && other != "" {
		if byOther := s.find(d.DealerCode, "", other); p != byOther {
			writeCode(w, refundPrefix+"OtherTrxCodeAndVirtualPosOrderIdMismatch")
			return
		}
	}
	switch {
	case p == nil || !p.isPaid():
		writeCode(w, refundPrefix+"PaymentNotFound")
		return
	case sameDay(p.day(), s.now()):
		// Seed 002: refunds are made on or after the day after the payment; on its own
		// day a payment is voided (DoVoid) instead.
		writeCode(w, CodeRefundOnPaymentDay)
		return
	case p.refund != nil:
		writeCode(w, refundPrefix+"RefundRequestAlreadyExist")
		return
	}
	remaining := p.amount.Sub(p.refAmount)
	if amount.IsZero() {
		amount = remaining
	}
	// Each sub-dealer's part is checked against what it was paid (a capture may have
	// paid it less than its provisioned share) minus what it has had refunded.
	var parts []trxPart
	seen := map[int]bool{}
	sum := decimal.Zero
	for _, sd := range req.SubDealer {
		i := p.shareIndex(int64(sd.DealerID))
		if i < 0 || seen[i] || sd.Amount == nil || sd.Amount.IsNegative() {
			writeCode(w, refundPrefix+"InvalidAmount")
			return
		}
		share := p.subs[i]
		if sd.Amount.GreaterThan(share.amount.Sub(share.refAmount)) {
			writeCode(w, refundPrefix+"InvalidAmount")
			return
		}
		seen[i] = true
		parts = append(parts, trxPart{share: i, amount: sd.Amount.Decimal})
		sum = sum.Add(sd.Amount.Decimal)
	}
	if amount.IsNegative() || amount.GreaterThan(remaining) || (len(req.SubDealer) > 0 && !sum.Equal(amount)) {
		writeCode(w, refundPrefix+"InvalidAmount")
		return
	}
	if len(req.SubDealer) == 0 && amount.Equal(remaining) {
		// Refunding all that remains needs no split: each share gets back what is left of it.
		for i, sh := range p.subs {
			if left := sh.amount.Sub(sh.refAmount); left.IsPositive() && sh.dealerID != 0 {
				parts = append(parts, trxPart{share: i, amount: left})
			}
		}
	}
	s.nextRefund++
	p.refund = &refundRequest{id: s.nextRefund, amount: amount, parts: parts, created: s.now()}
	s.refunding = append(s.refunding, p)
	writeSuccess(w, moka.BankResult{IsSuccessful: true, RefundRequestID: moka.String(strconv.FormatInt(s.nextRefund, 10))})
}

// CompleteRefunds completes every pending refund request, as Moka does later in the day:
// RefAmount grows, a TrxType 4 row is written, and a payment refunded in full moves to
// PaymentStatus 4. A payment made with the refund-refused test card gets a failed
// TrxType 4 row instead and keeps its RefAmount. Tests and demo mode call it; until then
// a second request for the same payment answers RefundRequestAlreadyExist.
func (s *Server) CompleteRefunds() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completeRefunds(time.Time{})
}

// completeRefunds completes the pending requests created before cutoff, or all of them
// when cutoff is zero; the caller holds s.mu.
func (s *Server) completeRefunds(cutoff time.Time) {
	if len(s.refunding) == 0 {
		return
	}
	waiting := s.refunding[:0]
	for _, p := range s.refunding {
		rr := p.refund
		if rr == nil {
			continue
		}
		if !cutoff.IsZero() && !rr.created.Before(cutoff) {
			waiting = append(waiting, p)
			continue
		}
		p.refund = nil
		if p.outcome == OutcomeRefundRefused {
			t := s.addTrx(p, s.now(), moka.TrxTypeRefund, moka.TrxStatusFailed, rr.amount, msgRefundRefused, rr.parts)
			t.voidRefundReason = 2
			continue
		}
		p.refAmount = p.refAmount.Add(rr.amount)
		for _, part := range rr.parts {
			p.subs[part.share].refAmount = p.subs[part.share].refAmount.Add(part.amount)
		}
		t := s.addTrx(p, s.now(), moka.TrxTypeRefund, moka.TrxStatusSuccess, rr.amount, "", rr.parts)
		t.voidRefundReason = 2
		if p.refAmount.GreaterThanOrEqual(p.amount) {
			p.status = moka.PaymentStatusFullRefund
		}
	}
	clear(s.refunding[len(waiting):])
	s.refunding = waiting
}
