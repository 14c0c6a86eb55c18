package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// identityProvider is a partner's identity provider (schema
// IdentityProvider): never its client secret, only whether one is set.
type identityProvider struct {
	ID              int64     `json:"id"`
	PartnerID       int64     `json:"partner_id"`
	DisplayName     string    `json:"display_name"`
	Issuer          string    `json:"issuer"`
	ClientID        string    `json:"client_id"`
	ClientSecretSet bool      `json:"client_secret_set"`
	Domains         []string  `json:"domains"`
	GroupsClaim     string    `json:"groups_claim"`
	Enforced        bool      `json:"enforced"`
	RequireGroup    bool      `json:"require_group"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func identityProviderOf(p *store.IdentityProvider) identityProvider {
	out := identityProvider{ID: p.ID, DisplayName: p.DisplayName, Issuer: p.Issuer, ClientID: p.ClientID,
		ClientSecretSet: len(p.ClientSecretEnc) > 0, Domains: append([]string{}, p.Domains...), GroupsClaim: p.GroupsClaim,
		Enforced: p.Enforced, RequireGroup: p.RequireGroup, CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.UpdatedAt)}
	if p.PartnerID != nil {
		out.PartnerID = *p.PartnerID
	}
	return out
}

// identityProviderInput is the body of PUT (schema IdentityProviderInput).
// A missing or empty client_secret keeps the stored one.
type identityProviderInput struct {
	DisplayName  string   `json:"display_name"`
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Domains      []string `json:"domains"`
	GroupsClaim  string   `json:"groups_claim"`
	Enforced     bool     `json:"enforced"`
	RequireGroup bool     `json:"require_group"`
}

// ssoError turns the sso service's errors into API errors.
func ssoError(err error, what string) error {
	switch {
	case errors.Is(err, sso.ErrNotAllowed):
		return notFound("This resource")
	case errors.Is(err, sso.ErrPartnerEnded):
		return &Error{Status: http.StatusConflict, Code: "partner_ended", Err: err,
			Message: "The partnership has ended: its sign-in settings stay on record and cannot be changed."}
	}
	return domainError(err, what)
}

// managedPartner reads the partner of /partners/{id}/identity-provider
// for staff who manage it (others: 404 or 403 as the policy says).
func (a *API) managedPartner(c echo.Context) (access.Actor, int64, error) {
	id, err := pathID(c, "id", "This partner")
	if err != nil {
		return access.Actor{}, 0, err
	}
	actor, err := a.authorizeOn(c, access.ConfigurePartnerSSO, id)
	if err != nil {
		return actor, 0, err
	}
	if _, err := a.Store.PartnerByID(c.Request().Context(), id); err != nil {
		return actor, 0, domainError(err, "This partner")
	}
	return actor, id, nil
}

// answerProvider answers the partner's provider, 404 when it has none.
func (a *API) answerProvider(c echo.Context, partnerID int64) error {
	p, err := a.SSO.Current(c.Request().Context(), &partnerID)
	if err != nil {
		return err
	}
	if p == nil {
		return notFound("This partner's identity provider")
	}
	return c.JSON(http.StatusOK, identityProviderOf(p))
}

// getPartnerIdentityProvider shows staff a partner's provider.
func (a *API) getPartnerIdentityProvider(c echo.Context) error {
	_, id, err := a.managedPartner(c)
	if err != nil {
		return err
	}
	return a.answerProvider(c, id)
}

// putPartnerIdentityProvider creates (201) or replaces (200) a partner's
// provider.
func (a *API) putPartnerIdentityProvider(c echo.Context) error {
	actor, id, err := a.managedPartner(c)
	if err != nil {
		return err
	}
	var in identityProviderInput
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	was, err := a.SSO.Current(ctx, &id)
	if err != nil {
		return err
	}
	p, err := a.SSO.Configure(ctx, actor, &id, sso.ConfigInput{DisplayName: in.DisplayName, Issuer: in.Issuer, ClientID: in.ClientID,
		ClientSecret: in.ClientSecret, Domains: in.Domains, GroupsClaim: in.GroupsClaim, Enforced: in.Enforced, RequireGroup: in.RequireGroup})
	if err != nil {
		return ssoError(err, "This partner")
	}
	status := http.StatusOK
	if was == nil {
		status = http.StatusCreated
	}
	return c.JSON(status, identityProviderOf(p))
}

// deletePartnerIdentityProvider removes a partner's provider.
func (a *API) deletePartnerIdentityProvider(c echo.Context) error {
	_, id, err := a.managedPartner(c)
	if err != nil {
		return err
	}
	if _, _, err := a.SSO.RemoveProvider(c.Request().Context(), &id); err != nil {
		return ssoError(err, "This partner's identity provider")
	}
	return c.NoContent(http.StatusNoContent)
}

// getOwnIdentityProvider shows a partner admin their partner's provider.
func (a *API) getOwnIdentityProvider(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ViewPartnerSSO)
	if err != nil {
		return err
	}
	return a.answerProvider(c, partnerID)
}
