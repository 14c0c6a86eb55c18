package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// exec runs SQL statements against the test database.
func (e *env) exec(stmts ...string) {
	e.t.Helper()
	for _, q := range stmts {
		if _, err := e.store.DB().Exec(q); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestTeamsKeysetPages: the teams list pages by (name, id) in SQL, every
// team once across pages, one created between two requests after the
// cursor served too; q searches names within the partner; a bad cursor,
// limit or q is a 400.
func TestTeamsKeysetPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	e.exec(`INSERT INTO teams (partner_id, name) SELECT partner_id, 'Team ' || lpad(i::text, 2, '0') FROM users, generate_series(1, 9) i WHERE email = 'admin@harbor.test'`,
		`INSERT INTO teams (partner_id, name) SELECT partner_id, 'Team 05 of Crane' FROM users WHERE email = 'admin@crane.test'`)
	var got []string
	path := "/api/v1/teams?limit=4"
	for i := range 10 {
		rec := e.call(admin, "GET", path, "")
		want(t, "page", rec, http.StatusOK, "")
		page := decodeBody[list[team]](t, rec)
		for _, tm := range page.Items {
			got = append(got, tm.Name)
		}
		if i == 0 {
			e.exec(`INSERT INTO teams (partner_id, name) SELECT partner_id, 'Team 99' FROM users WHERE email = 'admin@harbor.test'`)
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/teams?limit=4&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	wantNames := []string{"Team 01", "Team 02", "Team 03", "Team 04", "Team 05", "Team 06", "Team 07", "Team 08", "Team 09", "Team 99"}
	if diff := cmp.Diff(wantNames, got); diff != "" {
		t.Errorf("teams across pages (-want +got):\n%s", diff)
	}
	rec := e.call(admin, "GET", "/api/v1/teams?q=team+05", "")
	if page := decodeBody[list[team]](t, rec); len(page.Items) != 1 || page.Items[0].Name != "Team 05" {
		t.Errorf("q=team 05 = %+v", page.Items)
	}
	for _, bad := range []string{"cursor=nope", "cursor=djE6MToy", "limit=0", "limit=201", "q=" + strings.Repeat("x", 101)} {
		want(t, bad, e.callOff(admin, "GET", "/api/v1/teams?"+bad, "", ""), http.StatusBadRequest, "bad_request")
	}
}

// TestTeamDetailMembersInPages: a team's detail carries one page of its
// members (50 unless limit says), and members_next_cursor continues it:
// every member once; a bad cursor is a 400.
func TestTeamDetailMembersInPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	e.exec(`INSERT INTO teams (partner_id, name) SELECT partner_id, 'Crew' FROM users WHERE email = 'admin@harbor.test'`,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'c' || lpad(i::text, 3, '0') || '@harbor.test', 'Crew ' || lpad(i::text, 3, '0'), 'developer', partner_id FROM users, generate_series(1, 120) i WHERE email = 'admin@harbor.test'`,
		`INSERT INTO team_memberships (team_id, user_id) SELECT t.id, u.id FROM teams t, users u WHERE t.name = 'Crew' AND u.email LIKE 'c___@harbor.test'`)
	var id int64
	if err := e.store.DB().Get(&id, `SELECT id FROM teams WHERE name = 'Crew'`); err != nil {
		t.Fatal(err)
	}
	type detail struct {
		team
		MembersNextCursor *string `json:"members_next_cursor"`
	}
	base := "/api/v1/teams/" + strconv.FormatInt(id, 10)
	seen := map[string]int{}
	var sizes []int
	path := base
	for range 5 {
		rec := e.call(admin, "GET", path, "")
		want(t, "detail", rec, http.StatusOK, "")
		d := decodeBody[detail](t, rec)
		if d.MemberCount != 120 {
			t.Errorf("member_count = %d", d.MemberCount)
		}
		sizes = append(sizes, len(d.Members))
		for _, m := range d.Members {
			seen[m.Email]++
		}
		if d.MembersNextCursor == nil {
			break
		}
		path = base + "?cursor=" + url.QueryEscape(*d.MembersNextCursor)
	}
	if diff := cmp.Diff([]int{50, 50, 20}, sizes); diff != "" || len(seen) != 120 {
		t.Errorf("%d distinct members; pages (-want +got):\n%s", len(seen), diff)
	}
	for m, n := range seen {
		if n != 1 {
			t.Errorf("%s served %d times", m, n)
		}
	}
	if d := decodeBody[detail](t, e.call(admin, "GET", base+"?q=crew+11&limit=5", "")); len(d.Members) != 5 || d.MembersNextCursor == nil {
		t.Errorf("q=crew 11&limit=5: %d members, next %v", len(d.Members), d.MembersNextCursor)
	}
	want(t, "bad cursor", e.callOff(admin, "GET", base+"?cursor=nope", "", ""), http.StatusBadRequest, "bad_request")
}

// TestGroupGrantsKeysetPages: a group's grants page in SQL, open ones
// (newest first) then revoked ones (last revoked first), each once across
// pages even where a page holds the end of one and the start of the other;
// a bad cursor is a 400.
func TestGroupGrantsKeysetPages(t *testing.T) {
	t.Parallel()
	w := newAccessWorld(t)
	am := w.signIn("am@portico.test")
	g := strconv.FormatInt(w.portOps, 10)
	w.exec(`INSERT INTO users (email, name, role, partner_id) SELECT 'h' || i || '@harbor.test', 'H ' || i, 'developer', `+strconv.FormatInt(w.harbor, 10)+` FROM generate_series(1, 12) i`,
		`INSERT INTO grants (access_group_id, partner_id, user_id, granted_at, revoked_at)
		 SELECT `+g+`, u.partner_id, u.id, now() - u.n * interval '1 minute', CASE WHEN u.n > 6 THEN now() - u.n * interval '1 second' END
		 FROM (SELECT id, partner_id, row_number() OVER (ORDER BY id) AS n FROM users WHERE email LIKE 'h%@harbor.test') u`)
	// 7 open (the seeded one and 6), 6 revoked.
	var all []int64
	revokedSeen := false
	path := "/api/v1/access-groups/" + g + "/grants?limit=3"
	for range 10 {
		rec := w.call(am, "GET", path, "")
		want(t, "page", rec, http.StatusOK, "")
		page := decodeBody[list[grantBody]](t, rec)
		for _, gr := range page.Items {
			all = append(all, gr.ID)
			if gr.RevokedAt != nil {
				revokedSeen = true
			} else if revokedSeen {
				t.Errorf("open grant %d after a revoked one", gr.ID)
			}
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/access-groups/" + g + "/grants?limit=3&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	seen := map[int64]int{}
	for _, id := range all {
		seen[id]++
	}
	var n int
	if err := w.store.DB().Get(&n, `SELECT count(*) FROM grants WHERE access_group_id = $1`, w.portOps); err != nil {
		t.Fatal(err)
	}
	if len(all) != n || len(seen) != n || n != 13 {
		t.Errorf("%d grants served (%d distinct), want each of %d once", len(all), len(seen), n)
	}
	want(t, "bad cursor", w.callOff(am, "GET", "/api/v1/access-groups/"+g+"/grants?cursor=nope", "", ""), http.StatusBadRequest, "bad_request")
	want(t, "bad limit", w.callOff(am, "GET", "/api/v1/access-groups/"+g+"/grants?limit=0", "", ""), http.StatusBadRequest, "bad_request")
}
