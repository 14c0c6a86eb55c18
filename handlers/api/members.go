package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
)

// member is a member of the actor's partner (schema Member).
type member struct {
	ID           int64      `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Role         string     `json:"role"`
	Teams        []string   `json:"teams"`
	LastSignInAt *time.Time `json:"last_sign_in_at"`
	CreatedAt    time.Time  `json:"created_at"`
}

func memberOf(m store.Member) member {
	teams := []string(m.Teams)
	if teams == nil {
		teams = []string{}
	}
	return member{ID: m.ID, Email: m.Email, Name: m.Name, Role: m.Role, Teams: teams,
		LastSignInAt: utcPtr(m.LastSignInAt), CreatedAt: utc(m.CreatedAt)}
}

// findMember returns an active member of the partner with their teams; one
// of another partner is not found.
func (a *API) findMember(ctx context.Context, partnerID, userID int64) (member, error) {
	m, err := a.Store.PartnerMemberWithTeams(ctx, partnerID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return member{}, notFound("This member")
	}
	if err != nil {
		return member{}, err
	}
	return memberOf(*m), nil
}

// listMembers lists the partner's active members, by name, a page at a
// time from the database: the cursor holds the last row's (name, id) key,
// and limit, cursor and q are checked before any query.
func (a *API) listMembers(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ViewMembers)
	if err != nil {
		return err
	}
	lq, err := keysetQuery(c, store.MembersList)
	if err != nil {
		return err
	}
	ms, more, err := a.Store.PartnerMembersPage(c.Request().Context(), partnerID, store.MemberQuery{ListQuery: lq})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, keysetList(store.MembersList, ms, more, func(m *store.Member) member { return memberOf(*m) }))
}

// getMember shows one member.
func (a *API) getMember(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ViewMembers)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id", "This member")
	if err != nil {
		return err
	}
	m, err := a.findMember(c.Request().Context(), partnerID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// memberChange is the body of PATCH /members/{id}.
type memberChange struct {
	Role string `json:"role"`
}

// changeMember sets a member's role; the last admin cannot be demoted, and
// a session must have confirmed its password recently, as on the page.
func (a *API) changeMember(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageMembers)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id", "This member")
	if err != nil {
		return err
	}
	var in memberChange
	if err := decode(c, &in); err != nil {
		return err
	}
	if !a.recentAuth(c) {
		return &Error{Status: http.StatusForbidden, Code: "reauthentication_required",
			Message: "Changing a role needs your password: confirm it in the portal at /confirm-password, then try again."}
	}
	ctx := c.Request().Context()
	if _, err := a.People.ChangeRole(ctx, partnerID, id, in.Role); err != nil {
		return domainError(err, "This member")
	}
	m, err := a.findMember(ctx, partnerID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// removeMember removes a member and ends their sessions; the last admin
// stays.
func (a *API) removeMember(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageMembers)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id", "This member")
	if err != nil {
		return err
	}
	if _, err := a.People.Remove(c.Request().Context(), partnerID, id); err != nil {
		return domainError(err, "This member")
	}
	return c.NoContent(http.StatusNoContent)
}
