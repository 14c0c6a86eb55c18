package alerts_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/alerts"
	"github.com/portico/portico/internal/demo"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestRulesFireOncePerCause generates traffic for each rule in the hourly
// rollups, runs the job twice and checks each alert was raised once, with
// mails to the partner's admins and the credential's owner; a rule muted
// for a credential is not raised for it again.
func TestRulesFireOncePerCause(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	st := store.New(db)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	// Harbor's developer owns four tokens: "spiky" calls 10 an hour for a
	// week, then 500 (with 300 failing) in the last full hour; "daily" is
	// called every day and expires in 3 days; "quiet" is busy but far
	// from its expiry; "new" has no history and makes 500 calls at once.
	// Harbor is refused 150 times by its rate limit in the last hour, and
	// the Port operations group's quota (100 000) is 85 % used.
	if _, err := db.Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT u.id, u.partner_id, v.name, 'sandbox', decode(md5(v.name), 'hex'), 'ptc_sbx_…' || left(v.name, 4), '{fleet/fleet:read}', now() + v.days * interval '1 day'
		FROM users u, (VALUES ('spiky', 60), ('daily', 3), ('quiet', 60), ('new', 60)) v(name, days)
		WHERE u.email = 'dev@harbor.test';
		INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT h, t.partner_id, t.id, 'fleet', 'listSpreaders', 'sandbox', v.calls, v.c4xx, 0, 0, 0, v.c429, 0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0
		FROM tokens t
		JOIN LATERAL (
			-- the last full hour
			SELECT date_trunc('hour', now()) - interval '1 hour' AS h,
			       CASE t.name WHEN 'spiky' THEN 500 WHEN 'new' THEN 500 ELSE 5 END AS calls,
			       CASE t.name WHEN 'spiky' THEN 300 ELSE 0 END AS c4xx,
			       CASE t.name WHEN 'quiet' THEN 150 ELSE 0 END AS c429
			UNION ALL
			-- the week before, one call-hour a day at noon, and every day
			SELECT date_trunc('day', now()) - d * interval '1 day' + interval '12 hours', 10 * 24, 0, 0
			FROM generate_series(1, 7) d WHERE t.name IN ('spiky', 'daily', 'quiet')
		) v ON true
		WHERE t.name IN ('spiky', 'daily', 'quiet', 'new')
		ON CONFLICT DO NOTHING;
		INSERT INTO api_usage_days (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date, id, 'fleet', 'listSpreaders', 'sandbox', 85000, 0, 0, 0, 0, 0, 0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0
		FROM partners WHERE slug = 'harbor-logistics';
		INSERT INTO api_usage_partner_days (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date, id, 'fleet', 'sandbox', 85000, 0, 0, 0, 0, 0, 0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0
		FROM partners WHERE slug = 'harbor-logistics'`); err != nil {
		t.Fatal(err)
	}
	job := alerts.New(st, db.DB, pmail.NewOutbox(st), "http://portal.test", nil)
	n, err := job.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type raised struct{ Rule, Token string }
	var got []raised
	rows, err := db.Query(`SELECT a.rule, coalesce(t.name, '') FROM alerts a LEFT JOIN tokens t ON t.id = a.token_id ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r raised
		if err := rows.Scan(&r.Rule, &r.Token); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	rows.Close()
	want := []raised{
		{"expiring_in_use", "daily"},
		{"quota", ""},
		{"rate_limited", ""},
		{"spike_4xx", "spiky"},
		{"spike_calls", "spiky"},
	}
	if diff := cmp.Diff(want, got); diff != "" || n != len(want) {
		t.Errorf("raised %d (-want +got):\n%s", n, diff)
	}
	// Mails: Harbor's admin for every alert, the developer (the owner)
	// for the three about their tokens.
	var mails []struct {
		To    string `db:"to_email"`
		Count int    `db:"count"`
	}
	if err := db.Select(&mails, `SELECT to_email, count(*) AS count FROM outbox GROUP BY to_email ORDER BY to_email`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`[{admin@harbor.test 5} {dev@harbor.test 3}]`, fmtMails(mails)); diff != "" {
		t.Errorf("mails (-want +got):\n%s", diff)
	}
	// Again: nothing new, nothing mailed.
	if n, err := job.Once(ctx); err != nil || n != 0 {
		t.Errorf("second run raised %d (%v)", n, err)
	}
	// Muting spike_calls for "spiky" and taking its alert back: the next
	// run does not raise it again.
	if _, err := db.Exec(`INSERT INTO alert_mutes (token_id, rule) SELECT id, 'spike_calls' FROM tokens WHERE name = 'spiky';
		DELETE FROM alerts WHERE rule = 'spike_calls'`); err != nil {
		t.Fatal(err)
	}
	if n, err := job.Once(ctx); err != nil || n != 0 {
		t.Errorf("after muting, a run raised %d (%v)", n, err)
	}
}

func fmtMails(ms []struct {
	To    string `db:"to_email"`
	Count int    `db:"count"`
}) string {
	out := "["
	for i, m := range ms {
		if i > 0 {
			out += " "
		}
		out += "{" + m.To + " " + strconv.Itoa(m.Count) + "}"
	}
	return out + "]"
}
