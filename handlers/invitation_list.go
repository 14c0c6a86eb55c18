package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// invitationsOnMembers is how many open invitations the members page shows
// before linking to the rest.
const invitationsOnMembers = 20

// invitationList lists the signed-in admin's partner's open invitations,
// newest first, a page at a time, searchable by email.
func (h *Handler) invitationList(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ManageMembers, partnerID); err != nil {
		return err
	}
	q, err := pageQuery(c, store.InvitationsList, listPageSize, brokenLink("invitations", "Members from the menu"))
	if err != nil {
		return err
	}
	invs, more, err := h.store.OpenInvitationsPage(c.Request().Context(), partnerID, q)
	if err != nil {
		return err
	}
	m := views.InvitationListPage{Page: h.page(c, "Open invitations"), Invitations: invitationRows(invs),
		Search: views.ListSearch{Action: "/members/invitations", ID: "invitation-q", Label: "Search invitations by email", Query: q.Search}}
	m.Pager.Label = "Invitation pages"
	m.Pager.FirstHref, m.Pager.NextHref = pageLinks(store.InvitationsList, q.After, invs, more, "/members/invitations", "q", q.Search)
	return h.render(c, http.StatusOK, views.InvitationList(m))
}

// invitationRows are open invitations as the pages show them.
func invitationRows(invs []store.Invitation) []views.InvitationRow {
	now := time.Now()
	rows := make([]views.InvitationRow, 0, len(invs))
	for _, inv := range invs {
		row := views.InvitationRow{ID: inv.ID, Email: inv.Email, RoleLabel: RoleLabel(inv.Role), InvitedBy: "Portal team",
			Sent: formatTime(inv.SentAt), Expires: formatTime(inv.ExpiresAt), Expired: inv.Expired(now)}
		if inv.InvitedByName != nil {
			row.InvitedBy = *inv.InvitedByName
		}
		rows = append(rows, row)
	}
	return rows
}
