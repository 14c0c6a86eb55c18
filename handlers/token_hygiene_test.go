package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/token"
)

// TestCredentialHygiene: the partner admin's hygiene page flags each of
// Harbor's open credentials for what a person would want to look at, the
// "needs attention" view lists the time-based ones, the score counts them,
// and the page is for partner admins and staff only.
func TestCredentialHygiene(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	// Harbor's developer holds fleet:read, telemetry:read and maintenance
	// read and write through the Integrations team.
	if _, err := p.store.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, last_used_at)
		SELECT u.id, u.partner_id, v.name, 'sandbox', decode(md5(v.name), 'hex'), 'ptc_sbx_…' || left(v.name, 4), v.scopes,
		       now() - v.age * interval '1 day', now() + v.left_days * interval '1 day', now() - v.used_ago * interval '1 day'
		FROM users u, (VALUES
			('fresh',      '{fleet/fleet:read}'::text[], 1, 60, NULL::int),
			('never-used', '{fleet/fleet:read}',         10, 60, NULL),
			('idle',       '{fleet/fleet:read}',         90, 60, 40),
			('expiring',   '{fleet/fleet:read}',         60, 5, 1),
			('busy',       '{fleet/fleet:read,maintenance/maintenance:read}', 60, 60, 0),
			('orphan',     '{fleet/fleet:read,telemetry/telemetry:admin}',    60, 60, 0),
			('young',      '{fleet/fleet:read,maintenance/maintenance:read}', 2, 60, 0)
		) AS v(name, scopes, age, left_days, used_ago)
		WHERE u.email = 'dev@harbor.test';
		INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('hour', now()) - interval '2 hours', t.partner_id, t.id, v.api, v.op, 'sandbox', v.calls, v.c403, 0, 0, v.c403, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens t, (VALUES ('fleet', 'listSpreaders', 5, 0), ('maintenance', 'listWorkOrders', 3, 3)) AS v(api, op, calls, c403)
		WHERE t.name IN ('busy', 'orphan', 'young')`); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	if href := admin.get("/tokens/partner").doc.Find("[data-testid=hygiene-link] a").AttrOr("href", ""); href != "/tokens/hygiene" {
		t.Errorf("the partner's token list links to %q, want the hygiene page", href)
	}
	flags := func(pg page) map[string][]string {
		out := map[string][]string{}
		pg.doc.Find("[data-testid=hygiene-row]").Each(func(_ int, s *goquery.Selection) {
			name := s.Find("[data-testid=credential-name]").Text()
			out[name] = []string{}
			s.Find("[data-testid=hygiene-flag]").Each(func(_ int, f *goquery.Selection) {
				out[name] = append(out[name], f.AttrOr("data-flag", ""))
			})
		})
		return out
	}
	res := admin.get("/tokens/hygiene")
	if res.status != http.StatusOK {
		t.Fatalf("hygiene page = %d", res.status)
	}
	if diff := cmp.Diff(map[string][]string{
		"never-used": {"never_used"}, "idle": {"idle"}, "expiring": {"expiring"},
	}, flags(res)); diff != "" {
		t.Errorf("needs attention (-want +got):\n%s", diff)
	}
	if got := text(res, "[data-testid=hygiene-score]"); got != "Harbor Logistics has 7 credentials that work; 3 need attention." {
		t.Errorf("score %q", got)
	}
	if got := text(admin.get("/"), "[data-testid=home-hygiene-score]"); got != "3 need attention, of 7 credentials." {
		t.Errorf("home's hygiene score %q", got)
	}
	// Staff see every partner's counts, linking to each partner's page.
	overview := signedInAs(t, p, "am@portico.test").get("/tokens/hygiene")
	harborRow := overview.doc.Find("[data-testid=partner-hygiene]:has(a:contains('Harbor'))")
	if got := strings.TrimSpace(harborRow.Find("[data-testid=partner-attention]").Text()); overview.status != http.StatusOK || got != "3" {
		t.Errorf("staff overview = %d, Harbor's row %q", overview.status, harborRow.Text())
	}
	all := admin.get("/tokens/hygiene?show=all")
	if diff := cmp.Diff(map[string][]string{
		"fresh": {}, "never-used": {"never_used"}, "idle": {"idle"}, "expiring": {"expiring"},
		// A 403 for maintenance is no use of its scope.
		"busy":   {"unused_scopes"},
		"orphan": {"owner_not_granted"},
		"young":  {}, // two days old: too young to judge its unused scopes
	}, flags(all)); diff != "" {
		t.Errorf("all credentials (-want +got):\n%s", diff)
	}
	busy := all.doc.Find("[data-testid=hygiene-row]:has([data-testid=credential-name]:contains('busy')) [data-flag=unused_scopes]").Text()
	if busy != "Has not used maintenance/maintenance:read in 30 days (it used fleet/fleet:read)." {
		t.Errorf("busy's flag %q", busy)
	}
	// Narrowing "busy" to what it used: the confirmation says what goes,
	// the token keeps its secret and loses the scope, its owner is told.
	narrow := all.doc.Find("[data-testid=hygiene-row]:has([data-testid=credential-name]:contains('busy')) [data-testid=narrow]").AttrOr("href", "")
	confirm := admin.get(narrow)
	if got := text(confirm, "[data-testid=narrow-drop]"); confirm.status != http.StatusOK || got != "maintenance/maintenance:read" {
		t.Fatalf("narrow confirmation %q = %d, drops %q", narrow, confirm.status, got)
	}
	if res := admin.post(confirm.doc.Find("[data-testid=confirm-narrow] form").AttrOr("action", ""), nil); res.status != http.StatusSeeOther {
		t.Fatalf("narrow = %d", res.status)
	}
	var scopes, events, mails string
	if err := p.store.DB().QueryRow(`SELECT array_to_string(scopes, ' ') FROM tokens WHERE name = 'busy'`).Scan(&scopes); err != nil || scopes != "fleet/fleet:read" {
		t.Errorf("busy's scopes after narrowing: %q (%v)", scopes, err)
	}
	if err := p.store.DB().QueryRow(`SELECT count(*)::text FROM audit_events WHERE action = 'token.narrow' AND target = 'busy'`).Scan(&events); err != nil || events != "1" {
		t.Errorf("token.narrow events: %s (%v)", events, err)
	}
	if err := p.store.DB().QueryRow(`SELECT count(*)::text FROM outbox WHERE to_email = 'dev@harbor.test' AND subject LIKE '%narrowed%'`).Scan(&mails); err != nil || mails != "1" {
		t.Errorf("owner's mails: %s (%v)", mails, err)
	}
	if got := flags(admin.get("/tokens/hygiene?show=all"))["busy"]; len(got) != 0 {
		t.Errorf("busy still flagged %v after narrowing", got)
	}
	for _, tc := range []struct {
		who, name string
		status    int
	}{
		{"admin@harbor.test", "never-used", http.StatusConflict}, // used nothing: revoke instead
		{"admin@harbor.test", "busy", http.StatusConflict},       // nothing left to drop
		{"admin@harbor.test", "young", http.StatusConflict},      // too young: its unused scopes stay
		{"admin@crane.test", "orphan", http.StatusNotFound},
		{"dev@harbor.test", "orphan", http.StatusOK}, // the owner narrows their own
	} {
		var id int64
		if err := p.store.DB().Get(&id, `SELECT id FROM tokens WHERE name = $1`, tc.name); err != nil {
			t.Fatal(err)
		}
		if got := signedInAs(t, p, tc.who).get("/tokens/" + strconv.FormatInt(id, 10) + "/narrow"); got.status != tc.status {
			t.Errorf("%s narrowing %s = %d, want %d", tc.who, tc.name, got.status, tc.status)
		}
	}
	// Revoke every never-used credential: the confirmation lists exactly
	// them; confirming revokes them and tells their owner.
	if got := signedInAs(t, p, "dev@harbor.test").get("/tokens/hygiene/revoke-unused"); got.status != http.StatusForbidden {
		t.Errorf("a developer's bulk revocation page = %d", got.status)
	}
	bulk := admin.get(all.doc.Find("[data-testid=revoke-unused]").AttrOr("href", ""))
	if bulk.status != http.StatusOK {
		t.Fatalf("bulk confirmation = %d: %s", bulk.status, text(bulk, "main"))
	}
	var listed []string
	bulk.doc.Find("[data-testid=unused-token] strong").Each(func(_ int, s *goquery.Selection) { listed = append(listed, s.Text()) })
	if diff := cmp.Diff([]string{"never-used"}, listed); diff != "" {
		t.Errorf("never-used list (-want +got):\n%s", diff)
	}
	res = admin.post(bulk.doc.Find("[data-testid=confirm-revoke-unused] form").AttrOr("action", ""), url.Values{"id": attrs(bulk, "[data-testid=confirm-revoke-unused] input[name=id]", "value")})
	if res.status != http.StatusSeeOther {
		t.Fatalf("bulk revocation = %d", res.status)
	}
	var open int
	if err := p.store.DB().Get(&open, `SELECT count(*) FROM tokens WHERE name = 'never-used' AND revoked_at IS NULL`); err != nil || open != 0 {
		t.Errorf("never-used still open: %d (%v)", open, err)
	}
	if err := p.store.DB().Get(&open, `SELECT count(*) FROM outbox WHERE to_email = 'dev@harbor.test' AND subject LIKE '%never used%'`); err != nil || open != 1 {
		t.Errorf("owner mails about the bulk revocation: %d (%v)", open, err)
	}
	if admin.get("/tokens/hygiene/revoke-unused").doc.Find("[data-testid=no-unused]").Length() != 1 {
		t.Error("the confirmation does not say nothing is left")
	}
	if res := admin.post("/tokens/hygiene/revoke-unused", url.Values{"id": {"x"}}); res.status != http.StatusBadRequest {
		t.Errorf("a made-up id = %d", res.status)
	}
	revoke := all.doc.Find("[data-testid=hygiene-row] [data-testid=revoke]").First().AttrOr("href", "")
	if confirm := admin.get(revoke); confirm.status != http.StatusOK {
		t.Errorf("revoke link %s = %d", revoke, confirm.status)
	}
	var harbor int64
	if err := p.store.DB().Get(&harbor, `SELECT id FROM partners WHERE slug = 'harbor-logistics'`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who, path string
		status    int
	}{
		{"dev@harbor.test", "/tokens/hygiene", http.StatusForbidden},
		{"admin@crane.test", "/tokens/hygiene", http.StatusOK}, // Crane's own: no credential of Harbor
		{"am@portico.test", "/partners/" + strconv.FormatInt(harbor, 10) + "/tokens/hygiene", http.StatusOK},
		{"admin@harbor.test", "/partners/" + strconv.FormatInt(harbor, 10) + "/tokens/hygiene", http.StatusForbidden},
		{"admin@portico.test", "/partners/999999/tokens/hygiene", http.StatusNotFound},
		{"admin@harbor.test", "/tokens/hygiene?after=bm9wZQ", http.StatusBadRequest},
	} {
		got := signedInAs(t, p, tc.who).get(tc.path)
		if got.status != tc.status {
			t.Errorf("%s %s = %d, want %d", tc.who, tc.path, got.status, tc.status)
		}
		if tc.who == "admin@crane.test" && got.doc.Find("[data-testid=hygiene-row]").Length() != 0 {
			t.Error("Crane's admin sees credentials of another partner")
		}
	}
}

// TestNarrowedTokenKeepsWorking: a token narrowed to the scopes its calls
// used keeps its secret and works for what it used, and the gateway
// refuses it for the API whose scope it lost.
func TestNarrowedTokenKeepsWorking(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	ctx := context.Background()
	dev, err := p.store.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	pats := pat.New(p.store, token.NewHasher(testConfig().Secret), mail.NewOutbox(p.store), "http://portal.test")
	c, err := pats.Create(ctx, access.Actor{UserID: dev.ID, Role: dev.Role, PartnerID: *dev.PartnerID},
		pat.Input{Name: "fleet job", Environment: "sandbox", Days: 30, Scopes: []string{"fleet/fleet:read", "maintenance/maintenance:read"}})
	if err != nil {
		t.Fatal(err)
	}
	call := func(path string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, p.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+c.Plaintext)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call("/sandbox/maintenance/work-orders"); got != http.StatusOK {
		t.Fatalf("maintenance before narrowing = %d", got)
	}
	// A month of fleet calls, nothing of maintenance's, from a token ten
	// days old.
	if _, err := p.store.DB().Exec(`UPDATE tokens SET created_at = now() - interval '10 days' WHERE id = $1`, c.Token.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.store.DB().Exec(`
		INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('hour', now()) - interval '5 hours', partner_id, id, 'fleet', 'listSpreaders', 'sandbox', 20, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens WHERE id = $1`, c.Token.ID); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	if res := admin.post("/tokens/"+strconv.FormatInt(c.Token.ID, 10)+"/narrow", nil); res.status != http.StatusSeeOther {
		t.Fatalf("narrow = %d", res.status)
	}
	if got := call("/sandbox/fleet/spreaders"); got != http.StatusOK {
		t.Errorf("fleet after narrowing = %d, want 200 with the same secret", got)
	}
	if got := call("/sandbox/maintenance/work-orders"); got != http.StatusNotFound {
		t.Errorf("maintenance after narrowing = %d, want 404 (no scope of that API left)", got)
	}
}
