package handlers

import (
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

var auditRanges = []struct {
	Value, Label string
	Span         time.Duration
}{
	{"24h", "Last 24 hours", 24 * time.Hour},
	{"7d", "Last 7 days", 7 * 24 * time.Hour},
	{"30d", "Last 30 days", 30 * 24 * time.Hour},
	{"90d", "Last 90 days", 90 * 24 * time.Hour},
	{"all", "All time", 0},
}

var auditKinds = []struct {
	Value, Label string
	Prefixes     []string
}{
	{"tokens", "Tokens", []string{"token."}},
	{"people", "Members and invitations", []string{"member.", "invitation.", "staff."}},
	{"teams", "Teams", []string{"team."}},
	{"access", "Access groups and grants", []string{"access_group.", "grant."}},
	{"apis", "APIs", []string{"api."}},
	{"partners", "Partners", []string{"partner."}},
	{"account", "Sign-ins and accounts", []string{"user."}},
	{"settings", "Settings and sandbox", []string{"settings.", "sandbox."}},
}

// auditQuery reads the page's filters from the URL into m (to fill the
// form back) and the store query; all are checked before any query.
func auditQuery(c echo.Context, m *views.AuditPage, scope store.AuditScope) (store.AuditQuery, error) {
	q := store.AuditQuery{Scope: scope, Limit: auditPageSize}
	m.RequestID = strings.TrimSpace(c.QueryParam("request_id"))
	m.Actor = strings.TrimSpace(c.QueryParam("actor"))
	m.Kind = c.QueryParam("kind")
	m.Range = c.QueryParam("range")
	if utf8.RuneCountInString(m.RequestID) > 100 || utf8.RuneCountInString(m.Actor) > 254 {
		return q, BadRequest("A request id has at most 100 characters and an email at most 254: check what you pasted.")
	}
	q.RequestID = m.RequestID
	if m.Range == "" {
		// A request id is looked up whenever it happened; otherwise the
		// last 30 days are what people look for first.
		m.Range = "30d"
		if m.RequestID != "" {
			m.Range = "all"
		}
	}
	found := false
	for _, r := range auditRanges {
		m.Ranges = append(m.Ranges, views.AuditOption{Value: r.Value, Label: r.Label, Selected: r.Value == m.Range})
		if r.Value == m.Range {
			found = true
			if r.Span > 0 {
				q.Since = time.Now().Add(-r.Span)
			}
		}
	}
	if !found {
		return q, BadRequest("This time range is not one the audit trail offers: choose one from the list.")
	}
	found = m.Kind == ""
	for _, k := range auditKinds {
		m.Kinds = append(m.Kinds, views.AuditOption{Value: k.Value, Label: k.Label, Selected: k.Value == m.Kind})
		if k.Value == m.Kind {
			found, q.Actions = true, k.Prefixes
		}
	}
	if !found {
		return q, BadRequest("This kind of event is not one the audit trail offers: choose one from the list.")
	}
	if raw := c.QueryParam("after"); raw != "" {
		key, ok := store.AuditList.Parse(raw)
		if c.QueryParam("source") == "calls" {
			// The calls' cursor; read by callQuery.
			key, ok = nil, true
		}
		if !ok {
			return q, BadRequest("This link to a page of the audit trail is broken. Open Audit from the menu to start from the newest events.")
		}
		q.After = key
	}
	return q, nil
}

// auditActor finds the person an actor filter names, among those the
// viewer may see: 0 when there is none (the same answer for an email of
// another partner as for an unknown one).
func (h *Handler) auditActor(c echo.Context, email string, scope store.AuditScope) (int64, error) {
	if scope.UserID != 0 {
		return 0, BadRequest("Your audit trail shows only what you did and what was done to your account: it has no filter by person.")
	}
	u, err := h.store.UserByEmail(c.Request().Context(), email)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if scope.PartnerID != 0 && (u.PartnerID == nil || *u.PartnerID != scope.PartnerID) {
		return 0, nil
	}
	return u.ID, nil
}

// auditRow is one event as the page shows it.
func auditRow(r store.AuditRow, staff bool) views.AuditEvent {
	who := r.ActorName
	if who == "" {
		who = r.Actor
	}
	e := views.AuditEvent{At: formatTime(r.At), Sentence: audit.Sentence(who, r.Action, r.Target, r.Details), Action: r.Action, RequestID: r.RequestID}
	if r.IP != nil {
		e.IP = *r.IP
	}
	if staff {
		e.Partner = r.PartnerName
	}
	if r.RequestID != "" {
		e.RequestHref = requestHref(r.RequestID)
	}
	return e
}

// requestHref is the audit trail of one request: what it did in the
// portal and its call at the gateway.
func requestHref(id string) string { return listHref("/audit", "request_id", id) }

// auditQueries reads the audit page's filters into m and the two store
// queries they make, the portal events' and the calls', in the part of
// the trail the policy lets the viewer read; all are checked before any
// query.
func (h *Handler) auditQueries(c echo.Context, m *views.AuditPage) (store.AuditQuery, store.CallQuery, error) {
	scope, err := h.auditScope(c)
	if err != nil {
		return store.AuditQuery{}, store.CallQuery{}, err
	}
	m.Own, m.Staff = scope.UserID != 0, actorOf(currentUser(c)).Staff()
	q, err := auditQuery(c, m, scope)
	if err != nil {
		return q, store.CallQuery{}, err
	}
	cq, err := callQuery(c, m, q)
	return q, cq, err
}

// auditParams are the page's filters as listHref takes them.
func auditParams(m *views.AuditPage) []string {
	return []string{"source", m.Source, "range", m.Range, "kind", m.Kind, "actor", m.Actor,
		"status", m.Status, "api", m.API, "request_id", m.RequestID}
}

// auditExportHref links to the export of what the page's filters match,
// the format last.
func auditExportHref(m *views.AuditPage, format string) string {
	href := listHref("/audit/export", auditParams(m)...)
	if strings.Contains(href, "?") {
		return href + "&format=" + url.QueryEscape(format)
	}
	return href + "?format=" + url.QueryEscape(format)
}
