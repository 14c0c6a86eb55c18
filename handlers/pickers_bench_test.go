package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// benchClient is a signed-in client for benchmarks (browser needs a
// *testing.T).
type benchClient struct {
	b      *testing.B
	client *http.Client
	base   string
}

func benchSignIn(b *testing.B, base, email string) *benchClient {
	b.Helper()
	jar, _ := cookiejar.New(nil)
	c := &benchClient{b: b, base: base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	form := url.Values{"email": {email}, "password": {demo.Password}}
	resp, err := c.client.Post(base+"/sign-in", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign in %s: %v %v", email, resp, err)
	}
	resp.Body.Close()
	c.get("/") // consume the welcome flash
	return c
}

// get fetches path and returns the body's size; anything but a 200 fails.
// An htmx path (/candidates, /grantees) is asked for as htmx asks.
func (c *benchClient) get(path string) int {
	c.b.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if strings.Contains(path, "/candidates") || strings.Contains(path, "/grantees") {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.b.Fatal(err)
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.b.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	return int(n)
}

// fillPickersAtScale adds to the demo data the scale of issue 12 for the
// team and access-group pages: Harbor with 10 000 more members in 50 teams,
// one of which ("Big team") holds 2 000 of them; 199 other partners with 20
// members and 2 teams each (about 14 000 possible grantees in all); an
// access group with 300 open and 100 revoked grants. It returns the big
// team's and the group's ids.
func fillPickersAtScale(b *testing.B, st *store.Store) (teamID, groupID int64) {
	b.Helper()
	db := st.DB()
	var harbor int64
	if err := db.Get(&harbor, `SELECT id FROM partners WHERE slug = 'harbor-logistics'`); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO partners (name, slug) SELECT 'Partner ' || i, 'partner-' || i FROM generate_series(1, 199) i`,
		`INSERT INTO users (email, name, role, partner_id)
		 SELECT 'm' || i || '@big.test', 'Member ' || i, 'developer', $1 FROM generate_series(1, 10000) i`,
		`INSERT INTO users (email, name, role, partner_id)
		 SELECT 'm' || i || '@' || p.slug || '.test', 'Person ' || i, 'developer', p.id
		 FROM partners p, generate_series(1, 20) i WHERE p.slug LIKE 'partner-%'`,
		`INSERT INTO teams (partner_id, name) SELECT $1, 'team ' || i FROM generate_series(1, 49) i`,
		`INSERT INTO teams (partner_id, name) VALUES ($1, 'Big team')`,
		`INSERT INTO teams (partner_id, name) SELECT p.id, 'crew ' || i FROM partners p, generate_series(1, 2) i WHERE p.slug LIKE 'partner-%'`,
		`INSERT INTO team_memberships (team_id, user_id)
		 SELECT t.id, u.id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users WHERE email LIKE '%@big.test') u,
		   teams t WHERE t.partner_id = $1 AND t.name = 'Big team' AND u.n <= 2000`,
		`INSERT INTO team_memberships (team_id, user_id)
		 SELECT t.id, u.id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users WHERE email LIKE '%@big.test') u
		   JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM teams WHERE partner_id = $1 AND name LIKE 'team %') t
		     ON t.n = u.n % 49 + 1`,
		`INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('Bench group', 60)`,
		`INSERT INTO grants (access_group_id, partner_id, user_id)
		 SELECT g.id, $1, u.id FROM access_groups g, (SELECT id FROM users WHERE email LIKE '%@big.test' ORDER BY id LIMIT 300) u
		 WHERE g.name = 'Bench group'`,
		`INSERT INTO grants (access_group_id, partner_id, user_id, revoked_at)
		 SELECT g.id, $1, u.id, now() - u.id * interval '1 second' FROM access_groups g,
		   (SELECT id FROM users WHERE email LIKE '%@big.test' ORDER BY id OFFSET 300 LIMIT 100) u
		 WHERE g.name = 'Bench group'`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, harbor)
		}
		if _, err := db.Exec(q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	if err := db.Get(&teamID, `SELECT id FROM teams WHERE name = 'Big team'`); err != nil {
		b.Fatal(err)
	}
	if err := db.Get(&groupID, `SELECT id FROM access_groups WHERE name = 'Bench group'`); err != nil {
		b.Fatal(err)
	}
	return teamID, groupID
}

// BenchmarkTeamAndGrantPages times the team pages and the access group
// page at the scale of issue 12 and reports each page's size.
func BenchmarkTeamAndGrantPages(b *testing.B) {
	db := pgtest.DB(b)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		b.Fatal(err)
	}
	teamID, groupID := fillPickersAtScale(b, st)
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	b.Cleanup(srv.Close)
	admin := benchSignIn(b, srv.URL, "admin@harbor.test")
	am := benchSignIn(b, srv.URL, "am@portico.test")
	team := "/teams/" + strconv.FormatInt(teamID, 10)
	group := "/access-groups/" + strconv.FormatInt(groupID, 10)
	for _, tc := range []struct {
		name string
		c    *benchClient
		path string
	}{
		{"teams", admin, "/teams"},
		{"team", admin, team},
		{"team-find", admin, team + "?find=member+99"},
		{"team-candidates", admin, team + "/candidates?find=member+99"},
		{"access-group", am, group},
		{"access-group-find", am, group + "?find=person+1"},
		{"access-group-grantees", am, group + "/grantees?find=person+1"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tc.c.b = b
			n := 0
			for b.Loop() {
				n = tc.c.get(tc.path)
			}
			b.ReportMetric(float64(n), "bytes/page")
		})
	}
}
