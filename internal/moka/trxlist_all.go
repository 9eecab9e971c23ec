package moka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultMaxTrxListCalls bounds the GetPaymentTrxList calls of one AllPaymentTrx when
// TrxListFilter.MaxCalls is zero. Every call answers at most MaxTrxListRecords payments,
// and a full answer costs two more calls, so 64 calls list some 15,000 to 30,000 payments:
// more than that in one window is a sweep to run in smaller windows, not one request.
const DefaultMaxTrxListCalls = 64

// ErrTrxListTooManyCalls means a window held so many payments that listing them all
// would take more than the allowed number of GetPaymentTrxList calls. Nothing is returned:
// a shorter window, or a filter, lists them.
var ErrTrxListTooManyCalls = errors.New("moka: the window needs too many GetPaymentTrxList calls")

// FullMinuteError means GetPaymentTrxList answered its full MaxTrxListRecords for a
// one-minute window, the smallest Moka's "yyyy-MM-dd HH:mm" dates can ask for: more
// payments may exist in that minute than Moka will list, so none are returned rather than
// some silently missing. A filter (TrxType, TrxStatus, SubDealerID) may narrow it.
type FullMinuteError struct {
	Start time.Time // the minute, in Istanbul time
}

func (e *FullMinuteError) Error() string {
	return fmt.Sprintf("moka GetPaymentTrxList: %d or more payments in the minute from %s (Istanbul); Moka lists at most %d",
		MaxTrxListRecords, e.Start.In(trxZone).Format(DateLayout), MaxTrxListRecords)
}

// TrxListFilter narrows AllPaymentTrx with GetPaymentTrxList's optional filters (unset
// lists all) and bounds its calls.
type TrxListFilter struct {
	TrxType     OptInt // TrxTypePaymentRequest .. TrxTypeRefund
	TrxStatus   OptInt // TrxStatusPending .. TrxStatusFailed
	SubDealerID OptInt
	// MaxCalls bounds the GetPaymentTrxList calls; 0 means DefaultMaxTrxListCalls.
	MaxCalls int
}

// AllTrxResult is every payment with a transaction in a window, merged from as many
// GetPaymentTrxList answers as the window needed.
type AllTrxResult struct {
	// Payments are ordered by their earliest transaction in the window, then by
	// DealerPaymentId; each one's transactions by TrxDate, then DealerPaymentTrxId. Every
	// transaction lies in the window and matches the filter.
	Payments []Payment
	// Calls is the number of GetPaymentTrxList calls made.
	Calls int
}

// trxZone is the time zone of Moka's dates: Turkey has kept UTC+3 all year since 2016,
// and Moka writes its dates in it without an offset.
var trxZone = time.FixedZone("TRT", 3*60*60)

// AllPaymentTrx lists every payment with a transaction in [from, to), however many there
// are, through GetPaymentTrxList.
//
// Moka's dates have minute granularity, so the window asked for is from rounded down and
// to rounded up to the minute; transactions outside [from, to), or outside the filter
// should Moka answer them, are dropped from the result. Moka answers at most
// MaxTrxListRecords payments a call: an answer that comes back full may have left some
// out, so its window is split in two on a minute boundary and each half asked again,
// recursively. A payment with transactions in both halves is in both answers; the parts
// are merged by DealerPaymentId, and transactions by DealerPaymentTrxId, so each appears
// once. TrxEndDate is taken as exclusive, as the sandbox has it; were Moka's inclusive, the
// minute the halves share would come back twice and be merged the same way.
//
// A full one-minute window cannot be split: the answer is a *FullMinuteError. More than
// filter.MaxCalls calls is ErrTrxListTooManyCalls. Moka's own refusals are *Error.
func (c *Client) AllPaymentTrx(ctx context.Context, from, to time.Time, filter TrxListFilter) (*AllTrxResult, error) {
	if !from.Before(to) {
		return nil, invalid("TrxEndDate", "the window's end must be after its start")
	}
	w := &trxWalk{c: c, filter: filter, from: from, to: to, byID: map[Int]*mergedPayment{}}
	if w.filter.MaxCalls <= 0 {
		w.filter.MaxCalls = DefaultMaxTrxListCalls
	}
	if err := w.list(ctx, from.Truncate(time.Minute), ceilMinute(to)); err != nil {
		return nil, err
	}
	return &AllTrxResult{Payments: w.result(), Calls: w.calls}, nil
}

// ceilMinute rounds t up to the next whole minute, leaving a whole minute as it is.
func ceilMinute(t time.Time) time.Time {
	if m := t.Truncate(time.Minute); m.Before(t) {
		return m.Add(time.Minute)
	}
	return t
}

// trxWalk is one AllPaymentTrx: the calls made so far and what they answered, merged.
type trxWalk struct {
	c        *Client
	filter   TrxListFilter
	from, to time.Time
	calls    int
	byID     map[Int]*mergedPayment
	order    []*mergedPayment // in the order first seen, for a deterministic result
}

type mergedPayment struct {
	p     Payment
	first time.Time // earliest transaction date kept
	trxs  map[Int]bool
	dates map[Int]time.Time
}

// list asks for [start, end), both on minute boundaries, and splits it while the answer
// is full. The calls are made one after the other, oldest half first: Moka is not asked
// for more at once than a single call would ask.
func (w *trxWalk) list(ctx context.Context, start, end time.Time) error {
	if w.calls >= w.filter.MaxCalls {
		return fmt.Errorf("%w: more than %d for %s to %s", ErrTrxListTooManyCalls, w.filter.MaxCalls,
			w.from.In(trxZone).Format(time.RFC3339), w.to.In(trxZone).Format(time.RFC3339))
	}
	w.calls++
	res, err := w.c.PaymentTrxList(ctx, TrxListRequest{
		TrxStartDate: start.In(trxZone).Format(DateLayout),
		TrxEndDate:   end.In(trxZone).Format(DateLayout),
		TrxType:      w.filter.TrxType,
		TrxStatus:    w.filter.TrxStatus,
		SubDealerID:  w.filter.SubDealerID,
	})
	if err != nil {
		return err
	}
	if len(res.PaymentTrxList) < MaxTrxListRecords {
		return w.merge(res.PaymentTrxList)
	}
	if end.Sub(start) <= time.Minute {
		return &FullMinuteError{Start: start.In(trxZone)}
	}
	// A full answer is dropped, not merged: its halves together hold all of it.
	mid := start.Add((end.Sub(start) / 2).Truncate(time.Minute))
	if err := w.list(ctx, start, mid); err != nil {
		return err
	}
	return w.list(ctx, mid, end)
}

// merge adds one answer's payments, keeping each transaction once and only those in
// [from, to) that match the filter.
func (w *trxWalk) merge(ps []Payment) error {
	for _, p := range ps {
		var kept []Trx
		var dates []time.Time
		for _, t := range p.PaymentTrxDetailList {
			at, err := ParseTrxDate(t.TrxDate)
			if err != nil {
				return fmt.Errorf("moka GetPaymentTrxList: %w: payment %d, transaction %d: %w",
					ErrMalformedResponse, p.PaymentDetail.DealerPaymentID, t.DealerPaymentTrxID, err)
			}
			if at.Before(w.from) || !at.Before(w.to) ||
				(w.filter.TrxType.Set && int64(t.TrxType) != w.filter.TrxType.Value) ||
				(w.filter.TrxStatus.Set && int64(t.TrxStatus) != w.filter.TrxStatus.Value) {
				continue
			}
			kept, dates = append(kept, t), append(dates, at)
		}
		if len(kept) == 0 {
			continue
		}
		id := p.PaymentDetail.DealerPaymentID
		m := w.byID[id]
		if m == nil {
			m = &mergedPayment{p: Payment{PaymentDetail: p.PaymentDetail}, first: dates[0],
				trxs: map[Int]bool{}, dates: map[Int]time.Time{}}
			w.byID[id] = m
			w.order = append(w.order, m)
		} else {
			// The latest answer's master record is the freshest (RefAmount, statuses).
			m.p.PaymentDetail = p.PaymentDetail
		}
		for i, t := range kept {
			if m.trxs[t.DealerPaymentTrxID] {
				continue
			}
			m.trxs[t.DealerPaymentTrxID] = true
			m.dates[t.DealerPaymentTrxID] = dates[i]
			m.p.PaymentTrxDetailList = append(m.p.PaymentTrxDetailList, t)
			if dates[i].Before(m.first) {
				m.first = dates[i]
			}
		}
	}
	return nil
}

// result sorts the merged payments and their transactions by date, then id.
func (w *trxWalk) result() []Payment {
	slices.SortStableFunc(w.order, func(a, b *mergedPayment) int {
		if c := a.first.Compare(b.first); c != 0 {
			return c
		}
		return cmp.Compare(a.p.PaymentDetail.DealerPaymentID, b.p.PaymentDetail.DealerPaymentID)
	})
	out := make([]Payment, 0, len(w.order))
	for _, m := range w.order {
		slices.SortStableFunc(m.p.PaymentTrxDetailList, func(a, b Trx) int {
			if c := m.dates[a.DealerPaymentTrxID].Compare(m.dates[b.DealerPaymentTrxID]); c != 0 {
				return c
			}
			return cmp.Compare(a.DealerPaymentTrxID, b.DealerPaymentTrxID)
		})
		out = append(out, m.p)
	}
	return out
}

// trxDateLayouts are the forms Moka writes response dates in: Istanbul time without an
// offset, "T" or a space between date and time, with a variable number of fraction digits
// (Go reads any fraction after the seconds even when the layout has none).
var trxDateLayouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"}

// ParseTrxDate reads a date of a Moka answer (TrxDate, PaymentDate) as Istanbul time. A
// date that does carry an offset (RFC 3339) is read with it.
func ParseTrxDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, l := range trxDateLayouts {
		if t, err := time.ParseInLocation(l, s, trxZone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q is not yyyy-MM-ddTHH:mm:ss[.fff]", s)
}
