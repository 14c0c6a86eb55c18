package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/people"
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
	ts, err := h.store.PartnerTeams(c.Request().Context(), partnerID)
	if err != nil {
		return err
	}
	m := views.TeamsPage{
		Page:      h.page(c, "Teams"),
		Partner:   currentPartner(c).Name,
		CanManage: access.Can(actorOf(currentUser(c)), access.ManageTeams, partnerID) == access.Allow,
		Create:    form,
	}
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
	var in *people.InputError
	if errors.As(err, &in) {
		return h.renderTeams(c, http.StatusUnprocessableEntity, views.TeamForm{Name: name, NameError: in.Message})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, teamURL(t.ID, ""), "success", "Team "+t.Name+" created. Add its members below.")
}

// team shows one team: its members, and the forms that change it.
func (h *Handler) team(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ViewTeams, partnerID); err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return h.renderTeam(c, http.StatusOK, id, nil, "")
}

// renderTeam renders the page of a team of the signed-in user's partner;
// rename, when set, is the rename form as submitted, and addError the
// add-member form's error.
func (h *Handler) renderTeam(c echo.Context, status int, teamID int64, rename *views.TeamForm, addError string) error {
	partnerID := ownPartnerID(c)
	ctx := c.Request().Context()
	t, err := h.store.PartnerTeam(ctx, partnerID, teamID)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This team")
	}
	if err != nil {
		return err
	}
	ms, err := h.store.TeamMembers(ctx, t.ID)
	if err != nil {
		return err
	}
	cands, err := h.store.TeamCandidates(ctx, partnerID, t.ID)
	if err != nil {
		return err
	}
	m := views.TeamPage{
		Page:      h.page(c, t.Name),
		Partner:   currentPartner(c).Name,
		Team:      views.TeamRow{ID: t.ID, Name: t.Name, MemberCount: len(ms)},
		CanManage: access.Can(actorOf(currentUser(c)), access.ManageTeams, partnerID) == access.Allow,
		Rename:    views.TeamForm{Name: t.Name},
		AddError:  addError,
	}
	if rename != nil {
		m.Rename = *rename
	}
	self := currentUser(c).ID
	for _, r := range ms {
		m.Members = append(m.Members, views.TeamMemberRow{ID: r.ID, Name: r.Name, Email: r.Email, RoleLabel: RoleLabel(r.Role),
			Added: r.AddedAt.UTC().Format("2 Jan 2006"), IsSelf: r.ID == self})
	}
	for _, r := range cands {
		m.Candidates = append(m.Candidates, views.TeamCandidate{ID: r.ID, Name: r.Name, Email: r.Email})
	}
	return h.render(c, status, views.Team(m))
}

// renameTeam renames a team of the signed-in admin's partner.
func (h *Handler) renameTeam(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ManageTeams, partnerID); err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	t, err := h.people.RenameTeam(c.Request().Context(), partnerID, id, name)
	var in *people.InputError
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
