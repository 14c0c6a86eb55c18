package retention

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRun is one retention run at scale: 10 old days of calls
// (50 000 rows each, with every index of api_calls), 20 000 old calls in
// the default partition and 200 000 old per-minute rollups (batches of
// 10 000), while a writer inserts into today's partition. It reports the
// run's time and the longest single insert the writer waited meanwhile:
// what the locks of the partition drops cost the gateway.
func BenchmarkRun(b *testing.B) {
	const days, perDay, stray, rollups = 10, 50_000, 20_000, 200_000
	f := newFixture(b)
	db := f.db
	ctx := context.Background()
	var maxWait atomic.Int64
	var runs, inserts int
	insert := func() time.Duration {
		start := time.Now()
		if _, err := db.Exec(`INSERT INTO api_calls (at, api, operation, environment, method, path, status, latency_us, user_agent, request_id, bytes_in, bytes_out)
			VALUES (now(), 'fleet', 'x', 'live', 'GET', '/x', 200, 1, 'bench', 'live', 0, 0)`); err != nil {
			b.Error(err)
		}
		return time.Since(start)
	}
	// The same writer for a second without retention: the machine's own
	// worst insert, to compare with.
	var baseline time.Duration
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		baseline = max(baseline, insert())
	}
	for b.Loop() {
		b.StopTimer()
		if _, err := db.Exec(`SELECT api_calls_ensure_partitions((now() AT TIME ZONE 'UTC')::date - 420, $1)`, days); err != nil {
			b.Fatal(err)
		}
		fill := []string{
			`INSERT INTO api_calls (at, partner_id, token_id, api, operation, environment, method, path, status, latency_us, user_agent, request_id, bytes_in, bytes_out)
			 SELECT ((now() AT TIME ZONE 'UTC')::date - 420)::timestamp AT TIME ZONE 'UTC' + (i % $1::int) * interval '1 day' + (i % 86400) * interval '1 second',
			        i % 50, i % 5000, 'fleet', 'listSpreaders', 'live', 'GET', '/live/fleet/spreaders', 200, 900, 'bench', 'req-' || i, 0, 100
			 FROM generate_series(1, $2::int) i`,
			`INSERT INTO api_calls_default (at, api, operation, environment, method, path, status, latency_us, user_agent, request_id, bytes_in, bytes_out)
			 SELECT ((now() AT TIME ZONE 'UTC')::date - 500)::timestamp AT TIME ZONE 'UTC' + (i % 86400) * interval '1 second',
			        'fleet', 'x', 'live', 'GET', '/x', 200, 1, 'bench', 'stray-' || i, 0, 0
			 FROM generate_series(1, $1::int) i`,
			`INSERT INTO api_usage_minutes (minute, partner_id, token_id, api, operation, status_class, count, latency_sum_us, latency_buckets)
			 SELECT ((now() AT TIME ZONE 'UTC')::date - 900)::timestamp AT TIME ZONE 'UTC' + (i / 50) * interval '1 minute',
			        i % 50, 0, 'fleet', 'listSpreaders', 2, 1, 900, array_fill(0::bigint, ARRAY[16])
			 FROM generate_series(1, $1::int) i`,
		}
		for _, q := range fill {
			var err error
			switch {
			case q == fill[0]:
				_, err = db.Exec(q, days, days*perDay)
			case q == fill[1]:
				_, err = db.Exec(q, stray)
			default:
				_, err = db.Exec(q, rollups)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if _, err := db.Exec(`VACUUM ANALYZE api_usage_minutes`); err != nil {
			b.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if d := insert().Microseconds(); d > maxWait.Load() {
					maxWait.Store(d)
				}
				inserts++
			}
		}()
		b.StartTimer()
		r, err := New(f.st, Config{}, quiet).Once(ctx, true)
		b.StopTimer()
		close(stop)
		wg.Wait()
		if err != nil || !r.Complete || len(r.PartitionsDropped) != days || r.DefaultRowsDeleted != stray || r.RollupRowsDeleted != rollups {
			b.Fatalf("run = %+v, %v", r, err)
		}
		runs++
		b.StartTimer()
	}
	b.ReportMetric(float64(maxWait.Load())/1000, "max-insert-ms")
	b.ReportMetric(float64(baseline.Microseconds())/1000, "baseline-max-insert-ms")
	b.ReportMetric(float64(inserts)/float64(runs), "inserts/run")
}
