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

type subShare struct {
	dealerID  int64
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
}

type refundRequest struct {
	id      int64
	amount  decimal.Decimal
	subs    map[int64]decimal.Decimal
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

// addTrx appends a transaction row; the caller holds s.mu.
func (s *Server) addTrx(p *payment, at time.Time, typ, status int, amount decimal.Decimal, msg string) *trx {
	s.nextTrx++
	t := &trx{id: s.nextTrx, code: newGUID(), date: at, amount: amount, typ: typ, status: status, resultMessage: msg}
	p.trxs = append(p.trxs, t)
	return t
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
	for i := range p.subs {
		if p.subs[i].dealerID == id {
			return &p.subs[i]
		}
	}
	return nil
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
	}
}

func (p *payment) all() moka.Payment {
	out := moka.Payment{PaymentDetail: p.detail(), PaymentTrxDetailList: []moka.Trx{}}
	for _, t := range p.trxs {
		out.PaymentTrxDetailList = append(out.PaymentTrxDetailList, p.trxJSON(t))
	}
	return out
}
