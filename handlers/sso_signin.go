package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// ssoAttemptKey holds the started sign-in through a provider (state,
// nonce, PKCE verifier) in the browser's own session, so the answer is
// accepted from this browser only, once.
const ssoAttemptKey = "sso_attempt"

// emailProvider returns the identity provider the address's domain
// belongs to, nil when none.
func (h *Handler) emailProvider(c echo.Context, email string) (*store.IdentityProvider, error) {
	at := strings.LastIndexByte(email, '@')
	if at < 1 || at == len(email)-1 || len(email) > 254 {
		return nil, nil
	}
	p, err := h.store.IdentityProviderForDomain(c.Request().Context(), email[at+1:])
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// ssoStart sends the browser to the identity provider of the typed
// address's domain; an address of no such domain goes on to the password.
func (h *Handler) ssoStart(c echo.Context) error {
	email := store.NormalizeEmail(c.FormValue("email"))
	next := safeNext(c.FormValue("next"))
	p, err := h.emailProvider(c, email)
	if err != nil {
		return err
	}
	if p == nil {
		return h.renderSignIn(c, http.StatusOK, views.SignInPage{Email: email, Next: next, Step: views.SignInPassword})
	}
	return h.redirectToProvider(c, p, email, next, 0)
}

// ssoConfirm sends a signed-in person who signs in through a provider to
// it again, to open the recent-authentication window.
func (h *Handler) ssoConfirm(c echo.Context) error {
	u := currentUser(c)
	next := safeNext(c.FormValue("next"))
	ident, err := h.store.IdentityOfUser(c.Request().Context(), u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return c.Redirect(http.StatusSeeOther, "/confirm-password?next="+url.QueryEscape(next))
	} else if err != nil {
		return err
	}
	p, err := h.store.IdentityProviderByID(c.Request().Context(), ident.ProviderID)
	if err != nil {
		return err
	}
	return h.redirectToProvider(c, p, u.Email, next, u.ID)
}

func (h *Handler) redirectToProvider(c echo.Context, p *store.IdentityProvider, email, next string, userID int64) error {
	authURL, attempt, err := h.sso.Start(c.Request().Context(), p, email, next, userID)
	var ie *sso.IssuerError
	var re *sso.RefusedError
	if errors.As(err, &re) {
		h.log.Error("identity provider misconfigured", "provider_id", p.ID, "request_id", requestID(c), "err", err)
		status, msg := refusalMessage(re.Kind)
		return h.renderSignIn(c, status, views.SignInPage{Email: email, Next: next, Step: views.SignInEmail, Error: msg})
	} else if errors.As(err, &ie) {
		h.log.Warn("identity provider unreachable", "provider_id", p.ID, "request_id", requestID(c), "err", err)
		return h.renderSignIn(c, http.StatusBadGateway, views.SignInPage{Email: email, Next: next, Step: views.SignInEmail,
			Error: p.DisplayName + " could not be reached to sign you in. Please try again in a moment."})
	} else if err != nil {
		return err
	}
	sess := currentSession(c)
	sess.Values[ssoAttemptKey] = attempt.Encode()
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	// A page that moves on at once, not a redirect (see views.Page.Refresh);
	// never stored, as its link holds this attempt's state.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	m := views.SSORedirectPage{Page: h.page(c, "Continuing to "+p.DisplayName), Provider: p.DisplayName, URL: authURL}
	m.Page.Refresh = authURL
	return h.render(c, http.StatusOK, views.SSORedirect(m))
}

// ssoCallback takes the provider's answer: the attempt kept in this
// browser's session is used up whatever the answer, then the answer is
// checked and the person admitted.
func (h *Handler) ssoCallback(c echo.Context) error {
	sess := currentSession(c)
	raw, _ := sess.Values[ssoAttemptKey].(string)
	delete(sess.Values, ssoAttemptKey)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	attempt, ok := sso.DecodeAttempt(raw)
	ctx := c.Request().Context()
	id, err := h.sso.Finish(ctx, attempt, ok, c.QueryParams())
	var u *store.User
	if err == nil {
		u, err = h.sso.Admit(ctx, id, attempt)
	}
	var re *sso.RefusedError
	if errors.As(err, &re) {
		h.log.Info("sso sign-in refused", "kind", re.Kind, "reason", re.Reason, "request_id", requestID(c))
		status, msg := refusalMessage(re.Kind)
		if attempt.UserID != 0 && currentUser(c) != nil {
			return h.redirectWithFlash(c, "/confirm-password?next="+url.QueryEscape(safeNext(attempt.Next)), "error", msg)
		}
		return h.renderSignIn(c, status, views.SignInPage{Email: attempt.Email, Next: safeNext(attempt.Next), Step: views.SignInEmail, Error: msg})
	} else if err != nil {
		return err
	}
	if attempt.UserID != 0 {
		// Confirmed again: the recent-authentication window opens.
		if err := h.renewSession(c, u, time.Now().Unix(), ""); err != nil {
			return err
		}
	} else if err := h.startSession(c, u, "Welcome, "+u.Name+"."); err != nil {
		return err
	}
	h.log.Info("signed in", "user_id", u.ID, "method", "sso", "request_id", requestID(c))
	return c.Redirect(http.StatusSeeOther, safeNext(attempt.Next))
}

// refusalMessage is the status and the sentence for a refused sign-in
// through a provider.
func refusalMessage(kind string) (int, string) {
	switch kind {
	case sso.RefusedAttempt:
		return http.StatusBadRequest, "This sign-in was not started in this browser, or was already used. Please sign in again."
	case sso.RefusedExpired:
		return http.StatusBadRequest, "This sign-in took too long. Please sign in again."
	case sso.RefusedByProvider:
		return http.StatusForbidden, "Your organisation's sign-in did not let you in. If you should have access, ask your organisation's administrator."
	case sso.RefusedToken:
		return http.StatusBadRequest, "The answer from your organisation's sign-in could not be verified. Please sign in again; if this goes on, tell your administrator."
	case sso.RefusedUnavailable:
		return http.StatusBadGateway, "Your organisation's sign-in could not be reached. Please try again in a moment."
	case sso.RefusedDomain:
		return http.StatusForbidden, "Your organisation's sign-in vouched for an address this portal does not accept from it."
	case sso.RefusedUnverified:
		return http.StatusForbidden, "Your organisation's sign-in did not confirm your email address is verified."
	case sso.RefusedElsewhere:
		return http.StatusForbidden, "This address has an account that does not sign in through this organisation. Sign in with your password, or ask your account manager."
	case sso.RefusedNoAccount:
		return http.StatusForbidden, "There is no staff account for this address. A platform admin creates staff accounts."
	case sso.RefusedGroup:
		return http.StatusForbidden, "Your organisation's sign-in does not give you access to this portal. Ask your organisation's administrator to add you to a group that has access."
	case sso.RefusedSuspended:
		return http.StatusForbidden, "Your organisation's access to this portal is suspended. Please contact your account manager."
	case sso.RefusedMisconfigured:
		return http.StatusServiceUnavailable, "Signing in through your organisation is not set up correctly here at the moment. Please tell your account manager."
	case sso.RefusedOtherPerson:
		return http.StatusForbidden, "You confirmed as another person. Confirm as yourself, or sign out first."
	}
	return http.StatusForbidden, "Signing in through your organisation was refused."
}
