package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
)

// quotaWorld is the demo catalog (Harbor's team holds "Port operations":
// 600 a minute, 100,000 a month, fleet, telemetry and maintenance; Dan
// Crane holds "Fleet basics": 120 a minute, no quota) with more groups:
//   - "Small" (60/min, quota 100, fleet) to Dev Harbor: the fleet is
//     charged to Port operations (600 > 60), so Small stays at 0;
//   - "Tele" (700/min, quota 1,000, telemetry) to Harbor: it takes
//     Harbor's telemetry from Port operations;
//   - "Crane cap" (500/min, quota 200, fleet and telemetry) to Dan Crane;
//   - "Revoked cap" (9,000/min, quota 10, fleet) to Crane, revoked: it
//     charges nothing and is no alert.
//
// This month: Harbor 90,000 fleet and 950 telemetry calls, Crane 150
// fleet and 30 telemetry calls (and 1,000 fleet calls last month); 99,999
// calls refused before a credential was known (partner 0).
func quotaWorld(t *testing.T) (*store.Store, time.Time) {
	t.Helper()
	st := seededStore(t)
	monthStart := usage.MonthStart(time.Now())
	execAll(t, st, `
		INSERT INTO access_groups (name, rate_limit_per_minute, monthly_quota) VALUES
			('Small', 60, 100), ('Tele', 700, 1000), ('Crane cap', 500, 200), ('Revoked cap', 9000, 10);
		INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT g.id, a.id, '{read}' FROM access_groups g JOIN apis a ON (g.name, a.slug) IN
			(('Small', 'fleet'), ('Tele', 'telemetry'), ('Crane cap', 'fleet'), ('Crane cap', 'telemetry'), ('Revoked cap', 'fleet'));
		INSERT INTO grants (access_group_id, partner_id, user_id, revoked_at)
		SELECT g.id, u.partner_id, u.id, CASE WHEN g.name = 'Revoked cap' THEN now() END
		FROM access_groups g JOIN users u ON (g.name, u.email) IN
			(('Small', 'dev@harbor.test'), ('Tele', 'dev@harbor.test'), ('Crane cap', 'dev@crane.test'), ('Revoked cap', 'dev@crane.test'));`)
	// The same calls in both daily rollups: QuotaUses reads one, QuotaAlerts
	// the other.
	for _, q := range []string{
		`INSERT INTO api_usage_days (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, ` + histogramColumns + `)
		 SELECT v.at, coalesce(p.id, 0), v.api, 'op', v.env, v.n, 0, 0, 0, 0, 0, 0, ` + zeroHistogram + ` FROM ` + quotaCalls,
		`INSERT INTO api_usage_partner_days (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, ` + histogramColumns + `)
		 SELECT v.at, coalesce(p.id, 0), v.api, v.env, v.n, 0, 0, 0, 0, 0, 0, ` + zeroHistogram + ` FROM ` + quotaCalls,
	} {
		if _, err := st.DB().Exec(q, monthStart, monthStart.AddDate(0, 0, -1)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return st, monthStart
}

// quotaCalls are quotaWorld's calls, per day: $1 is the month's start, $2
// a day of the month before.
const quotaCalls = `(VALUES ('harbor-logistics', 'fleet', 'live', 60000, $1::timestamptz), ('harbor-logistics', 'fleet', 'sandbox', 30000, $1 + interval '1 day'),
	('harbor-logistics', 'telemetry', 'live', 950, $1), ('crane-works', 'fleet', 'live', 150, $1), ('crane-works', 'telemetry', 'live', 30, $1),
	('crane-works', 'fleet', 'live', 1000, $2), ('', 'fleet', 'sandbox', 99999, $1)) v(slug, api, env, n, at)
	LEFT JOIN partners p ON p.slug = v.slug`

// histogramColumns and zeroHistogram fill the rollups' latency histogram
// (b1 … b16) with zeros.
const (
	histogramColumns = `b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16`
	zeroHistogram    = `0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0`
)

// TestQuotaAlerts: the (partner, group) pairs at or above the share asked,
// fullest first, bounded, with the same numbers as each partner's own
// QuotaUses.
func TestQuotaAlerts(t *testing.T) {
	t.Parallel()
	st, monthStart := quotaWorld(t)
	ctx := context.Background()
	type alert struct {
		Partner, Group string
		Used, Quota    int64
	}
	alertsOf := func(minPercent, limit int) []alert {
		t.Helper()
		as, err := st.QuotaAlerts(ctx, monthStart, minPercent, 0, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []alert
		for _, a := range as {
			out = append(out, alert{a.PartnerName, a.GroupName, a.Used, a.Quota})
		}
		return out
	}
	tele := alert{"Harbor Logistics", "Tele", 950, 1000}
	crane := alert{"Crane Works", "Crane cap", 180, 200}
	port := alert{"Harbor Logistics", "Port operations", 90000, 100000}
	small := alert{"Harbor Logistics", "Small", 0, 100}
	for _, tc := range []struct {
		name              string
		minPercent, limit int
		want              []alert
	}{
		// 95 %, then the two at 90 % by partner name.
		{"from 80 %", 80, 10, []alert{tele, crane, port}},
		{"bounded", 80, 2, []alert{tele, crane}},
		{"from 91 %", 91, 10, []alert{tele}},
		{"exactly 95 %", 95, 10, []alert{tele}},
		{"every quota", 0, 10, []alert{tele, crane, port, small}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, alertsOf(tc.minPercent, tc.limit)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}

	// Each partner's alerts are its QuotaUses.
	all, err := st.QuotaAlerts(ctx, monthStart, 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"harbor-logistics", "crane-works"} {
		p, err := st.PartnerBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		uses, err := st.QuotaUses(ctx, p.ID, monthStart)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]int64{}
		for _, u := range uses {
			want[u.GroupID] = u.Used
		}
		got := map[int64]int64{}
		for _, a := range all {
			if a.PartnerID == p.ID {
				got[a.GroupID] = a.Used
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: QuotaAlerts and QuotaUses disagree (-QuotaUses +QuotaAlerts):\n%s", slug, diff)
		}
	}

	// A suspended partner's calls are refused anyway: no alert.
	if _, err := st.DB().Exec(`UPDATE partners SET status = 'suspended' WHERE slug = 'crane-works'`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]alert{tele, port}, alertsOf(80, 10)); diff != "" {
		t.Errorf("alerts with Crane suspended (-want +got):\n%s", diff)
	}
}

// TestGatewayErrors: every call of the range counts, partner 0's too, and
// only 5xx are server errors; calls outside the range do not count.
func TestGatewayErrors(t *testing.T) {
	t.Parallel()
	st := seededStore(t)
	ctx := context.Background()
	to := time.Now().Truncate(time.Minute)
	from := to.Add(-time.Hour)
	if _, err := st.DB().Exec(`
		INSERT INTO api_usage_minutes (minute, partner_id, token_id, api, operation, status_class, count, latency_sum_us, latency_buckets)
		SELECT v.at, v.partner, v.token, 'fleet', 'op', v.class, v.n, 0, array_fill(0::bigint, ARRAY[16])
		FROM (VALUES ($1::timestamptz, 1, 1, 2, 90), ($1, 1, 1, 5, 6), ($1 + interval '5 minutes', 0, 0, 4, 3), ($1 + interval '59 minutes', 2, 2, 5, 1),
		             ($1 - interval '1 minute', 1, 1, 5, 1000), ($2, 1, 1, 5, 1000)) v(at, partner, token, class, n)`, from, to); err != nil {
		t.Fatal(err)
	}
	got, err := st.GatewayErrors(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.GatewayCalls{Calls: 100, ServerErrors: 7}); got != want {
		t.Errorf("GatewayErrors = %+v, want %+v", got, want)
	}
	if got, err := st.GatewayErrors(ctx, to.Add(time.Hour), to.Add(2*time.Hour)); err != nil || got != (store.GatewayCalls{}) {
		t.Errorf("GatewayErrors of an empty hour = %+v, %v; want zeros", got, err)
	}
}
