package store

import (
	"context"
	"fmt"
	"time"
)

// UsageWithoutCredential sums the calls of [from, to) that carried no
// credential (partner 0: a missing, malformed or unknown token, refused
// before any partner was known) per bucket of step and environment. They
// are nobody's usage, so no scope of UsageSeries holds them; the platform
// admin watches them for probing and broken clients.
func (s *Store) UsageWithoutCredential(ctx context.Context, from, to time.Time, step time.Duration) ([]UsagePoint, error) {
	src := usageHours
	if daily(from, to) && step >= 24*time.Hour {
		src = usagePartnerDays
	}
	var ps []UsagePoint
	err := s.q.SelectContext(ctx, &ps, `
		SELECT date_bin($3::interval, u.`+src.at+`, $1::timestamptz) AS start, u.environment, `+usageTotals+`
		FROM `+src.table+` u
		WHERE u.`+src.at+` >= $1 AND u.`+src.at+` < $2 AND u.partner_id = 0
		GROUP BY 1, 2 ORDER BY 1, 2`, from, to, fmt.Sprintf("%d seconds", int64(step/time.Second)))
	if err != nil {
		return nil, fmt.Errorf("usage without credential: %w", err)
	}
	for i := range ps {
		ps[i].Bucket = int(ps[i].Start.Sub(from) / step)
	}
	return ps, nil
}

// ErrorTrend is a partner whose calls fail more often in the last 24
// hours than in the week before.
type ErrorTrend struct {
	PartnerID int64  `db:"partner_id"`
	Name      string `db:"name"`
	// Calls and Errors (4xx and 5xx) are the last 24 hours'; BaseCalls
	// and BaseErrors the 7 whole days before yesterday's.
	Calls      int64 `db:"calls"`
	Errors     int64 `db:"errors"`
	BaseCalls  int64 `db:"base_calls"`
	BaseErrors int64 `db:"base_errors"`
}

// Rising thresholds: a partner's error rate is rising when, over at least
// MinTrendCalls calls in the last 24 hours, it is at least twice the rate
// of the week before and 5 points above it.
const MinTrendCalls = 100

// ErrorRatesRising returns at most limit partners whose share of failed
// calls (4xx and 5xx) in the 24 hours before now is at least twice that of
// the 7 days before yesterday and 5 points higher, over at least
// MinTrendCalls calls: the account managers' early warning. Suspended
// partners are left out (their calls fail because they are suspended). The steepest
// rise comes first. Both windows are read from rollups staff views
// already read: the hourly one for the last day, the daily per-partner
// one for the week. book bounds the partners to an account manager's
// (access.Actor.Book; 0: every partner).
func (s *Store) ErrorRatesRising(ctx context.Context, now time.Time, book int64, limit int) ([]ErrorTrend, error) {
	now = now.UTC()
	hour := now.Truncate(time.Hour).Add(time.Hour)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var ts []ErrorTrend
	err := s.q.SelectContext(ctx, &ts, `
		WITH recent AS (
			SELECT u.partner_id, sum(u.calls)::bigint AS calls, sum(u.c4xx + u.c5xx)::bigint AS errors
			FROM api_usage_hours u
			WHERE u.hour >= $1 AND u.hour < $2 AND u.partner_id <> 0 AND `+bookFilter("u.partner_id", 7)+`
			GROUP BY u.partner_id HAVING sum(u.calls) >= $5),
		base AS (
			SELECT u.partner_id, sum(u.calls)::bigint AS calls, sum(u.c4xx + u.c5xx)::bigint AS errors
			FROM api_usage_partner_days u
			WHERE u.day >= $3 AND u.day < $4 AND u.partner_id IN (SELECT partner_id FROM recent)
			GROUP BY u.partner_id)
		SELECT r.partner_id, p.name, r.calls, r.errors,
			coalesce(b.calls, 0) AS base_calls, coalesce(b.errors, 0) AS base_errors
		FROM recent r LEFT JOIN base b ON b.partner_id = r.partner_id JOIN partners p ON p.id = r.partner_id
		WHERE p.status = 'active' AND r.errors::float8 / r.calls >= 2 * coalesce(b.errors::float8 / nullif(b.calls, 0), 0)
			AND r.errors::float8 / r.calls >= coalesce(b.errors::float8 / nullif(b.calls, 0), 0) + 0.05
		ORDER BY r.errors::float8 / r.calls - coalesce(b.errors::float8 / nullif(b.calls, 0), 0) DESC, r.partner_id
		LIMIT $6`, hour.Add(-24*time.Hour), hour, today.AddDate(0, 0, -8), today.AddDate(0, 0, -1), MinTrendCalls, limit, book)
	if err != nil {
		return nil, fmt.Errorf("error rates rising: %w", err)
	}
	return ts, nil
}
