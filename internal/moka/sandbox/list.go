package sandbox

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mokacheckout/checkout/internal/moka"
)

// MaxTrxListRecords is Moka's cap on GetPaymentTrxList answers.
const MaxTrxListRecords = 1000

const (
	listPrefix            = "PaymentDealer.GetPaymentTrxListMarketPlace."
	detailPrefix          = "PaymentDealer.GetDealerPaymentTrxDetailList."
	CodeDetailNotFound    = detailPrefix + "PaymentNotFound"
	CodeDetailMustBeGiven = detailPrefix + "PaymentIdOrOtherTrxCodeMustGiven"
)

// handleTrxList lists payments having a transaction in [TrxStartDate, TrxEndDate) that
// matches the filters; each item carries only the matching transactions. At most
// MaxTrxListRecords items, the earliest first.
func (s *Server) handleTrxList(w http.ResponseWriter, r *http.Request) {
	req, d, ok := decode[moka.TrxListRequest](s, w, r, authPlain)
	if !ok {
		return
	}
	start, ok1 := parseListDate(req.TrxStartDate)
	end, ok2 := parseListDate(req.TrxEndDate)
	switch {
	case !ok1 || !ok2:
		writeCode(w, listPrefix+"InvalidDateTimeFormat")
		return
	case !d.Authorized:
		writeCode(w, listPrefix+"DealerNotAuthorized")
		return
	case req.TrxType.Set && (req.TrxType.Value < 0 || req.TrxType.Value > 4):
		writeCode(w, listPrefix+"InvalidTrxType")
		return
	case req.TrxStatus.Set && (req.TrxStatus.Value < 0 || req.TrxStatus.Value > 2):
		writeCode(w, listPrefix+"InvalidTrxStatus")
		return
	case req.SubDealerID.Set && req.SubDealerID.Value == EXSubDealerID:
		writeEX(w, "SubDealerId "+strconv.Itoa(EXSubDealerID)+" always answers EX")
		return
	}
	type item struct {
		first time.Time
		p     moka.Payment
	}
	var items []item
	s.mu.Lock()
	for _, p := range s.payments {
		if p.dealer != d.DealerCode || (req.SubDealerID.Set && p.sub(req.SubDealerID.Value) == nil) {
			continue
		}
		var it item
		for _, t := range p.trxs {
			if t.date.Before(start) || !t.date.Before(end) ||
				(req.TrxType.Set && int64(t.typ) != req.TrxType.Value) ||
				(req.TrxStatus.Set && int64(t.status) != req.TrxStatus.Value) {
				continue
			}
			if len(it.p.PaymentTrxDetailList) == 0 || t.date.Before(it.first) {
				it.first = t.date
			}
			it.p.PaymentTrxDetailList = append(it.p.PaymentTrxDetailList, p.trxJSON(t))
		}
		if len(it.p.PaymentTrxDetailList) > 0 {
			it.p.PaymentDetail = p.detail()
			items = append(items, it)
		}
	}
	s.mu.Unlock()
	sort.SliceStable(items, func(i, j int) bool { return items[i].first.Before(items[j].first) })
	if len(items) > MaxTrxListRecords {
		items = items[:MaxTrxListRecords]
	}
	out := moka.TrxListResult{PaymentTrxList: make([]moka.Payment, 0, len(items))}
	for _, it := range items {
		out.PaymentTrxList = append(out.PaymentTrxList, it.p)
	}
	writeSuccess(w, out)
}

// listDate matches exactly the "yyyy-MM-dd HH:mm" of seed 004; time.Parse alone would
// also take a one-digit hour, which Moka answers with InvalidDateTimeFormat.
var listDate = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d$`)

// parseListDate reads a GetPaymentTrxList date, in Istanbul time as Moka means it.
func parseListDate(s string) (time.Time, bool) {
	if !listDate.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, istanbul)
	return t, err == nil
}

// handleDetail answers one payment by PaymentId (DealerPaymentId) or OtherTrxCode.
func (s *Server) handleDetail(w http.ResponseWriter, r *http.Request) {
	req, d, ok := decode[moka.PaymentDetailRequest](s, w, r, authPlain)
	if !ok {
		return
	}
	id := strings.TrimSpace(string(req.PaymentID))
	switch other := strings.TrimSpace(req.OtherTrxCode); {
	case isEXOrder("", other):
		writeEX(w, "payment "+EXOrderID+" always answers EX")
		return
	case id == "" && other == "":
		writeCode(w, CodeDetailMustBeGiven)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var p *payment
	if id != "" {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			p = s.findByID(d.DealerCode, n)
		}
	} else {
		p = s.find(d.DealerCode, "", req.OtherTrxCode)
	}
	if p == nil {
		writeCode(w, CodeDetailNotFound)
		return
	}
	all := p.all()
	writeSuccess(w, moka.PaymentDetailResult{IsSuccessful: true, PaymentDetail: all.PaymentDetail, PaymentTrxDetailList: all.PaymentTrxDetailList})
}
