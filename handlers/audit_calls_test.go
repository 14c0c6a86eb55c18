package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// callPaths lists the "METHOD path status" of an audit page's calls.
func callPaths(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=audit-call]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.Join(strings.Fields(s.Find("code").First().Text()), " ")+" "+s.AttrOr("data-status", ""))
	})
	return out
}

// addCalls records calls as the gateway does: one by Harbor's developer's
// token, one by Harbor's admin's, one by Crane's developer's, and one
// without a credential, a minute apart, oldest first.
func addCalls(t *testing.T, p *portal) {
	t.Helper()
	if _, err := p.store.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT id, partner_id, split_part(email, '@', 1) || '-key', 'sandbox', decode(md5(email), 'hex'), 'ptc_s…' || left(email, 2), '{fleet/fleet:read}', now() + interval '30 days'
		FROM users WHERE email IN ('dev@harbor.test', 'admin@harbor.test', 'dev@crane.test');
		INSERT INTO api_calls (at, partner_id, token_id, api, operation, environment, method, path, status, latency_us, client_ip, user_agent, request_id, bytes_in, bytes_out)
		SELECT now() - v.ago * interval '1 minute', t.partner_id, t.id, 'fleet', 'listSpreaders', 'sandbox', 'GET', v.path, v.status, 1234, '203.0.113.9', 'test', v.rid, 0, 10
		FROM (VALUES (4, 'dev@harbor.test', '/sandbox/fleet/v1/spreaders', 200, 'rid-harbor-dev'),
		             (3, 'admin@harbor.test', '/sandbox/fleet/v1/cranes', 404, 'rid-harbor-admin'),
		             (2, 'dev@crane.test', '/sandbox/fleet/v1/yards', 500, 'rid-crane-dev'),
		             (1, NULL, '/sandbox/fleet/v1/nobody', 401, 'rid-nobody')) v(ago, email, path, status, rid)
		LEFT JOIN users u ON u.email = v.email
		LEFT JOIN tokens t ON t.user_id = u.id AND t.name = split_part(u.email, '@', 1) || '-key'`); err != nil {
		t.Fatal(err)
	}
}

// TestAuditCallsScopes: the calls of the trail, by role: a developer sees
// the calls of their own tokens, a partner admin their partner's, an
// account manager every partner's, the platform admin also calls that
// carried no valid credential. A request id finds its call and its
// portal actions; the status filter narrows; bad filters are a 400.
func TestAuditCallsScopes(t *testing.T) {
	t.Parallel()
	p := auditWorld(t)
	addCalls(t, p)
	devCall := "GET /sandbox/fleet/v1/spreaders 200"
	adminCall := "GET /sandbox/fleet/v1/cranes 404"
	craneCall := "GET /sandbox/fleet/v1/yards 500"
	nobody := "GET /sandbox/fleet/v1/nobody 401"
	for _, tc := range []struct {
		who  string
		want []string
	}{
		{"admin@portico.test", []string{nobody, craneCall, adminCall, devCall}},
		{"am@portico.test", []string{craneCall, adminCall, devCall}},
		{"admin@harbor.test", []string{adminCall, devCall}},
		{"dev@harbor.test", []string{devCall}},
		{"dev@crane.test", []string{craneCall}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := signedInAs(t, p, tc.who)
			pg := b.get("/audit?source=calls")
			if pg.status != http.StatusOK {
				t.Fatalf("GET /audit?source=calls = %d", pg.status)
			}
			if diff := cmp.Diff(tc.want, callPaths(pg)); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			// Another partner's request id finds nothing, said so.
			other := "rid-crane-dev"
			if strings.HasSuffix(tc.who, "@crane.test") {
				other = "rid-harbor-dev"
			}
			if tc.who == "admin@portico.test" || tc.who == "am@portico.test" {
				return
			}
			pg = b.get("/audit?request_id=" + other)
			if n := len(callPaths(pg)); n != 0 || pg.doc.Find("[data-testid=calls-empty]").Length() != 1 {
				t.Errorf("%s finds %d calls of another partner's request id", tc.who, n)
			}
		})
	}

	admin := signedInAs(t, p, "admin@harbor.test")
	pg := admin.get("/audit?request_id=rid-harbor-dev")
	if diff := cmp.Diff([]string{devCall}, callPaths(pg)); diff != "" {
		t.Errorf("request id search (-want +got):\n%s", diff)
	}
	if got := text(pg, "[data-testid=call-token]"); !strings.HasPrefix(got, "dev-key (") {
		t.Errorf("call token = %q, want its name and hint", got)
	}
	if got := text(pg, "[data-testid=call-member]"); got != "Dev Harbor" {
		t.Errorf("call member = %q", got)
	}
	// The same request's portal action shows beside it.
	pg = admin.get("/audit?request_id=req-revoke")
	if got := auditSentences(pg); len(got) != 1 || pg.doc.Find("[data-testid=calls-empty]").Length() != 1 {
		t.Errorf("request id of a portal action: %d actions %q, calls-empty %d", len(got), got, pg.doc.Find("[data-testid=calls-empty]").Length())
	}
	if diff := cmp.Diff([]string{adminCall}, callPaths(admin.get("/audit?source=calls&status=4xx"))); diff != "" {
		t.Errorf("4xx calls (-want +got):\n%s", diff)
	}
	if got := callPaths(admin.get("/audit?source=calls&api=telemetry")); len(got) != 0 {
		t.Errorf("telemetry calls = %q, want none", got)
	}
	// Staff are told a slug names no API; a partner user is told only
	// that no call matches, as for an API they are not granted.
	am := signedInAs(t, p, "am@portico.test")
	if pg := am.get("/audit?source=calls&api=no-such-api"); !strings.Contains(text(pg, "[data-testid=calls-empty]"), "No API is called “no-such-api”") {
		t.Errorf("unknown API filter says %q", text(pg, "[data-testid=calls-empty]"))
	}
	if status, _, _ := am.download("/audit/export?source=calls&api=no-such-api&format=csv"); status != http.StatusBadRequest {
		t.Errorf("export of an unknown API's calls = %d, want 400", status)
	}
	if pg := admin.get("/audit?source=calls&api=no-such-api"); strings.Contains(text(pg, "[data-testid=calls-empty]"), "No API is called") {
		t.Errorf("a partner admin learns that no API has a slug: %q", text(pg, "[data-testid=calls-empty]"))
	}
	for _, q := range []string{"source=everything", "source=calls&status=3xx", "source=calls&after=bad", "source=calls&api=" + strings.Repeat("a", 101)} {
		if pg := admin.get("/audit?" + q); pg.status != http.StatusBadRequest {
			t.Errorf("/audit?%s = %d, want 400", q, pg.status)
		}
	}
}

// TestAuditCallsPages: 120 calls show 50 at a time, each once, with a
// call recorded between two loads.
func TestAuditCallsPages(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	addCalls(t, p)
	db := p.store.DB()
	if _, err := db.Exec(`
		INSERT INTO api_calls (at, partner_id, token_id, api, operation, environment, method, path, status, latency_us, user_agent, request_id, bytes_in, bytes_out)
		SELECT now() - interval '1 hour' - (i / 2) * interval '1 second', t.partner_id, t.id, 'fleet', '', 'sandbox', 'GET', '/p/' || i, 200, 10, 't', 'bulk-' || lpad(i::text, 3, '0'), 0, 0
		FROM tokens t, generate_series(1, 118) i WHERE t.name = 'dev-key'`); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	seen := map[string]int{}
	var sizes []int
	path := "/audit?source=calls"
	for i := range 5 {
		pg := admin.get(path)
		if pg.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, pg.status)
		}
		got := callPaths(pg)
		sizes = append(sizes, len(got))
		for _, c := range got {
			seen[c]++
		}
		if i == 0 {
			if _, err := db.Exec(`INSERT INTO api_calls (at, partner_id, token_id, api, operation, environment, method, path, status, latency_us, user_agent, request_id, bytes_in, bytes_out)
				SELECT now(), partner_id, id, 'fleet', '', 'sandbox', 'GET', '/late', 200, 10, 't', 'late-one', 0, 0 FROM tokens WHERE name = 'dev-key'`); err != nil {
				t.Fatal(err)
			}
		}
		next, ok := pg.doc.Find("[data-testid=next-page]").Attr("href")
		if !ok {
			break
		}
		path = next
	}
	// Two of addCalls' are Harbor's, with the 118: 120. Pairs share a second: the request id orders them.
	if diff := cmp.Diff([]int{50, 50, 20}, sizes); diff != "" {
		t.Errorf("calls per page (-want +got):\n%s", diff)
	}
	for c, n := range seen {
		if n != 1 {
			t.Errorf("%s shown %d times", c, n)
		}
	}
	if len(seen) != 120 {
		t.Errorf("%d distinct calls across pages, want 120", len(seen))
	}
}

// TestAuditRequestIDBeyondAPage: a request id a client sent with 60 calls
// shows the first 50 beside the portal actions, with a link to the calls
// alone, which pages through all 60, each once.
func TestAuditRequestIDBeyondAPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	addCalls(t, p)
	if _, err := p.store.DB().Exec(`
		INSERT INTO api_calls (at, partner_id, token_id, api, operation, environment, method, path, status, latency_us, user_agent, request_id, bytes_in, bytes_out)
		SELECT now() - interval '1 hour' - i * interval '1 second', t.partner_id, t.id, 'fleet', '', 'sandbox', 'GET', '/again/' || i, 200, 10, 't', 'same-id', 0, 0
		FROM tokens t, generate_series(1, 60) i WHERE t.name = 'dev-key'`); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	pg := admin.get("/audit?request_id=same-id")
	if n := len(callPaths(pg)); n != 50 {
		t.Errorf("the request id's page lists %d calls, want the first 50", n)
	}
	if pg.doc.Find("[data-testid=next-page]").Length() != 0 {
		t.Error("the page of both lists has a pager of its own")
	}
	if got := pg.doc.Find("#audit-source option[selected]").Text(); got != "Portal actions and API calls" {
		t.Errorf("the source list says %q, want both", got)
	}
	path, ok := pg.doc.Find("[data-testid=more-calls]").Attr("href")
	if !ok {
		t.Fatal("no link to the rest of the calls")
	}
	seen := map[string]int{}
	for range 3 {
		pg := admin.get(path)
		for _, c := range callPaths(pg) {
			seen[c]++
		}
		if pg.doc.Find("[data-testid=audit-event]").Length() != 0 {
			t.Errorf("%s lists portal actions too", path)
		}
		if path, ok = pg.doc.Find("[data-testid=next-page]").Attr("href"); !ok {
			break
		}
	}
	if len(seen) != 60 {
		t.Errorf("%d distinct calls across the pages, want 60", len(seen))
	}
	for c, n := range seen {
		if n != 1 {
			t.Errorf("%s shown %d times", c, n)
		}
	}
	if pg := admin.get("/audit?request_id=same-id&source=events"); pg.status != http.StatusOK || len(callPaths(pg)) != 0 {
		t.Errorf("the request id's portal actions alone = %d with %d calls, want 200 and none", pg.status, len(callPaths(pg)))
	}
	if pg := admin.get("/audit?source=everything"); pg.status != http.StatusBadRequest {
		t.Errorf("an unknown source = %d, want 400", pg.status)
	}
}

// TestAuditTokenFilter: a call's token links to that token's calls and
// what was done to it; another partner's token shows nothing; a token
// that is not a number is a 400.
func TestAuditTokenFilter(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	addCalls(t, p)
	ids := map[string]string{}
	for _, name := range []string{"dev-key", "admin-key"} {
		var id string
		if err := p.store.DB().Get(&id, `SELECT t.id::text FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.name = $1 AND u.email LIKE '%@harbor.test'`, name); err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	var crane string
	if err := p.store.DB().Get(&crane, `SELECT t.id::text FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.email = 'dev@crane.test'`); err != nil {
		t.Fatal(err)
	}
	// What was done to the developer's token, and to the admin's.
	if _, err := p.store.DB().Exec(`
		INSERT INTO audit_events (actor, partner_id, action, target_type, target_id, target, request_id)
		SELECT 'admin@harbor.test', t.partner_id, 'token.revoke', 'token', t.id, t.name, 'rid-revoke-' || t.name
		FROM tokens t WHERE t.id IN ($1, $2)`, ids["dev-key"], ids["admin-key"]); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	pg := admin.get("/audit?source=calls")
	var href string
	pg.doc.Find("[data-testid=call-token]").Each(func(_ int, s *goquery.Selection) {
		if strings.HasPrefix(s.Text(), "dev-key") {
			href = s.AttrOr("href", "")
		}
	})
	if !strings.Contains(href, "token="+ids["dev-key"]) {
		t.Fatalf("the developer's token links to %q, want its calls alone", href)
	}
	pg = admin.get(href)
	if diff := cmp.Diff([]string{"GET /sandbox/fleet/v1/spreaders 200"}, callPaths(pg)); diff != "" {
		t.Errorf("the token's calls (-want +got):\n%s", diff)
	}
	if pg.doc.Find("[data-testid=audit-token-clear]").Length() != 1 {
		t.Error("no link drops the token filter")
	}
	events := admin.get("/audit?token=" + ids["dev-key"]).doc.Find("[data-testid=audit-event]")
	if events.Length() != 1 || !strings.Contains(events.Text(), "dev-key") {
		t.Errorf("what was done to the token = %d events (%q), want its revocation alone", events.Length(), events.Text())
	}
	for _, path := range []string{"/audit?source=calls&token=" + crane, "/audit?token=" + crane} {
		pg := admin.get(path)
		if pg.status != http.StatusOK || len(callPaths(pg)) != 0 || pg.doc.Find("[data-testid=audit-event]").Length() != 0 {
			t.Errorf("GET %s by Harbor's admin = %d with %d calls, %d events; want 200 and nothing of Crane's", path, pg.status,
				len(callPaths(pg)), pg.doc.Find("[data-testid=audit-event]").Length())
		}
	}
	for _, bad := range []string{"/audit?token=abc", "/audit?source=calls&token=0", "/audit?token=-1"} {
		if pg := admin.get(bad); pg.status != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", bad, pg.status)
		}
	}
}
