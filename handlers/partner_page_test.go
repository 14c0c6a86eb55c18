package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/calls"
)

// partnerPageWorld seeds Harbor with what its staff page summarises:
// 27 active members and a removed one, two teams, grants to a team and a
// person (and a revoked one), credentials of every kind and state, and
// calls now, 30 hours ago and 10 days ago. Crane gets a grant, a token and
// calls of its own, none of which may show on Harbor's page. It returns
// Harbor's id.
func partnerPageWorld(t *testing.T, p *portal) int64 {
	t.Helper()
	p.addHarborMembers(t, "crew", 25)
	p.exec(t, `
		INSERT INTO users (email, name, role, partner_id, status)
		SELECT 'gone@harbor.test', 'Gone Harbor', 'developer', partner_id, 'removed' FROM users WHERE email = 'admin@harbor.test';
		INSERT INTO teams (partner_id, name) SELECT partner_id, v.name FROM users, (VALUES ('Integrations'), ('Billing')) v(name)
		WHERE email = 'admin@harbor.test';
		INSERT INTO team_memberships (team_id, user_id)
		SELECT t.id, u.id FROM teams t JOIN users u ON u.partner_id = t.partner_id
		WHERE t.name = 'Integrations' AND u.email IN ('dev@harbor.test', 'admin@harbor.test');
		INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('Yard read', 600), ('Fleet all', 600);
		INSERT INTO grants (access_group_id, partner_id, team_id)
		SELECT g.id, t.partner_id, t.id FROM access_groups g, teams t WHERE g.name = 'Yard read' AND t.name = 'Integrations';
		INSERT INTO grants (access_group_id, partner_id, user_id, revoked_at)
		SELECT g.id, u.partner_id, u.id, CASE WHEN g.name = 'Yard read' THEN now() END
		FROM access_groups g, users u WHERE u.email IN ('dev@harbor.test', 'dev@crane.test');
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, pending, revoked_at, console, client_id)
		SELECT u.id, u.partner_id, v.name, v.env, decode(md5(v.name), 'hex'), 'ptc_…', '{yard/yard:read}',
		       now() + v.expires * interval '1 day', v.pending, CASE WHEN v.revoked THEN now() END, v.console, v.client
		FROM (VALUES ('dev@harbor.test', 'live-1', 'live', 30, false, false, false, NULL),
		             ('admin@harbor.test', 'live-2', 'live', 30, false, false, false, NULL),
		             ('dev@harbor.test', 'sandbox-1', 'sandbox', 30, false, false, false, NULL),
		             ('dev@harbor.test', 'waiting', 'live', 30, true, false, false, NULL),
		             ('dev@harbor.test', 'revoked', 'live', 30, false, true, false, NULL),
		             ('dev@harbor.test', 'expired', 'sandbox', -1, false, false, false, NULL),
		             ('dev@harbor.test', 'console', 'sandbox', 1, false, false, true, NULL),
		             ('admin@harbor.test', 'machine', 'live', 30, false, false, false, 'pcl_0123456789abcdefghijkl'),
		             ('dev@crane.test', 'crane-live', 'live', 30, false, false, false, NULL)
		     ) v(email, name, env, expires, pending, revoked, console, client)
		JOIN users u ON u.email = v.email`)
	tokens := map[string][2]int64{}
	rows, err := p.store.DB().Query(`SELECT name, id, partner_id FROM tokens WHERE name IN ('live-1', 'sandbox-1', 'crane-live')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var id, partner int64
		if err := rows.Scan(&name, &id, &partner); err != nil {
			t.Fatal(err)
		}
		tokens[name] = [2]int64{id, partner}
	}
	rows.Close()
	now := time.Now()
	var batch []calls.Call
	for _, v := range []struct {
		token       string
		ago         time.Duration
		status, n   int
		environment string
	}{
		{"live-1", 0, 200, 5, "live"}, {"live-1", 0, 404, 2, "live"}, {"sandbox-1", 0, 500, 1, "sandbox"},
		{"sandbox-1", 30 * time.Hour, 200, 10, "sandbox"}, {"sandbox-1", 30 * time.Hour, 503, 3, "sandbox"},
		{"live-1", 10 * 24 * time.Hour, 200, 100, "live"},
		{"crane-live", 0, 500, 50, "live"},
	} {
		c := calls.Call{At: now.Add(-v.ago), API: "yard", Operation: "op", Status: v.status, Latency: time.Millisecond,
			Method: "GET", Path: "/yard", TokenID: tokens[v.token][0], PartnerID: tokens[v.token][1], Environment: v.environment}
		for range v.n {
			batch = append(batch, c)
		}
	}
	writeCalls(t, p.store, batch)
	return tokens["live-1"][1]
}

// cells are the rows sel finds, each its cells' texts joined by " | ".
func cells(pg page, sel string) []string {
	var out []string
	pg.doc.Find(sel).Each(func(_ int, tr *goquery.Selection) {
		var cs []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) { cs = append(cs, strings.Join(strings.Fields(td.Text()), " ")) })
		out = append(out, strings.Join(cs, " | "))
	})
	return out
}

// texts are the texts of what sel finds, spaces collapsed.
func texts(pg page, sel string) []string {
	var out []string
	pg.doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.Join(strings.Fields(s.Text()), " ")) })
	return out
}

// TestPartnerPage: an account manager's page of Harbor shows its status
// with the suspend action, its active members 20 at a time (name, email,
// role), its teams with their member counts, its open grants with links to
// their groups, its usable credentials by kind and its calls of the last
// 24 hours and 7 days, and nothing of Crane's. Suspending from the page
// comes back to it; a partner with nothing yet says what to do.
func TestPartnerPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	harbor := partnerPageWorld(t, p)
	am := signedInAs(t, p, "am@portico.test")
	path := "/partners/" + strconv.FormatInt(harbor, 10)

	dir := am.get("/partners?q=harbor")
	if got := dir.doc.Find("[data-testid=partner-page]").AttrOr("href", ""); got != path {
		t.Errorf("the directory links Harbor to %q, want %q", got, path)
	}

	pg := am.get(path)
	if pg.status != http.StatusOK {
		t.Fatalf("GET %s = %d", path, pg.status)
	}
	type summary struct {
		Heading, Status                            string
		Members, Teams, Grants                     string
		Live, Sandbox, Clients, Pending            string
		Calls, Errors                              []string
		MemberRows, TeamRows, GrantRows, GroupHref []string
	}
	got := summary{
		Heading: texts(pg, "h1")[0], Status: text(pg, "[data-testid=partner-status]"),
		Members: text(pg, "[data-testid=member-count]"), Teams: text(pg, "[data-testid=team-count]"), Grants: text(pg, "[data-testid=grant-count]"),
		Live: text(pg, "[data-testid=live-tokens]"), Sandbox: text(pg, "[data-testid=sandbox-tokens]"),
		Clients: text(pg, "[data-testid=oauth-clients]"), Pending: text(pg, "[data-testid=pending-credentials]"),
		Calls: texts(pg, "[data-testid=usage-calls]"), Errors: texts(pg, "[data-testid=usage-errors]"),
		MemberRows: cells(pg, "[data-testid=partner-member]")[:3], TeamRows: texts(pg, "[data-testid=partner-team]"),
	}
	pg.doc.Find("[data-testid=partner-grant]").Each(func(_ int, s *goquery.Selection) {
		got.GrantRows = append(got.GrantRows, s.Find("td:nth-child(2) > span").Text()+" "+s.Find("[data-testid=grantee]").Text())
	})
	pg.doc.Find("[data-testid=partner-grant] td:first-child a").Each(func(_ int, s *goquery.Selection) {
		got.GroupHref = append(got.GroupHref, s.Text()+" "+s.AttrOr("href", ""))
	})
	want := summary{
		Heading: "Harbor Logistics Active", Status: "Active",
		Members: "27 members", Teams: "2 teams", Grants: "2 open grants",
		Live: "2", Sandbox: "1", Clients: "1", Pending: "1",
		Calls: []string{"8", "21"}, Errors: []string{"3", "6"},
		MemberRows: []string{"Ada Harbor admin@harbor.test | Partner admin", "crew 0001 crew0001@harbor.test | Developer", "crew 0002 crew0002@harbor.test | Developer"},
		TeamRows:   []string{"Billing 0 members", "Integrations 2 members"},
		GrantRows:  []string{"Team Integrations", "Person Dev Harbor"},
		GroupHref:  []string{"Yard read " + groupPath(p.groupID(t, "Yard read")), "Fleet all " + groupPath(p.groupID(t, "Fleet all"))},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Harbor's page (-want +got):\n%s", diff)
	}
	if n := pg.doc.Find("[data-testid=partner-member]").Length(); n != 20 {
		t.Errorf("%d members on the first page, want 20", n)
	}
	for _, sel := range []string{"[data-testid=partner-members]", "[data-testid=partner-grants]"} {
		if s := pg.doc.Find(sel).Text(); strings.Contains(s, "Crane") || strings.Contains(s, "Gone Harbor") {
			t.Errorf("%s shows Crane's or a removed member's rows: %q", sel, s)
		}
	}
	for sel, href := range map[string]string{
		"[data-testid=partner-tokens]":  path + "/tokens",
		"[data-testid=partner-pending]": path + "/tokens?status=pending",
		"[data-testid=partner-hygiene]": path + "/tokens/hygiene",
		"[data-testid=usage-calls]":     path + "/usage",
	} {
		if got := pg.doc.Find(sel).First().AttrOr("href", ""); got != href {
			t.Errorf("%s links to %q, want %q", sel, got, href)
		}
		if res := am.get(href); res.status != http.StatusOK {
			t.Errorf("%s: GET %s = %d", sel, href, res.status)
		}
	}

	if got := am.get(path+"/tokens").doc.Find(".breadcrumb [data-testid=partner-page]").AttrOr("href", ""); got != path {
		t.Errorf("the staff's token list links back to %q, want %q", got, path)
	}

	// The members' second page, from the page's own link; a forged
	// cursor is a 400.
	next := pg.doc.Find("[data-testid=members-pager] [data-testid=next-page]").AttrOr("href", "")
	if !strings.HasPrefix(next, path+"?members_after=") {
		t.Fatalf("members' next link = %q", next)
	}
	second := am.get(strings.TrimSuffix(next, "#members"))
	if rows := cells(second, "[data-testid=partner-member]"); len(rows) != 7 || rows[6] != "Dev Harbor dev@harbor.test | Developer" {
		t.Errorf("second page of members = %v", rows)
	}
	if second.doc.Find("[data-testid=members-pager] [data-testid=first-page]").AttrOr("href", "") != path+"#members" {
		t.Error("the second page of members has no link back to the first")
	}
	for _, bad := range []string{"?members_after=nope", "?teams_after=" + url.QueryEscape(strings.TrimPrefix(strings.TrimSuffix(next, "#members"), path+"?members_after="))} {
		if res := am.get(path + bad); res.status != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", bad, res.status)
		}
	}

	// Suspend from the page: asked first on a page whose way back is this
	// page, then back to the page, suspended.
	ask := pg.doc.Find("[data-testid=suspend]").AttrOr("href", "")
	if ask != path+"/suspend?from=partner" {
		t.Fatalf("the suspend link goes to %q", ask)
	}
	confirm := am.get(ask)
	if text(confirm, "h1") != "Suspend Harbor Logistics?" || confirm.doc.Find("[data-testid=confirm-keep]").AttrOr("href", "") != path {
		t.Errorf("confirmation page: %q, way back to %q", text(confirm, "h1"), confirm.doc.Find("[data-testid=confirm-keep]").AttrOr("href", ""))
	}
	res := am.submit(confirm, "[data-testid=confirm-button]")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != path {
		t.Fatalf("suspend from the page = %d to %q", res.status, res.header.Get("Location"))
	}
	after := am.get(path)
	if text(after, "[data-testid=partner-status]") != "Suspended" || after.doc.Find("[data-testid=reactivate]").Length() != 1 ||
		!strings.Contains(text(after, "[data-testid=flash]"), "suspended") {
		t.Errorf("after suspending: status %q, flash %q", text(after, "[data-testid=partner-status]"), text(after, "[data-testid=flash]"))
	}
	// The directory's own action still returns to the directory.
	if res := am.submit(after, "[data-testid=reactivate]"); res.header.Get("Location") != path {
		t.Errorf("reactivate from the page goes to %q", res.header.Get("Location"))
	}
	if res := am.post(path+"/status", url.Values{"status": {"suspended"}}); res.header.Get("Location") != "/partners" {
		t.Errorf("suspend from the directory goes to %q", res.header.Get("Location"))
	}

	// A partner with nothing yet.
	p.exec(t, `WITH p AS (INSERT INTO partners (name, slug) VALUES ('Empty Quay', 'empty-quay') RETURNING id)
		INSERT INTO partner_managers (partner_id, user_id) SELECT p.id, u.id FROM p, users u WHERE u.email = 'am@portico.test'`)
	empty := am.get("/partners/" + strconv.FormatInt(p.partnerID(t, "empty-quay"), 10))
	for _, id := range []string{"no-members", "no-teams", "no-grants", "no-credentials"} {
		if empty.doc.Find("[data-testid="+id+"]").Length() != 1 {
			t.Errorf("the empty partner's page has no %s empty state", id)
		}
	}
	if got := texts(empty, "[data-testid=usage-calls]"); !cmp.Equal(got, []string{"0", "0"}) {
		t.Errorf("the empty partner's calls = %v", got)
	}
}

// groupID is the id of the access group with the name.
func (p *portal) groupID(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	if err := p.store.DB().Get(&id, `SELECT id FROM access_groups WHERE name = $1`, name); err != nil {
		t.Fatalf("access group %s: %v", name, err)
	}
	return id
}

// TestPartnerPageAccess: only staff open a partner's page; its own partner
// admin and developer are refused, another partner's people are told it
// does not exist, as is everyone for an unknown id; signed out, the sign-in
// form.
func TestPartnerPageAccess(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	harbor := "/partners/" + strconv.FormatInt(p.partnerID(t, "harbor-logistics"), 10)
	tests := []struct {
		who, path string
		want      int
	}{
		{"admin@portico.test", harbor, http.StatusOK},
		{"am@portico.test", harbor, http.StatusOK},
		{"admin@harbor.test", harbor, http.StatusForbidden},
		{"dev@harbor.test", harbor, http.StatusForbidden},
		{"admin@crane.test", harbor, http.StatusNotFound},
		{"dev@crane.test", harbor, http.StatusNotFound},
		{"am@portico.test", "/partners/999999", http.StatusNotFound},
		{"admin@portico.test", "/partners/999999", http.StatusNotFound},
		{"am@portico.test", "/partners/harbor", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.who+" "+tc.path, func(t *testing.T) {
			pg := signedInAs(t, p, tc.who).get(tc.path)
			if pg.status != tc.want {
				t.Fatalf("GET %s as %s = %d, want %d", tc.path, tc.who, pg.status, tc.want)
			}
			if tc.want != http.StatusOK && (pg.doc.Find("[data-testid=partner-head]").Length() != 0 || text(pg, "[data-testid=error-status]") != strconv.Itoa(tc.want)) {
				t.Errorf("refused with %q, and the partner's page shown: %d", text(pg, "[data-testid=error-status]"), pg.doc.Find("[data-testid=partner-head]").Length())
			}
		})
	}
	if res := p.browser(t).get(harbor); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/sign-in?next=") {
		t.Errorf("signed out: %d to %q", res.status, res.header.Get("Location"))
	}
}
