package store_test

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// BenchmarkPartnerMembers times the members list on the data set of issue
// 12 (10 000 members in 50 teams): all of them at once, as the page read
// them before, against one page of 50 (first, deep in the list, and a
// search).
func BenchmarkPartnerMembers(b *testing.B) {
	db := pgtest.DB(b)
	partnerID := fillAccessAtScale(b, db)
	st := store.New(db)
	ctx := context.Background()
	deep := &store.Key{Sort: "member 5000", ID: 1 << 62}
	if testing.Verbose() {
		var plan []string
		if err := db.Select(&plan, `EXPLAIN SELECT id FROM users u WHERE u.partner_id = $1 AND u.status = 'active'
			AND (lower(u.name), u.id) > ($2, $3) ORDER BY lower(u.name), u.id LIMIT 51`, partnerID, deep.Sort, deep.ID); err != nil {
			b.Fatal(err)
		}
		for _, l := range plan {
			b.Log(l)
		}
	}
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			if ms, err := st.PartnerMembers(ctx, partnerID); err != nil || len(ms) != 10000 {
				b.Fatal(len(ms), err)
			}
		}
	})
	for _, tc := range []struct {
		name string
		q    store.MemberQuery
	}{
		{"page-first", store.MemberQuery{ListQuery: store.ListQuery{Limit: 50}}},
		{"page-deep", store.MemberQuery{ListQuery: store.ListQuery{Limit: 50, After: deep}}},
		{"page-search", store.MemberQuery{ListQuery: store.ListQuery{Limit: 50, Search: "ber 99"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if ms, _, err := st.PartnerMembersPage(ctx, partnerID, tc.q); err != nil || len(ms) == 0 {
					b.Fatal(len(ms), err)
				}
			}
		})
	}
}
