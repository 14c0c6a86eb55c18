package api_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apitest"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/openapi/samples"
)

// gateV1 is a small valid document; gateV2 changes its operations.
const gateV1 = `openapi: 3.0.3
info: {title: Gate API, version: "1.0.0"}
components:
  securitySchemes:
    portico: {type: oauth2, flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {"gate:read": Read the gates}}}}
security: [{portico: ["gate:read"]}]
paths:
  /gates: {get: {operationId: listGates, summary: List gates, responses: {"200": {description: ok}}}}
  /gates/{id}: {get: {operationId: getGate, parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}}
`

var gateV2 = strings.Replace(strings.Replace(gateV1, `"1.0.0"`, `"1.1.0"`, 1),
	"  /gates/{id}:", "  /gates/{id}/status:", 1)

// gateJSON is gateV1 as JSON.
const gateJSON = `{"openapi":"3.0.3","info":{"title":"Gate API","version":"1.0.0"},
 "components":{"securitySchemes":{"portico":{"type":"oauth2","flows":{"clientCredentials":{"tokenUrl":"/oauth/token","scopes":{"gate:read":"Read the gates"}}}}}},
 "security":[{"portico":["gate:read"]}],
 "paths":{"/gates":{"get":{"operationId":"listGates","responses":{"200":{"description":"ok"}}}}}}`

// scopeless has an operation that requires no scope: the catalog refuses it.
const scopeless = `openapi: 3.0.3
info: {title: Open Gate, version: "1.0.0"}
components:
  securitySchemes:
    portico: {type: oauth2, flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {"gate:read": Read}}}}
paths:
  /gates: {get: {operationId: listGates, responses: {"200": {description: ok}}}}
`

type apiSummary struct {
	Slug           string     `json:"slug"`
	Name           string     `json:"name"`
	Version        string     `json:"version"`
	Status         string     `json:"status"`
	SunsetAt       *time.Time `json:"sunset_at"`
	Revision       int        `json:"revision"`
	OperationCount int        `json:"operation_count"`
	GrantedScopes  []string   `json:"granted_scopes"`
}

type apiDetail struct {
	Slug     string     `json:"slug"`
	Name     string     `json:"name"`
	Version  string     `json:"version"`
	Status   string     `json:"status"`
	SunsetAt *time.Time `json:"sunset_at"`
	Revision int        `json:"revision"`
	Scopes   []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"scopes"`
	Operations    []catalog.Operation `json:"operations"`
	GrantedScopes []string            `json:"granted_scopes"`
}

type apiRevision struct {
	Revision   int       `json:"revision"`
	Version    string    `json:"version"`
	ImportedAt time.Time `json:"imported_at"`
	ImportedBy *string   `json:"imported_by"`
	Added      []string  `json:"added"`
	Removed    []string  `json:"removed"`
}

// callDoc sends a raw OpenAPI document as the body, checked against the
// document like call.
func (e *env) callDoc(cookie, method, path, body, contentType string) *httptest.ResponseRecorder {
	e.t.Helper()
	return apitest.Do(e.t, e.spec, e.app, newRequest(cookie, method, path, body, contentType))
}

func sample(t *testing.T, file string) []byte {
	t.Helper()
	b, err := fs.ReadFile(samples.FS, file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// catalogWorld imports the three sample APIs and grants Harbor's developer
// the fleet directly (fleet:read) and the maintenance API through a team
// (maintenance:read); telemetry is granted to nobody. It returns the id of
// the direct grant.
func (e *env) catalogWorld() (directGrant int64) {
	e.t.Helper()
	ctx := context.Background()
	svc := catalog.NewService(e.store)
	ids := map[string]int64{}
	for _, slug := range []string{"fleet", "telemetry", "maintenance"} {
		imp, err := svc.Create(ctx, access.Actor{}, slug, "", sample(e.t, slug+".yaml"))
		if err != nil {
			e.t.Fatalf("import %s: %v", slug, err)
		}
		ids[slug] = imp.API.ID
	}
	harbor, err := e.store.PartnerBySlug(ctx, "harbor-logistics")
	if err != nil {
		e.t.Fatal(err)
	}
	dev, err := e.store.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		e.t.Fatal(err)
	}
	readers, err := e.store.CreateAccessGroup(ctx, "Fleet readers", "", 60, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	crew, err := e.store.CreateAccessGroup(ctx, "Maintenance crew", "", 60, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.SetGroupAPI(ctx, readers.ID, ids["fleet"], []string{"fleet:read"}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.SetGroupAPI(ctx, crew.ID, ids["maintenance"], []string{"maintenance:read"}); err != nil {
		e.t.Fatal(err)
	}
	team, err := e.store.CreateTeam(ctx, harbor.ID, "Workshop")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.AddTeamMember(ctx, team.ID, dev.ID); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.Grant(ctx, crew.ID, harbor.ID, &team.ID, nil, nil); err != nil {
		e.t.Fatal(err)
	}
	directGrant, err = e.store.Grant(ctx, readers.ID, harbor.ID, nil, &dev.ID, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return directGrant
}

func slugs(items []apiSummary) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.Slug)
	}
	return out
}

func (e *env) listAPIs(cookie string) []apiSummary {
	e.t.Helper()
	rec := e.call(cookie, "GET", "/api/v1/apis", "")
	want(e.t, "list APIs", rec, http.StatusOK, "")
	return decodeBody[list[apiSummary]](e.t, rec).Items
}

func operationCount(t *testing.T, file string) int {
	t.Helper()
	spec, err := catalog.Parse(sample(t, file))
	if err != nil {
		t.Fatal(err)
	}
	return len(spec.Operations)
}

func TestCatalogVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	direct := e.catalogWorld()
	ctx := context.Background()
	dev := e.signIn("dev@harbor.test")

	got := e.listAPIs(dev)
	if diff := cmp.Diff([]string{"fleet", "maintenance"}, slugs(got)); diff != "" {
		t.Errorf("the developer's APIs (-want +got):\n%s", diff)
	}
	for _, it := range got {
		wantScopes := map[string][]string{"fleet": {"fleet:read"}, "maintenance": {"maintenance:read"}}[it.Slug]
		if !slices.Equal(it.GrantedScopes, wantScopes) || it.Status != "active" || it.Revision != 1 || it.Version == "" ||
			it.OperationCount != operationCount(t, it.Slug+".yaml") {
			t.Errorf("the developer's %s = %+v, want granted %v and the sample's operations", it.Slug, it, wantScopes)
		}
	}

	// Nobody else at Harbor or at Crane is granted anything.
	for _, email := range []string{"admin@harbor.test", "dev@crane.test", "admin@crane.test"} {
		if got := e.listAPIs(e.signIn(email)); len(got) != 0 {
			t.Errorf("%s sees %v, want nothing", email, slugs(got))
		}
	}
	crane := e.signIn("dev@crane.test")
	want(t, "crane GET fleet", e.call(crane, "GET", "/api/v1/apis/fleet", ""), http.StatusNotFound, "not_found")

	// Staff see every API, without granted scopes.
	for _, email := range []string{"am@portico.test", "admin@portico.test"} {
		got := e.listAPIs(e.signIn(email))
		if diff := cmp.Diff([]string{"fleet", "maintenance", "telemetry"}, slugs(got)); diff != "" {
			t.Errorf("%s's APIs (-want +got):\n%s", email, diff)
		}
		for _, it := range got {
			if it.GrantedScopes != nil {
				t.Errorf("%s: %s has granted scopes %v", email, it.Slug, it.GrantedScopes)
			}
		}
	}

	// Detail of a granted API.
	rec := e.call(dev, "GET", "/api/v1/apis/fleet", "")
	want(t, "get fleet", rec, http.StatusOK, "")
	d := decodeBody[apiDetail](t, rec)
	spec, err := catalog.Parse(sample(t, "fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(spec.Operations, d.Operations); diff != "" {
		t.Errorf("fleet's operations (-want +got):\n%s", diff)
	}
	if d.Slug != "fleet" || d.Name != spec.Title || d.Version != spec.Version || d.Revision != 1 ||
		!slices.Equal(d.GrantedScopes, []string{"fleet:read"}) || len(d.Scopes) != len(spec.Scopes) {
		t.Errorf("fleet = %+v", d)
	}
	for _, sc := range d.Scopes {
		if sc.Description != spec.Scopes[sc.Name] {
			t.Errorf("scope %s described %q, want %q", sc.Name, sc.Description, spec.Scopes[sc.Name])
		}
	}

	// Not granted and unknown answer the same.
	notGranted := e.call(dev, "GET", "/api/v1/apis/telemetry", "")
	unknown := e.call(dev, "GET", "/api/v1/apis/no-such-api", "")
	want(t, "not granted", notGranted, http.StatusNotFound, "not_found")
	want(t, "unknown", unknown, http.StatusNotFound, "not_found")
	if a, b := decodeBody[apiError](t, notGranted).Error, decodeBody[apiError](t, unknown).Error; a.Code != b.Code || a.Message != b.Message {
		t.Errorf("not granted %+v and unknown %+v answer differently", a, b)
	}
	want(t, "not granted document", e.call(dev, "GET", "/api/v1/apis/telemetry/openapi", ""), http.StatusNotFound, "not_found")

	// Deprecation shows with its sunset; retirement hides the API from
	// partners but not from staff.
	fleet, _ := e.store.APIBySlug(ctx, "fleet")
	maint, _ := e.store.APIBySlug(ctx, "maintenance")
	sunset := time.Date(2030, 3, 31, 0, 0, 0, 0, time.UTC)
	if err := e.store.SetAPIStatus(ctx, fleet.ID, store.APIDeprecated, &sunset); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetAPIStatus(ctx, maint.ID, store.APIRetired, nil); err != nil {
		t.Fatal(err)
	}
	got = e.listAPIs(dev)
	if len(got) != 1 || got[0].Slug != "fleet" || got[0].Status != "deprecated" || got[0].SunsetAt == nil || !got[0].SunsetAt.Equal(sunset) {
		t.Errorf("after deprecation and retirement the developer sees %+v", got)
	}
	want(t, "retired API", e.call(dev, "GET", "/api/v1/apis/maintenance", ""), http.StatusNotFound, "not_found")
	want(t, "retired API's document", e.call(dev, "GET", "/api/v1/apis/maintenance/openapi", ""), http.StatusNotFound, "not_found")
	am := e.signIn("am@portico.test")
	rec = e.call(am, "GET", "/api/v1/apis/maintenance", "")
	want(t, "staff GET retired", rec, http.StatusOK, "")
	if d := decodeBody[apiDetail](t, rec); d.Status != "retired" || d.GrantedScopes != nil {
		t.Errorf("staff's retired API = %+v", d)
	}

	// Taking the grant back takes effect at once.
	if err := e.store.RevokeGrant(ctx, direct, nil); err != nil {
		t.Fatal(err)
	}
	if got := e.listAPIs(dev); len(got) != 0 {
		t.Errorf("after the revocation the developer sees %v", slugs(got))
	}
	want(t, "revoked", e.call(dev, "GET", "/api/v1/apis/fleet", ""), http.StatusNotFound, "not_found")

	// Pages.
	rec = e.call(am, "GET", "/api/v1/apis?limit=2", "")
	want(t, "first page", rec, http.StatusOK, "")
	first := decodeBody[list[apiSummary]](t, rec)
	if len(first.Items) != 2 || first.NextCursor == nil {
		t.Fatalf("first page = %+v", first)
	}
	rec = e.call(am, "GET", "/api/v1/apis?limit=2&cursor="+url.QueryEscape(*first.NextCursor), "")
	want(t, "second page", rec, http.StatusOK, "")
	if second := decodeBody[list[apiSummary]](t, rec); len(second.Items) != 1 || second.NextCursor != nil || second.Items[0].Slug != "telemetry" {
		t.Errorf("second page = %+v", second)
	}
}

func TestCatalogDocumentDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.catalogWorld()
	dev := e.signIn("dev@harbor.test")
	rec := e.call(dev, "GET", "/api/v1/apis/fleet/openapi", "")
	want(t, "fleet document", rec, http.StatusOK, "")
	if ct := rec.Header().Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q, want application/yaml", ct)
	}
	if rec.Body.String() != string(sample(t, "fleet.yaml")) {
		t.Error("the fleet document differs from the stored one")
	}

	am := e.signIn("am@portico.test")
	want(t, "import JSON", e.callDoc(am, "POST", "/api/v1/apis?slug=gate", "\n  "+gateJSON, "application/json"), http.StatusCreated, "")
	rec = e.call(am, "GET", "/api/v1/apis/gate/openapi", "")
	want(t, "gate document", rec, http.StatusOK, "")
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if rec.Body.String() != "\n  "+gateJSON {
		t.Errorf("the gate document = %q, want it as imported", rec.Body)
	}
	// Staff may download any API's document, partner users not this one.
	want(t, "staff telemetry document", e.call(am, "GET", "/api/v1/apis/telemetry/openapi", ""), http.StatusOK, "")
	want(t, "developer gate document", e.call(dev, "GET", "/api/v1/apis/gate/openapi", ""), http.StatusNotFound, "not_found")
}

func TestCatalogImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	am := e.signIn("am@portico.test")

	rec := e.callDoc(am, "POST", "/api/v1/apis?slug=gate&name=Gatekeeper", gateV1, "application/yaml")
	want(t, "import", rec, http.StatusCreated, "")
	d := decodeBody[apiDetail](t, rec)
	if rec.Header().Get("Location") != "/api/v1/apis/gate" || d.Slug != "gate" || d.Name != "Gatekeeper" || d.Version != "1.0.0" ||
		d.Revision != 1 || d.Status != "active" || len(d.Operations) != 2 || d.GrantedScopes != nil {
		t.Errorf("imported %+v at %q", d, rec.Header().Get("Location"))
	}
	if len(d.Scopes) != 1 || d.Scopes[0].Name != "gate:read" || d.Scopes[0].Description != "Read the gates" {
		t.Errorf("scopes = %+v", d.Scopes)
	}
	rec = e.call(am, "GET", "/api/v1/apis/gate", "")
	want(t, "get imported", rec, http.StatusOK, "")
	if got := decodeBody[apiDetail](t, rec); got.Name != "Gatekeeper" || len(got.Operations) != 2 {
		t.Errorf("imported API = %+v", got)
	}
	// Without a name the document's title is used; another YAML type works.
	rec = e.callDoc(am, "POST", "/api/v1/apis?slug=gate-two", gateV2, "application/x-yaml")
	want(t, "import without a name", rec, http.StatusCreated, "")
	if got := decodeBody[apiDetail](t, rec); got.Name != "Gate API" {
		t.Errorf("name = %q, want the document's title", got.Name)
	}

	// A refused document: the parser's message, nothing stored.
	rec = e.callDoc(am, "POST", "/api/v1/apis?slug=open-gate", scopeless, "application/yaml")
	want(t, "scope-less operation", rec, http.StatusUnprocessableEntity, "invalid_spec")
	if msg := decodeBody[apiError](t, rec).Error.Message; !strings.Contains(msg, "GET /gates (listGates)") {
		t.Errorf("message %q does not name the operation", msg)
	}
	rec = e.callDoc(am, "POST", "/api/v1/apis?slug=open-gate", "openapi: 3.0.3\ninfo: {title: x}\n", "application/yaml")
	want(t, "invalid document", rec, http.StatusUnprocessableEntity, "invalid_spec")
	want(t, "refused API", e.call(am, "GET", "/api/v1/apis/open-gate", ""), http.StatusNotFound, "not_found")

	rec = e.callDoc(am, "POST", "/api/v1/apis?slug=gate", gateV1, "application/yaml")
	want(t, "duplicate slug", rec, http.StatusUnprocessableEntity, "invalid_input")
	if msg := decodeBody[apiError](t, rec).Error.Message; !strings.HasPrefix(msg, "slug: ") {
		t.Errorf("duplicate slug message = %q, want it to name the slug", msg)
	}

	big := "openapi: 3.0.3\n#" + strings.Repeat("x", catalog.MaxSpecSize) + "\n"
	for _, tc := range []struct {
		name, path, body, contentType string
		status                        int
		code, inMessage               string
	}{
		{"bad slug", "/api/v1/apis?slug=Gate%20API", gateV1, "application/yaml", 422, "invalid_input", "slug: "},
		{"no slug", "/api/v1/apis", gateV1, "application/yaml", 422, "invalid_input", "slug: "},
		{"text/yaml", "/api/v1/apis?slug=gate-three", gateV1, "text/yaml", 201, "", ""},
		{"form", "/api/v1/apis?slug=gate-four", "doc=" + url.QueryEscape(gateV1), "application/x-www-form-urlencoded", 415, "unsupported_media_type", "application/yaml"},
		{"too large", "/api/v1/apis?slug=huge", big, "application/yaml", 413, "too_large", "2 MiB"},
		{"not YAML", "/api/v1/apis?slug=broken", "openapi: [3.0", "application/yaml", 422, "invalid_spec", "parsed"},
		{"revision too large", "/api/v1/apis/gate/revisions", big, "application/yaml", 413, "too_large", "2 MiB"},
		{"revision as a form", "/api/v1/apis/gate/revisions", "x=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type", ""},
	} {
		rec := e.callOff(am, "POST", tc.path, tc.body, tc.contentType)
		want(t, tc.name, rec, tc.status, tc.code)
		if tc.code != "" {
			if msg := decodeBody[apiError](t, rec).Error.Message; !strings.Contains(msg, tc.inMessage) {
				t.Errorf("%s: message %q lacks %q", tc.name, msg, tc.inMessage)
			}
		}
	}

	var got []string
	for _, it := range e.listAPIs(am) {
		got = append(got, it.Slug)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"gate", "gate-three", "gate-two"}, got); diff != "" {
		t.Errorf("stored APIs (-want +got):\n%s", diff)
	}
	if rs := decodeBody[list[apiRevision]](t, e.call(am, "GET", "/api/v1/apis/gate/revisions", "")).Items; len(rs) != 1 {
		t.Errorf("gate has %d revisions after refused ones, want 1", len(rs))
	}

	// Partner users may not import; signed out is 401.
	for _, email := range []string{"admin@harbor.test", "dev@harbor.test"} {
		want(t, email+" imports", e.callDoc(e.signIn(email), "POST", "/api/v1/apis?slug=evil", gateV1, "application/yaml"), http.StatusForbidden, "forbidden")
	}
	want(t, "signed out imports", e.callDoc("", "POST", "/api/v1/apis?slug=evil", gateV1, "application/yaml"), http.StatusUnauthorized, "unauthorized")
	want(t, "signed out lists", e.call("", "GET", "/api/v1/apis", ""), http.StatusUnauthorized, "unauthorized")
	want(t, "evil API", e.call(am, "GET", "/api/v1/apis/evil", ""), http.StatusNotFound, "not_found")
}

func TestCatalogRevisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.catalogWorld()
	am := e.signIn("am@portico.test")
	want(t, "import", e.callDoc(am, "POST", "/api/v1/apis?slug=gate", gateV1, "application/yaml"), http.StatusCreated, "")

	rec := e.callDoc(am, "POST", "/api/v1/apis/gate/revisions", gateV2, "application/yaml")
	want(t, "new revision", rec, http.StatusCreated, "")
	rev := decodeBody[apiRevision](t, rec)
	if rev.Revision != 2 || rev.Version != "1.1.0" || rev.ImportedBy == nil || *rev.ImportedBy != "Morgan Account" ||
		!slices.Equal(rev.Added, []string{"GET /gates/{id}/status"}) || !slices.Equal(rev.Removed, []string{"GET /gates/{id}"}) {
		t.Errorf("new revision = %+v", rev)
	}

	rec = e.callDoc(am, "POST", "/api/v1/apis/gate/revisions", scopeless, "application/yaml")
	want(t, "refused revision", rec, http.StatusUnprocessableEntity, "invalid_spec")

	rec = e.call(am, "GET", "/api/v1/apis/gate/revisions", "")
	want(t, "history", rec, http.StatusOK, "")
	hist := decodeBody[list[apiRevision]](t, rec)
	if len(hist.Items) != 2 || hist.NextCursor != nil {
		t.Fatalf("history = %+v, want 2 revisions", hist)
	}
	if h := hist.Items[1]; h.Revision != 1 || h.Version != "1.0.0" || len(h.Added) != 2 || h.Removed == nil || len(h.Removed) != 0 {
		t.Errorf("revision 1 = %+v", h)
	}
	if h := hist.Items[0]; h.Revision != 2 || h.ImportedAt.Before(hist.Items[1].ImportedAt) {
		t.Errorf("revision 2 = %+v, want it first", h)
	}
	rec = e.call(am, "GET", "/api/v1/apis/gate/revisions?limit=1", "")
	if page := decodeBody[list[apiRevision]](t, rec); len(page.Items) != 1 || page.NextCursor == nil {
		t.Errorf("first page of the history = %+v", page)
	} else {
		rec = e.call(am, "GET", "/api/v1/apis/gate/revisions?limit=1&cursor="+url.QueryEscape(*page.NextCursor), "")
		if next := decodeBody[list[apiRevision]](t, rec); len(next.Items) != 1 || next.Items[0].Revision != 1 || next.NextCursor != nil {
			t.Errorf("second page of the history = %+v", next)
		}
	}
	rec = e.call(am, "GET", "/api/v1/apis/gate", "")
	if d := decodeBody[apiDetail](t, rec); d.Revision != 2 || d.Version != "1.1.0" || len(d.Operations) != 2 || d.Operations[1].Path != "/gates/{id}/status" {
		t.Errorf("gate after the new revision = %+v", d)
	}

	// A sample imported without an account has no importer.
	rec = e.call(am, "GET", "/api/v1/apis/fleet/revisions", "")
	want(t, "fleet history", rec, http.StatusOK, "")
	if hist := decodeBody[list[apiRevision]](t, rec).Items; len(hist) != 1 || hist[0].ImportedBy != nil {
		t.Errorf("fleet history = %+v", hist)
	}

	want(t, "unknown API's history", e.call(am, "GET", "/api/v1/apis/no-such-api/revisions", ""), http.StatusNotFound, "not_found")
	want(t, "revision of an unknown API", e.callDoc(am, "POST", "/api/v1/apis/no-such-api/revisions", gateV1, "application/yaml"), http.StatusNotFound, "not_found")

	// Partner users: 403, even on an API they are granted.
	for _, email := range []string{"dev@harbor.test", "admin@harbor.test", "dev@crane.test"} {
		cookie := e.signIn(email)
		for _, slug := range []string{"fleet", "gate"} {
			want(t, email+" history of "+slug, e.call(cookie, "GET", "/api/v1/apis/"+slug+"/revisions", ""), http.StatusForbidden, "forbidden")
			want(t, email+" revision of "+slug, e.callDoc(cookie, "POST", "/api/v1/apis/"+slug+"/revisions", gateV1, "application/yaml"), http.StatusForbidden, "forbidden")
		}
	}
	if hist := decodeBody[list[apiRevision]](t, e.call(am, "GET", "/api/v1/apis/fleet/revisions", "")).Items; len(hist) != 1 {
		t.Errorf("fleet has %d revisions after partner attempts, want 1", len(hist))
	}
}

// TestCatalogDetailIsJSON guards the JSON shape: granted_scopes is absent
// for staff and present for partner users.
func TestCatalogDetailIsJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.catalogWorld()
	for email, wantGranted := range map[string]bool{"am@portico.test": false, "dev@harbor.test": true} {
		rec := e.call(e.signIn(email), "GET", "/api/v1/apis/fleet", "")
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		if _, ok := raw["granted_scopes"]; ok != wantGranted {
			t.Errorf("%s: granted_scopes present = %v, want %v", email, ok, wantGranted)
		}
	}
}
