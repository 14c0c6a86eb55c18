package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
)

// listItem holds the fields that name an item of any of the lists below.
type listItem struct {
	ID       int64  `json:"id"`
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Revision int    `json:"revision"`
	Grantee  struct {
		Email *string `json:"email"`
	} `json:"grantee"`
}

// withLists is newEnv with the demo catalog and 30 more rows in each of
// the lists: APIs, fleet's revisions, access groups, open invitations and
// grants (Harbor's and as many of Crane's, which Harbor never sees).
func withLists(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	if err := demo.SeedCatalog(context.Background(), e.store); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`WITH a AS (INSERT INTO apis (slug, name) SELECT 'filler-' || i, CASE WHEN i % 2 = 0 THEN 'Filler ' ELSE 'filler ' END || (i / 2) FROM generate_series(1, 30) i RETURNING id)
		 INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes) SELECT id, 1, '1.0', '', '[]', '{}' FROM a`,
		`INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes)
		 SELECT a.id, a.current_revision + i, '1.' || i, '', '[]', '{}' FROM apis a, generate_series(1, 30) i WHERE a.slug = 'fleet'`,
		`INSERT INTO access_groups (name, rate_limit_per_minute) SELECT 'Filler group ' || i, 60 FROM generate_series(1, 30) i`,
		`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at, created_at)
		 SELECT p.id, 'inv' || i || '@' || p.slug || '.test', 'developer', (p.slug || i)::bytea, now() + interval '7 days',
		        now() - ((i / 4) || ' minutes')::interval
		 FROM partners p, generate_series(1, 30) i WHERE p.slug IN ('harbor-logistics', 'crane-works')`,
		`INSERT INTO grants (access_group_id, partner_id, user_id)
		 SELECT g.id, u.partner_id, u.id FROM access_groups g, users u
		 WHERE g.name LIKE 'Filler group %' AND u.email IN ('dev@harbor.test', 'dev@crane.test')`,
	} {
		if _, err := e.store.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return e
}

// TestKeysetListsEveryItemOnce: each /api/v1 list paged from the database
// serves every item exactly once across pages of 7 in the order of the
// whole list, next_cursor null on the last page; an item added before the
// cursor between two pages is not served, one added after it is.
func TestKeysetListsEveryItemOnce(t *testing.T) {
	t.Parallel()
	e := withLists(t)
	staff, harbor := e.signIn("admin@portico.test"), e.signIn("admin@harbor.test")
	harborID := e.userPartner("admin@harbor.test")
	exec := func(q string) {
		if _, err := e.store.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, tc := range []struct {
		name, path, cookie string
		want               string // the whole list, in order, with plain SQL
		name1              func(listItem) string
		early, late        string // SQL adding an item before and after the cursor
		lateName           string
	}{
		{"apis", "/api/v1/apis", staff, `SELECT slug FROM apis ORDER BY lower(name), id`,
			func(i listItem) string { return i.Slug },
			`WITH a AS (INSERT INTO apis (slug, name) VALUES ('early', 'AAA') RETURNING id) INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes) SELECT id, 1, '1', '', '[]', '{}' FROM a`,
			`WITH a AS (INSERT INTO apis (slug, name) VALUES ('late', 'zzz') RETURNING id) INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes) SELECT id, 1, '1', '', '[]', '{}' FROM a`,
			"late"},
		{"revisions", "/api/v1/apis/fleet/revisions", staff,
			`SELECT r.revision::text FROM api_revisions r JOIN apis a ON a.id = r.api_id WHERE a.slug = 'fleet' ORDER BY r.revision DESC`,
			func(i listItem) string { return strconv.Itoa(i.Revision) },
			`INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes) SELECT id, 1000, 'new', '', '[]', '{}' FROM apis WHERE slug = 'fleet'`,
			"", ""},
		{"access groups", "/api/v1/access-groups", staff, `SELECT name FROM access_groups ORDER BY lower(name), id`,
			func(i listItem) string { return i.Name },
			`INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('AAA', 60)`,
			`INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('zzz', 60)`, "zzz"},
		{"invitations", "/api/v1/invitations", harbor,
			fmt.Sprintf(`SELECT email FROM invitations WHERE partner_id = %d AND accepted_at IS NULL AND cancelled_at IS NULL ORDER BY created_at DESC, id DESC`, harborID),
			func(i listItem) string { return i.Email },
			fmt.Sprintf(`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at) VALUES (%d, 'early@x.test', 'developer', 'e', now() + interval '1 day')`, harborID),
			fmt.Sprintf(`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at, created_at) VALUES (%d, 'late@x.test', 'developer', 'l', now() + interval '1 day', now() - interval '30 days')`, harborID),
			"late@x.test"},
		{"grants", "/api/v1/grants", harbor,
			fmt.Sprintf(`SELECT g.id::text FROM grants g WHERE g.partner_id = %d AND g.revoked_at IS NULL ORDER BY g.access_group_id, g.id`, harborID),
			func(i listItem) string { return strconv.FormatInt(i.ID, 10) },
			fmt.Sprintf(`INSERT INTO grants (access_group_id, partner_id, user_id) SELECT (SELECT min(access_group_id) FROM grants WHERE partner_id = %d), partner_id, id FROM users WHERE email = 'admin@harbor.test'`, harborID),
			"", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var all []string
			if err := e.store.DB().Select(&all, tc.want); err != nil {
				t.Fatal(err)
			}
			var got []string
			path := tc.path + "?limit=7"
			for page := 0; page < 30; page++ {
				rec := e.call(tc.cookie, "GET", path, "")
				want(t, path, rec, http.StatusOK, "")
				body := decodeBody[list[listItem]](t, rec)
				for _, it := range body.Items {
					got = append(got, tc.name1(it))
				}
				if page == 1 {
					exec(tc.early)
					if tc.late != "" {
						exec(tc.late)
						all = append(all, tc.lateName)
					}
				}
				if body.NextCursor == nil {
					break
				}
				path = tc.path + "?limit=7&cursor=" + url.QueryEscape(*body.NextCursor)
			}
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("items across pages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKeysetListsSearch: q searches each list ignoring case, literally,
// and never reaches another partner's invitations or grants; for staff the
// grants are those of the partner_id they name.
func TestKeysetListsSearch(t *testing.T) {
	t.Parallel()
	e := withLists(t)
	staff, harbor, crane := e.signIn("admin@portico.test"), e.signIn("admin@harbor.test"), e.signIn("admin@crane.test")
	names := func(cookie, path string, name func(listItem) string) []string {
		t.Helper()
		rec := e.call(cookie, "GET", path, "")
		want(t, path, rec, http.StatusOK, "")
		var out []string
		for _, it := range decodeBody[list[listItem]](t, rec).Items {
			out = append(out, name(it))
		}
		return out
	}
	slug := func(i listItem) string { return i.Slug }
	email := func(i listItem) string { return i.Email }
	grantee := func(i listItem) string {
		if i.Grantee.Email == nil {
			return "team"
		}
		return *i.Grantee.Email
	}
	for _, tc := range []struct {
		cookie, path string
		name         func(listItem) string
		want         []string
	}{
		{staff, "/api/v1/apis?q=TELEM", slug, []string{"telemetry"}},
		{staff, "/api/v1/apis?q=filler+1&limit=3", slug, []string{"filler-2", "filler-3", "filler-20"}},
		{staff, "/api/v1/access-groups?q=group+3", func(i listItem) string { return i.Name }, []string{"Filler group 3", "Filler group 30"}},
		{harbor, "/api/v1/invitations?q=INV12@", email, []string{"inv12@harbor-logistics.test"}},
		{harbor, "/api/v1/invitations?q=crane", email, nil},
		{crane, "/api/v1/invitations?q=harbor", email, nil},
		{harbor, "/api/v1/grants?q=filler+group+7", grantee, []string{"dev@harbor.test"}},
		{harbor, "/api/v1/grants?q=crane", grantee, nil},
		{crane, "/api/v1/grants?q=DEV@HARBOR", grantee, nil},
		{staff, "/api/v1/grants?partner_id=" + strconv.FormatInt(e.userPartner("admin@crane.test"), 10) + "&q=filler+group+7", grantee, []string{"dev@crane.test"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, names(tc.cookie, tc.path, tc.name)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestKeysetListsRefuseBadInput: every list answers a documented 400 to a
// bad limit, a cursor it did not give out (the old offset cursors and
// other lists' included) and a q over 100 characters.
func TestKeysetListsRefuseBadInput(t *testing.T) {
	t.Parallel()
	e := withLists(t)
	staff, harbor := e.signIn("admin@portico.test"), e.signIn("admin@harbor.test")
	members := decodeBody[list[member]](t, e.call(harbor, "GET", "/api/v1/members?limit=1", ""))
	if members.NextCursor == nil {
		t.Fatal("members has one page")
	}
	for _, tc := range []struct{ cookie, path string }{
		{staff, "/api/v1/apis"},
		{staff, "/api/v1/apis/fleet/revisions"},
		{staff, "/api/v1/access-groups"},
		{harbor, "/api/v1/invitations"},
		{harbor, "/api/v1/grants"},
	} {
		for _, bad := range []string{"limit=0", "limit=201", "limit=ten", "cursor=nope", "cursor=djE6MToy", "cursor=" + url.QueryEscape(*members.NextCursor),
			"cursor=" + strings.Repeat("A", 3000), "q=" + strings.Repeat("é", 101)} {
			want(t, tc.path+"?"+bad[:min(len(bad), 20)], e.callOff(tc.cookie, "GET", tc.path+"?"+bad, "", ""), http.StatusBadRequest, "bad_request")
		}
	}
}

// userPartner is the partner id of the user with the email.
func (e *env) userPartner(email string) int64 {
	e.t.Helper()
	var id int64
	if err := e.store.DB().Get(&id, `SELECT partner_id FROM users WHERE email = $1`, email); err != nil {
		e.t.Fatal(err)
	}
	return id
}
