package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
)

// auditEvent is a portal action in the audit trail.
type auditEvent struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    *int64          `json:"actor_id"`
	Actor      string          `json:"actor"`
	ActorName  string          `json:"actor_name"`
	PartnerID  *int64          `json:"partner_id"`
	Partner    string          `json:"partner"`
	Action     string          `json:"action"`
	Sentence   string          `json:"sentence"`
	TargetType string          `json:"target_type"`
	TargetID   *int64          `json:"target_id"`
	Target     string          `json:"target"`
	IP         *string         `json:"ip"`
	RequestID  string          `json:"request_id"`
	Details    json.RawMessage `json:"details"`
}

// auditCall is a call through the gateway in the audit trail.
type auditCall struct {
	At          time.Time `json:"at"`
	PartnerID   *int64    `json:"partner_id"`
	Partner     string    `json:"partner"`
	TokenID     *int64    `json:"token_id"`
	TokenName   string    `json:"token_name"`
	TokenHint   string    `json:"token_hint"`
	Member      string    `json:"member"`
	API         string    `json:"api"`
	Operation   string    `json:"operation"`
	Environment string    `json:"environment"`
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	Status      int       `json:"status"`
	LatencyMS   float64   `json:"latency_ms"`
	IP          *string   `json:"ip"`
	RequestID   string    `json:"request_id"`
}

// auditRequest reads what both audit lists take: the caller's scope (from
// the policy, narrowed to one partner by staff's partner_id once the
// policy allows it), the filter, the page size and the cursor of list
// (the same cursors as the /audit page's), all checked before any query.
func (a *API) auditRequest(c echo.Context, list store.PageList) (store.AuditScope, audit.Filter, int, *store.Key, error) {
	actor, _ := c.Get(actorKey).(access.Actor)
	scope, ok := audit.Scope(actor)
	if !ok {
		return scope, audit.Filter{}, 0, nil, &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Your role does not allow this."}
	}
	if err := requireScope(c, access.ViewOwnAudit); err != nil {
		return scope, audit.Filter{}, 0, nil, err
	}
	// The API names a token token_id, as its answers do; the page's
	// links say token.
	q := url.Values{}
	for k, v := range c.QueryParams() {
		if k != "token" && k != "partner" {
			q[k] = v
		}
	}
	if id := c.QueryParam("token_id"); id != "" {
		q.Set("token", id)
	}
	if id := c.QueryParam("partner_id"); id != "" {
		q.Set("partner", id)
	}
	f, err := audit.ParseFilter(q)
	var fe *audit.FilterError
	if errors.As(err, &fe) {
		param := fe.Param
		if param == "token" || param == "partner" {
			param += "_id"
		}
		return scope, f, 0, nil, badRequest(param + ": " + fe.Message)
	}
	// The partner filter (partner_id, as the answers name it), for staff:
	// a partner they do not manage answers 404 like one that does not
	// exist.
	if f.Partner != 0 {
		var d access.Decision
		switch scope, d = audit.ForPartner(actor, f.Partner); d {
		case access.Hidden:
			return scope, f, 0, nil, notFound("This partner")
		case access.Deny:
			return scope, f, 0, nil, badRequest("partner_id: " + audit.PartnerFilterRefused)
		}
		if _, err := a.Store.PartnerByID(c.Request().Context(), f.Partner); errors.Is(err, store.ErrNotFound) {
			return scope, f, 0, nil, notFound("This partner")
		} else if err != nil {
			return scope, f, 0, nil, err
		}
	}
	limit := DefaultLimit
	if raw := c.QueryParam("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxLimit {
			return scope, f, 0, nil, badRequest(fmt.Sprintf("limit must be a whole number from 1 to %d.", MaxLimit))
		}
		limit = n
	}
	var after *store.Key
	if raw := c.QueryParam("cursor"); raw != "" {
		if after, ok = list.Parse(raw); !ok {
			return scope, f, 0, nil, badRequest("cursor is not one this API gave out: pass next_cursor of the previous page as it is.")
		}
	}
	return scope, f, limit, after, nil
}

// listAuditEvents lists the portal actions the caller may read, newest
// first, narrowed by the audit filters.
func (a *API) listAuditEvents(c echo.Context) error {
	scope, f, limit, after, err := a.auditRequest(c, store.AuditList)
	if err != nil {
		return err
	}
	viewer, _ := c.Get(actorKey).(access.Actor)
	ctx := c.Request().Context()
	q := f.Events(scope, time.Now())
	q.Limit, q.After = limit, after
	out := list[auditEvent]{Items: []auditEvent{}}
	if f.Actor != "" {
		if scope.UserID != 0 {
			return badRequest("actor: your audit trail shows only what you did and what was done to your account.")
		}
		id, err := a.Store.AuditActorID(ctx, f.Actor, scope)
		if errors.Is(err, store.ErrNotFound) {
			return c.JSON(http.StatusOK, out) // nobody the caller may see
		}
		if err != nil {
			return err
		}
		q.ActorID = id
	}
	rows, more, err := a.Store.AuditEventsPage(ctx, q)
	if err != nil {
		return err
	}
	for _, r := range rows {
		who := r.ActorName
		if who == "" {
			who = r.Actor
		}
		e := auditEvent{ID: r.ID, At: utc(r.At), ActorID: r.ActorID, ActorName: r.ActorName, PartnerID: r.PartnerID,
			Partner: r.PartnerName, Action: r.Action, Sentence: audit.Sentence(who, r.Action, r.Target, r.Details), TargetType: r.TargetType,
			TargetID: r.TargetID, Target: r.Target, RequestID: r.RequestID, Details: r.Details}
		if audit.ShowsActor(viewer, r.ActorID, r.ActorPartnerID) {
			e.Actor, e.IP = r.Actor, r.IP
		}
		out.Items = append(out.Items, e)
	}
	if more {
		next := store.AuditList.Cursor(rows[len(rows)-1].Key())
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}

// listAuditCalls lists the calls through the gateway the caller may
// read, newest first, narrowed by the audit filters.
func (a *API) listAuditCalls(c echo.Context) error {
	scope, f, limit, after, err := a.auditRequest(c, store.CallsList)
	if err != nil {
		return err
	}
	q := f.Calls(scope, time.Now())
	q.Limit, q.After = limit, after
	out := list[auditCall]{Items: []auditCall{}}
	// Only staff learn that a slug names no API (partner users see only
	// the APIs granted to them).
	if viewer, _ := c.Get(actorKey).(access.Actor); q.API != "" && viewer.Staff() {
		if _, err := a.Store.APIBySlug(c.Request().Context(), q.API); errors.Is(err, store.ErrNotFound) {
			return badRequest("api: no API is called " + q.API + ".")
		} else if err != nil {
			return err
		}
	}
	rows, more, err := a.Store.CallsPage(c.Request().Context(), q)
	if err != nil {
		return err
	}
	for _, r := range rows {
		out.Items = append(out.Items, auditCall{At: utc(r.At), PartnerID: r.PartnerID, Partner: r.PartnerName, TokenID: r.TokenID,
			TokenName: r.TokenName, TokenHint: r.TokenHint, Member: r.OwnerName, API: r.API, Operation: r.Operation,
			Environment: r.Environment, Method: r.Method, Path: r.Path, Status: r.Status, LatencyMS: float64(r.LatencyUS) / 1000,
			IP: r.ClientIP, RequestID: r.RequestID})
	}
	if more {
		next := store.CallsList.Cursor(rows[len(rows)-1].Key())
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}
