package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// teams lists the signed-in partner admin's teams with their members.
func (h *Handler) teams(c echo.Context) error {
	return h.renderTeams(c, http.StatusOK, views.TeamForm{})
}

func (h *Handler) renderTeams(c echo.Context, status int, form views.TeamForm) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ViewTeams, partnerID); err != nil {
		return err
	}
	q, err := pageQuery(c, store.TeamsList, listPageSize, brokenLink("teams", "Teams from the menu"))
	if err != nil {
		return err
	}
	ts, more, err := h.store.PartnerTeamsPage(c.Request().Context(), partnerID, q)
	if err != nil {
		return err
	}
	m := views.TeamsPage{
		Page:      h.page(c, "Teams"),
		Partner:   currentPartner(c).Name,
		CanManage: access.Can(actorOf(currentUser(c)), access.ManageTeams, partnerID) == access.Allow,
		Create:    form,
		Query:     q.Search,
	}
	m.FirstHref, m.NextHref = pageLinks(store.TeamsList, q.After, ts, more, "/teams", "q", q.Search)
	for _, t := range ts {
		m.Teams = append(m.Teams, views.TeamRow{ID: t.ID, Name: t.Name, MemberCount: t.MemberCount, Members: t.Members})
	}
	return h.render(c, status, views.Teams(m))
}

// createTeam creates a team of the signed-in admin's partner and opens its
// page, where its members are added.
func (h *Handler) createTeam(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ManageTeams, partnerID); err != nil {
		return err
	}
	name := c.FormValue("name")
	t, err := h.people.CreateTeam(c.Request().Context(), partnerID, name)
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return h.renderTeams(c, http.StatusUnprocessableEntity, views.TeamForm{Name: name, NameError: in.Message})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, teamURL(t.ID, ""), "success", "Team "+t.Name+" created. Add its members below.")
}

// renameTeam renames a team of the signed-in admin's partner.
func (h *Handler) renameTeam(c echo.Context) error {
	partnerID, id, err := h.teamAction(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	t, err := h.people.RenameTeam(c.Request().Context(), partnerID, id, name)
	var in *apierr.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This team")
	case errors.As(err, &in):
		return h.renderTeam(c, http.StatusUnprocessableEntity, id, &views.TeamForm{Name: name, NameError: in.Message}, "")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, teamURL(t.ID, ""), "success", "Team renamed to "+t.Name+".")
}
