package api

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
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

// partnerGrant is an open grant to the partner with what it gives
// (schema PartnerGrant).
type partnerGrant struct {
	ID          int64        `json:"id"`
	AccessGroup grantedGroup `json:"access_group"`
	Grantee     grantee      `json:"grantee"`
	GrantedAt   time.Time    `json:"granted_at"`
}

// memberAccess is what one member can reach now (schema MemberAccess).
type memberAccess struct {
	Member struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"member"`
	APIs []apiReach `json:"apis"`
}

// apiReach is one API a member can call now: the union of the scopes of
// every group through which they hold it, and those groups with their
// limits (schema ApiReach).
type apiReach struct {
	Slug   string       `json:"slug"`
	Name   string       `json:"name"`
	Status string       `json:"status"`
	Scopes []string     `json:"scopes"`
	Via    []groupLimit `json:"via"`
}

// groupLimit is a group through which an API is reached (schema
// GroupLimit).
type groupLimit struct {
	ID                 int64  `json:"id"`
	Name               string `json:"name"`
	RateLimitPerMinute int    `json:"rate_limit_per_minute"`
	MonthlyQuota       *int64 `json:"monthly_quota"`
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

// listGroupGrants lists every grant of a group: the open ones first, by
// partner, then the revoked ones, most recently revoked first.
func (a *API) listGroupGrants(c echo.Context) error {
	_, id, err := a.staffGroupID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.Store.AccessGroupByID(ctx, id); err != nil {
		return groupError(err, groupNotFound)
	}
	rs, err := a.Store.GroupGrants(ctx, id)
	if err != nil {
		return err
	}
	page, err := paginate(c, rs, func(r store.GrantRow) int64 { return r.ID })
	if err != nil {
		return err
	}
	out := list[grant]{Items: make([]grant, 0, len(page.Items)), NextCursor: page.NextCursor}
	for i := range page.Items {
		out.Items = append(out.Items, grantOf(&page.Items[i]))
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
	var in *catalog.InputError
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
// the caller means, and a grantee of another partner is refused.
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
	if _, err := a.Store.PartnerByID(ctx, to.PartnerID); errors.Is(err, store.ErrNotFound) {
		return invalidInput("partner_id", "That partner does not exist.")
	} else if err != nil {
		return err
	}
	gr, err := a.groups().Grant(ctx, actor, id, to)
	if err != nil {
		return grantError(err, to)
	}
	rs, err := a.Store.GroupGrants(ctx, id)
	if err != nil {
		return err
	}
	for i := range rs {
		if rs[i].ID == gr.ID {
			return c.JSON(http.StatusCreated, grantOf(&rs[i]))
		}
	}
	return errors.New("grant " + strconv.FormatInt(gr.ID, 10) + " vanished after it was made")
}

// revokeGrant takes a grant of the group back; the row stays for the
// audit trail. Revoking a revoked grant changes nothing and succeeds.
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
	if err != nil && !errors.Is(err, catalog.ErrAlreadyRevoked) {
		return groupError(err, grantNotFound)
	}
	return c.NoContent(http.StatusNoContent)
}

// grantsPartner is the partner whose grants /grants lists: a partner
// admin's own, always (a partner_id they pass is ignored); for staff the
// partner_id they must pass.
func (a *API) grantsPartner(c echo.Context) (int64, error) {
	actor, _ := c.Get(actorKey).(access.Actor)
	if !actor.Staff() {
		_, partnerID, err := a.authorize(c, access.ViewGrants)
		return partnerID, err
	}
	raw := c.QueryParam("partner_id")
	if raw == "" {
		return 0, badRequest("partner_id: staff choose the partner whose grants to list, with ?partner_id=ID.")
	}
	partnerID, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || partnerID < 1 {
		return 0, badRequest("partner_id must be a partner's id, a whole number from 1.")
	}
	if _, err := a.authorizeOn(c, access.ViewGrants, partnerID); err != nil {
		return 0, err
	}
	if _, err := a.Store.PartnerByID(c.Request().Context(), partnerID); err != nil {
		return 0, groupError(err, "This partner")
	}
	return partnerID, nil
}

// listGrants lists the open grants to a partner's teams and members, by
// group, then grantee, each with what the group gives.
func (a *API) listGrants(c echo.Context) error {
	partnerID, err := a.grantsPartner(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rs, err := a.Store.PartnerGrants(ctx, partnerID)
	if err != nil {
		return err
	}
	page, err := paginate(c, rs, func(r store.GrantRow) int64 { return r.ID })
	if err != nil {
		return err
	}
	groups, err := a.grantedGroups(ctx, page.Items)
	if err != nil {
		return err
	}
	out := list[partnerGrant]{Items: make([]partnerGrant, 0, len(page.Items)), NextCursor: page.NextCursor}
	for i := range page.Items {
		r := &page.Items[i]
		g, ok := groups[r.GroupID]
		if !ok {
			continue // the group was deleted between the two queries
		}
		out.Items = append(out.Items, partnerGrant{ID: r.ID, AccessGroup: g, Grantee: granteeOf(r), GrantedAt: utc(r.GrantedAt)})
	}
	return c.JSON(http.StatusOK, out)
}

// grantedGroups loads the groups of the grants with their APIs, in two
// queries.
func (a *API) grantedGroups(ctx context.Context, rs []store.GrantRow) (map[int64]grantedGroup, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, r := range rs {
		if !seen[r.GroupID] {
			seen[r.GroupID] = true
			ids = append(ids, r.GroupID)
		}
	}
	out := make(map[int64]grantedGroup, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	gs, err := a.Store.AccessGroupsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	as, err := a.Store.AccessGroupAPIs(ctx, ids)
	if err != nil {
		return nil, err
	}
	apis := map[int64][]store.GroupAPI{}
	for _, x := range as {
		apis[x.GroupID] = append(apis[x.GroupID], x)
	}
	for i := range gs {
		out[gs[i].ID] = groupOf(&gs[i], apis[gs[i].ID])
	}
	return out, nil
}

// accessMember finds the member of the path for /members/{id}/access: a
// partner admin's own partner's active member (anyone else is a 404, like
// an id that does not exist); for staff any partner's active member.
func (a *API) accessMember(c echo.Context) (*store.User, error) {
	actor, _ := c.Get(actorKey).(access.Actor)
	if !actor.Staff() {
		_, partnerID, err := a.authorize(c, access.ViewGrants)
		if err != nil {
			return nil, err
		}
		id, err := pathID(c, "id", "This member")
		if err != nil {
			return nil, err
		}
		u, err := a.Store.PartnerMember(c.Request().Context(), partnerID, id)
		return u, groupError(err, "This member")
	}
	id, err := pathID(c, "id", "This member")
	if err != nil {
		return nil, err
	}
	u, err := a.Store.UserByID(c.Request().Context(), id)
	if err != nil {
		return nil, groupError(err, "This member")
	}
	if u.PartnerID == nil || u.Status != "active" {
		return nil, notFound("This member")
	}
	if _, err := a.authorizeOn(c, access.ViewGrants, *u.PartnerID); err != nil {
		return nil, err
	}
	return u, nil
}

// getMemberAccess shows what one member can call now: the effective-access
// function over the grants to them and to their teams, by API slug.
func (a *API) getMemberAccess(c echo.Context) error {
	u, err := a.accessMember(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	acc, err := catalog.EffectiveAccess(ctx, a.Store, u.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if len(acc.APIs) > 0 {
		all, err := a.Store.ListAPIScopes(ctx)
		if err != nil {
			return err
		}
		for _, x := range all {
			names[x.Slug] = x.Name
		}
	}
	out := memberAccess{APIs: make([]apiReach, 0, len(acc.APIs))}
	out.Member.ID, out.Member.Name, out.Member.Email = u.ID, u.Name, u.Email
	for _, x := range acc.APIs {
		r := apiReach{Slug: x.Slug, Name: names[x.Slug], Status: x.Status, Scopes: strs(x.Scopes), Via: make([]groupLimit, 0, len(x.Groups))}
		for _, g := range x.Groups {
			r.Via = append(r.Via, groupLimit{ID: g.ID, Name: g.Name, RateLimitPerMinute: g.RatePerMinute, MonthlyQuota: g.MonthlyQuota})
		}
		out.APIs = append(out.APIs, r)
	}
	sort.Slice(out.APIs, func(i, j int) bool { return out.APIs[i].Slug < out.APIs[j].Slug })
	return c.JSON(http.StatusOK, out)
}
