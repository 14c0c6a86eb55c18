package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/session"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// SudoWindow is how long after entering their password a user may do
// sensitive things (change roles or email, create live credentials)
// without entering it again.
const SudoWindow = 10 * time.Minute

// startSession signs u in on a fresh session id, stamping the time the
// password was entered.
func (h *Handler) startSession(c echo.Context, u *store.User, welcome string) error {
	return h.renewSession(c, u, time.Now().Unix(), welcome)
}

// renewSession gives the session a new id, signed in as u, with the
// password last entered at authAt (Unix seconds; 0: not in this session),
// and a success message when welcome is set: the old id stops working.
func (h *Handler) renewSession(c echo.Context, u *store.User, authAt int64, welcome string) error {
	sess := currentSession(c)
	if err := h.sessions.Renew(c.Request().Context(), sess); err != nil {
		return err
	}
	sess.Values[session.UserKey] = u.ID
	if authAt != 0 {
		sess.Values[session.AuthAtKey] = authAt
	}
	if welcome != "" {
		sess.AddFlash("success\x1f" + welcome)
	}
	return sess.Save(c.Request(), c.Response())
}

// recentlyAuthenticated reports whether the password was entered within
// SudoWindow in this session.
func recentlyAuthenticated(c echo.Context) bool {
	sess := currentSession(c)
	if sess == nil {
		return false
	}
	at, _ := sess.Values[session.AuthAtKey].(int64)
	return time.Since(time.Unix(at, 0)) < SudoWindow
}

// requireSudo sends the user to confirm their password before a sensitive
// action, then back to back (a page, since a POST cannot be replayed).
func (h *Handler) requireSudo(c echo.Context, back, why string) error {
	if err := h.flash(c, "info", why); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/confirm-password?next="+url.QueryEscape(back))
}

// confirmPasswordForm asks for the password again.
func (h *Handler) confirmPasswordForm(c echo.Context) error {
	m := views.ConfirmPasswordPage{Page: h.page(c, "Confirm your password"), Next: safeNext(c.QueryParam("next"))}
	if err := h.confirmWith(c, &m); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.ConfirmPassword(m))
}

// confirmWith fills in how the signed-in user can confirm who they are:
// through their identity provider when they sign in through one, by
// password when they have one.
func (h *Handler) confirmWith(c echo.Context, m *views.ConfirmPasswordPage) error {
	u := currentUser(c)
	m.HasPassword = u.PasswordHash != nil
	ident, err := h.store.IdentityOfUser(c.Request().Context(), u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	p, err := h.store.IdentityProviderByID(c.Request().Context(), ident.ProviderID)
	if err != nil {
		return err
	}
	m.Provider = p.DisplayName
	return nil
}

// confirmPassword checks the password and opens the sudo window. Raising
// the session's privilege, it also gives the session a new id (as sign-in
// does), so an id seen before the confirmation is worth nothing after it.
func (h *Handler) confirmPassword(c echo.Context) error {
	u := currentUser(c)
	next := safeNext(c.FormValue("next"))
	ctx := c.Request().Context()
	err := auth.ConfirmPassword(ctx, h.store, u, c.FormValue("password"))
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		// Too many wrong passwords: end the session rather than allow guessing.
		if err := h.sessions.Renew(ctx, currentSession(c)); err != nil {
			return err
		}
		return h.redirectWithFlash(c, "/sign-in", "error", "Too many wrong passwords: you were signed out. Sign in again in a few minutes.")
	case ssoRequired(err) != nil:
		return h.confirmThroughSSO(c, next, ssoRequired(err))
	case errors.Is(err, auth.ErrBadCredentials):
		m := views.ConfirmPasswordPage{Page: h.page(c, "Confirm your password"), Next: next, Error: "That password is not right."}
		if err := h.confirmWith(c, &m); err != nil {
			return err
		}
		return h.render(c, http.StatusUnprocessableEntity, views.ConfirmPassword(m))
	case err != nil:
		return err
	}
	if err := h.startSession(c, u, ""); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, next)
}
