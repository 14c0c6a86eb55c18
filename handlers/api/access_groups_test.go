package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/portico/portico/internal/store"
)

// The shapes of the access operations' responses, as a client reads them.
type groupAPIBody struct {
	Slug   string   `json:"slug"`
	Name   string   `json:"name"`
	Status string   `json:"status"`
	Scopes []string `json:"scopes"`
}

type accessGroupBody struct {
	ID                 int64          `json:"id"`
	Name               string         `json:"name"`
	Description        string         `json:"description"`
	RateLimitPerMinute int            `json:"rate_limit_per_minute"`
	MonthlyQuota       *int64         `json:"monthly_quota"`
	APIs               []groupAPIBody `json:"apis"`
	OpenGrants         int            `json:"open_grants"`
}

type granteeBody struct {
	Type   string  `json:"type"`
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	Email  *string `json:"email"`
	Active bool    `json:"active"`
}

type refBody struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type grantBody struct {
	ID          int64       `json:"id"`
	AccessGroup refBody     `json:"access_group"`
	Partner     refBody     `json:"partner"`
	Grantee     granteeBody `json:"grantee"`
	GrantedAt   time.Time   `json:"granted_at"`
	GrantedBy   *string     `json:"granted_by"`
	RevokedAt   *time.Time  `json:"revoked_at"`
	RevokedBy   *string     `json:"revoked_by"`
}

type partnerGrantBody struct {
	ID          int64           `json:"id"`
	AccessGroup accessGroupBody `json:"access_group"`
	Grantee     granteeBody     `json:"grantee"`
	GrantedAt   time.Time       `json:"granted_at"`
}

type groupLimitBody struct {
	ID                 int64  `json:"id"`
	Name               string `json:"name"`
	RateLimitPerMinute int    `json:"rate_limit_per_minute"`
	MonthlyQuota       *int64 `json:"monthly_quota"`
}

type apiReachBody struct {
	Slug   string           `json:"slug"`
	Name   string           `json:"name"`
	Status string           `json:"status"`
	Scopes []string         `json:"scopes"`
	Via    []groupLimitBody `json:"via"`
}

type memberAccessBody struct {
	Member struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"member"`
	APIs []apiReachBody `json:"apis"`
}

func pointerTo[T any](v T) *T { return &v }

func idStr(n int64) string { return strconv.FormatInt(n, 10) }

// accessWorld is the demo world with the sample APIs and the demo grants:
// "Port operations" to Harbor's team Integrations (dev@harbor.test in it),
// "Fleet basics" to dev@crane.test directly. It holds the ids the tests use.
type accessWorld struct {
	*env
	harbor, crane        int64 // partner ids
	integrations         int64 // Harbor's team
	portOps, fleetBasics int64 // access groups
	portOpsGrant         int64 // to Integrations
	fleetBasicsGrant     int64 // to dev@crane.test
	am, harborAdmin      int64 // user ids
	harborDev, craneDev  int64
}

func newAccessWorld(t *testing.T) *accessWorld {
	t.Helper()
	e := newEnv(t).withCatalog()
	w := &accessWorld{env: e}
	db := e.store.DB()
	for _, q := range []struct {
		dst  *int64
		sql  string
		args []any
	}{
		{&w.harbor, `SELECT id FROM partners WHERE slug = $1`, []any{"harbor-logistics"}},
		{&w.crane, `SELECT id FROM partners WHERE slug = $1`, []any{"crane-works"}},
		{&w.integrations, `SELECT id FROM teams WHERE name = $1`, []any{"Integrations"}},
		{&w.portOps, `SELECT id FROM access_groups WHERE name = $1`, []any{"Port operations"}},
		{&w.fleetBasics, `SELECT id FROM access_groups WHERE name = $1`, []any{"Fleet basics"}},
		{&w.portOpsGrant, `SELECT id FROM grants WHERE access_group_id = (SELECT id FROM access_groups WHERE name = $1)`, []any{"Port operations"}},
		{&w.fleetBasicsGrant, `SELECT id FROM grants WHERE access_group_id = (SELECT id FROM access_groups WHERE name = $1)`, []any{"Fleet basics"}},
	} {
		if err := db.Get(q.dst, q.sql, q.args...); err != nil {
			t.Fatalf("%s %v: %v", q.sql, q.args, err)
		}
	}
	for dst, email := range map[*int64]string{&w.am: "am@portico.test", &w.harborAdmin: "admin@harbor.test",
		&w.harborDev: "dev@harbor.test", &w.craneDev: "dev@crane.test"} {
		u, err := e.store.UserByEmail(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		*dst = u.ID
	}
	return w
}

func (w *accessWorld) group(cookie string, id int64) accessGroupBody {
	w.t.Helper()
	rec := w.call(cookie, "GET", "/api/v1/access-groups/"+idStr(id), "")
	want(w.t, "get access group", rec, http.StatusOK, "")
	return decodeBody[accessGroupBody](w.t, rec)
}

func (w *accessWorld) groupGrants(cookie string, id int64) []grantBody {
	w.t.Helper()
	rec := w.call(cookie, "GET", "/api/v1/access-groups/"+idStr(id)+"/grants", "")
	want(w.t, "list grants", rec, http.StatusOK, "")
	return decodeBody[list[grantBody]](w.t, rec).Items
}

func (w *accessWorld) reach(cookie string, userID int64) memberAccessBody {
	w.t.Helper()
	rec := w.call(cookie, "GET", "/api/v1/members/"+idStr(userID)+"/access", "")
	want(w.t, "member access", rec, http.StatusOK, "")
	return decodeBody[memberAccessBody](w.t, rec)
}

func (w *accessWorld) countGrants() int {
	w.t.Helper()
	var n int
	if err := w.store.DB().Get(&n, `SELECT count(*) FROM grants`); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// ignoreTimes leaves out the times a test cannot know.
var ignoreTimes = cmpopts.IgnoreFields(grantBody{}, "GrantedAt", "RevokedAt")

func TestAccessGroupLifecycle(t *testing.T) {
	t.Parallel()
	w := newAccessWorld(t)
	am := w.signIn("am@portico.test")
	harborAdmin := w.signIn("admin@harbor.test")

	// Create: defaults for what is left out.
	rec := w.call(am, "POST", "/api/v1/access-groups", `{"name":" Dock cranes ","description":"Cranes on the dock."}`)
	want(t, "create", rec, http.StatusCreated, "")
	g := decodeBody[accessGroupBody](t, rec)
	id := idStr(g.ID)
	if diff := cmp.Diff(accessGroupBody{ID: g.ID, Name: "Dock cranes", Description: "Cranes on the dock.", RateLimitPerMinute: 600, APIs: []groupAPIBody{}}, g); diff != "" {
		t.Errorf("created group (-want +got):\n%s", diff)
	}
	if loc := rec.Header().Get("Location"); loc != "/api/v1/access-groups/"+id {
		t.Errorf("Location = %q", loc)
	}

	// Include APIs, then change the scopes of one.
	want(t, "include fleet", w.call(am, "PUT", "/api/v1/access-groups/"+id+"/apis/fleet", `{"scopes":["fleet:read"]}`), http.StatusOK, "")
	rec = w.call(am, "PUT", "/api/v1/access-groups/"+id+"/apis/maintenance", `{"scopes":["maintenance:write","maintenance:read","maintenance:read"]}`)
	want(t, "include maintenance", rec, http.StatusOK, "")
	rec = w.call(am, "PUT", "/api/v1/access-groups/"+id+"/apis/maintenance", `{"scopes":["maintenance:read"]}`)
	want(t, "change maintenance's scopes", rec, http.StatusOK, "")
	g = decodeBody[accessGroupBody](t, rec)
	wantAPIs := []groupAPIBody{
		{Slug: "fleet", Name: "Fleet API", Status: "active", Scopes: []string{"fleet:read"}},
		{Slug: "maintenance", Name: "Maintenance API", Status: "active", Scopes: []string{"maintenance:read"}},
	}
	if diff := cmp.Diff(wantAPIs, g.APIs); diff != "" {
		t.Errorf("included APIs (-want +got):\n%s", diff)
	}

	// Edit: only what is sent changes; null removes the quota.
	for _, tc := range []struct {
		body      string
		name      string
		rate      int
		quota     *int64
		wantDescr string
	}{
		{`{"monthly_quota":5000}`, "Dock cranes", 600, pointerTo[int64](5000), "Cranes on the dock."},
		{`{"name":"Quay cranes","rate_limit_per_minute":120}`, "Quay cranes", 120, pointerTo[int64](5000), "Cranes on the dock."},
		{`{"monthly_quota":null,"description":""}`, "Quay cranes", 120, nil, ""},
		{`{}`, "Quay cranes", 120, nil, ""},
	} {
		rec := w.call(am, "PATCH", "/api/v1/access-groups/"+id, tc.body)
		want(t, "patch "+tc.body, rec, http.StatusOK, "")
		got := decodeBody[accessGroupBody](t, rec)
		wantGroup := accessGroupBody{ID: g.ID, Name: tc.name, Description: tc.wantDescr, RateLimitPerMinute: tc.rate, MonthlyQuota: tc.quota, APIs: wantAPIs}
		if diff := cmp.Diff(wantGroup, got); diff != "" {
			t.Errorf("after %s (-want +got):\n%s", tc.body, diff)
		}
	}

	// The list: every group, with its APIs and how many grants are open.
	rec = w.call(am, "GET", "/api/v1/access-groups", "")
	want(t, "list", rec, http.StatusOK, "")
	counts := map[string]int{}
	for _, it := range decodeBody[list[accessGroupBody]](t, rec).Items {
		counts[it.Name] = it.OpenGrants
	}
	if diff := cmp.Diff(map[string]int{"Fleet basics": 1, "Port operations": 1, "Quay cranes": 0}, counts); diff != "" {
		t.Errorf("open grants by group (-want +got):\n%s", diff)
	}

	// Grant it to Harbor's admin, who held nothing: it applies at once.
	if got := w.reach(harborAdmin, w.harborAdmin).APIs; len(got) != 0 {
		t.Fatalf("Harbor's admin reaches %+v before the grant", got)
	}
	rec = w.call(am, "POST", "/api/v1/access-groups/"+id+"/grants", `{"user_id":`+idStr(w.harborAdmin)+`,"partner_id":`+idStr(w.harbor)+`}`)
	want(t, "grant", rec, http.StatusCreated, "")
	gr := decodeBody[grantBody](t, rec)
	wantGrant := grantBody{ID: gr.ID, AccessGroup: refBody{g.ID, "Quay cranes"}, Partner: refBody{w.harbor, "Harbor Logistics"},
		Grantee:   granteeBody{Type: "member", ID: w.harborAdmin, Name: "Ada Harbor", Email: pointerTo("admin@harbor.test"), Active: true},
		GrantedBy: pointerTo("Morgan Account")}
	if diff := cmp.Diff(wantGrant, gr, ignoreTimes); diff != "" {
		t.Errorf("grant (-want +got):\n%s", diff)
	}
	if gr.GrantedAt.IsZero() || gr.RevokedAt != nil {
		t.Errorf("grant times: granted %v, revoked %v", gr.GrantedAt, gr.RevokedAt)
	}
	reach := w.reach(harborAdmin, w.harborAdmin)
	var reached []string
	for _, a := range reach.APIs {
		reached = append(reached, a.Slug+" "+strings.Join(a.Scopes, ","))
	}
	if diff := cmp.Diff([]string{"fleet fleet:read", "maintenance maintenance:read"}, reached); diff != "" {
		t.Errorf("Harbor's admin reaches (-want +got):\n%s", diff)
	}
	if w.group(am, g.ID).OpenGrants != 1 {
		t.Errorf("open grants after the grant != 1")
	}

	// The grant is audited, with who made it, for Harbor.
	var ev struct {
		ActorID   *int64          `db:"actor_id"`
		PartnerID *int64          `db:"partner_id"`
		Target    string          `db:"target"`
		Details   json.RawMessage `db:"details"`
	}
	if err := w.store.DB().Get(&ev, `SELECT actor_id, partner_id, target, details FROM audit_events
		WHERE action = 'grant.create' AND target_type = 'grant' AND target_id = $1`, gr.ID); err != nil {
		t.Fatalf("audit event of the grant: %v", err)
	}
	var details map[string]any
	_ = json.Unmarshal(ev.Details, &details)
	if ev.ActorID == nil || *ev.ActorID != w.am || ev.PartnerID == nil || *ev.PartnerID != w.harbor || ev.Target != "Quay cranes" ||
		details["grantee"] != "Ada Harbor" || details["email"] != "admin@harbor.test" {
		t.Errorf("audit event = actor %v partner %v target %q details %s", ev.ActorID, ev.PartnerID, ev.Target, ev.Details)
	}

	// A granted group cannot be deleted: 409 naming the partner.
	rec = w.call(am, "DELETE", "/api/v1/access-groups/"+id, "")
	want(t, "delete granted", rec, http.StatusConflict, "still_granted")
	if msg := decodeBody[apiError](t, rec).Error.Message; !strings.Contains(msg, "Harbor Logistics") || !strings.Contains(msg, "Revoke") {
		t.Errorf("refusal %q does not name the partner and the way out", msg)
	}
	want(t, "still there", w.call(am, "GET", "/api/v1/access-groups/"+id, ""), http.StatusOK, "")

	// Revoke: the grant stays, revoked; access narrows at once; again is a no-op.
	grantPath := "/api/v1/access-groups/" + id + "/grants/" + idStr(gr.ID)
	want(t, "revoke", w.call(am, "DELETE", grantPath, ""), http.StatusNoContent, "")
	want(t, "revoke again", w.call(am, "DELETE", grantPath, ""), http.StatusNoContent, "")
	want(t, "revoke through another group", w.call(am, "DELETE", "/api/v1/access-groups/"+idStr(w.portOps)+"/grants/"+idStr(gr.ID), ""), http.StatusNotFound, "not_found")
	grants := w.groupGrants(am, g.ID)
	if len(grants) != 1 || grants[0].RevokedAt == nil || grants[0].RevokedBy == nil || *grants[0].RevokedBy != "Morgan Account" {
		t.Errorf("grants after the revocation = %+v", grants)
	}
	if got := w.reach(harborAdmin, w.harborAdmin).APIs; len(got) != 0 {
		t.Errorf("Harbor's admin still reaches %+v after the revocation", got)
	}
	var revokes int
	if err := w.store.DB().Get(&revokes, `SELECT count(*) FROM audit_events WHERE action = 'grant.revoke' AND target_id = $1`, gr.ID); err != nil || revokes != 1 {
		t.Errorf("grant.revoke events = %d (%v), want 1", revokes, err)
	}

	// Remove an API; removing it again is a 404.
	want(t, "remove fleet", w.call(am, "DELETE", "/api/v1/access-groups/"+id+"/apis/fleet", ""), http.StatusNoContent, "")
	want(t, "remove fleet again", w.call(am, "DELETE", "/api/v1/access-groups/"+id+"/apis/fleet", ""), http.StatusNotFound, "not_found")
	if got := w.group(am, g.ID).APIs; len(got) != 1 || got[0].Slug != "maintenance" {
		t.Errorf("APIs after removing fleet = %+v", got)
	}

	// Delete once nobody holds it.
	want(t, "delete", w.call(am, "DELETE", "/api/v1/access-groups/"+id, ""), http.StatusNoContent, "")
	for _, path := range []string{"/api/v1/access-groups/" + id, "/api/v1/access-groups/" + id + "/grants"} {
		want(t, "GET "+path+" after deletion", w.call(am, "GET", path, ""), http.StatusNotFound, "not_found")
	}
	want(t, "delete again", w.call(am, "DELETE", "/api/v1/access-groups/"+id, ""), http.StatusNotFound, "not_found")
	var actions []string
	if err := w.store.DB().Select(&actions, `SELECT action FROM audit_events WHERE target_type = 'access_group' AND target_id = $1 ORDER BY id`, g.ID); err != nil {
		t.Fatal(err)
	}
	wantActions := []string{"access_group.create", "access_group.api_include", "access_group.api_include", "access_group.api_include",
		"access_group.update", "access_group.update", "access_group.update", "access_group.api_remove", "access_group.delete"}
	if diff := cmp.Diff(wantActions, actions); diff != "" {
		t.Errorf("audit trail of the group (-want +got):\n%s", diff)
	}
}

func TestAccessGroupRefusals(t *testing.T) {
	t.Parallel()
	w := newAccessWorld(t)
	am := w.signIn("am@portico.test")
	basics := "/api/v1/access-groups/" + idStr(w.fleetBasics)
	grants := basics + "/grants"
	grantTo := func(fields string) string { return "{" + fields + "}" }
	harborP, craneP := `"partner_id":`+idStr(w.harbor), `"partner_id":`+idStr(w.crane)
	before := w.countGrants()
	ctx := context.Background()
	telemetry, err := w.store.APIBySlug(ctx, "telemetry")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.SetAPIStatus(ctx, telemetry.ID, store.APIRetired, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, body string
		// off: the request breaks the document on purpose.
		off       bool
		status    int
		code      string
		inMessage string
	}{
		{"user of another partner", "POST", grants, grantTo(`"user_id":` + idStr(w.craneDev) + `,` + harborP), false, 422, "invalid_input", "user_id: Dan Crane is not part of Harbor Logistics but of Crane Works"},
		{"team of another partner", "POST", grants, grantTo(`"team_id":` + idStr(w.integrations) + `,` + craneP), false, 422, "invalid_input", "team_id: team Integrations is not part of Crane Works"},
		{"holds it already", "POST", grants, grantTo(`"user_id":` + idStr(w.craneDev) + `,` + craneP), false, 422, "invalid_input", "user_id: Dan Crane of Crane Works holds Fleet basics already"},
		{"staff", "POST", grants, grantTo(`"user_id":` + idStr(w.am) + `,` + craneP), false, 422, "invalid_input", "user_id: "},
		{"unknown team", "POST", grants, grantTo(`"team_id":999999,` + craneP), false, 422, "invalid_input", "team_id: "},
		// To an account manager a partner that does not exist is like one
		// they do not manage: not found.
		{"unknown partner", "POST", grants, grantTo(`"user_id":` + idStr(w.craneDev) + `,"partner_id":999999`), false, 404, "not_found", "was not found"},
		{"no partner", "POST", grants, grantTo(`"user_id":` + idStr(w.craneDev)), true, 422, "invalid_input", "partner_id: "},
		{"both grantees", "POST", grants, grantTo(`"user_id":` + idStr(w.craneDev) + `,"team_id":` + idStr(w.integrations) + `,` + craneP), true, 422, "invalid_input", "user_id: "},
		{"no grantee", "POST", grants, grantTo(craneP), true, 422, "invalid_input", "team_id: "},
		{"unknown field", "POST", grants, grantTo(craneP + `,"group":"x"`), true, 400, "bad_request", `"group"`},
		{"unknown group", "POST", "/api/v1/access-groups/999999/grants", grantTo(`"user_id":` + idStr(w.harborAdmin) + `,` + harborP), false, 404, "not_found", "access group"},
		{"delete granted", "DELETE", basics, "", false, 409, "still_granted", "Crane Works"},
		{"taken name", "POST", "/api/v1/access-groups", `{"name":"fleet BASICS"}`, false, 422, "invalid_input", "name: "},
		{"blank name", "PATCH", basics, `{"name":"  "}`, false, 422, "invalid_input", "name: "},
		{"rate 0", "PATCH", basics, `{"rate_limit_per_minute":0}`, true, 422, "invalid_input", "rate_limit_per_minute: "},
		{"quota as text", "PATCH", basics, `{"monthly_quota":"lots"}`, true, 422, "invalid_input", "monthly_quota: "},
		{"quota 0", "POST", "/api/v1/access-groups", `{"name":"Zero","monthly_quota":0}`, true, 422, "invalid_input", "monthly_quota: "},
		{"no name", "POST", "/api/v1/access-groups", `{"description":"x"}`, true, 422, "invalid_input", "name: "},
		{"scope not declared", "PUT", basics + "/apis/fleet", `{"scopes":["fleet:write"]}`, false, 422, "invalid_input", "scopes: "},
		{"no scope", "PUT", basics + "/apis/fleet", `{"scopes":[]}`, true, 422, "invalid_input", "scopes: "},
		{"retired API", "PUT", basics + "/apis/telemetry", `{"scopes":["telemetry:read"]}`, false, 422, "invalid_input", "slug: Telemetry API is retired"},
		{"unknown API", "PUT", basics + "/apis/no-such-api", `{"scopes":["x"]}`, false, 404, "not_found", "API"},
		{"API not included", "DELETE", basics + "/apis/telemetry", "", false, 404, "not_found", "does not include"},
		{"unknown grant", "DELETE", grants + "/999999", "", false, 404, "not_found", "grant"},
		{"form body", "POST", "/api/v1/access-groups", "name=x", true, 415, "unsupported_media_type", "application/json"},
	}
	for _, tc := range tests {
		var r *httptest.ResponseRecorder
		switch {
		case tc.name == "form body":
			r = w.callOff(am, tc.method, tc.path, tc.body, "application/x-www-form-urlencoded")
		case tc.off:
			r = w.callOff(am, tc.method, tc.path, tc.body, "application/json")
		default:
			r = w.call(am, tc.method, tc.path, tc.body)
		}
		want(t, tc.name, r, tc.status, tc.code)
		if msg := decodeBody[apiError](t, r).Error.Message; !strings.Contains(msg, tc.inMessage) {
			t.Errorf("%s: message %q lacks %q", tc.name, msg, tc.inMessage)
		}
	}
	if got := w.countGrants(); got != before {
		t.Errorf("grants = %d after refusals, want %d", got, before)
	}
	g := w.group(am, w.fleetBasics)
	if g.Name != "Fleet basics" || g.RateLimitPerMinute != 120 || g.MonthlyQuota != nil || len(g.APIs) != 1 || g.OpenGrants != 1 {
		t.Errorf("Fleet basics after refusals = %+v", g)
	}
}

// staffEndpoints is every staff-only access operation on Fleet basics and
// its grant, each with a body the document accepts.
func (w *accessWorld) staffEndpoints() []struct{ method, path, body string } {
	g := "/api/v1/access-groups/" + idStr(w.fleetBasics)
	return []struct{ method, path, body string }{
		{"GET", "/api/v1/access-groups", ""},
		{"POST", "/api/v1/access-groups", `{"name":"Sneaky","rate_limit_per_minute":100000}`},
		{"GET", g, ""},
		{"PATCH", g, `{"rate_limit_per_minute":100000,"monthly_quota":null}`},
		{"DELETE", g, ""},
		{"PUT", g + "/apis/maintenance", `{"scopes":["maintenance:write"]}`},
		{"DELETE", g + "/apis/fleet", ""},
		{"GET", g + "/grants", ""},
		{"POST", g + "/grants", `{"user_id":` + idStr(w.harborDev) + `,"partner_id":` + idStr(w.harbor) + `}`},
		{"DELETE", g + "/grants/" + idStr(w.fleetBasicsGrant), ""},
	}
}

func TestAccessGroupsStaffOnly(t *testing.T) {
	t.Parallel()
	w := newAccessWorld(t)
	am := w.signIn("am@portico.test")
	before := w.group(am, w.fleetBasics)
	beforeGrants := w.groupGrants(am, w.fleetBasics)
	harborAdmin := w.signIn("admin@harbor.test")
	// A partner admin's token with every portal scope it may hold: no
	// scope opens the staff operations.
	tok := w.createToken(harborAdmin, "live", "portal:access:read", "portal:teams:write", "portal:members:write").Token

	callers := []struct {
		name string
		send func(method, path, body string) *httptest.ResponseRecorder
	}{
		{"harbor admin", func(m, p, b string) *httptest.ResponseRecorder { return w.call(harborAdmin, m, p, b) }},
		{"harbor developer", func(m, p, b string) *httptest.ResponseRecorder { return w.call(w.signIn("dev@harbor.test"), m, p, b) }},
		{"crane admin", func(m, p, b string) *httptest.ResponseRecorder { return w.call(w.signIn("admin@crane.test"), m, p, b) }},
		{"crane developer", func(m, p, b string) *httptest.ResponseRecorder { return w.call(w.signIn("dev@crane.test"), m, p, b) }},
		{"harbor admin's token", func(m, p, b string) *httptest.ResponseRecorder { return w.bearer(tok, m, p, b) }},
	}
	for _, c := range callers {
		for _, ep := range w.staffEndpoints() {
			want(t, c.name+" "+ep.method+" "+ep.path, c.send(ep.method, ep.path, ep.body), http.StatusForbidden, "forbidden")
		}
	}
	for _, ep := range w.staffEndpoints() {
		rec := w.call("", ep.method, ep.path, ep.body)
		want(t, "signed out "+ep.method+" "+ep.path, rec, http.StatusUnauthorized, "unauthorized")
	}

	if diff := cmp.Diff(before, w.group(am, w.fleetBasics)); diff != "" {
		t.Errorf("Fleet basics changed by refused calls (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(beforeGrants, w.groupGrants(am, w.fleetBasics)); diff != "" {
		t.Errorf("Fleet basics' grants changed by refused calls (-before +after):\n%s", diff)
	}
	var groups int
	if err := w.store.DB().Get(&groups, `SELECT count(*) FROM access_groups`); err != nil || groups != 2 {
		t.Errorf("access groups = %d (%v), want the 2 demo ones", groups, err)
	}

	// Both kinds of staff may.
	for _, email := range []string{"am@portico.test", "admin@portico.test"} {
		want(t, email+" lists", w.call(w.signIn(email), "GET", "/api/v1/access-groups", ""), http.StatusOK, "")
	}
}

func TestPartnerGrants(t *testing.T) {
	t.Parallel()
	w := newAccessWorld(t)
	harborAdmin := w.signIn("admin@harbor.test")
	craneAdmin := w.signIn("admin@crane.test")
	am := w.signIn("am@portico.test")

	quota := int64(100000)
	portOps := accessGroupBody{ID: w.portOps, Name: "Port operations", Description: "Fleet, telemetry and maintenance, read and write.",
		RateLimitPerMinute: 600, MonthlyQuota: &quota, APIs: []groupAPIBody{
			{Slug: "fleet", Name: "Fleet API", Status: "active", Scopes: []string{"fleet:read"}},
			{Slug: "maintenance", Name: "Maintenance API", Status: "active", Scopes: []string{"maintenance:read", "maintenance:write"}},
			{Slug: "telemetry", Name: "Telemetry API", Status: "active", Scopes: []string{"telemetry:read"}},
		}}
	fleetBasics := accessGroupBody{ID: w.fleetBasics, Name: "Fleet basics", Description: "Read the fleet and its live status.",
		RateLimitPerMinute: 120, APIs: []groupAPIBody{{Slug: "fleet", Name: "Fleet API", Status: "active", Scopes: []string{"fleet:read"}}}}
	harbor := []partnerGrantBody{{ID: w.portOpsGrant, AccessGroup: portOps,
		Grantee: granteeBody{Type: "team", ID: w.integrations, Name: "Integrations", Active: true}}}
	crane := []partnerGrantBody{{ID: w.fleetBasicsGrant, AccessGroup: fleetBasics,
		Grantee: granteeBody{Type: "member", ID: w.craneDev, Name: "Dan Crane", Email: pointerTo("dev@crane.test"), Active: true}}}

	tests := []struct {
		name   string
		cookie string
		query  string
		want   []partnerGrantBody
	}{
		{"harbor admin", harborAdmin, "", harbor},
		{"crane admin", craneAdmin, "", crane},
		// The partner comes from the credential: another one's id is ignored.
		{"harbor admin asking for crane", harborAdmin, "?partner_id=" + idStr(w.crane), harbor},
		{"crane admin asking for harbor", craneAdmin, "?partner_id=" + idStr(w.harbor), crane},
		{"staff for harbor", am, "?partner_id=" + idStr(w.harbor), harbor},
		{"staff for crane", am, "?partner_id=" + idStr(w.crane), crane},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := w.call(tc.cookie, "GET", "/api/v1/grants"+tc.query, "")
			want(t, tc.name, rec, http.StatusOK, "")
			got := decodeBody[list[partnerGrantBody]](t, rec)
			if diff := cmp.Diff(tc.want, got.Items, cmpopts.IgnoreFields(partnerGrantBody{}, "GrantedAt")); diff != "" {
				t.Errorf("grants (-want +got):\n%s", diff)
			}
			if got.NextCursor != nil || got.Items[0].GrantedAt.IsZero() {
				t.Errorf("next_cursor %v, granted_at %v", got.NextCursor, got.Items[0].GrantedAt)
			}
		})
	}

	// A grant to Crane does not show at Harbor; a revoked one shows nowhere.
	rec := w.call(am, "POST", "/api/v1/access-groups/"+idStr(w.portOps)+"/grants", `{"user_id":`+idStr(w.craneDev)+`,"partner_id":`+idStr(w.crane)+`}`)
	want(t, "grant Port operations to crane", rec, http.StatusCreated, "")
	extra := decodeBody[grantBody](t, rec).ID
	if got := decodeBody[list[partnerGrantBody]](t, w.call(harborAdmin, "GET", "/api/v1/grants", "")).Items; len(got) != 1 || got[0].ID != w.portOpsGrant {
		t.Errorf("harbor sees %+v after a grant to crane", got)
	}
	if got := decodeBody[list[partnerGrantBody]](t, w.call(craneAdmin, "GET", "/api/v1/grants", "")).Items; len(got) != 2 {
		t.Errorf("crane sees %d grants, want 2", len(got))
	}
	want(t, "revoke", w.call(am, "DELETE", "/api/v1/access-groups/"+idStr(w.portOps)+"/grants/"+idStr(extra), ""), http.StatusNoContent, "")
	if got := decodeBody[list[partnerGrantBody]](t, w.call(craneAdmin, "GET", "/api/v1/grants", "")).Items; len(got) != 1 || got[0].ID != w.fleetBasicsGrant {
		t.Errorf("crane sees %+v after the revocation", got)
	}

	// Refusals.
	for _, tc := range []struct {
		name, cookie, query string
		status              int
		code                string
	}{
		{"harbor developer", w.signIn("dev@harbor.test"), "", 403, "forbidden"},
		{"crane developer", w.signIn("dev@crane.test"), "?partner_id=" + idStr(w.crane), 403, "forbidden"},
		{"staff without a partner", am, "", 400, "bad_request"},
		{"staff with an unknown partner", am, "?partner_id=999999", 404, "not_found"},
		{"signed out", "", "", 401, "unauthorized"},
	} {
		want(t, tc.name, w.call(tc.cookie, "GET", "/api/v1/grants"+tc.query, ""), tc.status, tc.code)
	}

	// A partner admin's token: with portal:access:read it reads the same;
	// without, insufficient_scope.
	reader := w.createToken(harborAdmin, "live", "portal:access:read").Token
	rec = w.bearer(reader, "GET", "/api/v1/grants?partner_id="+idStr(w.crane), "")
	want(t, "token with portal:access:read", rec, http.StatusOK, "")
	if got := decodeBody[list[partnerGrantBody]](t, rec).Items; len(got) != 1 || got[0].ID != w.portOpsGrant {
		t.Errorf("the token reads %+v", got)
	}
	other := w.createToken(harborAdmin, "live", "portal:teams:read").Token
	rec = w.bearer(other, "GET", "/api/v1/grants", "")
	want(t, "token without portal:access:read", rec, http.StatusForbidden, "insufficient_scope")
	if h := rec.Header().Get("WWW-Authenticate"); !strings.Contains(h, `scope="portal:access:read"`) {
		t.Errorf("WWW-Authenticate = %q", h)
	}
}

func TestMemberAccess(t *testing.T) {
	t.Parallel()
	w := newAccessWorld(t)
	harborAdmin := w.signIn("admin@harbor.test")
	am := w.signIn("am@portico.test")
	quota := int64(100000)
	viaPort := []groupLimitBody{{ID: w.portOps, Name: "Port operations", RateLimitPerMinute: 600, MonthlyQuota: &quota}}
	viaBasics := []groupLimitBody{{ID: w.fleetBasics, Name: "Fleet basics", RateLimitPerMinute: 120}}
	harborDev := []apiReachBody{
		{Slug: "fleet", Name: "Fleet API", Status: "active", Scopes: []string{"fleet:read"}, Via: viaPort},
		{Slug: "maintenance", Name: "Maintenance API", Status: "active", Scopes: []string{"maintenance:read", "maintenance:write"}, Via: viaPort},
		{Slug: "telemetry", Name: "Telemetry API", Status: "active", Scopes: []string{"telemetry:read"}, Via: viaPort},
	}
	craneDev := []apiReachBody{{Slug: "fleet", Name: "Fleet API", Status: "active", Scopes: []string{"fleet:read"}, Via: viaBasics}}

	tests := []struct {
		name      string
		cookie    string
		member    int64
		email     string
		want      []apiReachBody
		status    int
		errorCode string
	}{
		{"harbor admin: own developer through the team", harborAdmin, w.harborDev, "dev@harbor.test", harborDev, 200, ""},
		{"harbor admin: self, granted nothing", harborAdmin, w.harborAdmin, "admin@harbor.test", []apiReachBody{}, 200, ""},
		{"harbor admin: crane's developer", harborAdmin, w.craneDev, "", nil, 404, "not_found"},
		{"harbor admin: staff", harborAdmin, w.am, "", nil, 404, "not_found"},
		{"harbor admin: unknown", harborAdmin, 999999, "", nil, 404, "not_found"},
		{"crane admin: own developer, directly", w.signIn("admin@crane.test"), w.craneDev, "dev@crane.test", craneDev, 200, ""},
		{"crane admin: harbor's developer", w.signIn("admin@crane.test"), w.harborDev, "", nil, 404, "not_found"},
		{"harbor developer: self", w.signIn("dev@harbor.test"), w.harborDev, "", nil, 403, "forbidden"},
		{"staff: crane's developer", am, w.craneDev, "dev@crane.test", craneDev, 200, ""},
		{"staff: harbor's developer", am, w.harborDev, "dev@harbor.test", harborDev, 200, ""},
		{"staff: staff", am, w.am, "", nil, 404, "not_found"},
		{"signed out", "", w.harborDev, "", nil, 401, "unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := w.call(tc.cookie, "GET", "/api/v1/members/"+idStr(tc.member)+"/access", "")
			want(t, tc.name, rec, tc.status, tc.errorCode)
			if tc.status != http.StatusOK {
				return
			}
			got := decodeBody[memberAccessBody](t, rec)
			if got.Member.ID != tc.member || got.Member.Email != tc.email {
				t.Errorf("member = %+v", got.Member)
			}
			if diff := cmp.Diff(tc.want, got.APIs); diff != "" {
				t.Errorf("reach (-want +got):\n%s", diff)
			}
		})
	}

	// Another partner's member and an unknown id answer alike.
	a := decodeBody[apiError](t, w.call(harborAdmin, "GET", "/api/v1/members/"+idStr(w.craneDev)+"/access", "")).Error
	b := decodeBody[apiError](t, w.call(harborAdmin, "GET", "/api/v1/members/999999/access", "")).Error
	if a.Code != b.Code || a.Message != b.Message {
		t.Errorf("another partner's member %+v and an unknown one %+v answer differently", a, b)
	}

	// Taking the developer out of the team narrows their reach at once.
	want(t, "out of the team", w.call(harborAdmin, "DELETE", "/api/v1/teams/"+idStr(w.integrations)+"/members/"+idStr(w.harborDev), ""), http.StatusNoContent, "")
	if got := w.reach(harborAdmin, w.harborDev).APIs; len(got) != 0 {
		t.Errorf("after leaving the team the developer reaches %+v", got)
	}

	// A partner admin's token with portal:access:read.
	tok := w.createToken(harborAdmin, "live", "portal:access:read").Token
	want(t, "token", w.bearer(tok, "GET", "/api/v1/members/"+idStr(w.harborAdmin)+"/access", ""), http.StatusOK, "")
	want(t, "token, crane's developer", w.bearer(tok, "GET", "/api/v1/members/"+idStr(w.craneDev)+"/access", ""), http.StatusNotFound, "not_found")
}
