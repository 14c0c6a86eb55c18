package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestTokenPagesReadAnIndexInOrder: on a partner with 20 000 tokens among
// 60 000 (statistics up to date), every filter of the partner's list and
// of a member's own list, first page and deep, reads the index made for it
// in the list's order to pick the page's rows: no sort of the partner's
// tokens, no scan of the table. A plan that sorts would cost the whole
// partner on every page.
func TestTokenPagesReadAnIndexInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	var partnerID, userID int64
	if err := db.GetContext(ctx, &partnerID, `
		WITH p AS (INSERT INTO partners (name, slug) SELECT 'P' || i, 'p-' || i FROM generate_series(1, 30) i RETURNING id)
		SELECT min(id) FROM p`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (email, name, role, partner_id)
		 SELECT 'u' || i || '@p' || p.id || '.test', 'User ' || i, 'developer', p.id
		 FROM partners p, generate_series(1, CASE WHEN p.id = $1 THEN 2000 ELSE 20 END) i`,
		// 20 000 tokens of the partner (member n % 2000, the first also
		// every 20th), 40 000 of the others; over a year, about half
		// expired, one in eight revoked, one in fifty pending.
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, pending, revoked_at)
		 SELECT u.id, $1, 'token ' || i, 'sandbox', decode(md5('t' || i), 'hex'), 'ptc_sbx_…abcd', '{fleet/fleet:read}',
		        now() - i * interval '26 minutes', now() - i * interval '26 minutes' + (ARRAY[30, 90, 365])[i % 3 + 1] * interval '1 day',
		        i % 50 = 0, CASE WHEN i % 8 = 0 THEN now() END
		 FROM generate_series(1, 20000) i
		 JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id = $1) u
		   ON u.n = CASE WHEN i % 20 = 0 THEN 0 ELSE i % 2000 END`,
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, revoked_at)
		 SELECT u.id, u.partner_id, 'token ' || i, 'sandbox', decode(md5('o' || i), 'hex'), 'ptc_sbx_…abcd', '{fleet/fleet:read}',
		        now() - i * interval '13 minutes', now() - i * interval '13 minutes' + (ARRAY[30, 90, 365])[i % 3 + 1] * interval '1 day',
		        CASE WHEN i % 8 = 0 THEN now() END
		 FROM generate_series(1, 40000) i
		 JOIN (SELECT id, partner_id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id <> $1) u ON u.n = i % 580`,
		`ANALYZE`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, partnerID)
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.50s: %v", q, err)
		}
	}
	if err := db.GetContext(ctx, &userID, `SELECT min(id) FROM users WHERE partner_id = $1`, partnerID); err != nil {
		t.Fatal(err)
	}
	deep := store.TimeKey(time.Now().Add(-10000*26*time.Minute), 1<<62)
	want := map[bool]map[string]string{
		true: {store.TokensOpen: "tokens_partner_open", store.TokensPending: "tokens_partner_pending", store.TokensExpired: "tokens_partner_open",
			store.TokensRevoked: "tokens_partner_revoked", store.TokensAll: "tokens_partner_list"},
		false: {store.TokensOpen: "tokens_user_open", store.TokensPending: "tokens_user_pending", store.TokensExpired: "tokens_user_open",
			store.TokensRevoked: "tokens_user_list", store.TokensAll: "tokens_user_list"},
	}
	for _, partner := range []bool{true, false} {
		id := userID
		if partner {
			id = partnerID
		}
		for _, status := range store.TokenStatuses {
			for _, after := range []*store.Key{nil, &deep} {
				name := "user/" + status
				if partner {
					name = "partner/" + status
				}
				if after != nil {
					name += "/deep"
				}
				t.Run(name, func(t *testing.T) {
					var sort *string
					var afterID int64
					if after != nil {
						sort, afterID = &after.Sort, after.ID
					}
					var plan []string
					if err := db.SelectContext(ctx, &plan, `EXPLAIN `+store.TokensPageSQL(partner, status), id, 26, sort, afterID, "", partner); err != nil {
						t.Fatal(err)
					}
					// Under the Limit that picks the page's rows: the index,
					// read in order. Above it the page's 26 rows may be
					// joined to their owners and sorted again: that costs
					// the page, not the partner.
					text := strings.Join(plan, "\n")
					_, page, ok := strings.Cut(text, "->  Limit")
					if !ok || strings.Contains(page, "Sort") || strings.Contains(text, "Seq Scan on tokens") ||
						!strings.Contains(page, "Index Scan using "+want[partner][status]+" on tokens") {
						t.Errorf("plan does not read %s in order:\n%s", want[partner][status], text)
					}
				})
			}
		}
	}
}
