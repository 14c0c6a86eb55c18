package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// invitationProblem says, for a link that cannot be used, why and whom to ask.
func invitationProblem(err error, inv *store.Invitation, partner *store.Partner) string {
	who := "your organisation's portal admin"
	if inv != nil && inv.InvitedByName != nil {
		who = *inv.InvitedByName
	}
	org := "the organisation"
	if partner != nil {
		org = partner.Name
	}
	switch {
	case partner != nil && partner.Status == store.PartnerEnded:
		return "This invitation no longer works: the partnership of " + org + " with this portal has ended."
	case errors.Is(err, people.ErrInvitationExpired):
		return "This invitation expired on " + formatTime(inv.ExpiresAt) + ". Ask " + who + " at " + org + " to send you a new one."
	case errors.Is(err, people.ErrInvitationUsed):
		return "This invitation was already used to create an account. Sign in with that account, or ask " + who + " at " + org + " if it was not you."
	case errors.Is(err, people.ErrInvitationCancelled):
		return "This invitation was cancelled. Ask " + who + " at " + org + " if you still need access."
	}
	return "This invitation link is not valid. Check that you copied the whole link from the mail, or ask your organisation's portal admin for a new invitation."
}

// acceptInvitationForm shows the page an invitation link opens.
func (h *Handler) acceptInvitationForm(c echo.Context) error {
	return h.renderInvitation(c, http.StatusOK, views.AcceptInvitationPage{})
}

func (h *Handler) renderInvitation(c echo.Context, status int, m views.AcceptInvitationPage) error {
	plain := c.Param("token")
	inv, partner, err := h.people.Lookup(c.Request().Context(), plain)
	m.Page = h.page(c, "Accept invitation")
	// A link that cannot be used answers 404/410, and never echoes the token.
	switch {
	case errors.Is(err, store.ErrNotFound):
		m.Problem = invitationProblem(err, nil, nil)
		return h.render(c, http.StatusNotFound, views.AcceptInvitation(m))
	case errors.Is(err, people.ErrInvitationExpired), errors.Is(err, people.ErrInvitationUsed), errors.Is(err, people.ErrInvitationCancelled):
		m.Problem = invitationProblem(err, inv, partner)
		return h.render(c, http.StatusGone, views.AcceptInvitation(m))
	case joinThroughSSO(err) != nil:
		m.Problem = ssoInvitationProblem(joinThroughSSO(err))
		return h.render(c, http.StatusGone, views.AcceptInvitation(m))
	case err != nil:
		return err
	}
	m.Token, m.Email, m.Partner, m.RoleLabel, m.InvitedBy = plain, inv.Email, partner.Name, article(RoleLabel(inv.Role)), "The portal team"
	if inv.InvitedByName != nil {
		m.InvitedBy = *inv.InvitedByName
	}
	return h.render(c, status, views.AcceptInvitation(m))
}

func article(label string) string {
	if label == "Partner admin" {
		return "an admin"
	}
	return "a developer"
}

// acceptInvitation creates the account and signs the new member in.
func (h *Handler) acceptInvitation(c echo.Context) error {
	name := c.FormValue("name")
	u, err := h.people.Accept(c.Request().Context(), c.Param("token"), name, c.FormValue("password"))
	var in *apierr.FieldError
	if errors.As(err, &in) {
		m := views.AcceptInvitationPage{Name: name}
		switch in.Field {
		case "name":
			m.NameError = in.Message
		case "password":
			m.PasswordError = in.Message
		default:
			m.Problem = in.Message
		}
		return h.renderInvitation(c, http.StatusUnprocessableEntity, m)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, people.ErrInvitationExpired) || errors.Is(err, people.ErrInvitationUsed) || errors.Is(err, people.ErrInvitationCancelled) || joinThroughSSO(err) != nil {
		return h.renderInvitation(c, http.StatusOK, views.AcceptInvitationPage{})
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, u, "Welcome, "+u.Name+": your account is ready."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}
