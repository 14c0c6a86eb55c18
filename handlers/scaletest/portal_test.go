package scaletest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/dataset"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The roles, as the table names them, and who signs in for each.
var roles = []struct{ name, email string }{
	{"developer", dataset.DeveloperEmail},
	{"partner admin", dataset.PartnerAdminEmail},
	{"account manager", dataset.AccountManagerEmail},
	{"platform admin", dataset.AdminEmail},
}

const (
	dev     = 1 << iota // developer
	padm                // partner admin
	am                  // account manager
	admin               // platform admin
	staff   = am | admin
	partner = dev | padm
	all     = partner | staff
)

// listPage is a page or API list and the roles that see it.
type listPage struct {
	name  string // the route, as in the table
	path  func(r *dataset.Result) string
	roles int
	// same are the roles for whom the page shows no list that grows with
	// the data (staff have no tokens of their own).
	same int
}

func fixed(p string) func(*dataset.Result) string { return func(*dataset.Result) string { return p } }

// pages are every list page and /api/v1 list of the portal (issue 12),
// with the roles the policy lets see each (a 200 for them is checked).
var pages = []listPage{
	{"/", fixed("/"), all, all},
	{"/members", fixed("/members"), padm, 0},
	{"/teams", fixed("/teams"), padm, 0},
	{"/teams/:id", func(r *dataset.Result) string { return fmt.Sprintf("/teams/%d", r.BigTeamID) }, padm, 0},
	{"/partners", fixed("/partners"), staff, 0},
	{"/partners/:id", func(r *dataset.Result) string { return fmt.Sprintf("/partners/%d", r.BigPartnerID) }, staff, 0},
	{"/partners/:id/tokens", func(r *dataset.Result) string { return fmt.Sprintf("/partners/%d/tokens", r.BigPartnerID) }, staff, 0},
	{"/tokens", fixed("/tokens"), all, staff},
	{"/tokens/partner", fixed("/tokens/partner"), padm, 0},
	{"/access", fixed("/access"), padm, 0},
	{"/access-groups", fixed("/access-groups"), staff, 0},
	{"/access-groups/:id", func(r *dataset.Result) string { return fmt.Sprintf("/access-groups/%d", r.GroupID) }, staff, 0},
	{"/apis", fixed("/apis"), all, 0},
	{"/catalog/:slug/revisions", func(r *dataset.Result) string { return "/catalog/" + r.APISlug + "/revisions" }, staff, 0},
	{"/staff", fixed("/staff"), admin, 0},
	{"/outbox", fixed("/outbox"), admin, 0},
	{"/audit", fixed("/audit"), all, 0},
	{"/audit?source=calls", fixed("/audit?source=calls"), all, 0},
	{"/audit?kind=settings&range=all", fixed("/audit?kind=settings&range=all"), all, all},
	{"/usage", fixed("/usage"), all, 0},
	{"/usage?range=7d", fixed("/usage?range=7d"), all, 0},
	{"/usage?range=30d", fixed("/usage?range=30d"), all, 0},
	{"/usage?range=30d&api=fleet", fixed("/usage?range=30d&api=fleet"), all, 0},
	{"/partners/:id/usage", func(r *dataset.Result) string { return fmt.Sprintf("/partners/%d/usage", r.BigPartnerID) }, staff, 0},
	{"/partners/:id/usage?range=30d", func(r *dataset.Result) string { return fmt.Sprintf("/partners/%d/usage?range=30d", r.BigPartnerID) }, staff, 0},
	{"/api/v1/members", fixed("/api/v1/members"), padm, 0},
	{"/api/v1/invitations", fixed("/api/v1/invitations"), padm, 0},
	{"/api/v1/teams", fixed("/api/v1/teams"), padm, 0},
	{"/api/v1/teams/:id", func(r *dataset.Result) string { return fmt.Sprintf("/api/v1/teams/%d", r.BigTeamID) }, padm, 0},
	{"/api/v1/apis", fixed("/api/v1/apis"), all, 0},
	{"/api/v1/apis/:slug/revisions", func(r *dataset.Result) string { return "/api/v1/apis/" + r.APISlug + "/revisions" }, staff, 0},
	{"/api/v1/access-groups", fixed("/api/v1/access-groups"), staff, 0},
	{"/api/v1/access-groups/:id/grants", func(r *dataset.Result) string { return fmt.Sprintf("/api/v1/access-groups/%d/grants", r.GroupID) }, staff, 0},
	{"/api/v1/grants", fixed("/api/v1/grants"), padm, 0},
	{"/api/v1/members/:id/access", func(r *dataset.Result) string { return fmt.Sprintf("/api/v1/members/%d/access", r.DeveloperID) }, padm | staff, 0},
	{"/api/v1/tokens", fixed("/api/v1/tokens"), all, staff},
	{"/api/v1/partner/tokens", fixed("/api/v1/partner/tokens"), padm, 0},
	{"/api/v1/usage", fixed("/api/v1/usage"), all, 0},
	{"/api/v1/usage?range=30d", fixed("/api/v1/usage?range=30d"), all, 0},
	{"/api/v1/usage?range=30d&api=fleet", fixed("/api/v1/usage?range=30d&api=fleet"), all, 0},
}

// portal is the portal over a data set, with a signed-in client per role.
type portal struct {
	srv     *httptest.Server
	result  *dataset.Result
	counter *pgtest.Counter
	clients map[string]*http.Client
}

// noKick stands in for the mail sender.
type noKick struct{}

func (noKick) Kick() {}

// newPortal serves the real routes over db (counted by counter) and signs
// in one user of each role.
func newPortal(tb testing.TB, db *sqlx.DB, counter *pgtest.Counter, r *dataset.Result) *portal {
	tb.Helper()
	st := store.New(db)
	cfg := handlers.Config{Version: "scale", Secret: []byte("scale-secret-scale-secret-scale-secret"), BaseURL: "http://portal.test", MailTransport: "test"}
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	tb.Cleanup(srv.Close)
	p := &portal{srv: srv, result: r, counter: counter, clients: map[string]*http.Client{}}
	for _, role := range roles {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(srv.URL+"/sign-in", url.Values{"email": {role.email}, "password": {demo.Password}})
		if err != nil {
			tb.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			tb.Fatalf("sign in as %s (%s) = %d, want 303", role.name, role.email, resp.StatusCode)
		}
		p.clients[role.name] = c
		p.get(tb, role.name, "/") // takes the welcome flash
	}
	return p
}

// sample is one request's measure.
type sample struct {
	status  int
	elapsed time.Duration // until the whole body is read
	bytes   int
	queries int64 // SQL statements the request ran
	body    string
}

// get requests path as role; requests must not overlap (the query count is
// the counter's difference).
func (p *portal) get(tb testing.TB, role, path string) sample {
	tb.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, p.srv.URL+path, nil)
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Accept", "application/json")
	} else {
		req.Header.Set("Accept", "text/html")
	}
	before := p.counter.Count()
	start := time.Now()
	resp, err := p.clients[role].Do(req)
	if err != nil {
		tb.Fatalf("GET %s as %s: %v", path, role, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		tb.Fatalf("GET %s as %s: %v", path, role, err)
	}
	return sample{status: resp.StatusCode, elapsed: elapsed, bytes: len(body), queries: p.counter.Count() - before, body: string(body)}
}

// cases are the (page, role) pairs to measure, in table order.
func cases() []struct {
	page listPage
	role string
} {
	var out []struct {
		page listPage
		role string
	}
	for _, pg := range pages {
		for i, r := range roles {
			if pg.roles&(1<<i) != 0 {
				out = append(out, struct {
					page listPage
					role string
				}{pg, r.name})
			}
		}
	}
	return out
}

// roleBit is the bit of the named role in listPage.roles.
func roleBit(name string) int {
	for i, r := range roles {
		if r.name == name {
			return 1 << i
		}
	}
	panic("unknown role " + name)
}
