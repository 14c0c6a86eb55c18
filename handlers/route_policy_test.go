package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// The decisions a route can have for an account manager who is not
// assigned to partner B and asks for B's resources.
const (
	// decHidden: B's resource answers 404, as one that does not exist.
	decHidden = "404 hidden"
	// decRole: the account manager's role may not do this for any partner
	// (partner users' own pages, platform admins' pages): 403.
	decRole = "403 by role"
	// decScoped: a list that spans partners, bounded by the account
	// manager's book: 200, and B's rows are not in it.
	decScoped = "scoped list"
	// decUnscoped: not partner-scoped (the provider's catalog, the
	// account manager's own account, public pages); why says which, and
	// the request names nothing of B.
	decUnscoped = "not partner-scoped"
)

// routePolicy is the decision for one route of the router, and the
// request that checks it.
type routePolicy struct {
	// route is "METHOD /path" exactly as the router has it.
	route string
	// url is the request's path and query, with B's ids in braces
	// ({partner}, {token}, ...); empty is the route's own path.
	url string
	// body is the form (pages) or the JSON (/api/v1) sent.
	body string
	// want is the status answered.
	want int
	// decision is one of the decisions above; why says, for a route that
	// is not partner-scoped, why not.
	decision, why string
	// htmx sends the request as htmx does (HX-Request), for fragments.
	htmx bool
	// fresh runs the request in a session of its own, and signs in again
	// after it (signing out ends every session of the user).
	fresh bool
}

// TestEveryRouteFollowsTheAssignment: every route of the router, pages and
// /api/v1, has a policy decision for an account manager who is not
// assigned to partner B, and each is checked for real against B's
// resources: the status, nothing of B (its name, its members' names and
// emails, its team, token and alert) in the answer, and nothing of B
// changed after it. A route without an entry fails, naming itself; so does
// an entry for a route that is gone.
func TestEveryRouteFollowsTheAssignment(t *testing.T) {
	t.Parallel()
	w := newRouteWorld(t)
	table := routePolicies()

	byRoute := map[string]routePolicy{}
	for _, e := range table {
		if _, dup := byRoute[e.route]; dup {
			t.Errorf("%s has two entries in the policy table", e.route)
		}
		if !slices.Contains([]string{decHidden, decRole, decScoped, decUnscoped}, e.decision) {
			t.Errorf("%s: unknown decision %q", e.route, e.decision)
		}
		if (e.decision == decUnscoped) != (e.why != "") {
			t.Errorf("%s is %s: a route that is not partner-scoped says why, and only such a route", e.route, e.decision)
		}
		byRoute[e.route] = e
	}
	routes := map[string]bool{}
	for _, r := range w.app.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		key := r.Method + " " + r.Path
		routes[key] = true
		if _, ok := byRoute[key]; !ok {
			t.Errorf("%s has no policy decision: add an entry to routePolicies (handlers/route_policy_table_test.go) saying what an account manager not assigned to a partner gets from it", key)
		}
	}
	for _, e := range table {
		if !routes[e.route] {
			t.Errorf("%s is in the policy table but not in the router: remove its entry", e.route)
		}
	}
	// The state of B sees a change (and its undoing): a request that did
	// change B could not pass unnoticed.
	before := w.stateOfB(t)
	w.p.exec(t, `UPDATE tokens SET revoked_at = now() WHERE id = `+w.ids["token"])
	if w.stateOfB(t) == before {
		t.Fatal("the state of B does not see a revoked token")
	}
	w.p.exec(t, `UPDATE tokens SET revoked_at = NULL WHERE id = `+w.ids["token"])
	if w.stateOfB(t) != before {
		t.Fatal("the state of B differs after undoing a change")
	}

	// Each request is one of its own route: a mistyped URL would answer
	// 404 for the wrong reason.
	for _, e := range table {
		method, u := strings.Fields(e.route)[0], w.fill(e)
		c := w.app.NewContext(nil, nil)
		w.app.Router().Find(method, strings.SplitN(u, "?", 2)[0], c)
		if got := method + " " + c.Path(); got != e.route {
			t.Errorf("%s: the request %s %s goes to %s", e.route, method, u, got)
		}
	}
	if t.Failed() {
		return
	}

	for _, e := range table {
		t.Run(e.route, func(t *testing.T) {
			b := w.am
			if e.fresh {
				b = signedInAs(t, w.p, "am@portico.test")
			}
			before := w.stateOfB(t)
			status, body := w.send(t, b, e)
			if status != e.want {
				t.Errorf("%s %s as the unassigned account manager = %d, want %d (%s): %.300s", strings.Fields(e.route)[0], w.fill(e), status, e.want, e.decision, gist(body))
			}
			for _, s := range w.secrets {
				if strings.Contains(body, s) {
					t.Errorf("the answer shows B's %q (%s)", s, e.decision)
				}
			}
			if after := w.stateOfB(t); after != before {
				t.Errorf("B changed:\nbefore %s\nafter  %s", before, after)
			}
			if e.fresh {
				// Signing out ends every session of the user.
				w.am = signedInAs(t, w.p, "am@portico.test")
			}
		})
	}

	// The 404s are the policy's: the platform admin, who manages every
	// partner, finds each of B's resources the account manager was not
	// shown (even where the admin's role may not act on it: 403, 409).
	admin := signedInAs(t, w.p, "admin@portico.test")
	for _, e := range table {
		if e.decision != decHidden || !strings.HasPrefix(e.route, "GET ") {
			continue
		}
		if status, body := w.send(t, admin, e); status == http.StatusNotFound || status >= 500 {
			t.Errorf("control: %s as the platform admin = %d, want it found: %.300s", w.fill(e), status, gist(body))
		}
	}
}

// routeWorld is the demo portal with the catalog, where B (Crane Works)
// has a team, a pending invitation, a live token with usage, an alert,
// audit events, a grant and an account manager of its own, and the demo
// account manager is assigned to Harbor Logistics only.
type routeWorld struct {
	p       *portal
	app     *echo.Echo
	am      *browser
	ids     map[string]string
	secrets []string
}

func newRouteWorld(t *testing.T) *routeWorld {
	t.Helper()
	ctx := context.Background()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	p := &portal{srv: srv, store: st}
	w := &routeWorld{p: p, app: app, ids: map[string]string{},
		secrets: []string{"Crane Works", "crane-works", "Cleo Crane", "admin@crane.test", "Dan Crane", "dev@crane.test",
			"Crane Night Shift", "crane-secret-token", "invitee@crane.test", "Crane was throttled"}}

	crane := signedInAs(t, p, "admin@crane.test")
	team := createTeam(t, crane, "Crane Night Shift")
	if res := crane.post(teamPath(team, "members"), idValue(p.userID(t, "dev@crane.test"))); res.status != http.StatusSeeOther {
		t.Fatalf("add Crane's developer to its team = %d", res.status)
	}
	if res := crane.post("/members/invitations", url.Values{"email": {"invitee@crane.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Fatalf("invite to Crane = %d", res.status)
	}
	w.ids["partner"] = itoa(p.partnerID(t, "crane-works"))
	w.ids["team"] = itoa(team)
	w.ids["member"] = itoa(p.userID(t, "dev@crane.test"))
	w.ids["invitation"] = p.id(t, `SELECT id FROM invitations WHERE email = 'invitee@crane.test'`)
	w.ids["token"] = p.id(t, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT id, partner_id, 'crane-secret-token', 'live', decode(md5('crane-secret-token'), 'hex'), 'ptc_live_…c5e7', '{fleet/fleet:read}', now() + interval '30 days'
		FROM users WHERE email = 'dev@crane.test' RETURNING id`)
	tokenID := mustInt(t, w.ids["token"])
	alert, _, err := st.RaiseAlert(ctx, store.NewAlert{PartnerID: mustInt(t, w.ids["partner"]), TokenID: &tokenID, Rule: "rate_limited",
		Cause: "route policy", Message: "Crane was throttled 40 times."})
	if err != nil {
		t.Fatal(err)
	}
	w.ids["alert"] = itoa(alert)
	var batch []calls.Call
	for range 5 {
		batch = append(batch, calls.Call{At: time.Now(), API: "fleet", Operation: "listSpreaders", Status: 200, Latency: time.Millisecond,
			Method: "GET", Path: "/fleet/spreaders", TokenID: tokenID, PartnerID: mustInt(t, w.ids["partner"]), Environment: "live"})
	}
	writeCalls(t, st, batch)
	// B's grant, of a group only B holds; a spare group nobody holds for
	// the changes to the shared catalog.
	w.ids["group"] = p.id(t, `SELECT id FROM access_groups WHERE name = 'Fleet basics'`)
	w.ids["grant"] = p.id(t, `SELECT id FROM grants WHERE access_group_id = $1 AND partner_id = $2`, w.ids["group"], w.ids["partner"])
	w.ids["spare"] = p.id(t, `INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('Route spare', 60) RETURNING id`)
	p.exec(t, `INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT `+w.ids["spare"]+`, id, CASE slug WHEN 'fleet' THEN '{fleet:read}'::text[] ELSE '{telemetry:read}'::text[] END FROM apis WHERE slug IN ('fleet', 'telemetry')`)

	// The account manager is Harbor's only; B is another account
	// manager's.
	am := p.userID(t, "am@portico.test")
	if _, err := st.UnassignManager(ctx, mustInt(t, w.ids["partner"]), am); err != nil {
		t.Fatal(err)
	}
	w.ids["am"] = itoa(am)
	w.ids["manager"] = p.id(t, `INSERT INTO users (email, name, role) VALUES ('riley@portico.test', 'Riley Book', 'account_manager') RETURNING id`)
	if _, err := st.AssignManager(ctx, mustInt(t, w.ids["partner"]), mustInt(t, w.ids["manager"]), 0); err != nil {
		t.Fatal(err)
	}
	w.am = signedInAs(t, p, "am@portico.test")
	return w
}

// fill puts B's ids into the entry's URL.
func (w *routeWorld) fill(e routePolicy) string {
	u := e.url
	if u == "" {
		u = strings.Fields(e.route)[1]
	}
	for k, v := range w.ids {
		u = strings.ReplaceAll(u, "{"+k+"}", v)
	}
	return u
}

// send makes the entry's request as b: JSON for /api/v1, a form for pages.
func (w *routeWorld) send(t *testing.T, b *browser, e routePolicy) (int, string) {
	t.Helper()
	method, u := strings.Fields(e.route)[0], w.fill(e)
	if strings.Contains(u, "{") {
		t.Fatalf("%s: no id for a placeholder in %s", e.route, u)
	}
	var body io.Reader
	if e.body != "" {
		body = strings.NewReader(w.fill(routePolicy{url: e.body}))
	}
	req, err := http.NewRequest(method, b.base+u, body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(u, "/api/v1/") {
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if e.htmx {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(data) + fmt.Sprint(resp.Header)
}

// stateOfB is every row of B in the tables a request could change (those
// with a partner_id, and its teams' memberships), less the audit trail and
// the usage, which record requests rather than B's state.
func (w *routeWorld) stateOfB(t *testing.T) string {
	t.Helper()
	var tables []string
	if err := w.p.store.DB().Select(&tables, `
		SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE a.attname = 'partner_id' AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND n.nspname = current_schema() AND c.relname NOT LIKE 'audit%' AND c.relname NOT LIKE 'api_call%' AND c.relname NOT LIKE 'api_usage%'
		ORDER BY c.relname`); err != nil {
		t.Fatal(err)
	}
	partner := w.ids["partner"]
	var out []string
	for _, tb := range append(tables, "partners", "team_memberships") {
		where := "partner_id = " + partner
		switch tb {
		case "partners":
			where = "id = " + partner
		case "team_memberships":
			where = "team_id IN (SELECT id FROM teams WHERE partner_id = " + partner + ")"
		}
		var digest string
		if err := w.p.store.DB().Get(&digest, `SELECT count(*) || ':' || coalesce(md5(string_agg(row_to_json(x)::text, ',' ORDER BY row_to_json(x)::text)), '')
			FROM `+tb+` x WHERE `+where); err != nil {
			t.Fatalf("state of B in %s: %v", tb, err)
		}
		out = append(out, tb+"="+digest)
	}
	return strings.Join(out, " ")
}

// gist is the readable part of an answer for a failure message: the JSON
// as it is, a page's main text.
func gist(body string) string {
	if strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[") {
		return body
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		return body
	}
	return strings.Join(strings.Fields(doc.Find("main").Text()), " ")
}
