package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// scaleFill fills the lists of issue 12's data set: 10 000 partners (5%
// suspended, 3 members, 2 teams and an open invitation each), Harbor with
// 10 000 members and 1 000 open invitations, 200 staff, 100 000 mails,
// 200 APIs, 200 revisions of fleet, 1 000 access groups including fleet,
// 1 000 grants to Harbor's members and one to a team of every partner.
var scaleFill = []string{
	`INSERT INTO partners (name, slug, status) SELECT 'Partner ' || lpad(i::text, 5, '0'), 'p-' || i,
	 CASE WHEN i % 20 = 0 THEN 'suspended' ELSE 'active' END FROM generate_series(1, 10000) i`,
	`INSERT INTO users (email, name, role, partner_id) SELECT 'u' || j || '@' || p.slug || '.test', 'User ' || j, 'developer', p.id
	 FROM partners p, generate_series(1, 3) j WHERE p.slug LIKE 'p-%'`,
	`INSERT INTO users (email, name, role, partner_id) SELECT 'member' || i || '@harbor.test', 'Member ' || lpad(i::text, 5, '0'), 'developer', p.id
	 FROM partners p, generate_series(1, 10000) i WHERE p.slug = 'harbor-logistics'`,
	`INSERT INTO teams (partner_id, name) SELECT p.id, 'Team ' || j FROM partners p, generate_series(1, 2) j WHERE p.slug LIKE 'p-%'`,
	`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
	 SELECT p.id, 'inv@' || p.slug || '.test', 'developer', p.slug::bytea, now() + interval '7 days' FROM partners p WHERE p.slug LIKE 'p-%'`,
	`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at, created_at)
	 SELECT p.id, 'inv' || i || '@harbor.test', 'developer', ('h' || i)::bytea, now() + interval '7 days', now() - (i || ' seconds')::interval
	 FROM partners p, generate_series(1, 1000) i WHERE p.slug = 'harbor-logistics'`,
	`INSERT INTO users (email, name, role) SELECT 'am' || i || '@portico.test', 'Manager ' || i, 'account_manager' FROM generate_series(1, 200) i`,
	`INSERT INTO outbox (to_email, to_name, subject, text_body, html_body, status, sent_at)
	 SELECT 'to' || i || '@x.test', 'To ' || i, 'Mail number ' || i, repeat('A line of a mail body. ', 20), '', 'sent', now() FROM generate_series(1, 100000) i`,
	`WITH a AS (INSERT INTO apis (slug, name) SELECT 'api-' || i, 'API ' || lpad(i::text, 3, '0') FROM generate_series(1, 200) i RETURNING id)
	 INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes) SELECT id, 1, '1.0', '', '[]', '{}' FROM a`,
	`INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes, added)
	 SELECT a.id, a.current_revision + i, '1.' || i, '', '[]', '{}', '{"GET /x"}' FROM apis a, generate_series(1, 200) i WHERE a.slug = 'fleet'`,
	`INSERT INTO access_groups (name, rate_limit_per_minute) SELECT 'Group ' || lpad(i::text, 4, '0'), 60 FROM generate_series(1, 1000) i`,
	`INSERT INTO access_group_apis (access_group_id, api_id, scopes)
	 SELECT g.id, a.id, '{fleet:read}' FROM access_groups g, apis a WHERE g.name LIKE 'Group %' AND a.slug = 'fleet'`,
	`INSERT INTO grants (access_group_id, partner_id, user_id)
	 SELECT g.id, u.partner_id, u.id FROM (SELECT id, row_number() OVER (ORDER BY id) n FROM access_groups WHERE name LIKE 'Group %') g
	 JOIN (SELECT id, partner_id, row_number() OVER (ORDER BY id) n FROM users WHERE email LIKE 'member%@harbor.test') u ON u.n = g.n`,
	`INSERT INTO grants (access_group_id, partner_id, team_id)
	 SELECT (SELECT min(id) FROM access_groups WHERE name LIKE 'Group %') + (t.id % 1000), t.partner_id, t.id FROM teams t WHERE t.name = 'Team 1'`,
	`ANALYZE`,
}

// BenchmarkListPages times the list pages and /api/v1 lists of issue 12
// over HTTP on that data set, reporting the mean and p95 time to the last
// byte, the bytes of the page and the statements per request.
func BenchmarkListPages(b *testing.B) {
	db, queries := pgtest.CountingDB(b, pgtest.URL(b))
	st := store.New(db)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st); err != nil {
		b.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		b.Fatal(err)
	}
	for _, q := range scaleFill {
		if _, err := db.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	b.Cleanup(srv.Close)
	clients := map[string]*http.Client{}
	for _, email := range []string{"admin@portico.test", "admin@harbor.test", "dev@harbor.test"} {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(srv.URL+"/sign-in", url.Values{"email": {email}, "password": {demo.Password}})
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			b.Fatalf("sign in %s: %v %v", email, resp, err)
		}
		resp.Body.Close()
		clients[email] = c
	}
	var harbor int64
	if err := db.Get(&harbor, `SELECT id FROM partners WHERE slug = 'harbor-logistics'`); err != nil {
		b.Fatal(err)
	}
	for _, tc := range benchPaths(harbor) {
		b.Run(tc.name, func(b *testing.B) {
			c := clients[tc.user]
			var times []time.Duration
			var size, stmts int64
			for b.Loop() {
				before := queries.Count()
				start := time.Now()
				resp, err := c.Get(srv.URL + tc.path)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				times = append(times, time.Since(start))
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s = %d", tc.path, resp.StatusCode)
				}
				size, stmts = n, queries.Count()-before
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(size), "B/page")
			b.ReportMetric(float64(stmts), "stmts/req")
		})
	}
}
