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

func granteeResults(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=grantee-result]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-value", ""))
	})
	return out
}

// TestGrantPicker: the grant picker finds grantees without JavaScript (a
// GET form on the group's page) and with htmx (a fragment of the matches),
// at most 20 of 500 matches, each with its partner; never staff; narrowed
// to one partner by its name; and each match grants with one button
// through the grant action's checks.
func TestGrantPicker(t *testing.T) {
	t.Parallel()
	w := newGrantWorld(t)
	p, am := w.p, w.am
	p.addHarborMembers(t, "opscrew", 500)
	p.exec(t, `INSERT INTO users (email, name, role) VALUES ('opscrew@portico.test', 'opscrew Staff', 'account_manager')`,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'opscrew@crane.test', 'opscrew Crane', 'developer', partner_id FROM users WHERE email = 'admin@crane.test'`)
	staff := userValue(p.userID(t, "opscrew@portico.test"))
	group := groupPath(w.yardRead)

	pg := am.get(group)
	form := pg.doc.Find("[data-testid=grantee-picker]")
	if form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != group {
		t.Fatalf("picker form method %q action %q", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
	form.Find("input[type=search]").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("hx-get", "") != group+"/grantees" || s.AttrOr("hx-include", "") != "closest form" ||
			!strings.Contains(s.AttrOr("hx-trigger", ""), "input changed delay:300ms") || s.AttrOr("hx-target", "") != "#grantee-results" {
			t.Errorf("input %s does not search as it is typed", s.AttrOr("name", ""))
		}
	})
	if len(granteeResults(pg)) != 0 {
		t.Error("the picker lists grantees before any search")
	}

	found := am.get(group + "?find=opscrew")
	if got := granteeResults(found); len(got) != 20 || found.doc.Find("[data-testid=more-grantees]").Length() != 1 {
		t.Errorf("?find=opscrew: %d results (more shown: %d), want 20 and a note", len(got), found.doc.Find("[data-testid=more-grantees]").Length())
	}
	for _, find := range []string{"opscrew", "opscrew staff", "portico.test"} {
		for _, v := range granteeResults(am.get(group + "?find=" + url.QueryEscape(find))) {
			if v == staff {
				t.Errorf("?find=%s offers a staff member", find)
			}
		}
	}
	crane := am.get(group + "?find=opscrew&partner=crane")
	if diff := cmp.Diff([]string{userValue(p.userID(t, "opscrew@crane.test"))}, granteeResults(crane)); diff != "" {
		t.Errorf("narrowed to Crane (-want +got):\n%s", diff)
	}
	if got := crane.doc.Find("[data-testid=grantee-result]").AttrOr("data-partner", ""); got != "Crane Works" {
		t.Errorf("result's partner = %q", got)
	}

	// htmx: the same, as a fragment.
	frag := am.getHTMX(group + "/grantees?find=opscrew&partner=crane")
	if frag.status != http.StatusOK || !cmp.Equal(granteeResults(frag), granteeResults(crane)) || frag.doc.Find("[data-testid=nav], [data-testid=grantee-picker]").Length() != 0 {
		t.Errorf("htmx answer: %d, %v", frag.status, granteeResults(frag))
	}
	if res := am.get(group + "/grantees?find=opscrew&partner=crane"); res.status != http.StatusSeeOther || res.header.Get("Location") != group+"?find=opscrew&partner=crane" {
		t.Errorf("no-JS GET grantees = %d to %q", res.status, res.header.Get("Location"))
	}
	if res := am.getHTMX(group + "/grantees?partner=" + strings.Repeat("x", 101)); res.status != http.StatusBadRequest {
		t.Errorf("a 101-character partner search = %d", res.status)
	}

	// Grant from a match: through the grant action, back to the search; the
	// grantee is offered no more.
	res := am.submit(crane, "[data-testid=grant-to]")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != group+"?find=opscrew&partner=crane" {
		t.Fatalf("grant from the picker = %d to %q", res.status, res.header.Get("Location"))
	}
	after := am.get(res.header.Get("Location"))
	if len(granteeResults(after)) != 0 || !strings.Contains(text(after, "[data-testid=grant]"), "opscrew Crane") {
		t.Errorf("after the grant: results %v, grants %q", granteeResults(after), text(after, "[data-testid=grant]"))
	}
	// A forged partner is still refused by the grant action.
	forged := am.post(group+"/grants", url.Values{"grantee": {userValue(w.dev)}, "partner_id": {strconv.FormatInt(p.userID(t, "opscrew@crane.test"), 10)}})
	if forged.status == http.StatusSeeOther {
		t.Error("a grant naming the wrong partner was made")
	}

	// Partner people get no picker.
	if res := signedInAs(t, p, "admin@harbor.test").getHTMX(group + "/grantees?find=ops"); res.status == http.StatusOK {
		t.Errorf("a partner admin got the grantees: %d", res.status)
	}
}

// TestGroupGrantsInPages: a group's open grants show 50 at a time, newest
// first, and its revoked ones 20 at a time; following the links serves
// each once; a cursor of the other list, or none of ours, is a 400.
func TestGroupGrantsInPages(t *testing.T) {
	t.Parallel()
	w := newGrantWorld(t)
	p, am := w.p, w.am
	p.addHarborMembers(t, "holder", 90)
	g := strconv.FormatInt(w.yardRead, 10)
	p.exec(t, `INSERT INTO grants (access_group_id, partner_id, user_id, granted_at, revoked_at)
		SELECT `+g+`, u.partner_id, u.id, now() - u.n * interval '1 minute', CASE WHEN u.n > 60 THEN now() - u.n * interval '1 second' END
		FROM (SELECT id, partner_id, row_number() OVER (ORDER BY id) AS n FROM users WHERE email LIKE 'holder%@harbor.test') u`)
	walk := func(sel, start string) (map[string]int, []int) {
		seen := map[string]int{}
		var sizes []int
		path := start
		for range 10 {
			pg := am.get(path)
			if pg.status != http.StatusOK {
				t.Fatalf("GET %s = %d", path, pg.status)
			}
			ids := grantIDs(pg, sel)
			sizes = append(sizes, len(ids))
			for _, id := range ids {
				seen[id]++
			}
			next := ""
			pg.doc.Find("[data-testid=next-page]").Each(func(_ int, s *goquery.Selection) {
				if href := s.AttrOr("href", ""); strings.Contains(href, map[bool]string{true: "revoked_after=", false: "?after="}[sel == "[data-testid=revoked-grant]"]) {
					next = href
				}
			})
			if next == "" {
				break
			}
			path = next
		}
		return seen, sizes
	}
	open, sizes := walk("[data-testid=grant]", groupPath(w.yardRead))
	if diff := cmp.Diff([]int{50, 10}, sizes); diff != "" || len(open) != 60 {
		t.Errorf("open grants: %d distinct, pages (-want +got):\n%s", len(open), diff)
	}
	revoked, sizes := walk("[data-testid=revoked-grant]", groupPath(w.yardRead))
	if diff := cmp.Diff([]int{20, 10}, sizes); diff != "" || len(revoked) != 30 {
		t.Errorf("revoked grants: %d distinct, pages (-want +got):\n%s", len(revoked), diff)
	}
	for id, n := range open {
		if n != 1 || revoked[id] != 0 {
			t.Errorf("grant %s shown %d times open, %d revoked", id, n, revoked[id])
		}
	}
	if got := text(am.get(groupPath(w.yardRead)), "[data-testid=open-grant-count]"); got != "60 open grants" {
		t.Errorf("open grant count = %q", got)
	}
	first := am.get(groupPath(w.yardRead))
	revokedNext := ""
	first.doc.Find("[data-testid=next-page]").Each(func(_ int, s *goquery.Selection) {
		if h := s.AttrOr("href", ""); strings.Contains(h, "revoked_after=") {
			revokedNext = strings.SplitN(h, "revoked_after=", 2)[1]
		}
	})
	for _, bad := range []string{"?after=nope", "?revoked_after=nope", "?after=" + revokedNext} {
		if pg := am.get(groupPath(w.yardRead) + bad); pg.status != http.StatusBadRequest {
			t.Errorf("%s = %d, want 400", bad, pg.status)
		}
	}
}
