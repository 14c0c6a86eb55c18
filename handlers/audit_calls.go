package handlers

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// auditCalls fills m with a page of API calls.
func (h *Handler) auditCalls(c echo.Context, m *views.AuditPage, q store.CallQuery) error {
	m.ShowCalls = true
	if q.API != "" && m.Staff {
		// A slug that names no API matches no call: say so rather than
		// scan every partner's calls for it. Only to staff: a partner
		// user must not learn which APIs exist beyond those granted.
		if _, err := h.store.APIBySlug(c.Request().Context(), q.API); errors.Is(err, store.ErrNotFound) {
			m.APIUnknown = true
			return nil
		} else if err != nil {
			return err
		}
	}
	rows, more, err := h.store.CallsPage(c.Request().Context(), q)
	if err != nil {
		return err
	}
	for _, r := range rows {
		row := callRow(r, m.Staff)
		if r.TokenID != nil && r.TokenName != "" && m.Token == 0 {
			row.TokenHref = listHref("/audit", append(auditParams(m), "source", "calls", "token", strconv.FormatInt(*r.TokenID, 10), "request_id", "")...)
		}
		m.Calls = append(m.Calls, row)
	}
	if bothLists(m) && more {
		m.MoreCallsHref = listHref("/audit", append(auditParams(m), "source", "calls")...)
	}
	if m.Source == "calls" {
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
