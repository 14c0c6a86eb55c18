package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// newCountingPortal is newPortal, with the demo catalog, over a database
// that counts the statements it receives.
func newCountingPortal(t *testing.T) (*portal, *pgtest.Counter) {
	t.Helper()
	db, queries := pgtest.CountingDB(t, pgtest.URL(t))
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &portal{srv: srv, store: st}, queries
}

// fillLists adds n rows to every list of this file: partners, staff,
// mails, APIs, revisions of fleet, access groups, open invitations of
// Harbor and grants to Harbor's developer (and as many of Crane's, which
// Harbor never sees).
func fillLists(t *testing.T, p *portal, n int) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO partners (name, slug) SELECT 'Filler ' || i, 'filler-' || i FROM generate_series(1, $1) i`,
		`INSERT INTO users (email, name, role) SELECT 'staff' || i || '@portico.test', 'Staff ' || i, 'account_manager' FROM generate_series(1, $1) i`,
		`INSERT INTO outbox (to_email, to_name, subject, text_body, html_body) SELECT 'to' || i || '@x.test', '', 'Mail ' || i, 'text', '' FROM generate_series(1, $1) i`,
		`WITH a AS (INSERT INTO apis (slug, name) SELECT 'filler-' || i, 'Filler API ' || i FROM generate_series(1, $1) i RETURNING id)
		 INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes) SELECT id, 1, '1.0', '', '[]', '{}' FROM a`,
		`INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes)
		 SELECT a.id, a.current_revision + i, '1.' || i, '', '[]', '{}' FROM apis a, generate_series(1, $1) i WHERE a.slug = 'fleet'`,
		`INSERT INTO access_groups (name, rate_limit_per_minute) SELECT 'Filler group ' || i, 60 FROM generate_series(1, $1) i`,
		`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
		 SELECT p.id, 'inv' || i || '@' || p.slug || '.test', 'developer', (p.slug || i)::bytea, now() + interval '7 days'
		 FROM partners p, generate_series(1, $1) i WHERE p.slug IN ('harbor-logistics', 'crane-works')`,
		`INSERT INTO grants (access_group_id, partner_id, user_id)
		 SELECT g.id, u.partner_id, u.id FROM access_groups g, users u
		 WHERE g.name LIKE 'Filler group %' AND u.email IN ('dev@harbor.test', 'dev@crane.test') AND $1 > 0`,
	} {
		if _, err := p.store.DB().Exec(q, n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// listPage is a list page or /api/v1 list, as one user reads it.
type listPage struct {
	user, path string
	// row selects the page's rows and attr names each one (HTML pages).
	row, attr string
}

var listPages = []listPage{
	{"admin@portico.test", "/partners", "[data-testid=partner]", "data-slug"},
	{"admin@portico.test", "/staff", "[data-testid=staff-member]", "data-email"},
	{"admin@portico.test", "/outbox", "[data-testid=mail]", "data-to"},
	{"admin@portico.test", "/apis", "[data-testid=catalog-api]", "data-slug"},
	{"dev@harbor.test", "/apis", "[data-testid=catalog-api]", "data-slug"},
	{"admin@portico.test", "/catalog/fleet/revisions", "[data-testid=revision]", "data-revision"},
	{"am@portico.test", "/access-groups", "[data-testid=access-group]", "data-name"},
	{"admin@harbor.test", "/members", "[data-testid=invitation]", "data-email"},
	{"admin@harbor.test", "/members/invitations", "[data-testid=invitation]", "data-email"},
	{"admin@portico.test", "/api/v1/apis", "", ""},
	{"dev@harbor.test", "/api/v1/apis", "", ""},
	{"admin@portico.test", "/api/v1/apis/fleet/revisions", "", ""},
	{"am@portico.test", "/api/v1/access-groups", "", ""},
	{"admin@harbor.test", "/api/v1/invitations", "", ""},
	{"admin@harbor.test", "/api/v1/grants", "", ""},
	{"admin@portico.test", "/api/v1/grants?partner_id=1", "", ""},
}

// queriesOf counts the statements of one request (the least of three, so
// a background write of the portal does not count).
func queriesOf(t *testing.T, b *browser, queries *pgtest.Counter, path string) int64 {
	t.Helper()
	least := int64(-1)
	for range 3 {
		before := queries.Count()
		if pg := b.get(path); pg.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, pg.status)
		}
		if n := queries.Count() - before; least < 0 || n < least {
			least = n
		}
	}
	return least
}

// TestListPagesQueriesDoNotGrow: each list page and /api/v1 list sends as
// many statements with 300 more rows in every list as with the demo data
// (no query per row), and renders at most one page of rows.
func TestListPagesQueriesDoNotGrow(t *testing.T) {
	t.Parallel()
	p, queries := newCountingPortal(t)
	browsers := map[string]*browser{}
	for _, lp := range listPages {
		if browsers[lp.user] == nil {
			browsers[lp.user] = signedInAs(t, p, lp.user)
		}
	}
	small := make([]int64, len(listPages))
	for i, lp := range listPages {
		small[i] = queriesOf(t, browsers[lp.user], queries, lp.path)
	}
	fillLists(t, p, 300)
	for i, lp := range listPages {
		big := queriesOf(t, browsers[lp.user], queries, lp.path)
		if big != small[i] {
			t.Errorf("%s as %s: %d statements with 300 more rows, %d before", lp.path, lp.user, big, small[i])
		}
		if lp.row == "" {
			continue
		}
		if n := browsers[lp.user].get(lp.path).doc.Find(lp.row).Length(); n > 50 {
			t.Errorf("%s as %s shows %d rows, want at most 50", lp.path, lp.user, n)
		}
	}
}

// TestListPagesWalk: following the "Next page" links of each list page
// shows every row exactly once, as many as the list holds, and the search
// stays in the links.
func TestListPagesWalk(t *testing.T) {
	t.Parallel()
	p, _ := newCountingPortal(t)
	fillLists(t, p, 120)
	count := func(q string) int {
		var n int
		if err := p.store.DB().Get(&n, q); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct {
		listPage
		want int
	}{
		{listPages[0], count(`SELECT count(*) FROM partners`)},
		{listPages[1], count(`SELECT count(*) FROM users WHERE role IN ('admin', 'account_manager') AND status = 'active'`)},
		{listPages[2], count(`SELECT count(*) FROM outbox`)},
		{listPages[3], count(`SELECT count(*) FROM apis`)},
		{listPages[5], count(`SELECT count(*) FROM api_revisions r JOIN apis a ON a.id = r.api_id WHERE a.slug = 'fleet'`)},
		{listPages[6], count(`SELECT count(*) FROM access_groups`)},
		{listPages[8], 120},
		{listPage{"admin@portico.test", "/partners?q=FILLER", "[data-testid=partner]", "data-slug"}, 120},
		{listPage{"admin@harbor.test", "/members/invitations?q=harbor-log", "[data-testid=invitation]", "data-email"}, 120},
		{listPage{"admin@harbor.test", "/members/invitations?q=crane", "[data-testid=invitation]", "data-email"}, 0},
	} {
		t.Run(tc.path, func(t *testing.T) {
			b := signedInAs(t, p, tc.user)
			seen := map[string]int{}
			path, pages := tc.path, 0
			for ; path != "" && pages < 20; pages++ {
				pg := b.get(path)
				if pg.status != http.StatusOK {
					t.Fatalf("GET %s = %d", path, pg.status)
				}
				rows := pg.doc.Find(tc.row)
				if rows.Length() > 50 {
					t.Errorf("%s shows %d rows", path, rows.Length())
				}
				for i := range rows.Length() {
					seen[rows.Eq(i).AttrOr(tc.attr, "")]++
				}
				if first := pg.doc.Find("[data-testid=first-page]").Length(); (pages == 0) != (first == 0) {
					t.Errorf("%s: %d first-page links", path, first)
				}
				next, _ := pg.doc.Find("[data-testid=next-page]").Attr("href")
				if u, _ := url.Parse(tc.path); next != "" && u.Query().Get("q") != "" && !strings.Contains(next, "q=") {
					t.Errorf("next link %q lost the search", next)
				}
				path = next
			}
			if len(seen) != tc.want {
				t.Errorf("%d distinct rows in %d pages, want %d", len(seen), pages, tc.want)
			}
			for row, n := range seen {
				if n != 1 {
					t.Errorf("%s shown %d times", row, n)
				}
			}
		})
	}
}

// TestListPagesRefuseBadInput: a cursor the list did not make (garbage,
// another list's, an old offset cursor), a search over 100 characters, an
// unknown status or an out-of-range limit is a 400 with a message, and
// costs fewer statements than the page itself: it is refused before the
// list is read.
func TestListPagesRefuseBadInput(t *testing.T) {
	t.Parallel()
	p, queries := newCountingPortal(t)
	long := strings.Repeat("x", 101)
	otherList := store.StaffList.Cursor(store.Key{Sort: "1a", ID: 1})
	for _, tc := range []struct {
		user, good string
		bad        []string
	}{
		{"admin@portico.test", "/partners", []string{"?after=nope", "?after=" + otherList, "?q=" + long, "?status=gone"}},
		{"admin@portico.test", "/staff", []string{"?after=nope", "?after=" + store.PartnersList.Cursor(store.Key{Sort: "a", ID: 1}), "?q=" + long}},
		{"admin@portico.test", "/outbox", []string{"?after=nope", "?after=" + otherList}},
		{"admin@portico.test", "/apis", []string{"?after=nope", "?after=" + otherList, "?q=" + long}},
		{"admin@portico.test", "/catalog/fleet/revisions", []string{"?after=nope", "?after=" + otherList}},
		{"am@portico.test", "/access-groups", []string{"?after=nope", "?after=" + otherList, "?q=" + long}},
		{"admin@harbor.test", "/members/invitations", []string{"?after=nope", "?after=" + otherList, "?q=" + long,
			"?after=" + url.QueryEscape(store.Key{Sort: "not a time", ID: 1}.Cursor("in"))}},
		{"admin@portico.test", "/api/v1/apis", []string{"?cursor=nope", "?cursor=djE6MToy", "?limit=0", "?limit=201", "?limit=x", "?q=" + long}},
		{"admin@portico.test", "/api/v1/apis/fleet/revisions", []string{"?cursor=nope", "?cursor=" + otherList, "?limit=0"}},
		{"am@portico.test", "/api/v1/access-groups", []string{"?cursor=nope", "?cursor=" + otherList, "?limit=201", "?q=" + long}},
		{"admin@harbor.test", "/api/v1/invitations", []string{"?cursor=nope", "?cursor=" + otherList, "?limit=-1", "?q=" + long}},
		{"admin@harbor.test", "/api/v1/grants", []string{"?cursor=nope", "?cursor=" + otherList, "?limit=1000", "?q=" + long,
			"?cursor=" + url.QueryEscape(store.Key{Sort: "x", ID: 1}.Cursor("pg"))}},
		// Checked before the partner is looked up: not a 404 for this one.
		{"admin@portico.test", "/api/v1/grants?partner_id=1", []string{"&cursor=nope"}},
	} {
		t.Run(tc.good, func(t *testing.T) {
			b := signedInAs(t, p, tc.user)
			good := queriesOf(t, b, queries, tc.good)
			for _, bad := range tc.bad {
				path := tc.good + bad
				before := queries.Count()
				pg := b.get(path)
				n := queries.Count() - before
				if pg.status != http.StatusBadRequest {
					t.Errorf("GET %s = %d, want 400", path, pg.status)
				}
				if text := pg.doc.Text(); !strings.Contains(text, "cursor") && !strings.Contains(text, "limit") &&
					!strings.Contains(text, "q must") && !strings.Contains(text, "search") && !strings.Contains(text, "link") &&
					!strings.Contains(text, "status") {
					t.Errorf("GET %s: no message saying what is wrong: %.300s", path, text)
				}
				if n >= good {
					t.Errorf("GET %s sent %d statements, the page itself %d: not refused before the list is read", path, n, good)
				}
			}
		})
	}
}
