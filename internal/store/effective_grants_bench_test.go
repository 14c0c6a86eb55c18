package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// fillAccessAtScale fills db, in SQL, to the size issue 12 measured: one
// partner with 10 000 members in 50 teams (one in ten in two teams) and
// 400 open grants (200 to teams, 200 to members) of 20 access groups over
// the three sample APIs, beside 199 partners of 5 members and 3 grants
// each, and some revoked grants. It returns the big partner's id.
func fillAccessAtScale(tb testing.TB, db *sqlx.DB) int64 {
	tb.Helper()
	ctx := context.Background()
	var partnerID int64
	err := db.QueryRowxContext(ctx, `
		WITH p AS (
			INSERT INTO partners (name, slug)
			SELECT 'Partner ' || i, 'partner-' || i FROM generate_series(1, 200) i
			RETURNING id
		) SELECT min(id) FROM p`).Scan(&partnerID)
	if err != nil {
		tb.Fatalf("partners: %v", err)
	}
	for _, q := range []string{
		`INSERT INTO users (email, name, role, partner_id)
		 SELECT 'm' || i || '@big.test', 'Member ' || i, CASE WHEN i % 100 = 0 THEN 'partner_admin' ELSE 'developer' END, $1
		 FROM generate_series(1, 10000) i`,
		`INSERT INTO users (email, name, role, partner_id)
		 SELECT 'm' || i || '@p' || p.id || '.test', 'Member ' || i, 'developer', p.id
		 FROM partners p, generate_series(1, 5) i WHERE p.id <> $1`,
		`INSERT INTO teams (partner_id, name) SELECT $1, 'team ' || i FROM generate_series(1, 50) i`,
		`INSERT INTO team_memberships (team_id, user_id)
		 SELECT t.id, u.id FROM
		   (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id = $1) u
		   JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM teams WHERE partner_id = $1) t
		     ON t.n = u.n % 50 OR (u.n % 10 = 0 AND t.n = (u.n + 1) % 50)`,
		`INSERT INTO apis (slug, name) VALUES ('fleet', 'Fleet'), ('telemetry', 'Telemetry'), ('maintenance', 'Maintenance')`,
		`INSERT INTO access_groups (name, rate_limit_per_minute) SELECT 'group ' || i, 60 FROM generate_series(1, 20) i`,
		`INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		 SELECT g.id, a.id, ARRAY[a.slug || ':read'] FROM access_groups g, apis a
		 WHERE (g.id + a.id) % 3 <> 0 OR a.slug = 'fleet'`,
		// Each team: 4 groups; 200 members: one group each.
		`INSERT INTO grants (access_group_id, partner_id, team_id)
		 SELECT g.id, $1, t.id FROM
		   (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM teams WHERE partner_id = $1) t
		   JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM access_groups) g
		     ON g.n IN (t.n % 20, (t.n + 5) % 20, (t.n + 10) % 20, (t.n + 15) % 20)`,
		`INSERT INTO grants (access_group_id, partner_id, user_id)
		 SELECT g.id, $1, u.id FROM
		   (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id = $1 ORDER BY id LIMIT 200) u
		   JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM access_groups) g ON g.n = u.n % 20`,
		`INSERT INTO grants (access_group_id, partner_id, team_id, revoked_at)
		 SELECT g.id, $1, t.id, now() FROM teams t, access_groups g WHERE t.partner_id = $1 AND g.id % 7 = 0`,
		`INSERT INTO grants (access_group_id, partner_id, user_id)
		 SELECT g.id, u.partner_id, u.id FROM
		   (SELECT id, partner_id, row_number() OVER (PARTITION BY partner_id ORDER BY id) AS n FROM users WHERE partner_id <> $1) u
		   JOIN access_groups g ON g.id % 20 = (u.partner_id + u.n) % 20
		 WHERE u.n <= 3`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, partnerID)
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	// Statistics as autovacuum would have them on a database this size.
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		tb.Fatal(err)
	}
	return partnerID
}

// BenchmarkPartnerEffectiveGrants times the partner admin's access page
// query, for one page of 50 members, on the data set of issue 12.
func BenchmarkPartnerEffectiveGrants(b *testing.B) {
	db := pgtest.DB(b)
	partnerID := fillAccessAtScale(b, db)
	st := store.New(db)
	ctx := context.Background()
	var page []int64
	if err := db.Select(&page, `SELECT id FROM users WHERE partner_id = $1 AND status = 'active' ORDER BY lower(name), id LIMIT 50 OFFSET 5000`, partnerID); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		gs, err := st.PartnerEffectiveGrants(ctx, partnerID, page)
		if err != nil {
			b.Fatal(err)
		}
		if len(gs) == 0 {
			b.Fatal("no effective grants")
		}
	}
}

// BenchmarkEffectiveGrants times one member's effective access (what the
// credential verifier computes on a cache miss) on the same data set, for
// a member with a direct grant and two teams.
func BenchmarkEffectiveGrants(b *testing.B) {
	db := pgtest.DB(b)
	partnerID := fillAccessAtScale(b, db)
	var userID int64
	if err := db.Get(&userID, `SELECT min(user_id) FROM grants WHERE partner_id = $1 AND user_id IS NOT NULL`, partnerID); err != nil {
		b.Fatal(err)
	}
	st := store.New(db)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		gs, err := st.EffectiveGrants(ctx, userID)
		if err != nil {
			b.Fatal(err)
		}
		if len(gs) == 0 {
			b.Fatal("no effective grants")
		}
	}
}

// BenchmarkAccessPageQueries times the other queries of the partner
// admin's access page on the same data set: the grantee samples of every
// granted group, and a page of the members one group is granted to.
func BenchmarkAccessPageQueries(b *testing.B) {
	db := pgtest.DB(b)
	partnerID := fillAccessAtScale(b, db)
	st := store.New(db)
	ctx := context.Background()
	var group int64
	if err := db.Get(&group, `SELECT access_group_id FROM grants WHERE partner_id = $1 AND revoked_at IS NULL
		GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`, partnerID); err != nil {
		b.Fatal(err)
	}
	b.Run("grantee samples", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if rs, err := st.PartnerGranteeSamples(ctx, partnerID, 10); err != nil || len(rs) == 0 {
				b.Fatal(len(rs), err)
			}
		}
	})
	b.Run("members of one group", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if ms, _, err := st.PartnerMembersPage(ctx, partnerID, store.MemberQuery{ListQuery: store.ListQuery{Limit: 50}, ReachGroup: group}); err != nil || len(ms) == 0 {
				b.Fatal(len(ms), err)
			}
		}
	})
}
