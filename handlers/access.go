package handlers

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/sandbox"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// partnerAccess shows a partner admin what their partner was granted and
// to whom, and which APIs each member can call now. The partner is always
// the signed-in admin's own.
func (h *Handler) partnerAccess(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ViewGrants, partnerID); err != nil {
		return err
	}
	ctx := c.Request().Context()
	grants, err := h.store.PartnerGrants(ctx, partnerID)
	if err != nil {
		return err
	}
	var groupIDs []int64
	seen := map[int64]bool{}
	for _, g := range grants {
		if !seen[g.GroupID] {
			seen[g.GroupID] = true
			groupIDs = append(groupIDs, g.GroupID)
		}
	}
	groups := map[int64]*store.AccessGroup{}
	apis := map[int64][]store.GroupAPI{}
	if len(groupIDs) > 0 {
		gs, err := h.store.AccessGroupsByID(ctx, groupIDs)
		if err != nil {
			return err
		}
		for i := range gs {
			groups[gs[i].ID] = &gs[i]
		}
		as, err := h.store.AccessGroupAPIs(ctx, groupIDs)
		if err != nil {
			return err
		}
		for _, a := range as {
			apis[a.GroupID] = append(apis[a.GroupID], a)
		}
	}
	members, err := h.store.PartnerMembers(ctx, partnerID)
	if err != nil {
		return err
	}
	reach, err := catalog.MembersAccess(ctx, h.store, partnerID)
	if err != nil {
		return err
	}

	m := views.AccessPage{Page: h.page(c, "Access"), Partner: currentPartner(c).Name}
	m.CanResetSandbox = access.Can(actorOf(currentUser(c)), access.ResetSandbox, partnerID) == access.Allow
	at := map[int64]int{}
	for _, r := range grants {
		i, ok := at[r.GroupID]
		if !ok {
			g := groups[r.GroupID]
			if g == nil {
				continue // deleted between the two queries
			}
			i = len(m.Groups)
			at[r.GroupID] = i
			m.Groups = append(m.Groups, views.GrantedGroup{AccessGroupRow: groupRow(g, apis[g.ID], 0)})
		}
		m.Groups[i].OpenGrants++
		m.Groups[i].Grantees = append(m.Groups[i].Grantees, grantView(r))
	}
	for _, u := range members {
		row := views.MemberReach{Name: u.Name, Email: u.Email, RoleLabel: RoleLabel(u.Role), Teams: u.Teams}
		if a := reach[u.ID]; a != nil {
			row.APIs = apiReach(a)
		}
		m.Members = append(m.Members, row)
	}
	return h.render(c, http.StatusOK, views.Access(m))
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
