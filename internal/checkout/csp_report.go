package checkout

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// cspReportPath receives the browsers' reports of Content-Security-Policy violations: a
// card page that loaded a script or posted a form where its policy forbids is a page
// someone tampered with (PCI DSS v4 11.6.1 wants that noticed), or a broken deploy.
const cspReportPath = "/csp-report"

// cspReportDirectives point every page's policy at cspReportPath, in both the old
// (report-uri) and the new (report-to with Reporting-Endpoints) form.
const cspReportDirectives = "; report-uri " + cspReportPath + "; report-to csp"

// maxCSPReport bounds a report body; real ones are a few hundred bytes.
const maxCSPReport = 16 << 10

// cspReportLog lets through a burst of 20 report log lines, then 2 a second: a page
// broken for every buyer must not flood the log.
func newCSPReportLimiter() *rate.Limiter { return rate.NewLimiter(2, 20) }

// handleCSPReport logs a violation report. Both formats are read: application/csp-report
// ({"csp-report": {...}}) and application/reports+json ([{"type":"csp-violation","body":{...}}]).
// The answer is always 204: the browser does nothing with it.
func (s *Server) handleCSPReport(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxCSPReport))
	if err != nil || len(body) == 0 {
		return c.NoContent(http.StatusNoContent)
	}
	type violation struct {
		DocumentURI        string `json:"document-uri"`
		DocumentURL        string `json:"documentURL"`
		ViolatedDirective  string `json:"violated-directive"`
		EffectiveDirective string `json:"effectiveDirective"`
		BlockedURI         string `json:"blocked-uri"`
		BlockedURL         string `json:"blockedURL"`
		SourceFile         string `json:"source-file"`
		SourceFileNew      string `json:"sourceFile"`
	}
	var reports []violation
	var old struct {
		Report violation `json:"csp-report"`
	}
	var batch []struct {
		Type string    `json:"type"`
		Body violation `json:"body"`
	}
	switch {
	case json.Unmarshal(body, &old) == nil && (old.Report.ViolatedDirective != "" || old.Report.BlockedURI != ""):
		reports = append(reports, old.Report)
	case json.Unmarshal(body, &batch) == nil:
		for _, r := range batch {
			if r.Type == "csp-violation" {
				reports = append(reports, r.Body)
			}
		}
	}
	for _, r := range reports {
		if !s.cspReports.AllowN(time.Now(), 1) {
			s.cspDropped.Add(1)
			continue
		}
		s.log.Warn("content security policy violation",
			"document", clip(first(r.DocumentURI, r.DocumentURL), 300),
			"directive", clip(first(r.ViolatedDirective, r.EffectiveDirective), 100),
			"blocked", clip(first(r.BlockedURI, r.BlockedURL), 300),
			"source", clip(first(r.SourceFile, r.SourceFileNew), 300),
			"request_id", requestIDOf(c))
	}
	return c.NoContent(http.StatusNoContent)
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
