package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
)

// team is a team of the actor's partner (schema Team).
type team struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	MemberCount int       `json:"member_count"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// teamMember is an active member of a team (schema TeamMember).
type teamMember struct {
	ID      int64     `json:"id"`
	Email   string    `json:"email"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	AddedAt time.Time `json:"added_at"`
}

// teamDetail is a team with a page of its members (schema TeamDetail):
// members_next_cursor, passed back as cursor, continues the list.
type teamDetail struct {
	team
	Members           []teamMember `json:"members"`
	MembersNextCursor *string      `json:"members_next_cursor"`
}

func teamOf(t *store.Team, memberCount int) team {
	return team{ID: t.ID, Name: t.Name, MemberCount: memberCount, CreatedAt: utc(t.CreatedAt), UpdatedAt: utc(t.UpdatedAt)}
}

// findTeam returns a team of the partner with its member count; one of
// another partner is not found.
func (a *API) findTeam(ctx context.Context, partnerID, teamID int64) (team, error) {
	t, err := a.Store.PartnerTeamSummary(ctx, partnerID, teamID)
	if err != nil {
		return team{}, domainError(err, "This team")
	}
	return teamOf(&t.Team, t.MemberCount), nil
}

// listTeams lists the partner's teams by name, a page at a time from the
// database (the cursor holds the last row's name and id), searched by q.
func (a *API) listTeams(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ViewTeams)
	if err != nil {
		return err
	}
	q, err := keysetQuery(c, store.TeamsList)
	if err != nil {
		return err
	}
	ts, more, err := a.Store.PartnerTeamsPage(c.Request().Context(), partnerID, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, keysetList(store.TeamsList, ts, more, func(t *store.TeamSummary) team {
		return teamOf(&t.Team, t.MemberCount)
	}))
}

// teamInput is the body of POST /teams and PATCH /teams/{id}.
type teamInput struct {
	Name string `json:"name"`
}

// createTeam creates a team of the partner.
func (a *API) createTeam(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageTeams)
	if err != nil {
		return err
	}
	var in teamInput
	if err := decode(c, &in); err != nil {
		return err
	}
	t, err := a.People.CreateTeam(c.Request().Context(), partnerID, in.Name)
	if err != nil {
		return domainError(err, "This partner")
	}
	c.Response().Header().Set(echo.HeaderLocation, c.Path()+"/"+strconv.FormatInt(t.ID, 10))
	return c.JSON(http.StatusCreated, teamOf(t, 0))
}

// getTeam shows a team with one page of its members, by name: limit,
// cursor and q page and search the members as they do a list.
func (a *API) getTeam(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ViewTeams)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id", "This team")
	if err != nil {
		return err
	}
	q, err := keysetQuery(c, store.TeamMembersList)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := a.findTeam(ctx, partnerID, id)
	if err != nil {
		return err
	}
	ms, more, err := a.Store.TeamMembersPage(ctx, t.ID, q)
	if err != nil {
		return err
	}
	out := teamDetail{team: t, Members: make([]teamMember, 0, len(ms))}
	for _, m := range ms {
		out.Members = append(out.Members, teamMember{ID: m.ID, Email: m.Email, Name: m.Name, Role: m.Role, AddedAt: utc(m.AddedAt)})
	}
	if more {
		next := store.TeamMembersList.Cursor(ms[len(ms)-1].Key())
		out.MembersNextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}

// renameTeam renames a team of the partner.
func (a *API) renameTeam(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageTeams)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id", "This team")
	if err != nil {
		return err
	}
	var in teamInput
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.People.RenameTeam(ctx, partnerID, id, in.Name); err != nil {
		return domainError(err, "This team")
	}
	t, err := a.findTeam(ctx, partnerID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// deleteTeam deletes a team; its members stay members of the partner.
func (a *API) deleteTeam(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageTeams)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id", "This team")
	if err != nil {
		return err
	}
	if _, _, err := a.People.DeleteTeam(c.Request().Context(), partnerID, id); err != nil {
		return domainError(err, "This team")
	}
	return c.NoContent(http.StatusNoContent)
}

// teamMemberIDs reads the team and user ids of /teams/{id}/members/{user_id}.
func teamMemberIDs(c echo.Context) (teamID, userID int64, err error) {
	if teamID, err = pathID(c, "id", "This team"); err != nil {
		return 0, 0, err
	}
	if userID, err = pathID(c, "user_id", "This member"); err != nil {
		return 0, 0, err
	}
	return teamID, userID, nil
}

// teamMemberError maps the errors of team membership changes.
func teamMemberError(err error) error {
	if errors.Is(err, people.ErrNoSuchMember) {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "This member was not found.", Err: err}
	}
	return domainError(err, "This team")
}

// addTeamMember puts a member of the partner in one of its teams. It is
// idempotent: someone in the team already stays in it.
func (a *API) addTeamMember(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageTeams)
	if err != nil {
		return err
	}
	teamID, userID, err := teamMemberIDs(c)
	if err != nil {
		return err
	}
	_, _, err = a.People.AddTeamMember(c.Request().Context(), partnerID, teamID, userID)
	if err != nil && !errors.Is(err, people.ErrAlreadyInTeam) {
		return teamMemberError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// removeTeamMember takes a member out of a team; they stay a member of the
// partner. Someone not in the team is a 404.
func (a *API) removeTeamMember(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageTeams)
	if err != nil {
		return err
	}
	teamID, userID, err := teamMemberIDs(c)
	if err != nil {
		return err
	}
	_, _, err = a.People.RemoveTeamMember(c.Request().Context(), partnerID, teamID, userID)
	if errors.Is(err, people.ErrNotInTeam) {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "This member is not in the team.", Err: err}
	}
	if err != nil {
		return teamMemberError(err)
	}
	return c.NoContent(http.StatusNoContent)
}
