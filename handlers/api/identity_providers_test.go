package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/apitest"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/logtest"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/oidctest"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// apiSecret is the client secret the tests send; no answer may carry it.
const apiSecret = "api-client-secret-never-answered-42"

// newSSOEnv is newEnv whose portal reaches a real OpenID provider running
// in the test.
func newSSOEnv(t *testing.T) (*env, *oidctest.Provider) {
	t.Helper()
	op := oidctest.Start(t)
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	outbox := mail.NewOutbox(st)
	svc := sso.New(st, sso.MustBox(cfg.Secret), op.HTTPClient(), outbox, cfg.BaseURL)
	logs := &logtest.Buffer{}
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: outbox, Mailer: noKick{}, SSO: svc})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	spec := apitest.Portal(t)
	router, err := gorillamux.NewRouter(spec.Doc())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, app: app, srv: srv, store: st, spec: spec, router: router, logs: logs}, op
}

type apiProvider struct {
	ID              int64    `json:"id"`
	PartnerID       int64    `json:"partner_id"`
	DisplayName     string   `json:"display_name"`
	ClientSecretSet bool     `json:"client_secret_set"`
	Domains         []string `json:"domains"`
	Enforced        bool     `json:"enforced"`
}

type apiMapping struct {
	ID    int64  `json:"id"`
	Group string `json:"group"`
	Team  *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"team"`
	Role *string `json:"role"`
}

func providerBody(issuer, secret string, domains ...string) string {
	return `{"display_name": "Harbor Directory", "issuer": "` + issuer + `", "client_id": "portico", "client_secret": "` + secret +
		`", "domains": ["` + strings.Join(domains, `", "`) + `"], "groups_claim": "groups"}`
}

// TestIdentityProviderAPI: staff who manage Harbor create (201), read and
// replace (200, keeping the secret) its provider, never answered the
// secret; bad input is 422 naming the field; another manager's partner is
// 404; Harbor's partner admin reads it and keeps its group mappings (not
// to Crane's team); removal answers 204 and then 404. Every exchange is
// checked against portal.yaml.
func TestIdentityProviderAPI(t *testing.T) {
	t.Parallel()
	e, op := newSSOEnv(t)
	ctx := context.Background()
	harbor, err := e.store.PartnerBySlug(ctx, "harbor-logistics")
	if err != nil {
		t.Fatal(err)
	}
	crane, err := e.store.PartnerBySlug(ctx, "crane-works")
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/partners/" + strconv.FormatInt(harbor.ID, 10) + "/identity-provider"
	am := e.signIn("am@portico.test")

	want(t, "GET before any", e.call(am, http.MethodGet, path, ""), http.StatusNotFound, "not_found")
	want(t, "PUT without a secret", e.call(am, http.MethodPut, path, providerBody(op.Issuer(), "", "harbor.test")), http.StatusUnprocessableEntity, "invalid_input")
	rec := e.call(am, http.MethodPut, path, providerBody(op.Issuer(), apiSecret, "harbor.test"))
	want(t, "PUT create", rec, http.StatusCreated, "")
	noSecretIn(t, "PUT create", rec.Body.String())
	created := decodeBody[apiProvider](t, rec)
	if !created.ClientSecretSet || created.PartnerID != harbor.ID || !cmp.Equal(created.Domains, []string{"harbor.test"}) {
		t.Errorf("created = %+v", created)
	}
	rec = e.call(am, http.MethodPut, path, providerBody(op.Issuer(), "", "harbor.test", "ops.harbor.test"))
	want(t, "PUT replace keeping the secret", rec, http.StatusOK, "")
	if got := decodeBody[apiProvider](t, rec); got.ID != created.ID || !got.ClientSecretSet || len(got.Domains) != 2 {
		t.Errorf("replaced = %+v", got)
	}
	rec = e.callOff(am, http.MethodPut, path, providerBody(op.Issuer(), "", "https://harbor.test"), "application/json")
	want(t, "PUT with a URL for a domain", rec, http.StatusUnprocessableEntity, "invalid_input")
	if msg := decodeBody[apiError](t, rec).Error.Message; !strings.HasPrefix(msg, "domains: ") {
		t.Errorf("message %q does not start with the field", msg)
	}
	rec = e.call(am, http.MethodGet, path, "")
	want(t, "GET", rec, http.StatusOK, "")
	noSecretIn(t, "GET", rec.Body.String())

	// An account manager who does not manage Crane finds nothing there.
	if _, err := e.store.UnassignManager(ctx, crane.ID, mustUser(t, e, "am@portico.test")); err != nil {
		t.Fatal(err)
	}
	cranePath := "/api/v1/partners/" + strconv.FormatInt(crane.ID, 10) + "/identity-provider"
	want(t, "PUT on a partner not managed", e.call(am, http.MethodPut, cranePath, providerBody(op.Issuer(), apiSecret, "crane.test")), http.StatusNotFound, "not_found")

	admin := e.signIn("admin@harbor.test")
	want(t, "partner admin on the staff operation", e.call(admin, http.MethodGet, path, ""), http.StatusForbidden, "forbidden")
	rec = e.call(admin, http.MethodGet, "/api/v1/identity-provider", "")
	want(t, "partner admin's own", rec, http.StatusOK, "")
	noSecretIn(t, "partner admin's GET", rec.Body.String())
	crTeam, err := e.store.CreateTeam(ctx, crane.ID, "Crane Ops")
	if err != nil {
		t.Fatal(err)
	}
	hbTeam, err := e.store.CreateTeam(ctx, harbor.ID, "Harbor Ops")
	if err != nil {
		t.Fatal(err)
	}
	rec = e.call(admin, http.MethodPost, "/api/v1/identity-provider/mappings", `{"group": "ops", "team_id": `+strconv.FormatInt(crTeam.ID, 10)+`}`)
	want(t, "mapping to Crane's team", rec, http.StatusUnprocessableEntity, "invalid_input")
	if msg := decodeBody[apiError](t, rec).Error.Message; !strings.HasPrefix(msg, "team_id: ") {
		t.Errorf("message %q does not name team_id", msg)
	}
	rec = e.call(admin, http.MethodPost, "/api/v1/identity-provider/mappings", `{"group": "ops", "team_id": `+strconv.FormatInt(hbTeam.ID, 10)+`}`)
	want(t, "mapping to Harbor's team", rec, http.StatusCreated, "")
	m := decodeBody[apiMapping](t, rec)
	if m.Team == nil || m.Team.Name != "Harbor Ops" || m.Role != nil || rec.Header().Get("Location") != "/api/v1/identity-provider/mappings/"+strconv.FormatInt(m.ID, 10) {
		t.Errorf("mapping = %+v, Location %q", m, rec.Header().Get("Location"))
	}
	want(t, "role mapping", e.call(admin, http.MethodPost, "/api/v1/identity-provider/mappings", `{"group": "admins", "role": "partner_admin"}`), http.StatusCreated, "")
	rec = e.call(admin, http.MethodGet, "/api/v1/identity-provider/mappings", "")
	want(t, "list mappings", rec, http.StatusOK, "")
	var groups []string
	for _, it := range decodeBody[list[apiMapping]](t, rec).Items {
		groups = append(groups, it.Group)
	}
	if diff := cmp.Diff([]string{"admins", "ops"}, groups); diff != "" {
		t.Errorf("mappings (-want +got):\n%s", diff)
	}
	one := "/api/v1/identity-provider/mappings/" + strconv.FormatInt(m.ID, 10)
	want(t, "Crane's admin deleting Harbor's mapping", e.call(e.signIn("admin@crane.test"), http.MethodDelete, one, ""), http.StatusNotFound, "not_found")
	want(t, "delete mapping", e.call(admin, http.MethodDelete, one, ""), http.StatusNoContent, "")
	want(t, "delete it again", e.call(admin, http.MethodDelete, one, ""), http.StatusNotFound, "not_found")

	want(t, "DELETE provider", e.call(am, http.MethodDelete, path, ""), http.StatusNoContent, "")
	want(t, "GET after removal", e.call(am, http.MethodGet, path, ""), http.StatusNotFound, "not_found")
	want(t, "mappings after removal", e.call(admin, http.MethodGet, "/api/v1/identity-provider/mappings", ""), http.StatusNotFound, "not_found")

	var leaked int
	if err := e.store.DB().Get(&leaked, `SELECT count(*) FROM audit_events WHERE details::text LIKE '%' || $1 || '%'`, apiSecret); err != nil {
		t.Fatal(err)
	}
	if leaked != 0 {
		t.Errorf("%d audit events carry the client secret", leaked)
	}
}

func mustUser(t *testing.T, e *env, email string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(e.userID(email), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func noSecretIn(t *testing.T, what, body string) {
	t.Helper()
	if strings.Contains(body, apiSecret) || strings.Contains(body, "client_secret\"") {
		t.Errorf("%s answers the client secret: %s", what, body)
	}
}
