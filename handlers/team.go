package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// teamURL is the path of a team's page, or of one of its actions.
func teamURL(id int64, action string) string {
	p := "/teams/" + strconv.FormatInt(id, 10)
	if action != "" {
		p += "/" + action
	}
	return p
}

// teamAction is the start of every action on a team: managing the
// signed-in admin's partner's teams is allowed, and the team's id read
// from the path (whose team it is, the store checks).
func (h *Handler) teamAction(c echo.Context) (partnerID, id int64, err error) {
	partnerID = ownPartnerID(c)
	if err := h.authorize(c, access.ManageTeams, partnerID); err != nil {
		return 0, 0, err
	}
	id, err = pathID(c, "id")
	return partnerID, id, err
}

// partnerTeam is team id of the partner; a team of another partner, or
// none, is the page's "not found".
func (h *Handler) partnerTeam(ctx context.Context, partnerID, id int64) (*store.Team, error) {
	t, err := h.store.PartnerTeam(ctx, partnerID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, NotFound("This team")
	}
	return t, err
}

// confirmDeleteTeam asks before deleting a team.
func (h *Handler) confirmDeleteTeam(c echo.Context) error {
	partnerID, id, err := h.teamAction(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := h.partnerTeam(ctx, partnerID, id)
	if err != nil {
		return err
	}
	n, err := h.store.TeamMemberCount(ctx, t.ID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.DeleteTeam(views.DeleteTeamPage{
		Page:    h.page(c, "Delete "+t.Name),
		Partner: currentPartner(c).Name,
		Team:    views.TeamRow{ID: t.ID, Name: t.Name, MemberCount: n},
	}))
}

// deleteTeam deletes a team; its members stay members of the partner.
func (h *Handler) deleteTeam(c echo.Context) error {
	partnerID, id, err := h.teamAction(c)
	if err != nil {
		return err
	}
	t, n, err := h.people.DeleteTeam(c.Request().Context(), partnerID, id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This team")
	}
	if err != nil {
		return err
	}
	msg := "Team " + t.Name + " deleted."
	switch n {
	case 0:
	case 1:
		msg += " Its member stays a member of " + currentPartner(c).Name + "."
	default:
		msg += " Its " + strconv.Itoa(n) + " members stay members of " + currentPartner(c).Name + "."
	}
	return h.redirectWithFlash(c, "/teams", "success", msg)
}

// addTeamMember puts a member of the partner in one of its teams.
func (h *Handler) addTeamMember(c echo.Context) error {
	partnerID, id, err := h.teamAction(c)
	if err != nil {
		return err
	}
	// An empty or garbled choice is the domain's "choose a member".
	userID, _ := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
	find := boundedSearch(c.FormValue("find"))
	t, u, err := h.people.AddTeamMember(c.Request().Context(), partnerID, id, userID)
	var in *apierr.FieldError
	switch {
	case errors.Is(err, people.ErrNoSuchMember):
		return NotFound("This member")
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This team")
	case errors.As(err, &in):
		return h.renderTeam(c, http.StatusUnprocessableEntity, id, nil, in.Message)
	case errors.Is(err, people.ErrAlreadyInTeam):
		return h.redirectWithFlash(c, teamFindURL(t.ID, find), "info", u.Name+" is in "+t.Name+" already.")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, teamFindURL(t.ID, find), "success", u.Name+" added to "+t.Name+".")
}

// removeTeamMember takes a member out of a team; they stay a member of the
// partner.
func (h *Handler) removeTeamMember(c echo.Context) error {
	partnerID, id, err := h.teamAction(c)
	if err != nil {
		return err
	}
	userID, err := pathID(c, "user")
	if err != nil {
		return err
	}
	t, u, err := h.people.RemoveTeamMember(c.Request().Context(), partnerID, id, userID)
	switch {
	case errors.Is(err, people.ErrNoSuchMember):
		return NotFound("This member")
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This team")
	case errors.Is(err, people.ErrNotInTeam):
		return h.redirectWithFlash(c, teamURL(t.ID, ""), "info", u.Name+" is not in "+t.Name+".")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, teamURL(t.ID, ""), "success", u.Name+" removed from "+t.Name+"; they stay a member of "+currentPartner(c).Name+".")
}
