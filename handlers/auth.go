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
	"github.com/portico/portico/views"
)

// signInForm shows the sign-in page; a signed-in user goes home.
func (h *Handler) signInForm(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return h.renderSignIn(c, http.StatusOK, views.SignInPage{Next: safeNext(c.QueryParam("next"))})
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

// signIn checks the credentials and starts a new session.
func (h *Handler) signIn(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	m := views.SignInPage{Email: email, Next: safeNext(c.FormValue("next"))}
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
