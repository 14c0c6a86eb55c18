package alerts_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/alerts"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/demo"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// seeded is a fresh database with the demo's people and catalog.
func seeded(t *testing.T) (*sqlx.DB, *store.Store) {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return db, st
}

// TestRulesFireOncePerCause generates traffic for each rule in the hourly
// rollups, runs the job twice and checks each alert was raised once, with
// mails to the partner's admins and the credential's owner; a rule muted
// for a credential is not raised for it again.
func TestRulesFireOncePerCause(t *testing.T) {
	t.Parallel()
	db, st := seeded(t)
	ctx := context.Background()
	// Harbor's developer owns four tokens: "spiky" calls 10 an hour for a
	// week, then 500 (with 300 failing) in the last full hour; "daily" is
	// called every day and expires in 3 days; "quiet" is busy but far
	// from its expiry; "new" has no history and makes 500 calls at once.
	// Harbor is refused 150 times by its rate limit in the last hour, and
	// the Port operations group's quota (100 000) is 85 % used.
	if _, err := db.Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at)
		SELECT u.id, u.partner_id, v.name, 'sandbox', decode(md5(v.name), 'hex'), 'ptc_sbx_…' || left(v.name, 4), '{fleet/fleet:read}',
		       now() - v.age * interval '1 day', now() + v.days * interval '1 day'
		FROM users u, (VALUES ('spiky', 60, 30), ('daily', 3, 30), ('quiet', 60, 30), ('new', 60, 0)) v(name, days, age)
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

// TestVerifierSignals: what the verifier notices, flushed in batches,
// raises its alerts once: a credential used from a second network (not its
// first), a revoked one still presented, an expired one still presented,
// and one sent to the other environment.
func TestVerifierSignals(t *testing.T) {
	t.Parallel()
	db, st := seeded(t)
	ctx := context.Background()
	hasher := token.NewHasher([]byte("alerts-test-secret-alerts-test-secret"))
	pats := pat.New(st, hasher, pmail.NewOutbox(st), "http://portal.test")
	dev, err := st.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	actor := access.Actor{UserID: dev.ID, Role: dev.Role, PartnerID: *dev.PartnerID}
	mint := func(name string) *pat.Created {
		c, err := pats.Create(ctx, actor, pat.Input{Name: name, Environment: "sandbox", Days: 30, Scopes: []string{"fleet/fleet:read"}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	roaming, revoked, expired, mixed := mint("roaming"), mint("forgotten"), mint("lapsed"), mint("mixed")
	v := credential.NewVerifier(st, hasher)
	verify := func(c *pat.Created, env, ip string) error {
		_, err := v.Verify(ctx, c.Plaintext, env, ip)
		return err
	}
	for _, ip := range []string{"192.0.2.10", "192.0.2.99"} { // one /24
		if err := verify(roaming, "sandbox", ip); err != nil {
			t.Fatal(err)
		}
	}
	if err := verify(expired, "sandbox", "192.0.2.10"); err != nil {
		t.Fatal(err)
	}
	if err := v.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	job := alerts.New(st, db.DB, pmail.NewOutbox(st), "http://portal.test", nil)
	if n, err := job.Once(ctx); err != nil || n != 0 {
		t.Fatalf("first networks raised %d (%v)", n, err)
	}
	// The first network has been the credential's for a while (the
	// networks of its first hour are all its own).
	if _, err := db.Exec(`UPDATE token_networks SET first_seen = first_seen - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	if err := verify(roaming, "sandbox", "2001:db8:1::7"); err != nil { // a second network
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE tokens SET revoked_at = now() WHERE name = 'forgotten';
		UPDATE tokens SET expires_at = now() - interval '1 minute' WHERE name = 'lapsed'`); err != nil {
		t.Fatal(err)
	}
	v.Forget(0)
	for range 3 {
		if err := verify(revoked, "sandbox", "192.0.2.10"); err == nil {
			t.Fatal("a revoked token verified")
		}
		if err := verify(expired, "sandbox", "192.0.2.10"); err == nil {
			t.Fatal("an expired token verified")
		}
		if err := verify(mixed, "live", "192.0.2.10"); err == nil {
			t.Fatal("a sandbox token verified on live")
		}
	}
	if err := v.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := job.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := db.Select(&got, `SELECT a.rule || ' ' || t.name || ' ' || a.cause FROM alerts a JOIN tokens t ON t.id = a.token_id ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format("2006-01-02")
	var exp time.Time
	if err := db.Get(&exp, `SELECT expires_at FROM tokens WHERE name = 'lapsed'`); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"expired_in_use lapsed expired " + strconv.FormatInt(exp.Unix(), 10),
		"new_network roaming 2001:db8:1::/48",
		"revoked_in_use forgotten revoked",
		"wrong_environment mixed " + today,
	}
	if diff := cmp.Diff(want, got); diff != "" || n != 4 {
		t.Errorf("raised %d (-want +got):\n%s", n, diff)
	}
	var refused int64
	if err := db.Get(&refused, `SELECT sum(count) FROM credential_refusals`); err != nil || refused != 9 {
		t.Errorf("refusals counted %d (%v), want 9", refused, err)
	}
	// An OAuth client's expired and revoked access tokens are routine:
	// nothing is noted against the client, which works on.
	if err := st.SetDeveloperClients(ctx, actor.PartnerID, true); err != nil {
		t.Fatal(err)
	}
	client, err := pats.CreateClient(ctx, actor, pat.ClientInput{Input: pat.Input{Name: "billing server", Environment: "sandbox", Days: 30,
		Scopes: []string{"fleet/fleet:read"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, end := range []string{"expire", "revoke"} {
		at, _ := token.New(token.KindAccessToken)
		if _, err := st.IssueAccessToken(ctx, client.Token.ID, hasher.Hash(at), []string{"fleet/fleet:read"}, time.Now(), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(ctx, at, "sandbox", "192.0.2.10"); err != nil {
			t.Fatal(err)
		}
		q := `UPDATE oauth_access_tokens SET expires_at = now() - interval '1 second' WHERE hash = $1`
		if end == "revoke" {
			q = `UPDATE oauth_access_tokens SET revoked_at = now() WHERE hash = $1`
		}
		if _, err := db.Exec(q, hasher.Hash(at)); err != nil {
			t.Fatal(err)
		}
		v.Forget(0)
		if _, err := v.Verify(ctx, at, "sandbox", "192.0.2.10"); err == nil {
			t.Fatalf("a %sd access token verified", end)
		}
	}
	if err := v.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var clientRefusals int
	if err := db.Get(&clientRefusals, `SELECT count(*) FROM credential_refusals WHERE token_id = $1`, client.Token.ID); err != nil || clientRefusals != 0 {
		t.Errorf("refusals noted against a working client: %d (%v)", clientRefusals, err)
	}
	if n, err := job.Once(ctx); err != nil || n != 0 {
		t.Errorf("a second run raised %d (%v)", n, err)
	}
}
