package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
)

// allowFormsToProvider lets this page's forms lead to p's sign-in. The
// pages' CSP sends forms to this origin only, and browsers check the
// redirects of a form's submission too: POST /sso/start and /sso/confirm
// answer 303 to the provider's authorization endpoint, which the browser
// would refuse. Only that origin is added, only on the pages that offer
// the provider. The discovery it needs is the one POST /sso/start uses
// next (cached, a failure too): when the provider cannot be reached, the
// page keeps the plain policy and the form then shows the outage in words
// instead of redirecting.
func (h *Handler) allowFormsToProvider(c echo.Context, p *store.IdentityProvider) {
	origin, err := h.sso.AuthorizeOrigin(c.Request().Context(), p)
	if err != nil {
		h.log.Warn("identity provider's sign-in origin unknown", "provider_id", p.ID, "request_id", requestID(c), "err", err)
		return
	}
	c.Response().Header().Set("Content-Security-Policy", strings.Replace(h.csp, "form-action 'self'", "form-action 'self' "+origin, 1))
}
