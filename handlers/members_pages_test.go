package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addHarborMembers inserts n active developers of Harbor named
// "<prefix> NNN" with emails <prefix>NNN@harbor.test.
func (p *portal) addHarborMembers(t *testing.T, prefix string, n int) {
	t.Helper()
	if _, err := p.store.DB().Exec(`INSERT INTO users (email, name, role, partner_id)
		SELECT $1 || lpad(i::text, 4, '0') || '@harbor.test', $1 || ' ' || lpad(i::text, 4, '0'), 'developer', partner_id
		FROM users, generate_series(1, $2) i WHERE email = 'admin@harbor.test'`, prefix, n); err != nil {
		t.Fatal(err)
	}
}

// TestMembersPagePaginates: 120 members show 50 at a time, with a next
// link carrying an opaque cursor and a first-page link after the first;
// following the links serves every member once.
func TestMembersPagePaginates(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	p.addHarborMembers(t, "crew", 118) // with Ada and Dev: 120
	admin := signedInAs(t, p, "admin@harbor.test")

	var sizes []int
	seen := map[string]int{}
	path := "/members"
	for range 5 {
		pg := admin.get(path)
		if pg.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, pg.status)
		}
		emails := memberEmails(pg)
		sizes = append(sizes, len(emails))
		for _, e := range emails {
			seen[e]++
		}
		first := pg.doc.Find("[data-testid=first-page]")
		if (path == "/members") != (first.Length() == 0) {
			t.Errorf("%s: first-page links = %d", path, first.Length())
		}
		next, ok := pg.doc.Find("[data-testid=next-page]").Attr("href")
		if !ok {
			break
		}
		if !strings.HasPrefix(next, "/members?after=") {
			t.Fatalf("next link = %q", next)
		}
		path = next
	}
	if diff := cmp.Diff([]int{50, 50, 20}, sizes); diff != "" {
		t.Errorf("rows per page (-want +got):\n%s", diff)
	}
	if len(seen) != 120 {
		t.Errorf("%d distinct members across pages, want 120", len(seen))
	}
	for e, n := range seen {
		if n != 1 {
			t.Errorf("%s shown %d times", e, n)
		}
	}
}

// TestMembersPageBounded: however many members, one page renders at most
// 50 rows (the page once rendered all 10 000 members of a partner).
func TestMembersPageBounded(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	p.addHarborMembers(t, "crew", 300)
	pg := signedInAs(t, p, "admin@harbor.test").get("/members")
	if n := len(memberEmails(pg)); pg.status != http.StatusOK || n != 50 {
		t.Errorf("GET /members with 302 members = %d with %d rows, want 200 with 50", pg.status, n)
	}
}

// TestMembersPageSearch: the search form finds by name or email ignoring
// case, keeps the query in the field and in the next link, takes % and _
// literally, never shows another partner's people, and says so when
// nothing matches.
func TestMembersPageSearch(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	p.addHarborMembers(t, "crew", 60)
	if _, err := p.store.DB().Exec(`INSERT INTO users (email, name, role, partner_id)
		SELECT v.email, v.name, 'developer', u.partner_id
		FROM (VALUES ('grace@harbor.test', 'Grace Hopper', 'admin@harbor.test'),
		             ('sure@harbor.test', '100% Sure', 'admin@harbor.test'),
		             ('grace@crane.test', 'Grace Crane', 'admin@crane.test'),
		             ('crew0001@crane.test', 'crew 0001', 'admin@crane.test')) v(email, name, owner)
		JOIN users u ON u.email = v.owner`); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"GRACE", []string{"grace@harbor.test"}},
		{"Sure@HARBOR", []string{"sure@harbor.test"}},
		{"%", []string{"sure@harbor.test"}},
		{"crew0001@", []string{"crew0001@harbor.test"}},
	} {
		t.Run(tc.q, func(t *testing.T) {
			pg := admin.get("/members?q=" + url.QueryEscape(tc.q))
			if diff := cmp.Diff(tc.want, memberEmails(pg)); diff != "" {
				t.Errorf("search %q (-want +got):\n%s", tc.q, diff)
			}
			if got := pg.doc.Find("#member-q").AttrOr("value", ""); got != tc.q {
				t.Errorf("search field = %q, want %q", got, tc.q)
			}
		})
	}

	// 60 crew members match "crew": the next page keeps the search.
	pg := admin.get("/members?q=CREW")
	next, _ := pg.doc.Find("[data-testid=next-page]").Attr("href")
	if len(memberEmails(pg)) != 50 || !strings.Contains(next, "q=CREW") {
		t.Fatalf("search crew: %d rows, next %q", len(memberEmails(pg)), next)
	}
	if got := len(memberEmails(admin.get(next))); got != 10 {
		t.Errorf("second page of crew = %d rows, want 10", got)
	}

	pg = admin.get("/members?q=" + url.QueryEscape("nobody_here"))
	if got := text(pg, "[data-testid=no-member-match]"); pg.status != http.StatusOK || !strings.Contains(got, "No members match “nobody_here”") || !strings.Contains(got, "Clear the search") {
		t.Errorf("no match = %d %q", pg.status, got)
	}
}

// TestMembersPageBadCursor: a cursor the page did not make is a 400 with
// a clear message, not a 500 or an empty list.
func TestMembersPageBadCursor(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	for _, after := range []string{"%%%", "bm90LW91cnM", "djE6MToy", "bTE6LTE6eA", "bTE6YWJjOng", strings.Repeat("A", 5000)} {
		t.Run(fmt.Sprintf("%.12s", after), func(t *testing.T) {
			pg := admin.get("/members?after=" + url.QueryEscape(after))
			if pg.status != http.StatusBadRequest || !strings.Contains(pg.doc.Text(), "link to a page of members is broken") {
				t.Errorf("after=%q = %d %q", after, pg.status, strings.Join(strings.Fields(pg.doc.Text()), " "))
			}
		})
	}
	long := strings.Repeat("x", 101)
	if pg := admin.get("/members?q=" + long); pg.status != http.StatusBadRequest {
		t.Errorf("101-character search = %d, want 400", pg.status)
	}
}
