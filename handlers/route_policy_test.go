package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
)

// TestEveryRouteByEveryActor: every route of the router, pages and
// /api/v1, is tried on partner B's resources by every actor (matrixActors):
// the anonymous visitor, A's developer and partner admin, B's own
// developer and partner admin, B's account manager, an account manager not
// assigned to B, and the platform admin. The status each gets is computed
// from the policy package (the entry's rule, see expect), so the test
// checks the handlers against internal/access. Beyond the status: an actor
// who does not see B finds nothing of B (its name, its members' names and
// emails, its team, token, alert, account manager) in any answer; a
// refused request changes nothing of B. A route without an entry fails,
// naming itself; so does an entry for a route that is gone, and one whose
// request goes to another route.
func TestEveryRouteByEveryActor(t *testing.T) {
	t.Parallel()
	start := time.Now()
	w := newRouteWorld(t)
	built := time.Since(start)
	table := routePolicies()
	first := w.copy(t)
	checkTable(t, first, table)
	if t.Failed() {
		return
	}
	// The state of B sees a change (and its undoing): a request that did
	// change B could not pass unnoticed.
	before := first.stateOfB(t)
	first.p.exec(t, `UPDATE tokens SET revoked_at = now() WHERE id = `+w.ids["token"])
	if first.stateOfB(t) == before {
		t.Fatal("the state of B does not see a revoked token")
	}
	first.p.exec(t, `UPDATE tokens SET revoked_at = NULL WHERE id = `+w.ids["token"])
	if first.stateOfB(t) != before {
		t.Fatal("the state of B differs after undoing a change")
	}

	var copies int
	cells := map[string]int{}
	t.Run("matrix", func(t *testing.T) {
		for _, a := range w.actors {
			want := map[string]expectation{}
			for _, e := range table {
				want[e.route] = expect(e, a, w.target)
				cells[want[e.route].kind()]++
				if e.alone && want[e.route].allowed {
					copies++
				}
			}
			t.Run(a.name, func(t *testing.T) {
				t.Parallel()
				shared := w.copy(t)
				for _, e := range inOrder(table) {
					t.Run(e.route, func(t *testing.T) { shared.tryCell(t, a, e, want[e.route]) })
				}
			})
		}
	})
	t.Logf("%d routes × %d actors (%v), %d changes on copies of their own, in %v (the world built in %v)", len(table), len(w.actors), cells, copies, time.Since(start).Round(time.Millisecond), built.Round(time.Millisecond))
}

// tryCell makes e's request as a and checks the answer: the status; for an
// actor who does not see B, nothing of B in it and nothing of B changed;
// for one who does, nothing changed when refused (B's own names are on
// every page they see). An allowed entry marked alone runs on a copy of
// the world of its own; everything else on the actor's copy, in order.
func (c *worldCopy) tryCell(t *testing.T, a *matrixActor, e routePolicy, want expectation) {
	if e.alone && want.allowed {
		c = c.w.copy(t)
	}
	checkState := !a.insider || !want.allowed
	var before string
	if checkState {
		// What the last check saw, unless a request changed B since.
		if before = c.state; before == "" {
			before = c.stateOfB(t)
		}
	}
	c.state = ""
	status, location, body := c.send(t, c.as(t, a), e)
	if !want.met(status, location) {
		t.Errorf("%s %s as %s = %d %s, want %s: %.300s", strings.Fields(e.route)[0], c.w.fill(e.url, e.route), a.name, status, location, want, gist(body))
	}
	if !a.insider {
		for _, s := range c.w.secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s sees B's %q", a.name, s)
			}
		}
	}
	if checkState {
		after := c.stateOfB(t)
		if after != before {
			t.Errorf("B changed:\nbefore %s\nafter  %s", before, after)
		}
		c.state = after
	}
}

// inOrder is the table with the entries marked last after the others.
func inOrder(table []routePolicy) []routePolicy {
	out := slices.Clone(table)
	slices.SortStableFunc(out, func(a, b routePolicy) int { return a.last - b.last })
	return out
}

// checkTable: every route has one entry, every entry a route, and each
// entry's request goes to its own route (a mistyped URL would answer 404
// for the wrong reason).
func checkTable(t *testing.T, c *worldCopy, table []routePolicy) {
	t.Helper()
	byRoute := map[string]bool{}
	for _, e := range table {
		if byRoute[e.route] {
			t.Errorf("%s has two entries in the policy table", e.route)
		}
		if e.rule == nil {
			t.Errorf("%s has no rule", e.route)
		}
		byRoute[e.route] = true
	}
	routes := map[string]bool{}
	for _, r := range c.app.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		key := r.Method + " " + r.Path
		routes[key] = true
		if !byRoute[key] {
			t.Errorf("%s has no policy decision: add an entry to routePolicies (handlers/route_policy_table_test.go) with the rule that decides it", key)
		}
	}
	for _, e := range table {
		if !routes[e.route] {
			t.Errorf("%s is in the policy table but not in the router: remove its entry", e.route)
		}
		method, u := strings.Fields(e.route)[0], c.w.fill(e.url, e.route)
		ec := c.app.NewContext(nil, nil)
		c.app.Router().Find(method, strings.SplitN(u, "?", 2)[0], ec)
		if got := method + " " + ec.Path(); got != e.route {
			t.Errorf("%s: the request %s %s goes to %s", e.route, method, u, got)
		}
	}
}

// fill puts B's ids into an entry's URL (the route's own path when
// empty) or body.
func (w *routeWorld) fill(s, route string) string {
	if s == "" && route != "" {
		s = strings.Fields(route)[1]
	}
	for k, v := range w.ids {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// send makes the entry's request as b: JSON for /api/v1, a form for pages.
// It answers the status, the Location and the body with the headers.
func (c *worldCopy) send(t *testing.T, b *browser, e routePolicy) (int, string, string) {
	t.Helper()
	method, u := strings.Fields(e.route)[0], c.w.fill(e.url, e.route)
	if strings.Contains(u, "{") {
		t.Fatalf("%s: no id for a placeholder in %s", e.route, u)
	}
	var body io.Reader
	if e.body != "" {
		body = strings.NewReader(c.w.fill(e.body, ""))
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
	return resp.StatusCode, resp.Header.Get("Location"), string(data) + fmt.Sprint(resp.Header)
}

// stateOfB is every row of B in the tables a request could change (those
// with a partner_id, and its teams' memberships), less the audit trail and
// the usage, which record requests rather than B's state.
func (c *worldCopy) stateOfB(t *testing.T) string {
	t.Helper()
	if c.digest == "" {
		c.digest = c.digestSQL(t)
	}
	var digest []string
	if err := c.p.store.DB().Select(&digest, c.digest); err != nil {
		t.Fatalf("state of B: %v", err)
	}
	return strings.Join(digest, " ")
}

// digestSQL is the query of stateOfB.
func (c *worldCopy) digestSQL(t *testing.T) string {
	t.Helper()
	var tables []string
	if err := c.p.store.DB().Select(&tables, `
		SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE a.attname = 'partner_id' AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND n.nspname = current_schema() AND c.relname NOT LIKE 'audit%' AND c.relname NOT LIKE 'api_call%' AND c.relname NOT LIKE 'api_usage%'
		ORDER BY c.relname`); err != nil {
		t.Fatal(err)
	}
	partner := c.w.ids["partner"]
	var parts []string
	for _, tb := range append(tables, "partners", "team_memberships", "sso_group_mappings", "sso_domains", "webhook_deliveries") {
		where := "partner_id = " + partner
		switch tb {
		case "partners":
			where = "id = " + partner
		case "team_memberships":
			where = "team_id IN (SELECT id FROM teams WHERE partner_id = " + partner + ")"
		case "sso_group_mappings", "sso_domains":
			where = "provider_id IN (SELECT id FROM identity_providers WHERE partner_id = " + partner + ")"
		case "webhook_deliveries":
			where = "endpoint_id IN (SELECT id FROM webhook_endpoints WHERE partner_id = " + partner + ")"
		}
		parts = append(parts, `SELECT '`+tb+`=' || count(*) || ':' || coalesce(md5(string_agg(row_to_json(x)::text, ',' ORDER BY row_to_json(x)::text)), '') FROM `+tb+` x WHERE `+where)
	}
	return strings.Join(parts, " UNION ALL ")
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
