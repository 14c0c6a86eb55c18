package api

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
)

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

// listGrants lists the open grants to a partner's teams and members in
// the order they were made, a page at a time from the database (q
// searches the group's and the grantee's names and the grantee's email),
// each with what the group gives.
func (a *API) listGrants(c echo.Context) error {
	// The page's own parameters are checked before the partner is looked up.
	q, err := keysetQuery(c, store.GrantsList)
	if err != nil {
		return err
	}
	partnerID, err := a.grantsPartner(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rs, more, err := a.Store.PartnerGrantsPage(ctx, partnerID, q)
	if err != nil {
		return err
	}
	groups, err := a.grantedGroups(ctx, rs)
	if err != nil {
		return err
	}
	// A group deleted between the two queries drops its grants from the
	// page; the cursor still follows the last row read.
	out := keysetList(store.GrantsList, rs, more, func(r *store.GrantRow) *partnerGrant {
		g, ok := groups[r.GroupID]
		if !ok {
			return nil
		}
		return &partnerGrant{ID: r.ID, AccessGroup: g, Grantee: granteeOf(r), GrantedAt: utc(r.GrantedAt)}
	})
	page := list[partnerGrant]{Items: make([]partnerGrant, 0, len(out.Items)), NextCursor: out.NextCursor}
	for _, g := range out.Items {
		if g != nil {
			page.Items = append(page.Items, *g)
		}
	}
	return c.JSON(http.StatusOK, page)
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
	// A member of a partner the account manager does not manage answers
	// exactly like an id that does not exist.
	if access.Can(actor, access.ViewGrants, *u.PartnerID) == access.Hidden {
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
