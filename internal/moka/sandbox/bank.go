package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/mokacheckout/checkout/internal/hashverify"
	"github.com/mokacheckout/checkout/internal/moka"
)

// DemoOTP is the SMS code that passes the sandbox bank's 3-D check.
const DemoOTP = "123456"

// returnForm is what the bank posts to the merchant's RedirectUrl, kept for /repost.
// With ReturnHash 1 it carries HashValue; without, IsSuccessful ("True" or "False").
type returnForm struct {
	Action        string
	Target        string
	HashValue     string
	IsSuccessful  string
	ResultCode    string
	ResultMessage string
	TrxCode       string
	OtherTrxCode  string
}

type bankPage struct {
	Nonce    string
	Title    string
	Message  string
	Merchant string
	Amount   string
	Card     string
	Action   string
	Return   *returnForm
}

// renderBank writes a bank page with a fresh CSP nonce. The CSP allows only the nonced
// inline style and script, and form-action anywhere: the return form posts to the
// merchant's RedirectUrl, which may be any origin. frame-ancestors is open because the
// bank page runs inside the merchant's iframe when RedirectType is 1.
func (s *Server) renderBank(w http.ResponseWriter, status int, page bankPage) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	page.Nonce = base64.StdEncoding.EncodeToString(b[:])
	var buf bytes.Buffer
	if err := bankView(page).Render(context.Background(), &buf); err != nil {
		http.Error(w, "sandbox: render bank page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+page.Nonce+"'; script-src 'nonce-"+page.Nonce+
		"'; form-action *; frame-ancestors *; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// lookupToken returns the payment of the bank page's token, its session first ended if it
// has timed out; the caller holds s.mu.
func (s *Server) lookupToken(r *http.Request) *payment {
	if s.cfg.SessionTimeout > 0 {
		s.expireSessions(s.now().Add(-s.cfg.SessionTimeout))
	}
	return s.byToken[r.PathValue("token")]
}

// closedPage is what the bank page of a session that can no longer be answered shows.
func closedPage(p *payment) (int, bankPage) {
	if len(p.trxs) > 0 && p.trxs[0].resultMessage == msgSessionTimedOut {
		return http.StatusGone, bankPage{Title: "Session timed out", Message: "The 3-D Secure session timed out. Nothing was charged."}
	}
	return http.StatusConflict, bankPage{Title: "Already processed", Message: "This 3-D Secure session was already processed."}
}

func (s *Server) handleBankPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.lookupToken(r)
	var page bankPage
	status := http.StatusOK
	switch {
	case p == nil:
		status, page = http.StatusNotFound, bankPage{Title: "Unknown 3-D session", Message: "This 3-D Secure session does not exist."}
	case p.processed:
		status, page = closedPage(p)
	default:
		page = bankPage{
			Title:    "3-D Secure verification",
			Merchant: p.merchantName,
			Amount:   p.amount.StringFixed(2) + " " + p.currency,
			Card:     p.first6[:4] + " " + p.first6[4:] + "** **** " + p.last4,
			Action:   "/bank/3d/" + p.token,
		}
	}
	s.mu.Unlock()
	s.renderBank(w, status, page)
}

// handleBankSubmit checks the OTP, records the outcome once, and answers the auto-post
// form to the RedirectUrl.
func (s *Server) handleBankSubmit(w http.ResponseWriter, r *http.Request) {
	otp := r.PostFormValue("otp")
	s.mu.Lock()
	p := s.lookupToken(r)
	switch {
	case p == nil:
		s.mu.Unlock()
		s.renderBank(w, http.StatusNotFound, bankPage{Title: "Unknown 3-D session", Message: "This 3-D Secure session does not exist."})
		return
	case p.processed:
		status, page := closedPage(p)
		s.mu.Unlock()
		s.renderBank(w, status, page)
		return
	case p.outcome == OutcomeAbandoned:
		// The abandon card models a buyer who never comes back: nothing is posted and
		// the payment stays pending (PaymentStatus 0, TrxStatus 0).
		s.mu.Unlock()
		s.renderBank(w, http.StatusOK, bankPage{Title: "Session timed out", Message: "The 3-D Secure session timed out. Nothing was charged."})
		return
	}
	success := otp == DemoOTP && p.outcome != OutcomeThreeDFailed
	s.settle(p, success)
	ret := p.ret
	s.mu.Unlock()
	s.renderBank(w, http.StatusOK, bankPage{Title: "Returning to the merchant", Return: ret})
}

// msgSessionTimedOut is the bank's message on a 3-D payment nobody finished in time.
const msgSessionTimedOut = "3D session timed out"

// expireSessions fails the 3-D payments started before cutoff whose bank page was never
// answered; the caller holds s.mu. It runs on every service call and bank page, after
// which such a payment's bank page says the session timed out.
func (s *Server) expireSessions(cutoff time.Time) {
	// unanswered is in creation order: the first one still too young ends the scan.
	// Payments answered meanwhile are dropped as they come to the front.
	n := 0
	for _, p := range s.unanswered {
		if !p.processed && !p.created.Before(cutoff) {
			break
		}
		n++
		if p.processed || len(p.trxs) == 0 {
			continue
		}
		p.processed = true
		t := p.trxs[0] // the payment request row written at the start
		t.status, t.resultMessage, p.trxStatus = moka.TrxStatusFailed, msgSessionTimedOut, moka.TrxStatusFailed
	}
	clear(s.unanswered[:n])
	s.unanswered = s.unanswered[n:]
}

// settle records the bank's answer on a pending payment; the caller holds s.mu.
func (s *Server) settle(p *payment, success bool) {
	p.processed = true
	typ, status := moka.TrxTypePayment, moka.PaymentStatusPayment
	if p.preAuth {
		typ, status = moka.TrxTypePreAuth, moka.PaymentStatusPreAuth
	}
	ret := &returnForm{
		Action:       p.redirectURL,
		TrxCode:      p.vposOrderID,
		OtherTrxCode: p.otherTrx,
	}
	switch {
	case p.returnHash:
		ret.HashValue = hashverify.Expected(p.codeForHash, success)
	case success:
		// Without ReturnHash Moka posts the verdict in the clear, spelled as .NET
		// writes a bool (moka-notes.md: isSuccessful=True).
		ret.IsSuccessful = "True"
	default:
		ret.IsSuccessful = "False"
	}
	if p.redirectType == 0 {
		ret.Target = "_top"
	}
	t := p.trxs[0] // the payment request row written at the start
	t.typ, t.date = typ, s.now()
	p.status = status
	if success {
		t.status, p.trxStatus = moka.TrxStatusSuccess, moka.TrxStatusSuccess
	} else {
		ret.ResultCode, ret.ResultMessage = BankCodeThreeDFailed, "3D authentication failed"
		t.status, p.trxStatus = moka.TrxStatusFailed, moka.TrxStatusFailed
		t.resultMessage = ret.ResultMessage
	}
	p.ret = ret
}

// handleBankRepost re-renders the return form of a processed session so tests can post
// the same return twice.
func (s *Server) handleBankRepost(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.lookupToken(r)
	var ret *returnForm
	if p != nil {
		ret = p.ret
	}
	s.mu.Unlock()
	if ret == nil {
		s.renderBank(w, http.StatusNotFound, bankPage{Title: "Nothing to repost", Message: "This 3-D Secure session has not posted a result."})
		return
	}
	s.renderBank(w, http.StatusOK, bankPage{Title: "Returning to the merchant", Return: ret})
}
