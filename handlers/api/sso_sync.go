package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// syncIdentityProvider runs "sync now" for the actor's partner's identity
// provider and answers its report (schema IdentityProviderSync): who kept
// access, who lost it and why, and whether the provider answered.
func (a *API) syncIdentityProvider(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageSSOMappings)
	if err != nil {
		return err
	}
	rep, err := a.SSO.SyncNow(c.Request().Context(), partnerID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Err: err,
			Message: "Your organisation has no identity provider: your account manager sets one up."}
	case errors.Is(err, sso.ErrSyncTooSoon):
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(sso.SyncNowEvery.Seconds())))
		return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Err: err,
			Message: "A sync ran less than a minute ago. Try again in a minute."}
	case err != nil:
		return err
	}
	if len(rep.Deprovisioned) > 0 && a.Mailer != nil {
		a.Mailer.Kick()
	}
	return c.JSON(http.StatusOK, rep)
}
