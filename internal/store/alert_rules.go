package store

import (
	"context"
	"fmt"
	"time"
)

// The queries the alert rules read, each one statement over every partner.

// RateLimitRefusals is a partner's calls refused by rate limits (429) in
// a window.
type RateLimitRefusals struct {
	PartnerID int64 `db:"partner_id"`
	Refused   int64 `db:"refused"`
}

// RateLimitedPartners lists the partners whose calls were refused with 429
// at least min times in [from, to), from the hourly rollups.
func (s *Store) RateLimitedPartners(ctx context.Context, from, to time.Time, min int64) ([]RateLimitRefusals, error) {
	var rs []RateLimitRefusals
	err := s.q.SelectContext(ctx, &rs, `
		SELECT partner_id, sum(c429)::bigint AS refused FROM api_usage_hours
		WHERE hour >= $1 AND hour < $2 AND partner_id <> 0
		GROUP BY partner_id HAVING sum(c429) >= $3
		ORDER BY partner_id`, from, to, min)
	if err != nil {
		return nil, fmt.Errorf("rate-limited partners: %w", err)
	}
	return rs, nil
}

// BusyExpiring is an open credential used on each of the last days that
// expires soon.
type BusyExpiring struct {
	ID        int64     `db:"id"`
	PartnerID int64     `db:"partner_id"`
	UserID    int64     `db:"user_id"`
	Name      string    `db:"name"`
	Hint      string    `db:"hint"`
	ExpiresAt time.Time `db:"expires_at"`
}

// BusyExpiringTokens lists open credentials that expire before `before`
// and were called on each of the `days` whole UTC days before today, from
// the hourly rollups (read by token through api_usage_hours_token).
func (s *Store) BusyExpiringTokens(ctx context.Context, now, before time.Time, days int) ([]BusyExpiring, error) {
	var ts []BusyExpiring
	err := s.q.SelectContext(ctx, &ts, `
		SELECT t.id, t.partner_id, t.user_id, t.name, t.hint, t.expires_at
		FROM tokens t
		WHERE t.revoked_at IS NULL AND t.expires_at > $1 AND t.expires_at < $2 AND NOT t.console
		  AND (SELECT count(DISTINCT date_trunc('day', u.hour AT TIME ZONE 'UTC'))
		       FROM api_usage_hours u
		       WHERE u.token_id = t.id AND u.token_id <> 0 AND u.calls > 0
		         AND u.hour >= date_trunc('day', $1 AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - $3::int * interval '1 day'
		         AND u.hour < date_trunc('day', $1 AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') >= $3
		ORDER BY t.id`, now, before, days)
	if err != nil {
		return nil, fmt.Errorf("busy expiring tokens: %w", err)
	}
	return ts, nil
}

// TokenHour is a credential's calls in one hour next to its baseline: the
// average per hour over the days before.
type TokenHour struct {
	TokenID   int64   `db:"token_id"`
	PartnerID int64   `db:"partner_id"`
	UserID    int64   `db:"user_id"`
	Name      string  `db:"name"`
	Hint      string  `db:"hint"`
	Calls     int64   `db:"calls"`
	C4xx      int64   `db:"c4xx"`
	C5xx      int64   `db:"c5xx"`
	BaseCalls float64 `db:"base_calls"`
	Base4xx   float64 `db:"base_4xx"`
	Base5xx   float64 `db:"base_5xx"`
}

// TokenHourVersusBaseline lists the credentials that made at least min
// calls in the hour starting at hour, each with its hourly average over the
// baselineDays before that hour, or over its life when it is younger
// (hours without calls count as zero). Both reads of the rollup go through
// api_usage_hours_token (token_id <> 0 is its predicate).
func (s *Store) TokenHourVersusBaseline(ctx context.Context, hour time.Time, baselineDays int, min int64) ([]TokenHour, error) {
	var rs []TokenHour
	err := s.q.SelectContext(ctx, &rs, `
		WITH now_hour AS (
			SELECT token_id, sum(calls)::bigint AS calls, sum(c4xx)::bigint AS c4xx, sum(c5xx)::bigint AS c5xx
			FROM api_usage_hours WHERE hour = $1 AND token_id <> 0
			GROUP BY token_id HAVING sum(calls) >= $3)
		SELECT n.token_id, t.partner_id, t.user_id, t.name, t.hint, n.calls, n.c4xx, n.c5xx,
		       coalesce(b.calls, 0)::float8 / w.hours AS base_calls,
		       coalesce(b.c4xx, 0)::float8 / w.hours AS base_4xx,
		       coalesce(b.c5xx, 0)::float8 / w.hours AS base_5xx
		FROM now_hour n JOIN tokens t ON t.id = n.token_id
		-- The baseline's hours: the week before, or the credential's life
		-- before the hour when it is younger (at least one hour).
		CROSS JOIN LATERAL (
			SELECT greatest(extract(epoch FROM $1 - greatest(t.created_at, $1 - $2 * interval '1 day')) / 3600, 1)::float8 AS hours) w
		LEFT JOIN LATERAL (
			SELECT sum(calls) AS calls, sum(c4xx) AS c4xx, sum(c5xx) AS c5xx FROM api_usage_hours u
			WHERE u.token_id = n.token_id AND u.token_id <> 0 AND u.hour >= $1 - $2 * interval '1 day' AND u.hour < $1) b ON true
		ORDER BY n.token_id`, hour, baselineDays, min)
	if err != nil {
		return nil, fmt.Errorf("token hour versus baseline: %w", err)
	}
	return rs, nil
}
