package lifecycle

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/demo"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// fixture is a seeded database and a job whose clock the test sets.
type fixture struct {
	db    *sqlx.DB
	st    *store.Store
	job   *Job
	clock time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, st: st}
	svc := New(st, pmail.NewOutbox(st), "https://portal.test")
	svc.now = func() time.Time { return f.clock }
	f.job = NewJob(svc, db.DB, nil)
	f.job.now = func() time.Time { return f.clock }
	return f
}

func (f *fixture) run(t *testing.T, at string) RunResult {
	t.Helper()
	var err error
	if f.clock, err = time.Parse(time.RFC3339, at); err != nil {
		t.Fatal(err)
	}
	r, err := f.job.Once(context.Background())
	if err != nil {
		t.Fatalf("run at %s: %v", at, err)
	}
	return r
}

func (f *fixture) harbor(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := f.db.Get(&id, `SELECT id FROM partners WHERE slug = 'harbor-logistics'`); err != nil {
		t.Fatal(err)
	}
	return id
}

// mails lists "to: subject" of the reminder and end mails, in order.
func (f *fixture) mails(t *testing.T) []string {
	t.Helper()
	var out []string
	if err := f.db.Select(&out, `SELECT to_email || ': ' || subject FROM outbox
		WHERE subject LIKE '%partnership%' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) status(t *testing.T, id int64) string {
	t.Helper()
	var s string
	if err := f.db.Get(&s, `SELECT status FROM partners WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestScheduledEndFiresOnItsDay: a partnership scheduled to end on 1 March
// is reminded 30 and 7 days before (its account manager and its partner
// admin, each reminder once however often the job runs), is still active
// on the last day of February, and ends on 1 March (UTC) as if staff had
// ended it, acting as the portal.
func TestScheduledEndFiresOnItsDay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	harbor := f.harbor(t)
	f.clock = time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC)
	if _, err := f.job.svc.Schedule(context.Background(), harbor, "2027-03-01"); err != nil {
		t.Fatal(err)
	}
	const (
		am       = "am@portico.test: "
		admin    = "admin@harbor.test: "
		in30     = "ends in 30 days, on Monday 1 March 2027"
		in7      = "ends in 7 days, on Monday 1 March 2027"
		amSubj   = "The partnership of Harbor Logistics "
		adminSub = "Your organisation's partnership "
	)
	for _, step := range []struct {
		at         string
		reminders  int
		ended      int
		status     string
		wantMails  []string
		reminderDB int
	}{
		{"2027-01-29T23:59:00Z", 0, 0, "active", nil, 0},
		{"2027-01-30T00:00:00Z", 1, 0, "active", []string{am + amSubj + in30, admin + adminSub + in30}, 1},
		{"2027-01-30T12:00:00Z", 0, 0, "active", []string{am + amSubj + in30, admin + adminSub + in30}, 1},
		{"2027-02-22T00:10:00Z", 1, 0, "active", []string{am + amSubj + in30, admin + adminSub + in30, am + amSubj + in7, admin + adminSub + in7}, 2},
		{"2027-02-22T00:20:00Z", 0, 0, "active", nil, 2},
		{"2027-02-28T23:59:59Z", 0, 0, "active", nil, 2},
		{"2027-03-01T00:00:01Z", 0, 1, "ended", nil, 2},
		{"2027-03-01T00:15:00Z", 0, 0, "ended", nil, 2},
	} {
		r := f.run(t, step.at)
		if r.Reminders != step.reminders || r.Ended != step.ended {
			t.Errorf("run at %s: %+v, want %d reminders and %d ended", step.at, r, step.reminders, step.ended)
		}
		if got := f.status(t, harbor); got != step.status {
			t.Errorf("at %s Harbor is %s, want %s", step.at, got, step.status)
		}
		if step.wantMails != nil {
			if d := cmp.Diff(step.wantMails, f.mails(t)); d != "" {
				t.Errorf("mails at %s (-want +got):\n%s", step.at, d)
			}
		}
		var n int
		if err := f.db.Get(&n, `SELECT count(*) FROM partner_end_reminders WHERE partner_id = $1`, harbor); err != nil || n != step.reminderDB {
			t.Errorf("at %s: %d reminder rows (%v), want %d", step.at, n, err, step.reminderDB)
		}
	}
	var actor *int64
	var details string
	if err := f.db.QueryRow(`SELECT actor_id, details->>'scheduled_for' FROM audit_events WHERE action = 'partner.end'`).Scan(&actor, &details); err != nil {
		t.Fatal(err)
	}
	if actor != nil || details != "2027-03-01" {
		t.Errorf("partner.end by %v scheduled for %q, want the portal's, 2027-03-01", actor, details)
	}
	var open int
	if err := f.db.Get(&open, `SELECT count(*) FROM tokens WHERE partner_id = $1 AND revoked_at IS NULL AND expires_at > now()`, harbor); err != nil || open != 0 {
		t.Errorf("%d open credentials after the scheduled end (%v)", open, err)
	}
	if got := f.mails(t); got[len(got)-1] != admin+"The partnership of Harbor Logistics has ended" {
		t.Errorf("last mail = %q, want the end's to Harbor's admin", got[len(got)-1])
	}
}

// TestMovedEndGetsItsOwnReminders: an end set 10 days ahead is reminded at
// once (saying 10 days), then 7 days before; moved later, the new day is
// reminded again; cancelled, nothing more is sent and nothing ends.
func TestMovedEndGetsItsOwnReminders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	harbor := f.harbor(t)
	ctx := context.Background()
	f.clock = time.Date(2027, 6, 1, 8, 0, 0, 0, time.UTC)
	if _, err := f.job.svc.Schedule(ctx, harbor, "2027-06-11"); err != nil {
		t.Fatal(err)
	}
	if r := f.run(t, "2027-06-01T08:00:00Z"); r.Reminders != 1 {
		t.Errorf("first run: %+v, want the nearest reminder at once", r)
	}
	if r := f.run(t, "2027-06-04T08:00:00Z"); r.Reminders != 1 {
		t.Errorf("7 days before: %+v, want the 7-day reminder", r)
	}
	if _, err := f.job.svc.Schedule(ctx, harbor, "2027-06-20"); err != nil {
		t.Fatal(err)
	}
	if r := f.run(t, "2027-06-04T09:00:00Z"); r.Reminders != 1 {
		t.Errorf("after moving the day: %+v, want a reminder of the new day", r)
	}
	if _, err := f.job.svc.Unschedule(ctx, harbor); err != nil {
		t.Fatal(err)
	}
	if r := f.run(t, "2027-06-25T09:00:00Z"); r != (RunResult{}) || f.status(t, harbor) != "active" {
		t.Errorf("after cancelling: %+v, Harbor %s", r, f.status(t, harbor))
	}
	want := []string{
		"am@portico.test: The partnership of Harbor Logistics ends in 10 days, on Friday 11 June 2027",
		"admin@harbor.test: Your organisation's partnership ends in 10 days, on Friday 11 June 2027",
		"am@portico.test: The partnership of Harbor Logistics ends in 7 days, on Friday 11 June 2027",
		"admin@harbor.test: Your organisation's partnership ends in 7 days, on Friday 11 June 2027",
		"am@portico.test: The partnership of Harbor Logistics ends in 16 days, on Sunday 20 June 2027",
		"admin@harbor.test: Your organisation's partnership ends in 16 days, on Sunday 20 June 2027",
	}
	if d := cmp.Diff(want, f.mails(t)); d != "" {
		t.Errorf("mails (-want +got):\n%s", d)
	}
}

// TestOneNodeAtATime: while another node holds the job's lock, a run does
// nothing.
func TestOneNodeAtATime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	harbor := f.harbor(t)
	f.clock = time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC)
	if _, err := f.job.svc.Schedule(context.Background(), harbor, "2027-01-03"); err != nil {
		t.Fatal(err)
	}
	conn, err := f.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_lock(hashtext($1))`, lockKey); err != nil {
		t.Fatal(err)
	}
	if r := f.run(t, "2027-01-03T01:00:00Z"); r != (RunResult{}) || f.status(t, harbor) != "active" {
		t.Errorf("a run while another node holds the lock: %+v, Harbor %s", r, f.status(t, harbor))
	}
	if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, lockKey); err != nil {
		t.Fatal(err)
	}
	if r := f.run(t, "2027-01-03T01:00:00Z"); r.Ended != 1 {
		t.Errorf("a run once the lock is free: %+v", r)
	}
}

// TestEndAtScale ends a partner with 5,000 open credentials and 500
// members in one transaction: every credential is revoked and audited,
// every account closed. It logs how long the end took.
func TestEndAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("a large partner")
	}
	t.Parallel()
	f := newFixture(t)
	harbor := f.harbor(t)
	for _, q := range []string{
		`INSERT INTO users (partner_id, email, name, role)
		 SELECT $1, 'member' || i || '@harbor.test', 'Member ' || i, 'developer' FROM generate_series(1, 500) i`,
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		 SELECT u.id, $1, 'token ' || i, 'sandbox', decode(md5('scale' || i), 'hex'), 'ptc_sbx_…' || i, '{fleet/fleet:read}', now() + interval '30 days'
		 FROM generate_series(1, 5000) i JOIN users u ON u.email = 'member' || (i % 500 + 1) || '@harbor.test'`,
	} {
		if _, err := f.db.Exec(q, harbor); err != nil {
			t.Fatal(err)
		}
	}
	f.clock = time.Now()
	start := time.Now()
	r, err := f.job.svc.End(context.Background(), harbor)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ended a partner of %d people and %d credentials in %s", r.People, r.Credentials, time.Since(start))
	if r.Credentials < 5000 || r.People < 500 {
		t.Errorf("ended %+v, want at least 5000 credentials and 500 people", r.EndCounts)
	}
	var open, audited int
	if err := f.db.Get(&open, `SELECT count(*) FROM tokens WHERE partner_id = $1 AND revoked_at IS NULL`, harbor); err != nil || open != 0 {
		t.Errorf("%d credentials still open (%v)", open, err)
	}
	if err := f.db.Get(&audited, `SELECT count(*) FROM audit_events WHERE partner_id = $1 AND action = 'token.revoke'`, harbor); err != nil || audited != r.Credentials {
		t.Errorf("%d token.revoke events for %d credentials (%v)", audited, r.Credentials, err)
	}
}
