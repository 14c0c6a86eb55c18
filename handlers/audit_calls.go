package handlers

import (
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// auditStatuses are the answer classes the calls can be narrowed to.
var auditStatuses = []struct {
	Value, Label string
	Class        int
}{
	{"2xx", "Succeeded (2xx)", 2},
	{"4xx", "Refused (4xx)", 4},
	{"5xx", "Failed (5xx)", 5},
}

// callQuery reads the calls' filters (source, status, api, and the
// cursor when the calls are paged) from the URL into m and the store
// query, sharing the time range and request id of the events' query.
func callQuery(c echo.Context, m *views.AuditPage, q store.AuditQuery) (store.CallQuery, error) {
	cq := store.CallQuery{Scope: q.Scope, RequestID: q.RequestID, Since: q.Since, Until: q.Until, Limit: auditPageSize}
	m.Source = c.QueryParam("source")
	if m.Source != "" && m.Source != "calls" {
		return cq, BadRequest("The audit trail shows portal actions or API calls: choose one from the list.")
	}
	m.Sources = []views.AuditOption{{Value: "", Label: "Portal actions", Selected: m.Source == ""},
		{Value: "calls", Label: "API calls", Selected: m.Source == "calls"}}
	m.Status = c.QueryParam("status")
	found := m.Status == ""
	for _, s := range auditStatuses {
		m.Statuses = append(m.Statuses, views.AuditOption{Value: s.Value, Label: s.Label, Selected: s.Value == m.Status})
		if s.Value == m.Status {
			found, cq.StatusClass = true, s.Class
		}
	}
	if !found {
		return cq, BadRequest("This kind of answer is not one the audit trail offers: choose 2xx, 4xx or 5xx.")
	}
	m.API = strings.TrimSpace(c.QueryParam("api"))
	if len(m.API) > 100 {
		return cq, BadRequest("An API's short name has at most 100 characters.")
	}
	cq.API = m.API
	if raw := c.QueryParam("after"); raw != "" && m.Source == "calls" {
		key, ok := store.CallsList.Parse(raw)
		if !ok {
			return cq, BadRequest("This link to a page of the audit trail is broken. Open Audit from the menu to start from the newest calls.")
		}
		cq.After = key
	}
	return cq, nil
}

// auditCalls fills m with a page of API calls.
func (h *Handler) auditCalls(c echo.Context, m *views.AuditPage, q store.CallQuery) error {
	rows, more, err := h.store.CallsPage(c.Request().Context(), q)
	if err != nil {
		return err
	}
	m.ShowCalls = true
	for _, r := range rows {
		m.Calls = append(m.Calls, callRow(r, m.Staff))
	}
	if m.Source == "calls" && m.RequestID == "" {
		m.FirstHref, m.NextHref = pageLinks(store.CallsList, q.After, rows, more, "/audit", auditParams(m)...)
	}
	return nil
}

// callRow is one call as the audit trail shows it.
func callRow(r store.CallRow, staff bool) views.AuditCall {
	v := views.AuditCall{At: formatTime(r.At), Method: r.Method, Path: r.Path, Status: r.Status,
		Failed: r.Status >= 400, Latency: latencyText(r.LatencyUS), API: r.API, Operation: r.Operation,
		Environment: r.Environment, RequestID: r.RequestID}
	switch {
	case r.TokenName != "":
		v.Token = fmt.Sprintf("%s (%s)", r.TokenName, r.TokenHint)
	case r.TokenID == nil:
		v.Token = "no valid credential"
	}
	v.Member = r.OwnerName
	if r.ClientIP != nil {
		v.IP = *r.ClientIP
	}
	if staff {
		v.Partner = r.PartnerName
	}
	if r.RequestID != "" {
		v.RequestHref = requestHref(r.RequestID)
	}
	return v
}

// latencyText says a latency in microseconds the way people read it.
func latencyText(us int64) string {
	switch {
	case us < 1000:
		return fmt.Sprintf("%d µs", us)
	case us < 10_000:
		return fmt.Sprintf("%.1f ms", float64(us)/1000)
	case us < 1_000_000:
		return fmt.Sprintf("%d ms", us/1000)
	default:
		return fmt.Sprintf("%.2f s", float64(us)/1e6)
	}
}
