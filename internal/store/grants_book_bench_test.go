package store_test

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// BenchmarkGroupGrantsOfABook times an access group's page as an account
// manager sees it (their partners' grants, the others counted) against
// the platform admin's: one group granted to 20 000 people of 400
// partners, 50 each, and an account manager with 3 of those partners, so
// that their rows are rare in the group's list.
func BenchmarkGroupGrantsOfABook(b *testing.B) {
	db := pgtest.DB(b)
	st := store.New(db)
	ctx := context.Background()
	var groupID, amID int64
	for _, q := range []string{
		`INSERT INTO partners (name, slug) SELECT 'Partner ' || i, 'partner-' || i FROM generate_series(1, 400) i`,
		`INSERT INTO users (email, name, role, partner_id)
		 SELECT 'm' || i || '@p' || p.id || '.test', 'Member ' || i, 'developer', p.id FROM partners p, generate_series(1, 50) i`,
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Get(&groupID, `INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('Wide', 60) RETURNING id`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO grants (access_group_id, partner_id, user_id, granted_at)
		SELECT $1, u.partner_id, u.id, now() - u.id * interval '1 second' FROM users u WHERE u.partner_id IS NOT NULL`, groupID); err != nil {
		b.Fatal(err)
	}
	if err := db.Get(&amID, `INSERT INTO users (email, name, role) VALUES ('am@bench.test', 'Bench AM', 'account_manager') RETURNING id`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO partner_managers (partner_id, user_id)
		SELECT id, $1 FROM partners WHERE slug IN ('partner-7', 'partner-200', 'partner-391')`, amID); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		run  func() (int, error)
	}{
		{"group-grants-admin", func() (int, error) {
			rs, _, err := st.GroupGrantsPage(ctx, groupID, store.GrantPageQuery{Limit: 50})
			return len(rs), err
		}},
		{"group-grants-book", func() (int, error) {
			rs, _, err := st.GroupGrantsPage(ctx, groupID, store.GrantPageQuery{Limit: 50, Book: amID})
			return len(rs), err
		}},
		{"outside-book-count", func() (int, error) { return st.OpenGrantsOutsideBook(ctx, groupID, amID) }},
		{"grantees-search-admin", func() (int, error) {
			gs, _, err := st.SearchGrantees(ctx, groupID, store.GranteeQuery{Search: "member 1", Limit: store.MaxPicker})
			return len(gs) + 1, err
		}},
		{"grantees-search-book", func() (int, error) {
			// Everyone holds the group already: the search finds nobody,
			// the worst case for a book of three partners.
			gs, _, err := st.SearchGrantees(ctx, groupID, store.GranteeQuery{Search: "member 1", Limit: store.MaxPicker, Book: amID})
			return len(gs) + 1, err
		}},
		{"delete-refusal-book", func() (int, error) {
			names, others, err := st.OpenGrantPartners(ctx, groupID, amID)
			return len(names) * others, err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if n, err := tc.run(); err != nil || n == 0 {
					b.Fatal(n, err)
				}
			}
		})
	}
}
