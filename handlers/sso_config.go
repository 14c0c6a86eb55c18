package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// The staff's single sign-on pages: a partner's identity provider (staff
// who manage the partner, /partners/:id/sso) and the staff's own
// (platform admins, /settings/sso). Both run the same handlers on a
// different ssoTarget.

// ssoTarget is the provider a staff SSO page configures.
type ssoTarget struct {
	// partnerID is nil for the staff's provider.
	partnerID *int64
	partner   *store.Partner
	// base is the page's path; back and backLabel the page it belongs to.
	base, back, backLabel string
}

func (t ssoTarget) name() string {
	if t.partner == nil {
		return "staff"
	}
	return t.partner.Name
}

// ssoTargetOf asks the policy and reads the target of the request: the
// partner in the path (a partner the viewer does not manage is a 404), or
// the staff's provider.
func (h *Handler) ssoTargetOf(c echo.Context, staff bool) (ssoTarget, error) {
	if staff {
		if err := h.authorize(c, access.ConfigureStaffSSO, 0); err != nil {
			return ssoTarget{}, err
		}
		return ssoTarget{base: "/settings/sso", back: "/settings", backLabel: "Portal settings"}, nil
	}
	id, err := pathID(c, "id")
	if err != nil {
		return ssoTarget{}, err
	}
	if err := h.authorize(c, access.ConfigurePartnerSSO, id); err != nil {
		return ssoTarget{}, err
	}
	p, err := h.partnerOr404(c.Request().Context(), id)
	if err != nil {
		return ssoTarget{}, err
	}
	return ssoTarget{partnerID: &p.ID, partner: p, base: views.PartnerPagePath(id) + "/sso", back: views.PartnerPagePath(id), backLabel: p.Name}, nil
}

func (h *Handler) partnerSSOForm(c echo.Context) error          { return h.showSSOConfig(c, false) }
func (h *Handler) staffSSOForm(c echo.Context) error            { return h.showSSOConfig(c, true) }
func (h *Handler) savePartnerSSO(c echo.Context) error          { return h.saveSSOConfig(c, false) }
func (h *Handler) saveStaffSSO(c echo.Context) error            { return h.saveSSOConfig(c, true) }
func (h *Handler) confirmRemovePartnerSSO(c echo.Context) error { return h.confirmRemoveSSO(c, false) }
func (h *Handler) confirmRemoveStaffSSO(c echo.Context) error   { return h.confirmRemoveSSO(c, true) }
func (h *Handler) removePartnerSSO(c echo.Context) error        { return h.removeSSO(c, false) }
func (h *Handler) removeStaffSSO(c echo.Context) error          { return h.removeSSO(c, true) }

func (h *Handler) showSSOConfig(c echo.Context, staff bool) error {
	t, err := h.ssoTargetOf(c, staff)
	if err != nil {
		return err
	}
	return h.renderSSOConfig(c, http.StatusOK, t, nil)
}

// renderSSOConfig shows the target's provider form: the saved provider,
// or form as entered after a refusal.
func (h *Handler) renderSSOConfig(c echo.Context, status int, t ssoTarget, form *views.SSOForm) error {
	ctx := c.Request().Context()
	p, err := h.sso.Current(ctx, t.partnerID)
	if err != nil {
		return err
	}
	title := "Single sign-on for " + t.name()
	m := views.SSOConfigPage{Page: h.page(c, title), Back: t.back, BackLabel: t.backLabel, RedirectURL: h.sso.RedirectURL(),
		Configured: p != nil}
	if t.partner != nil {
		m.Partner = t.partner.Name
	}
	if form != nil {
		m.Form = *form
	} else if p != nil {
		m.Form = views.SSOForm{DisplayName: p.DisplayName, Issuer: p.Issuer, ClientID: p.ClientID, Domains: strings.Join(p.Domains, "\n"),
			GroupsClaim: p.GroupsClaim, Enforced: p.Enforced, RequireGroup: p.RequireGroup}
	}
	m.Form.Action, m.Form.Staff, m.Form.SecretSet = t.base, t.partnerID == nil, p != nil
	if p != nil {
		m.DeleteHref = t.base + "/delete"
		m.Updated = formatTime(p.UpdatedAt)
		if t.partnerID != nil {
			ms, err := h.sso.Mappings(ctx, p)
			if err != nil {
				return err
			}
			m.Mappings = mappingRows(ms, false)
		}
	}
	return h.render(c, status, views.SSOConfig(m))
}

// saveSSOConfig creates or changes the target's provider; a refused field
// shows the form again (422) with the message at that field, the secret
// never echoed.
func (h *Handler) saveSSOConfig(c echo.Context, staff bool) error {
	t, err := h.ssoTargetOf(c, staff)
	if err != nil {
		return err
	}
	in := sso.ConfigInput{DisplayName: c.FormValue("display_name"), Issuer: c.FormValue("issuer"), ClientID: c.FormValue("client_id"),
		ClientSecret: c.FormValue("client_secret"), Domains: sso.SplitDomains(c.FormValue("domains")), GroupsClaim: c.FormValue("groups_claim"),
		Enforced: c.FormValue("enforced") == "on", RequireGroup: c.FormValue("require_group") == "on"}
	p, err := h.sso.Configure(c.Request().Context(), actorOf(currentUser(c)), t.partnerID, in)
	var fe *apierr.FieldError
	switch {
	case errors.As(err, &fe):
		form := views.SSOForm{DisplayName: clip(in.DisplayName, 200), Issuer: clip(in.Issuer, 600), ClientID: clip(in.ClientID, 600),
			Domains: clip(c.FormValue("domains"), 6000), GroupsClaim: clip(in.GroupsClaim, 200), Enforced: in.Enforced, RequireGroup: in.RequireGroup,
			Errors: map[string]string{fe.Field: fe.Message}}
		return h.renderSSOConfig(c, http.StatusUnprocessableEntity, t, &form)
	case errors.Is(err, sso.ErrPartnerEnded):
		return partnerEnded(t.name(), "its sign-in settings")
	case errors.Is(err, sso.ErrNotAllowed):
		return NotFound("This page")
	case err != nil:
		return err
	}
	msg := "Single sign-on saved: people of " + strings.Join(p.Domains, ", ") + " now sign in through " + p.DisplayName + "."
	switch {
	case p.Enforced && p.IsStaff():
		msg += " It is enforced: account managers can no longer use their passwords."
	case p.Enforced:
		msg += " It is enforced: their passwords no longer work, and open invitations were cancelled."
	}
	return h.redirectWithFlash(c, t.base, "success", msg)
}

// confirmRemoveSSO asks before removing the target's provider, saying
// whom it concerns.
func (h *Handler) confirmRemoveSSO(c echo.Context, staff bool) error {
	t, err := h.ssoTargetOf(c, staff)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := h.sso.Current(ctx, t.partnerID)
	if err != nil {
		return err
	}
	if p == nil {
		return h.redirectWithFlash(c, t.base, "info", "There is no single sign-on to remove.")
	}
	n, err := h.store.ProviderPeopleCount(ctx, p.ID)
	if err != nil {
		return err
	}
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Remove single sign-on"),
		Heading: "Remove " + p.DisplayName + " from the sign-in of " + t.name() + "?",
		Effects: []string{
			peopleCount(n) + " through " + p.DisplayName + ". After this they sign in with a password: those who never had one use “forgot password” to get one.",
			"Its domains (" + strings.Join(p.Domains, ", ") + ") and group mappings are removed with it; members, teams and credentials stay as they are.",
		},
		Action: t.base + "/delete", Submit: "Remove single sign-on", Back: t.base, Keep: "Keep it", TestID: "confirm-remove-sso",
	})
}

// removeSSO removes the target's provider.
func (h *Handler) removeSSO(c echo.Context, staff bool) error {
	t, err := h.ssoTargetOf(c, staff)
	if err != nil {
		return err
	}
	p, _, err := h.sso.RemoveProvider(c.Request().Context(), t.partnerID)
	if errors.Is(err, store.ErrNotFound) {
		return h.redirectWithFlash(c, t.base, "info", "There was no single sign-on to remove.")
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, t.back, "success", p.DisplayName+" was removed from the sign-in of "+t.name()+": its people sign in with a password again.")
}
