package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
)

// Grants give access groups to a partner's teams and members. Staff make
// and revoke them under /access-groups/{id}/grants; partner admins read
// their own partner's under /grants and what each member can reach now
// under /members/{id}/access (access.ViewGrants: staff for any partner,
// partner admins for their own).

const grantNotFound = "This grant"

// partnerRef names a partner (schema PartnerRef).
type partnerRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// grantee is whom a grant is to: a team or a member of the partner
// (schema Grantee).
type grantee struct {
	Type  string  `json:"type"`
	ID    int64   `json:"id"`
	Name  string  `json:"name"`
	Email *string `json:"email"`
	// Active is false for a member removed from the partner: the grant
	// reaches nobody.
	Active bool `json:"active"`
}

// grant is a grant of an access group as staff see it (schema Grant).
type grant struct {
	ID          int64      `json:"id"`
	AccessGroup groupRef   `json:"access_group"`
	Partner     partnerRef `json:"partner"`
	Grantee     grantee    `json:"grantee"`
	GrantedAt   time.Time  `json:"granted_at"`
	GrantedBy   *string    `json:"granted_by"`
	RevokedAt   *time.Time `json:"revoked_at"`
	RevokedBy   *string    `json:"revoked_by"`
}

// groupRef names an access group (schema AccessGroupRef).
type groupRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func granteeOf(r *store.GrantRow) grantee {
	if r.TeamID != nil {
		return grantee{Type: "team", ID: *r.TeamID, Name: deref(r.TeamName), Active: true}
	}
	g := grantee{Type: "member", Name: deref(r.UserName), Email: r.UserEmail, Active: r.UserStatus != nil && *r.UserStatus == "active"}
	if r.UserID != nil {
		g.ID = *r.UserID
	}
	return g
}

func grantOf(r *store.GrantRow) grant {
	return grant{ID: r.ID, AccessGroup: groupRef{ID: r.GroupID, Name: r.GroupName}, Partner: partnerRef{ID: r.PartnerID, Name: r.PartnerName},
		Grantee: granteeOf(r), GrantedAt: utc(r.GrantedAt), GrantedBy: r.GrantedByName, RevokedAt: utcPtr(r.RevokedAt), RevokedBy: r.RevokedByName}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// authorizeOn asks the policy whether the actor may perform act on the
// resources of partnerID (not necessarily their own: staff act on any
// partner), as authorize does for the actor's own partner.
func (a *API) authorizeOn(c echo.Context, act access.Action, partnerID int64) (access.Actor, error) {
	actor, _ := c.Get(actorKey).(access.Actor)
	switch access.Can(actor, act, partnerID) {
	case access.Allow:
	case access.Hidden:
		return actor, notFound("This resource")
	default:
		return actor, &Error{Status: http.StatusForbidden, Code: "forbidden",
			Message: "Your role does not allow this. Ask your organisation's portal admin."}
	}
	return actor, requireScope(c, act)
}

// groupGrantList is a page of a group's grants (schema GrantList), with
// how many open grants of the group are to partners the caller does not
// manage: not listed, only counted.
type groupGrantList struct {
	list[grant]
	OtherPartnersOpenGrants int `json:"other_partners_open_grants"`
}

// listGroupGrants lists every grant of a group to the partners the caller
// manages (an account manager's book; every partner for a platform admin):
// the open ones first, most recently granted first, then the revoked ones,
// most recently revoked first, a page at a time from the database. The
// cursor holds the last row's time and id and which of the two lists it is
// in; a page that ends the open grants goes on with the first revoked ones.
func (a *API) listGroupGrants(c echo.Context) error {
	actor, id, err := a.staffGroupID(c)
	if err != nil {
		return err
	}
	book := actor.Book()
	var revoked bool
	q, err := keysetQueryOf(c, func(raw string) (*store.Key, bool) {
		k, r, ok := store.ParseGrantCursor(raw)
		revoked = r
		return k, ok
	}, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.Store.AccessGroupByID(ctx, id); err != nil {
		return groupError(err, groupNotFound)
	}
	gq := store.GrantPageQuery{Revoked: revoked, After: q.After, Limit: q.Limit, Book: book}
	rs, more, err := a.Store.GroupGrantsPage(ctx, id, gq)
	if err != nil {
		return err
	}
	if !revoked && !more {
		// The open grants end on this page: fill it with revoked ones
		// (reading one at least, to know whether any follow).
		gq = store.GrantPageQuery{Revoked: true, Limit: max(q.Limit-len(rs), 1), Book: book}
		rest, restMore, err := a.Store.GroupGrantsPage(ctx, id, gq)
		if err != nil {
			return err
		}
		if n := q.Limit - len(rs); len(rest) > n {
			rest, restMore = rest[:n], true
		}
		rs, more = append(rs, rest...), restMore
	}
	out := groupGrantList{list: list[grant]{Items: make([]grant, 0, len(rs))}}
	for i := range rs {
		out.Items = append(out.Items, grantOf(&rs[i]))
	}
	if more && len(rs) > 0 {
		next := store.GrantCursor(rs[len(rs)-1])
		out.NextCursor = &next
	}
	if out.OtherPartnersOpenGrants, err = a.Store.OpenGrantsOutsideBook(ctx, id, book); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// grantInput is the body of POST /access-groups/{id}/grants: exactly one
// of team_id and user_id, and the partner the grantee must belong to.
type grantInput struct {
	TeamID    *int64 `json:"team_id"`
	UserID    *int64 `json:"user_id"`
	PartnerID *int64 `json:"partner_id"`
}

// check reads the body into the domain's GrantTo, refusing what names no
// grantee or no partner.
func (in *grantInput) check() (catalog.GrantTo, error) {
	var to catalog.GrantTo
	switch {
	case in.TeamID != nil && in.UserID != nil:
		return to, invalidInput("user_id", "send either team_id or user_id, not both: a grant goes to one team or one member.")
	case in.TeamID == nil && in.UserID == nil:
		return to, invalidInput("team_id", "send team_id or user_id: the team or the member of the partner to grant the group to.")
	case in.TeamID != nil && *in.TeamID < 1:
		return to, invalidInput("team_id", "must be a team's id, a whole number from 1.")
	case in.UserID != nil && *in.UserID < 1:
		return to, invalidInput("user_id", "must be a member's id, a whole number from 1.")
	case in.PartnerID == nil:
		return to, invalidInput("partner_id", "send the id of the partner the grantee belongs to: a grant to anyone of another partner is refused.")
	case *in.PartnerID < 1:
		return to, invalidInput("partner_id", "must be a partner's id, a whole number from 1.")
	}
	if in.TeamID != nil {
		to.TeamID = *in.TeamID
	} else {
		to.UserID = *in.UserID
	}
	to.PartnerID = *in.PartnerID
	return to, nil
}

// grantError maps the refusals of a grant. The domain names the grantee
// as one field, "grantee"; the API names the body's field: team_id or
// user_id.
func grantError(err error, to catalog.GrantTo) error {
	var in *apierr.FieldError
	if errors.As(err, &in) && in.Field == "grantee" {
		field := "user_id"
		if to.TeamID > 0 {
			field = "team_id"
		}
		return invalidInput(field, in.Message)
	}
	return groupError(err, groupNotFound)
}

// createGrant grants a group to a team or a member of a partner. The
// grant's partner is the grantee's own; partner_id only says which one
// the caller means, and a grantee of another partner is refused. Granting
// is an action on the partner: to an account manager, a partner they do
// not manage (named by partner_id or owning the grantee) is a 404.
func (a *API) createGrant(c echo.Context) error {
	actor, id, err := a.staffGroupID(c)
	if err != nil {
		return err
	}
	var in grantInput
	if err := decode(c, &in); err != nil {
		return err
	}
	to, err := in.check()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.Store.AccessGroupByID(ctx, id); err != nil {
		return groupError(err, groupNotFound)
	}
	if _, err := a.authorizeOn(c, access.ManageAccessGroups, to.PartnerID); err != nil {
		return err
	}
	if _, err := a.Store.PartnerByID(ctx, to.PartnerID); errors.Is(err, store.ErrNotFound) {
		return invalidInput("partner_id", "That partner does not exist.")
	} else if err != nil {
		return err
	}
	gr, err := a.groups().Grant(ctx, actor, id, to)
	if errors.Is(err, catalog.ErrNotManaged) {
		return notFound("This resource")
	}
	if err != nil {
		return grantError(err, to)
	}
	r, err := a.Store.GroupGrant(ctx, id, gr.ID)
	if err != nil {
		return fmt.Errorf("grant %d just made: %w", gr.ID, err)
	}
	return c.JSON(http.StatusCreated, grantOf(r))
}

// revokeGrant takes a grant of the group back; the row stays for the
// audit trail. Revoking a revoked grant changes nothing and succeeds; a
// grant to a partner the caller does not manage is a 404 like an unknown
// one.
func (a *API) revokeGrant(c echo.Context) error {
	actor, id, err := a.staffGroupID(c)
	if err != nil {
		return err
	}
	grantID, err := pathID(c, "grant_id", grantNotFound)
	if err != nil {
		return err
	}
	_, err = a.groups().Revoke(c.Request().Context(), actor, id, grantID)
	if errors.Is(err, catalog.ErrNotManaged) {
		return notFound(grantNotFound)
	}
	if err != nil && !errors.Is(err, catalog.ErrAlreadyRevoked) {
		return groupError(err, grantNotFound)
	}
	return c.NoContent(http.StatusNoContent)
}
