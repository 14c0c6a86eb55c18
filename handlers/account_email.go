package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/session"
	"github.com/portico/portico/views"
)

// renderAccount renders the account page with the user's pending email
// change, if any.
func (h *Handler) renderAccount(c echo.Context, status int, m views.AccountPage) error {
	ch, err := h.people.PendingEmailChange(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	if ch != nil {
		m.PendingEmail, m.PendingUntil = ch.NewEmail, ch.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC")
	}
	err = auth.SSORequired(c.Request().Context(), h.store, currentUser(c))
	if e := ssoRequired(err); e != nil {
		m.PasswordBySSO = ssoPasswordSentence(e)
	} else if err != nil {
		return err
	}
	return h.render(c, status, views.Account(m))
}

// changeEmail asks, after recent authentication, to move the user to a new
// sign-in email: a link is mailed to the new address, and the email
// changes when it is opened. The answer is the same whether or not the
// address has an account, so that it does not tell.
func (h *Handler) changeEmail(c echo.Context) error {
	if !recentlyAuthenticated(c) {
		return h.requireSudo(c, "/account", "Changing your email needs your password: confirm it, then change the email again.")
	}
	email := c.FormValue("email")
	ch, err := h.people.RequestEmailChange(c.Request().Context(), currentUser(c).ID, email)
	var in *apierr.FieldError
	var limit *people.LimitError
	switch {
	case errors.As(err, &in):
		return h.emailFormError(c, http.StatusUnprocessableEntity, email, in.Message)
	case errors.Is(err, people.ErrEmailUnchanged):
		return h.emailFormError(c, http.StatusUnprocessableEntity, email, "That is already your sign-in email.")
	case errors.As(err, &limit):
		setRetryAfter(c, limit.RetryAfter)
		return h.emailFormError(c, http.StatusTooManyRequests, email, limit.Message)
	case err != nil:
		return err
	}
	h.mailer.Kick()
	return h.redirectWithFlash(c, "/account", "success",
		"We sent a confirmation link to "+ch.NewEmail+". Your sign-in email changes when you open it (within 24 hours).")
}

func (h *Handler) emailFormError(c echo.Context, status int, email, msg string) error {
	m := h.accountModel(c)
	m.EmailValue, m.EmailError = email, msg
	return h.renderAccount(c, status, m)
}

// cancelEmailChange cancels the user's pending email change.
func (h *Handler) cancelEmailChange(c echo.Context) error {
	if err := h.people.CancelEmailChange(c.Request().Context(), currentUser(c).ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/account", "success", "The email change was cancelled; its link no longer works.")
}

// emailChangeProblem is the one answer for a link that cannot be used.
const emailChangeProblem = "This link is not valid: it expired (links work for 24 hours), was used or cancelled, " +
	"or belongs to another account than the one you are signed in with. Ask for the change again from your account page."

// confirmEmailChangeForm shows what a confirmation link would change. It
// changes nothing itself: mail scanners open links too.
func (h *Handler) confirmEmailChangeForm(c echo.Context) error {
	u := currentUser(c)
	m := views.EmailChangePage{Page: h.page(c, "Confirm your new sign-in email"), Token: c.Param("token"), CurrentEmail: u.Email}
	ch, err := h.people.CheckEmailChange(c.Request().Context(), u.ID, m.Token)
	if errors.Is(err, people.ErrEmailChangeGone) {
		m.Token, m.Problem = "", emailChangeProblem
		return h.render(c, http.StatusGone, views.EmailChange(m))
	}
	if err != nil {
		return err
	}
	m.NewEmail = ch.NewEmail
	return h.render(c, http.StatusOK, views.EmailChange(m))
}

// confirmEmailChange applies the change. Every other session of the user
// ends; this one continues under a new id, keeping its recent-password
// time (confirming by mail proves the address, not the password).
func (h *Handler) confirmEmailChange(c echo.Context) error {
	page := views.EmailChangePage{Page: h.page(c, "Confirm your new sign-in email")}
	u, err := h.people.ConfirmEmailChange(c.Request().Context(), currentUser(c).ID, c.Param("token"))
	switch {
	case errors.Is(err, people.ErrEmailChangeGone):
		page.Problem = emailChangeProblem
		return h.render(c, http.StatusGone, views.EmailChange(page))
	case errors.Is(err, people.ErrEmailChangeTaken):
		page.Problem = "That address is now used by another account, so your sign-in email was not changed. Ask for a change to another address from your account page."
		return h.render(c, http.StatusConflict, views.EmailChange(page))
	case err != nil:
		return err
	}
	// A new id, keeping when the password was last entered: opening a
	// mailed link is not entering it.
	authAt, _ := currentSession(c).Values[session.AuthAtKey].(int64)
	if err := h.renewSession(c, u, authAt,
		"Your sign-in email is now "+u.Email+"; your old address was told and your other sessions were signed out."); err != nil {
		return err
	}
	h.mailer.Kick()
	return c.Redirect(http.StatusSeeOther, "/account")
}
