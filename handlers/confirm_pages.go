package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// The pages that ask before a destructive action, one pattern for all
// (issue 15): a GET shows what will happen with a button that posts the
// action and a way back; it works without JavaScript. Each asks the policy
// exactly as the action it confirms does.

func (h *Handler) renderConfirm(c echo.Context, m views.ConfirmPage) error {
	return h.render(c, http.StatusOK, views.Confirm(m))
}

// confirmRemoveGroupAPI asks before taking an API out of an access group.
func (h *Handler) confirmRemoveGroupAPI(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	g, apis, err := h.groupWithAPIs(ctx, id)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(apis, func(a store.GroupAPI) bool { return a.Slug == c.Param("api") })
	if i < 0 {
		return NotFound("This API of the group")
	}
	open, err := h.store.OpenGrantCount(ctx, g.ID)
	if err != nil {
		return err
	}
	name, back := apis[i].Name, accessGroupURL(g.ID, "")
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Remove "+name+" from "+g.Name),
		Heading: "Remove " + name + " from " + g.Name + "?",
		Effects: []string{
			"Everyone holding " + g.Name + " loses " + name + " and its scopes at once, on every node; " + holders(open) + ".",
			"Calls with their tokens to " + name + " are refused unless another group still grants it. You can include " + name + " again later.",
		},
		Action: back + "/apis/" + apis[i].Slug + "/remove", Submit: "Remove " + name, Back: back, Keep: "Keep it",
		TestID: "confirm-remove-api",
	})
}

func holders(open int) string {
	switch open {
	case 0:
		return "nobody holds the group now"
	case 1:
		return "the group has 1 grant"
	}
	return "the group has " + strconv.Itoa(open) + " grants"
}

// confirmRevokeGrant asks before revoking an access group from a team or a
// person.
func (h *Handler) confirmRevokeGrant(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	grantID, err := pathID(c, "grant")
	if err != nil {
		return err
	}
	gr, err := h.store.GroupGrant(c.Request().Context(), id, grantID)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This grant")
	}
	if err != nil {
		return err
	}
	// Revoking is an action on the grant's partner: one the viewer does
	// not manage is not theirs to see.
	if access.Can(actorOf(currentUser(c)), access.ManageAccessGroups, gr.PartnerID) != access.Allow {
		return NotFound("This grant")
	}
	back := accessGroupURL(id, "")
	if gr.RevokedAt != nil {
		return h.redirectWithFlash(c, back, "info", "That grant was revoked already.")
	}
	v := grantView(*gr)
	who := v.Grantee + " (" + gr.PartnerName + ")"
	if gr.TeamID != nil {
		who = "team " + who
	}
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Revoke "+gr.GroupName),
		Heading: "Revoke " + gr.GroupName + " from " + who + "?",
		Effects: []string{
			"Their access narrows at once, on every node: calls to the group's APIs are refused unless another grant still covers them.",
			"The grant stays in the list of revoked grants; you can grant the group again later.",
		},
		Action: back + "/grants/" + strconv.FormatInt(gr.ID, 10) + "/revoke", Submit: "Revoke the grant", Back: back, Keep: "Keep it",
		TestID: "confirm-revoke-grant",
	})
}

// confirmRemoveTeamMember asks before taking a member out of a team.
func (h *Handler) confirmRemoveTeamMember(c echo.Context) error {
	partnerID, id, err := h.teamAction(c)
	if err != nil {
		return err
	}
	userID, err := pathID(c, "user")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := h.partnerTeam(ctx, partnerID, id)
	if err != nil {
		return err
	}
	u, err := h.store.PartnerMemberWithTeams(ctx, partnerID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This member")
	}
	if err != nil {
		return err
	}
	back := teamURL(t.ID, "")
	if !slices.Contains(u.Teams, t.Name) {
		return h.redirectWithFlash(c, back, "info", u.Name+" is not in "+t.Name+".")
	}
	partner := currentPartner(c).Name
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Remove "+u.Name+" from "+t.Name),
		Heading: "Remove " + u.Name + " from " + t.Name + "?",
		Effects: []string{
			u.Name + " (" + u.Email + ") loses what the team's grants give at once: calls with their tokens are refused where no other grant covers them.",
			"They stay a member of " + partner + " and keep their account.",
		},
		Action: back + "/members/" + strconv.FormatInt(u.ID, 10) + "/remove", Submit: "Remove from " + t.Name, Back: back, Keep: "Keep them",
		TestID: "confirm-remove-team-member",
	})
}

// confirmCancelInvitation asks before cancelling an open invitation.
func (h *Handler) confirmCancelInvitation(c echo.Context) error {
	partnerID, id, err := h.memberTarget(c)
	if err != nil {
		return err
	}
	inv, err := h.store.PartnerInvitation(c.Request().Context(), partnerID, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (inv.AcceptedAt != nil || inv.CancelledAt != nil) {
		return NotFound("This invitation")
	}
	if err != nil {
		return err
	}
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Cancel the invitation to "+inv.Email),
		Heading: "Cancel the invitation to " + inv.Email + "?",
		Effects: []string{"The link in the invitation stops working at once. You can invite " + inv.Email + " again later."},
		Action:  "/members/invitations/" + strconv.FormatInt(inv.ID, 10) + "/cancel", Submit: "Cancel the invitation",
		Back: "/members", Keep: "Keep it", TestID: "confirm-cancel-invitation",
	})
}

// confirmSuspendPartner asks before suspending a partner; reactivating
// needs no confirmation (it takes nothing away).
func (h *Handler) confirmSuspendPartner(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.ManagePartners, id); err != nil {
		return err
	}
	p, err := h.partnerOr404(c.Request().Context(), id)
	if err != nil {
		return err
	}
	// From the partner's own page, the way back and the action's return
	// lead to that page; from the directory, to the directory.
	back, fields := "/partners", []views.ConfirmField{{Name: "status", Value: store.PartnerSuspended}}
	if c.QueryParam("from") == "partner" {
		back, fields = views.PartnerPagePath(p.ID), append(fields, views.ConfirmField{Name: "back", Value: "partner"})
	}
	if p.Status == store.PartnerSuspended {
		return h.redirectWithFlash(c, back, "info", p.Name+" is suspended already.")
	}
	if p.Status == store.PartnerEnded {
		return h.redirectWithFlash(c, back, "info", "The partnership of "+p.Name+" has ended: it cannot be suspended.")
	}
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Suspend "+p.Name),
		Heading: "Suspend " + p.Name + "?",
		Effects: []string{
			"Its people are signed out at once and cannot sign in, and calls with its tokens are refused, until you reactivate it.",
			"Nothing is deleted: its members, teams, grants and tokens are kept, and reactivating restores them.",
		},
		Action: "/partners/" + strconv.FormatInt(p.ID, 10) + "/status", Fields: fields,
		Submit: "Suspend " + p.Name, Back: back, Keep: "Keep it active", TestID: "confirm-suspend-partner",
	})
}
