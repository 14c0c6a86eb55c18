package handlers_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// auditSentences lists the sentences of an audit page, in order, leaving
// out sign-ins (each test browser signs in, which is audited too).
func auditSentences(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=audit-event]").Each(func(_ int, s *goquery.Selection) {
		if a := s.AttrOr("data-action", ""); a != "user.sign_in" {
			out = append(out, strings.Join(strings.Fields(s.Find("[data-testid=audit-sentence]").Text()), " "))
		}
	})
	return out
}

// auditWorld records, an hour apart and oldest first: a provider event,
// a Crane event, and Harbor events by its admin and its developer, one of
// them about the developer's token.
func auditWorld(t *testing.T) *portal {
	t.Helper()
	p := newPortal(t, false)
	if _, err := p.store.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT id, partner_id, 'dev-ci', 'sandbox', '\x01', 'ptk_s…01', '{fleet/fleet:read}', now() + interval '30 days'
		FROM users WHERE email = 'dev@harbor.test';
		INSERT INTO audit_events (at, actor_id, actor, partner_id, action, target_type, target_id, target, details, request_id)
		SELECT now() - v.ago * interval '1 hour', a.id, a.email, a.partner_id, v.action, v.ttype,
		       CASE v.ttype WHEN 'token' THEN (SELECT id FROM tokens WHERE name = 'dev-ci') WHEN 'user' THEN a.id END,
		       v.target, v.details::jsonb, v.request_id
		FROM (VALUES
			(6, 'admin@portico.test', 'staff.create', 'user', 'sam@portico.test', '{"role":"account_manager"}', 'req-staff'),
			(5, 'admin@crane.test', 'team.create', 'team', 'Crane yard', '{}', 'req-crane'),
			(4, 'admin@harbor.test', 'team.create', 'team', 'Night shift', '{}', 'req-team'),
			(3, 'dev@harbor.test', 'user.name_change', 'user', 'dev@harbor.test', '{"from":"Dev","to":"Dev Harbor"}', 'req-name'),
			(2, 'admin@harbor.test', 'team.member_add', 'team', 'Night shift', '{"member":"dev@harbor.test"}', 'req-add'),
			(1, 'admin@harbor.test', 'token.revoke', 'token', 'dev-ci', '{"owner":"dev@harbor.test","hint":"ptk_s…01"}', 'req-revoke')
		) v(ago, email, action, ttype, target, details, request_id)
		JOIN users a ON a.email = v.email`); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAuditTrailScopes: each role reads the trail the policy gives it,
// said in words, newest first: the platform admin everything, an account
// manager every partner's events but not the provider's own, a partner
// admin their partner's, a developer what they did and what was done to
// their account and tokens. Nobody sees another partner's rows.
func TestAuditTrailScopes(t *testing.T) {
	t.Parallel()
	p := auditWorld(t)
	revoke := "Ada Harbor revoked token “dev-ci” of dev@harbor.test"
	add := "Ada Harbor added dev@harbor.test to team “Night shift”"
	rename := "Dev Harbor changed their name to “Dev Harbor”"
	team := "Ada Harbor created team “Night shift”"
	crane := "Cleo Crane created team “Crane yard”"
	staff := "Pat Admin added sam@portico.test to the provider's staff as account manager"
	for _, tc := range []struct {
		who  string
		want []string
	}{
		{"admin@portico.test", []string{revoke, add, rename, team, crane, staff}},
		{"am@portico.test", []string{revoke, add, rename, team, crane}},
		{"admin@harbor.test", []string{revoke, add, rename, team}},
		{"admin@crane.test", []string{crane}},
		{"dev@harbor.test", []string{revoke, rename}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			pg := signedInAs(t, p, tc.who).get("/audit")
			if pg.status != http.StatusOK {
				t.Fatalf("GET /audit = %d", pg.status)
			}
			got := auditSentences(pg)
			// Names come from the demo data: compare what does not depend on them.
			if diff := cmp.Diff(normalizeNames(tc.want), normalizeNames(got)); diff != "" {
				t.Errorf("trail (-want +got):\n%s", diff)
			}
			if pg.doc.Find("[data-testid=nav] a[href='/audit']").Length() != 1 {
				t.Error("no Audit link in the navigation")
			}
		})
	}
}

// normalizeNames drops the actor's name (the words before the verb) so the
// scope test does not depend on the demo's staff names.
func normalizeNames(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		for _, verb := range []string{" revoked ", " added ", " changed ", " created "} {
			if j := strings.Index(s, verb); j >= 0 {
				s = s[j+1:]
				break
			}
		}
		out[i] = s
	}
	return out
}

// TestAuditTrailPagesAndFilters: 120 events show 50 at a time, each once,
// with an event added between two loads; the filters by kind, person,
// request id and time narrow the trail; a person of another partner is
// answered like an unknown one; bad links are a clear 400.
func TestAuditTrailPagesAndFilters(t *testing.T) {
	t.Parallel()
	p := auditWorld(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO audit_events (at, actor_id, actor, partner_id, action, target_type, target, details, request_id)
		SELECT now() - interval '2 days' - i * interval '1 minute', a.id, a.email, a.partner_id, 'team.rename', 'team', 'T' || lpad(i::text, 3, '0'), jsonb_build_object('from', 'T' || i, 'to', 'T' || lpad(i::text, 3, '0')), 'bulk-' || i
		FROM users a, generate_series(1, 114) i WHERE a.email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	// A member who was removed: what they did stays findable by email.
	if _, err := p.store.DB().Exec(`
		WITH u AS (INSERT INTO users (email, name, role, partner_id, status)
			SELECT 'removed@harbor.test', 'Gone Soon', 'developer', partner_id, 'removed' FROM users WHERE email = 'admin@harbor.test'
			RETURNING id, email, partner_id)
		INSERT INTO audit_events (at, actor_id, actor, partner_id, action, target_type, target, request_id)
		SELECT now() - interval '40 days', id, email, partner_id, 'user.password_change', 'user', email, 'by-removed' FROM u`); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	seen := map[string]int{}
	var sizes []int
	path := "/audit?kind=teams"
	for i := range 5 {
		pg := admin.get(path)
		if pg.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, pg.status)
		}
		ss := auditSentences(pg)
		sizes = append(sizes, len(ss))
		for _, s := range ss {
			seen[s]++
		}
		if i == 0 {
			// Newer than every row shown: it belongs on the first page, not a later one.
			if _, err := p.store.DB().Exec(`INSERT INTO audit_events (actor_id, actor, partner_id, action, target_type, target)
				SELECT id, email, partner_id, 'team.delete', 'team', 'Late' FROM users WHERE email = 'admin@harbor.test'`); err != nil {
				t.Fatal(err)
			}
		}
		next, ok := pg.doc.Find("[data-testid=next-page]").Attr("href")
		if !ok {
			break
		}
		path = next
	}
	// Night shift created, dev added, and 114 renames: 116 team events.
	if diff := cmp.Diff([]int{50, 50, 16}, sizes); diff != "" {
		t.Errorf("events per page (-want +got):\n%s", diff)
	}
	for s, n := range seen {
		if n != 1 {
			t.Errorf("%q shown %d times", s, n)
		}
	}
	if len(seen) != 116 {
		t.Errorf("%d distinct events across pages, want 116", len(seen))
	}

	for _, tc := range []struct {
		query string
		want  int // events, sign-ins left out
		empty string
	}{
		{"range=24h&kind=teams", 3, ""}, // the late delete, the member added, Night shift created
		{"request_id=req-revoke", 1, ""},
		{"request_id=bulk-7", 1, ""},
		{"request_id=req-crane", 0, "audit-empty"},
		{"actor=dev%40harbor.test&range=all", 1, ""},
		{"actor=admin%40crane.test", 0, "audit-actor-unknown"},
		{"actor=removed%40harbor.test&range=all", 1, ""},
		{"actor=nobody%40nowhere.test", 0, "audit-actor-unknown"},
		{"kind=tokens", 1, ""},
	} {
		pg := admin.get("/audit?" + tc.query)
		if pg.status != http.StatusOK {
			t.Errorf("/audit?%s = %d", tc.query, pg.status)
			continue
		}
		got := auditSentences(pg)
		if len(got) != tc.want {
			t.Errorf("/audit?%s shows %d events %q, want %d", tc.query, len(got), got, tc.want)
		}
		if tc.empty != "" && pg.doc.Find("[data-testid="+tc.empty+"]").Length() != 1 {
			t.Errorf("/audit?%s does not say why it is empty (%s)", tc.query, tc.empty)
		}
	}
	// The request id of an event links to that request's events.
	pg := admin.get("/audit?kind=tokens")
	href, _ := pg.doc.Find("[data-testid=audit-request]").Attr("href")
	if href != "/audit?request_id=req-revoke" {
		t.Errorf("request link = %q", href)
	}

	year0 := base64.RawURLEncoding.EncodeToString([]byte("a1:3:0000-01-01T00:00:00Z"))
	offset := base64.RawURLEncoding.EncodeToString([]byte("a1:3:2026-01-01T00:00:00+20:00"))
	for _, q := range []string{"after=" + url.QueryEscape("nope"), "after=" + year0, "after=" + offset, "range=1y", "kind=everything", "request_id=" + strings.Repeat("r", 101)} {
		if pg := admin.get("/audit?" + q); pg.status != http.StatusBadRequest {
			t.Errorf("/audit?%s = %d, want 400", q, pg.status)
		}
	}
	// A developer has no person filter: their trail is theirs alone.
	if pg := signedInAs(t, p, "dev@harbor.test").get("/audit?actor=admin%40harbor.test"); pg.status != http.StatusBadRequest {
		t.Errorf("developer's person filter = %d, want 400", pg.status)
	}
}

// TestAuditTrailHidesOthersAddresses: a developer's trail says who acted
// on their tokens but not from where, unless it was them; a partner admin
// sees their people's addresses, not the account manager's; staff see all.
func TestAuditTrailHidesOthersAddresses(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	if _, err := p.store.DB().Exec(`
		INSERT INTO audit_events (actor_id, actor, partner_id, action, target_type, target_id, target, ip, request_id)
		SELECT a.id, a.email, h.partner_id, 'user.name_change', 'user', h.id, h.email, v.ip::inet, v.rid
		FROM (VALUES ('am@portico.test', '198.51.100.7', 'by-am'), ('admin@harbor.test', '198.51.100.8', 'by-admin'),
		             ('dev@harbor.test', '198.51.100.9', 'by-dev')) v(email, ip, rid)
		JOIN users a ON a.email = v.email JOIN users h ON h.email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	ips := func(who string) map[string]string {
		t.Helper()
		out := map[string]string{}
		signedInAs(t, p, who).get("/audit?kind=account").doc.Find("[data-testid=audit-event]").Each(func(_ int, s *goquery.Selection) {
			if rid := s.Find("[data-testid=audit-request]").Text(); strings.HasPrefix(rid, "by-") {
				out[rid] = ""
				if txt := s.Find("small").Text(); strings.Contains(txt, "from 198.51.100.") {
					out[rid] = txt[strings.Index(txt, "from ")+5:][:12]
				}
			}
		})
		return out
	}
	for _, tc := range []struct {
		who  string
		want map[string]string
	}{
		{"dev@harbor.test", map[string]string{"by-am": "", "by-admin": "", "by-dev": "198.51.100.9"}},
		{"admin@harbor.test", map[string]string{"by-am": "", "by-admin": "198.51.100.8", "by-dev": "198.51.100.9"}},
		{"am@portico.test", map[string]string{"by-am": "198.51.100.7", "by-admin": "198.51.100.8", "by-dev": "198.51.100.9"}},
	} {
		if diff := cmp.Diff(tc.want, ips(tc.who)); diff != "" {
			t.Errorf("addresses %s sees (-want +got):\n%s", tc.who, diff)
		}
	}
}
