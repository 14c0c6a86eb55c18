package store

import (
	"context"
	"fmt"
	"time"
)

// QuotaAlert is an access group with a monthly quota granted to a partner,
// with the partner's calls this month charged to it.
type QuotaAlert struct {
	PartnerID   int64  `db:"partner_id"`
	PartnerName string `db:"partner_name"`
	GroupID     int64  `db:"group_id"`
	GroupName   string `db:"group_name"`
	Quota       int64  `db:"monthly_quota"`
	Used        int64  `db:"used"`
}

// QuotaAlerts returns the (partner, access group) pairs whose calls since
// monthStart reach minPercent of the group's monthly quota, the fullest
// first (used/quota descending), at most limit. Used is computed as in
// QuotaUses, for every partner at once: each API a partner called is
// charged to the group the gateway picks among the partner's granted
// groups that include it (the highest rate limit, the older on a tie).
// Suspended partners are left out: their calls are refused anyway. It
// reads the month of the staff's daily rollup per partner and API
// (api_usage_partner_days, the same counts as the api_usage_days that
// QuotaUses reads for one partner); the whole computation is this one
// statement. book bounds the partners to an account manager's
// (access.Actor.Book; 0: every partner).
func (s *Store) QuotaAlerts(ctx context.Context, monthStart time.Time, minPercent int, book int64, limit int) ([]QuotaAlert, error) {
	var qs []QuotaAlert
	err := s.q.SelectContext(ctx, &qs, `
		WITH g AS (
			SELECT DISTINCT gr.partner_id, ag.id, ag.name, ag.monthly_quota, ag.rate_limit_per_minute
			FROM grants gr JOIN access_groups ag ON ag.id = gr.access_group_id
			WHERE gr.revoked_at IS NULL AND `+bookFilter("gr.partner_id", 4)+`),
		charged AS (
			SELECT DISTINCT ON (g.partner_id, a.slug) g.partner_id, a.slug, g.id
			FROM g JOIN access_group_apis aga ON aga.access_group_id = g.id JOIN apis a ON a.id = aga.api_id
			ORDER BY g.partner_id, a.slug, g.rate_limit_per_minute DESC, g.id),
		per AS (
			SELECT u.partner_id, u.api, sum(u.calls) AS calls
			FROM api_usage_partner_days u
			WHERE u.day >= $1 AND u.partner_id <> 0 AND `+bookFilter("u.partner_id", 4)+`
			GROUP BY u.partner_id, u.api),
		used AS (
			SELECT c.partner_id, c.id, sum(per.calls)::bigint AS used
			FROM per JOIN charged c ON c.partner_id = per.partner_id AND c.slug = per.api
			GROUP BY c.partner_id, c.id)
		SELECT g.partner_id, p.name AS partner_name, g.id AS group_id, g.name AS group_name, g.monthly_quota,
			coalesce(used.used, 0) AS used
		FROM g JOIN partners p ON p.id = g.partner_id
		LEFT JOIN used ON used.partner_id = g.partner_id AND used.id = g.id
		WHERE g.monthly_quota > 0 AND coalesce(used.used, 0) * 100 >= $2::bigint * g.monthly_quota AND p.status = 'active'
		ORDER BY coalesce(used.used, 0)::numeric / g.monthly_quota DESC, lower(p.name), p.id, lower(g.name), g.id
		LIMIT $3`, monthStart, minPercent, limit, book)
	if err != nil {
		return nil, fmt.Errorf("quota alerts: %w", err)
	}
	return qs, nil
}

// GatewayCalls are the gateway's calls in a time range and how many of
// them failed on the server side (5xx).
type GatewayCalls struct {
	Calls        int64 `db:"calls"`
	ServerErrors int64 `db:"server_errors"`
}

// GatewayErrors sums every call of [from, to) and its 5xx answers from the
// rollup (api_usage_minutes_minute), calls refused before a credential
// was known included: the gateway's health, not a partner's usage.
func (s *Store) GatewayErrors(ctx context.Context, from, to time.Time) (GatewayCalls, error) {
	var g GatewayCalls
	err := s.q.GetContext(ctx, &g, `
		SELECT coalesce(sum(u.count), 0)::bigint AS calls,
			coalesce(sum(u.count) FILTER (WHERE u.status_class = 5), 0)::bigint AS server_errors
		FROM api_usage_minutes u
		WHERE u.minute >= $1 AND u.minute < $2`, from, to)
	if err != nil {
		return g, fmt.Errorf("gateway errors: %w", err)
	}
	return g, nil
}
