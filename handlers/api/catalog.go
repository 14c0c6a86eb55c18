package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
)

// apiSummary is a catalog entry in a list (schema ApiSummary).
type apiSummary struct {
	Slug           string     `json:"slug"`
	Name           string     `json:"name"`
	Version        string     `json:"version"`
	Status         string     `json:"status"`
	SunsetAt       *time.Time `json:"sunset_at"`
	Revision       int        `json:"revision"`
	OperationCount int        `json:"operation_count"`
	// GrantedScopes is what a partner user holds on the API now; staff
	// hold no grants, so it is left out for them.
	GrantedScopes *[]string `json:"granted_scopes,omitempty"`
}

// apiScope is a scope an API's document declares (schema Scope).
type apiScope struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// apiOperation is an operation of an API (schema Operation).
type apiOperation struct {
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	OperationID string   `json:"operation_id"`
	Summary     string   `json:"summary"`
	Scopes      []string `json:"scopes"`
}

// apiDetail is a catalog entry with its scopes and operations (schema
// ApiDetail).
type apiDetail struct {
	Slug          string         `json:"slug"`
	Name          string         `json:"name"`
	Version       string         `json:"version"`
	Status        string         `json:"status"`
	SunsetAt      *time.Time     `json:"sunset_at"`
	Revision      int            `json:"revision"`
	Scopes        []apiScope     `json:"scopes"`
	Operations    []apiOperation `json:"operations"`
	GrantedScopes *[]string      `json:"granted_scopes,omitempty"`
}

// apiRevision is one imported document of an API (schema Revision).
type apiRevision struct {
	Revision   int       `json:"revision"`
	Version    string    `json:"version"`
	ImportedAt time.Time `json:"imported_at"`
	ImportedBy *string   `json:"imported_by"`
	Added      []string  `json:"added"`
	Removed    []string  `json:"removed"`
}

// specContentTypes are the media types an OpenAPI document may be sent as.
var specContentTypes = map[string]bool{
	"application/yaml":   true,
	"application/x-yaml": true,
	"text/yaml":          true,
	"application/json":   true,
}

const apiNotFound = "This API"

// strs turns a possibly nil list into one that encodes as [].
func strs(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// granted returns, for a partner user, the scopes they hold now on each API
// they may see; nil for staff, who see every API.
func (a *API) granted(ctx context.Context, actor access.Actor) (map[string][]string, error) {
	if actor.Staff() {
		return nil, nil
	}
	acc, err := catalog.EffectiveAccess(ctx, a.Store, actor.UserID)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(acc.APIs))
	for slug, x := range acc.APIs {
		out[slug] = strs(x.Scopes)
	}
	return out, nil
}

// visibleAPI finds the API of the path's slug as the actor may see it:
// staff see every API; a partner user only one they are granted now and
// not retired. Anything else answers 404, like a slug that does not exist.
// For partner users it also returns the scopes they hold on it.
func (a *API) visibleAPI(c echo.Context) (*store.API, *[]string, error) {
	actor, _, err := a.authorize(c, access.ViewCatalog)
	if err != nil {
		return nil, nil, err
	}
	ctx := c.Request().Context()
	api, err := a.Store.APIBySlug(ctx, c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: apiNotFound + " was not found.", Err: err}
	}
	if err != nil {
		return nil, nil, err
	}
	if actor.Staff() {
		return api, nil, nil
	}
	grants, err := a.granted(ctx, actor)
	if err != nil {
		return nil, nil, err
	}
	scopes, ok := grants[api.Slug]
	if !ok || api.Status == store.APIRetired {
		return nil, nil, notFound(apiNotFound)
	}
	return api, &scopes, nil
}

// staffAPI finds the API of the path's slug for an action only staff may
// take: partner users get 403 whatever the slug.
func (a *API) staffAPI(c echo.Context) (access.Actor, *store.API, error) {
	actor, _, err := a.authorize(c, access.ManageCatalog)
	if err != nil {
		return actor, nil, err
	}
	api, err := a.Store.APIBySlug(c.Request().Context(), c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		return actor, nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: apiNotFound + " was not found.", Err: err}
	}
	return actor, api, err
}

// listAPIs lists the APIs the caller may see, by name, a page at a time
// from the database (q searches name and slug): staff every one, partner
// users those they are granted now (never a retired one), filtered in the
// query.
func (a *API) listAPIs(c echo.Context) error {
	actor, _, err := a.authorize(c, access.ViewCatalog)
	if err != nil {
		return err
	}
	q, err := keysetQuery(c, store.APIsList)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	grants, err := a.granted(ctx, actor)
	if err != nil {
		return err
	}
	var slugs []string // nil: every API (staff)
	if grants != nil {
		slugs = make([]string, 0, len(grants))
		for slug := range grants {
			slugs = append(slugs, slug)
		}
	}
	apis, more, err := a.Store.APIListingsPage(ctx, slugs, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, keysetList(store.APIsList, apis, more, func(api *store.APIListing) apiSummary {
		s := apiSummary{Slug: api.Slug, Name: api.Name, Version: api.Version, Status: api.Status,
			SunsetAt: utcPtr(api.SunsetAt), Revision: api.CurrentRevision, OperationCount: api.OperationCount}
		if grants != nil {
			scopes := grants[api.Slug]
			s.GrantedScopes = &scopes
		}
		return s
	}))
}

// detail builds an API's detail from its current document; granted is
// nil for staff.
func (a *API) detail(ctx context.Context, api *store.API, granted *[]string) (*apiDetail, error) {
	spec, rev, err := a.Catalog.Current(ctx, api.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: apiNotFound + " was not found.", Err: err}
	}
	if err != nil {
		return nil, err
	}
	d := &apiDetail{Slug: api.Slug, Name: api.Name, Version: rev.Version, Status: api.Status,
		SunsetAt: utcPtr(api.SunsetAt), Revision: rev.Revision, GrantedScopes: granted,
		Scopes: make([]apiScope, 0, len(spec.Scopes)), Operations: make([]apiOperation, 0, len(spec.Operations))}
	for name, desc := range spec.Scopes {
		d.Scopes = append(d.Scopes, apiScope{Name: name, Description: desc})
	}
	sort.Slice(d.Scopes, func(i, j int) bool { return d.Scopes[i].Name < d.Scopes[j].Name })
	for _, op := range spec.Operations {
		d.Operations = append(d.Operations, apiOperation{Method: op.Method, Path: op.Path, OperationID: op.OperationID,
			Summary: op.Summary, Scopes: strs(op.Scopes)})
	}
	return d, nil
}

// getAPI shows an API the caller may see.
func (a *API) getAPI(c echo.Context) error {
	api, granted, err := a.visibleAPI(c)
	if err != nil {
		return err
	}
	d, err := a.detail(c.Request().Context(), api, granted)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// getAPIDocument sends the API's current OpenAPI document as it was
// imported, byte for byte.
func (a *API) getAPIDocument(c echo.Context) error {
	api, _, err := a.visibleAPI(c)
	if err != nil {
		return err
	}
	rev, err := a.Store.CurrentRevision(c.Request().Context(), api.ID)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: apiNotFound + " was not found.", Err: err}
	}
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, documentType(rev.Spec), rev.Spec)
}

// documentType tells a JSON document (its first non-space byte is "{")
// from a YAML one.
func documentType(doc []byte) string {
	if t := bytes.TrimLeft(doc, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		return echo.MIMEApplicationJSON
	}
	return "application/yaml"
}

// listRevisions lists an API's revisions, newest first, a page at a time
// from the database. Staff only.
func (a *API) listRevisions(c echo.Context) error {
	_, api, err := a.staffAPI(c)
	if err != nil {
		return err
	}
	q, err := keysetQuery(c, store.RevisionsList)
	if err != nil {
		return err
	}
	rs, more, err := a.Store.RevisionsPage(c.Request().Context(), api.ID, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, keysetList(store.RevisionsList, rs, more, revisionOf))
}

func revisionOf(r *store.Revision) apiRevision {
	return apiRevision{Revision: r.Revision, Version: r.Version, ImportedAt: utc(r.ImportedAt), ImportedBy: r.ImporterName,
		Added: strs(r.Added), Removed: strs(r.Removed)}
}

// readDocument reads the raw OpenAPI document of the request body.
func readDocument(c echo.Context) ([]byte, error) {
	r := c.Request()
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || !specContentTypes[mt] {
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "Send the OpenAPI document itself as the request body, with Content-Type: application/yaml or application/json."}
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, catalog.MaxSpecSize))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: fmt.Sprintf("The document is larger than the %d MiB limit for OpenAPI documents. Split it into several APIs, or remove unused components.", catalog.MaxSpecSize>>20)}
	}
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "The request body could not be read.", Err: err}
	}
	return data, nil
}

// importError maps the catalog's refusals: a document it refuses is
// invalid_spec with the parser's message; a bad or taken slug or name is
// invalid_input naming the field.
func importError(err error) error {
	var se *catalog.SpecError
	var in *apierr.FieldError
	switch {
	case errors.As(err, &se):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_spec", Message: se.Message}
	case errors.As(err, &in):
		return invalidInput(in.Field, in.Message)
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: apiNotFound + " was not found.", Err: err}
	}
	return err
}

// createAPI imports a new API: the body is its OpenAPI document, the query
// names its slug and, optionally, its display name. Staff only.
func (a *API) createAPI(c echo.Context) error {
	actor, _, err := a.authorize(c, access.ManageCatalog)
	if err != nil {
		return err
	}
	data, err := readDocument(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	imp, err := a.Catalog.Create(ctx, actor, c.QueryParam("slug"), c.QueryParam("name"), data)
	if err != nil {
		return importError(err)
	}
	d, err := a.detail(ctx, imp.API, nil)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/apis/"+url.PathEscape(imp.API.Slug))
	return c.JSON(http.StatusCreated, d)
}

// addAPIRevision imports a new revision of an API. Staff only.
func (a *API) addAPIRevision(c echo.Context) error {
	actor, api, err := a.staffAPI(c)
	if err != nil {
		return err
	}
	data, err := readDocument(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	imp, err := a.Catalog.AddRevision(ctx, actor, api.ID, data)
	if err != nil {
		return importError(err)
	}
	rs, err := a.Store.Revisions(ctx, api.ID)
	if err != nil {
		return err
	}
	for i := range rs {
		if rs[i].Revision == imp.Revision {
			return c.JSON(http.StatusCreated, revisionOf(&rs[i]))
		}
	}
	return fmt.Errorf("revision %d of API %d vanished after its import", imp.Revision, api.ID)
}
