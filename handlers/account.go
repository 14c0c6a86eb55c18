package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/views"
)

// accountModel is the account page for the signed-in user.
func (h *Handler) accountModel(c echo.Context) views.AccountPage {
	u := currentUser(c)
	m := views.AccountPage{Page: h.page(c, "Your account"), Name: u.Name, Email: u.Email, RoleLabel: RoleLabel(u.Role),
		Organisation: "Portal provider (staff)", NameValue: u.Name, EmailValue: u.Email}
	if p := currentPartner(c); p != nil {
		m.Organisation = p.Name
	}
	return m
}

// account shows the signed-in user's settings.
func (h *Handler) account(c echo.Context) error {
	return h.renderAccount(c, http.StatusOK, h.accountModel(c))
}

// changeName sets the user's display name.
func (h *Handler) changeName(c echo.Context) error {
	name := c.FormValue("name")
	err := h.people.ChangeName(c.Request().Context(), currentUser(c).ID, name)
	var in *apierr.FieldError
	if errors.As(err, &in) {
		m := h.accountModel(c)
		m.NameValue, m.NameError = name, in.Message
		return h.renderAccount(c, http.StatusUnprocessableEntity, m)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/account", "success", "Your name was saved.")
}

// changePassword checks the current password, sets the new one, ends every
// session and starts a fresh one here.
func (h *Handler) changePassword(c echo.Context) error {
	u := currentUser(c)
	err := h.people.ChangePassword(c.Request().Context(), u.ID, c.FormValue("current_password"), c.FormValue("new_password"))
	var in *apierr.FieldError
	if errors.As(err, &in) {
		m := h.accountModel(c)
		if in.Field == "current_password" {
			m.CurrentError = in.Message
		} else {
			m.NewError = in.Message
		}
		return h.renderAccount(c, http.StatusUnprocessableEntity, m)
	}
	if ssoRequired(err) != nil {
		// The form is gone from the page, which says why.
		return h.renderAccount(c, http.StatusForbidden, h.accountModel(c))
	}
	var limit *people.LimitError
	if errors.As(err, &limit) {
		m := h.accountModel(c)
		m.CurrentError = limit.Message + " Please wait " + humanWait(limit.RetryAfter.Seconds()) + " and try again."
		setRetryAfter(c, limit.RetryAfter)
		return h.renderAccount(c, http.StatusTooManyRequests, m)
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, u, "Your password was changed; every other session was signed out."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account")
}
