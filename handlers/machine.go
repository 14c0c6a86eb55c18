package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/sandbox"
)

// machineSurface hands /sandbox/, /live/, /auth/verify and the OAuth
// endpoints (/oauth/…, /.well-known/oauth-authorization-server) to the gateway
// before echo routes them, with the client address the portal's proxy
// rules give: no session, no CSRF check, the gateway's own errors and
// audit. Behind a proxy that calls /auth/verify, that address is the
// proxy's X-Forwarded-For once PORTICO_TRUSTED_PROXIES names the proxy.
func (h *Handler) machineSurface(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := c.Request().URL.Path
		if strings.HasPrefix(p, "/sandbox/") || strings.HasPrefix(p, "/live/") {
			h.gateway.Serve(c.Response().Writer, c.Request(), c.RealIP())
			return nil
		}
		if gateway.IsVerify(p) {
			h.gateway.Verify(c.Response().Writer, c.Request(), c.RealIP())
			return nil
		}
		if gateway.IsOAuth(p) {
			h.gateway.OAuth(c.Response().Writer, c.Request(), c.RealIP())
			return nil
		}
		return next(c)
	}
}

// sandboxBackend adapts the sandbox to the gateway.
type sandboxBackend struct{ s *sandbox.Sandbox }

func (b sandboxBackend) Serve(w http.ResponseWriter, r *http.Request, req gateway.SandboxRequest) {
	b.s.Serve(w, r, sandbox.Request{PartnerID: req.PartnerID, API: req.API, Spec: req.Spec, Route: req.Route, PathParams: req.PathParams})
}
