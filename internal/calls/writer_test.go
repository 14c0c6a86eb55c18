package calls

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/portico/portico/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// run starts w.Run and returns the function that shuts it down.
func run(t testing.TB, w *Writer) (shutdown func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	var once sync.Once
	var err error
	shutdown = func() error {
		once.Do(func() {
			cancel()
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { _ = shutdown() })
	return shutdown
}

// sample is call i of goroutine g: statuses, latencies and minutes vary so
// that every status class and most latency buckets are hit.
func sample(base time.Time, g, i int) Call {
	statuses := []int{200, 201, 204, 301, 304, 400, 401, 403, 404, 429, 500, 503, 101}
	latencies := []time.Duration{
		90 * time.Microsecond, 250 * time.Microsecond, 700 * time.Microsecond, 3 * time.Millisecond,
		40 * time.Millisecond, 300 * time.Millisecond, 2 * time.Second, 12 * time.Second,
	}
	apis := []string{"fleet", "telemetry", "maintenance"}
	return Call{
		At:          base.Add(time.Duration(i%3)*time.Minute + time.Duration(i)*time.Microsecond),
		PartnerID:   int64(1 + g%3),
		TokenID:     int64(100 + g),
		API:         apis[i%len(apis)],
		Operation:   fmt.Sprintf("op%d", i%2),
		Environment: "sandbox",
		Method:      "GET",
		Path:        fmt.Sprintf("/spreaders/%d", i),
		Status:      statuses[i%len(statuses)],
		Latency:     latencies[i%len(latencies)] + time.Duration(g)*time.Microsecond,
		ClientIP:    "192.0.2.7",
		UserAgent:   "test/1.0",
		RequestID:   fmt.Sprintf("g%d-%d", g, i),
		BytesIn:     int64(i),
		BytesOut:    int64(2 * i),
	}
}

type usageKey struct {
	Minute         time.Time
	Partner, Token int64
	API, Operation string
	StatusClass    int
}

type usage struct {
	Count, LatencySum int64
	Buckets           [NumLatencyBuckets]int64
}

func (u *usage) add(c Call) {
	u.Count++
	u.LatencySum += c.Latency.Microseconds()
	u.Buckets[Bucket(c.Latency)]++
}

func keyOf(c Call) usageKey {
	return usageKey{c.At.UTC().Truncate(time.Minute), c.PartnerID, c.TokenID, c.API, c.Operation, StatusClass(c.Status)}
}

// readUsage reads the whole rollup table.
func readUsage(t *testing.T, db *sqlx.DB) map[usageKey]usage {
	t.Helper()
	rows, err := db.Query(`SELECT minute, partner_id, token_id, api, operation, status_class, count, latency_sum_us, latency_buckets FROM api_usage_minutes`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[usageKey]usage{}
	for rows.Next() {
		var k usageKey
		var u usage
		var b pq.Int64Array
		if err := rows.Scan(&k.Minute, &k.Partner, &k.Token, &k.API, &k.Operation, &k.StatusClass, &u.Count, &u.LatencySum, &b); err != nil {
			t.Fatal(err)
		}
		k.Minute = k.Minute.UTC()
		if len(b) != NumLatencyBuckets {
			t.Fatalf("rollup histogram has %d buckets, want %d", len(b), NumLatencyBuckets)
		}
		copy(u.Buckets[:], b)
		if _, dup := got[k]; dup {
			t.Fatalf("rollup key %+v twice", k)
		}
		got[k] = u
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func count(t *testing.T, db *sqlx.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// checkComplete checks api_calls holds want rows, once each, and the
// rollup sums to them.
func checkComplete(t *testing.T, db *sqlx.DB, want int64) {
	t.Helper()
	if got := count(t, db, `SELECT count(*) FROM api_calls`); got != want {
		t.Errorf("api_calls has %d rows, want %d", got, want)
	}
	if got := count(t, db, `SELECT count(DISTINCT request_id) FROM api_calls`); got != want {
		t.Errorf("api_calls has %d distinct request ids, want %d (duplicates)", got, want)
	}
	if got := count(t, db, `SELECT coalesce(sum(count), 0) FROM api_usage_minutes`); got != want {
		t.Errorf("rollup counts sum to %d, want %d", got, want)
	}
}

func TestConcurrentRecordsAreAllWritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    WriterConfig
		g, per int
	}{
		{"defaults", WriterConfig{}, 8, 2000},
		{"one call per batch", WriterConfig{BatchSize: 1, FlushInterval: time.Millisecond}, 4, 100},
		{"tiny queue, callers retry on ErrFull", WriterConfig{QueueSize: 16, BatchSize: 7, FlushInterval: time.Millisecond}, 8, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := pgtest.DB(t)
			w := NewWriter(nil, db, tt.cfg, quiet)
			shutdown := run(t, w)
			base := time.Now().UTC().Truncate(time.Minute).Add(-3 * time.Minute)

			var wg sync.WaitGroup
			var full atomic.Int64
			for g := range tt.g {
				wg.Go(func() {
					for i := range tt.per {
						for {
							err := w.Record(sample(base, g, i))
							if err == nil {
								break
							}
							if !errors.Is(err, ErrFull) {
								t.Errorf("Record: %v", err)
								return
							}
							full.Add(1)
							time.Sleep(100 * time.Microsecond)
						}
					}
				})
			}
			wg.Wait()
			if err := shutdown(); err != nil {
				t.Fatalf("Run: %v", err)
			}

			total := int64(tt.g * tt.per)
			checkComplete(t, db, total)
			st := w.Stats()
			if st.Written != total || st.Queued != 0 || st.Dropped != 0 || st.Refused != full.Load() {
				t.Errorf("Stats = %+v, want Written %d, Queued 0, Dropped 0, Refused %d", st, total, full.Load())
			}

			want := map[usageKey]usage{}
			type statusSum struct{ N, Latency, BytesOut int64 }
			wantStatus := map[int]statusSum{}
			for g := range tt.g {
				for i := range tt.per {
					c := sample(base, g, i)
					u := want[keyOf(c)]
					u.add(c)
					want[keyOf(c)] = u
					s := wantStatus[c.Status]
					s.N++
					s.Latency += c.Latency.Microseconds()
					s.BytesOut += c.BytesOut
					wantStatus[c.Status] = s
				}
			}
			if diff := cmp.Diff(want, readUsage(t, db)); diff != "" {
				t.Errorf("api_usage_minutes (-want +got):\n%s", diff)
			}
			checkDashboardRollups(t, db)
			var rows []struct {
				Status   int   `db:"status"`
				N        int64 `db:"n"`
				Latency  int64 `db:"latency"`
				BytesOut int64 `db:"bytes_out"`
			}
			if err := db.Select(&rows, `SELECT status, count(*) AS n, sum(latency_us) AS latency, sum(bytes_out) AS bytes_out FROM api_calls GROUP BY status`); err != nil {
				t.Fatal(err)
			}
			gotStatus := map[int]statusSum{}
			for _, r := range rows {
				gotStatus[r.Status] = statusSum{r.N, r.Latency, r.BytesOut}
			}
			if diff := cmp.Diff(wantStatus, gotStatus); diff != "" {
				t.Errorf("api_calls per status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRowsMatchTheCall(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	w := NewWriter(nil, db, WriterConfig{}, quiet)
	shutdown := run(t, w)
	at := time.Now().UTC().Truncate(time.Microsecond)
	longUA := strings.Repeat("é", 400) // 800 bytes
	tests := []Call{
		{At: at, PartnerID: 7, TokenID: 9, API: "fleet", Operation: "listSpreaders", Environment: "live", Method: "GET",
			Path: "/spreaders", Status: 200, Latency: 1234 * time.Microsecond, ClientIP: "2001:db8::1",
			UserAgent: "curl/8.5", RequestID: "r-plain", BytesIn: 10, BytesOut: 2000},
		// Refused before a credential was known: no partner, no token.
		{At: at, API: "fleet", Environment: "sandbox", Method: "GET", Path: "/x", Status: 401, RequestID: "r-anonymous"},
		// Values PostgreSQL would refuse are cleaned, not allowed to
		// fail the batch on every retry.
		{At: at, PartnerID: 7, API: "fle\x00et", Method: "GET", Path: "/bad\xffutf8", Status: 0, Latency: -time.Second,
			ClientIP: "not-an-ip", UserAgent: longUA + "\x00", RequestID: "r-dirty", BytesIn: -1},
		{At: at, PartnerID: 7, Method: "GET", Path: "/", Status: 204, ClientIP: "fe80::1%eth0", RequestID: "r-zone"},
		// A zero time is taken as now.
		{PartnerID: 7, Method: "GET", Path: "/", Status: 200, RequestID: "r-zero-time"},
	}
	for _, c := range tests {
		if err := w.Record(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := shutdown(); err != nil {
		t.Fatal(err)
	}
	type row struct {
		At          time.Time `db:"at"`
		PartnerID   *int64    `db:"partner_id"`
		TokenID     *int64    `db:"token_id"`
		API         string    `db:"api"`
		Operation   string    `db:"operation"`
		Environment string    `db:"environment"`
		Method      string    `db:"method"`
		Path        string    `db:"path"`
		Status      int       `db:"status"`
		LatencyUS   int64     `db:"latency_us"`
		ClientIP    *string   `db:"client_ip"`
		UserAgent   string    `db:"user_agent"`
		RequestID   string    `db:"request_id"`
		BytesIn     int64     `db:"bytes_in"`
		BytesOut    int64     `db:"bytes_out"`
	}
	var rows []row
	if err := db.Select(&rows, `SELECT at, partner_id, token_id, api, operation, environment, method, path, status, latency_us,
		host(client_ip) AS client_ip, user_agent, request_id, bytes_in, bytes_out FROM api_calls`); err != nil {
		t.Fatal(err)
	}
	got := map[string]row{}
	for _, r := range rows {
		r.At = r.At.UTC()
		got[r.RequestID] = r
	}
	p := func(v int64) *int64 { return &v }
	s := func(v string) *string { return &v }
	want := map[string]row{
		"r-plain": {At: at, PartnerID: p(7), TokenID: p(9), API: "fleet", Operation: "listSpreaders", Environment: "live", Method: "GET",
			Path: "/spreaders", Status: 200, LatencyUS: 1234, ClientIP: s("2001:db8::1"), UserAgent: "curl/8.5", RequestID: "r-plain", BytesIn: 10, BytesOut: 2000},
		"r-anonymous": {At: at, API: "fleet", Environment: "sandbox", Method: "GET", Path: "/x", Status: 401, RequestID: "r-anonymous"},
		"r-dirty": {At: at, PartnerID: p(7), API: "fleet", Method: "GET", Path: "/bad\uFFFDutf8", Status: 0,
			UserAgent: strings.Repeat("é", 256), RequestID: "r-dirty"},
		"r-zone": {At: at, PartnerID: p(7), Method: "GET", Path: "/", Status: 204, ClientIP: s("fe80::1"), RequestID: "r-zone"},
	}
	zero, ok := got["r-zero-time"]
	if !ok || time.Since(zero.At) > time.Minute || time.Since(zero.At) < 0 {
		t.Errorf("call with a zero time: row %+v, want it at about now", zero)
	}
	delete(got, "r-zero-time")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("api_calls rows (-want +got):\n%s", diff)
	}
	if n := count(t, db, `SELECT count(*) FROM api_usage_minutes WHERE partner_id = 0 AND token_id = 0 AND status_class = 4`); n != 1 {
		t.Errorf("rollup rows of the anonymous 401: %d, want 1 (partner and token 0)", n)
	}
	if n := count(t, db, `SELECT count FROM api_usage_minutes WHERE partner_id = 7 AND status_class = 5`); n != 1 {
		t.Errorf("rollup count of the status-0 call as class 5: %d, want 1", n)
	}
}

func TestAdmissionBoundsTheQueue(t *testing.T) {
	t.Parallel()
	w := NewWriter(nil, nil, WriterConfig{QueueSize: 3}, quiet)
	for i := range 3 {
		if !w.Admit() {
			t.Fatalf("Admit %d refused with room in the queue", i)
		}
	}
	if w.Admit() {
		t.Fatal("Admit with three of three slots reserved: want false")
	}
	if err := w.Record(Call{}); !errors.Is(err, ErrFull) {
		t.Fatalf("Record with the queue reserved: %v, want ErrFull", err)
	}
	w.Release()
	if err := w.Record(Call{RequestID: "a"}); err != nil {
		t.Fatalf("Record after a Release: %v", err)
	}
	w.RecordAdmitted(Call{RequestID: "b"})
	w.RecordAdmitted(Call{RequestID: "c"})
	if err := w.Record(Call{}); !errors.Is(err, ErrFull) {
		t.Fatalf("Record with the queue full: %v, want ErrFull", err)
	}
	st := w.Stats()
	if st.Queued != 3 || st.Refused != 3 {
		t.Errorf("Stats = %+v, want Queued 3, Refused 3", st)
	}
	if p := w.state.Load() >> 32; p != 0 {
		t.Errorf("pending admissions = %d, want 0", p)
	}
}

func TestShutdownFlushesTheQueue(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	// Nothing is written before the shutdown: the batch never fills and
	// the flush interval never passes.
	w := NewWriter(nil, db, WriterConfig{QueueSize: 10000, BatchSize: 100000, FlushInterval: time.Hour}, quiet)
	shutdown := run(t, w)
	base := time.Now().UTC()
	const n = 5000
	for i := range n {
		if err := w.Record(sample(base, 0, i)); err != nil {
			t.Fatal(err)
		}
	}
	// An admitted call still being served when Run is cancelled is
	// waited for.
	if !w.Admit() {
		t.Fatal("Admit refused")
	}
	done := make(chan error, 1)
	go func() { done <- shutdown() }()
	time.Sleep(50 * time.Millisecond)
	if err := w.Record(Call{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Record while shutting down: %v, want ErrClosed", err)
	}
	w.RecordAdmitted(sample(base, 1, 0))
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkComplete(t, db, n+1)
	if err := w.Record(Call{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Record after shutdown: %v, want ErrClosed", err)
	}
	if w.Admit() {
		t.Error("Admit after shutdown: want false")
	}
}

func TestShutdownDeadlineCountsWhatItDrops(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	w := NewWriter(nil, db, WriterConfig{ShutdownTimeout: 300 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, FlushInterval: time.Hour}, quiet)
	// A table that refuses the batches stands for a PostgreSQL that is away.
	if _, err := db.Exec(`ALTER TABLE api_calls ADD CONSTRAINT refuse CHECK (false)`); err != nil {
		t.Fatal(err)
	}
	shutdown := run(t, w)
	for i := range 10 {
		if err := w.Record(sample(time.Now(), 0, i)); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	err := shutdown()
	if err == nil {
		t.Fatal("Run: nil error, want one saying calls were not written")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v with a 300ms deadline", d)
	}
	if st := w.Stats(); st.Dropped != 10 || st.Written != 0 || st.Retries == 0 {
		t.Errorf("Stats = %+v, want Dropped 10, Written 0, some Retries", st)
	}
}

// A batch whose commit went through but whose acknowledgement was lost is
// retried under the same id and writes nothing the second time.
func TestRetryOfACommittedBatchWritesNothing(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	w := NewWriter(nil, db, WriterConfig{}, quiet)
	batch := make([]Call, 50)
	for i := range batch {
		batch[i] = sample(time.Now(), 0, i)
	}
	id := batchID()
	for range 2 {
		if err := w.write(context.Background(), id, batch); err != nil {
			t.Fatal(err)
		}
	}
	checkComplete(t, db, 50)
	if err := w.write(context.Background(), batchID(), batch[:1]); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM api_calls`); n != 51 {
		t.Errorf("after a second batch: %d rows, want 51", n)
	}
}

func TestPartitions(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	w := NewWriter(nil, db, WriterConfig{}, quiet)
	shutdown := run(t, w)

	now := time.Now().UTC()
	nextMonth := time.Date(now.Year(), now.Month()+1, 15, 12, 0, 0, 0, time.UTC)
	calls := map[string]time.Time{
		"today":      now,
		"next-month": nextMonth,
		"far-future": time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		"far-past":   time.Date(2000, 6, 1, 0, 0, 0, 0, time.UTC),
	}
	for id, at := range calls {
		if err := w.Record(Call{At: at, PartnerID: 1, Method: "GET", Path: "/", Status: 200, RequestID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := shutdown(); err != nil {
		t.Fatal(err)
	}
	day := func(t time.Time) string { return "api_calls_" + t.Format("20060102") }
	partitions := func() map[string]string {
		var rows []struct {
			ID        string `db:"request_id"`
			Partition string `db:"partition"`
		}
		if err := db.Select(&rows, `SELECT request_id, tableoid::regclass::text AS partition FROM api_calls`); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, r := range rows {
			m[r.ID] = r.Partition
		}
		return m
	}
	want := map[string]string{
		"today":      day(now),
		"next-month": "api_calls_default", // beyond the week created ahead
		"far-future": "api_calls_default",
		"far-past":   "api_calls_default",
	}
	if diff := cmp.Diff(want, partitions()); diff != "" {
		t.Fatalf("partitions (-want +got):\n%s", diff)
	}

	// Creating next month's day moves its call out of the default
	// partition; creating it again does nothing.
	n, err := EnsurePartitions(ctx, db, nextMonth, 1)
	if err != nil || n != 1 {
		t.Fatalf("EnsurePartitions(next month) = %d, %v; want 1, nil", n, err)
	}
	want["next-month"] = day(nextMonth)
	if diff := cmp.Diff(want, partitions()); diff != "" {
		t.Errorf("after creating next month's partition (-want +got):\n%s", diff)
	}
	if n, err := EnsurePartitions(ctx, db, nextMonth, 1); err != nil || n != 0 {
		t.Errorf("EnsurePartitions again = %d, %v; want 0, nil", n, err)
	}

	// Nodes starting at once create each day once.
	from := time.Date(now.Year()+1, 3, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var created atomic.Int64
	for range 4 {
		wg.Go(func() {
			n, err := EnsurePartitions(ctx, db, from, 5)
			if err != nil {
				t.Error(err)
			}
			created.Add(int64(n))
		})
	}
	wg.Wait()
	if created.Load() != 5 {
		t.Errorf("four concurrent EnsurePartitions created %d partitions, want 5", created.Load())
	}
	// The writer made the week ahead at start.
	ahead := now.AddDate(0, 0, 7)
	if n := count(t, db, `SELECT count(*) FROM pg_class WHERE relname = $1`, day(ahead)); n != 1 {
		t.Errorf("partition %s (a week ahead) missing", day(ahead))
	}
	if n := count(t, db, `SELECT count(*) FROM api_calls`); n != int64(len(calls)) {
		t.Errorf("api_calls has %d rows, want %d", n, len(calls))
	}
}

func TestBucketAndStatusClass(t *testing.T) {
	t.Parallel()
	buckets := []struct {
		d    time.Duration
		want int
	}{
		{0, 0}, {250 * time.Microsecond, 0}, {251 * time.Microsecond, 1}, {time.Millisecond, 2},
		{10 * time.Second, 14}, {10*time.Second + 1, 15}, {time.Hour, 15},
	}
	for _, b := range buckets {
		if got := Bucket(b.d); got != b.want {
			t.Errorf("Bucket(%v) = %d, want %d", b.d, got, b.want)
		}
	}
	classes := []struct{ status, want int }{{0, 5}, {101, 1}, {200, 2}, {304, 3}, {429, 4}, {503, 5}, {599, 5}, {600, 5}, {99, 5}}
	for _, c := range classes {
		if got := StatusClass(c.status); got != c.want {
			t.Errorf("StatusClass(%d) = %d, want %d", c.status, got, c.want)
		}
	}
}

// checkDashboardRollups compares the dashboards' rollups (migration 00026)
// with the calls they count, summed again from api_calls by SQL: each row
// of each rollup, both ways.
func checkDashboardRollups(t *testing.T, db *sqlx.DB) {
	t.Helper()
	const counts = `count(*), count(*) FILTER (WHERE status BETWEEN 400 AND 499), count(*) FILTER (WHERE status >= 500 OR status < 100),
		count(*) FILTER (WHERE status = 401), count(*) FILTER (WHERE status = 403), count(*) FILTER (WHERE status = 429), sum(latency_us)`
	const rolled = `calls, c4xx, c5xx, c401, c403, c429, latency_sum_us`
	for _, q := range []struct{ table, rollup, calls string }{
		{"api_usage_hours",
			`SELECT hour, partner_id, token_id, api, operation, environment, ` + rolled + ` FROM api_usage_hours
				WHERE b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11 + b12 + b13 + b14 + b15 + b16 = calls`,
			`SELECT date_trunc('hour', at), coalesce(partner_id, 0), coalesce(token_id, 0), api, operation, environment, ` + counts + `
				FROM api_calls GROUP BY 1, 2, 3, 4, 5, 6`},
		{"api_usage_days",
			`SELECT day, partner_id, api, operation, environment, ` + rolled + ` FROM api_usage_days
				WHERE b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11 + b12 + b13 + b14 + b15 + b16 = calls`,
			`SELECT date_trunc('day', at, 'UTC'), coalesce(partner_id, 0), api, operation, environment, ` + counts + `
				FROM api_calls GROUP BY 1, 2, 3, 4, 5`},
		{"api_usage_token_days",
			`SELECT day, partner_id, token_id, api, ` + rolled + ` FROM api_usage_token_days
				WHERE b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11 + b12 + b13 + b14 + b15 + b16 = calls`,
			`SELECT date_trunc('day', at, 'UTC'), partner_id, token_id, api, ` + counts + `
				FROM api_calls WHERE token_id IS NOT NULL GROUP BY 1, 2, 3, 4`},
		{"api_usage_partner_days",
			`SELECT day, partner_id, api, environment, ` + rolled + ` FROM api_usage_partner_days
				WHERE b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11 + b12 + b13 + b14 + b15 + b16 = calls`,
			`SELECT date_trunc('day', at, 'UTC'), coalesce(partner_id, 0), api, environment, ` + counts + `
				FROM api_calls GROUP BY 1, 2, 3, 4`},
		{"api_usage_operation_days",
			`SELECT day, api, operation, environment, ` + rolled + ` FROM api_usage_operation_days
				WHERE b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11 + b12 + b13 + b14 + b15 + b16 = calls`,
			`SELECT date_trunc('day', at, 'UTC'), api, operation, environment, ` + counts + `
				FROM api_calls WHERE partner_id IS NOT NULL GROUP BY 1, 2, 3, 4`},
	} {
		var rows, missing, extra int64
		if err := db.Get(&rows, `SELECT count(*) FROM `+q.table); err != nil {
			t.Fatal(err)
		}
		if err := db.Get(&missing, `SELECT count(*) FROM (`+q.calls+` EXCEPT `+q.rollup+`) x`); err != nil {
			t.Fatal(err)
		}
		if err := db.Get(&extra, `SELECT count(*) FROM (`+q.rollup+` EXCEPT `+q.calls+`) x`); err != nil {
			t.Fatal(err)
		}
		if rows == 0 || missing != 0 || extra != 0 {
			t.Errorf("%s: %d rows; %d sums of the calls missing or different, %d rows that no calls sum to", q.table, rows, missing, extra)
		}
	}
}
