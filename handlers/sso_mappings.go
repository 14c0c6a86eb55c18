package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// SSOPath is a partner admin's single sign-on page.
const SSOPath = "/sso"

// mappingRows are the mappings as the pages list them, with a way to
// remove each when removable.
func mappingRows(ms []store.GroupMapping, removable bool) []views.SSOMappingRow {
	rows := make([]views.SSOMappingRow, 0, len(ms))
	for _, m := range ms {
		r := views.SSOMappingRow{ID: m.ID, Group: m.Group, Target: "Partner admin role"}
		if m.TeamName != nil {
			r.Target = "Team " + *m.TeamName
		}
		if removable {
			r.RemoveHref = SSOPath + "/mappings/" + strconv.FormatInt(m.ID, 10) + "/delete"
		}
		rows = append(rows, r)
	}
	return rows
}

// ssoPage shows a partner admin their partner's provider, read only, and
// the group mappings they keep.
func (h *Handler) ssoPage(c echo.Context) error {
	if err := h.authorize(c, access.ViewPartnerSSO, ownPartnerID(c)); err != nil {
		return err
	}
	return h.renderSSOPartner(c, http.StatusOK, nil)
}

// renderSSOPartner renders the partner admin's page, with a refused add
// form (nil: an empty one).
func (h *Handler) renderSSOPartner(c echo.Context, status int, add *views.SSOMappingForm) error {
	ctx := c.Request().Context()
	partnerID := ownPartnerID(c)
	m := views.SSOPartnerPage{Page: h.page(c, "Single sign-on"), Partner: currentPartner(c).Name, MaxMappings: sso.MaxMappings}
	if add != nil {
		m.Add = *add
	}
	p, err := h.sso.Current(ctx, &partnerID)
	if err != nil || p == nil {
		if err == nil {
			err = h.render(c, status, views.SSOPartner(m))
		}
		return err
	}
	m.Provider = &views.SSOProviderView{DisplayName: p.DisplayName, Issuer: p.Issuer, Domains: p.Domains, GroupsClaim: p.GroupsClaim,
		Enforced: p.Enforced, RequireGroup: p.RequireGroup}
	ms, err := h.sso.Mappings(ctx, p)
	if err != nil {
		return err
	}
	m.Mappings = mappingRows(ms, access.Can(actorOf(currentUser(c)), access.ManageSSOMappings, partnerID) == access.Allow)
	m.Full = len(ms) >= sso.MaxMappings
	m.Sync = h.ssoSyncPanel(c, p)
	// The select offers a bounded page of teams, by name.
	teams, more, err := h.store.PartnerTeamsPage(ctx, partnerID, store.ListQuery{Limit: store.MaxPage})
	if err != nil {
		return err
	}
	m.MoreTeams = more
	for _, t := range teams {
		m.Teams = append(m.Teams, views.SSOTeamOption{ID: t.ID, Name: t.Name})
	}
	return h.render(c, status, views.SSOPartner(m))
}

// addSSOMapping maps a group to a team of the partner or to the partner
// admin role; a refusal shows the form again (422) at its field.
func (h *Handler) addSSOMapping(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ManageSSOMappings, partnerID); err != nil {
		return err
	}
	group, target := c.FormValue("group"), c.FormValue("target")
	var teamID *int64
	var role *string
	if rest, ok := strings.CutPrefix(target, "team:"); ok {
		if id, err := strconv.ParseInt(rest, 10, 64); err == nil && id > 0 {
			teamID = &id
		}
	} else if target == views.SSOMappingTargetRole {
		// Whoever is in the group becomes a partner admin: as sensitive as
		// changing a role by hand.
		if !recentlyAuthenticated(c) {
			return h.requireSudo(c, SSOPath, "Mapping a group to the partner admin role needs you to confirm who you are: confirm, then add the mapping again.")
		}
		r := sso.RolePartnerAdmin
		role = &r
	}
	m, err := h.sso.AddMapping(c.Request().Context(), partnerID, group, teamID, role)
	var fe *apierr.FieldError
	switch {
	case errors.As(err, &fe):
		form := views.SSOMappingForm{Group: clip(group, 300), Target: clip(target, 40)}
		if fe.Field == "team" {
			form.TargetError = fe.Message
		} else {
			form.GroupError = fe.Message
		}
		return h.renderSSOPartner(c, http.StatusUnprocessableEntity, &form)
	case errors.Is(err, sso.ErrNoProvider):
		return h.redirectWithFlash(c, SSOPath, "error", "Your organisation has no single sign-on yet, so there are no groups to map: your account manager sets it up.")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, SSOPath, "success", "Mapped the group "+m.Group+" to "+mappingTarget(m)+": it applies at each person's next sign-in.")
}

func mappingTarget(m *store.GroupMapping) string {
	if m.TeamName != nil {
		return "the team " + *m.TeamName
	}
	return "the partner admin role"
}

// ssoMappingOf reads the mapping in the path for a partner admin: one of
// another partner's provider is a 404.
func (h *Handler) ssoMappingOf(c echo.Context) (*store.GroupMapping, error) {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ManageSSOMappings, partnerID); err != nil {
		return nil, err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	p, err := h.sso.Current(ctx, &partnerID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, NotFound("This mapping")
	}
	m, err := h.store.GroupMapping(ctx, p.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, NotFound("This mapping")
	}
	return m, err
}

// confirmRemoveSSOMapping asks before removing a mapping.
func (h *Handler) confirmRemoveSSOMapping(c echo.Context) error {
	m, err := h.ssoMappingOf(c)
	if err != nil {
		return err
	}
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Remove a group mapping"),
		Heading: "Stop mapping " + m.Group + " to " + mappingTarget(m) + "?",
		Effects: []string{"From each person's next sign-in, being in " + m.Group + " no longer gives " + mappingTarget(m) + "."},
		Action:  SSOPath + "/mappings/" + strconv.FormatInt(m.ID, 10) + "/delete", Submit: "Remove the mapping",
		Back: SSOPath, Keep: "Keep it", TestID: "confirm-remove-mapping",
	})
}

// removeSSOMapping removes a mapping, audited.
func (h *Handler) removeSSOMapping(c echo.Context) error {
	m, err := h.ssoMappingOf(c)
	if err != nil {
		return err
	}
	removed, err := h.sso.RemoveMapping(c.Request().Context(), ownPartnerID(c), m.ID)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This mapping")
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, SSOPath, "success", "The group "+removed.Group+" no longer gives "+mappingTarget(removed)+".")
}
