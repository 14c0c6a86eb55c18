package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/views"
)

// The sentences of enforced single sign-on: a partner (or the staff)
// whose identity provider is enforced signs in through it only, so
// passwords, reset links and invitations stop working for its people.

// ssoWho names who signs in through the provider, with the verb agreeing.
func ssoWho(e *auth.SSORequiredError) string {
	if e.Partner == "" {
		return "Staff sign in through " + e.Provider
	}
	return e.Partner + " signs in through " + e.Provider
}

// ssoSignInSentence answers a right password that may not be used.
func ssoSignInSentence(e *auth.SSORequiredError) string {
	return ssoWho(e) + ". Continue with your email to sign in there."
}

// signInThroughSSO answers a password sign-in refused because the user's
// organisation enforces its identity provider. The password was right:
// only then is the refusal told (a wrong one says "incorrect", as for
// anyone). The email step, filled in, continues to the provider.
func (h *Handler) signInThroughSSO(c echo.Context, m views.SignInPage, e *auth.SSORequiredError) error {
	m.Step, m.Error = views.SignInEmail, ssoSignInSentence(e)
	return h.renderSignIn(c, http.StatusForbidden, m)
}

// confirmThroughSSO answers a password confirmation (sudo) of a user
// whose organisation enforces its identity provider.
func (h *Handler) confirmThroughSSO(c echo.Context, next string, e *auth.SSORequiredError) error {
	m := views.ConfirmPasswordPage{Page: h.page(c, "Confirm your password"), Next: next,
		Error: ssoWho(e) + ", so your password is not used here: confirm through " + e.Provider + " instead."}
	if err := h.confirmWith(c, &m); err != nil {
		return err
	}
	m.HasPassword = false
	return h.render(c, http.StatusForbidden, views.ConfirmPassword(m))
}

// ssoPasswordSentence says on the account page why there is no password
// to change.
func ssoPasswordSentence(e *auth.SSORequiredError) string {
	return ssoWho(e) + ": your password is managed there, so it cannot be changed here."
}

// ssoResetProblem says why a reset link mailed before enforcement no
// longer works.
func ssoResetProblem(e *auth.SSORequiredError) string {
	return "This link no longer works: " + ssoWho(e) + " now. Sign in there with your email instead."
}

// ssoInvitationProblem says to an invitee why an invitation sent before
// the partner enforced its identity provider no longer works.
func ssoInvitationProblem(e *people.JoinThroughSSOError) string {
	return "This invitation no longer works: people join " + e.Partner + " through " + e.Provider +
		". Sign in with your email: your account is created when you first sign in there."
}

// ssoRequired returns the enforcement refusal err carries, or nil.
func ssoRequired(err error) *auth.SSORequiredError {
	var e *auth.SSORequiredError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// joinThroughSSO returns the invitation refusal err carries, or nil.
func joinThroughSSO(err error) *people.JoinThroughSSOError {
	var e *people.JoinThroughSSOError
	if errors.As(err, &e) {
		return e
	}
	return nil
}
