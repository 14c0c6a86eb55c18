package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// homeWorld is the demo portal with its catalog (Harbor's Integrations
// team, with Dev Harbor, holds "Port operations", 100,000 calls a month;
// Dan Crane holds "Fleet basics") and, on top:
//   - Dev Harbor's tokens: "harbor-soon" (sandbox, expires in 3 days, used,
//     40 calls and 2 server errors today), "harbor-later" (live, 60 days)
//     and "harbor-pending" (live, waiting for approval);
//   - Dan Crane's "crane-soon" (expires in 2 days, never used) and Cleo
//     Crane's "crane-admin" with 958 calls today to the fleet, which Crane's
//     group "Tight" (quota 50, granted to Dan Crane) is charged;
//   - an open invitation of each partner, one mail waiting in the outbox.
//
// Ada Harbor and both Crane people are in no team.
func homeWorld(t *testing.T) *portal {
	t.Helper()
	p := newPortal(t, false)
	if err := demo.SeedCatalog(context.Background(), p.store); err != nil {
		t.Fatal(err)
	}
	if _, err := p.store.DB().Exec(`
		INSERT INTO access_groups (name, rate_limit_per_minute, monthly_quota) VALUES ('Tight', 1000, 50);
		INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT g.id, a.id, '{fleet:read}' FROM access_groups g, apis a WHERE g.name = 'Tight' AND a.slug = 'fleet';
		INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name = 'Tight' AND u.email = 'dev@crane.test';
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, pending, last_used_at)
		SELECT u.id, u.partner_id, v.name, v.env, decode(md5(v.name), 'hex'), 'ptc_…' || right(v.name, 4), '{fleet/fleet:read}',
			now() + v.days * interval '1 day', v.pending, CASE WHEN v.used THEN now() END
		FROM (VALUES ('dev@harbor.test', 'harbor-soon', 'sandbox', 3, false, true),
		             ('dev@harbor.test', 'harbor-later', 'live', 60, false, false),
		             ('dev@harbor.test', 'harbor-pending', 'live', 30, true, false),
		             ('dev@crane.test', 'crane-soon', 'sandbox', 2, false, false),
		             ('admin@crane.test', 'crane-admin', 'live', 30, false, true)) v(email, name, env, days, pending, used)
		JOIN users u ON u.email = v.email;
		INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
		SELECT p.id, v.email, 'developer', v.email::bytea, now() + interval '7 days'
		FROM (VALUES ('harbor-logistics', 'new@harbor.test'), ('crane-works', 'secret@crane.test')) v(slug, email)
		JOIN partners p ON p.slug = v.slug;
		INSERT INTO outbox (to_email, to_name, subject, text_body, html_body) VALUES ('new@harbor.test', '', 'Invitation', 'text', '')`); err != nil {
		t.Fatal(err)
	}
	// The calls, through the gateway's writer: every rollup holds them.
	var toks []struct {
		ID        int64  `db:"id"`
		PartnerID int64  `db:"partner_id"`
		Name      string `db:"name"`
		Env       string `db:"environment"`
	}
	if err := p.store.DB().Select(&toks, `SELECT id, partner_id, name, environment FROM tokens WHERE name IN ('harbor-soon', 'crane-admin')`); err != nil {
		t.Fatal(err)
	}
	var batch []calls.Call
	for _, v := range []struct {
		token     string
		status, n int
	}{{"harbor-soon", 200, 40}, {"harbor-soon", 500, 2}, {"crane-admin", 200, 958}} {
		for _, tk := range toks {
			if tk.Name == v.token {
				for range v.n {
					batch = append(batch, calls.Call{At: time.Now(), PartnerID: tk.PartnerID, TokenID: tk.ID, Environment: tk.Env,
						API: "fleet", Operation: "listSpreaders", Method: "GET", Path: "/fleet/spreaders", Status: v.status, Latency: time.Millisecond})
				}
			}
		}
	}
	writeCalls(t, p.store, batch)
	return p
}

// homeItem is one item of a home page: its rows' names (by the data
// attribute given) and its text, spaces squeezed.
type homeItem struct {
	sel *goquery.Selection
}

func itemOf(pg page, id string) homeItem {
	return homeItem{pg.doc.Find("[data-testid=home-" + id + "]")}
}

func (i homeItem) shown() bool { return i.sel.Length() == 1 }

func (i homeItem) text() string { return strings.Join(strings.Fields(i.sel.Text()), " ") }

func (i homeItem) attrs(row, attr string) []string {
	var out []string
	i.sel.Find("[data-testid=" + row + "]").Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr(attr, "")) })
	return out
}

func (i homeItem) action() string {
	return i.sel.Find("[data-testid=home-action]").AttrOr("href", "")
}

func (i homeItem) total() string {
	return strings.TrimSpace(i.sel.Find("[data-testid=home-total]").First().Text())
}

// homeOf signs in as email and reads their home page.
func homeOf(t *testing.T, p *portal, email string) page {
	t.Helper()
	pg := signedInAs(t, p, email).get("/")
	if pg.status != http.StatusOK {
		t.Fatalf("%s: GET / = %d", email, pg.status)
	}
	if pg.doc.Find("[data-testid=account-summary]").Length() != 0 || strings.Contains(pg.doc.Find("main").Text(), "Welcome") {
		t.Errorf("%s: the home page welcomes again what the header already says", email)
	}
	if n := pg.doc.Find("script:not([src])").Length(); n != 0 {
		t.Errorf("%s: %d inline scripts; the CSP forbids them", email, n)
	}
	return pg
}

// TestHomeNextSteps: each role's home shows its next steps with the right
// numbers and links, and never another partner's.
func TestHomeNextSteps(t *testing.T) {
	t.Parallel()
	p := homeWorld(t)

	t.Run("developer", func(t *testing.T) {
		t.Parallel()
		pg := homeOf(t, p, "dev@harbor.test")
		apis := itemOf(pg, "apis")
		if diff := cmp.Diff([]string{"fleet", "maintenance", "telemetry"}, apis.attrs("home-api", "data-slug")); diff != "" {
			t.Errorf("APIs (-want +got):\n%s", diff)
		}
		if href := apis.sel.Find("[data-slug=fleet] a").AttrOr("href", ""); href != "/apis/fleet" {
			t.Errorf("the fleet links to %q", href)
		}
		tokens := itemOf(pg, "tokens")
		if diff := cmp.Diff([]string{"harbor-soon"}, tokens.attrs("home-token", "data-name")); diff != "" {
			t.Errorf("expiring tokens (-want +got):\n%s", diff)
		}
		if href := tokens.sel.Find("[data-name=harbor-soon] a").First().AttrOr("href", ""); href != "/tokens?q=harbor-soon" {
			t.Errorf("the expiring token links to %q", href)
		}
		if href := tokens.sel.Find("[data-testid=home-regenerate]").AttrOr("href", ""); !strings.HasPrefix(href, "/tokens/") || !strings.HasSuffix(href, "/regenerate") {
			t.Errorf("regenerate links to %q", href)
		}
		if !strings.Contains(tokens.text(), "expires in 3 days") {
			t.Errorf("tokens item = %q, want when it expires", tokens.text())
		}
		calls := itemOf(pg, "calls")
		if calls.total() != "42" || !strings.Contains(calls.text(), "sandbox: 42") || !strings.Contains(calls.text(), "failed (4xx, 5xx): 2") || calls.action() != "/usage" {
			t.Errorf("calls item = %q (total %q, link %q), want 42 sandbox calls, 2 failed, linking to /usage", calls.text(), calls.total(), calls.action())
		}
		if itemOf(pg, "try-it").shown() {
			t.Error("a developer who has called is offered a first call")
		}
		if got := text(pg, "[data-testid=role-help]"); got == "" {
			t.Error("no line of role help")
		}
	})

	t.Run("developer without calls", func(t *testing.T) {
		t.Parallel()
		pg := homeOf(t, p, "dev@crane.test")
		try := itemOf(pg, "try-it")
		if !try.shown() || try.action() != "/apis/fleet#try-it" || !strings.Contains(try.text(), "Try the Fleet API") {
			t.Errorf("try-it = %v %q linking to %q; want the Fleet API's console", try.shown(), try.text(), try.action())
		}
		if diff := cmp.Diff([]string{"fleet"}, itemOf(pg, "apis").attrs("home-api", "data-slug")); diff != "" {
			t.Errorf("APIs (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"crane-soon"}, itemOf(pg, "tokens").attrs("home-token", "data-name")); diff != "" {
			t.Errorf("expiring tokens (-want +got):\n%s", diff)
		}
		calls := itemOf(pg, "calls")
		if calls.total() != "0" || calls.sel.Find("[data-testid=home-empty-action]").AttrOr("href", "") == "" {
			t.Errorf("calls item = %q, want 0 and what to do", calls.text())
		}
		for _, s := range []string{"harbor-", "958", "Tight"} {
			if strings.Contains(pg.doc.Find("main").Text(), s) {
				t.Errorf("Dan Crane's home shows %q", s)
			}
		}
	})

	t.Run("partner admin", func(t *testing.T) {
		t.Parallel()
		pg := homeOf(t, p, "admin@harbor.test")
		approvals := itemOf(pg, "approvals")
		if approvals.total() != "1" || approvals.action() != "/tokens/partner?status=pending" || !strings.Contains(approvals.text(), "1 live token waits") {
			t.Errorf("approvals = %q linking to %q, want 1 pending token linking to the pending list", approvals.text(), approvals.action())
		}
		invites := itemOf(pg, "invitations")
		if diff := cmp.Diff([]string{"new@harbor.test"}, invites.attrs("home-invitation", "data-email")); diff != "" || invites.action() != "/members/invitations" {
			t.Errorf("invitations (-want +got):\n%s (link %q)", diff, invites.action())
		}
		teamless := itemOf(pg, "teamless")
		if diff := cmp.Diff([]string{"admin@harbor.test"}, teamless.attrs("home-member", "data-email")); diff != "" || teamless.total() != "1" || teamless.action() != "/teams" {
			t.Errorf("members in no team (-want +got):\n%s (count %q, link %q)", diff, teamless.total(), teamless.action())
		}
		if href := teamless.sel.Find("[data-testid=home-member] a").AttrOr("href", ""); href != "/members?q=admin%40harbor.test" {
			t.Errorf("the member links to %q", href)
		}
		if calls := itemOf(pg, "calls"); calls.total() != "42" {
			t.Errorf("calls today = %q, want Harbor's 42", calls.total())
		}
		quotas := itemOf(pg, "quotas")
		q := quotas.sel.Find("[data-testid=home-quota]")
		if diff := cmp.Diff([]string{"Port operations"}, quotas.attrs("home-quota", "data-group")); diff != "" {
			t.Errorf("quotas (-want +got):\n%s", diff)
		}
		if got := strings.TrimSpace(q.Find("[data-testid=home-quota-text]").Text()); got != "42 of 100,000 (0 %)" {
			t.Errorf("quota text = %q", got)
		}
		if m := q.Find("meter"); m.AttrOr("value", "") != "42" || m.AttrOr("max", "") != "100000" || m.AttrOr("aria-label", "") == "" {
			t.Errorf("quota meter = value %q max %q label %q", m.AttrOr("value", ""), m.AttrOr("max", ""), m.AttrOr("aria-label", ""))
		}
		main := pg.doc.Find("main").Text()
		for _, s := range []string{"secret@crane.test", "Cleo Crane", "Dan Crane", "958", "Tight"} {
			if strings.Contains(main, s) {
				t.Errorf("Harbor's admin sees %q, Crane's", s)
			}
		}
	})

	t.Run("account manager", func(t *testing.T) {
		t.Parallel()
		pg := homeOf(t, p, "am@portico.test")
		busy := itemOf(pg, "partner-usage")
		if diff := cmp.Diff([]string{"Crane Works", "Harbor Logistics"}, busy.attrs("home-partner", "data-name")); diff != "" {
			t.Errorf("partners with calls (-want +got):\n%s", diff)
		}
		if href := busy.sel.Find("[data-name='Crane Works'] a").AttrOr("href", ""); !strings.HasSuffix(href, "/usage") || !strings.HasPrefix(href, "/partners/") {
			t.Errorf("a busy partner links to %q", href)
		}
		near := itemOf(pg, "near-quota")
		if diff := cmp.Diff([]string{"Crane Works"}, near.attrs("home-alert", "data-partner")); diff != "" {
			t.Errorf("partners near quota (-want +got):\n%s", diff)
		}
		if got := strings.TrimSpace(near.sel.Find("[data-testid=home-quota-text]").Text()); got != "958 of 50 (1916 %)" {
			t.Errorf("near-quota text = %q", got)
		}
		grants := itemOf(pg, "grants")
		if got := grants.attrs("home-grant", "data-partner"); len(got) != 3 || got[0] != "Crane Works" {
			t.Errorf("recent grants = %v, want 3, the newest (Tight to Crane) first", got)
		}
		if got := strings.Join(strings.Fields(grants.sel.Find("[data-testid=home-grant]").First().Text()), " "); !strings.HasPrefix(got, "Tight to Dan Crane, Crane Works") {
			t.Errorf("newest grant = %q", got)
		}
		if href := grants.sel.Find("[data-testid=home-grant] a").First().AttrOr("href", ""); !strings.HasPrefix(href, "/access-groups/") {
			t.Errorf("a grant links to %q", href)
		}
		if itemOf(pg, "outbox").shown() || itemOf(pg, "retention").shown() {
			t.Error("an account manager sees the platform admin's health items")
		}
	})

	t.Run("platform admin", func(t *testing.T) {
		t.Parallel()
		pg := homeOf(t, p, "admin@portico.test")
		errs := itemOf(pg, "gateway-errors")
		if errs.total() != "0.2 %" || !strings.Contains(errs.text(), "of 1,000 calls") || errs.action() != "/usage" {
			t.Errorf("gateway errors = %q (%q), want 0.2 %% of 1,000 calls", errs.text(), errs.total())
		}
		if out := itemOf(pg, "outbox"); out.total() != "1" || out.action() != "/outbox" {
			t.Errorf("outbox = %q linking to %q, want 1 waiting", out.text(), out.action())
		}
		ret := itemOf(pg, "retention")
		if !ret.shown() || ret.sel.Find("[data-testid=home-empty]").Length() != 1 || ret.action() != "/settings" {
			t.Errorf("retention = %q, want its empty state linking to /settings", ret.text())
		}
		if itemOf(pg, "calls-queue").shown() {
			t.Error("the call queue is shown though this portal has no call recorder")
		}
	})
}

// TestHomeEmptyStates: on a portal with nothing in it yet, each item says
// what to do.
func TestHomeEmptyStates(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	for _, tc := range []struct {
		who string
		// items are the items that show an empty state, and actions the
		// links of the empty states that have one.
		items   []string
		actions map[string]string
	}{
		{"dev@harbor.test", []string{"apis", "tokens", "calls"}, map[string]string{"tokens": "/tokens/new", "calls": "/tokens/new"}},
		{"admin@harbor.test", []string{"approvals", "invitations", "calls", "quotas"}, map[string]string{"invitations": "/members#invite-email", "quotas": "/access"}},
		{"am@portico.test", []string{"partner-usage", "near-quota", "grants"}, map[string]string{"partner-usage": "/access-groups", "grants": "/access-groups"}},
		{"admin@portico.test", []string{"gateway-errors", "outbox", "retention"}, map[string]string{"retention": "/settings"}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			t.Parallel()
			pg := homeOf(t, p, tc.who)
			for _, id := range tc.items {
				it := itemOf(pg, id)
				empty := it.sel.Find("[data-testid=home-empty]")
				if !it.shown() || empty.Length() != 1 || strings.TrimSpace(empty.Text()) == "" {
					t.Errorf("item %s: no empty state (%q)", id, it.text())
				}
				if want := tc.actions[id]; want != "" {
					if got := empty.Find("[data-testid=home-empty-action]").AttrOr("href", ""); got != want {
						t.Errorf("item %s: empty state links to %q, want %q", id, got, want)
					}
				}
			}
			if itemOf(pg, "try-it").shown() {
				t.Error("a first call is offered with no API to call")
			}
		})
	}
	if got := text(homeOf(t, p, "dev@harbor.test"), "[data-testid=home-tokens] [data-testid=home-empty]"); !strings.HasPrefix(got, "No open tokens (none yet, or all expired or revoked) — create one") {
		t.Errorf("tokens empty state = %q", got)
	}
}

// TestHomeSignedOut: the landing page stays for visitors.
func TestHomeSignedOut(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	pg := p.browser(t).get("/")
	if pg.doc.Find("[data-testid=sign-in]").Length() != 1 || pg.doc.Find(".home-items").Length() != 0 {
		t.Error("a visitor does not see the landing page")
	}
}

// TestHomeQueriesDoNotGrow: each role's home sends as many statements
// with hundreds of rows behind every item as with the demo data, and few:
// one per item, besides the session's.
func TestHomeQueriesDoNotGrow(t *testing.T) {
	t.Parallel()
	p, queries := newCountingPortal(t)
	users := []string{"dev@harbor.test", "admin@harbor.test", "am@portico.test", "admin@portico.test"}
	browsers := map[string]*browser{}
	before := map[string]int64{}
	for _, u := range users {
		browsers[u] = signedInAs(t, p, u)
		before[u] = queriesOf(t, browsers[u], queries, "/")
	}
	const n = 300
	for _, q := range []string{
		// Partners with calls, quotas near full, grants, members in no
		// team, invitations, expiring and pending tokens, mails.
		`INSERT INTO partners (name, slug) SELECT 'Filler ' || i, 'filler-' || i FROM generate_series(1, $1) i`,
		`INSERT INTO access_groups (name, rate_limit_per_minute, monthly_quota) SELECT 'Filler group ' || i, 60, 10 FROM generate_series(1, $1) i`,
		`INSERT INTO apis (slug, name) SELECT 'filler-' || i, 'Filler API ' || i FROM generate_series(1, $1) i`,
		`INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		 SELECT g.id, a.id, '{fleet:read}' FROM access_groups g, apis a
		 WHERE g.name LIKE 'Filler group %' AND (a.slug = 'fleet' OR a.slug = 'filler-' || substr(g.name, 14)) AND $1 > 0`,
		`INSERT INTO users (email, name, role, partner_id)
		 SELECT 'filler' || i || '@' || p.slug || '.test', 'Filler ' || i, 'developer', p.id
		 FROM partners p, generate_series(1, $1) i WHERE p.slug IN ('harbor-logistics', 'filler-1', 'filler-2')`,
		`INSERT INTO grants (access_group_id, partner_id, user_id)
		 SELECT g.id, u.partner_id, u.id FROM access_groups g JOIN users u ON u.email = 'filler' || substr(g.name, 14) || '@filler-1.test'
		 WHERE g.name LIKE 'Filler group %' AND $1 > 0`,
		`INSERT INTO grants (access_group_id, partner_id, user_id)
		 SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name LIKE 'Filler group %' AND u.email = 'dev@harbor.test' AND $1 > 0`,
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, pending)
		 SELECT u.id, u.partner_id, 'filler-' || u.id || '-' || i, 'live', decode(md5(u.email || i), 'hex'), 'ptc_…abcd', '{fleet/fleet:read}',
		        now() + (1 + i % 10) * interval '1 day', i % 2 = 0
		 FROM users u, generate_series(1, $1) i WHERE u.email IN ('dev@harbor.test', 'filler1@filler-1.test')`,
		`INSERT INTO api_usage_minutes (minute, partner_id, token_id, api, operation, status_class, count, latency_sum_us, latency_buckets)
		 SELECT date_trunc('minute', now()) - (i % 50) * interval '1 minute', t.partner_id, t.id, 'fleet', 'op', 2 + i % 4, 100, 0, array_fill(0::bigint, ARRAY[16])
		 FROM tokens t, generate_series(1, 3) i WHERE t.name LIKE 'filler-%' AND $1 > 0`,
		`INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		 SELECT date_trunc('hour', now()), t.partner_id, t.id, 'fleet', 'op', 'live', 300, 10, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		 FROM tokens t WHERE t.name LIKE 'filler-%' AND $1 > 0`,
		`INSERT INTO api_usage_days (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		 SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', p.id, 'fleet', 'op', 'live', 1000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		 FROM partners p WHERE $1 > 0`,
		`INSERT INTO api_usage_partner_days (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		 SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', p.id, 'fleet', 'live', 1000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		 FROM partners p WHERE $1 > 0`,
		`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
		 SELECT p.id, 'inv' || i || '@' || p.slug || '.test', 'developer', (p.slug || i)::bytea, now() + interval '7 days'
		 FROM partners p, generate_series(1, $1) i WHERE p.slug IN ('harbor-logistics', 'crane-works')`,
		`INSERT INTO outbox (to_email, to_name, subject, text_body, html_body) SELECT 'to' || i || '@x.test', '', 'Mail ' || i, 'text', '' FROM generate_series(1, $1) i`,
	} {
		if _, err := p.store.DB().Exec(q, n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, u := range users {
		pg := browsers[u].get("/")
		if n := pg.doc.Find("[data-testid^=home-]").Length(); n == 0 {
			t.Fatalf("%s: the filled home shows nothing", u)
		}
		if rows := pg.doc.Find("ul.home-list li").Length(); rows > 40 {
			t.Errorf("%s: the home lists %d rows; each item is bounded", u, rows)
		}
		if u == "dev@harbor.test" && text(pg, "[data-testid=home-more-apis]") != "and 293 more" {
			t.Errorf("the developer's APIs end with %q, want the 293 not listed counted", text(pg, "[data-testid=home-more-apis]"))
		}
		after := queriesOf(t, browsers[u], queries, "/")
		if after != before[u] {
			t.Errorf("%s: GET / sent %d statements with the demo data, %d with %d more rows in every item", u, before[u], after, n)
		}
		t.Logf("%s: %d statements", u, after)
		if after > 12 {
			t.Errorf("%s: GET / sends %d statements; each item should be one", u, after)
		}
	}
}

// TestHomeAdminHealth: the platform admin sees this node's call audit
// queue when the gateway records calls through one, and what the last
// retention run did.
func TestHomeAdminHealth(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	// A writer that is not running: what is recorded stays queued.
	queue := calls.NewWriter(st, db, calls.WriterConfig{QueueSize: 100}, nil)
	for range 60 {
		if !queue.Admit() {
			t.Fatal("the queue refused a call")
		}
		queue.RecordAdmitted(calls.Call{API: "fleet"})
	}
	now := time.Now()
	if err := st.AddRetentionRun(context.Background(), &store.RetentionRun{StartedAt: now.Add(-time.Minute), FinishedAt: now,
		CallsBefore: now.AddDate(0, 0, -400), RollupsBefore: now.AddDate(0, 0, -800), PartitionsDropped: []string{"api_calls_20251001", "api_calls_20251002"},
		DefaultRowsDeleted: 5, RollupRowsDeleted: 1234, Complete: true}); err != nil {
		t.Fatal(err)
	}
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db,
		Outbox: mail.NewOutbox(st), Mailer: noKick{}, Recorder: queue})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	p := &portal{srv: srv, store: st}

	pg := homeOf(t, p, "admin@portico.test")
	if got := text(pg, "h1"); got != "The portal's health" {
		t.Errorf("heading = %q", got)
	}
	q := itemOf(pg, "calls-queue")
	if q.total() != "60" || !strings.Contains(q.text(), "of 100 it holds") || q.sel.Find("strong.field-error").Length() != 1 {
		t.Errorf("call queue = %q, want 60 of 100, marked as high", q.text())
	}
	if got := text(pg, "[data-testid=home-retention]"); !strings.Contains(got, "2 call partitions dropped, 5 older call rows and 1,234 usage rows deleted.") {
		t.Errorf("retention = %q", got)
	}
	for _, who := range []string{"am@portico.test", "admin@harbor.test"} {
		if itemOf(homeOf(t, p, who), "calls-queue").shown() {
			t.Errorf("%s sees the call queue", who)
		}
	}
}
