package dataset

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/portico/portico/internal/calls"
)

// eventBatch is the number of audit events written per transaction.
const eventBatch = 250_000

// eventBatches returns the steps that write the audit events: portal
// actions by partner members (the big partner's, having most members, do
// most), spread evenly over the last Days days, oldest first.
func eventBatches(s Spec) []func(context.Context, *sqlx.Tx, *gen) (int64, error) {
	var out []func(context.Context, *sqlx.Tx, *gen) (int64, error)
	for from := 0; from < s.Events; from += eventBatch {
		to := min(from+eventBatch, s.Events)
		out = append(out, func(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
			return exec(ctx, tx, `
				WITH u AS (SELECT id, partner_id, email, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id IS NOT NULL),
				     k AS (SELECT count(*) AS k FROM u),
				     e AS (SELECT i, (i * 2654435761) % (SELECT k FROM k) AS un FROM generate_series($1::bigint, $2::bigint - 1) i)
				INSERT INTO audit_events (at, actor_id, actor, partner_id, action, target_type, target_id, target, ip, request_id)
				SELECT now() - make_interval(secs => $3::float8 * 86400 * ($4 - e.i) / $4), u.id, u.email, u.partner_id,
					(ARRAY['user.sign_in', 'token.create', 'token.revoke', 'team.member_add', 'member.role_change',
						'invitation.create', 'token.rename', 'grant.create'])[1 + e.i % 8],
					(ARRAY['user', 'token', 'token', 'team', 'user', 'invitation', 'token', 'grant'])[1 + e.i % 8],
					e.i % 1000, 'target ' || e.i % 1000,
					('10.40.' || (e.i / 256 % 256) || '.' || (e.i % 256))::inet, 'gen-ev-' || e.i
				FROM e JOIN u ON u.n = e.un`, from, to, g.spec.Days, g.spec.Events)
		})
	}
	return out
}

// The six operations calls are spread over: API, operation, method, path.
var (
	callAPIs    = pq.StringArray{"fleet", "fleet", "telemetry", "telemetry", "maintenance", "maintenance"}
	callOps     = pq.StringArray{"listSpreaders", "getSpreader", "listAlarms", "listLiftCycles", "listWorkOrders", "createWorkOrder"}
	callMethods = pq.StringArray{"GET", "GET", "GET", "GET", "GET", "POST"}
	callPaths   = pq.StringArray{"/fleet/spreaders", "/fleet/spreaders/SP-0001", "/telemetry/alarms",
		"/telemetry/spreaders/SP-0001/lift-cycles", "/maintenance/work-orders", "/maintenance/work-orders"}
	// callStatuses is drawn from uniformly: 65 % 200, then one in twenty each.
	callStatuses = pq.Int64Array{200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201, 400, 401, 403, 404, 429, 500}
)

// activeTokens is how many tokens (about) make the calls.
const activeTokens = 2000

// calls writes Spec.Calls gateway calls over the last Days days, a day per
// transaction with its rollups, as the gateway's writer would have: calls
// come in bursts of ten from one token to one operation in one minute, so
// the per-minute rollup has about a tenth of the calls' rows.
func (g *gen) calls(ctx context.Context, db *sqlx.DB, progress io.Writer) error {
	s := g.spec
	if s.Calls == 0 {
		return nil
	}
	var start time.Time
	if err := db.GetContext(ctx, &start, `SELECT date_trunc('minute', now()) - make_interval(days => $1)`, s.Days); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `SELECT api_calls_ensure_partitions(($1::timestamptz AT TIME ZONE 'UTC')::date, $2)`, start, s.Days+2); err != nil {
		return fmt.Errorf("generate calls: partitions: %w", err)
	}
	every := max(1, s.Tokens/activeTokens)
	rollup := rollupSQL()
	for d := range s.Days {
		n := s.Calls / s.Days
		if d < s.Calls%s.Days {
			n++
		}
		from := start.Add(time.Duration(d) * 24 * time.Hour)
		var rows, rollups int64
		day := func(ctx context.Context, tx *sqlx.Tx, _ *gen) (int64, error) {
			var err error
			rows, err = exec(ctx, tx, `
				WITH t AS (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, partner_id, environment FROM tokens
				           WHERE NOT pending AND NOT console AND abs(hashint8(id)::bigint) % $3 = 0),
				     k AS (SELECT count(*) AS k FROM t),
				     b AS (SELECT b, floor(random() * 1440)::int AS minute, floor(random() * (SELECT k FROM k))::bigint AS tn,
				                  floor(random() * 6)::int AS op
				           FROM generate_series(0, ($2 - 1) / 10) b)
				INSERT INTO api_calls (at, partner_id, token_id, api, operation, environment, method, path, status, latency_us,
					client_ip, user_agent, request_id, bytes_in, bytes_out)
				SELECT $1::timestamptz + make_interval(mins => b.minute, secs => random() * 59.999), t.partner_id, t.id,
					($5::text[])[1 + b.op], ($6::text[])[1 + b.op], t.environment, ($7::text[])[1 + b.op],
					'/' || t.environment || ($8::text[])[1 + b.op],
					($9::smallint[])[1 + floor(random() * 20)::int], (exp(random() * 7) * 150)::int,
					('10.20.' || (t.n / 256 % 256) || '.' || (t.n % 256))::inet, 'generated/1.0',
					'gen-' || $4 || '-' || (b.b * 10 + j), CASE WHEN b.op = 5 THEN 512 ELSE 0 END, (200 + random() * 4000)::bigint
				FROM b JOIN t ON t.n = b.tn CROSS JOIN LATERAL generate_series(0, least(9, $2 - 1 - b.b * 10)) j`,
				from, n, every, d, callAPIs, callOps, callMethods, callPaths, callStatuses)
			if err != nil {
				return 0, err
			}
			rollups = 0
			for _, q := range rollup {
				k, err := exec(ctx, tx, q, from, from.Add(24*time.Hour))
				if err != nil {
					return 0, err
				}
				rollups += k
			}
			return rows + rollups, nil
		}
		if err := g.runStep(ctx, db, progress, step{fmt.Sprintf("calls %d/%d", d+1, s.Days), day}); err != nil {
			return err
		}
		if rows != int64(n) {
			return fmt.Errorf("generate calls: day %d has %d calls, want %d (no token can call?)", d+1, rows, n)
		}
	}
	return nil
}

// rollupSQL adds the generated calls of [$1, $2) to the rollups as the
// gateway's writer does (calls.Writer.upsertRollup and upsertUsage): per
// minute, partner, token, API, operation and status class in
// api_usage_minutes, and the dashboards' hourly and daily rollups
// (migrations 00026, 00028), each with the latency histogram of
// calls.LatencyBuckets.
func rollupSQL() []string {
	var buckets []string
	lo := int64(-1)
	for _, le := range calls.LatencyBuckets {
		buckets = append(buckets, fmt.Sprintf("count(*) FILTER (WHERE latency_us > %d AND latency_us <= %d)", lo, le.Microseconds()))
		lo = le.Microseconds()
	}
	buckets = append(buckets, fmt.Sprintf("count(*) FILTER (WHERE latency_us > %d)", lo))
	hist := `ARRAY[` + strings.Join(buckets, ", ") + `]`
	counts := `count(*), count(*) FILTER (WHERE status BETWEEN 400 AND 499), count(*) FILTER (WHERE status >= 500 OR status < 100),
		count(*) FILTER (WHERE status = 401), count(*) FILTER (WHERE status = 403), count(*) FILTER (WHERE status = 429),
		sum(latency_us), ` + strings.Join(buckets, ", ")
	const set, cols = calls.UsageUpsertSet, calls.UsageHistColumns
	const gen = `FROM api_calls WHERE at >= $1 AND at < $2 AND request_id LIKE 'gen-%'`
	return []string{`
		INSERT INTO api_usage_minutes AS u (minute, partner_id, token_id, api, operation, status_class, count, latency_sum_us, latency_buckets)
		SELECT date_trunc('minute', at), coalesce(partner_id, 0), coalesce(token_id, 0), api, operation,
			least(greatest(status / 100, 1), 5), count(*), sum(latency_us), ` + hist + `
		` + gen + `
		GROUP BY 1, 2, 3, 4, 5, 6
		ON CONFLICT (partner_id, minute, token_id, api, operation, status_class) DO UPDATE SET
			count = u.count + EXCLUDED.count,
			latency_sum_us = u.latency_sum_us + EXCLUDED.latency_sum_us,
			latency_buckets = api_usage_add_buckets(u.latency_buckets, EXCLUDED.latency_buckets)`, `
		INSERT INTO api_usage_hours AS u (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, ` + cols + `)
		SELECT date_trunc('hour', at, 'UTC'), coalesce(partner_id, 0), coalesce(token_id, 0), api, operation, environment, ` + counts + `
		` + gen + `
		GROUP BY 1, 2, 3, 4, 5, 6
		ON CONFLICT (partner_id, hour, token_id, api, operation, environment) DO UPDATE SET ` + set, `
		INSERT INTO api_usage_days AS u (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, ` + cols + `)
		SELECT date_trunc('day', at, 'UTC'), coalesce(partner_id, 0), api, operation, environment, ` + counts + `
		` + gen + `
		GROUP BY 1, 2, 3, 4, 5
		ON CONFLICT (partner_id, day, api, operation, environment) DO UPDATE SET ` + set, `
		INSERT INTO api_usage_token_days AS u (day, partner_id, token_id, api, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, ` + cols + `)
		SELECT date_trunc('day', at, 'UTC'), partner_id, token_id, api, ` + counts + `
		` + gen + ` AND token_id IS NOT NULL
		GROUP BY 1, 2, 3, 4
		ON CONFLICT (partner_id, day, token_id, api) DO UPDATE SET ` + set, `
		INSERT INTO api_usage_partner_days AS u (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, ` + cols + `)
		SELECT date_trunc('day', at, 'UTC'), coalesce(partner_id, 0), api, environment, ` + counts + `
		` + gen + `
		GROUP BY 1, 2, 3, 4
		ON CONFLICT (day, partner_id, api, environment) DO UPDATE SET ` + set, `
		INSERT INTO api_usage_operation_days AS u (day, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, ` + cols + `)
		SELECT date_trunc('day', at, 'UTC'), api, operation, environment, ` + counts + `
		` + gen + ` AND partner_id IS NOT NULL
		GROUP BY 1, 2, 3, 4
		ON CONFLICT (day, api, operation, environment) DO UPDATE SET ` + set}
}
