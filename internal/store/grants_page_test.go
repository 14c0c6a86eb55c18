package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/store"
)

// execAll runs each statement, failing the test at the first error.
func execAll(t *testing.T, st *store.Store, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func newGroup(t *testing.T, st *store.Store, name string) int64 {
	t.Helper()
	var id int64
	if err := st.DB().Get(&id, `INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ($1, 60) RETURNING id`, name); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestSearchGrantees: the grant picker finds teams and active people of
// active partners by name or email, narrowed by partner name, with each
// one's partner; never staff, a suspended partner's people, removed people
// or a grantee holding the group already; at most the limit even when 500
// match; nothing at all for an empty search.
func TestSearchGrantees(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	harbor, crane := partnerOf(t, st, "admin@harbor.test"), partnerOf(t, st, "admin@crane.test")
	group := newGroup(t, st, "Yard")
	teamOf(t, st, harbor, "Ops crew")
	granted := teamOf(t, st, crane, "Crane ops")
	if _, err := st.DB().Exec(`INSERT INTO grants (access_group_id, partner_id, team_id) VALUES ($1, $2, $3)`, group, crane, granted); err != nil {
		t.Fatal(err)
	}
	execAll(t, st,
		`INSERT INTO users (email, name, role) VALUES ('ops@portico.test', 'Ops Staff', 'account_manager')`,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'ops' || i || '@harbor.test', 'Ops ' || lpad(i::text, 3, '0'), 'developer', `+
			fmt.Sprint(harbor)+` FROM generate_series(1, 500) i`,
		`UPDATE users SET status = 'removed' WHERE email = 'ops1@harbor.test'`,
		`INSERT INTO partners (name, slug, status) VALUES ('Ops Suspended', 'ops-suspended', 'suspended')`,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'ops@suspended.test', 'Ops Zed', 'developer', id FROM partners WHERE slug = 'ops-suspended'`,
		`INSERT INTO teams (name, partner_id) SELECT 'Ops zed', id FROM partners WHERE slug = 'ops-suspended'`)

	label := func(g store.Grantee) string {
		kind := "person"
		if g.TeamID != nil {
			kind = "team"
		}
		return kind + " " + g.Name + " / " + g.PartnerName
	}
	for _, tc := range []struct {
		name string
		q    store.GranteeQuery
		want []string
		more bool
	}{
		{"empty", store.GranteeQuery{Limit: 20}, nil, false},
		{"blank", store.GranteeQuery{Search: "  ", Partner: " ", Limit: 20}, nil, false},
		{"teams and people, by name", store.GranteeQuery{Search: "ops", Limit: 3},
			[]string{"person Ops 002 / Harbor Logistics", "person Ops 003 / Harbor Logistics", "person Ops 004 / Harbor Logistics"}, true},
		{"a team", store.GranteeQuery{Search: "ops c", Limit: 20}, []string{"team Ops crew / Harbor Logistics"}, false},
		{"granted already", store.GranteeQuery{Search: "crane ops", Limit: 20}, nil, false},
		{"staff and suspended never", store.GranteeQuery{Search: "ops s", Limit: 20}, nil, false},
		{"suspended never", store.GranteeQuery{Search: "ops z", Limit: 20}, nil, false},
		{"by email", store.GranteeQuery{Search: "DEV@crane", Limit: 20}, []string{"person Dan Crane / Crane Works"}, false},
		{"a partner alone", store.GranteeQuery{Partner: "crane", Limit: 20},
			[]string{"person Cleo Crane / Crane Works", "person Dan Crane / Crane Works"}, false},
		{"narrowed by partner", store.GranteeQuery{Search: "dan", Partner: "crane", Limit: 20}, []string{"person Dan Crane / Crane Works"}, false},
		{"narrowed to another partner", store.GranteeQuery{Search: "dan", Partner: "harbor", Limit: 20}, nil, false},
		{"other partner", store.GranteeQuery{Search: "ops 00", Partner: "crane", Limit: 20}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gs, more, err := st.SearchGrantees(ctx, group, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range gs {
				got = append(got, label(g))
				if g.UserID != nil && g.Role != nil && !strings.HasPrefix(*g.Role, "partner_admin") && *g.Role != "developer" {
					t.Errorf("%s has role %s", g.Name, *g.Role)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || more != tc.more {
				t.Errorf("more = %v, want %v (-want +got):\n%s", more, tc.more, diff)
			}
		})
	}
	gs, more, err := st.SearchGrantees(ctx, group, store.GranteeQuery{Search: "ops", Limit: 1000})
	if err != nil || len(gs) != store.MaxPicker || !more {
		t.Errorf("500 matches, limit 1000: %d, more %v, %v; want %d and more", len(gs), more, err, store.MaxPicker)
	}
}

// TestGroupGrantsPage: a group's open grants (newest first) and revoked
// ones (last revoked first) page by page, each once, with a grant made
// between two pages not repeating or skipping any; cursors say which list
// they continue, and another list's cursor is refused.
func TestGroupGrantsPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	harbor := partnerOf(t, st, "admin@harbor.test")
	group, other := newGroup(t, st, "Yard"), newGroup(t, st, "Dock")
	h, g, o := fmt.Sprint(harbor), fmt.Sprint(group), fmt.Sprint(other)
	execAll(t, st,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'g' || i || '@harbor.test', 'G ' || i, 'developer', `+h+` FROM generate_series(1, 60) i`,
		// Equal times, so the order needs the id too.
		`INSERT INTO grants (access_group_id, partner_id, user_id, granted_at, revoked_at)
		 SELECT `+g+`, `+h+`, u.id, now() - interval '1 day' + (u.n % 7) * interval '1 minute',
		        CASE WHEN u.n > 35 THEN now() - (u.n % 5) * interval '1 second' END
		 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users WHERE email LIKE 'g%@harbor.test') u`,
		`INSERT INTO grants (access_group_id, partner_id, user_id) SELECT `+o+`, `+h+`, id FROM users WHERE email = 'g1@harbor.test'`)
	walk := func(revoked bool, between func()) map[int64]int {
		seen := map[int64]int{}
		var after *store.Key
		for page := 0; ; page++ {
			rs, more, err := st.GroupGrantsPage(ctx, group, store.GrantPageQuery{Revoked: revoked, After: after, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rs {
				seen[r.ID]++
				if r.GroupID != group || (r.RevokedAt != nil) != revoked {
					t.Errorf("grant %d of group %d revoked %v in the wrong list", r.ID, r.GroupID, r.RevokedAt)
				}
				if i > 0 {
					prev, cur := store.GrantCursor(rs[i-1]), store.GrantCursor(r)
					pk, _, _ := store.ParseGrantCursor(prev)
					ck, _, _ := store.ParseGrantCursor(cur)
					if pk.Sort < ck.Sort || (pk.Sort == ck.Sort && pk.ID < ck.ID) {
						t.Errorf("grants out of order: %v before %v", pk, ck)
					}
				}
			}
			if page == 0 && between != nil {
				between()
			}
			if !more {
				return seen
			}
			k, isRevoked, ok := store.ParseGrantCursor(store.GrantCursor(rs[len(rs)-1]))
			if !ok || isRevoked != revoked {
				t.Fatalf("cursor of the %v list reads as revoked=%v ok=%v", revoked, isRevoked, ok)
			}
			after = k
		}
	}
	open := walk(false, func() {
		if _, err := st.DB().Exec(`INSERT INTO grants (access_group_id, partner_id, user_id) SELECT $1, $2, id FROM users WHERE email = 'g2@harbor.test'`, group, harbor); err == nil {
			t.Fatal("a second open grant to g2 was stored")
		}
		if _, err := st.DB().Exec(`INSERT INTO grants (access_group_id, partner_id, user_id) SELECT $1, $2, id FROM users WHERE email = 'admin@harbor.test'`, group, harbor); err != nil {
			t.Fatal(err)
		}
	})
	revoked := walk(true, nil)
	var nOpen, nRevoked int
	if err := st.DB().Get(&nOpen, `SELECT count(*) FROM grants WHERE access_group_id = $1 AND revoked_at IS NULL AND user_id <> (SELECT id FROM users WHERE email = 'admin@harbor.test')`, group); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().Get(&nRevoked, `SELECT count(*) FROM grants WHERE access_group_id = $1 AND revoked_at IS NOT NULL`, group); err != nil {
		t.Fatal(err)
	}
	if len(open) < nOpen || len(open) > nOpen+1 || len(revoked) != nRevoked || nOpen != 35 || nRevoked != 25 {
		t.Errorf("open %d of %d, revoked %d of %d", len(open), nOpen, len(revoked), nRevoked)
	}
	for id, n := range open {
		if n != 1 {
			t.Errorf("open grant %d seen %d times", id, n)
		}
	}
	for id, n := range revoked {
		if n != 1 || open[id] != 0 {
			t.Errorf("revoked grant %d seen %d times (and %d as open)", id, n, open[id])
		}
	}
	if n, err := st.OpenGrantCount(ctx, group); err != nil || n != 36 {
		t.Errorf("OpenGrantCount = %d, %v; want 36", n, err)
	}
	for _, raw := range []string{"", "x", store.TeamsList.Cursor(store.Key{Sort: "2026-01-01T00:00:00Z", ID: 1})} {
		if _, _, ok := store.ParseGrantCursor(raw); ok {
			t.Errorf("ParseGrantCursor(%q) accepted", raw)
		}
	}
}
