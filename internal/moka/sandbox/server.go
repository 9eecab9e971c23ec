package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

// Server is the sandbox: an http.Handler holding all state in memory, safe for
// concurrent use.
type Server struct {
	cfg Config
	// baseNow is Config.Now or time.Now; offset (nanoseconds) moves it (see now).
	baseNow func() time.Time
	offset  atomic.Int64
	mux     *http.ServeMux
	public  string

	// services are the Moka paths the sandbox answers, for the fault endpoint's check.
	services map[string]bool

	mu       sync.Mutex
	fault    Fault
	payments []*payment
	// unanswered holds the 3-D payments whose bank session may still time out, oldest
	// first; refunding the payments with a refund request waiting. Both keep the checks
	// every request makes proportional to what is pending, not to every payment made.
	unanswered  []*payment
	refunding   []*payment
	byToken     map[string]*payment
	nextPayment int64
	nextTrx     int64
	nextRefund  int64
}

// New builds a sandbox from cfg, with cfg.Payments already made. It panics when a preset
// names a dealer cfg does not have, as that is a mistake in the code that built cfg.
func New(cfg Config) *Server {
	s := &Server{
		cfg:         cfg,
		baseNow:     cfg.Now,
		mux:         http.NewServeMux(),
		public:      strings.TrimRight(cfg.PublicURL, "/"),
		byToken:     map[string]*payment{},
		services:    map[string]bool{},
		nextPayment: 1000,
		nextTrx:     5000,
		nextRefund:  1300,
	}
	if s.baseNow == nil {
		s.baseNow = time.Now
	}
	s.routes()
	for _, p := range cfg.Payments {
		s.addPreset(p)
	}
	return s
}

func (s *Server) routes() {
	m := s.mux
	for path, h := range map[string]http.HandlerFunc{
		moka.PathThreeD:               s.handleThreeD,
		moka.PathThreeDMarketPlace:    s.handleThreeDMarketPlace,
		moka.PathCapture:              s.handleCapture,
		moka.PathApprovePoolPayment:   s.handleApprove,
		moka.PathUndoApprovePool:      s.handleUndoApprove,
		moka.PathCreateRefundRequest:  s.handleRefund,
		moka.PathVoid:                 s.handleVoid,
		moka.PathPaymentTrxList:       s.handleTrxList,
		moka.PathDealerPaymentTrxList: s.handleDetail,
		moka.PathCalcPaymentTable:     s.handlePaymentTable,
	} {
		m.HandleFunc("POST "+path, s.service(h))
		s.services[path] = true
	}

	m.HandleFunc("GET /bank/3d/{token}", s.handleBankPage)
	m.HandleFunc("POST /bank/3d/{token}", s.handleBankSubmit)
	m.HandleFunc("GET /bank/3d/{token}/repost", s.handleBankRepost)
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		m.HandleFunc(method+" "+FaultPath, s.handleFault)
		m.HandleFunc(method+" "+ClockPath, s.handleClock)
	}
	m.HandleFunc("GET /{$}", s.handleIndex)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Server) handleIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("Moka sandbox: POST /PaymentDealer/<service>; bank 3-D pages under /bank/3d/; faults at " + FaultPath + "; clock at " + ClockPath + ".\n"))
}

// envelope is Moka's answer shape; Data is null on failure.
type envelope struct {
	Data          any    `json:"Data"`
	ResultCode    string `json:"ResultCode"`
	ResultMessage string `json:"ResultMessage"`
	Exception     any    `json:"Exception"`
}

// Moka answers HTTP 200 for business failures; only the envelope says what went wrong.
func writeEnvelope(w http.ResponseWriter, e envelope) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(e)
}

func writeSuccess(w http.ResponseWriter, data any) {
	writeEnvelope(w, envelope{Data: data, ResultCode: moka.ResultSuccess})
}

func writeCode(w http.ResponseWriter, code string) {
	writeEnvelope(w, envelope{ResultCode: code, ResultMessage: messages[code]})
}

// Triggers of Moka's unexpected-error answer (EX), so callers can test their handling of
// it on purpose. EXAmount works in every service that takes an amount (the 3-D services,
// DoCapture, DoCreateRefundRequest); EXOrderID, sent as VirtualPosOrderId or OtherTrxCode,
// in every service that names a payment (DoCapture, DoApprovePoolPayment,
// UndoApprovePoolPayment, DoCreateRefundRequest, DoVoid, GetDealerPaymentTrxDetailList);
// EXSubDealerID, sent as SubDealerId, in GetPaymentTrxList. Fault.EX works on any path.
const (
	EXAmount      = "99.99"
	EXOrderID     = "sandbox-EX"
	EXSubDealerID = 9999
)

// isEXAmount reports whether a is EXAmount.
func isEXAmount(a decimal.Decimal) bool { return a.Equal(decimal.RequireFromString(EXAmount)) }

// isEXOrder reports whether either id of a request is EXOrderID; ids are trimmed.
func isEXOrder(vposOrderID, otherTrxCode string) bool {
	return vposOrderID == EXOrderID || otherTrxCode == EXOrderID
}

func writeEX(w http.ResponseWriter, why string) {
	writeEnvelope(w, envelope{ResultCode: "EX", ResultMessage: "An unexpected error has occurred", Exception: "sandbox: " + why})
}

// auth holds the authentication result codes of one service; DoCreateRefundRequest has
// its own prefix in the seed.
type auth struct {
	invalidRequest, invalidAccount, virtualPosNotFound string
	needPos                                            bool
}

const authPrefix = "PaymentDealer.CheckPaymentDealerAuthentication."

var (
	authPayment = auth{authPrefix + "InvalidRequest", authPrefix + "InvalidAccount", authPrefix + "VirtualPosNotFound", true}
	authPlain   = auth{authPrefix + "InvalidRequest", authPrefix + "InvalidAccount", "", false}
	authRefund  = auth{refundPrefix + "InvalidRequest", refundPrefix + "InvalidAccount", "", false}
)

// decode reads a Moka envelope in the body's charset and authenticates it. On failure it
// has written the answer and returns ok false.
func decode[T any](s *Server, w http.ResponseWriter, r *http.Request, a auth) (req T, d *Dealer, ok bool) {
	var env moka.Envelope[T]
	body, ok := requestBody(w, r)
	if !ok {
		writeCode(w, a.invalidRequest)
		return req, nil, false
	}
	dec := json.NewDecoder(body)
	if err := dec.Decode(&env); err != nil {
		writeCode(w, a.invalidRequest)
		return req, nil, false
	}
	// One JSON value and nothing after it: Moka's parser refuses trailing junk as corrupt
	// JSON, and a sandbox that took it would hide a client bug.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeCode(w, a.invalidRequest)
		return req, nil, false
	}
	au := env.PaymentDealerAuthentication
	// A blank DealerCode, Username or Password names no account, which Moka's test host
	// answers InvalidAccount; only a CheckKey that does not match what was sent is
	// InvalidRequest.
	if au.DealerCode == "" || au.Username == "" || au.Password == "" {
		writeCode(w, a.invalidAccount)
		return req, nil, false
	}
	if !strings.EqualFold(strings.TrimSpace(au.CheckKey), checkKey(au.DealerCode, au.Username, au.Password)) {
		writeCode(w, a.invalidRequest)
		return req, nil, false
	}
	for i := range s.cfg.Dealers {
		c := &s.cfg.Dealers[i]
		if c.DealerCode == au.DealerCode && c.Username == au.Username && c.Password == au.Password {
			d = c
		}
	}
	if d == nil {
		writeCode(w, a.invalidAccount)
		return req, nil, false
	}
	if a.needPos && !d.HasVirtualPos {
		writeCode(w, a.virtualPosNotFound)
		return req, nil, false
	}
	return env.PaymentDealerRequest, d, true
}
