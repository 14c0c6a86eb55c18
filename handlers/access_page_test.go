package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// reachEmails lists the members of an access page's table, in order.
func reachEmails(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=member-access]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-email", ""))
	})
	return out
}

// TestAccessPageAtScale: the access page shows members 50 at a time (every
// member exactly once across the pages, with a member added between two
// loads), what each reaches, a few grantees per group with how many more,
// and narrows the members to those a group is granted to, directly or
// through a team; searches and groups never bring in another partner's
// people, and a broken link is a clear 400 or 404.
func TestAccessPageAtScale(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	p.importAPI(t, "yard")
	am := signedInAs(t, p, "am@portico.test")
	yard := createGroup(t, am, "Yard read")
	include(t, am, yard, "yard", "yard:read")
	other := createGroup(t, am, "Quiet")
	include(t, am, other, "yard", "yard:write")
	p.addHarborMembers(t, "crew", 118) // with Ada and Dev: 120 members
	db := p.store.DB()
	// Yard read goes to crew 0001..0030 directly, and to a team of crew
	// 0101..0110; Crane's own crew member gets it too, from Crane's grant.
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(`INSERT INTO users (email, name, role, partner_id)
		SELECT 'crew0001@crane.test', 'crew 0001', 'developer', partner_id FROM users WHERE email = 'admin@crane.test'`)
	mustExec(`INSERT INTO teams (partner_id, name) SELECT partner_id, 'Night shift' FROM users WHERE email = 'admin@harbor.test'`)
	mustExec(`INSERT INTO team_memberships (team_id, user_id)
		SELECT t.id, u.id FROM teams t JOIN users u ON u.partner_id = t.partner_id
		WHERE t.name = 'Night shift' AND u.email BETWEEN 'crew0101@' AND 'crew0110@~'`)
	mustExec(`INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT $1, partner_id, id FROM users WHERE email LIKE 'crew00%' AND email <= 'crew0030@~'`, yard)
	mustExec(`INSERT INTO grants (access_group_id, partner_id, team_id) SELECT $1, partner_id, id FROM teams WHERE name = 'Night shift'`, yard)
	mustExec(`INSERT INTO grants (access_group_id, partner_id, user_id) SELECT $1, partner_id, id FROM users WHERE email = 'dev@harbor.test'`, other)
	admin := signedInAs(t, p, "admin@harbor.test")

	// The group shows its first grantees (the team first) and how many more.
	acc := admin.get("/access")
	if acc.status != http.StatusOK {
		t.Fatalf("GET /access = %d", acc.status)
	}
	yardCard := acc.doc.Find("[data-testid=granted-group][data-name='Yard read']")
	if n := yardCard.Find("[data-testid=granted-grantee]").Length(); n != 10 {
		t.Errorf("Yard read shows %d grantees, want 10", n)
	}
	if got := strings.Fields(yardCard.Find("[data-testid=granted-grantee]").First().Text()); len(got) < 3 || got[0] != "Team" || got[1] != "Night" {
		t.Errorf("first grantee = %q, want the team", got)
	}
	if got := text(acc, "[data-name='Yard read'] [data-testid=more-grantees]"); got != "and 21 more." {
		t.Errorf("more grantees = %q, want %q", got, "and 21 more.")
	}

	// Paging: 50 a time, every member once, one added between two loads.
	seen := map[string]int{}
	var sizes []int
	path := "/access"
	for i := range 5 {
		pg := admin.get(path)
		if pg.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, pg.status)
		}
		emails := reachEmails(pg)
		sizes = append(sizes, len(emails))
		for _, e := range emails {
			seen[e]++
		}
		if i == 0 {
			// Sorts after everyone: it must still show up on the last page.
			mustExec(`INSERT INTO users (email, name, role, partner_id)
				SELECT 'zed@harbor.test', 'Zed Late', 'developer', partner_id FROM users WHERE email = 'admin@harbor.test'`)
		}
		next, ok := pg.doc.Find("[data-testid=next-page]").Attr("href")
		if !ok {
			break
		}
		path = strings.TrimSuffix(next, "#reach-heading")
	}
	if diff := cmp.Diff([]int{50, 50, 21}, sizes); diff != "" {
		t.Errorf("members per page (-want +got):\n%s", diff)
	}
	for e, n := range seen {
		if n != 1 || strings.HasSuffix(e, "@crane.test") {
			t.Errorf("%s shown %d times", e, n)
		}
	}
	if len(seen) != 121 {
		t.Errorf("%d distinct members across pages, want 121", len(seen))
	}

	// Narrowed to a group: the 30 direct grantees and the team's 10.
	href, _ := yardCard.Find("[data-testid=group-reach]").Attr("href")
	pg := admin.get(strings.TrimSuffix(href, "#reach-heading"))
	got := reachEmails(pg)
	next, _ := pg.doc.Find("[data-testid=next-page]").Attr("href")
	got = append(got, reachEmails(admin.get(strings.TrimSuffix(next, "#reach-heading")))...)
	var want []string
	for i := 1; i <= 30; i++ {
		want = append(want, "crew"+pad4(i)+"@harbor.test")
	}
	for i := 101; i <= 110; i++ {
		want = append(want, "crew"+pad4(i)+"@harbor.test")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members Yard read is granted to (-want +got):\n%s", diff)
	}
	if d := reach(pg, "crew0001@harbor.test"); len(d) != 1 || d[0] != "yard yard:read" {
		t.Errorf("crew 0001 reaches %q, want yard:read", d)
	}
	if !strings.Contains(text(pg, "[data-testid=reach-group-filter]"), "Yard read") {
		t.Error("the page does not say which group it is narrowed to")
	}

	// Search, alone and with a group; never another partner's crew.
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"q=crew0001%40", []string{"crew0001@harbor.test"}},
		{"q=CREW%20010&group=" + itoa(yard), []string{"crew0101@harbor.test", "crew0102@harbor.test", "crew0103@harbor.test",
			"crew0104@harbor.test", "crew0105@harbor.test", "crew0106@harbor.test", "crew0107@harbor.test", "crew0108@harbor.test",
			"crew0109@harbor.test"}},
		{"group=" + itoa(other), []string{"dev@harbor.test"}},
		{"q=nobody", nil},
	} {
		pg := admin.get("/access?" + tc.query)
		if diff := cmp.Diff(tc.want, reachEmails(pg)); diff != "" {
			t.Errorf("/access?%s (-want +got):\n%s", tc.query, diff)
		}
		if tc.want == nil && pg.doc.Find("[data-testid=no-reach-match]").Length() != 1 {
			t.Errorf("/access?%s does not say nothing matched", tc.query)
		}
	}

	// Broken links.
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"after=" + url.QueryEscape("not-ours"), http.StatusBadRequest},
		{"group=abc", http.StatusBadRequest},
		{"group=-1", http.StatusBadRequest},
		{"group=999999", http.StatusNotFound},
		{"q=" + strings.Repeat("x", 101), http.StatusBadRequest},
	} {
		if pg := admin.get("/access?" + tc.query); pg.status != tc.status {
			t.Errorf("/access?%s = %d, want %d", tc.query, pg.status, tc.status)
		}
	}
	// Crane's admin cannot look at Harbor's group through its id.
	if pg := signedInAs(t, p, "admin@crane.test").get("/access?group=" + itoa(other)); pg.status != http.StatusNotFound {
		t.Errorf("Crane's admin on Harbor's group = %d, want 404", pg.status)
	}
}

func pad4(i int) string { s := itoa(int64(i)); return strings.Repeat("0", 4-len(s)) + s }
