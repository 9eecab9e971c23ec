package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

// payment is the sandbox's master record of one 3-D payment. It never holds the card
// number or CVC: the outcome is decided at the start and kept as a string.
type payment struct {
	id          int64
	dealer      string
	token       string
	codeForHash string
	vposOrderID string // "Test-<guid>", the trxCode of the bank return
	otherTrx    string

	amount     decimal.Decimal // what is paid (a capture may lower a pre-auth's provision)
	provision  decimal.Decimal // the pre-authorised amount
	refAmount  decimal.Decimal // refunds completed
	currency   string
	instalment int
	pool       bool
	preAuth    bool
	subs       []subShare

	redirectURL  string
	redirectType int64
	returnHash   bool // ReturnHash 1: the return carries hashValue, else isSuccessful
	holder       string
	first6       string
	last4        string
	description  string
	merchantName string
	outcome      string
	created      time.Time

	status    int // PaymentStatus
	trxStatus int // TrxStatus of the master record
	trxs      []*trx

	processed bool        // the bank page was submitted (token used)
	ret       *returnForm // the post sent to the RedirectUrl, for /repost
	refund    *refundRequest
}

// subShare is one sub-dealer's part of a marketplace payment.
type subShare struct {
	dealerID int64
	// provision is the share authorised at the start; a capture may give less.
	provision decimal.Decimal
	// amount is the share paid: the provision, or what the capture gave this sub-dealer.
	amount    decimal.Decimal
	refAmount decimal.Decimal
	approved  bool
}

type trx struct {
	id               int64
	code             string
	date             time.Time
	amount           decimal.Decimal
	typ, status      int
	voidRefundReason int
	resultMessage    string
	parts            []trxPart // the sub-dealers' split, in the payment's share order
}

// trxPart is one sub-dealer's amount in a transaction; share indexes payment.subs.
type trxPart struct {
	share  int
	amount decimal.Decimal
}

type refundRequest struct {
	id      int64
	amount  decimal.Decimal
	parts   []trxPart
	created time.Time
}

// istanbul is Turkey's time (UTC+3 all year since 2016); Moka writes dates in it without
// an offset.
var istanbul = time.FixedZone("TRT", 3*60*60)

const mokaDate = "2006-01-02T15:04:05.000"

func newGUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("sandbox: crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func newToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("sandbox: crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// addTrx appends a transaction row split as parts; the caller holds s.mu.
func (s *Server) addTrx(p *payment, at time.Time, typ, status int, amount decimal.Decimal, msg string, parts []trxPart) *trx {
	s.nextTrx++
	t := &trx{id: s.nextTrx, code: newGUID(), date: at, amount: amount, typ: typ, status: status, resultMessage: msg, parts: parts}
	p.trxs = append(p.trxs, t)
	return t
}

// shareParts splits a transaction by every share's paid amount (a payment, a void).
func (p *payment) shareParts() []trxPart {
	var parts []trxPart
	for i, sd := range p.subs {
		if sd.dealerID != 0 { // 0 is the whole of an approved plain pool payment, no sub-dealer
			parts = append(parts, trxPart{share: i, amount: sd.amount})
		}
	}
	return parts
}

// addPreset records a payment made before the sandbox started (Config.Payments).
func (s *Server) addPreset(pr Preset) {
	found := false
	for _, d := range s.cfg.Dealers {
		found = found || d.DealerCode == pr.DealerCode
	}
	if !found {
		panic("sandbox: preset payment " + pr.VirtualPosOrderID + " names unknown dealer " + pr.DealerCode)
	}
	at := pr.Date
	if at.IsZero() {
		at = s.now()
	}
	currency := pr.Currency
	if currency == "" {
		currency = moka.CurrencyTL
	}
	s.nextPayment++
	p := &payment{
		id: s.nextPayment, dealer: pr.DealerCode, codeForHash: strings.ToUpper(newGUID()),
		vposOrderID: pr.VirtualPosOrderID, otherTrx: pr.OtherTrxCode,
		amount: pr.Amount, provision: pr.Amount, refAmount: decimal.Zero, currency: currency,
		instalment: 1, pool: pr.Pool, preAuth: pr.PreAuth,
		holder: "elif yetimoğlu", first6: "526955", last4: "4444", // the seed samples' card
		outcome: OutcomeSuccess, created: at, processed: true, returnHash: true,
		status: moka.PaymentStatusPayment, trxStatus: moka.TrxStatusSuccess,
	}
	for _, sh := range pr.SubDealers {
		p.subs = append(p.subs, subShare{dealerID: sh.DealerID, provision: sh.Amount, amount: sh.Amount, refAmount: decimal.Zero})
	}
	typ := moka.TrxTypePayment
	if pr.PreAuth {
		typ, p.status = moka.TrxTypePreAuth, moka.PaymentStatusPreAuth
	}
	s.addTrx(p, at, typ, moka.TrxStatusSuccess, pr.Amount, "", p.shareParts())
	s.payments = append(s.payments, p)
}

// find returns the dealer's payment by VirtualPosOrderId or else OtherTrxCode (the latest
// one with that code: Moka's samples reuse codes). The caller holds s.mu.
func (s *Server) find(dealer, vposOrderID, otherTrx string) *payment {
	vposOrderID, otherTrx = strings.TrimSpace(vposOrderID), strings.TrimSpace(otherTrx)
	for i := len(s.payments) - 1; i >= 0; i-- {
		p := s.payments[i]
		if p.dealer != dealer {
			continue
		}
		if vposOrderID != "" {
			if p.vposOrderID == vposOrderID {
				return p
			}
			continue
		}
		if otherTrx != "" && p.otherTrx == otherTrx {
			return p
		}
	}
	return nil
}

func (s *Server) findByID(dealer string, id int64) *payment {
	for _, p := range s.payments {
		if p.dealer == dealer && p.id == id {
			return p
		}
	}
	return nil
}

func (p *payment) sub(id int64) *subShare {
	if i := p.shareIndex(id); i >= 0 {
		return &p.subs[i]
	}
	return nil
}

// shareIndex is the index of sub-dealer id in p.subs, or -1.
func (p *payment) shareIndex(id int64) int {
	for i := range p.subs {
		if p.subs[i].dealerID == id {
			return i
		}
	}
	return -1
}

func (p *payment) isPaid() bool {
	return p.status == moka.PaymentStatusPayment && p.trxStatus == moka.TrxStatusSuccess
}

func mokaTime(t time.Time) string { return t.In(istanbul).Format(mokaDate) }

// detail renders the master record; the caller holds s.mu.
func (p *payment) detail() moka.PaymentDetail {
	d := moka.PaymentDetail{
		DealerPaymentID:    moka.Int(p.id),
		OtherTrxCode:       p.otherTrx,
		CardHolderFullName: p.holder,
		CardNumberFirstSix: p.first6,
		CardNumberLastFour: p.last4,
		PaymentDate:        mokaTime(p.created),
		Amount:             moka.NewAmount(p.amount),
		RefAmount:          moka.NewAmount(p.refAmount),
		CurrencyCode:       p.currency,
		InstallmentNumber:  moka.Int(p.instalment),
		IsThreeD:           true,
		Description:        p.description,
		PaymentStatus:      moka.Int(p.status),
		TrxStatus:          moka.Int(p.trxStatus),
		IsPoolPayment:      p.pool,
	}
	for i, sd := range p.subs {
		d.SubPaymentList = append(d.SubPaymentList, moka.SubPaymentItem{
			DealerPaymentDealerID: moka.Int(p.id*100 + int64(i)),
			DealerID:              moka.Int(sd.dealerID),
			Amount:                moka.NewAmount(sd.amount),
			RefAmount:             moka.NewAmount(sd.refAmount),
		})
	}
	return d
}

func (p *payment) trxJSON(t *trx) moka.Trx {
	var subs []moka.SubPaymentTrx
	for i, part := range t.parts {
		subs = append(subs, moka.SubPaymentTrx{
			DealerPaymentTrxDealerID: moka.Int(t.id*100 + int64(i)),
			DealerPaymentDealerID:    moka.Int(p.id*100 + int64(part.share)),
			DealerID:                 moka.Int(p.subs[part.share].dealerID),
			Amount:                   moka.NewAmount(part.amount),
		})
	}
	return moka.Trx{
		DealerPaymentTrxID: moka.Int(t.id),
		TrxCode:            t.code,
		TrxDate:            mokaTime(t.date),
		Amount:             moka.NewAmount(t.amount),
		TrxType:            moka.Int(t.typ),
		TrxStatus:          moka.Int(t.status),
		PaymentReason:      1,
		VoidRefundReason:   moka.Int(t.voidRefundReason),
		VirtualPosOrderID:  p.vposOrderID,
		ResultMessage:      t.resultMessage,
		SubPaymentTrxList:  subs,
	}
}

func (p *payment) all() moka.Payment {
	out := moka.Payment{PaymentDetail: p.detail(), PaymentTrxDetailList: []moka.Trx{}}
	for _, t := range p.trxs {
		out.PaymentTrxDetailList = append(out.PaymentTrxDetailList, p.trxJSON(t))
	}
	return out
}
