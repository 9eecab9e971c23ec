package checkout

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/web/static"
	"github.com/mokacheckout/checkout/web/templates"
)

// render writes a buyer page: rendered into a buffer first, so a failing component never
// leaves half a page, and served with the buyer CSP of merchant m (nil: no merchant known).
func (s *Server) render(c echo.Context, m *merchant, status int, comp templ.Component) error {
	if m != nil && len(m.AllowedOrigins) > 0 {
		// The merchant's pages may frame this one: frame-ancestors says which.
		c.Response().Header().Del("X-Frame-Options")
	}
	return s.renderPage(c, status, buyerCSP(m), comp)
}

// renderPage writes a page rendered into a buffer first, under the given CSP.
func (s *Server) renderPage(c echo.Context, status int, csp string, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Security-Policy", csp)
	return c.HTMLBlob(status, buf.Bytes())
}

// basePage is the part of every page that comes from the merchant and the language.
func basePage(m *merchant, lang string) templates.Page {
	p := templates.Page{Lang: lang}
	if m != nil {
		p.MerchantName = m.Name
		p.BrandColor = m.BrandColor
		if len(m.Logo) > 0 {
			p.LogoURL = "/logo/" + m.ID + "?v=" + m.logoHash
		}
	}
	return p
}

// renderMessage shows pe as a message page. page carries language, merchant and iframe
// mode when the caller knows them; nil picks the language from Accept-Language.
func (s *Server) renderMessage(c echo.Context, m *merchant, pe *pageError) error {
	lang := pickLang("", c.Request().Header.Get("Accept-Language"))
	if pe.Lang != "" {
		lang = pe.Lang
	}
	if m == nil && pe.merchant != nil {
		m = pe.merchant
	}
	p := basePage(m, lang)
	p.Embedded, p.ParentOrigin = pe.Embedded, pe.Origin
	p.Title = tr(lang, pe.Heading)
	vm := templates.MessagePage{
		Page:       p,
		StatusCode: pe.Status,
		Heading:    tr(lang, pe.Heading),
		Message:    tr(lang, pe.Message, pe.Args...),
		LinkURL:    pe.LinkURL,
	}
	if pe.LinkText != "" {
		vm.LinkText = tr(lang, pe.LinkText)
	}
	return s.render(c, m, pe.Status, templates.Message(vm))
}

// handleStatic serves the embedded CSS and scripts.
func (s *Server) handleStatic(c echo.Context) error {
	static.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}
