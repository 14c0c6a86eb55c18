// Package api is the portal's management API, mounted at /api/v1: JSON over
// the same domain functions the portal's pages use (internal/people and the
// store's partner-scoped reads), asking the same policy (internal/access).
//
// The caller mounts it and says who is asking through API.Actor: today the
// portal's cookie session (SessionAuth), later personal access tokens. The
// partner is always the actor's own: it is never read from a URL or a body,
// and ids of another partner's resources answer 404 like ids that do not
// exist. Errors are *Error, which the portal's error handler turns into the
// one JSON error body of internal/apierr: {"error": {"code", "message",
// "request_id"}}.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/hygiene"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/webhook/endpoints"
	"github.com/portico/portico/internal/store"
)

// Kicker wakes the mail sender so a mail an action queued goes out at once.
type Kicker interface{ Kick() }

// API holds the management API's dependencies.
type API struct {
	Store  *store.Store
	People *people.Service
	// Actor says who is asking; ok is false when the request carries no
	// valid credential (the API answers 401).
	Actor func(c echo.Context) (actor access.Actor, ok bool)
	// RecentAuth, when set, says whether the caller confirmed their
	// password recently ("sudo"); changing a role requires it, as on the
	// members page. Nil means the credential needs no such check.
	RecentAuth func(c echo.Context) bool
	// Mailer, when set, is woken after an action queued a mail.
	Mailer Kicker
	// Catalog imports APIs and serves their parsed documents; Register
	// makes one over Store when it is nil.
	Catalog *catalog.Service
	// Verifier checks personal access tokens; nil accepts none.
	Verifier *credential.Verifier
	// Tokens manages personal access tokens.
	Tokens *pat.Service
	// Hygiene reads the partner's credential hygiene; nil leaves its
	// report out.
	Hygiene *hygiene.Service
	// SSO configures identity providers and their group mappings and
	// syncs them; nil leaves those operations out.
	SSO *sso.Service
	// Webhooks manages webhook endpoints.
	Webhooks *endpoints.Service
}

// New returns the API over the store and the people service, with actor
// saying who is asking.
func New(st *store.Store, svc *people.Service, actor func(echo.Context) (access.Actor, bool)) *API {
	return &API{Store: st, People: svc, Actor: actor}
}

// Register adds every route of the API to g, which the caller mounts at
// /api/v1.
func Register(g *echo.Group, a *API) {
	auth := a.authenticate

	g.GET("/members", a.listMembers, auth)
	g.GET("/members/:id", a.getMember, auth)
	g.PATCH("/members/:id", a.changeMember, auth)
	g.DELETE("/members/:id", a.removeMember, auth)

	g.GET("/invitations", a.listInvitations, auth)
	g.POST("/invitations", a.createInvitation, auth)
	g.POST("/invitations/:id/resend", a.resendInvitation, auth)
	g.DELETE("/invitations/:id", a.cancelInvitation, auth)

	g.GET("/teams", a.listTeams, auth)
	g.POST("/teams", a.createTeam, auth)
	g.GET("/teams/:id", a.getTeam, auth)
	g.PATCH("/teams/:id", a.renameTeam, auth)
	g.DELETE("/teams/:id", a.deleteTeam, auth)
	g.PUT("/teams/:id/members/:user_id", a.addTeamMember, auth)
	g.DELETE("/teams/:id/members/:user_id", a.removeTeamMember, auth)

	if a.Catalog == nil {
		a.Catalog = catalog.NewService(a.Store)
	}
	g.GET("/apis", a.listAPIs, auth)
	g.POST("/apis", a.createAPI, auth)
	g.GET("/apis/:slug", a.getAPI, auth)
	g.GET("/apis/:slug/openapi", a.getAPIDocument, auth)
	g.GET("/apis/:slug/revisions", a.listRevisions, auth)
	g.POST("/apis/:slug/revisions", a.addAPIRevision, auth)

	g.GET("/access-groups", a.listAccessGroups, auth)
	g.POST("/access-groups", a.createAccessGroup, auth)
	g.GET("/access-groups/:id", a.getAccessGroup, auth)
	g.PATCH("/access-groups/:id", a.updateAccessGroup, auth)
	g.DELETE("/access-groups/:id", a.deleteAccessGroup, auth)
	g.PUT("/access-groups/:id/apis/:slug", a.includeGroupAPI, auth)
	g.DELETE("/access-groups/:id/apis/:slug", a.removeGroupAPI, auth)
	g.GET("/access-groups/:id/grants", a.listGroupGrants, auth)
	g.POST("/access-groups/:id/grants", a.createGrant, auth)
	g.DELETE("/access-groups/:id/grants/:grant_id", a.revokeGrant, auth)
	g.GET("/grants", a.listGrants, auth)
	g.GET("/members/:id/access", a.getMemberAccess, auth)

	g.GET("/alerts", a.listAlerts, auth)
	g.POST("/alerts/:id/acknowledge", a.acknowledgeAlert, auth)
	if a.Hygiene != nil {
		g.GET("/tokens/hygiene", a.tokenHygiene, auth)
	}

	g.GET("/audit", a.listAuditEvents, auth)
	g.GET("/audit/calls", a.listAuditCalls, auth)
	g.GET("/usage", a.getUsage, auth)

	if a.Tokens != nil {
		g.GET("/tokens", a.listTokens, auth)
		g.POST("/tokens", a.createToken, auth)
		g.GET("/tokens/:id", a.getToken, auth)
		g.PATCH("/tokens/:id", a.updateToken, auth)
		g.DELETE("/tokens/:id", a.revokeToken, auth)
		g.POST("/tokens/:id/regenerate", a.regenerateToken, auth)
		g.POST("/tokens/:id/approve", a.approveToken, auth)
		g.GET("/partner/tokens", a.listPartnerTokens, auth)
		g.POST("/oauth-clients", a.createClient, auth)
	}

	if a.SSO != nil {
		g.GET("/partners/:id/identity-provider", a.getPartnerIdentityProvider, auth)
		g.PUT("/partners/:id/identity-provider", a.putPartnerIdentityProvider, auth)
		g.DELETE("/partners/:id/identity-provider", a.deletePartnerIdentityProvider, auth)
		g.GET("/identity-provider", a.getOwnIdentityProvider, auth)
		g.GET("/identity-provider/mappings", a.listGroupMappings, auth)
		g.POST("/identity-provider/mappings", a.createGroupMapping, auth)
		g.DELETE("/identity-provider/mappings/:id", a.deleteGroupMapping, auth)
		g.POST("/identity-provider/sync", a.syncIdentityProvider, auth)
	}
}

// Error is the error a handler returns to answer with a status, a stable
// machine-readable code and a message safe to show: apierr's, the one type
// the portal's error handler answers for pages and the API alike.
type Error = apierr.Error

func notFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: what + " was not found."}
}

func badRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: msg}
}

// retryAfter sets Retry-After when err is an hourly cap reached.
func retryAfter(c echo.Context, err error) {
	var limit *people.LimitError
	if errors.As(err, &limit) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(limit.RetryAfter.Seconds()))))
	}
}

func invalidInput(field, msg string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Message: field + ": " + msg}
}

// domainError turns the people service's errors into API errors; what names
// the resource a store.ErrNotFound is about.
func domainError(err error, what string) error {
	var in *apierr.FieldError
	var limit *people.LimitError
	var sso *people.JoinThroughSSOError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &in):
		return invalidInput(in.Field, in.Message)
	case errors.As(err, &limit):
		return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: limit.Message, Err: err}
	case errors.As(err, &sso):
		return &Error{Status: http.StatusConflict, Code: "sso_enforced", Message: sso.Error(), Err: err}
	case errors.Is(err, people.ErrLastAdmin):
		return &Error{Status: http.StatusConflict, Code: "last_admin", Err: err,
			Message: "A partner must keep at least one admin: make another member an admin first."}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: what + " was not found.", Err: err}
	}
	return err
}

// pathID reads a positive id from the path; anything else names nothing,
// so it is a 404 like an id that does not exist.
func pathID(c echo.Context, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound(what)
	}
	return id, nil
}

// MaxBody is the largest request body the API reads.
const MaxBody = 64 << 10

// decode reads the JSON object of the request body into v, refusing other
// content types, bodies over MaxBody, unknown fields and trailing data.
func decode(c echo.Context, v any) error {
	r := c.Request()
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "Send the request body as JSON, with Content-Type: application/json."}
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return bodyError(err)
		}
		return badRequest("The request body must hold one JSON object and nothing after it.")
	}
	return checkText(v)
}

func bodyError(err error) error {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: fmt.Sprintf("The request body is larger than %d KiB.", MaxBody>>10)}
	case errors.Is(err, io.EOF):
		return badRequest("The request body is empty: send a JSON object.")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("The request body is not valid JSON.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("The request body must be a JSON object.")
		}
		return invalidInput(typ.Field, "must be a JSON "+jsonKind(typ.Type)+".")
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("Unknown field " + field + " in the request body.")
	}
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "The request body could not be read.", Err: err}
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// DefaultLimit and MaxLimit bound the page size of lists.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// list is the shape of every list: a page of items and the cursor of the
// next page, null on the last.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// utc is a time as the API sends it: RFC 3339 in UTC.
func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (a *API) kick() {
	if a.Mailer != nil {
		a.Mailer.Kick()
	}
}
