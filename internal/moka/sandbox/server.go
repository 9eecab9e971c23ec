package sandbox

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

// Config describes the dealers the sandbox knows, its clock, and its own public origin.
type Config struct {
	Dealers []Dealer
	// Now is the sandbox's clock; nil means time.Now.
	Now func() time.Time
	// PublicURL is the sandbox's own origin (e.g. http://127.0.0.1:8081), used to build
	// the bank page URL returned as Data.Url.
	PublicURL string
	// RefundDelay, when positive, completes a pending refund request on its own once it is
	// this old (checked on every service call), so demo refunds settle without a hook.
	// Zero leaves completion to CompleteRefunds.
	RefundDelay time.Duration
}

// Dealer is one Moka dealer account with the settings that change the sandbox's answers.
type Dealer struct {
	DealerCode, Username, Password string
	// HasVirtualPos false answers VirtualPosNotFound to payment services.
	HasVirtualPos bool
	// SubDealers are the sub-dealer ids a marketplace payment may name.
	SubDealers []int64
	// MaxInstallments above which ThisInstallmentNumberNotAvailableForDealer is answered.
	MaxInstallments int
	// DailyLimit caps the sum of the day's started payments; zero means no limit.
	DailyLimit decimal.Decimal
	// Authorized false answers DealerNotAuthorized to GetPaymentTrxList.
	Authorized bool
}

// Demo credentials of the sandbox's demo dealer (documented in the README).
const (
	DemoDealerCode = "demo-dealer"
	DemoUsername   = "demo-user"
	DemoPassword   = "demo-pass"
)

// DemoConfig returns the demo dealer with every sub-dealer the seed samples use, so each
// seed sample succeeds with only its authentication block and expiry year changed.
func DemoConfig(publicURL string) Config {
	return Config{
		PublicURL: publicURL,
		Dealers: []Dealer{{
			DealerCode:      DemoDealerCode,
			Username:        DemoUsername,
			Password:        DemoPassword,
			HasVirtualPos:   true,
			SubDealers:      []int64{166, 167, 1738, 1744, 1767, 1768, 1770, 1772, 1774, 1787, 1788},
			MaxInstallments: 12,
			Authorized:      true,
		}},
		RefundDelay: time.Minute,
	}
}

// Fault is an injected failure of the Moka services (not of the bank page). The zero
// value means no fault.
type Fault struct {
	// Latency delays every matching answer.
	Latency time.Duration
	// Status500 answers HTTP 500 with an HTML body, like a broken load balancer.
	Status500 bool
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
	// Path limits the fault to one service path (e.g. moka.PathCapture); "" means all.
	Path string
}

// Server is the sandbox: an http.Handler holding all state in memory, safe for
// concurrent use.
type Server struct {
	cfg    Config
	now    func() time.Time
	mux    *http.ServeMux
	tmpl   *template.Template
	public string

	mu          sync.Mutex
	fault       Fault
	payments    []*payment
	byToken     map[string]*payment
	nextPayment int64
	nextTrx     int64
	nextRefund  int64
}

// New builds a sandbox from cfg.
func New(cfg Config) *Server {
	s := &Server{
		cfg:         cfg,
		now:         cfg.Now,
		mux:         http.NewServeMux(),
		tmpl:        template.Must(template.New("bank").Parse(bankTemplates)),
		public:      strings.TrimRight(cfg.PublicURL, "/"),
		byToken:     map[string]*payment{},
		nextPayment: 1000,
		nextTrx:     5000,
		nextRefund:  1300,
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("POST "+moka.PathThreeD, s.service(s.handleThreeD))
	m.HandleFunc("POST "+moka.PathThreeDMarketPlace, s.service(s.handleThreeDMarketPlace))
	m.HandleFunc("POST "+moka.PathCapture, s.service(s.handleCapture))
	m.HandleFunc("POST "+moka.PathApprovePoolPayment, s.service(s.handleApprove))
	m.HandleFunc("POST "+moka.PathUndoApprovePool, s.service(s.handleUndoApprove))
	m.HandleFunc("POST "+moka.PathCreateRefundRequest, s.service(s.handleRefund))
	m.HandleFunc("POST "+moka.PathVoid, s.service(s.handleVoid))
	m.HandleFunc("POST "+moka.PathPaymentTrxList, s.service(s.handleTrxList))
	m.HandleFunc("POST "+moka.PathDealerPaymentTrxList, s.service(s.handleDetail))

	m.HandleFunc("GET /bank/3d/{token}", s.handleBankPage)
	m.HandleFunc("POST /bank/3d/{token}", s.handleBankSubmit)
	m.HandleFunc("GET /bank/3d/{token}/repost", s.handleBankRepost)
	m.HandleFunc("GET /{$}", s.handleIndex)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// SetFault injects f into the Moka services until it is replaced; SetFault(Fault{})
// clears it.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// service wraps a Moka service handler with fault injection.
func (s *Server) service(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.fault
		if s.cfg.RefundDelay > 0 {
			s.completeRefunds(s.now().Add(-s.cfg.RefundDelay))
		}
		s.mu.Unlock()
		if f.Path != "" && f.Path != r.URL.Path {
			f = Fault{}
		}
		if f.Latency > 0 {
			t := time.NewTimer(f.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch {
		case f.Status500:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("<html><body><h1>500 - Internal server error.</h1></body></html>"))
		case f.Malformed:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(`{"Data":{"IsSuccessful":tru`))
		default:
			h(w, r)
		}
	}
}

func (s *Server) handleIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("Moka sandbox: POST /PaymentDealer/<service>; bank 3-D pages under /bank/3d/.\n"))
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

// exAmount is the amount that makes any service answer EX, so callers can test their
// handling of Moka's unexpected-error answer on purpose.
var exAmount = decimal.RequireFromString("99.99")

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
	authRefund  = auth{"PaymentDealer.DoCreateRefundRequest.InvalidRequest", "PaymentDealer.DoCreateRefundRequest.InvalidAccount", "", false}
)

// decode reads a Moka envelope and authenticates it. On failure it has written the answer
// and returns ok false.
func decode[T any](s *Server, w http.ResponseWriter, r *http.Request, a auth) (req T, d *Dealer, ok bool) {
	var env moka.Envelope[T]
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&env); err != nil {
		writeCode(w, a.invalidRequest)
		return req, nil, false
	}
	au := env.PaymentDealerAuthentication
	if au.DealerCode == "" || au.Username == "" || au.Password == "" ||
		!strings.EqualFold(strings.TrimSpace(au.CheckKey), checkKey(au.DealerCode, au.Username, au.Password)) {
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
