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

// usageRollups are a batch summed for the dashboard rollups (migrations
// 00026 and 00028).
type usageRollups struct {
	hours, days, tokenDays, partnerDays, operationDays map[sumKey]*sumCounts
}

func newUsageRollups() usageRollups {
	return usageRollups{hours: map[sumKey]*sumCounts{}, days: map[sumKey]*sumCounts{}, tokenDays: map[sumKey]*sumCounts{},
		partnerDays: map[sumKey]*sumCounts{}, operationDays: map[sumKey]*sumCounts{}}
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
	clear(r.partnerDays)
	clear(r.operationDays)
	for i := range batch {
		x := clean(&batch[i])
		c := &x
		at := c.At.UTC()
		hour := at.Truncate(time.Hour).Unix()
		day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC).Unix()
		addTo(r.hours, sumKey{at: hour, partner: c.PartnerID, token: c.TokenID, api: c.API, operation: c.Operation, environment: c.Environment}, c)
		addTo(r.days, sumKey{at: day, partner: c.PartnerID, api: c.API, operation: c.Operation, environment: c.Environment}, c)
		addTo(r.partnerDays, sumKey{at: day, partner: c.PartnerID, api: c.API, environment: c.Environment}, c)
		if c.TokenID != 0 {
			addTo(r.tokenDays, sumKey{at: day, partner: c.PartnerID, token: c.TokenID, api: c.API}, c)
		}
		if c.PartnerID != 0 {
			addTo(r.operationDays, sumKey{at: day, api: c.API, operation: c.Operation, environment: c.Environment}, c)
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

// UsageHistColumns are the histogram's columns (b1 … b16) of every
// dashboard rollup, and UsageUpsertSet the ON CONFLICT update they all
// share; the data generator (internal/dataset) writes the same rollups
// with them. usageHistVals fill the columns from a batch's histogram l.b.
const (
	UsageHistColumns = `b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16`
	usageHistVals    = `l.b[1], l.b[2], l.b[3], l.b[4], l.b[5], l.b[6], l.b[7], l.b[8], l.b[9], l.b[10], l.b[11], l.b[12], l.b[13], l.b[14], l.b[15], l.b[16]`
	UsageUpsertSet   = `calls = u.calls + EXCLUDED.calls, c4xx = u.c4xx + EXCLUDED.c4xx, c5xx = u.c5xx + EXCLUDED.c5xx,
	c401 = u.c401 + EXCLUDED.c401, c403 = u.c403 + EXCLUDED.c403, c429 = u.c429 + EXCLUDED.c429,
	latency_sum_us = u.latency_sum_us + EXCLUDED.latency_sum_us,
	b1 = u.b1 + EXCLUDED.b1, b2 = u.b2 + EXCLUDED.b2, b3 = u.b3 + EXCLUDED.b3, b4 = u.b4 + EXCLUDED.b4,
	b5 = u.b5 + EXCLUDED.b5, b6 = u.b6 + EXCLUDED.b6, b7 = u.b7 + EXCLUDED.b7, b8 = u.b8 + EXCLUDED.b8,
	b9 = u.b9 + EXCLUDED.b9, b10 = u.b10 + EXCLUDED.b10, b11 = u.b11 + EXCLUDED.b11, b12 = u.b12 + EXCLUDED.b12,
	b13 = u.b13 + EXCLUDED.b13, b14 = u.b14 + EXCLUDED.b14, b15 = u.b15 + EXCLUDED.b15, b16 = u.b16 + EXCLUDED.b16`
)

// upsertUsage adds the batch to the dashboards' rollups in one statement,
// in the batch's transaction: the dashboards never see a call in one
// rollup and not another.
func (w *Writer) upsertUsage(ctx context.Context, tx *sql.Tx, batch []Call) error {
	w.usage.sum(batch)
	h, d, t := arrays(w.usage.hours), arrays(w.usage.days), arrays(w.usage.tokenDays)
	pd, od := arrays(w.usage.partnerDays), arrays(w.usage.operationDays)
	_, err := tx.ExecContext(ctx, `
		WITH hours AS (
			INSERT INTO api_usage_hours AS u (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, `+UsageHistColumns+`)
			SELECT to_timestamp(x.at), x.p, x.t, x.a, x.o, x.e, x.n, x.n4, x.n5, x.n401, x.n403, x.n429, x.s, `+usageHistVals+`
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
				$9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[])
				AS x(at, p, t, a, o, e, n, n4, n5, n401, n403, n429, s, h), LATERAL (SELECT x.h::bigint[] AS b) l
			ON CONFLICT (partner_id, hour, token_id, api, operation, environment) DO UPDATE SET `+UsageUpsertSet+`
			RETURNING 1),
		days AS (
			INSERT INTO api_usage_days AS u (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, `+UsageHistColumns+`)
			SELECT to_timestamp(x.at), x.p, x.a, x.o, x.e, x.n, x.n4, x.n5, x.n401, x.n403, x.n429, x.s, `+usageHistVals+`
			FROM unnest($15::bigint[], $16::bigint[], $17::text[], $18::text[], $19::text[], $20::bigint[], $21::bigint[],
				$22::bigint[], $23::bigint[], $24::bigint[], $25::bigint[], $26::bigint[], $27::text[])
				AS x(at, p, a, o, e, n, n4, n5, n401, n403, n429, s, h), LATERAL (SELECT x.h::bigint[] AS b) l
			ON CONFLICT (partner_id, day, api, operation, environment) DO UPDATE SET `+UsageUpsertSet+`
			RETURNING 1),
		partner_days AS (
			INSERT INTO api_usage_partner_days AS u (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, `+UsageHistColumns+`)
			SELECT to_timestamp(x.at), x.p, x.a, x.e, x.n, x.n4, x.n5, x.n401, x.n403, x.n429, x.s, `+usageHistVals+`
			FROM unnest($40::bigint[], $41::bigint[], $42::text[], $43::text[], $44::bigint[], $45::bigint[], $46::bigint[],
				$47::bigint[], $48::bigint[], $49::bigint[], $50::bigint[], $51::text[])
				AS x(at, p, a, e, n, n4, n5, n401, n403, n429, s, h), LATERAL (SELECT x.h::bigint[] AS b) l
			ON CONFLICT (day, partner_id, api, environment) DO UPDATE SET `+UsageUpsertSet+`
			RETURNING 1),
		operation_days AS (
			INSERT INTO api_usage_operation_days AS u (day, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, `+UsageHistColumns+`)
			SELECT to_timestamp(x.at), x.a, x.o, x.e, x.n, x.n4, x.n5, x.n401, x.n403, x.n429, x.s, `+usageHistVals+`
			FROM unnest($52::bigint[], $53::text[], $54::text[], $55::text[], $56::bigint[], $57::bigint[], $58::bigint[],
				$59::bigint[], $60::bigint[], $61::bigint[], $62::bigint[], $63::text[])
				AS x(at, a, o, e, n, n4, n5, n401, n403, n429, s, h), LATERAL (SELECT x.h::bigint[] AS b) l
			ON CONFLICT (day, api, operation, environment) DO UPDATE SET `+UsageUpsertSet+`
			RETURNING 1)
		INSERT INTO api_usage_token_days AS u (day, partner_id, token_id, api, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, `+UsageHistColumns+`)
		SELECT to_timestamp(x.at), x.p, x.t, x.a, x.n, x.n4, x.n5, x.n401, x.n403, x.n429, x.s, `+usageHistVals+`
		FROM unnest($28::bigint[], $29::bigint[], $30::bigint[], $31::text[], $32::bigint[], $33::bigint[], $34::bigint[],
			$35::bigint[], $36::bigint[], $37::bigint[], $38::bigint[], $39::text[])
			AS x(at, p, t, a, n, n4, n5, n401, n403, n429, s, h), LATERAL (SELECT x.h::bigint[] AS b) l
		ON CONFLICT (partner_id, day, token_id, api) DO UPDATE SET `+UsageUpsertSet,
		pq.Array(h.at), pq.Array(h.partner), pq.Array(h.token), pq.Array(h.api), pq.Array(h.operation), pq.Array(h.environment),
		pq.Array(h.calls), pq.Array(h.c4xx), pq.Array(h.c5xx), pq.Array(h.c401), pq.Array(h.c403), pq.Array(h.c429), pq.Array(h.latencys), pq.Array(h.hist),
		pq.Array(d.at), pq.Array(d.partner), pq.Array(d.api), pq.Array(d.operation), pq.Array(d.environment),
		pq.Array(d.calls), pq.Array(d.c4xx), pq.Array(d.c5xx), pq.Array(d.c401), pq.Array(d.c403), pq.Array(d.c429), pq.Array(d.latencys), pq.Array(d.hist),
		pq.Array(t.at), pq.Array(t.partner), pq.Array(t.token), pq.Array(t.api),
		pq.Array(t.calls), pq.Array(t.c4xx), pq.Array(t.c5xx), pq.Array(t.c401), pq.Array(t.c403), pq.Array(t.c429), pq.Array(t.latencys), pq.Array(t.hist),
		pq.Array(pd.at), pq.Array(pd.partner), pq.Array(pd.api), pq.Array(pd.environment),
		pq.Array(pd.calls), pq.Array(pd.c4xx), pq.Array(pd.c5xx), pq.Array(pd.c401), pq.Array(pd.c403), pq.Array(pd.c429), pq.Array(pd.latencys), pq.Array(pd.hist),
		pq.Array(od.at), pq.Array(od.api), pq.Array(od.operation), pq.Array(od.environment),
		pq.Array(od.calls), pq.Array(od.c4xx), pq.Array(od.c5xx), pq.Array(od.c401), pq.Array(od.c403), pq.Array(od.c429), pq.Array(od.latencys), pq.Array(od.hist))
	if err != nil {
		return fmt.Errorf("usage rollups: %w", err)
	}
	return nil
}
