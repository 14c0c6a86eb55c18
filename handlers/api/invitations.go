package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
)

// invitation is an open invitation to the actor's partner (schema
// Invitation). Its link's token is never part of it: only the invitee's
// mail carries it.
type invitation struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	InvitedBy *string   `json:"invited_by"`
	SentAt    time.Time `json:"sent_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Expired   bool      `json:"expired"`
}

func invitationOf(inv *store.Invitation, now time.Time) invitation {
	return invitation{ID: inv.ID, Email: inv.Email, Role: inv.Role, InvitedBy: inv.InvitedByName,
		SentAt: utc(inv.SentAt), ExpiresAt: utc(inv.ExpiresAt), Expired: inv.Expired(now)}
}

// listInvitations lists the partner's open invitations (expired ones
// included, so they can be resent), newest first, a page at a time from
// the database; q searches the email.
func (a *API) listInvitations(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ViewMembers)
	if err != nil {
		return err
	}
	q, err := keysetQuery(c, store.InvitationsList)
	if err != nil {
		return err
	}
	invs, more, err := a.Store.OpenInvitationsPage(c.Request().Context(), partnerID, q)
	if err != nil {
		return err
	}
	now := time.Now()
	return c.JSON(http.StatusOK, keysetList(store.InvitationsList, invs, more, func(inv *store.Invitation) invitation {
		return invitationOf(inv, now)
	}))
}

// invitationInput is the body of POST /invitations.
type invitationInput struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// createInvitation invites someone to the partner and mails them the link.
func (a *API) createInvitation(c echo.Context) error {
	actor, partnerID, err := a.authorize(c, access.ManageMembers)
	if err != nil {
		return err
	}
	var in invitationInput
	if err := decode(c, &in); err != nil {
		return err
	}
	inv, err := a.People.Invite(c.Request().Context(), actor, partnerID, in.Email, in.Role)
	if err != nil {
		retryAfter(c, err)
		return domainError(err, "This partner")
	}
	a.kick()
	return c.JSON(http.StatusCreated, invitationOf(inv, time.Now()))
}

// resendInvitation mails an open invitation again with a new link and
// expiry; the old link stops working.
func (a *API) resendInvitation(c echo.Context) error {
	actor, partnerID, err := a.authorize(c, access.ManageMembers)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id", "This invitation")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.People.Resend(ctx, actor, partnerID, id); err != nil {
		retryAfter(c, err)
		return domainError(err, "This invitation")
	}
	a.kick()
	inv, err := a.Store.PartnerInvitation(ctx, partnerID, id)
	if err != nil {
		return domainError(err, "This invitation")
	}
	return c.JSON(http.StatusOK, invitationOf(inv, time.Now()))
}

// cancelInvitation cancels an open invitation; its link stops working.
func (a *API) cancelInvitation(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageMembers)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id", "This invitation")
	if err != nil {
		return err
	}
	if _, err := a.People.Cancel(c.Request().Context(), partnerID, id); err != nil {
		return domainError(err, "This invitation")
	}
	return c.NoContent(http.StatusNoContent)
}
