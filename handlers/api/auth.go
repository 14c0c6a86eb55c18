package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/session"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

const (
	actorKey     = "api.actor"
	principalKey = "api.principal"
)

// authenticate resolves the actor of every API request: a personal access
// token in the Authorization header when there is one, else the portal
// session. No credential is a 401 with the challenge of RFC 6750; a token
// anywhere but the header is a 400 and never looked at. API responses are
// never cached.
func (a *API) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		r := c.Request()
		if c.QueryParams().Has("access_token") || token.InPath(r.URL.RawQuery) {
			return bearerError(c, http.StatusBadRequest, "invalid_request",
				"Send the token in the Authorization header (Authorization: Bearer ptc_…), never in the URL, where logs and browsers keep it. Revoke that token now: it may have been recorded.")
		}
		var actor access.Actor
		ok := false
		plain, err := credential.Bearer(r.Header[echo.HeaderAuthorization])
		if err == nil && a.Verifier == nil {
			err = credential.ErrNotBearer
		}
		switch {
		case errors.Is(err, credential.ErrNoCredential):
			if a.Actor != nil {
				actor, ok = a.Actor(c)
			}
		case err != nil:
			return bearerError(c, http.StatusBadRequest, "invalid_request", err.Error())
		default:
			p, err := a.Verifier.Verify(r.Context(), plain, "", c.RealIP())
			if err != nil {
				return tokenError(c, err)
			}
			actor, ok = access.Actor{UserID: p.UserID, Role: p.Role, PartnerID: p.PartnerID}, true
			c.Set(principalKey, p)
		}
		if !ok || actor.UserID == 0 {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="portico"`)
			return &Error{Status: http.StatusUnauthorized, Code: "unauthorized",
				Message: "Authentication required: send a personal access token (Authorization: Bearer ptc_…) or sign in to the portal."}
		}
		c.Set(actorKey, actor)
		c.SetRequest(r.WithContext(audit.WithActor(r.Context(), actor.UserID)))
		return next(c)
	}
}

// tokenError answers a token the verifier refused. Unknown, revoked and
// malformed tokens get the same answer; an expired or pending one says so,
// since only its owner can hold it.
func tokenError(c echo.Context, err error) error {
	msg := "The access token is invalid or has been revoked."
	code := "invalid_token"
	switch {
	case errors.Is(err, credential.ErrAccessTokenExpired):
		code, msg = "token_expired", "The OAuth access token has expired: ask POST /oauth/token for a new one."
	case errors.Is(err, credential.ErrExpired):
		code, msg = "token_expired", "The access token has expired: regenerate it or create a new one in the portal."
	case errors.Is(err, credential.ErrNetwork):
		return &Error{Status: http.StatusForbidden, Code: "network_not_allowed",
			Message: "This credential may not be used from this network address: its allowed networks are set in the portal."}
	case errors.Is(err, credential.ErrPending):
		code, msg = "token_pending", "The access token waits for a partner admin's approval."
	case errors.Is(err, credential.ErrInvalid):
	default:
		return err // the database failed: a 500, logged
	}
	c.Response().Header().Set("WWW-Authenticate", `Bearer realm="portico", error="invalid_token", error_description="`+msg+`"`)
	return &Error{Status: http.StatusUnauthorized, Code: code, Message: msg}
}

func bearerError(c echo.Context, status int, code, msg string) error {
	c.Response().Header().Set("WWW-Authenticate", `Bearer realm="portico", error="`+code+`"`)
	return &Error{Status: status, Code: code, Message: msg}
}

// principal is the verified token of a request authenticated by one.
func principal(c echo.Context) *credential.Principal {
	p, _ := c.Get(principalKey).(*credential.Principal)
	return p
}

// authorize asks the policy whether the actor may perform act on their own
// partner's resources, and returns the actor and that partner. A token
// must also hold the portal scope of act (insufficient_scope otherwise).
func (a *API) authorize(c echo.Context, act access.Action) (access.Actor, int64, error) {
	actor, _ := c.Get(actorKey).(access.Actor)
	switch access.Can(actor, act, actor.PartnerID) {
	case access.Allow:
	case access.Hidden:
		return actor, 0, notFound("This resource")
	default:
		return actor, 0, &Error{Status: http.StatusForbidden, Code: "forbidden",
			Message: "Your role does not allow this. Ask your organisation's portal admin."}
	}
	if err := requireScope(c, act); err != nil {
		return actor, 0, err
	}
	return actor, actor.PartnerID, nil
}

// requireScope refuses a token request whose token lacks the portal scope
// of act; a session request passes.
func requireScope(c echo.Context, act access.Action) error {
	p := principal(c)
	if p == nil {
		return nil
	}
	scope := access.ScopeFor(act)
	if scope != "" && p.HasPortalScope(scope) {
		return nil
	}
	if scope == "" {
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "This operation is available in the portal only, not to tokens."}
	}
	c.Response().Header().Set("WWW-Authenticate", `Bearer realm="portico", error="insufficient_scope", scope="`+scope+`"`)
	return &Error{Status: http.StatusForbidden, Code: "insufficient_scope",
		Message: "The token lacks the scope " + scope + ": create a token with it."}
}

// recentAuth reports whether the caller may take a sudo action: a session
// whose password was confirmed recently, or a token (a live token, the
// only kind with portal scopes, was itself created after confirming).
func (a *API) recentAuth(c echo.Context) bool {
	if principal(c) != nil {
		return true
	}
	return a.RecentAuth == nil || a.RecentAuth(c)
}

// SessionAuth authenticates API requests by the portal's cookie session,
// as the pages do: the session's user must be active and, for a partner
// user, their partner active too.
type SessionAuth struct {
	Store    *store.Store
	Sessions *session.Store
	// Window is how long after entering their password a session counts
	// as recently authenticated (the portal's sudo window).
	Window time.Duration
}

const sessionKey = "api.session"

// Actor is API.Actor for cookie sessions.
func (s *SessionAuth) Actor(c echo.Context) (access.Actor, bool) {
	sess := s.session(c)
	if sess == nil {
		return access.Actor{}, false
	}
	uid, ok := sess.Values[session.UserKey].(int64)
	if !ok {
		return access.Actor{}, false
	}
	ctx := c.Request().Context()
	u, err := s.Store.SessionUser(ctx, uid)
	if err != nil || u.Status != "active" {
		return access.Actor{}, false
	}
	a := access.Actor{UserID: u.ID, Role: u.Role, Managed: u.Managed}
	if u.PartnerID != nil {
		p, err := s.Store.PartnerByID(ctx, *u.PartnerID)
		if err != nil || p.Status != store.PartnerActive {
			return access.Actor{}, false
		}
		a.PartnerID = p.ID
	}
	return a, true
}

// RecentAuth is API.RecentAuth for cookie sessions.
func (s *SessionAuth) RecentAuth(c echo.Context) bool {
	sess := s.session(c)
	if sess == nil {
		return false
	}
	at, _ := sess.Values[session.AuthAtKey].(int64)
	return time.Since(time.Unix(at, 0)) < s.Window
}

// session loads the request's session once.
func (s *SessionAuth) session(c echo.Context) *sessions.Session {
	if sess, ok := c.Get(sessionKey).(*sessions.Session); ok {
		return sess
	}
	sess, err := s.Sessions.Get(c.Request(), s.Sessions.CookieName)
	if err != nil || sess.IsNew {
		return nil
	}
	c.Set(sessionKey, sess)
	return sess
}
