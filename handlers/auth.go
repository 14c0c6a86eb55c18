package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// signInForm shows the sign-in page; a signed-in user goes home.
func (h *Handler) signInForm(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return h.renderSignIn(c, http.StatusOK, views.SignInPage{Next: safeNext(c.QueryParam("next")), Step: views.SignInEmail})
}

func (h *Handler) renderSignIn(c echo.Context, status int, m views.SignInPage) error {
	m.Page = h.page(c, "Sign in")
	if h.cfg.Demo {
		m.DemoPassword = demo.Password
		m.DemoAccounts = []views.DemoAccount{
			{Email: "admin@portico.test", Role: "platform admin"},
			{Email: "am@portico.test", Role: "account manager"},
			{Email: "admin@harbor.test", Role: "partner admin, Harbor Logistics"},
			{Email: "dev@harbor.test", Role: "developer, Harbor Logistics"},
		}
	}
	return h.render(c, status, views.SignIn(m))
}

// signIn takes the email step (which way this address signs in) or the
// password step: it checks the credentials and starts a new session. A
// form with both email and password (a password manager's, or a script's)
// is the password step.
func (h *Handler) signIn(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	step := c.FormValue("step")
	m := views.SignInPage{Email: email, Next: safeNext(c.FormValue("next")), Step: views.SignInPassword}
	switch {
	case step == views.SignInAskPassword && email != "":
		return h.renderSignIn(c, http.StatusOK, m)
	case pw == "" && step != views.SignInPassword:
		return h.signInEmailStep(c, m)
	}
	if email == "" || pw == "" {
		m.Error = "Enter your email address and your password."
		return h.renderSignIn(c, http.StatusUnprocessableEntity, m)
	}
	u, err := auth.SignIn(c.Request().Context(), h.store, email, pw, c.RealIP())
	var throttled *auth.ThrottledError
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		m.Error = "The email or the password is incorrect."
		return h.renderSignIn(c, http.StatusUnprocessableEntity, m)
	case errors.As(err, &throttled):
		m.Error = fmt.Sprintf("Too many failed sign-in attempts. Please wait %s and try again, or reset your password.", humanWait(throttled.Wait.Seconds()))
		setRetryAfter(c, throttled.Wait)
		return h.renderSignIn(c, http.StatusTooManyRequests, m)
	case ssoRequired(err) != nil:
		return h.signInThroughSSO(c, m, ssoRequired(err))
	case errors.Is(err, auth.ErrPartnerSuspended):
		m.Error = "Your organisation's access to this portal is suspended. Please contact your account manager."
		return h.renderSignIn(c, http.StatusForbidden, m)
	case err != nil:
		return err
	}
	if err := h.startSession(c, u, "Welcome, "+u.Name+"."); err != nil {
		return err
	}
	h.log.Info("signed in", "user_id", u.ID, "request_id", requestID(c))
	return c.Redirect(http.StatusSeeOther, m.Next)
}

// signInEmailStep answers the email: the organisation's own sign-in when
// the address's domain has one, the password otherwise. It tells only
// whether a domain signs in through a provider, never whether an account
// exists.
func (h *Handler) signInEmailStep(c echo.Context, m views.SignInPage) error {
	if m.Email == "" {
		m.Step, m.Error = views.SignInEmail, "Enter your email address."
		return h.renderSignIn(c, http.StatusUnprocessableEntity, m)
	}
	p, err := h.emailProvider(c, store.NormalizeEmail(m.Email))
	if err != nil {
		return err
	}
	if p != nil {
		// The staff's platform admins keep their password when the staff's
		// provider is enforced (break-glass): offered to every staff
		// address alike, it tells nothing about who is an admin.
		m.Step, m.Provider, m.Organisation, m.PasswordAllowed = views.SignInProvider, p.DisplayName, p.PartnerName, !p.Enforced || p.IsStaff()
		if p.IsStaff() {
			m.Organisation = "Your organisation"
		}
	}
	return h.renderSignIn(c, http.StatusOK, m)
}

// signOut ends every session of the user, on every device: a shared or
// lost computer is signed out by signing out anywhere.
func (h *Handler) signOut(c echo.Context) error {
	ctx := c.Request().Context()
	if u := currentUser(c); u != nil {
		if err := auth.SignOut(ctx, h.store, u); err != nil {
			return err
		}
	}
	sess := currentSession(c)
	if err := h.sessions.Renew(ctx, sess); err != nil {
		return err
	}
	if err := h.flash(c, "info", "You have signed out on every device."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func humanWait(seconds float64) string {
	s := int(math.Ceil(seconds))
	if s < 60 {
		return fmt.Sprintf("%d seconds", s)
	}
	m := (s + 59) / 60
	if m == 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
