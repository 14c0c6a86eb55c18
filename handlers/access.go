package handlers

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/sandbox"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// Bounds of the access page: the grantees shown per group (the rest are
// one "show everyone" link away) and the members per page.
const (
	granteesPerGroup = 10
	accessPageSize   = 50
)

// partnerAccess shows a partner admin what their partner was granted and
// to whom, and, a page of members at a time, which APIs each can call now
// (searchable, and narrowed to one group with ?group=). The partner is
// always the signed-in admin's own. The page's queries do not grow with
// the partner: grants are read once, members by keyset, and effective
// access for the page's members only.
func (h *Handler) partnerAccess(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ViewGrants, partnerID); err != nil {
		return err
	}
	lq, err := pageQuery(c, store.MembersList, accessPageSize, brokenLink("members", "Access from the menu"))
	if err != nil {
		return err
	}
	q := store.MemberQuery{ListQuery: lq}
	if raw := c.QueryParam("group"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return BadRequest("This link to the members of an access group is broken. Open Access from the menu and choose the group again.")
		}
		q.ReachGroup = id
	}
	ctx := c.Request().Context()
	samples, err := h.store.PartnerGranteeSamples(ctx, partnerID, granteesPerGroup)
	if err != nil {
		return err
	}
	m := views.AccessPage{Page: h.page(c, "Access"), Partner: currentPartner(c).Name, Query: q.Search}
	m.CanResetSandbox = access.Can(actorOf(currentUser(c)), access.ResetSandbox, partnerID) == access.Allow
	if m.Ceiling, err = h.partnerCeiling(ctx, partnerID); err != nil {
		return err
	}
	if err := h.grantedGroups(c, &m, samples); err != nil {
		return err
	}
	if q.ReachGroup != 0 {
		for _, g := range m.Groups {
			if g.ID == q.ReachGroup {
				m.Group, m.GroupName = g.ID, g.Name
			}
		}
		if m.Group == 0 {
			return &Error{Status: http.StatusNotFound, Code: "not_found",
				Message: fmt.Sprintf("%s holds no such access group now: it may have been revoked. Open Access from the menu to see what it holds.", m.Partner)}
		}
	}

	members, more, err := h.store.PartnerMembersPage(ctx, partnerID, q)
	if err != nil {
		return err
	}
	ids := make([]int64, len(members))
	for i, u := range members {
		ids[i] = u.ID
	}
	reach, err := catalog.MembersAccess(ctx, h.store, partnerID, ids)
	if err != nil {
		return err
	}
	for _, u := range members {
		row := views.MemberReach{Name: u.Name, Email: u.Email, RoleLabel: RoleLabel(u.Role), Teams: u.Teams}
		if a := reach[u.ID]; a != nil {
			row.APIs = apiReach(a)
		}
		m.Members = append(m.Members, row)
	}
	m.FirstHref, m.NextHref = pageLinks(store.MembersList, q.After, members, more, "/access", accessParams(q.Search, q.ReachGroup)...)
	return h.render(c, http.StatusOK, views.Access(m))
}

// grantedGroups fills the page's groups from the grantee samples: one
// query for the groups and one for their APIs, whatever their number.
func (h *Handler) grantedGroups(c echo.Context, m *views.AccessPage, samples []store.GranteeSample) error {
	var groupIDs []int64
	seen := map[int64]bool{}
	for _, s := range samples {
		if !seen[s.GroupID] {
			seen[s.GroupID] = true
			groupIDs = append(groupIDs, s.GroupID)
		}
	}
	if len(groupIDs) == 0 {
		return nil
	}
	ctx := c.Request().Context()
	gs, err := h.store.AccessGroupsByID(ctx, groupIDs)
	if err != nil {
		return err
	}
	groups := map[int64]*store.AccessGroup{}
	for i := range gs {
		groups[gs[i].ID] = &gs[i]
	}
	as, err := h.store.AccessGroupAPIs(ctx, groupIDs)
	if err != nil {
		return err
	}
	apis := map[int64][]store.GroupAPI{}
	for _, a := range as {
		apis[a.GroupID] = append(apis[a.GroupID], a)
	}
	at := map[int64]int{}
	for _, s := range samples {
		i, ok := at[s.GroupID]
		if !ok {
			g := groups[s.GroupID]
			if g == nil {
				continue // deleted between the two queries
			}
			i = len(m.Groups)
			at[s.GroupID] = i
			m.Groups = append(m.Groups, views.GrantedGroup{AccessGroupRow: groupRow(g, apis[g.ID], s.GroupGrants),
				ReachHref: listHref("/access", accessParams("", g.ID)...) + "#reach-heading"})
		}
		m.Groups[i].Grantees = append(m.Groups[i].Grantees, grantView(s.GrantRow))
		m.Groups[i].More = m.Groups[i].OpenGrants - len(m.Groups[i].Grantees)
	}
	return nil
}

// accessParams are the access page's parameters (as listHref takes them)
// keeping the search and the group.
func accessParams(search string, group int64) []string {
	g := ""
	if group != 0 {
		g = strconv.FormatInt(group, 10)
	}
	return []string{"q", search, "group", g}
}

// apiReach lists what an Access allows, by API slug.
func apiReach(a *catalog.Access) []views.APIReach {
	out := make([]views.APIReach, 0, len(a.APIs))
	for _, x := range a.APIs {
		r := views.APIReach{Slug: x.Slug, Status: x.Status, Scopes: x.Scopes}
		for _, g := range x.Groups {
			r.Via = append(r.Via, g.Name)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out
}

// confirmSandboxReset asks a partner admin before deleting what their
// partner wrote in the sandbox.
func (h *Handler) confirmSandboxReset(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ResetSandbox, partnerID); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.ResetSandbox(views.ResetSandboxPage{
		Page:    h.page(c, "Reset sandbox data"),
		Partner: currentPartner(c).Name,
	}))
}

// resetSandbox deletes the partner's sandbox writes (work orders opened
// or changed), so every sandbox answers its generated data again.
func (h *Handler) resetSandbox(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ResetSandbox, partnerID); err != nil {
		return err
	}
	ctx := c.Request().Context()
	name := currentPartner(c).Name
	err := h.store.InTx(ctx, func(tx *store.Store) error {
		// A Sandbox over the transaction, so the reset and its audit
		// event commit together.
		if err := sandbox.New(tx).Reset(ctx, partnerID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "sandbox.reset", PartnerID: partnerID, TargetType: "partner", TargetID: partnerID, Target: name})
	})
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/access", "success", "Sandbox data of "+name+" reset: the work orders your team opened or changed there are gone, and every sandbox answers its generated data again.")
}
