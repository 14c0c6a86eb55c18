package calls

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// sumKey is a row of the dashboards' rollups (migration 00026): its hour
// or day, partner, token, API, operation and environment. The day and
// token-day rollups leave out what their key does not hold.
type sumKey struct {
	at             int64 // Unix seconds of the hour or UTC day
	partner, token int64
	api, operation string
	environment    string
}

// sumCounts is what a rollup row adds up: calls, the 4xx and 5xx among
// them, 401, 403 and 429 by name, and the latency histogram.
type sumCounts struct {
	calls, c4xx, c5xx, c401, c403, c429, latencySum int64
	buckets                                         [NumLatencyBuckets]int64
}

func (u *sumCounts) add(c *Call) {
	u.calls++
	switch StatusClass(c.Status) {
	case 4:
		u.c4xx++
	case 5:
		u.c5xx++
	}
	switch c.Status {
	case 401:
		u.c401++
	case 403:
		u.c403++
	case 429:
		u.c429++
	}
	u.latencySum += c.Latency.Microseconds()
	u.buckets[Bucket(c.Latency)]++
}

// usageRollups are a batch summed for the three dashboard rollups.
type usageRollups struct {
	hours, days, tokenDays map[sumKey]*sumCounts
}

func newUsageRollups() usageRollups {
	return usageRollups{hours: map[sumKey]*sumCounts{}, days: map[sumKey]*sumCounts{}, tokenDays: map[sumKey]*sumCounts{}}
}

func addTo(m map[sumKey]*sumCounts, k sumKey, c *Call) {
	r := m[k]
	if r == nil {
		r = &sumCounts{}
		m[k] = r
	}
	r.add(c)
}

// sum adds up the batch per hour and per UTC day.
func (r usageRollups) sum(batch []Call) {
	clear(r.hours)
	clear(r.days)
	clear(r.tokenDays)
	for i := range batch {
		x := clean(&batch[i])
		c := &x
		at := c.At.UTC()
		hour := at.Truncate(time.Hour).Unix()
		day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC).Unix()
		addTo(r.hours, sumKey{at: hour, partner: c.PartnerID, token: c.TokenID, api: c.API, operation: c.Operation, environment: c.Environment}, c)
		addTo(r.days, sumKey{at: day, partner: c.PartnerID, api: c.API, operation: c.Operation, environment: c.Environment}, c)
		if c.TokenID != 0 {
			addTo(r.tokenDays, sumKey{at: day, partner: c.PartnerID, token: c.TokenID, api: c.API}, c)
		}
	}
}

// usageArrays are a rollup's rows as the columns of one unnest.
type usageArrays struct {
	at, partner, token                            []int64
	api, operation, environment, hist             []string
	calls, c4xx, c5xx, c401, c403, c429, latencys []int64
}

// arrays puts m's rows in key order, so that writers on several nodes
// lock them in the same order.
func arrays(m map[sumKey]*sumCounts) usageArrays {
	keys := make([]sumKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b sumKey) int {
		return cmp.Or(cmp.Compare(a.partner, b.partner), cmp.Compare(a.at, b.at), cmp.Compare(a.token, b.token),
			strings.Compare(a.api, b.api), strings.Compare(a.operation, b.operation), strings.Compare(a.environment, b.environment))
	})
	var a usageArrays
	var buf []byte
	for _, k := range keys {
		r := m[k]
		a.at, a.partner, a.token = append(a.at, k.at), append(a.partner, k.partner), append(a.token, k.token)
		a.api, a.operation, a.environment = append(a.api, k.api), append(a.operation, k.operation), append(a.environment, k.environment)
		a.calls, a.c4xx, a.c5xx = append(a.calls, r.calls), append(a.c4xx, r.c4xx), append(a.c5xx, r.c5xx)
		a.c401, a.c403, a.c429 = append(a.c401, r.c401), append(a.c403, r.c403), append(a.c429, r.c429)
		a.latencys = append(a.latencys, r.latencySum)
		buf = append(buf[:0], '{')
		for j, b := range r.buckets {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, b, 10)
		}
		a.hist = append(a.hist, string(append(buf, '}')))
	}
	return a
}

// usageSet is the ON CONFLICT update every dashboard rollup shares.
const usageSet = `calls = u.calls + EXCLUDED.calls, c4xx = u.c4xx + EXCLUDED.c4xx, c5xx = u.c5xx + EXCLUDED.c5xx,
	c401 = u.c401 + EXCLUDED.c401, c403 = u.c403 + EXCLUDED.c403, c429 = u.c429 + EXCLUDED.c429,
	latency_sum_us = u.latency_sum_us + EXCLUDED.latency_sum_us,
	latency_buckets = api_usage_add_buckets(u.latency_buckets, EXCLUDED.latency_buckets)`

// upsertUsage adds the batch to api_usage_hours, api_usage_days and
// api_usage_token_days in one statement, in the batch's transaction: the
// dashboards never see a call in one rollup and not another.
func (w *Writer) upsertUsage(ctx context.Context, tx *sql.Tx, batch []Call) error {
	w.usage.sum(batch)
	h, d, t := arrays(w.usage.hours), arrays(w.usage.days), arrays(w.usage.tokenDays)
	_, err := tx.ExecContext(ctx, `
		WITH hours AS (
			INSERT INTO api_usage_hours AS u (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, latency_buckets)
			SELECT to_timestamp(x.at), x.p, x.t, x.a, x.o, x.e, x.n, x.n4, x.n5, x.n401, x.n403, x.n429, x.s, x.h::bigint[]
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
				$9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[])
				AS x(at, p, t, a, o, e, n, n4, n5, n401, n403, n429, s, h)
			ON CONFLICT (partner_id, hour, token_id, api, operation, environment) DO UPDATE SET `+usageSet+`
			RETURNING 1),
		days AS (
			INSERT INTO api_usage_days AS u (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, latency_buckets)
			SELECT to_timestamp(x.at), x.p, x.a, x.o, x.e, x.n, x.n4, x.n5, x.n401, x.n403, x.n429, x.s, x.h::bigint[]
			FROM unnest($15::bigint[], $16::bigint[], $17::text[], $18::text[], $19::text[], $20::bigint[], $21::bigint[],
				$22::bigint[], $23::bigint[], $24::bigint[], $25::bigint[], $26::bigint[], $27::text[])
				AS x(at, p, a, o, e, n, n4, n5, n401, n403, n429, s, h)
			ON CONFLICT (partner_id, day, api, operation, environment) DO UPDATE SET `+usageSet+`
			RETURNING 1)
		INSERT INTO api_usage_token_days AS u (day, partner_id, token_id, api, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, latency_buckets)
		SELECT to_timestamp(x.at), x.p, x.t, x.a, x.n, x.n4, x.n5, x.n401, x.n403, x.n429, x.s, x.h::bigint[]
		FROM unnest($28::bigint[], $29::bigint[], $30::bigint[], $31::text[], $32::bigint[], $33::bigint[], $34::bigint[],
			$35::bigint[], $36::bigint[], $37::bigint[], $38::bigint[], $39::text[])
			AS x(at, p, t, a, n, n4, n5, n401, n403, n429, s, h)
		ON CONFLICT (partner_id, day, token_id, api) DO UPDATE SET `+usageSet,
		pq.Array(h.at), pq.Array(h.partner), pq.Array(h.token), pq.Array(h.api), pq.Array(h.operation), pq.Array(h.environment),
		pq.Array(h.calls), pq.Array(h.c4xx), pq.Array(h.c5xx), pq.Array(h.c401), pq.Array(h.c403), pq.Array(h.c429), pq.Array(h.latencys), pq.Array(h.hist),
		pq.Array(d.at), pq.Array(d.partner), pq.Array(d.api), pq.Array(d.operation), pq.Array(d.environment),
		pq.Array(d.calls), pq.Array(d.c4xx), pq.Array(d.c5xx), pq.Array(d.c401), pq.Array(d.c403), pq.Array(d.c429), pq.Array(d.latencys), pq.Array(d.hist),
		pq.Array(t.at), pq.Array(t.partner), pq.Array(t.token), pq.Array(t.api),
		pq.Array(t.calls), pq.Array(t.c4xx), pq.Array(t.c5xx), pq.Array(t.c401), pq.Array(t.c403), pq.Array(t.c429), pq.Array(t.latencys), pq.Array(t.hist))
	if err != nil {
		return fmt.Errorf("usage rollups: %w", err)
	}
	return nil
}
