package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/session"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

const (
	ctxSession = "session"
	ctxUser    = "user"
	ctxPartner = "partner"
)

// machinePrefixes are paths that never use the portal's cookie session.
var machinePrefixes = []string{"/static/", "/healthz", "/readyz", "/openapi/", "/api/", "/sandbox/", "/live/", "/oauth/"}

// withSession loads the cookie session and the signed-in user, if any. A
// user who was removed, or whose partner is suspended, is signed out.
func (h *Handler) withSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := c.Request().URL.Path
		for _, prefix := range machinePrefixes {
			if strings.HasPrefix(p, prefix) {
				return next(c)
			}
		}
		sess, err := h.sessions.Get(c.Request(), h.sessions.CookieName)
		c.Set(ctxSession, sess)
		if err != nil {
			return err
		}
		uid, ok := sess.Values[session.UserKey].(int64)
		if !ok {
			return next(c)
		}
		ctx := c.Request().Context()
		u, err := h.store.SessionUser(ctx, uid)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if u == nil || u.Status != "active" {
			return h.endSession(c, sess, next)
		}
		if u.PartnerID != nil {
			partner, err := h.store.PartnerByID(ctx, *u.PartnerID)
			if err != nil {
				return err
			}
			if partner.Status != store.PartnerActive {
				return h.endSession(c, sess, next)
			}
			c.Set(ctxPartner, partner)
		}
		c.Set(ctxUser, u)
		return next(c)
	}
}

// endSession deletes a session whose user may no longer sign in and serves
// the request as signed out.
func (h *Handler) endSession(c echo.Context, sess *sessions.Session, next echo.HandlerFunc) error {
	sess.Options.MaxAge = -1
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	fresh, _ := h.sessions.New(&http.Request{}, h.sessions.CookieName)
	c.Set(ctxSession, fresh)
	return next(c)
}

// currentUser is the signed-in user, or nil.
func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

func currentPartner(c echo.Context) *store.Partner {
	p, _ := c.Get(ctxPartner).(*store.Partner)
	return p
}

func currentSession(c echo.Context) *sessions.Session {
	s, _ := c.Get(ctxSession).(*sessions.Session)
	return s
}

// flash queues a one-time message for the next page the user sees.
func (h *Handler) flash(c echo.Context, kind, msg string) error {
	sess := currentSession(c)
	if sess == nil {
		return nil
	}
	sess.AddFlash(kind + "\x1f" + msg)
	return sess.Save(c.Request(), c.Response())
}

// takeFlashes returns and clears the queued messages.
func (h *Handler) takeFlashes(c echo.Context) []views.Flash {
	sess := currentSession(c)
	if sess == nil {
		return nil
	}
	raw := sess.Flashes()
	if len(raw) == 0 {
		return nil
	}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		h.log.Error("clear flashes", "request_id", requestID(c), "err", err)
	}
	out := make([]views.Flash, 0, len(raw))
	for _, r := range raw {
		s, _ := r.(string)
		kind, msg, ok := strings.Cut(s, "\x1f")
		if !ok {
			continue
		}
		out = append(out, views.Flash{Kind: kind, Message: msg})
	}
	return out
}

// RoleLabel is how a role is shown to people.
func RoleLabel(role string) string {
	switch role {
	case store.RoleAdmin:
		return "Platform admin"
	case store.RoleAccountManager:
		return "Account manager"
	case store.RolePartnerAdmin:
		return "Partner admin"
	case store.RoleDeveloper:
		return "Developer"
	}
	return role
}

// safeNext returns next if it is a path on this site, "/" otherwise, so the
// sign-in and password forms cannot be used to redirect to another site.
// Browsers drop tabs and newlines from URLs and read a backslash as a
// slash, so "/\t/evil.example" or "/\\evil.example" would leave the site: any
// control character or backslash is refused outright, and what is left
// must parse as a path with neither scheme nor host, not starting "//".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || !plainPath(next) {
		return "/"
	}
	// The decoded path is checked too: "/%5C..." or "/%09..." are
	// harmless to browsers, but nothing legitimate needs them.
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || !plainPath(u.Path) {
		return "/"
	}
	return next
}

// plainPath reports whether s has no backslash and no control character.
func plainPath(s string) bool {
	for _, r := range s {
		if r == '\\' || unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// auditSource tells the audit trail who acts in this request and from
// where; the management API adds its actor once it has authenticated.
func (h *Handler) auditSource(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		src := audit.Source{IP: c.RealIP(), RequestID: requestID(c)}
		if u := currentUser(c); u != nil {
			src.ActorID = u.ID
		}
		r := c.Request()
		c.SetRequest(r.WithContext(audit.WithSource(r.Context(), src)))
		return next(c)
	}
}
