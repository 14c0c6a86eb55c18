package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// auditActor finds the person an actor filter names, among those whose
// actions the viewer's trail holds (removed members too): 0 when there is
// none (the same answer for an email of another partner as for an unknown
// one).
func (h *Handler) auditActor(c echo.Context, email string, scope store.AuditScope) (int64, error) {
	if scope.UserID != 0 {
		return 0, BadRequest("Your audit trail shows only what you did and what was done to your account: it has no filter by person.")
	}
	id, err := h.store.AuditActorID(c.Request().Context(), email, scope)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return id, err
}

// auditRow is one event as the page shows it.
func auditRow(r store.AuditRow, viewer access.Actor) views.AuditEvent {
	who := r.ActorName
	if who == "" {
		who = r.Actor
	}
	e := views.AuditEvent{At: formatTime(r.At), Sentence: audit.Sentence(who, r.Action, r.Target, r.Details), Action: r.Action, RequestID: r.RequestID}
	if r.IP != nil && audit.ShowsActor(viewer, r.ActorID, r.ActorPartnerID) {
		e.IP = *r.IP
	}
	if viewer.Staff() {
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

// auditQueries reads the audit page's filters (checked by
// audit.ParseFilter, the management API's reader too) into m, to fill the
// form back, and into the two store queries they make, the portal
// events' and the calls', in the part of the trail the policy lets the
// viewer read. The source and the cursor of the list shown are checked
// here. All before any query.
func (h *Handler) auditQueries(c echo.Context, m *views.AuditPage) (store.AuditQuery, store.CallQuery, error) {
	scope, err := h.auditScope(c)
	if err != nil {
		return store.AuditQuery{}, store.CallQuery{}, err
	}
	m.Own, m.Staff = scope.UserID != 0, actorOf(currentUser(c)).Staff()
	f, err := audit.ParseFilter(c.QueryParams())
	var fe *audit.FilterError
	if errors.As(err, &fe) {
		return store.AuditQuery{}, store.CallQuery{}, BadRequest(fe.Message)
	}
	m.Source = c.QueryParam("source")
	if m.Source != "" && m.Source != "calls" && m.Source != "events" {
		return store.AuditQuery{}, store.CallQuery{}, BadRequest("The audit trail shows portal actions or API calls: choose one from the list.")
	}
	m.Range, m.Kind, m.Status, m.Actor, m.API, m.RequestID, m.Token = f.Range, f.Kind, f.Status, f.Actor, f.API, f.RequestID, f.Token
	if f.Partner != 0 {
		if scope, err = h.auditPartner(c, f.Partner, m); err != nil {
			return store.AuditQuery{}, store.CallQuery{}, err
		}
	}
	m.Sources = []views.AuditOption{{Value: "", Label: "Portal actions", Selected: m.Source == "" || m.Source == "events"},
		{Value: "calls", Label: "API calls", Selected: m.Source == "calls"}}
	if m.RequestID != "" {
		// A request id alone shows both, the first page of each.
		m.Sources = []views.AuditOption{{Value: "", Label: "Portal actions and API calls", Selected: m.Source == ""},
			{Value: "events", Label: "Portal actions", Selected: m.Source == "events"},
			{Value: "calls", Label: "API calls", Selected: m.Source == "calls"}}
	}
	m.Ranges, m.Kinds, m.Statuses = auditOptions(audit.Ranges, f.Range), auditOptions(audit.Kinds, f.Kind), auditOptions(audit.Statuses, f.Status)
	now := time.Now()
	q, cq := f.Events(scope, now), f.Calls(scope, now)
	q.Limit, cq.Limit = auditPageSize, auditPageSize
	if raw := c.QueryParam("after"); raw != "" {
		var ok bool
		if m.Source == "calls" {
			cq.After, ok = store.CallsList.Parse(raw)
		} else {
			q.After, ok = store.AuditList.Parse(raw)
		}
		if !ok {
			return q, cq, BadRequest("This link to a page of the audit trail is broken. Open Audit from the menu to start from the newest rows.")
		}
	}
	return q, cq, nil
}

// auditPartner is the partner filter of staff (?partner=): one partner's
// trail, if the policy lets the viewer read it; a partner they do not
// manage answers 404 like one that does not exist, and a partner user is
// told the filter is not theirs. Ended and suspended partners' trails are
// read like any other's.
func (h *Handler) auditPartner(c echo.Context, partnerID int64, m *views.AuditPage) (store.AuditScope, error) {
	scope, d := audit.ForPartner(actorOf(currentUser(c)), partnerID)
	switch d {
	case access.Hidden:
		return scope, NotFound("This partner")
	case access.Deny:
		return scope, BadRequest(audit.PartnerFilterRefused)
	}
	p, err := h.partnerOr404(c.Request().Context(), partnerID)
	if err != nil {
		return scope, err
	}
	m.Partner, m.PartnerName = partnerID, p.Name
	return scope, nil
}

// auditOptions are the choices of one of the page's lists.
func auditOptions(cs []audit.Choice, selected string) []views.AuditOption {
	out := make([]views.AuditOption, len(cs))
	for i, c := range cs {
		out[i] = views.AuditOption{Value: c.Value, Label: c.Label, Selected: c.Value == selected}
	}
	return out
}

// auditParams are the page's filters as listHref takes them.
func auditParams(m *views.AuditPage) []string {
	token := ""
	if m.Token != 0 {
		token = strconv.FormatInt(m.Token, 10)
	}
	partner := ""
	if m.Partner != 0 {
		partner = strconv.FormatInt(m.Partner, 10)
	}
	return []string{"source", m.Source, "range", m.Range, "kind", m.Kind, "actor", m.Actor,
		"status", m.Status, "api", m.API, "request_id", m.RequestID, "token", token, "partner", partner}
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
