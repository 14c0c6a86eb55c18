package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// UsageScope is the part of the usage rollup (api_usage_minutes) a
// dashboard reads, as the policy gave it: one partner (PartnerID), one
// partner user's own tokens (PartnerID and UserID), or every partner
// (both 0). Calls refused before a credential was known (partner 0) are
// in no scope.
type UsageScope struct {
	PartnerID, UserID int64
}

// usageWhere is the scope and time filter every usage query shares; $1
// is the partner, $2 the user whose tokens count, [$3, $4) the time
// range. Each scope has its own text, without OR, so that the planner
// sees which index serves it: one partner reads the primary key
// (partner_id, minute, …); one user's tokens are a semi-join on
// api_usage_minutes_token (token_id, minute), whose predicate the
// token_id <> 0 repeats; every partner reads api_usage_minutes_minute.
// Calls refused before a credential was known (partner 0) are nobody's.
func usageWhere(sc UsageScope) string {
	switch {
	case sc.UserID != 0:
		return `u.minute >= $3 AND u.minute < $4 AND u.partner_id = $1 AND u.token_id <> 0
			AND u.token_id IN (SELECT id FROM tokens WHERE user_id = $2 AND partner_id = $1)`
	case sc.PartnerID != 0:
		return `u.minute >= $3 AND u.minute < $4 AND u.partner_id = $1 AND $2::bigint = 0`
	}
	return `u.minute >= $3 AND u.minute < $4 AND u.partner_id <> 0 AND $1::bigint = 0 AND $2::bigint = 0`
}

// usageHistogram sums the rollup's latency histograms element by element.
const usageHistogram = `ARRAY[sum(u.latency_buckets[1]), sum(u.latency_buckets[2]), sum(u.latency_buckets[3]), sum(u.latency_buckets[4]),
	sum(u.latency_buckets[5]), sum(u.latency_buckets[6]), sum(u.latency_buckets[7]), sum(u.latency_buckets[8]),
	sum(u.latency_buckets[9]), sum(u.latency_buckets[10]), sum(u.latency_buckets[11]), sum(u.latency_buckets[12]),
	sum(u.latency_buckets[13]), sum(u.latency_buckets[14]), sum(u.latency_buckets[15]), sum(u.latency_buckets[16])]::bigint[]`

// UsagePoint is the calls of one time bucket, environment and status
// class, with their summed latency histogram.
type UsagePoint struct {
	// Bucket is the bucket's index from the range's start.
	Bucket      int           `db:"bucket"`
	Environment string        `db:"environment"`
	StatusClass int           `db:"status_class"`
	Calls       int64         `db:"calls"`
	Latency     pq.Int64Array `db:"latency"`
}

// UsageSeries sums the scope's calls of [from, to) per bucket of step,
// environment (of the token) and status class: at most buckets × 2 × 5
// rows, whatever the traffic.
func (s *Store) UsageSeries(ctx context.Context, sc UsageScope, from, to time.Time, step time.Duration) ([]UsagePoint, error) {
	var ps []UsagePoint
	err := s.q.SelectContext(ctx, &ps, `
		SELECT floor((extract(epoch FROM u.minute) - extract(epoch FROM $3::timestamptz)) / $5)::int AS bucket,
			t.environment, u.status_class, sum(u.count) AS calls, `+usageHistogram+` AS latency
		FROM api_usage_minutes u JOIN tokens t ON t.id = u.token_id
		WHERE `+usageWhere(sc)+`
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, sc.PartnerID, sc.UserID, from, to, int64(step/time.Second))
	if err != nil {
		return nil, fmt.Errorf("usage series: %w", err)
	}
	return ps, nil
}

// UsageRow is the calls of one API, token, member or partner in a range.
type UsageRow struct {
	ID int64 `db:"id"`
	// Name is the API's slug, the token's, member's or partner's name.
	Name string `db:"name"`
	// Detail is the token's hint and environment, or its owner's name.
	Detail       string        `db:"detail"`
	Calls        int64         `db:"calls"`
	ClientErrors int64         `db:"client_errors"`
	ServerErrors int64         `db:"server_errors"`
	Latency      pq.Int64Array `db:"latency"`
}

// usageTotals are the columns every UsageRow query sums.
const usageTotals = `sum(u.count) AS calls,
	coalesce(sum(u.count) FILTER (WHERE u.status_class = 4), 0) AS client_errors,
	coalesce(sum(u.count) FILTER (WHERE u.status_class = 5), 0) AS server_errors, ` + usageHistogram + ` AS latency`

// UsageByAPI returns the limit APIs the scope called most in [from, to),
// most calls first.
func (s *Store) UsageByAPI(ctx context.Context, sc UsageScope, from, to time.Time, limit int) ([]UsageRow, error) {
	var rs []UsageRow
	err := s.q.SelectContext(ctx, &rs, `
		SELECT 0::bigint AS id, u.api AS name, '' AS detail, `+usageTotals+`
		FROM api_usage_minutes u
		WHERE `+usageWhere(sc)+`
		GROUP BY u.api ORDER BY calls DESC, u.api LIMIT $5`, sc.PartnerID, sc.UserID, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("usage by API: %w", err)
	}
	return rs, nil
}

// UsageByTokenAndMember returns the limit tokens of the scope that made
// the most calls in [from, to), with their owners, and the limit members
// whose tokens made the most (when withMembers), each most calls first:
// both from one read of the rollup, summed per token.
func (s *Store) UsageByTokenAndMember(ctx context.Context, sc UsageScope, from, to time.Time, limit int, withMembers bool) (tokens, members []UsageRow, err error) {
	var rs []struct {
		Kind string `db:"kind"`
		UsageRow
	}
	err = s.q.SelectContext(ctx, &rs, `
		WITH per AS MATERIALIZED (
			SELECT u.token_id, `+usageTotals+`
			FROM api_usage_minutes u
			WHERE `+usageWhere(sc)+`
			GROUP BY u.token_id),
		top AS (SELECT * FROM per ORDER BY calls DESC, token_id LIMIT $5),
		mem AS (
			SELECT t.user_id, sum(per.calls)::bigint AS calls, sum(per.client_errors)::bigint AS client_errors,
				sum(per.server_errors)::bigint AS server_errors
			FROM per JOIN tokens t ON t.id = per.token_id
			WHERE $6::boolean
			GROUP BY t.user_id ORDER BY calls DESC, t.user_id LIMIT $5)
		SELECT 'token' AS kind, top.token_id AS id, t.name, t.hint || ' · ' || t.environment || ' · ' || coalesce(o.name, '') AS detail,
			top.calls, top.client_errors, top.server_errors, top.latency
		FROM top JOIN tokens t ON t.id = top.token_id LEFT JOIN users o ON o.id = t.user_id
		UNION ALL
		SELECT 'member', mem.user_id, coalesce(o.name, ''), coalesce(o.email, ''),
			mem.calls, mem.client_errors, mem.server_errors, '{}'::bigint[]
		FROM mem LEFT JOIN users o ON o.id = mem.user_id
		ORDER BY kind, calls DESC, id`, sc.PartnerID, sc.UserID, from, to, limit, withMembers)
	if err != nil {
		return nil, nil, fmt.Errorf("usage by token and member: %w", err)
	}
	for _, r := range rs {
		if r.Kind == "token" {
			tokens = append(tokens, r.UsageRow)
		} else {
			members = append(members, r.UsageRow)
		}
	}
	return tokens, members, nil
}

// UsageByPartner returns the limit partners that made the most calls in
// [from, to), most calls first: the top consumers, for staff.
func (s *Store) UsageByPartner(ctx context.Context, from, to time.Time, limit int) ([]UsageRow, error) {
	var rs []UsageRow
	err := s.q.SelectContext(ctx, &rs, `
		WITH top AS (
			SELECT u.partner_id, `+usageTotals+`
			FROM api_usage_minutes u
			WHERE `+usageWhere(UsageScope{})+`
			GROUP BY u.partner_id ORDER BY calls DESC, u.partner_id LIMIT $5)
		SELECT top.partner_id AS id, coalesce(p.name, '') AS name, '' AS detail,
			top.calls, top.client_errors, top.server_errors, top.latency
		FROM top LEFT JOIN partners p ON p.id = top.partner_id
		ORDER BY top.calls DESC, top.partner_id`, 0, 0, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("usage by partner: %w", err)
	}
	return rs, nil
}

// QuotaUse is one access group with a monthly quota granted to a partner,
// and the partner's calls this month to the group's APIs.
type QuotaUse struct {
	GroupID int64  `db:"id"`
	Name    string `db:"name"`
	Quota   int64  `db:"monthly_quota"`
	Used    int64  `db:"used"`
}

// MaxQuotaGroups bounds the quotas a dashboard lists.
const MaxQuotaGroups = 50

// QuotaUses returns the access groups with a monthly quota granted (to any
// team or member) to the partner, by name, each with the partner's calls
// since monthStart to the APIs it charges. The rollup does not say which
// group's quota the gateway charged a call to, so each API is charged to
// the group the gateway picks (credential.limitOf): of the groups granted
// to the partner that include it, the one with the highest rate limit
// (the older on a tie). The gateway picks among the groups of the token's
// owner, so where members hold different groups this approximates.
func (s *Store) QuotaUses(ctx context.Context, partnerID int64, monthStart time.Time) ([]QuotaUse, error) {
	var qs []QuotaUse
	err := s.q.SelectContext(ctx, &qs, `
		WITH g AS (
			SELECT DISTINCT ag.id, ag.name, ag.monthly_quota, ag.rate_limit_per_minute
			FROM grants gr JOIN access_groups ag ON ag.id = gr.access_group_id
			WHERE gr.partner_id = $1 AND gr.revoked_at IS NULL),
		charged AS (
			SELECT DISTINCT ON (a.slug) a.slug, g.id
			FROM g JOIN access_group_apis aga ON aga.access_group_id = g.id JOIN apis a ON a.id = aga.api_id
			ORDER BY a.slug, g.rate_limit_per_minute DESC, g.id),
		per AS (
			SELECT u.api, sum(u.count) AS calls
			FROM api_usage_minutes u
			WHERE u.partner_id = $1 AND u.minute >= $2
			GROUP BY u.api)
		SELECT g.id, g.name, g.monthly_quota,
			coalesce((SELECT sum(per.calls) FROM per JOIN charged c ON c.slug = per.api WHERE c.id = g.id), 0)::bigint AS used
		FROM g WHERE g.monthly_quota IS NOT NULL
		ORDER BY lower(g.name), g.id LIMIT $3`, partnerID, monthStart, MaxQuotaGroups)
	if err != nil {
		return nil, fmt.Errorf("quota uses: %w", err)
	}
	return qs, nil
}
