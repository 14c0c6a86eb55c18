package handlers_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
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
			('orphan',     '{fleet/fleet:read,telemetry/telemetry:admin}',    60, 60, 0)
		) AS v(name, scopes, age, left_days, used_ago)
		WHERE u.email = 'dev@harbor.test';
		INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('hour', now()) - interval '2 hours', t.partner_id, t.id, v.api, v.op, 'sandbox', v.calls, v.c403, 0, 0, v.c403, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens t, (VALUES ('fleet', 'listSpreaders', 5, 0), ('maintenance', 'listWorkOrders', 3, 3)) AS v(api, op, calls, c403)
		WHERE t.name IN ('busy', 'orphan')`); err != nil {
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
	if got := text(res, "[data-testid=hygiene-score]"); got != "Harbor Logistics has 6 credentials that work; 3 need attention." {
		t.Errorf("score %q", got)
	}
	all := admin.get("/tokens/hygiene?show=all")
	if diff := cmp.Diff(map[string][]string{
		"fresh": {}, "never-used": {"never_used"}, "idle": {"idle"}, "expiring": {"expiring"},
		// A 403 for maintenance is no use of its scope.
		"busy":   {"unused_scopes"},
		"orphan": {"owner_not_granted"},
	}, flags(all)); diff != "" {
		t.Errorf("all credentials (-want +got):\n%s", diff)
	}
	busy := all.doc.Find("[data-testid=hygiene-row]:has([data-testid=credential-name]:contains('busy')) [data-flag=unused_scopes]").Text()
	if busy != "Has not used maintenance/maintenance:read in 30 days (it used fleet/fleet:read)." {
		t.Errorf("busy's flag %q", busy)
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
