package retention

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixture is a database with calls and rollups of old and recent days.
type fixture struct {
	db    *sqlx.DB
	st    *store.Store
	today time.Time
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	today, err := st.DatabaseToday(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return fixture{db: db, st: st, today: today}
}

// day is today minus n days, UTC midnight.
func (f fixture) day(n int) time.Time { return f.today.AddDate(0, 0, -n) }

func (f fixture) partitions(t *testing.T, fromAgo, days int) {
	t.Helper()
	if _, err := calls.EnsurePartitions(context.Background(), f.db, f.day(fromAgo), days); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) call(t *testing.T, at time.Time, requestID string) {
	t.Helper()
	if _, err := f.db.Exec(`
		INSERT INTO api_calls (at, api, operation, environment, method, path, status, latency_us, user_agent, request_id, bytes_in, bytes_out)
		VALUES ($1, 'fleet', 'listSpreaders', 'sandbox', 'GET', '/sandbox/fleet/spreaders', 200, 900, 'test', $2, 0, 10)`, at, requestID); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) rollup(t *testing.T, minute time.Time, partner int64) {
	t.Helper()
	for _, q := range []string{`
		INSERT INTO api_usage_minutes (minute, partner_id, token_id, api, operation, status_class, count, latency_sum_us, latency_buckets)
		VALUES ($1, $2, 0, 'fleet', 'listSpreaders', 2, 1, 900, array_fill(0::bigint, ARRAY[16]))`, `
		INSERT INTO api_usage_hours AS u (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		VALUES (date_trunc('hour', $1::timestamptz), $2, 0, 'fleet', 'listSpreaders', 'sandbox', 1, 0, 0, 0, 0, 0, 900, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		ON CONFLICT (partner_id, hour, token_id, api, operation, environment) DO UPDATE SET calls = u.calls + 1`, `
		INSERT INTO api_usage_days AS u (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		VALUES (date_trunc('day', $1::timestamptz, 'UTC'), $2, 'fleet', 'listSpreaders', 'sandbox', 1, 0, 0, 0, 0, 0, 900, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		ON CONFLICT (partner_id, day, api, operation, environment) DO UPDATE SET calls = u.calls + 1`, `
		INSERT INTO api_usage_token_days AS u (day, partner_id, token_id, api, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		VALUES (date_trunc('day', $1::timestamptz, 'UTC'), $2, 7, 'fleet', 1, 0, 0, 0, 0, 0, 900, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		ON CONFLICT (partner_id, day, token_id, api) DO UPDATE SET calls = u.calls + 1`, `
		INSERT INTO api_usage_partner_days AS u (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		VALUES (date_trunc('day', $1::timestamptz, 'UTC'), $2, 'fleet', 'sandbox', 1, 0, 0, 0, 0, 0, 900, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		ON CONFLICT (day, partner_id, api, environment) DO UPDATE SET calls = u.calls + 1`, `
		INSERT INTO api_usage_operation_days AS u (day, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		VALUES (date_trunc('day', $1::timestamptz, 'UTC'), 'fleet', 'listSpreaders', 'sandbox', $2, 0, 0, 0, 0, 0, 900, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		ON CONFLICT (day, api, operation, environment) DO UPDATE SET calls = u.calls + 1`} {
		if _, err := f.db.Exec(q, minute, partner); err != nil {
			t.Fatal(err)
		}
	}
}

func (f fixture) strings(t *testing.T, q string, args ...any) []string {
	t.Helper()
	var out []string
	if err := f.db.Select(&out, q, args...); err != nil {
		t.Fatal(err)
	}
	return out
}

func (f fixture) partitionNames(t *testing.T) []string {
	t.Helper()
	ps, err := f.st.CallPartitions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names
}

func pname(d time.Time) string { return "api_calls_" + d.Format("20060102") }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRunDropsOldPartitionsAndKeepsRollupsLonger(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	// Days 410..406 and 402..398 ago have partitions; with the default 400
	// days, those before 400 days ago go, day 400 itself is kept.
	f.partitions(t, 410, 5)
	f.partitions(t, 402, 5)
	for _, n := range []int{410, 406, 402, 401, 400, 399, 398, 1, 0} {
		f.call(t, f.day(n).Add(13*time.Hour), "d"+itoa(n))
	}
	// Days without a partition: their calls sit in the default one.
	f.call(t, f.day(420).Add(time.Hour), "default-420")
	f.call(t, f.day(403).Add(23*time.Hour), "default-403")
	f.call(t, f.day(395).Add(time.Hour), "default-395")
	if got := f.strings(t, `SELECT request_id FROM api_calls_default ORDER BY request_id`); len(got) != 3 {
		t.Fatalf("default partition before the run holds %v, want the 3 calls of days without a partition", got)
	}
	// Rollups: 800 days by default; 5 beyond it, in batches of 2.
	for i := range 5 {
		f.rollup(t, f.day(801).Add(time.Duration(i)*time.Minute), 1)
	}
	for _, n := range []int{800, 799, 500, 401, 1} {
		f.rollup(t, f.day(n).Add(time.Minute), 2)
	}

	job := New(f.st, Config{Batch: 2}, quiet)
	r, err := job.Once(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if r == nil || !r.Complete || r.Error != "" {
		t.Fatalf("run = %+v, want a complete run", r)
	}
	wantDropped := []string{pname(f.day(410)), pname(f.day(409)), pname(f.day(408)), pname(f.day(407)), pname(f.day(406)), pname(f.day(402)), pname(f.day(401))}
	if diff := cmp.Diff(wantDropped, []string(r.PartitionsDropped)); diff != "" {
		t.Errorf("partitions dropped (-want +got):\n%s", diff)
	}
	names := f.partitionNames(t)
	for _, gone := range wantDropped {
		if contains(names, gone) {
			t.Errorf("partition %s still there", gone)
		}
	}
	for _, n := range []int{400, 399, 398, 1, 0, -1} {
		if !contains(names, pname(f.day(n))) {
			t.Errorf("partition of %d days ago was dropped; partitions: %v", n, names)
		}
	}
	if diff := cmp.Diff([]string{"d0", "d1", "d398", "d399", "d400", "default-395"},
		f.strings(t, `SELECT request_id FROM api_calls ORDER BY request_id`)); diff != "" {
		t.Errorf("calls kept (-want +got):\n%s", diff)
	}
	if r.DefaultRowsDeleted != 2 {
		t.Errorf("default rows deleted = %d, want 2", r.DefaultRowsDeleted)
	}
	// 5 per-minute rows, and the hour and the day (in each of the four
	// daily rollups) they fall in.
	if r.RollupRowsDeleted != 10 {
		t.Errorf("rollup rows deleted = %d, want 10", r.RollupRowsDeleted)
	}
	for _, q := range []string{`SELECT min(hour)::text FROM api_usage_hours`, `SELECT min(day)::text FROM api_usage_days`, `SELECT min(day)::text FROM api_usage_token_days`,
		`SELECT min(day)::text FROM api_usage_partner_days`, `SELECT min(day)::text FROM api_usage_operation_days`} {
		var oldest time.Time
		if err := f.db.Get(&oldest, strings.Replace(q, "::text", "", 1)); err != nil || !oldest.Equal(f.day(800)) {
			t.Errorf("%s = %v, %v; want the day 800 days ago, kept whole", q, oldest, err)
		}
	}
	var left []time.Time
	if err := f.db.Select(&left, `SELECT minute FROM api_usage_minutes ORDER BY minute`); err != nil {
		t.Fatal(err)
	}
	if len(left) != 5 || left[0].Before(f.day(800)) {
		t.Errorf("rollups kept = %v, want the 5 of the last 800 days", left)
	}

	// The run is recorded and audited, by the portal itself.
	last, err := f.st.LastRetentionRun(ctx)
	if err != nil || last.ID != r.ID || len(last.PartitionsDropped) != 7 || !last.Complete {
		t.Errorf("last run = %+v, %v", last, err)
	}
	var ev struct {
		Actor   *int64          `db:"actor_id"`
		Details json.RawMessage `db:"details"`
	}
	if err := f.db.Get(&ev, `SELECT actor_id, details FROM audit_events WHERE action = 'retention.run'`); err != nil {
		t.Fatalf("audit event: %v", err)
	}
	var d struct {
		Partitions  int      `json:"partitions"`
		Dropped     []string `json:"partitions_dropped"`
		Default     int64    `json:"default_rows_deleted"`
		Rollups     int64    `json:"rollup_rows_deleted"`
		CallsBefore string   `json:"calls_before"`
		Complete    bool     `json:"complete"`
	}
	if err := json.Unmarshal(ev.Details, &d); err != nil {
		t.Fatal(err)
	}
	if ev.Actor != nil || d.Partitions != 7 || len(d.Dropped) != 7 || d.Default != 2 || d.Rollups != 10 || !d.Complete ||
		d.CallsBefore != f.day(400).Format(time.DateOnly) {
		t.Errorf("audit event: actor %v, details %s", ev.Actor, ev.Details)
	}

	// Not due again for a day; forced, it finds nothing more to do.
	if again, err := job.Once(ctx, false); err != nil || again != nil {
		t.Errorf("second check = %+v, %v; want no run", again, err)
	}
	forced, err := job.Once(ctx, true)
	if err != nil || forced == nil || len(forced.PartitionsDropped) != 0 || forced.DefaultRowsDeleted != 0 || forced.RollupRowsDeleted != 0 {
		t.Errorf("forced run = %+v, %v; want one with nothing to remove", forced, err)
	}
}

func TestRunFollowsTheSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.SetRetentionSettings(ctx, store.RetentionSettings{CallsDays: 30, RollupsDays: 60}, 0); err == nil {
		// updated_by 0 names nobody: the foreign key refuses it.
		t.Fatal("settings by user 0 accepted")
	}
	if _, err := f.db.Exec(`UPDATE portal_settings SET calls_retention_days = 30, rollups_retention_days = 60`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`UPDATE portal_settings SET calls_retention_days = 90, rollups_retention_days = 60`); err == nil {
		t.Error("rollups kept shorter than calls: accepted by the database")
	}
	f.partitions(t, 32, 4)
	f.call(t, f.day(31), "d31")
	f.call(t, f.day(30), "d30")
	f.rollup(t, f.day(61), 1)
	f.rollup(t, f.day(59), 1)
	r, err := New(f.st, Config{}, quiet).Once(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{pname(f.day(32)), pname(f.day(31))}, []string(r.PartitionsDropped)); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"d30"}, f.strings(t, `SELECT request_id FROM api_calls`)); diff != "" {
		t.Errorf("calls kept (-want +got):\n%s", diff)
	}
	if r.RollupRowsDeleted != 6 {
		t.Errorf("rollups deleted = %d, want 6 (a minute, its hour and its day in each daily rollup)", r.RollupRowsDeleted)
	}
}

func TestNeverDropsTodayOrLater(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, n := range []int{0, -1} {
		p := store.CallPartition{Name: pname(f.day(n)), Day: f.day(n)}
		dropped, err := f.st.DropCallPartition(ctx, p, f.day(-30), time.Second)
		if err != nil || dropped {
			t.Errorf("drop %s with a cutoff in the future = %v, %v; want refused", p.Name, dropped, err)
		}
	}
	if _, err := f.st.DropCallPartition(ctx, store.CallPartition{Name: "api_calls_default", Day: f.day(500)}, f.day(0), time.Second); err == nil {
		t.Error("default partition: drop accepted")
	}
	names := f.partitionNames(t)
	if !contains(names, pname(f.day(0))) || !contains(names, pname(f.day(-1))) {
		t.Errorf("partitions: %v", names)
	}
}

// TestWaitsForWritersThenGivesUp: a transaction holding api_calls (a long
// COPY, a report) makes the drop wait at most the lock timeout; the run is
// recorded as cut short and the next check runs it again.
func TestWaitsForWritersThenGivesUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.partitions(t, 410, 1)
	f.call(t, f.day(410), "old")
	tx, err := f.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE api_calls IN ROW EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	job := New(f.st, Config{LockTimeout: 100 * time.Millisecond, LockTries: 2}, quiet)
	start := time.Now()
	r, err := job.Once(ctx, false)
	took := time.Since(start)
	_ = tx.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	if r.Complete || !strings.Contains(r.Error, "lock timeout") || len(r.PartitionsDropped) != 0 {
		t.Errorf("run under a held lock = %+v", r)
	}
	if took > 5*time.Second {
		t.Errorf("run took %s, want it bounded by the lock timeout and its retries", took)
	}
	// Cut short: due again at the next check, which finishes it.
	r, err = job.Once(ctx, false)
	if err != nil || r == nil || !r.Complete || len(r.PartitionsDropped) != 1 {
		t.Errorf("next check = %+v, %v; want the partition dropped", r, err)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'retention.run'`); err != nil || n != 2 {
		t.Errorf("audited runs = %d, %v; want 2", n, err)
	}
}

func TestOneNodeAtATime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	conn, err := f.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext('portico_retention'))`); err != nil {
		t.Fatal(err)
	}
	if _, err := New(f.st, Config{}, quiet).Once(ctx, true); !errors.Is(err, ErrBusy) {
		t.Errorf("run while another node runs = %v, want ErrBusy", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtext('portico_retention'))`); err != nil {
		t.Fatal(err)
	}
	if r, err := New(f.st, Config{}, quiet).Once(ctx, true); err != nil || r == nil {
		t.Errorf("run once the lock is free = %+v, %v", r, err)
	}
}

// TestScheduleRunsAndStops: the schedule runs at once, then only when due,
// and returns promptly when its context ends.
func TestScheduleRunsAndStops(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); New(f.st, Config{Every: 10 * time.Millisecond}, quiet).Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := f.st.LastRetentionRun(context.Background()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no run within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // ten more checks
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("schedule still running 5 s after its context ended")
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM retention_runs`); err != nil || n != 1 {
		t.Errorf("runs = %d, %v; want 1 (a day between runs)", n, err)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
