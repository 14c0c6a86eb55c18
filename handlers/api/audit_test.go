package api_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type auditEventBody struct {
	Action    string `json:"action"`
	Sentence  string `json:"sentence"`
	Actor     string `json:"actor"`
	RequestID string `json:"request_id"`
}

type auditCallBody struct {
	Path   string `json:"path"`
	Status int    `json:"status"`
	Member string `json:"member"`
}

// TestAuditAPI: /api/v1/audit and /api/v1/audit/calls answer each role
// the scope the policy gives it (never another partner's rows), page by
// cursor without repeating a row, take the page's filters, refuse bad
// ones before any query, and need portal:audit:read on a token.
func TestAuditAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.store.DB().Exec(`
		INSERT INTO audit_events (at, actor_id, actor, partner_id, action, target_type, target, request_id)
		SELECT now() - i * interval '1 minute', u.id, u.email, u.partner_id, 'team.create', 'team', 'T' || i || ' ' || u.email, 'api-' || i || '-' || translate(split_part(u.email, '@', 2), '.', '_')
		FROM users u, generate_series(1, 5) i WHERE u.email IN ('admin@harbor.test', 'admin@crane.test');
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT id, partner_id, 'k-' || email, 'sandbox', decode(md5(email), 'hex'), 'ptc_sbx_…' || left(md5(email), 4), '{fleet/fleet:read}', now() + interval '30 days'
		FROM users WHERE email IN ('dev@harbor.test', 'dev@crane.test');
		INSERT INTO api_calls (at, partner_id, token_id, api, operation, environment, method, path, status, latency_us, user_agent, request_id, bytes_in, bytes_out)
		SELECT now() - interval '1 minute', t.partner_id, t.id, 'fleet', '', 'sandbox', 'GET', '/c/' || t.name, 503, 2500, 'x', 'call-' || translate(t.name, '@.', '__'), 0, 0
		FROM tokens t WHERE t.name LIKE 'k-%'`); err != nil {
		t.Fatal(err)
	}
	teamEvents := func(cookie string) []string {
		t.Helper()
		var out []string
		for _, ev := range decodeBody[list[auditEventBody]](t, e.call(cookie, "GET", "/api/v1/audit?kind=teams", "")).Items {
			out = append(out, ev.Actor)
		}
		return out
	}
	h5 := []string{"admin@harbor.test", "admin@harbor.test", "admin@harbor.test", "admin@harbor.test", "admin@harbor.test"}
	c5 := []string{"admin@crane.test", "admin@crane.test", "admin@crane.test", "admin@crane.test", "admin@crane.test"}
	harborAdmin := e.signIn("admin@harbor.test")
	if diff := cmp.Diff(h5, teamEvents(harborAdmin)); diff != "" {
		t.Errorf("Harbor's admin (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(c5, teamEvents(e.signIn("admin@crane.test"))); diff != "" {
		t.Errorf("Crane's admin (-want +got):\n%s", diff)
	}
	if got := teamEvents(e.signIn("dev@harbor.test")); len(got) != 0 {
		t.Errorf("Harbor's developer reads their admin's actions: %q", got)
	}
	am := e.signIn("am@portico.test")
	if got := teamEvents(am); len(got) != 10 {
		t.Errorf("account manager reads %d team actions, want 10", len(got))
	}

	// Pages of 3 over the 10: each once.
	seen := map[string]int{}
	path := "/api/v1/audit?kind=teams&limit=3"
	for range 5 {
		page := decodeBody[list[auditEventBody]](t, e.call(am, "GET", path, ""))
		for _, ev := range page.Items {
			seen[ev.RequestID]++
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/audit?kind=teams&limit=3&cursor=" + *page.NextCursor
	}
	if len(seen) != 10 {
		t.Errorf("pages served %d distinct actions, want 10: %v", len(seen), seen)
	}

	// Calls: each developer's own; the partner admin's partner's.
	calls := func(cookie string) []string {
		t.Helper()
		var out []string
		for _, c := range decodeBody[list[auditCallBody]](t, e.call(cookie, "GET", "/api/v1/audit/calls?status=5xx", "")).Items {
			out = append(out, c.Path)
		}
		return out
	}
	if diff := cmp.Diff([]string{"/c/k-dev@harbor.test"}, calls(e.signIn("dev@harbor.test"))); diff != "" {
		t.Errorf("Harbor developer's calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/c/k-dev@harbor.test"}, calls(harborAdmin)); diff != "" {
		t.Errorf("Harbor admin's calls (-want +got):\n%s", diff)
	}
	if got := calls(am); len(got) != 2 {
		t.Errorf("account manager reads %d calls, want 2", len(got))
	}
	rec := e.call(harborAdmin, "GET", "/api/v1/audit/calls?request_id=call-k-dev_crane_test", "")
	if got := decodeBody[list[auditCallBody]](t, rec).Items; len(got) != 0 {
		t.Errorf("Harbor's admin finds Crane's call by its request id: %+v", got)
	}
	// One token's calls: the account manager's view narrowed; Harbor's
	// admin asking for Crane's token gets nothing.
	var harborToken, craneToken string
	if err := e.store.DB().Get(&harborToken, `SELECT id::text FROM tokens WHERE name = 'k-dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DB().Get(&craneToken, `SELECT id::text FROM tokens WHERE name = 'k-dev@crane.test'`); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, c := range decodeBody[list[auditCallBody]](t, e.call(am, "GET", "/api/v1/audit/calls?token_id="+harborToken, "")).Items {
		paths = append(paths, c.Path)
	}
	if diff := cmp.Diff([]string{"/c/k-dev@harbor.test"}, paths); diff != "" {
		t.Errorf("one token's calls (-want +got):\n%s", diff)
	}
	if got := decodeBody[list[auditCallBody]](t, e.call(harborAdmin, "GET", "/api/v1/audit/calls?token_id="+craneToken, "")).Items; len(got) != 0 {
		t.Errorf("Harbor's admin reads Crane's token's calls: %+v", got)
	}

	for _, tc := range []struct{ path, code string }{
		{"/api/v1/audit?range=forever", "bad_request"},
		{"/api/v1/audit?kind=nope", "bad_request"},
		{"/api/v1/audit/calls?token_id=x", "bad_request"},
		{"/api/v1/audit?cursor=zzz", "bad_request"},
		{"/api/v1/audit?limit=0", "bad_request"},
		{"/api/v1/audit/calls?status=3xx", "bad_request"},
	} {
		want(t, tc.path, e.callOff(harborAdmin, "GET", tc.path, "", ""), http.StatusBadRequest, tc.code)
	}
	// Only staff learn that no API has a slug.
	want(t, "unknown API, staff", e.call(am, "GET", "/api/v1/audit/calls?api=nope", ""), http.StatusBadRequest, "bad_request")
	want(t, "unknown API, partner admin", e.call(harborAdmin, "GET", "/api/v1/audit/calls?api=nope", ""), http.StatusOK, "")
	want(t, "signed out", e.call("", "GET", "/api/v1/audit", ""), http.StatusUnauthorized, "unauthorized")

	reader := e.createToken(harborAdmin, "live", "portal:audit:read").Token
	want(t, "token with portal:audit:read", e.bearer(reader, "GET", "/api/v1/audit", ""), http.StatusOK, "")
	other := e.createToken(harborAdmin, "live", "portal:teams:read").Token
	want(t, "token without portal:audit:read", e.bearer(other, "GET", "/api/v1/audit/calls", ""), http.StatusForbidden, "insufficient_scope")
}
