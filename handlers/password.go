package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// forgotPasswordForm asks for the email to mail a reset link to.
func (h *Handler) forgotPasswordForm(c echo.Context) error {
	return h.render(c, http.StatusOK, views.ForgotPassword(views.ForgotPasswordPage{Page: h.page(c, "Reset your password")}))
}

// forgotPassword mails a reset link if the email has an account, and says
// the same either way.
func (h *Handler) forgotPassword(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	err := h.people.RequestPasswordReset(c.Request().Context(), email, c.RealIP())
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return h.render(c, http.StatusUnprocessableEntity, views.ForgotPassword(views.ForgotPasswordPage{
			Page: h.page(c, "Reset your password"), Email: email, Error: in.Message}))
	}
	var limit *people.LimitError
	if errors.As(err, &limit) {
		setRetryAfter(c, limit.RetryAfter)
		return h.render(c, http.StatusTooManyRequests, views.ForgotPassword(views.ForgotPasswordPage{
			Page: h.page(c, "Reset your password"), Email: email, Error: limit.Message}))
	}
	if err != nil {
		return err
	}
	h.mailer.Kick()
	return h.render(c, http.StatusOK, views.ForgotPassword(views.ForgotPasswordPage{Page: h.page(c, "Reset your password"), Email: email, Sent: true}))
}

func resetProblem(err error) string {
	switch {
	case errors.Is(err, people.ErrResetExpired):
		return "This link expired: reset links work for one hour. Ask for a new one."
	case errors.Is(err, people.ErrResetUsed):
		return "This link was already used. If you still cannot sign in, ask for a new one."
	}
	return "This link is not valid. Check that you copied the whole link from the mail, or ask for a new one."
}

// resetPasswordForm shows the new-password form a reset link opens.
func (h *Handler) resetPasswordForm(c echo.Context) error {
	m := views.ResetPasswordPage{Page: h.page(c, "Choose a new password"), Token: c.Param("token")}
	if err := h.people.CheckReset(c.Request().Context(), m.Token); err != nil {
		if e := ssoRequired(err); e != nil {
			m.Token, m.Problem, m.SignInInstead = "", ssoResetProblem(e), true
			return h.render(c, http.StatusGone, views.ResetPassword(m))
		}
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, people.ErrResetExpired) && !errors.Is(err, people.ErrResetUsed) {
			return err
		}
		m.Token, m.Problem = "", resetProblem(err)
		return h.render(c, http.StatusGone, views.ResetPassword(m))
	}
	return h.render(c, http.StatusOK, views.ResetPassword(m))
}

// resetPassword sets the new password and signs the user in afresh.
func (h *Handler) resetPassword(c echo.Context) error {
	plain := c.Param("token")
	u, err := h.people.ResetPassword(c.Request().Context(), plain, c.FormValue("password"))
	var in *apierr.FieldError
	switch {
	case errors.As(err, &in):
		return h.render(c, http.StatusUnprocessableEntity, views.ResetPassword(views.ResetPasswordPage{
			Page: h.page(c, "Choose a new password"), Token: plain, Error: in.Message}))
	case ssoRequired(err) != nil:
		return h.render(c, http.StatusGone, views.ResetPassword(views.ResetPasswordPage{
			Page: h.page(c, "Choose a new password"), Problem: ssoResetProblem(ssoRequired(err)), SignInInstead: true}))
	case errors.Is(err, store.ErrNotFound), errors.Is(err, people.ErrResetExpired), errors.Is(err, people.ErrResetUsed):
		return h.render(c, http.StatusGone, views.ResetPassword(views.ResetPasswordPage{
			Page: h.page(c, "Choose a new password"), Problem: resetProblem(err)}))
	case err != nil:
		return err
	}
	if err := h.startSession(c, u, "Your new password is set; every other session was signed out."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}
