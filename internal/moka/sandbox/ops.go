package sandbox

import (
	"net/http"
	"strings"
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

// Result codes of DoCapture, DoVoid and DoCreateRefundRequest that Moka's test host
// answers but the seed pages do not list.
const (
	// CodeCaptureMustGiven: DoCapture names no payment (both ids blank).
	CodeCaptureMustGiven = "PaymentDealer.DoCapture.OtherTrxCodeOrVirtualPosOrderIdMustGiven"
	// CodeVoidInvalidRequest: DoVoid names no payment (both ids blank).
	CodeVoidInvalidRequest = voidPrefix + "InvalidRequest"
	// CodeVoidPaymentNotAvailable: the payment cannot be voided (see handleVoid).
	CodeVoidPaymentNotAvailable = voidPrefix + "PaymentNotAvailable"
	// CodeRefundOnPaymentDay: a refund request on the payment's own Istanbul day, when
	// Moka wants a void instead ("refunds to be made on or after the next day of
	// payment", seed 002).
	CodeRefundOnPaymentDay = refundPrefix + "RefundNotAvailableOnPaymentDay"
)

// voidCutoffHour is the Istanbul hour from which a payment of the day can no longer be
// voided: the banks close the day's batch at 22:00.
const voidCutoffHour = 22

// sameDay reports whether a and b fall on the same Istanbul date.
func sameDay(a, b time.Time) bool {
	ay, am, ad := a.In(istanbul).Date()
	by, bm, bd := b.In(istanbul).Date()
	return ay == by && am == bm && ad == bd
}

// inVoidWindow reports whether p can still be voided at now: on its own Istanbul day,
// before voidCutoffHour.
func inVoidWindow(p *payment, now time.Time) bool {
	return sameDay(p.day(), now) && now.In(istanbul).Hour() < voidCutoffHour
}

// day is when p's money was taken, whose Istanbul date the void and refund rules go by:
// its capture for a captured pre-authorisation (the payment transaction is the capture's),
// else when it was made.
func (p *payment) day() time.Time {
	for i := len(p.trxs) - 1; i >= 0; i-- {
		if t := p.trxs[i]; t.typ == moka.TrxTypePayment && t.status == moka.TrxStatusSuccess {
			return t.date
		}
	}
	return p.created
}

func bankFailure(code, msg string) moka.BankResult {
	return moka.BankResult{IsSuccessful: false, ResultCode: code, ResultMessage: msg}
}

// trimIDs trims a request's payment ids, as Moka does: its own documents pad them.
func trimIDs(vposOrderID, otherTrxCode string) (string, string) {
	return strings.TrimSpace(vposOrderID), strings.TrimSpace(otherTrxCode)
}

func (s *Server) handleCapture(w http.ResponseWriter, r *http.Request) {
	req, d, ok := decode[moka.CaptureRequest](s, w, r, authPayment)
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
		writeCode(w, CodeCaptureMustGiven)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(d.DealerCode, vpos, other)
	switch {
	case p == nil:
		writeSuccess(w, bankFailure(BankCodeNotFound, "Payment not found"))
		return
	case p.status != moka.PaymentStatusPreAuth || p.trxStatus != moka.TrxStatusSuccess:
		writeSuccess(w, bankFailure(BankCodeInvalidTransaction, "Payment is not an open pre-authorisation"))
		return
	}
	paid, ok := captureShares(p, amount, req.SubDealer)
	if !ok {
		writeCode(w, codeCaptureInvalidAmount)
		return
	}
	var parts []trxPart
	for i := range p.subs {
		p.subs[i].amount = paid[i]
		if paid[i].IsPositive() {
			parts = append(parts, trxPart{share: i, amount: paid[i]})
		}
	}
	p.amount = amount
	p.status, p.trxStatus = moka.PaymentStatusPayment, moka.TrxStatusSuccess
	s.addTrx(p, s.now(), moka.TrxTypePayment, moka.TrxStatusSuccess, amount, "", parts)
	writeSuccess(w, moka.BankResult{IsSuccessful: true, ResultCode: "00"})
}

// captureShares checks a capture against its pre-authorisation and returns what each
// share is paid, in p.subs order. The amount is positive and at most the provision; the
// parts name each sub-dealer once, add up to the amount, and give no sub-dealer more than
// its provisioned share, since money authorised for one sub-dealer cannot be moved to
// another. A sub-dealer left out is paid nothing. Without parts, only a full capture
// says who gets what.
func captureShares(p *payment, amount decimal.Decimal, parts []moka.SubDealerPart) ([]decimal.Decimal, bool) {
	if !amount.IsPositive() || amount.GreaterThan(p.provision) {
		return nil, false
	}
	paid := make([]decimal.Decimal, len(p.subs))
	for i := range paid {
		paid[i] = decimal.Zero
	}
	if len(parts) == 0 {
		if len(p.subs) > 0 && !amount.Equal(p.provision) {
			return nil, false
		}
		for i, sd := range p.subs {
			paid[i] = sd.provision
		}
		return paid, true
	}
	sum := decimal.Zero
	seen := map[int64]bool{}
	for _, part := range parts {
		id := int64(part.DealerID)
		if part.Amount == nil || part.Amount.IsNegative() || seen[id] {
			return nil, false
		}
		seen[id] = true
		sum = sum.Add(part.Amount.Decimal)
		if len(p.subs) == 0 {
			continue // a plain payment has no shares to check the parts against
		}
		i := p.shareIndex(id)
		if i < 0 || part.Amount.GreaterThan(p.subs[i].provision) {
			return nil, false
		}
		paid[i] = part.Amount.Decimal
	}
	return paid, sum.Equal(amount)
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
	vpos, other := trimIDs(req.VirtualPosOrderID, req.OtherTrxCode)
	switch {
	case isEXOrder(vpos, other):
		writeEX(w, "payment "+EXOrderID+" always answers EX")
		return
	case vpos == "" && other == "":
		writeCode(w, prefix+"OtherTrxCodeOrVirtualPosOrderIdMustGiven")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(d.DealerCode, vpos, other)
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
		p.subs = []subShare{{dealerID: 0, provision: p.amount, amount: p.amount, refAmount: decimal.Zero}}
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

// msgVoidRefused is the bank's message for a refused void, also on its failed cancel row.
const msgVoidRefused = "Payment cannot be voided"

// handleVoid cancels a paid or pre-authorised payment that has no refund, on the
// payment's own Istanbul day before 22:00, as Moka allows. Any other payment it finds
// answers PaymentNotAvailable; when that payment went through, the refused void also
// leaves a failed cancel row (TrxType 3, TrxStatus 2), as in seed 004's status table,
// and the payment itself is unchanged.
func (s *Server) handleVoid(w http.ResponseWriter, r *http.Request) {
	req, d, ok := decode[moka.VoidRequest](s, w, r, authPayment)
	if !ok {
		return
	}
	vpos, other := trimIDs(req.VirtualPosOrderID, req.OtherTrxCode)
	switch {
	case isEXOrder(vpos, other):
		writeEX(w, "payment "+EXOrderID+" always answers EX")
		return
	case vpos == "" && other == "":
		// Moka's test host answers InvalidRequest here, not the MustGiven code of the
		// other services.
		writeCode(w, CodeVoidInvalidRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	p := s.find(d.DealerCode, vpos, other)
	switch {
	case p == nil:
		writeCode(w, voidPrefix+"PaymentNotFound")
		return
	case p.trxStatus != moka.TrxStatusSuccess:
		// Nothing went through, so there is nothing the bank could cancel.
		writeCode(w, CodeVoidPaymentNotAvailable)
		return
	case p.refund != nil || !p.refAmount.IsZero() ||
		(p.status != moka.PaymentStatusPayment && p.status != moka.PaymentStatusPreAuth) ||
		!inVoidWindow(p, now):
		t := s.addTrx(p, now, moka.TrxTypeCancel, moka.TrxStatusFailed, p.amount, msgVoidRefused, p.shareParts())
		t.voidRefundReason = int(req.VoidRefundReason)
		writeCode(w, CodeVoidPaymentNotAvailable)
		return
	}
	p.status = moka.PaymentStatusCancel
	t := s.addTrx(p, now, moka.TrxTypeCancel, moka.TrxStatusSuccess, p.amount, "", p.shareParts())
	t.voidRefundReason = int(req.VoidRefundReason)
	writeSuccess(w, moka.BankResult{IsSuccessful: true, ResultCode: "00"})
}
