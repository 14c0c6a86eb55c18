package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// BenchmarkHomeQueries times the home pages' own queries on the data set
// of issue 12 (one partner of 10 000 members, every one of them in a team:
// the worst case of MembersWithoutTeam, which then reads the whole partner
// to find none) with 30 days of usage for 200 partners and 2 APIs: the
// per-minute rollup a row every 15 minutes (about 1.2 million rows), the
// hourly one (288 000 rows) and the daily one; and a monthly quota on
// every group.
func BenchmarkHomeQueries(b *testing.B) {
	db := pgtest.DB(b)
	partnerID := fillAccessAtScale(b, db)
	ctx := context.Background()
	for _, q := range []string{
		`UPDATE access_groups SET monthly_quota = 20000 * id`,
		`INSERT INTO api_usage_minutes (minute, partner_id, token_id, api, operation, status_class, count, latency_sum_us, latency_buckets)
		 SELECT date_trunc('minute', now()) - m * interval '15 minutes', p.id, p.id, a.api, 'op', CASE WHEN m % 50 = 0 THEN 5 ELSE 2 END,
		        1 + (p.id + m) % 7, 0, array_fill(0::bigint, ARRAY[16])
		 FROM partners p, generate_series(0, 2879) m, (VALUES ('fleet'), ('telemetry')) a(api)`,
		`INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		 SELECT date_trunc('hour', now()) - h * interval '1 hour', p.id, p.id, a.api, 'op', 'live', 100 + (p.id + h) % 7, 1, h % 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		 FROM partners p, generate_series(0, 719) h, (VALUES ('fleet'), ('telemetry')) a(api)`,
		`INSERT INTO api_usage_days (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		 SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - d * interval '1 day', p.id, a.api, 'op', 'live', 2400 + p.id % 7, 24, d % 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		 FROM partners p, generate_series(0, 29) d, (VALUES ('fleet'), ('telemetry')) a(api)`,
		`INSERT INTO api_usage_partner_days (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		 SELECT day, partner_id, api, environment, sum(calls), sum(c4xx), sum(c5xx), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		 FROM api_usage_days GROUP BY 1, 2, 3, 4`,
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		 SELECT u.id, u.partner_id, 't' || i, 'sandbox', decode(md5(u.email || i), 'hex'), 'ptc_…abcd', '{fleet/fleet:read}', now() + (i % 90) * interval '1 day'
		 FROM users u, generate_series(1, 500) i WHERE u.email = 'm1@big.test'`,
		`ANALYZE`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	st := store.New(db)
	var userID int64
	if err := db.Get(&userID, `SELECT id FROM users WHERE email = 'm1@big.test'`); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.Run("members-without-team", func(b *testing.B) {
		for b.Loop() {
			if ms, err := st.MembersWithoutTeam(ctx, partnerID, 21); err != nil || len(ms) != 0 {
				b.Fatal(len(ms), err)
			}
		}
	})
	b.Run("quota-alerts-30d", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.QuotaAlerts(ctx, now.Add(-30*24*time.Hour), 80, 0, 5); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gateway-errors-1h", func(b *testing.B) {
		for b.Loop() {
			if g, err := st.GatewayErrors(ctx, now.Add(-time.Hour), now.Add(time.Minute)); err != nil || g.Calls == 0 {
				b.Fatal(g, err)
			}
		}
	})
	b.Run("own-token-summary", func(b *testing.B) {
		for b.Loop() {
			if s, err := st.OwnTokenSummary(ctx, userID, now.Add(14*24*time.Hour), 5); err != nil || len(s.Expiring) != 5 {
				b.Fatal(s, err)
			}
		}
	})
	b.Run("recent-grants", func(b *testing.B) {
		for b.Loop() {
			if rs, err := st.RecentGrants(ctx, 0, 5); err != nil || len(rs) != 5 {
				b.Fatal(len(rs), err)
			}
		}
	})
	b.Run("usage-by-partner-24h", func(b *testing.B) {
		for b.Loop() {
			if rs, err := st.UsageByPartner(ctx, store.UsageScope{}, now.Add(-24*time.Hour), now.Add(time.Minute), 5); err != nil || len(rs) != 5 {
				b.Fatal(len(rs), err)
			}
		}
	})
}
