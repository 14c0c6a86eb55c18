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

// changeRole sets a member's role; the last admin cannot be demoted.
func (h *Handler) changeRole(c echo.Context) error {
	partnerID, id, err := h.memberTarget(c)
	if err != nil {
		return err
	}
	if !recentlyAuthenticated(c) {
		return h.requireSudo(c, "/members", "Changing a role needs your password: confirm it, then change the role again.")
	}
	u, err := h.people.ChangeRole(c.Request().Context(), partnerID, id, c.FormValue("role"))
	var in *apierr.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This member")
	case errors.Is(err, people.ErrLastAdmin):
		return h.redirectWithFlash(c, "/members", "error", "You cannot demote the last admin: make another member an admin first.")
	case errors.As(err, &in):
		return h.redirectWithFlash(c, "/members", "error", in.Message)
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, "/members", "success", u.Name+" is now "+RoleLabel(u.Role)+".")
}

// confirmRemoveMember asks before removing a member.
func (h *Handler) confirmRemoveMember(c echo.Context) error {
	partnerID, id, err := h.memberTarget(c)
	if err != nil {
		return err
	}
	u, err := h.store.PartnerMember(c.Request().Context(), partnerID, id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This member")
	}
	if err != nil {
		return err
	}
	row := views.MemberRow{ID: u.ID, Name: u.Name, Email: u.Email, IsSelf: u.ID == currentUser(c).ID}
	return h.render(c, http.StatusOK, views.RemoveMember(views.RemoveMemberPage{Page: h.page(c, "Remove "+u.Name), Member: row}))
}

// removeMember removes a member and ends their sessions at once.
func (h *Handler) removeMember(c echo.Context) error {
	partnerID, id, err := h.memberTarget(c)
	if err != nil {
		return err
	}
	u, err := h.people.Remove(c.Request().Context(), partnerID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This member")
	case errors.Is(err, people.ErrLastAdmin):
		return h.redirectWithFlash(c, "/members", "error", "You cannot remove the last admin: make another member an admin first.")
	case err != nil:
		return err
	}
	if u.ID == currentUser(c).ID {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return h.redirectWithFlash(c, "/members", "success", u.Name+" was removed and signed out everywhere.")
}
