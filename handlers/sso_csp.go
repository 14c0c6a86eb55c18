package handlers

import (
	"context"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
)

// formOriginWait bounds how long a page waits for the provider's discovery
// (cached after the first sign-in) before it is drawn without it.
const formOriginWait = 3 * time.Second

// allowFormsToProvider lets this page's forms lead to p's sign-in. The
// pages' CSP sends forms to this origin only, and browsers check the
// redirects of a form's submission too: POST /sso/start and /sso/confirm
// answer 303 to the provider's authorization endpoint, which the browser
// would refuse. Only that origin is added, only on the pages that offer
// the provider. When the provider cannot be reached now, the page keeps
// the plain policy: the form then shows the outage in words, not a redirect.
func (h *Handler) allowFormsToProvider(c echo.Context, p *store.IdentityProvider) {
	ctx, cancel := context.WithTimeout(c.Request().Context(), formOriginWait)
	defer cancel()
	origin, err := h.sso.AuthorizeOrigin(ctx, p)
	if err != nil {
		h.log.Warn("identity provider's sign-in origin unknown", "provider_id", p.ID, "request_id", requestID(c), "err", err)
		return
	}
	c.Response().Header().Set("Content-Security-Policy", strings.Replace(h.csp, "form-action 'self'", "form-action 'self' "+origin, 1))
}
