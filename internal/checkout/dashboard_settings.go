package checkout

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/web/templates"
)

// dashAuditLimit bounds the audit page: the newest entries, no older pages. The full log
// stays in the database.
const dashAuditLimit = 200

// handleDashSettings shows the merchant's configuration, read-only. Secrets never
// appear: the API key is stored only as its SHA-256, so what is shown is the hash's last
// four hex digits, a fingerprint to compare with the key's own hash.
func (s *Server) handleDashSettings(c echo.Context) error {
	m := currentUser(c).Merchant
	p := templates.DashSettingsPage{DashPage: s.dashPage(c, "settings"), MerchantID: m.ID, Name: m.Name,
		Origins: m.AllowedOrigins, ReturnPrefixes: m.ReturnURLPrefixes, WebhookURL: m.WebhookURL,
		KeyFingerprint: strings.ToLower(m.APIKeyHash[len(m.APIKeyHash)-4:])}
	counts := m.Installments
	if len(counts) == 0 {
		counts = []int{1}
	}
	var parts []string
	for _, n := range counts {
		if n == 1 {
			parts = append(parts, "1 ("+templates.DT(p.Lang, "set_installments_single")+")")
			continue
		}
		parts = append(parts, strconv.Itoa(n))
	}
	p.Installments = strings.Join(parts, ", ")
	return s.renderPage(c, http.StatusOK, dashboardCSP, templates.DashSettings(p))
}

// handleDashAudit shows the merchant's audit log, newest first.
func (s *Server) handleDashAudit(c echo.Context) error {
	m := currentUser(c).Merchant
	p := templates.DashAuditPage{DashPage: s.dashPage(c, "audit"), Limit: dashAuditLimit}
	entries, err := s.store.ListAudit(c.Request().Context(), m.ID, dashAuditLimit)
	if err != nil {
		return err
	}
	for _, e := range entries {
		text := e.Action
		if templates.HasDT("aud_" + e.Action) {
			text = templates.DT(p.Lang, "aud_"+e.Action)
		}
		p.Rows = append(p.Rows, templates.DashAuditRow{When: s.dashTime(e.CreatedAt), Email: e.Email, IP: e.IP,
			Action: e.Action, ActionText: text, OrderID: e.OrderID, Detail: e.Detail})
	}
	return s.renderPage(c, http.StatusOK, dashboardCSP, templates.DashAudit(p))
}
