package checkout

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/labstack/echo/v4"
)

// logoHashOf names a logo's content, so its URL changes when the logo does.
func logoHashOf(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:8]
}

// handleLogo serves a merchant's logo from our own origin: the card page makes no request
// to anyone else. An SVG is an image here, never a document: its scripts cannot run,
// since the answer's CSP (default-src 'none', sandbox) forbids them if opened directly.
func (s *Server) handleLogo(c echo.Context) error {
	m := s.merchants[c.Param("merchant")]
	if m == nil || len(m.Logo) == 0 || m.LogoType == "" {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	return c.Blob(http.StatusOK, m.LogoType, m.Logo)
}
