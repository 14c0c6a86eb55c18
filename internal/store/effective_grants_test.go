package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// insertID runs an INSERT … RETURNING id and returns the id.
func insertID(t *testing.T, db *sqlx.DB, query string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRowxContext(context.Background(), query, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}

// TestEffectiveGrantsEdgeCases pins down what a member reaches: open grants
// to them or to one of their teams, of their own partner, while they and the
// partner are active, on APIs not retired, each (API, group) once, even
// when a group is reached directly and through one or two teams.
func TestEffectiveGrantsEdgeCases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	st := store.New(db)

	partner := func(slug, status string) int64 {
		return insertID(t, db, `INSERT INTO partners (name, slug, status) VALUES ($1, $1, $2) RETURNING id`, slug, status)
	}
	harbor, crane, dock := partner("harbor", "active"), partner("crane", "active"), partner("dock", "suspended")
	user := func(p int64, name, status string) int64 {
		return insertID(t, db, `INSERT INTO users (email, name, role, partner_id, status) VALUES ($1 || '@x.test', $1, 'developer', $2, $3) RETURNING id`, name, p, status)
	}
	alice, bob, carol := user(harbor, "alice", "active"), user(harbor, "bob", "active"), user(harbor, "carol", "active")
	dave, erin, frank := user(harbor, "dave", "removed"), user(harbor, "erin", "active"), user(harbor, "frank", "active")
	quinn, sam := user(crane, "quinn", "active"), user(dock, "sam", "active")
	team := func(p int64, name string, members ...int64) int64 {
		id := insertID(t, db, `INSERT INTO teams (partner_id, name) VALUES ($1, $2) RETURNING id`, p, name)
		for _, m := range members {
			if _, err := db.ExecContext(ctx, `INSERT INTO team_memberships (team_id, user_id) VALUES ($1, $2)`, id, m); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	// alice is in crane's team too: a crane grant to it is not hers.
	ops, night, yard := team(harbor, "ops", alice, bob, dave), team(harbor, "night", bob, frank), team(crane, "yard", quinn, alice)
	api := func(slug, status string) int64 {
		return insertID(t, db, `INSERT INTO apis (slug, name, status, sunset_at) VALUES ($1, $1, $2, CASE WHEN $2 = 'deprecated' THEN now() + interval '30 days' END) RETURNING id`, slug, status)
	}
	alpha, beta, gone := api("alpha", "active"), api("beta", "deprecated"), api("gone", "retired")
	group := func(name string, rate int, quota *int64, apis map[int64][]string) int64 {
		id := insertID(t, db, `INSERT INTO access_groups (name, rate_limit_per_minute, monthly_quota) VALUES ($1, $2, $3) RETURNING id`, name, rate, quota)
		for a, scopes := range apis {
			if _, err := db.ExecContext(ctx, `INSERT INTO access_group_apis (access_group_id, api_id, scopes) VALUES ($1, $2, $3)`, id, a, scopes); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	quota := int64(1000)
	g1 := group("G1", 600, nil, map[int64][]string{alpha: {"a:read"}, gone: {"g:read"}})
	g2 := group("G2", 60, &quota, map[int64][]string{alpha: {"a:read", "a:write"}, beta: {"b:read"}})
	g3 := group("G3", 10, nil, map[int64][]string{beta: {"b:write"}})
	grant := func(g, p int64, teamID, userID *int64, revoked bool) {
		t.Helper()
		if _, err := db.ExecContext(ctx, `INSERT INTO grants (access_group_id, partner_id, team_id, user_id, revoked_at) VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END)`, g, p, teamID, userID, revoked); err != nil {
			t.Fatal(err)
		}
	}
	id := func(v int64) *int64 { return &v }
	grant(g1, harbor, nil, id(alice), false) // and through ops: once
	grant(g1, harbor, id(ops), nil, false)
	grant(g2, harbor, id(night), nil, false)
	grant(g2, harbor, nil, id(bob), false)  // and through night: once
	grant(g1, harbor, nil, id(dave), false) // removed
	grant(g3, harbor, nil, id(erin), true)  // revoked
	grant(g3, harbor, id(night), nil, true) // revoked
	grant(g3, crane, id(yard), nil, false)  // quinn's; not alice's
	grant(g3, crane, nil, id(alice), false) // another partner's grant
	grant(g1, crane, nil, id(quinn), false)
	grant(g1, dock, nil, id(sam), false) // suspended partner

	eg := func(a int64, slug, status string, g int64) store.EffectiveGrant {
		e := store.EffectiveGrant{APIID: a, APISlug: slug, APIStatus: status, AccessGroupID: g}
		switch g {
		case g1:
			e.GroupName, e.RatePerMinute, e.Scopes = "G1", 600, []string{"a:read"}
		case g2:
			e.GroupName, e.RatePerMinute, e.MonthlyQuota = "G2", 60, &quota
			e.Scopes = map[int64][]string{alpha: {"a:read", "a:write"}, beta: {"b:read"}}[a]
		case g3:
			e.GroupName, e.RatePerMinute, e.Scopes = "G3", 10, []string{"b:write"}
		}
		return e
	}
	alphaG1, alphaG2, betaG2, betaG3 := eg(alpha, "alpha", "active", g1), eg(alpha, "alpha", "active", g2), eg(beta, "beta", "deprecated", g2), eg(beta, "beta", "deprecated", g3)
	want := map[int64][]store.EffectiveGrant{
		alice: {alphaG1},
		bob:   {alphaG1, alphaG2, betaG2},
		frank: {alphaG2, betaG2},
		quinn: {alphaG1, betaG3},
		carol: nil, dave: nil, erin: nil, sam: nil,
	}
	names := map[int64]string{alice: "alice", bob: "bob", carol: "carol", dave: "dave", erin: "erin", frank: "frank", quinn: "quinn", sam: "sam"}
	for u, w := range want {
		t.Run("user "+names[u], func(t *testing.T) {
			got, err := st.EffectiveGrants(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("EffectiveGrants (-want +got):\n%s", diff)
			}
		})
	}

	members := func(us ...int64) []store.MemberEffectiveGrant {
		var ms []store.MemberEffectiveGrant
		for _, u := range us {
			for _, e := range want[u] {
				ms = append(ms, store.MemberEffectiveGrant{UserID: u, EffectiveGrant: e})
			}
		}
		return ms
	}
	// Every user of every partner: a partner's page never returns another's.
	everyone := []int64{alice, bob, carol, dave, erin, frank, quinn, sam}
	for _, tc := range []struct {
		name    string
		partner int64
		users   []int64
		want    []store.MemberEffectiveGrant
	}{
		{"harbor", harbor, everyone, members(alice, bob, frank)},
		{"harbor, a page of two", harbor, []int64{bob, frank}, members(bob, frank)},
		{"crane", crane, everyone, members(quinn)},
		{"suspended", dock, everyone, nil},
		{"no one asked", harbor, nil, nil},
	} {
		t.Run("partner "+tc.name, func(t *testing.T) {
			got, err := st.PartnerEffectiveGrants(ctx, tc.partner, tc.users)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PartnerEffectiveGrants (-want +got):\n%s", diff)
			}
		})
	}
}
