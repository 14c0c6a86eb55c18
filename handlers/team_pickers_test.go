package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// getHTMX fetches path as htmx does when a picker's search is typed.
func (b *browser) getHTMX(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	req.Header.Set("HX-Request", "true")
	return b.do(req)
}

// submit posts the form holding sel with its hidden fields, as a browser
// does when its button is pressed.
func (b *browser) submit(pg page, sel string) page {
	b.t.Helper()
	form := pg.doc.Find(sel).First().Closest("form")
	if form.Length() == 0 {
		b.t.Fatalf("no form around %s", sel)
	}
	v := url.Values{}
	form.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		v.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	return b.post(form.AttrOr("action", ""), v)
}

// exec runs SQL statements against the portal's database.
func (p *portal) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := p.store.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestTeamPageMembersInPages: a team's page shows its members 50 at a time
// with next and first links; following them serves every member once; the
// search narrows the team; a broken cursor is a 400 page.
func TestTeamPageMembersInPages(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	team := createTeam(t, admin, "Crew")
	p.addHarborMembers(t, "crew", 119)
	p.exec(t, `INSERT INTO team_memberships (team_id, user_id) SELECT `+strconv.FormatInt(team, 10)+`, id FROM users WHERE email LIKE 'crew%@harbor.test'`)

	seen := map[string]int{}
	var sizes []int
	path := teamPath(team)
	for range 5 {
		pg := admin.get(path)
		if pg.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, pg.status)
		}
		if got := text(pg, "[data-testid=team-member-count]"); got != "119 members" {
			t.Errorf("%s: count %q", path, got)
		}
		es := teamMemberEmails(pg)
		sizes = append(sizes, len(es))
		for _, e := range es {
			seen[e]++
		}
		if (path == teamPath(team)) != (pg.doc.Find("[data-testid=first-page]").Length() == 0) {
			t.Errorf("%s: first-page link wrong", path)
		}
		next, ok := pg.doc.Find("[data-testid=next-page]").Attr("href")
		if !ok {
			break
		}
		path = next
	}
	if diff := cmp.Diff([]int{50, 50, 19}, sizes); diff != "" {
		t.Errorf("rows per page (-want +got):\n%s", diff)
	}
	if len(seen) != 119 {
		t.Errorf("%d distinct members across pages, want 119", len(seen))
	}
	for e, n := range seen {
		if n != 1 {
			t.Errorf("%s shown %d times", e, n)
		}
	}
	if got := teamMemberEmails(admin.get(teamPath(team) + "?q=CREW010")); !cmp.Equal(got, []string{"crew0100@harbor.test", "crew0101@harbor.test", "crew0102@harbor.test", "crew0103@harbor.test", "crew0104@harbor.test", "crew0105@harbor.test", "crew0106@harbor.test", "crew0107@harbor.test", "crew0108@harbor.test", "crew0109@harbor.test"}) {
		t.Errorf("search crew010 = %v", got)
	}
	if pg := admin.get(teamPath(team) + "?q=nobody"); pg.doc.Find("[data-testid=no-team-member-match]").Length() != 1 {
		t.Error("a search matching nobody has no message")
	}
	for _, bad := range []string{"garbage", "bTE6MTp4" /* a members-list cursor */} {
		pg := admin.get(teamPath(team) + "?after=" + bad)
		if pg.status != http.StatusBadRequest || !strings.Contains(pg.doc.Text(), "link to a page of the team's members is broken") {
			t.Errorf("after=%s: %d", bad, pg.status)
		}
	}
}

// TestTeamPicker: the add-member picker works without JavaScript (a GET
// form on the team's page) and with htmx (a fragment of the matches);
// either way it offers at most 20 of the 500 matching members of the
// partner, never another partner's people, staff, or the team's members,
// and each match adds with one button.
func TestTeamPicker(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	team := createTeam(t, admin, "Crew")
	if res := admin.post(teamPath(team, "members"), idValue(p.userID(t, "dev@harbor.test"))); res.status != http.StatusSeeOther {
		t.Fatalf("add dev = %d", res.status)
	}
	p.addHarborMembers(t, "devcrew", 500)
	p.exec(t,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'devcrew@crane.test', 'devcrew Crane', 'developer', partner_id FROM users WHERE email = 'admin@crane.test'`,
		`INSERT INTO users (email, name, role) VALUES ('devcrew@portico.test', 'devcrew Staff', 'account_manager')`)
	foreign := map[string]bool{
		strconv.FormatInt(p.userID(t, "devcrew@crane.test"), 10):   true,
		strconv.FormatInt(p.userID(t, "devcrew@portico.test"), 10): true,
		strconv.FormatInt(p.userID(t, "dev@harbor.test"), 10):      true,
	}
	check := func(name string, pg page, n int) {
		t.Helper()
		ids := candidateIDs(pg)
		if pg.status != http.StatusOK || len(ids) != n {
			t.Errorf("%s: %d with %d candidates, want 200 with %d", name, pg.status, len(ids), n)
		}
		for _, id := range ids {
			if foreign[id] {
				t.Errorf("%s offers user %s (another partner's, staff or in the team)", name, id)
			}
		}
	}

	// Without JavaScript: the form's GET comes back as the page with matches.
	pg := admin.get(teamPath(team))
	form := pg.doc.Find("[data-testid=team-picker]")
	if form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != teamPath(team) || form.Find("input[name=find]").Length() != 1 {
		h, _ := goquery.OuterHtml(form)
		t.Fatalf("picker form = %s", h)
	}
	input := form.Find("input[name=find]")
	if input.AttrOr("hx-get", "") != teamPath(team, "candidates") || !strings.Contains(input.AttrOr("hx-trigger", ""), "input changed delay:300ms") ||
		input.AttrOr("hx-target", "") != "#team-candidates" || pg.doc.Find("#team-candidates").Length() != 1 {
		t.Error("the picker's input does not search as it is typed")
	}
	check("page", pg, 20)
	found := admin.get(teamPath(team) + "?find=" + url.QueryEscape("devcrew"))
	check("?find=devcrew", found, 20)
	if found.doc.Find("[data-testid=more-candidates]").Length() != 1 {
		t.Error("500 matches shown as 20 without saying more match")
	}
	check("?find=devcrew0499", admin.get(teamPath(team)+"?find=devcrew0499"), 1)
	check("?find=devcrew staff", admin.get(teamPath(team)+"?find="+url.QueryEscape("devcrew staff")), 0)
	check("?find=crane.test", admin.get(teamPath(team)+"?find=crane.test"), 0)

	// With htmx: the same matches as a fragment, not a page.
	frag := admin.getHTMX(teamPath(team, "candidates") + "?find=devcrew")
	check("htmx", frag, 20)
	if frag.doc.Find("html body main, [data-testid=nav], [data-testid=team-picker]").Length() != 0 {
		t.Error("the htmx answer is a whole page, not the list of matches")
	}
	if !strings.Contains(frag.header.Get("Vary"), "HX-Request") {
		t.Errorf("Vary = %q", frag.header.Get("Vary"))
	}
	// The same address without htmx leads to the page with the search.
	if res := admin.get(teamPath(team, "candidates") + "?find=devcrew"); res.status != http.StatusSeeOther || res.header.Get("Location") != teamPath(team)+"?find=devcrew" {
		t.Errorf("no-JS GET candidates = %d to %q", res.status, res.header.Get("Location"))
	}
	if res := admin.getHTMX(teamPath(team, "candidates") + "?find=" + strings.Repeat("x", 101)); res.status != http.StatusBadRequest {
		t.Errorf("a 101-character search = %d", res.status)
	}

	// Add from the matches: the person joins, the search stays, and they
	// are offered no more.
	one := admin.getHTMX(teamPath(team, "candidates") + "?find=devcrew0007")
	res := admin.submit(one, "[data-testid=add-candidate]")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != teamPath(team)+"?find=devcrew0007" {
		t.Fatalf("add from the picker = %d to %q", res.status, res.header.Get("Location"))
	}
	after := admin.get(teamPath(team) + "?find=devcrew0007")
	check("after the add", after, 0)
	if !strings.Contains(text(after, "[data-testid=flash]"), "devcrew 0007 added to Crew") {
		t.Errorf("flash = %q", text(after, "[data-testid=flash]"))
	}

	// Another partner's admin, and a developer, get no picker of this team.
	if res := signedInAs(t, p, "admin@crane.test").getHTMX(teamPath(team, "candidates") + "?find=dev"); res.status != http.StatusNotFound {
		t.Errorf("crane's admin on harbor's team candidates = %d", res.status)
	}
	if res := signedInAs(t, p, "dev@harbor.test").getHTMX(teamPath(team, "candidates") + "?find=dev"); res.status == http.StatusOK {
		t.Errorf("a developer got the candidates: %d", res.status)
	}
}

// TestTeamsPageInPages: the teams list pages 50 at a time, with a search.
func TestTeamsPageInPages(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	p.exec(t, `INSERT INTO teams (partner_id, name) SELECT partner_id, 'Team ' || lpad(i::text, 3, '0') FROM users, generate_series(1, 60) i WHERE email = 'admin@harbor.test'`,
		`INSERT INTO teams (partner_id, name) SELECT partner_id, 'Team 999' FROM users WHERE email = 'admin@crane.test'`)
	names := func(pg page) []string {
		var out []string
		pg.doc.Find("[data-testid=team]").Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("data-name", "")) })
		return out
	}
	first := admin.get("/teams")
	next, ok := first.doc.Find("[data-testid=next-page]").Attr("href")
	if len(names(first)) != 50 || !ok {
		t.Fatalf("first page: %d teams, next %v", len(names(first)), ok)
	}
	second := admin.get(next)
	if got := names(second); len(got) != 10 || got[9] != "Team 060" || second.doc.Find("[data-testid=next-page]").Length() != 0 {
		t.Errorf("second page = %v", got)
	}
	if got := names(admin.get("/teams?q=team+99")); len(got) != 0 {
		t.Errorf("search team 99 = %v, want none (Crane's team is not Harbor's)", got)
	}
	if pg := admin.get("/teams?after=nope"); pg.status != http.StatusBadRequest {
		t.Errorf("bad cursor = %d", pg.status)
	}
}
