package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// fillTokensAtScale adds to fillAccessAtScale the tokens of issue 12:
// 100 000 listed tokens, 20 000 of them the big partner's (1 000 of those
// one member's), created over a year, living 30, 90 or 365 days (so about
// half are expired), one in eight revoked, one in fifty a pending live
// token; and 5 000 console tokens of the big partner, never listed. It
// returns the big partner's id and that member's.
func fillTokensAtScale(tb testing.TB, db *sqlx.DB) (partnerID, userID int64) {
	tb.Helper()
	partnerID = fillAccessAtScale(tb, db)
	ctx := context.Background()
	if err := db.GetContext(ctx, &userID, `SELECT min(id) FROM users WHERE partner_id = $1`, partnerID); err != nil {
		tb.Fatal(err)
	}
	for _, q := range []string{
		// The big partner's: token i of member i % 10 000 (the first member
		// also every 20th), i = 1 the newest.
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, pending, revoked_at, console)
		 SELECT CASE WHEN i % 20 = 0 THEN $2 ELSE u.id END, $1, 'token ' || i, CASE WHEN i % 50 = 0 THEN 'live' ELSE 'sandbox' END,
		        decode(md5('big' || i), 'hex'), 'ptc_sbx_…abcd', '{fleet/fleet:read}',
		        now() - i * interval '26 minutes',
		        now() - i * interval '26 minutes' + (ARRAY[30, 90, 365])[i % 3 + 1] * interval '1 day',
		        i % 50 = 0, CASE WHEN i % 8 = 0 THEN now() - i * interval '13 minutes' END, i > 20000
		 FROM generate_series(1, 25000) i
		 JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id = $1) u ON u.n = i % 10000`,
		// The other partners': 80 000 over their 995 members.
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, revoked_at)
		 SELECT u.id, u.partner_id, 'token ' || i, 'sandbox', decode(md5('other' || i), 'hex'), 'ptc_sbx_…abcd', '{fleet/fleet:read}',
		        now() - i * interval '6 minutes', now() - i * interval '6 minutes' + (ARRAY[30, 90, 365])[i % 3 + 1] * interval '1 day',
		        CASE WHEN i % 8 = 0 THEN now() END
		 FROM generate_series(1, 80000) i
		 JOIN (SELECT id, partner_id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id <> $1) u ON u.n = i % 995`,
		`ANALYZE tokens`,
	} {
		var args []any
		switch {
		case strings.Contains(q, "$2"):
			args = []any{partnerID, userID}
		case strings.Contains(q, "$1"):
			args = []any{partnerID}
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			tb.Fatalf("%.60s: %v", q, err)
		}
	}
	return partnerID, userID
}

// BenchmarkTokenPages times the token lists on the data set of issue 12:
// the partner's list (partner admins, staff, /api/v1/partner/tokens) and
// a member's own list with 1 000 tokens, each filter's first page of 25
// and a page deep in the list (after half the partner's tokens), and
// searches by owner and by a rare name.
func BenchmarkTokenPages(b *testing.B) {
	db := pgtest.DB(b)
	partnerID, userID := fillTokensAtScale(b, db)
	st := store.New(db)
	ctx := context.Background()
	// Half-way: token 10 000 was created 10 000 × 26 minutes ago.
	deep := store.TimeKey(time.Now().Add(-10000*26*time.Minute), 1<<62)
	last := store.TimeKey(time.Now().Add(-19990*26*time.Minute), 1<<62)
	if testing.Verbose() {
		var plan []string
		if err := db.Select(&plan, `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
			SELECT t.id FROM tokens t JOIN users u ON u.id = t.user_id
			WHERE t.partner_id = $1 AND NOT t.console AND t.revoked_at IS NULL AND t.expires_at > now()
			  AND (t.created_at, t.id) < ($2::timestamptz, $3::bigint)
			ORDER BY t.created_at DESC, t.id DESC LIMIT 26`, partnerID, deep.Sort, deep.ID); err != nil {
			b.Fatal(err)
		}
		for _, l := range plan {
			b.Log(l)
		}
	}
	for _, tc := range []struct {
		name string
		user bool
		q    store.TokenQuery
	}{
		{"partner/open/first", false, store.TokenQuery{}},
		{"partner/open/deep", false, store.TokenQuery{ListQuery: store.ListQuery{After: &deep}}},
		{"partner/pending/first", false, store.TokenQuery{Status: store.TokensPending}},
		{"partner/expired/first", false, store.TokenQuery{Status: store.TokensExpired}},
		{"partner/expired/deep", false, store.TokenQuery{ListQuery: store.ListQuery{After: &deep}, Status: store.TokensExpired}},
		{"partner/revoked/first", false, store.TokenQuery{Status: store.TokensRevoked}},
		{"partner/revoked/deep", false, store.TokenQuery{ListQuery: store.ListQuery{After: &deep}, Status: store.TokensRevoked}},
		{"partner/all/first", false, store.TokenQuery{Status: store.TokensAll}},
		{"partner/all/deep", false, store.TokenQuery{ListQuery: store.ListQuery{After: &deep}, Status: store.TokensAll}},
		{"partner/all/last", false, store.TokenQuery{ListQuery: store.ListQuery{After: &last}, Status: store.TokensAll}},
		{"partner/all/search-owner", false, store.TokenQuery{ListQuery: store.ListQuery{Search: "m1234@"}, Status: store.TokensAll}},
		{"partner/all/search-name", false, store.TokenQuery{ListQuery: store.ListQuery{Search: "token 1999"}, Status: store.TokensAll}},
		{"user/open/first", true, store.TokenQuery{}},
		{"user/open/deep", true, store.TokenQuery{ListQuery: store.ListQuery{After: &deep}}},
		{"user/pending/first", true, store.TokenQuery{Status: store.TokensPending}},
		{"user/all/deep", true, store.TokenQuery{ListQuery: store.ListQuery{After: &deep}, Status: store.TokensAll}},
		{"user/revoked/first", true, store.TokenQuery{Status: store.TokensRevoked}},
	} {
		tc.q.Limit = 25
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				var ts []store.Token
				var err error
				if tc.user {
					ts, _, err = st.UserTokensPage(ctx, userID, tc.q)
				} else {
					ts, _, err = st.PartnerTokensPage(ctx, partnerID, tc.q)
				}
				if err != nil || len(ts) == 0 {
					b.Fatal(len(ts), err)
				}
			}
		})
	}
	b.Run("pending-count", func(b *testing.B) {
		for b.Loop() {
			if n, err := st.CountPendingTokens(ctx, partnerID); err != nil || n == 0 {
				b.Fatal(n, err)
			}
		}
	})
}
