package api_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/handlers/api"
	"github.com/portico/portico/internal/apispec"
	"github.com/portico/portico/internal/apitest"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/logtest"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/session"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type noKick struct{}

func (noKick) Kick() {}

func testConfig() handlers.Config {
	return handlers.Config{Version: "1.2.3-test", Secret: []byte("test-secret-test-secret-test-secret!"), BaseURL: "http://portal.test", MailTransport: "test"}
}

// env is the whole portal over a seeded database: sign-in runs on a real
// server, API calls go through apitest.Do against the same handler.
type env struct {
	t      *testing.T
	app    *echo.Echo
	srv    *httptest.Server
	store  *store.Store
	spec   *apispec.Checker
	router routers.Router
	// logs holds everything the portal logged.
	logs *logtest.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	logs := &logtest.Buffer{}
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(logs, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	mountIfMissing(app, st, cfg)
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	spec := apitest.Portal(t)
	router, err := gorillamux.NewRouter(spec.Doc())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, app: app, srv: srv, store: st, spec: spec, router: router, logs: logs}
}

// mountIfMissing mounts the API as the portal will (session actor, sudo
// check) when handlers.New does not mount it yet.
func mountIfMissing(app *echo.Echo, st *store.Store, cfg handlers.Config) {
	for _, r := range app.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			return
		}
	}
	auth := &api.SessionAuth{Store: st, Sessions: session.New(st, cfg.Secret, cfg.SecureCookies), Window: handlers.SudoWindow}
	a := api.New(st, people.New(st, token.NewHasher(cfg.Secret), mail.NewOutbox(st), cfg.BaseURL), auth.Actor)
	a.RecentAuth = auth.RecentAuth
	a.Mailer = noKick{}
	api.Register(app.Group("/api/v1"), a)
}

// signIn signs in through the portal's form and returns the Cookie header
// of the session.
func (e *env) signIn(email string) string {
	e.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(e.srv.URL+"/sign-in", url.Values{"email": {email}, "password": {demo.Password}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in %s = %d", email, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "portico" && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	e.t.Fatalf("sign in %s set no session cookie", email)
	return ""
}

func newRequest(cookie, method, path, body, contentType string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	return req
}

// call sends a documented request as the holder of cookie ("" for none)
// and checks the whole exchange against portal.yaml.
func (e *env) call(cookie, method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return apitest.Do(e.t, e.spec, e.app, newRequest(cookie, method, path, body, "application/json"))
}

// callOff sends a request that breaks the document on purpose (an unknown
// field, a value out of its enum, another content type) and checks only
// that the response is one the operation documents.
func (e *env) callOff(cookie, method, path, body, contentType string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := newRequest(cookie, method, path, body, contentType)
	rec := httptest.NewRecorder()
	e.app.ServeHTTP(rec, req)
	route, params, err := e.router.FindRoute(req.Clone(context.Background()))
	if err != nil {
		e.t.Fatalf("%s %s is not in the document: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(rec.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		e.t.Errorf("OpenAPI contract: response %d to %s %s: %v", rec.Code, method, path, err)
	}
	return rec
}

func (e *env) userID(email string) string {
	e.t.Helper()
	u, err := e.store.UserByEmail(context.Background(), email)
	if err != nil {
		e.t.Fatalf("user %s: %v", email, err)
	}
	return strconv.FormatInt(u.ID, 10)
}

type apiError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

type member struct {
	ID           int64      `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Role         string     `json:"role"`
	Teams        []string   `json:"teams"`
	LastSignInAt *time.Time `json:"last_sign_in_at"`
}

type invitation struct {
	ID        int64   `json:"id"`
	Email     string  `json:"email"`
	Role      string  `json:"role"`
	InvitedBy *string `json:"invited_by"`
	Expired   bool    `json:"expired"`
}

type team struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	MemberCount int    `json:"member_count"`
	Members     []struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	} `json:"members"`
}

type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func decodeBody[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body, err)
	}
	return v
}

// want checks the status and, for errors, the code.
func want(t *testing.T, what string, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("%s = %d, want %d: %s", what, rec.Code, status, rec.Body)
		return
	}
	if code == "" {
		return
	}
	got := decodeBody[apiError](t, rec)
	if got.Error.Code != code || got.Error.Message == "" || got.Error.RequestID == "" {
		t.Errorf("%s: error %+v, want code %q with a message and a request id", what, got.Error, code)
	}
}

func emails(ms []member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Email)
	}
	return out
}

func TestMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	devCookie := e.signIn("dev@harbor.test")
	dev := e.userID("dev@harbor.test")

	rec := e.call(admin, "GET", "/api/v1/members", "")
	want(t, "list members", rec, http.StatusOK, "")
	ms := decodeBody[list[member]](t, rec)
	if diff := cmp.Diff([]string{"admin@harbor.test", "dev@harbor.test"}, emails(ms.Items)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if ms.NextCursor != nil {
		t.Errorf("next_cursor = %q on the only page, want null", *ms.NextCursor)
	}
	if ms.Items[0].LastSignInAt == nil || ms.Items[0].Teams == nil {
		t.Errorf("admin = %+v, want a last sign-in and a teams array", ms.Items[0])
	}

	rec = e.call(admin, "GET", "/api/v1/members/"+dev, "")
	want(t, "get member", rec, http.StatusOK, "")
	if m := decodeBody[member](t, rec); m.Email != "dev@harbor.test" || m.Role != "developer" || m.Name != "Dev Harbor" {
		t.Errorf("member = %+v", m)
	}

	rec = e.call(admin, "PATCH", "/api/v1/members/"+dev, `{"role":"partner_admin"}`)
	want(t, "promote", rec, http.StatusOK, "")
	if m := decodeBody[member](t, rec); m.Role != "partner_admin" {
		t.Errorf("after promotion role = %q", m.Role)
	}
	rec = e.call(admin, "PATCH", "/api/v1/members/"+dev, `{"role":"developer"}`)
	want(t, "demote", rec, http.StatusOK, "")
	if m := decodeBody[member](t, rec); m.Role != "developer" {
		t.Errorf("after demotion role = %q", m.Role)
	}

	want(t, "developer lists members", e.call(devCookie, "GET", "/api/v1/members", ""), http.StatusForbidden, "forbidden")
	want(t, "remove member", e.call(admin, "DELETE", "/api/v1/members/"+dev, ""), http.StatusNoContent, "")
	want(t, "get removed member", e.call(admin, "GET", "/api/v1/members/"+dev, ""), http.StatusNotFound, "not_found")
	want(t, "remove again", e.call(admin, "DELETE", "/api/v1/members/"+dev, ""), http.StatusNotFound, "not_found")
	if got := emails(decodeBody[list[member]](t, e.call(admin, "GET", "/api/v1/members", "")).Items); !slices.Equal(got, []string{"admin@harbor.test"}) {
		t.Errorf("members after removal = %v", got)
	}
	// The removed member's session ended with the removal.
	want(t, "removed member's session", e.call(devCookie, "GET", "/api/v1/members", ""), http.StatusUnauthorized, "unauthorized")
}

func TestLastAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	self := e.userID("admin@harbor.test")
	want(t, "demote the last admin", e.call(admin, "PATCH", "/api/v1/members/"+self, `{"role":"developer"}`), http.StatusConflict, "last_admin")
	want(t, "remove the last admin", e.call(admin, "DELETE", "/api/v1/members/"+self, ""), http.StatusConflict, "last_admin")
	if m := decodeBody[member](t, e.call(admin, "GET", "/api/v1/members/"+self, "")); m.Role != "partner_admin" {
		t.Errorf("the last admin's role = %q", m.Role)
	}
}

var inviteLink = regexp.MustCompile(`/invitations/(ptc_inv_[0-9A-Za-z]+)`)

func (e *env) mailedLinks(email string) []string {
	e.t.Helper()
	var bodies []string
	if err := e.store.DB().Select(&bodies, `SELECT text_body FROM outbox WHERE to_email = $1 ORDER BY id`, email); err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, b := range bodies {
		if m := inviteLink.FindStringSubmatch(b); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

func noToken(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if strings.Contains(rec.Body.String(), "ptc_") {
		t.Errorf("%s: the response carries a token: %s", what, rec.Body)
	}
}

func TestInvitations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")

	rec := e.call(admin, "POST", "/api/v1/invitations", `{"email":" New.Person@Harbor.test ","role":"developer"}`)
	want(t, "invite", rec, http.StatusCreated, "")
	noToken(t, "invite", rec)
	inv := decodeBody[invitation](t, rec)
	if inv.Email != "new.person@harbor.test" || inv.Role != "developer" || inv.Expired || inv.InvitedBy == nil || *inv.InvitedBy != "Ada Harbor" {
		t.Errorf("invitation = %+v", inv)
	}
	if links := e.mailedLinks("new.person@harbor.test"); len(links) != 1 {
		t.Fatalf("invitation mails = %d, want 1", len(links))
	}
	id := strconv.FormatInt(inv.ID, 10)

	rec = e.call(admin, "GET", "/api/v1/invitations", "")
	want(t, "list invitations", rec, http.StatusOK, "")
	noToken(t, "list invitations", rec)
	if got := decodeBody[list[invitation]](t, rec).Items; len(got) != 1 || got[0].ID != inv.ID {
		t.Errorf("open invitations = %+v", got)
	}

	rec = e.call(admin, "POST", "/api/v1/invitations/"+id+"/resend", "")
	want(t, "resend", rec, http.StatusOK, "")
	noToken(t, "resend", rec)
	if links := e.mailedLinks("new.person@harbor.test"); len(links) != 2 || links[0] == links[1] {
		t.Errorf("after resend the links mailed are %d, want 2 different ones", len(links))
	}

	want(t, "invite a member", e.call(admin, "POST", "/api/v1/invitations", `{"email":"dev@harbor.test","role":"developer"}`), http.StatusUnprocessableEntity, "invalid_input")
	want(t, "invite again", e.call(admin, "POST", "/api/v1/invitations", `{"email":"new.person@harbor.test","role":"developer"}`), http.StatusUnprocessableEntity, "invalid_input")
	rec = e.call(admin, "POST", "/api/v1/invitations", `{"email":"not-an-email","role":"developer"}`)
	want(t, "invalid email", rec, http.StatusUnprocessableEntity, "invalid_input")
	if msg := decodeBody[apiError](t, rec).Error.Message; !strings.HasPrefix(msg, "email: ") {
		t.Errorf("invalid email message = %q, want it to name the field", msg)
	}

	want(t, "cancel", e.call(admin, "DELETE", "/api/v1/invitations/"+id, ""), http.StatusNoContent, "")
	if got := decodeBody[list[invitation]](t, e.call(admin, "GET", "/api/v1/invitations", "")); got.Items == nil || len(got.Items) != 0 {
		t.Errorf("after cancel the list is %+v, want an empty array", got)
	}
	want(t, "cancel again", e.call(admin, "DELETE", "/api/v1/invitations/"+id, ""), http.StatusNotFound, "not_found")
	want(t, "resend cancelled", e.call(admin, "POST", "/api/v1/invitations/"+id+"/resend", ""), http.StatusNotFound, "not_found")
}

func TestTeams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	dev := e.userID("dev@harbor.test")

	rec := e.call(admin, "POST", "/api/v1/teams", `{"name":" Integrations "}`)
	want(t, "create team", rec, http.StatusCreated, "")
	tm := decodeBody[team](t, rec)
	id := strconv.FormatInt(tm.ID, 10)
	if tm.Name != "Integrations" || tm.MemberCount != 0 || rec.Header().Get("Location") != "/api/v1/teams/"+id {
		t.Errorf("created %+v at %q", tm, rec.Header().Get("Location"))
	}
	want(t, "same name in another case", e.call(admin, "POST", "/api/v1/teams", `{"name":"integrations"}`), http.StatusUnprocessableEntity, "invalid_input")
	rec = e.call(admin, "POST", "/api/v1/teams", `{"name":"   "}`)
	want(t, "blank name", rec, http.StatusUnprocessableEntity, "invalid_input")
	if msg := decodeBody[apiError](t, rec).Error.Message; !strings.HasPrefix(msg, "name: ") {
		t.Errorf("blank name message = %q", msg)
	}

	rec = e.call(admin, "GET", "/api/v1/teams", "")
	want(t, "list teams", rec, http.StatusOK, "")
	if got := decodeBody[list[team]](t, rec).Items; len(got) != 1 || got[0].Name != "Integrations" {
		t.Errorf("teams = %+v", got)
	}

	want(t, "add member", e.call(admin, "PUT", "/api/v1/teams/"+id+"/members/"+dev, ""), http.StatusNoContent, "")
	want(t, "add member again", e.call(admin, "PUT", "/api/v1/teams/"+id+"/members/"+dev, ""), http.StatusNoContent, "")
	rec = e.call(admin, "GET", "/api/v1/teams/"+id, "")
	want(t, "get team", rec, http.StatusOK, "")
	if got := decodeBody[team](t, rec); got.MemberCount != 1 || len(got.Members) != 1 || got.Members[0].Email != "dev@harbor.test" {
		t.Errorf("team = %+v", got)
	}
	if m := decodeBody[member](t, e.call(admin, "GET", "/api/v1/members/"+dev, "")); !slices.Equal(m.Teams, []string{"Integrations"}) {
		t.Errorf("member's teams = %v", m.Teams)
	}

	rec = e.call(admin, "PATCH", "/api/v1/teams/"+id, `{"name":"Platform"}`)
	want(t, "rename", rec, http.StatusOK, "")
	if got := decodeBody[team](t, rec); got.Name != "Platform" || got.MemberCount != 1 {
		t.Errorf("renamed team = %+v", got)
	}

	want(t, "take member out", e.call(admin, "DELETE", "/api/v1/teams/"+id+"/members/"+dev, ""), http.StatusNoContent, "")
	want(t, "take member out again", e.call(admin, "DELETE", "/api/v1/teams/"+id+"/members/"+dev, ""), http.StatusNotFound, "not_found")
	want(t, "delete team", e.call(admin, "DELETE", "/api/v1/teams/"+id, ""), http.StatusNoContent, "")
	want(t, "get deleted team", e.call(admin, "GET", "/api/v1/teams/"+id, ""), http.StatusNotFound, "not_found")
	want(t, "delete again", e.call(admin, "DELETE", "/api/v1/teams/"+id, ""), http.StatusNotFound, "not_found")
	if m := decodeBody[member](t, e.call(admin, "GET", "/api/v1/members/"+dev, "")); m.Role != "developer" {
		t.Errorf("the team's member after deletion = %+v, want still a member", m)
	}
}

// endpoints is every operation with ids of the given member, invitation
// and team, and a body the document accepts.
func endpoints(member, inv, team string) []struct{ method, path, body string } {
	return []struct{ method, path, body string }{
		{"GET", "/api/v1/members", ""},
		{"GET", "/api/v1/members/" + member, ""},
		{"PATCH", "/api/v1/members/" + member, `{"role":"partner_admin"}`},
		{"DELETE", "/api/v1/members/" + member, ""},
		{"GET", "/api/v1/invitations", ""},
		{"POST", "/api/v1/invitations", `{"email":"someone@example.test","role":"developer"}`},
		{"POST", "/api/v1/invitations/" + inv + "/resend", ""},
		{"DELETE", "/api/v1/invitations/" + inv, ""},
		{"GET", "/api/v1/teams", ""},
		{"POST", "/api/v1/teams", `{"name":"Sneaky"}`},
		{"GET", "/api/v1/teams/" + team, ""},
		{"PATCH", "/api/v1/teams/" + team, `{"name":"Sneaky"}`},
		{"DELETE", "/api/v1/teams/" + team, ""},
		{"PUT", "/api/v1/teams/" + team + "/members/" + member, ""},
		{"DELETE", "/api/v1/teams/" + team + "/members/" + member, ""},
	}
}

// seedCrane gives Crane Works an invitation and a team with its developer
// in it, through the API, and returns their ids and the developer's.
func (e *env) seedCrane() (dev, inv, teamID string) {
	e.t.Helper()
	crane := e.signIn("admin@crane.test")
	dev = e.userID("dev@crane.test")
	rec := e.call(crane, "POST", "/api/v1/invitations", `{"email":"c@crane.test","role":"developer"}`)
	want(e.t, "crane invites", rec, http.StatusCreated, "")
	inv = strconv.FormatInt(decodeBody[invitation](e.t, rec).ID, 10)
	rec = e.call(crane, "POST", "/api/v1/teams", `{"name":"Cranes"}`)
	want(e.t, "crane creates a team", rec, http.StatusCreated, "")
	teamID = strconv.FormatInt(decodeBody[team](e.t, rec).ID, 10)
	want(e.t, "crane adds its developer", e.call(crane, "PUT", "/api/v1/teams/"+teamID+"/members/"+dev, ""), http.StatusNoContent, "")
	return dev, inv, teamID
}

func TestOnlyPartnerAdmins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev, inv, team := e.seedCrane()
	for _, email := range []string{"dev@crane.test", "admin@portico.test", "am@portico.test"} {
		cookie := e.signIn(email)
		for _, ep := range endpoints(dev, inv, team) {
			want(t, email+" "+ep.method+" "+ep.path, e.call(cookie, ep.method, ep.path, ep.body), http.StatusForbidden, "forbidden")
		}
	}
	e.checkCraneUnchanged(dev, inv, team)
}

func TestSignedOutIs401(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev, inv, team := e.seedCrane()
	for _, cookie := range []string{"", "portico=not-a-session"} {
		for _, ep := range endpoints(dev, inv, team) {
			rec := e.call(cookie, ep.method, ep.path, ep.body)
			want(t, "signed out "+ep.method+" "+ep.path, rec, http.StatusUnauthorized, "unauthorized")
			if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="portico"` {
				t.Errorf("%s %s: WWW-Authenticate = %q", ep.method, ep.path, got)
			}
		}
	}
	e.checkCraneUnchanged(dev, inv, team)
}

func TestOtherPartnersIDsAre404(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev, inv, team := e.seedCrane()
	harbor := e.signIn("admin@harbor.test")
	for _, ep := range endpoints(dev, inv, team) {
		if !strings.ContainsAny(strings.TrimPrefix(ep.path, "/api/v1/"), "0123456789") {
			continue // lists and creation: always the caller's own partner
		}
		want(t, "harbor "+ep.method+" "+ep.path, e.call(harbor, ep.method, ep.path, ep.body), http.StatusNotFound, "not_found")
	}
	// A harbor team with crane's developer, and ids that do not exist.
	rec := e.call(harbor, "POST", "/api/v1/teams", `{"name":"Harbor"}`)
	want(t, "harbor creates a team", rec, http.StatusCreated, "")
	own := strconv.FormatInt(decodeBody[struct {
		ID int64 `json:"id"`
	}](t, rec).ID, 10)
	want(t, "crane's developer in a harbor team", e.call(harbor, "PUT", "/api/v1/teams/"+own+"/members/"+dev, ""), http.StatusNotFound, "not_found")
	want(t, "unknown member", e.call(harbor, "GET", "/api/v1/members/999999", ""), http.StatusNotFound, "not_found")
	want(t, "unknown team", e.call(harbor, "GET", "/api/v1/teams/999999", ""), http.StatusNotFound, "not_found")
	// Lists show only the caller's partner.
	if got := emails(decodeBody[list[member]](t, e.call(harbor, "GET", "/api/v1/members", "")).Items); !slices.Equal(got, []string{"admin@harbor.test", "dev@harbor.test"}) {
		t.Errorf("harbor's members = %v", got)
	}
	if got := decodeBody[list[invitation]](t, e.call(harbor, "GET", "/api/v1/invitations", "")).Items; len(got) != 0 {
		t.Errorf("harbor's invitations = %+v", got)
	}
	e.checkCraneUnchanged(dev, inv, team)
}

// checkCraneUnchanged checks, as Crane's admin, that what seedCrane made is
// as it was.
func (e *env) checkCraneUnchanged(dev, inv, teamID string) {
	e.t.Helper()
	crane := e.signIn("admin@crane.test")
	if m := decodeBody[member](e.t, e.call(crane, "GET", "/api/v1/members/"+dev, "")); m.Role != "developer" || !slices.Equal(m.Teams, []string{"Cranes"}) {
		e.t.Errorf("crane's developer = %+v", m)
	}
	if got := decodeBody[list[invitation]](e.t, e.call(crane, "GET", "/api/v1/invitations", "")).Items; len(got) != 1 || strconv.FormatInt(got[0].ID, 10) != inv {
		e.t.Errorf("crane's invitations = %+v", got)
	}
	if got := decodeBody[team](e.t, e.call(crane, "GET", "/api/v1/teams/"+teamID, "")); got.Name != "Cranes" || got.MemberCount != 1 {
		e.t.Errorf("crane's team = %+v", got)
	}
	if got := decodeBody[list[team]](e.t, e.call(crane, "GET", "/api/v1/teams", "")).Items; len(got) != 1 {
		e.t.Errorf("crane's teams = %+v", got)
	}
}

func TestInvalidRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	dev := e.userID("dev@harbor.test")
	big := `{"name":"` + strings.Repeat("x", api.MaxBody) + `"}`
	for _, tc := range []struct {
		name, method, path, body, contentType string
		status                                int
		code, inMessage                       string
	}{
		{"unknown field", "POST", "/api/v1/invitations", `{"email":"a@harbor.test","role":"developer","admin":true}`, "application/json", 400, "bad_request", `"admin"`},
		{"unknown field in a patch", "PATCH", "/api/v1/members/" + dev, `{"role":"developer","name":"x"}`, "application/json", 400, "bad_request", `"name"`},
		{"role out of the enum", "PATCH", "/api/v1/members/" + dev, `{"role":"owner"}`, "application/json", 422, "invalid_input", "role: "},
		{"role of the wrong type", "POST", "/api/v1/invitations", `{"email":"a@harbor.test","role":5}`, "application/json", 422, "invalid_input", "role: "},
		{"missing role", "POST", "/api/v1/invitations", `{"email":"a@harbor.test"}`, "application/json", 422, "invalid_input", "role: "},
		{"not JSON", "POST", "/api/v1/teams", `{"name":`, "application/json", 400, "bad_request", "JSON"},
		{"not an object", "POST", "/api/v1/teams", `["x"]`, "application/json", 400, "bad_request", "object"},
		{"two objects", "POST", "/api/v1/teams", `{"name":"a"} {"name":"b"}`, "application/json", 400, "bad_request", "one JSON object"},
		{"form body", "POST", "/api/v1/teams", `name=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", "application/json"},
		{"too large", "POST", "/api/v1/teams", big, "application/json", 413, "too_large", "64 KiB"},
		{"name too long", "POST", "/api/v1/teams", `{"name":"` + strings.Repeat("n", 101) + `"}`, "application/json", 422, "invalid_input", "name: "},
		{"limit 0", "GET", "/api/v1/members?limit=0", "", "", 400, "bad_request", "limit"},
		{"limit 201", "GET", "/api/v1/teams?limit=201", "", "", 400, "bad_request", "limit"},
		{"limit abc", "GET", "/api/v1/invitations?limit=abc", "", "", 400, "bad_request", "limit"},
	} {
		rec := e.callOff(admin, tc.method, tc.path, tc.body, tc.contentType)
		want(t, tc.name, rec, tc.status, tc.code)
		if msg := decodeBody[apiError](t, rec).Error.Message; !strings.Contains(msg, tc.inMessage) {
			t.Errorf("%s: message %q lacks %q", tc.name, msg, tc.inMessage)
		}
	}
	// A cursor is a string the document accepts; one the API did not give
	// out is still refused.
	want(t, "forged cursor", e.call(admin, "GET", "/api/v1/members?cursor=bm9wZQ", ""), http.StatusBadRequest, "bad_request")
	// No invitation and no team came of any of it.
	if got := decodeBody[list[invitation]](t, e.call(admin, "GET", "/api/v1/invitations", "")).Items; len(got) != 0 {
		t.Errorf("invitations = %+v", got)
	}
	if got := decodeBody[list[team]](t, e.call(admin, "GET", "/api/v1/teams", "")).Items; len(got) != 0 {
		t.Errorf("teams = %+v", got)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	for i := range 5 {
		want(t, "invite", e.call(admin, "POST", "/api/v1/invitations", `{"email":"p`+strconv.Itoa(i)+`@harbor.test","role":"developer"}`), http.StatusCreated, "")
	}
	var all []int64
	for _, inv := range decodeBody[list[invitation]](t, e.call(admin, "GET", "/api/v1/invitations", "")).Items {
		all = append(all, inv.ID)
	}
	if len(all) != 5 {
		t.Fatalf("invitations = %d, want 5", len(all))
	}
	var paged []int64
	var sizes []int
	path := "/api/v1/invitations?limit=2"
	for range 5 {
		rec := e.call(admin, "GET", path, "")
		want(t, "page", rec, http.StatusOK, "")
		page := decodeBody[list[invitation]](t, rec)
		sizes = append(sizes, len(page.Items))
		for _, inv := range page.Items {
			paged = append(paged, inv.ID)
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/invitations?limit=2&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) || !slices.Equal(paged, all) {
		t.Errorf("pages of %v holding %v, want [2 2 1] holding %v", sizes, paged, all)
	}

	// A page continues after the last item served even when an earlier one
	// goes away in between.
	rec := e.call(admin, "GET", "/api/v1/invitations?limit=2", "")
	first := decodeBody[list[invitation]](t, rec)
	want(t, "cancel the first", e.call(admin, "DELETE", "/api/v1/invitations/"+strconv.FormatInt(all[0], 10), ""), http.StatusNoContent, "")
	rec = e.call(admin, "GET", "/api/v1/invitations?limit=2&cursor="+url.QueryEscape(*first.NextCursor), "")
	var next []int64
	for _, inv := range decodeBody[list[invitation]](t, rec).Items {
		next = append(next, inv.ID)
	}
	if !slices.Equal(next, all[2:4]) {
		t.Errorf("second page after a cancel = %v, want %v", next, all[2:4])
	}

	rec = e.call(admin, "GET", "/api/v1/members?limit=1", "")
	want(t, "members page", rec, http.StatusOK, "")
	if page := decodeBody[list[member]](t, rec); len(page.Items) != 1 || page.NextCursor == nil {
		t.Errorf("members?limit=1 = %+v", page)
	}
	want(t, "teams page", e.call(admin, "GET", "/api/v1/teams?limit=200", ""), http.StatusOK, "")
}

func TestRoleChangeNeedsRecentPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	dev := e.userID("dev@harbor.test")
	e.expireSudo()
	want(t, "role change after the sudo window", e.call(admin, "PATCH", "/api/v1/members/"+dev, `{"role":"partner_admin"}`), http.StatusForbidden, "reauthentication_required")
	if m := decodeBody[member](t, e.call(admin, "GET", "/api/v1/members/"+dev, "")); m.Role != "developer" {
		t.Errorf("role changed without a recent password: %q", m.Role)
	}
	// Other changes do not need it.
	want(t, "team creation after the sudo window", e.call(admin, "POST", "/api/v1/teams", `{"name":"Ops"}`), http.StatusCreated, "")
}

// expireSudo moves every session's password entry back past the sudo window.
func (e *env) expireSudo() {
	e.t.Helper()
	var rows []struct {
		ID   []byte `db:"id"`
		Data []byte `db:"data"`
	}
	if err := e.store.DB().Select(&rows, `SELECT id, data FROM sessions`); err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rows {
		values := map[any]any{}
		if err := gob.NewDecoder(bytes.NewReader(r.Data)).Decode(&values); err != nil {
			e.t.Fatal(err)
		}
		if _, ok := values[session.AuthAtKey]; !ok {
			continue
		}
		values[session.AuthAtKey] = time.Now().Add(-handlers.SudoWindow - time.Minute).Unix()
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(values); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.store.DB().Exec(`UPDATE sessions SET data = $2 WHERE id = $1`, r.ID, buf.Bytes()); err != nil {
			e.t.Fatal(err)
		}
	}
}

// TestRoutesMatchDocument checks that the API serves exactly the /api/v1
// operations portal.yaml documents.
func TestRoutesMatchDocument(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var documented, served []string
	for path, item := range e.spec.Doc().Paths.Map() {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		for method, op := range item.Operations() {
			documented = append(documented, method+" "+path)
			var schemes []string
			if op.Security != nil {
				for _, req := range *op.Security {
					for name := range req {
						schemes = append(schemes, name)
					}
				}
			}
			slices.Sort(schemes)
			if !slices.Equal(schemes, []string{"bearerAuth", "cookieAuth"}) {
				t.Errorf("%s %s: security schemes %v, want bearerAuth and cookieAuth", method, path, schemes)
			}
		}
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	for _, r := range e.app.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") && !strings.HasSuffix(r.Path, "*") {
			served = append(served, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
		}
	}
	slices.Sort(documented)
	slices.Sort(served)
	served = slices.Compact(served)
	if diff := cmp.Diff(documented, served); diff != "" {
		t.Errorf("documented (-) and served (+) operations differ:\n%s", diff)
	}
}

// TestInvitationsCappedPerHour: past the partner's hourly cap, inviting
// and resending answer 429 rate_limited with Retry-After, and nothing is
// mailed.
func TestInvitationsCappedPerHour(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	rec := e.call(admin, "POST", "/api/v1/invitations", `{"email":"first@harbor.test","role":"developer"}`)
	want(t, "invite", rec, http.StatusCreated, "")
	id := strconv.FormatInt(decodeBody[invitation](t, rec).ID, 10)
	if _, err := e.store.DB().Exec(`UPDATE attempt_counters SET count = $1 WHERE kind = 'invitation'`, people.InvitationsPerHour); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ what, path, body string }{
		{"invite past the cap", "/api/v1/invitations", `{"email":"second@harbor.test","role":"developer"}`},
		{"resend past the cap", "/api/v1/invitations/" + id + "/resend", ""},
	} {
		rec := e.call(admin, "POST", tc.path, tc.body)
		want(t, tc.what, rec, http.StatusTooManyRequests, "rate_limited")
		if after, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || after < 1 || after > 3600 {
			t.Errorf("%s: Retry-After %q, want 1 to 3600 seconds", tc.what, rec.Header().Get("Retry-After"))
		}
	}
	if links := e.mailedLinks("second@harbor.test"); len(links) != 0 {
		t.Errorf("%d invitation mails past the cap, want none", len(links))
	}
	if links := e.mailedLinks("first@harbor.test"); len(links) != 1 {
		t.Errorf("%d mails to the first invitee, want only the first one", len(links))
	}
}
