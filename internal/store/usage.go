package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// UsageScope is the part of the usage rollups a dashboard reads, as the
// policy gave it: one partner (PartnerID), one partner user's own tokens
// (PartnerID and UserID), or every partner (both 0). API and TokenID
// narrow it to one API or one token, when not empty; the caller checks
// that the token is in the scope (the queries keep to the scope anyway).
// Calls refused before a credential was known (partner 0) are in no
// scope. Book, when set with every partner, bounds "every partner" to
// the partners of the account manager with this user id
// (access.Actor.Book); 0 for a platform admin.
type UsageScope struct {
	PartnerID, UserID int64
	API               string
	TokenID           int64
	Book              int64
}

// usageSource is the rollup a query reads (migration 00026), with the
// name of its time column.
type usageSource struct {
	table, at string
}

var (
	usageHours     = usageSource{table: "api_usage_hours", at: "hour"}
	usageDays      = usageSource{table: "api_usage_days", at: "day"}
	usageTokenDays = usageSource{table: "api_usage_token_days", at: "day"}
	// Every partner at once (staff): a few hundred rows a day.
	usagePartnerDays   = usageSource{table: "api_usage_partner_days", at: "day"}
	usageOperationDays = usageSource{table: "api_usage_operation_days", at: "day"}
)

// usageNeed is what a query groups by beyond time, environment and API,
// which every rollup holds.
type usageNeed int

const (
	needNothing usageNeed = iota
	needTokens
	needOperations
	needPartners
)

// daily says whether [from, to) is whole UTC days, more than one: such a
// range can be read from the daily rollups, any other from the hourly one.
func daily(from, to time.Time) bool {
	midnight := func(t time.Time) bool { return t.Equal(t.UTC().Truncate(24 * time.Hour)) }
	return to.Sub(from) > 24*time.Hour && midnight(from) && midnight(to)
}

// usageFrom picks the smallest rollup that answers a query of sc over
// [from, to): the hourly one for a range of hours, and for one
// developer's or one token's calls (a few rows an hour, read by token);
// over days, the daily per token when the query needs tokens; for every
// partner at once (staff) the narrow staff rollups: per partner when the
// query ranks partners, else per operation, every partner together (a few
// dozen rows a day); else the daily one. An account manager's partners
// (a Book) are read per partner: the per-partner staff rollup unless the
// query needs operations, which only the daily one holds by partner.
func usageFrom(sc UsageScope, from, to time.Time, need usageNeed) usageSource {
	switch {
	case !daily(from, to):
		return usageHours
	case need == needTokens:
		return usageTokenDays
	case sc.UserID != 0 || sc.TokenID != 0:
		return usageHours
	case sc.PartnerID == 0 && sc.Book != 0 && need == needOperations:
		return usageDays
	case sc.PartnerID == 0 && (need == needPartners || sc.Book != 0):
		return usagePartnerDays
	case sc.PartnerID == 0:
		return usageOperationDays
	}
	return usageDays
}

// usageWhere is the scope, filters and time range every usage query
// shares, over the rollup src (as u): $1 is the partner, $2 the user
// whose tokens count, [$3, $4) the time range, $5 the API, $6 the token
// and $7 the account manager whose book bounds every partner (each
// ignored when empty). Each scope has its own text, without OR, so that
// the planner sees which index serves it: one partner reads the primary
// key (partner_id, time, …), one user's tokens or one token the
// (token_id, time) index, every partner the time index (bookFilter's OR
// is decided by its argument, constant per call).
func usageWhere(sc UsageScope, src usageSource) string {
	w := `u.` + src.at + ` >= $3 AND u.` + src.at + ` < $4`
	switch {
	case sc.UserID != 0:
		// The user's tokens first (an InitPlan on tokens_user), then
		// their rows by (token_id, time): as a semi-join the planner
		// preferred scanning every token in parallel.
		w += ` AND u.partner_id = $1 AND u.token_id <> 0 AND u.token_id = ANY (ARRAY(SELECT id FROM tokens WHERE user_id = $2 AND partner_id = $1))`
	case sc.PartnerID != 0:
		w += ` AND u.partner_id = $1 AND $2::bigint = 0`
	case src == usageOperationDays:
		// Holds no calls without a credential, and no partner: never
		// read for a book (usageFrom).
		w += ` AND $1::bigint = 0 AND $2::bigint = 0 AND $7::bigint = 0`
		return w + usageFilters(sc)
	default:
		w += ` AND u.partner_id <> 0 AND $1::bigint = 0 AND $2::bigint = 0`
	}
	// One partner, one user and every partner alike: never past the book.
	return w + ` AND ` + bookFilter("u.partner_id", 7) + usageFilters(sc)
}

// usageFilters are usageWhere's API ($5) and token ($6) filters.
func usageFilters(sc UsageScope) string {
	w := ""
	if sc.API != "" {
		w += ` AND u.api = $5`
	} else {
		w += ` AND $5::text = ''`
	}
	if sc.TokenID != 0 {
		w += ` AND u.token_id = $6`
	} else {
		w += ` AND $6::bigint = 0`
	}
	return w
}

// usageArgs are the arguments usageWhere numbers, then more (from $8).
func usageArgs(sc UsageScope, from, to time.Time, more ...any) []any {
	return append([]any{sc.PartnerID, sc.UserID, from, to, sc.API, sc.TokenID, sc.Book}, more...)
}

// usageHistogram sums the rollup's latency histograms (columns b1 … b16)
// bucket by bucket.
const usageHistogram = `ARRAY[sum(u.b1), sum(u.b2), sum(u.b3), sum(u.b4),
	sum(u.b5), sum(u.b6), sum(u.b7), sum(u.b8),
	sum(u.b9), sum(u.b10), sum(u.b11), sum(u.b12),
	sum(u.b13), sum(u.b14), sum(u.b15), sum(u.b16)]::bigint[]`

// UsageCounts are the calls a usage row sums: all of them, the 4xx and
// 5xx among them, 401, 403 and 429 by name, and their latency histogram.
type UsageCounts struct {
	Calls        int64         `db:"calls"`
	ClientErrors int64         `db:"client_errors"`
	ServerErrors int64         `db:"server_errors"`
	Unauthorized int64         `db:"unauthorized"`
	Forbidden    int64         `db:"forbidden"`
	RateLimited  int64         `db:"rate_limited"`
	Latency      pq.Int64Array `db:"latency"`
}

// usageTotals are the columns of UsageCounts, summed.
const usageTotals = usageCounts + `, ` + usageHistogram + ` AS latency`

// usageCounts are the columns of UsageCounts but the histogram, summed.
const usageCounts = `sum(u.calls)::bigint AS calls, sum(u.c4xx)::bigint AS client_errors, sum(u.c5xx)::bigint AS server_errors,
	sum(u.c401)::bigint AS unauthorized, sum(u.c403)::bigint AS forbidden, sum(u.c429)::bigint AS rate_limited`

// UsagePoint is the calls of one time bucket and environment.
type UsagePoint struct {
	// Start is the bucket's start, Bucket its index from the range's.
	Start       time.Time `db:"start"`
	Bucket      int       `db:"-"`
	Environment string    `db:"environment"`
	UsageCounts
}

// UsageSeries sums the scope's calls of [from, to) per bucket of step and
// environment: at most buckets × 2 rows, whatever the traffic.
func (s *Store) UsageSeries(ctx context.Context, sc UsageScope, from, to time.Time, step time.Duration) ([]UsagePoint, error) {
	src := usageFrom(sc, from, to, needNothing)
	if step < 24*time.Hour {
		// Hourly buckets over whole days (a chosen day or two) need
		// the hours, whatever else the range could be read from.
		src = usageHours
	}
	var ps []UsagePoint
	err := s.q.SelectContext(ctx, &ps, `
		SELECT date_bin($8::interval, u.`+src.at+`, $3::timestamptz) AS start, u.environment, `+usageTotals+`
		FROM `+src.table+` u
		WHERE `+usageWhere(sc, src)+`
		GROUP BY 1, 2 ORDER BY 1, 2`, usageArgs(sc, from, to, fmt.Sprintf("%d seconds", int64(step/time.Second)))...)
	if err != nil {
		return nil, fmt.Errorf("usage series: %w", err)
	}
	for i := range ps {
		ps[i].Bucket = int(ps[i].Start.Sub(from) / step)
	}
	return ps, nil
}

// UsageRow is the calls of one API, operation, token, member or partner
// in a range.
type UsageRow struct {
	ID int64 `db:"id"`
	// Name is the API's slug, the operation's id, the token's, member's
	// or partner's name.
	Name string `db:"name"`
	// Detail is the token's hint and environment, the member's email or
	// the operation's API.
	Detail string `db:"detail"`
	UsageCounts
}

// UsageByAPI returns the limit APIs the scope called most in [from, to),
// most calls first.
func (s *Store) UsageByAPI(ctx context.Context, sc UsageScope, from, to time.Time, limit int) ([]UsageRow, error) {
	src := usageFrom(sc, from, to, needNothing)
	var rs []UsageRow
	err := s.q.SelectContext(ctx, &rs, `
		SELECT 0::bigint AS id, u.api AS name, '' AS detail, `+usageTotals+`
		FROM `+src.table+` u
		WHERE `+usageWhere(sc, src)+`
		GROUP BY u.api ORDER BY calls DESC, u.api LIMIT $8`, usageArgs(sc, from, to, limit)...)
	if err != nil {
		return nil, fmt.Errorf("usage by API: %w", err)
	}
	return rs, nil
}

// UsageByOperation returns the limit operations the scope called most in
// [from, to), most calls first; calls that matched no operation count as
// the API's "(no operation)".
func (s *Store) UsageByOperation(ctx context.Context, sc UsageScope, from, to time.Time, limit int) ([]UsageRow, error) {
	src := usageFrom(sc, from, to, needOperations)
	var rs []UsageRow
	err := s.q.SelectContext(ctx, &rs, `
		SELECT 0::bigint AS id, CASE WHEN u.operation = '' THEN '(no operation)' ELSE u.operation END AS name, u.api AS detail, `+usageTotals+`
		FROM `+src.table+` u
		WHERE `+usageWhere(sc, src)+`
		GROUP BY u.api, u.operation ORDER BY calls DESC, u.api, u.operation LIMIT $8`, usageArgs(sc, from, to, limit)...)
	if err != nil {
		return nil, fmt.Errorf("usage by operation: %w", err)
	}
	return rs, nil
}

// UsageByTokenAndMember returns the limit tokens of the scope that made
// the most calls in [from, to), with their owners, and the limit members
// whose tokens made the most (when withMembers), each most calls first:
// both from one read of the rollup, summed per token.
func (s *Store) UsageByTokenAndMember(ctx context.Context, sc UsageScope, from, to time.Time, limit int, withMembers bool) (tokens, members []UsageRow, err error) {
	src := usageFrom(sc, from, to, needTokens)
	var rs []struct {
		Kind string `db:"kind"`
		UsageRow
	}
	err = s.q.SelectContext(ctx, &rs, `
		WITH per AS MATERIALIZED (
			SELECT u.token_id, `+usageCounts+`
			FROM `+src.table+` u
			WHERE `+usageWhere(sc, src)+` AND u.token_id <> 0
			GROUP BY u.token_id),
		chosen AS MATERIALIZED (SELECT * FROM per ORDER BY calls DESC, token_id LIMIT $8),
		-- The histograms of the chosen tokens only, read again by token
		-- (the token_id, time index, partial: hence token_id <> 0; the
		-- tokens are the scope's already):
		-- summing them for every token cost most of the query.
		top AS (
			SELECT c.*, (SELECT `+usageHistogram+` FROM `+src.table+` u
				WHERE u.token_id = c.token_id AND u.token_id <> 0 AND u.`+src.at+` >= $3 AND u.`+src.at+` < $4 AND ($5::text = '' OR u.api = $5)) AS latency
			FROM chosen c),
		-- Each token's owner by its primary key (a scalar subquery, so
		-- that the planner does not hash every token of the portal).
		owned AS (
			SELECT (SELECT t.user_id FROM tokens t WHERE t.id = per.token_id) AS user_id, per.*
			FROM per WHERE $9::boolean),
		mem AS (
			SELECT owned.user_id, sum(owned.calls)::bigint AS calls, sum(owned.client_errors)::bigint AS client_errors,
				sum(owned.server_errors)::bigint AS server_errors, sum(owned.unauthorized)::bigint AS unauthorized,
				sum(owned.forbidden)::bigint AS forbidden, sum(owned.rate_limited)::bigint AS rate_limited
			FROM owned WHERE owned.user_id IS NOT NULL
			GROUP BY owned.user_id ORDER BY calls DESC, owned.user_id LIMIT $8)
		SELECT 'token' AS kind, top.token_id AS id, t.name, t.hint || ' · ' || t.environment || ' · ' || coalesce(o.name, '') AS detail,
			top.calls, top.client_errors, top.server_errors, top.unauthorized, top.forbidden, top.rate_limited, top.latency
		FROM top JOIN tokens t ON t.id = top.token_id LEFT JOIN users o ON o.id = t.user_id
		UNION ALL
		SELECT 'member', mem.user_id, coalesce(o.name, ''), coalesce(o.email, ''),
			mem.calls, mem.client_errors, mem.server_errors, mem.unauthorized, mem.forbidden, mem.rate_limited, '{}'::bigint[]
		FROM mem LEFT JOIN users o ON o.id = mem.user_id
		ORDER BY kind, calls DESC, id`, usageArgs(sc, from, to, limit, withMembers)...)
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
// [from, to) (to sc's API, when it names one), most calls first: the top
// consumers, for staff (of sc's Book, when set).
func (s *Store) UsageByPartner(ctx context.Context, sc UsageScope, from, to time.Time, limit int) ([]UsageRow, error) {
	sc = UsageScope{API: sc.API, TokenID: sc.TokenID, Book: sc.Book}
	src := usageFrom(sc, from, to, needPartners)
	var rs []UsageRow
	err := s.q.SelectContext(ctx, &rs, `
		WITH top AS (
			SELECT u.partner_id, `+usageTotals+`
			FROM `+src.table+` u
			WHERE `+usageWhere(sc, src)+`
			GROUP BY u.partner_id ORDER BY calls DESC, u.partner_id LIMIT $8)
		SELECT top.partner_id AS id, coalesce(p.name, '') AS name, '' AS detail,
			top.calls, top.client_errors, top.server_errors, top.unauthorized, top.forbidden, top.rate_limited, top.latency
		FROM top LEFT JOIN partners p ON p.id = top.partner_id
		ORDER BY top.calls DESC, top.partner_id`, usageArgs(sc, from, to, limit)...)
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
			SELECT u.api, sum(u.calls) AS calls
			FROM api_usage_days u
			WHERE u.partner_id = $1 AND u.day >= $2
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
