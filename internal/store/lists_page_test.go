package store_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// listCase is one keyset-paged list for the shared walk of
// TestListPagesEveryRowOnce. Rows are named by a string (a slug, an email,
// an id).
type listCase struct {
	name string
	// fill adds the list's rows (and rows of other partners that must not
	// show).
	fill func(t *testing.T, db *sqlx.DB)
	// want is the whole list as it should be served, in order, read with
	// plain SQL.
	want func(t *testing.T, db *sqlx.DB) []string
	// early adds a row sorting before any cursor after the second page
	// (never served by the later pages); late one sorting after every row
	// (served on the last page), nil when the list's order makes new rows
	// always come first (newest first by id).
	early, late func(t *testing.T, db *sqlx.DB) string
	// remove takes a row out of the list (deletes, cancels, revokes it).
	remove func(t *testing.T, db *sqlx.DB, row string)
	// page reads one page.
	page func(st *store.Store, q store.ListQuery) (rows []string, keys []store.Key, more bool, err error)
}

func exec(t *testing.T, db *sqlx.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func column(t *testing.T, db *sqlx.DB, query string, args ...any) []string {
	t.Helper()
	var out []string
	if err := db.Select(&out, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func one(t *testing.T, db *sqlx.DB, query string, args ...any) string {
	t.Helper()
	var out string
	if err := db.Get(&out, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// rowsOf turns a page of rows into the names and keys the walk compares.
func rowsOf[T interface{ Key() store.Key }](rows []T, name func(T) string) ([]string, []store.Key) {
	var names []string
	var keys []store.Key
	for _, r := range rows {
		names = append(names, name(r))
		keys = append(keys, r.Key())
	}
	return names, keys
}

const harborPartner = `(SELECT id FROM partners WHERE slug = 'harbor-logistics')`
const cranePartner = `(SELECT id FROM partners WHERE slug = 'crane-works')`

func listCases() []listCase {
	ctx := context.Background()
	return []listCase{
		{
			name: "partners",
			fill: func(t *testing.T, db *sqlx.DB) {
				// Mixed case and equal names: the order needs lower(name) and id.
				exec(t, db, `INSERT INTO partners (name, slug)
					SELECT CASE WHEN i % 3 = 0 THEN 'Partner ' ELSE 'partner ' END || lpad((i / 2)::text, 3, '0'), 'p-' || i
					FROM generate_series(1, 40) i`)
			},
			want: func(t *testing.T, db *sqlx.DB) []string {
				return column(t, db, `SELECT slug FROM partners ORDER BY lower(name), id`)
			},
			early: func(t *testing.T, db *sqlx.DB) string {
				exec(t, db, `INSERT INTO partners (name, slug) VALUES ('AAA Early', 'early')`)
				return "early"
			},
			late: func(t *testing.T, db *sqlx.DB) string {
				exec(t, db, `INSERT INTO partners (name, slug) VALUES ('zzz Late', 'late')`)
				return "late"
			},
			remove: func(t *testing.T, db *sqlx.DB, row string) { exec(t, db, `DELETE FROM partners WHERE slug = $1`, row) },
			page: func(st *store.Store, q store.ListQuery) ([]string, []store.Key, bool, error) {
				ps, more, err := st.PartnersPage(ctx, store.PartnerFilter{}, q)
				names, keys := rowsOf(ps, func(p store.PartnerSummary) string { return p.Slug })
				return names, keys, more, err
			},
		},
		{
			name: "staff",
			fill: func(t *testing.T, db *sqlx.DB) {
				exec(t, db, `INSERT INTO users (email, name, role)
					SELECT 'staff' || i || '@portico.test', CASE WHEN i % 2 = 0 THEN 'Staff ' ELSE 'staff ' END || lpad((i / 2)::text, 3, '0'),
					       CASE WHEN i % 4 = 0 THEN 'admin' ELSE 'account_manager' END
					FROM generate_series(1, 40) i`)
				// Partner people are not staff.
				exec(t, db, `INSERT INTO users (email, name, role, partner_id) VALUES ('aaa@harbor.test', 'Aaa Staff', 'developer', `+harborPartner+`)`)
			},
			want: func(t *testing.T, db *sqlx.DB) []string {
				return column(t, db, `SELECT email FROM users WHERE role IN ('admin', 'account_manager') AND status = 'active'
					ORDER BY role <> 'admin', lower(name), id`)
			},
			early: func(t *testing.T, db *sqlx.DB) string {
				exec(t, db, `INSERT INTO users (email, name, role) VALUES ('early@portico.test', 'AAA Early', 'admin')`)
				return "early@portico.test"
			},
			late: func(t *testing.T, db *sqlx.DB) string {
				exec(t, db, `INSERT INTO users (email, name, role) VALUES ('late@portico.test', 'zzz Late', 'account_manager')`)
				return "late@portico.test"
			},
			remove: func(t *testing.T, db *sqlx.DB, row string) {
				exec(t, db, `UPDATE users SET status = 'removed' WHERE email = $1`, row)
			},
			page: func(st *store.Store, q store.ListQuery) ([]string, []store.Key, bool, error) {
				us, more, err := st.StaffPage(ctx, q)
				names, keys := rowsOf(us, func(u store.StaffMember) string { return u.Email })
				return names, keys, more, err
			},
		},
		{
			name: "outbox",
			fill: func(t *testing.T, db *sqlx.DB) {
				exec(t, db, `INSERT INTO outbox (to_email, to_name, subject, text_body, html_body)
					SELECT 'to' || i || '@x.test', '', 'mail ' || i, '', '' FROM generate_series(1, 40) i`)
			},
			want: func(t *testing.T, db *sqlx.DB) []string {
				return column(t, db, `SELECT id::text FROM outbox o ORDER BY o.id DESC`)
			},
			early: func(t *testing.T, db *sqlx.DB) string {
				return one(t, db, `INSERT INTO outbox (to_email, to_name, subject, text_body, html_body)
					VALUES ('new@x.test', '', 'new', '', '') RETURNING id::text`)
			},
			remove: func(t *testing.T, db *sqlx.DB, row string) {
				exec(t, db, `DELETE FROM outbox WHERE id = $1::bigint`, row)
			},
			page: func(st *store.Store, q store.ListQuery) ([]string, []store.Key, bool, error) {
				ms, more, err := st.MailsPage(ctx, q)
				names, keys := rowsOf(ms, func(m store.OutboxMail) string { return strconv.FormatInt(m.ID, 10) })
				return names, keys, more, err
			},
		},
		{
			name: "apis",
			fill: func(t *testing.T, db *sqlx.DB) {
				for i := range 40 {
					addAPI(t, db, fmt.Sprintf("api-%02d", i), fmt.Sprintf("%s %02d", []string{"Api", "api"}[i%2], i/2))
				}
			},
			want: func(t *testing.T, db *sqlx.DB) []string {
				return column(t, db, `SELECT slug FROM apis ORDER BY lower(name), id`)
			},
			early: func(t *testing.T, db *sqlx.DB) string { addAPI(t, db, "early", "AAA Early"); return "early" },
			late:  func(t *testing.T, db *sqlx.DB) string { addAPI(t, db, "late", "zzz Late"); return "late" },
			remove: func(t *testing.T, db *sqlx.DB, row string) {
				exec(t, db, `DELETE FROM access_group_apis WHERE api_id = (SELECT id FROM apis WHERE slug = $1)`, row)
				exec(t, db, `DELETE FROM apis WHERE slug = $1`, row)
			},
			page: func(st *store.Store, q store.ListQuery) ([]string, []store.Key, bool, error) {
				ls, more, err := st.APIListingsPage(ctx, nil, q)
				names, keys := rowsOf(ls, func(l store.APIListing) string { return l.Slug })
				return names, keys, more, err
			},
		},
		{
			name: "revisions",
			fill: func(t *testing.T, db *sqlx.DB) {
				exec(t, db, `INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes)
					SELECT a.id, a.current_revision + i, '1.' || i, '', '[]', '{}'
					FROM apis a, generate_series(1, 40) i WHERE a.slug = 'fleet'`)
				// Another API's revisions never show.
				exec(t, db, `INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes)
					SELECT a.id, a.current_revision + i, '9.' || i, '', '[]', '{}'
					FROM apis a, generate_series(1, 5) i WHERE a.slug = 'telemetry'`)
			},
			want: func(t *testing.T, db *sqlx.DB) []string {
				return column(t, db, `SELECT revision::text FROM api_revisions WHERE api_id = (SELECT id FROM apis WHERE slug = 'fleet') ORDER BY api_revisions.revision DESC`)
			},
			early: func(t *testing.T, db *sqlx.DB) string {
				return one(t, db, `INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes)
					SELECT api_id, max(revision) + 1, 'new', '', '[]', '{}' FROM api_revisions
					WHERE api_id = (SELECT id FROM apis WHERE slug = 'fleet') GROUP BY api_id RETURNING revision::text`)
			},
			remove: func(t *testing.T, db *sqlx.DB, row string) {
				exec(t, db, `DELETE FROM api_revisions WHERE api_id = (SELECT id FROM apis WHERE slug = 'fleet') AND revision = $1::int`, row)
			},
			page: func(st *store.Store, q store.ListQuery) ([]string, []store.Key, bool, error) {
				fleet, err := st.APIBySlug(ctx, "fleet")
				if err != nil {
					return nil, nil, false, err
				}
				rs, more, err := st.RevisionsPage(ctx, fleet.ID, q)
				names, keys := rowsOf(rs, func(r store.Revision) string { return strconv.Itoa(r.Revision) })
				return names, keys, more, err
			},
		},
		{
			name: "access groups",
			fill: func(t *testing.T, db *sqlx.DB) {
				exec(t, db, `INSERT INTO access_groups (name, rate_limit_per_minute)
					SELECT CASE WHEN i % 2 = 0 THEN 'Group ' ELSE 'group x' END || lpad(i::text, 3, '0'), 60 FROM generate_series(1, 40) i`)
			},
			want: func(t *testing.T, db *sqlx.DB) []string {
				return column(t, db, `SELECT name FROM access_groups ORDER BY lower(name), id`)
			},
			early: func(t *testing.T, db *sqlx.DB) string {
				exec(t, db, `INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('AAA Early', 60)`)
				return "AAA Early"
			},
			late: func(t *testing.T, db *sqlx.DB) string {
				exec(t, db, `INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('zzz Late', 60)`)
				return "zzz Late"
			},
			remove: func(t *testing.T, db *sqlx.DB, row string) {
				exec(t, db, `DELETE FROM access_groups WHERE name = $1`, row)
			},
			page: func(st *store.Store, q store.ListQuery) ([]string, []store.Key, bool, error) {
				gs, more, err := st.AccessGroupsPage(ctx, q)
				names, keys := rowsOf(gs, func(g store.AccessGroupSummary) string { return g.Name })
				return names, keys, more, err
			},
		},
		{
			name: "invitations",
			fill: func(t *testing.T, db *sqlx.DB) {
				// Several invitations share a creation time: the order needs the id.
				for _, p := range []string{harborPartner, cranePartner} {
					exec(t, db, `INSERT INTO invitations (partner_id, email, role, token_hash, expires_at, created_at)
						SELECT `+p+`, 'inv' || i || '@' || `+p+` || '.test', 'developer', gen_random_uuid()::text::bytea,
						       now() + interval '7 days', now() - ((i / 3) || ' minutes')::interval
						FROM generate_series(1, 40) i`)
				}
				// Accepted and cancelled ones are not open.
				exec(t, db, `UPDATE invitations SET cancelled_at = now() WHERE email = 'inv1@' || `+harborPartner+` || '.test'`)
				exec(t, db, `UPDATE invitations SET accepted_at = now() WHERE email = 'inv2@' || `+harborPartner+` || '.test'`)
			},
			want: func(t *testing.T, db *sqlx.DB) []string {
				return column(t, db, `SELECT email FROM invitations WHERE partner_id = `+harborPartner+`
					AND accepted_at IS NULL AND cancelled_at IS NULL ORDER BY created_at DESC, id DESC`)
			},
			early: func(t *testing.T, db *sqlx.DB) string {
				exec(t, db, `INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
					VALUES (`+harborPartner+`, 'early@harbor.test', 'developer', 'early', now() + interval '7 days')`)
				return "early@harbor.test"
			},
			late: func(t *testing.T, db *sqlx.DB) string {
				exec(t, db, `INSERT INTO invitations (partner_id, email, role, token_hash, expires_at, created_at)
					VALUES (`+harborPartner+`, 'late@harbor.test', 'developer', 'late', now() + interval '7 days', now() - interval '10 days')`)
				return "late@harbor.test"
			},
			remove: func(t *testing.T, db *sqlx.DB, row string) {
				exec(t, db, `UPDATE invitations SET cancelled_at = now() WHERE email = $1`, row)
			},
			page: func(st *store.Store, q store.ListQuery) ([]string, []store.Key, bool, error) {
				var harbor int64
				if err := st.DB().Get(&harbor, `SELECT `+harborPartner); err != nil {
					return nil, nil, false, err
				}
				invs, more, err := st.OpenInvitationsPage(ctx, harbor, q)
				names, keys := rowsOf(invs, func(i store.Invitation) string { return i.Email })
				return names, keys, more, err
			},
		},
		{
			name: "grants",
			fill: func(t *testing.T, db *sqlx.DB) {
				exec(t, db, `INSERT INTO access_groups (name, rate_limit_per_minute) SELECT 'grant group ' || i, 60 FROM generate_series(1, 5) i`)
				for _, p := range []string{harborPartner, cranePartner} {
					exec(t, db, `INSERT INTO users (email, name, role, partner_id)
						SELECT 'grantee' || i || '@' || `+p+` || '.test', 'Grantee ' || i, 'developer', `+p+` FROM generate_series(1, 8) i`)
					exec(t, db, `INSERT INTO grants (access_group_id, partner_id, user_id)
						SELECT g.id, u.partner_id, u.id FROM access_groups g, users u
						WHERE g.name LIKE 'grant group %' AND u.partner_id = `+p+` AND u.email LIKE 'grantee%'
						ORDER BY u.id, g.id`)
				}
				exec(t, db, `UPDATE grants SET revoked_at = now() WHERE id = (SELECT min(id) FROM grants WHERE partner_id = `+harborPartner+`)`)
			},
			want: func(t *testing.T, db *sqlx.DB) []string {
				return column(t, db, `SELECT id::text FROM grants WHERE partner_id = `+harborPartner+` AND revoked_at IS NULL
					ORDER BY grants.access_group_id, grants.id`)
			},
			early: func(t *testing.T, db *sqlx.DB) string {
				// A grant of the first group: the cursor is past it.
				exec(t, db, `INSERT INTO users (email, name, role, partner_id) VALUES ('early@harbor.test', 'Early', 'developer', `+harborPartner+`)`)
				return one(t, db, `INSERT INTO grants (access_group_id, partner_id, user_id)
					SELECT (SELECT min(access_group_id) FROM grants WHERE partner_id = `+harborPartner+`), partner_id, id
					FROM users WHERE email = 'early@harbor.test' RETURNING id::text`)
			},
			late: func(t *testing.T, db *sqlx.DB) string {
				exec(t, db, `INSERT INTO users (email, name, role, partner_id) VALUES ('late@harbor.test', 'Late', 'developer', `+harborPartner+`)`)
				return one(t, db, `INSERT INTO grants (access_group_id, partner_id, user_id)
					SELECT (SELECT max(access_group_id) FROM grants WHERE partner_id = `+harborPartner+`), partner_id, id
					FROM users WHERE email = 'late@harbor.test' RETURNING id::text`)
			},
			remove: func(t *testing.T, db *sqlx.DB, row string) {
				exec(t, db, `UPDATE grants SET revoked_at = now() WHERE id = $1::bigint`, row)
			},
			page: func(st *store.Store, q store.ListQuery) ([]string, []store.Key, bool, error) {
				var harbor int64
				if err := st.DB().Get(&harbor, `SELECT `+harborPartner); err != nil {
					return nil, nil, false, err
				}
				rs, more, err := st.PartnerGrantsPage(ctx, harbor, q)
				names, keys := rowsOf(rs, func(r store.GrantRow) string { return strconv.FormatInt(r.ID, 10) })
				return names, keys, more, err
			},
		},
	}
}

// seededStore is a throwaway database with the demo partners, people,
// catalog and access groups.
func seededStore(t *testing.T) *store.Store {
	t.Helper()
	st := pgtest.Store(t)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return st
}

// addAPI inserts an API with a first revision.
func addAPI(t *testing.T, db *sqlx.DB, slug, name string) {
	t.Helper()
	exec(t, db, `WITH a AS (INSERT INTO apis (slug, name) VALUES ($1, $2) RETURNING id)
		INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes)
		SELECT id, 1, '1.0', '', '[]', '{}' FROM a`, slug, name)
}

// TestListPagesEveryRowOnce walks every keyset-paged list page by page,
// 7 rows at a time: every row is served exactly once and in the list's
// order, although between the second and third page a row sorting before
// the cursor and one sorting after it are added and a row not yet served
// is taken out: the early one is not served (it belongs to pages already
// read), the late one is, the removed one is not, and nothing repeats or
// goes missing. Rows of other partners (invitations, grants) never show.
func TestListPagesEveryRowOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range listCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := seededStore(t)
			db := st.DB()
			tc.fill(t, db)
			want := tc.want(t, db)
			if len(want) < 30 {
				t.Fatalf("only %d rows to walk", len(want))
			}
			removed := want[len(want)-3]
			want = slices.Delete(want, len(want)-3, len(want)-2)

			var got []string
			var after *store.Key
			for page := 0; ; page++ {
				rows, keys, more, err := tc.page(st, store.ListQuery{After: after, Limit: 7})
				if err != nil {
					t.Fatal(err)
				}
				if more && len(rows) != 7 {
					t.Errorf("page %d holds %d rows with more to come, want 7", page+1, len(rows))
				}
				got = append(got, rows...)
				if page == 1 {
					early := tc.early(t, db)
					if slices.Contains(got, early) {
						t.Fatalf("%s served before it was added", early)
					}
					if tc.late != nil {
						want = append(want, tc.late(t, db))
					}
					tc.remove(t, db, removed)
				}
				if !more {
					break
				}
				after = &keys[len(keys)-1]
				if page > 20 {
					t.Fatal("no last page")
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows across pages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListPagesSearch: each list's search matches its columns ignoring
// case, takes % and _ literally, and never reaches another partner's rows.
func TestListPagesSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seededStore(t)
	db := st.DB()
	exec(t, db, `INSERT INTO partners (name, slug) VALUES ('100% Ports', 'hundred'), ('Under_Score', 'under-score'), ('UnderXScore', 'underx')`)
	exec(t, db, `UPDATE partners SET status = 'suspended' WHERE slug = 'underx'`)
	exec(t, db, `INSERT INTO users (email, name, role) VALUES ('grace@portico.test', 'Grace Hopper', 'account_manager')`)
	exec(t, db, `INSERT INTO users (email, name, role, partner_id) VALUES ('grace@harbor.test', 'Grace Harbor', 'developer', `+harborPartner+`)`)
	exec(t, db, `INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('Fleet readers', 60), ('50% off', 60)`)
	for _, p := range []string{harborPartner, cranePartner} {
		exec(t, db, `INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
			SELECT `+p+`, e || '@' || `+p+` || '.test', 'developer', gen_random_uuid()::text::bytea, now() + interval '1 day'
			FROM unnest(ARRAY['grace', 'under_score', 'underxscore']) e`)
		exec(t, db, `INSERT INTO grants (access_group_id, partner_id, user_id)
			SELECT g.id, u.partner_id, u.id FROM access_groups g, users u
			WHERE g.name = 'Fleet readers' AND u.partner_id = `+p+` AND u.role = 'developer'`)
	}
	var harbor int64
	if err := db.Get(&harbor, `SELECT `+harborPartner); err != nil {
		t.Fatal(err)
	}
	q := func(s string) store.ListQuery { return store.ListQuery{Search: s, Limit: 50} }
	for _, tc := range []struct {
		name string
		run  func() ([]string, error)
		want []string
	}{
		{"partners by name", func() ([]string, error) {
			ps, _, err := st.PartnersPage(ctx, store.PartnerFilter{}, q("HARBOR"))
			n, _ := rowsOf(ps, func(p store.PartnerSummary) string { return p.Slug })
			return n, err
		}, []string{"harbor-logistics"}},
		{"partners by slug", func() ([]string, error) {
			ps, _, err := st.PartnersPage(ctx, store.PartnerFilter{}, q("crane-w"))
			n, _ := rowsOf(ps, func(p store.PartnerSummary) string { return p.Slug })
			return n, err
		}, []string{"crane-works"}},
		{"partners % literal", func() ([]string, error) {
			ps, _, err := st.PartnersPage(ctx, store.PartnerFilter{}, q("0%"))
			n, _ := rowsOf(ps, func(p store.PartnerSummary) string { return p.Slug })
			return n, err
		}, []string{"hundred"}},
		{"partners _ literal", func() ([]string, error) {
			ps, _, err := st.PartnersPage(ctx, store.PartnerFilter{}, q("r_s"))
			n, _ := rowsOf(ps, func(p store.PartnerSummary) string { return p.Slug })
			return n, err
		}, []string{"under-score"}},
		{"partners suspended", func() ([]string, error) {
			ps, _, err := st.PartnersPage(ctx, store.PartnerFilter{Status: store.PartnerSuspended}, q("under"))
			n, _ := rowsOf(ps, func(p store.PartnerSummary) string { return p.Slug })
			return n, err
		}, []string{"underx"}},
		{"partners active", func() ([]string, error) {
			ps, _, err := st.PartnersPage(ctx, store.PartnerFilter{Status: store.PartnerActive}, q("under"))
			n, _ := rowsOf(ps, func(p store.PartnerSummary) string { return p.Slug })
			return n, err
		}, []string{"under-score"}},
		{"staff, never partner people", func() ([]string, error) {
			us, _, err := st.StaffPage(ctx, q("GRACE"))
			n, _ := rowsOf(us, func(u store.StaffMember) string { return u.Email })
			return n, err
		}, []string{"grace@portico.test"}},
		{"apis by slug", func() ([]string, error) {
			ls, _, err := st.APIListingsPage(ctx, nil, q("TELEM"))
			n, _ := rowsOf(ls, func(l store.APIListing) string { return l.Slug })
			return n, err
		}, []string{"telemetry"}},
		{"apis granted only", func() ([]string, error) {
			ls, _, err := st.APIListingsPage(ctx, []string{"fleet"}, q(""))
			n, _ := rowsOf(ls, func(l store.APIListing) string { return l.Slug })
			return n, err
		}, []string{"fleet"}},
		{"apis granted none", func() ([]string, error) {
			ls, _, err := st.APIListingsPage(ctx, []string{}, q(""))
			n, _ := rowsOf(ls, func(l store.APIListing) string { return l.Slug })
			return n, err
		}, nil},
		{"access groups", func() ([]string, error) {
			gs, _, err := st.AccessGroupsPage(ctx, q("0%"))
			n, _ := rowsOf(gs, func(g store.AccessGroupSummary) string { return g.Name })
			return n, err
		}, []string{"50% off"}},
		{"invitations of the partner only", func() ([]string, error) {
			invs, _, err := st.OpenInvitationsPage(ctx, harbor, q("GRACE"))
			n, _ := rowsOf(invs, func(i store.Invitation) string { return i.Email })
			return n, err
		}, []string{fmt.Sprintf("grace@%d.test", harbor)}},
		{"invitations _ literal", func() ([]string, error) {
			invs, _, err := st.OpenInvitationsPage(ctx, harbor, q("r_s"))
			n, _ := rowsOf(invs, func(i store.Invitation) string { return i.Email })
			return n, err
		}, []string{fmt.Sprintf("under_score@%d.test", harbor)}},
		{"grants by grantee email, partner only", func() ([]string, error) {
			rs, _, err := st.PartnerGrantsPage(ctx, harbor, q("grace@"))
			n, _ := rowsOf(rs, func(r store.GrantRow) string { return *r.UserEmail })
			return n, err
		}, []string{"grace@harbor.test"}},
		{"grants by group name, partner only", func() ([]string, error) {
			rs, _, err := st.PartnerGrantsPage(ctx, harbor, q("FLEET READ"))
			n, _ := rowsOf(rs, func(r store.GrantRow) string { return *r.UserEmail })
			return n, err
		}, []string{"dev@harbor.test", "grace@harbor.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.run()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPartnersPageCounts: each partner's row counts its active members,
// its open unexpired invitations and its teams, and nothing of another
// partner.
func TestPartnersPageCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	exec(t, db, `INSERT INTO users (email, name, role, partner_id, status) VALUES ('gone@harbor.test', 'Gone', 'developer', `+harborPartner+`, 'removed')`)
	exec(t, db, `INSERT INTO invitations (partner_id, email, role, token_hash, expires_at) VALUES
		(`+harborPartner+`, 'a@x.test', 'developer', 'a', now() + interval '1 day'),
		(`+harborPartner+`, 'b@x.test', 'developer', 'b', now() - interval '1 day'),
		(`+cranePartner+`, 'c@x.test', 'developer', 'c', now() + interval '1 day')`)
	want := map[string][3]int{}
	var rows []struct {
		Slug string `db:"slug"`
		M    int    `db:"m"`
		I    int    `db:"i"`
		T    int    `db:"t"`
	}
	if err := db.Select(&rows, `SELECT p.slug,
		(SELECT count(*) FROM users u WHERE u.partner_id = p.id AND u.status = 'active') AS m,
		(SELECT count(*) FROM invitations i WHERE i.partner_id = p.id AND i.accepted_at IS NULL AND i.cancelled_at IS NULL AND i.expires_at > now()) AS i,
		(SELECT count(*) FROM teams t WHERE t.partner_id = p.id) AS t FROM partners p`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want[r.Slug] = [3]int{r.M, r.I, r.T}
	}
	if want["harbor-logistics"][1] != 1 {
		t.Fatalf("fixture: harbor has %d open invitations, want 1", want["harbor-logistics"][1])
	}
	ps, _, err := st.PartnersPage(ctx, store.PartnerFilter{}, store.ListQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][3]int{}
	for _, p := range ps {
		got[p.Slug] = [3]int{p.Members, p.Invitations, p.Teams}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
