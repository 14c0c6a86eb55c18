package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// auditPageSize is how many events the audit page shows at once.
const auditPageSize = 50

// auditTrail shows the audit trail the viewer may read, newest first, a
// page at a time: everything for platform admins, their partners' events
// for account managers, their partner's for partner admins, and for a
// developer what they did and what was done to their account and tokens.
// The scope comes from the policy, never from the URL; the URL only
// narrows it (time, kind, person, request id, and for staff one partner,
// itself checked against the policy).
func (h *Handler) auditTrail(c echo.Context) error {
	var m views.AuditPage
	q, cq, err := h.auditQueries(c, &m)
	if err != nil {
		return err
	}
	m.Page = h.page(c, "Audit trail")
	m.ExportCSV, m.ExportNDJSON = auditExportHref(&m, "csv"), auditExportHref(&m, "ndjson")
	// An empty value given to listHref does not remove an earlier one,
	// so a filter is dropped from a copy of the page's filters.
	if m.Token != 0 {
		without := m
		without.Token = 0
		m.TokenClearHref = listHref("/audit", auditParams(&without)...)
	}
	if m.Partner != 0 {
		without := m
		without.Partner = 0
		m.PartnerClearHref = listHref("/audit", auditParams(&without)...)
	}
	// A request id finds both what the request did in the portal and the
	// call it was at the gateway: a few rows, shown together, the first
	// page of each with a link to the rest.
	if m.RequestID != "" && m.Source == "" || m.Source == "calls" {
		if err := h.auditCalls(c, &m, cq); err != nil {
			return err
		}
	}
	if m.Source != "calls" {
		if err := h.auditEvents(c, &m, q); err != nil {
			return err
		}
	}
	return h.render(c, http.StatusOK, views.Audit(m))
}

// auditEvents fills m with a page of portal events.
func (h *Handler) auditEvents(c echo.Context, m *views.AuditPage, q store.AuditQuery) error {
	if m.Actor != "" {
		id, err := h.auditActor(c, m.Actor, q.Scope)
		if err != nil {
			return err
		}
		if id == 0 {
			m.ActorUnknown = true
			return nil
		}
		q.ActorID = id
	}
	rows, more, err := h.store.AuditEventsPage(c.Request().Context(), q)
	if err != nil {
		return err
	}
	for _, r := range rows {
		m.Events = append(m.Events, auditRow(r, actorOf(currentUser(c))))
	}
	if bothLists(m) {
		if more {
			m.MoreEventsHref = listHref("/audit", append(auditParams(m), "source", "events")...)
		}
		return nil
	}
	m.FirstHref, m.NextHref = pageLinks(store.AuditList, q.After, rows, more, "/audit", auditParams(m)...)
	return nil
}

// bothLists says the page shows a request id's portal actions and calls
// together, each cut at its first page.
func bothLists(m *views.AuditPage) bool {
	return m.RequestID != "" && m.Source == ""
}

// auditScope is the part of the trail the signed-in user may read, as the
// policy says (audit.Scope): never taken from the request.
func (h *Handler) auditScope(c echo.Context) (store.AuditScope, error) {
	u := currentUser(c)
	if u == nil {
		return store.AuditScope{}, &Error{Status: http.StatusUnauthorized, Message: "Please sign in to continue."}
	}
	scope, ok := audit.Scope(actorOf(u))
	if !ok {
		return scope, h.authorize(c, access.ViewAudit, actorOf(u).PartnerID)
	}
	return scope, nil
}
