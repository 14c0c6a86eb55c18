package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addMembers inserts active members of the partner of ownerEmail, as
// (name, email) pairs.
func (e *env) addMembers(ownerEmail string, people ...[2]string) {
	e.t.Helper()
	for _, p := range people {
		if _, err := e.store.DB().Exec(`INSERT INTO users (email, name, role, partner_id)
			SELECT $1, $2, 'developer', partner_id FROM users WHERE email = $3`, p[1], p[0], ownerEmail); err != nil {
			e.t.Fatalf("add %v: %v", p, err)
		}
	}
}

// TestMembersKeysetPages: the members list pages by (name, id) in the
// database: every member exactly once across pages, including those who
// join between two requests (one sorting before the cursor, which belongs
// to pages already read, and one after, which is served), none repeated.
func TestMembersKeysetPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	var people [][2]string
	for _, n := range []string{"bob", "Bob", "carol", "Dave", "erin", "Frank", "grace", "Heidi", "ivan"} {
		people = append(people, [2]string{n + " Member", strings.ToLower(n) + "." + strings.ToLower(string(n[0])) + "@harbor.test"})
	}
	e.addMembers("admin@harbor.test", people[:1]...)
	// Two people with the same name, told apart by id.
	e.addMembers("admin@harbor.test", [2]string{"Bob Member", "bob2@harbor.test"})
	e.addMembers("admin@harbor.test", people[2:]...)
	e.addMembers("admin@crane.test", [2]string{"bob Member", "bob@crane.test"})

	all := emails(decodeBody[list[member]](t, e.call(admin, "GET", "/api/v1/members?limit=200", "")).Items)
	if len(all) != 11 || slices.Contains(all, "bob@crane.test") {
		t.Fatalf("all members = %v", all)
	}

	var got []string
	path := "/api/v1/members?limit=4"
	for i := range 10 {
		rec := e.call(admin, "GET", path, "")
		want(t, "page", rec, http.StatusOK, "")
		page := decodeBody[list[member]](t, rec)
		got = append(got, emails(page.Items)...)
		if i == 0 {
			e.addMembers("admin@harbor.test", [2]string{"Aaron Early", "early@harbor.test"}, [2]string{"Zed Late", "late@harbor.test"})
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/members?limit=4&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if diff := cmp.Diff(append(all, "late@harbor.test"), got); diff != "" {
		t.Errorf("members across pages (-want +got):\n%s", diff)
	}
}

// TestMembersSearchAndCursor: q finds by name or email ignoring case, takes
// % and _ literally, stays within the partner and pages like the list; a
// cursor the API did not give out, or an offset cursor of another list, is
// a 400.
func TestMembersSearchAndCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	e.addMembers("admin@harbor.test", [2]string{"Grace Hopper", "grace@harbor.test"}, [2]string{"50% Off", "half@harbor.test"},
		[2]string{"Snake_Case", "snake@harbor.test"}, [2]string{"SnakeXCase", "snakex@harbor.test"}, [2]string{"Grace Two", "g2@harbor.test"})
	e.addMembers("admin@crane.test", [2]string{"Grace Crane", "grace@crane.test"}, [2]string{"50% Crane", "half@crane.test"})
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"gRaCe", []string{"grace@harbor.test", "g2@harbor.test"}},
		{"HALF@", []string{"half@harbor.test"}},
		{"%", []string{"half@harbor.test"}},
		{"e_c", []string{"snake@harbor.test"}},
		{"crane", nil},
	} {
		t.Run(tc.q, func(t *testing.T) {
			rec := e.call(admin, "GET", "/api/v1/members?q="+url.QueryEscape(tc.q), "")
			want(t, "search", rec, http.StatusOK, "")
			if diff := cmp.Diff(tc.want, emails(decodeBody[list[member]](t, rec).Items)); diff != "" {
				t.Errorf("q=%q (-want +got):\n%s", tc.q, diff)
			}
		})
	}
	first := decodeBody[list[member]](t, e.call(admin, "GET", "/api/v1/members?q=grace&limit=1", ""))
	if first.NextCursor == nil {
		t.Fatal("q=grace&limit=1 has no next cursor")
	}
	second := decodeBody[list[member]](t, e.call(admin, "GET", "/api/v1/members?q=grace&limit=1&cursor="+url.QueryEscape(*first.NextCursor), ""))
	if got := emails(append(first.Items, second.Items...)); !slices.Equal(got, []string{"grace@harbor.test", "g2@harbor.test"}) || second.NextCursor != nil {
		t.Errorf("grace in pages of one = %v, next %v", got, second.NextCursor)
	}

	for _, c := range []string{"nope", "djE6MToy" /* v1:1:2, an offset cursor */, "bTE6MDp4" /* m1:0:x */, strings.Repeat("A", 3000)} {
		want(t, "cursor "+c[:4], e.callOff(admin, "GET", "/api/v1/members?cursor="+url.QueryEscape(c), "", ""), http.StatusBadRequest, "bad_request")
	}
	want(t, "long q", e.callOff(admin, "GET", "/api/v1/members?q="+strings.Repeat("x", 101), "", ""), http.StatusBadRequest, "bad_request")
}
