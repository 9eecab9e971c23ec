package checkout_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCSPViolationsAreReportedAndLogged: the card page's policy names the report
// endpoint, and a browser's report of a blocked script is in the log.
func TestCSPViolationsAreReportedAndLogged(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(orderBody("CSP-1"))
	page := e.get("/pay/" + o["id"].(string))
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, page.header.Get("Content-Security-Policy"), "report-uri /csp-report")
	assert.Contains(t, page.header.Get("Content-Security-Policy"), "report-to csp")
	assert.Equal(t, `csp="/csp-report"`, page.header.Get("Reporting-Endpoints"))

	old := `{"csp-report":{"document-uri":"` + e.url + `/pay/x","violated-directive":"script-src-elem","blocked-uri":"https://evil.example/skimmer.js"}}`
	r := e.api(http.MethodPost, "/csp-report", old, "Content-Type", "application/csp-report")
	assert.Equal(t, http.StatusNoContent, r.status)
	batch := `[{"type":"csp-violation","body":{"documentURL":"` + e.url + `/pay/y","effectiveDirective":"form-action","blockedURL":"https://evil.example/collect"}}]`
	r = e.api(http.MethodPost, "/csp-report", batch, "Content-Type", "application/reports+json")
	assert.Equal(t, http.StatusNoContent, r.status)
	r = e.api(http.MethodPost, "/csp-report", `not json`, "Content-Type", "application/csp-report")
	assert.Equal(t, http.StatusNoContent, r.status, "junk is ignored quietly")

	logs := e.logs.String()
	assert.Contains(t, logs, "https://evil.example/skimmer.js")
	assert.Contains(t, logs, "https://evil.example/collect")
	assert.Equal(t, 2, strings.Count(logs, "content security policy violation"))
}
