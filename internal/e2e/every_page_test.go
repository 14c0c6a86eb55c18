package e2e_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screens are the widths every page is checked at: a phone and a laptop.
var screens = []struct{ w, h int }{{390, 844}, {1366, 900}}

// TestEveryPage opens every main page of every role — each link of the
// role's navigation and the pages behind them (an API's docs, a team, an
// access group, a partner's tokens and usage, the forms, confirmation
// pages), lists long enough for a next page, searches with and without a
// match, dashboards with and without calls — at 390×844 and at 1366×900.
// Each page must show what it is about (its wanted elements); at each width
// the document must not scroll sideways, every action in a table row must
// be reachable (on screen, or in a box that scrolls it into view), no
// script the CSP refuses may run, and axe must find nothing serious; on the
// wide screen no button stretches across its form. Each
// role has one browser context for all its pages; the roles run in
// parallel.
func TestEveryPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for _, q := range []string{
		// Rows with actions in them: tokens of every state with long names
		// (the developer's own, the partner admin's list, staff's), enough
		// for a next page, and an open invitation with a long address.
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, pending)
		 SELECT u.id, u.partner_id, v.name, v.env, decode(md5(v.name), 'hex'), 'ptc_' || left(v.env, 3) || '_…' || right(v.name, 4),
			'{fleet/fleet:read,telemetry/telemetry:read}', now() + v.days * interval '1 day', v.pending
		 FROM (VALUES ('continuous-integration-deploy-token', 'sandbox', 30, false), ('nightly-sync', 'live', 9, false),
		              ('waiting-for-approval', 'live', 60, true)) v(name, env, days, pending), users u WHERE u.email = 'dev@harbor.test'`,
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, pending)
		 SELECT u.id, u.partner_id, 'CI deploy ' || i, 'sandbox', decode(md5('phone' || i), 'hex'), 'ptc_sbx_…abcd',
		        '{fleet/fleet:read}', now() - i * interval '1 minute', now() + interval '30 days', i % 10 = 0
		 FROM users u, generate_series(1, 40) i WHERE u.email = 'dev@harbor.test'`,
		`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
		 SELECT partner_id, 'invited-colleague-with-a-long-address@harbor-logistics.test', 'developer', 'every-page'::bytea, now() + interval '7 days'
		 FROM users WHERE email = 'admin@harbor.test'`,
		`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
		 SELECT partner_id, 'invited' || i || '@harbor.test', 'developer', ('t' || i)::bytea, now() + interval '7 days'
		 FROM users, generate_series(1, 60) i WHERE email = 'admin@harbor.test'`,
		// Lists long enough for a next page.
		`INSERT INTO users (partner_id, email, name, role)
		 SELECT u.partner_id, 'member' || i || '@harbor.test', 'Member ' || i, 'developer'
		 FROM users u, generate_series(1, 60) i WHERE u.email = 'admin@harbor.test'`,
		`INSERT INTO partners (name, slug) SELECT 'Partner with a rather long name ' || i, 'partner-' || i FROM generate_series(1, 60) i`,
		`INSERT INTO users (email, name, role) SELECT 'manager' || i || '@portico.test', 'Manager ' || i, 'account_manager' FROM generate_series(1, 60) i`,
		`INSERT INTO outbox (to_email, to_name, subject, text_body, html_body) SELECT 'to' || i || '@x.test', '', 'Mail ' || i, 'text', '' FROM generate_series(1, 60) i`,
		`INSERT INTO access_groups (name, rate_limit_per_minute) SELECT 'Group ' || i, 60 FROM generate_series(1, 60) i`,
		// An ended partnership, in the account manager's book.
		`INSERT INTO partners (name, slug, status, ended_at, ended_by)
		 SELECT 'Ended Shipping Company', 'ended-shipping', 'ended', now(), id FROM users WHERE email = 'am@portico.test'`,
		`INSERT INTO partner_managers (partner_id, user_id)
		 SELECT p.id, u.id FROM partners p, users u WHERE p.slug = 'ended-shipping' AND u.email = 'am@portico.test'`,
		// A day of usage for the dashboards: a sandbox token of Harbor's
		// admin with calls every hour, some failing.
		`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		 SELECT id, partner_id, 'usage-phone', 'sandbox', '\x0e2e', 'ptc_s…e2e', '{fleet/fleet:read}', now() + interval '30 days'
		 FROM users WHERE email = 'admin@harbor.test'`,
		`INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		 SELECT date_trunc('hour', now()) - h * interval '1 hour', t.partner_id, t.id, 'fleet', 'listSpreaders', 'sandbox', 30 + 3 * h, 10 + h, 10 + h, 1, 2, h % 4, 0,
			0, 3, 6, 9, 12, 0, 3 * h, 0, 0, 0, 0, 0, 0, 0, 0, 0
		 FROM tokens t, generate_series(0, 23) h WHERE t.name = 'usage-phone'`,
		// Single sign-on for Harbor, with a long issuer (it must wrap on a
		// phone) and a group mapped to a team and to the role, for a domain
		// none of the demo accounts has (they sign in by password). The issuer's
		// host does not resolve: the sync panel says it cannot tell.
		`INSERT INTO identity_providers (partner_id, display_name, issuer, client_id, client_secret_enc, groups_claim, require_group)
		 SELECT partner_id, 'Harbor Entra ID', 'https://login.harbor-logistics-identity.invalid/4f1b2c3d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/v2.0', 'portico-portal-client', '\x00', 'groups', true
		 FROM users WHERE email = 'admin@harbor.test'`,
		`INSERT INTO sso_domains (domain, provider_id) SELECT 'harbor-logistics.example', id FROM identity_providers`,
		`INSERT INTO sso_group_mappings (provider_id, idp_group, team_id) SELECT ip.id, 'harbor-integrations', t.id
		 FROM identity_providers ip, teams t WHERE t.name = 'Integrations'`,
		`INSERT INTO sso_group_mappings (provider_id, idp_group, role) SELECT id, 'harbor-portal-admins', 'partner_admin' FROM identity_providers`,
		// Webhooks: Harbor's endpoint with a long URL, failing, and a log
		// longer than a page (successes, failures, one with no answer);
		// the account manager's endpoint for one partner.
		`INSERT INTO webhook_endpoints (partner_id, owner_id, url, description, event_types, secret_enc, secret_hint, failing_since)
		 SELECT partner_id, id, 'https://integrations.harbor-logistics.example/webhooks/portico/receiver-for-ticketing-and-crm', 'Ticketing and CRM sync',
		        '{member.invited,member.joined,token.created,token.revoked,alert.raised}', '\x00', 'whsec_…Ab3=', now() - interval '2 hours'
		 FROM users WHERE email = 'admin@harbor.test'`,
		`INSERT INTO webhook_events (msg_id, partner_id, type, body)
		 SELECT 'msg_2Lq9e2ePage' || i, partner_id, 'token.created', '{"type":"token.created","timestamp":"2026-12-05T10:00:00Z","data":{"partner":{"id":1,"name":"Harbor Logistics"},"actor":{"id":3,"email":"dev@harbor.test"},"token":{"id":' || i || ',"name":"continuous-integration-deploy-token","environment":"sandbox"}}}'
		 FROM users, generate_series(1, 30) i WHERE email = 'admin@harbor.test'`,
		`INSERT INTO webhook_deliveries (endpoint_id, event_id, state, manual)
		 SELECT e.id, ev.id, CASE WHEN right(ev.msg_id, 1) = '0' THEN 'pending' ELSE 'delivered' END, right(ev.msg_id, 1) = '5' FROM webhook_endpoints e, webhook_events ev`,
		`INSERT INTO webhook_attempts (delivery_id, endpoint_id, at, status, response, error, duration_ms)
		 SELECT d.id, d.endpoint_id, now() - d.id * interval '1 minute', CASE WHEN d.state = 'pending' THEN NULL WHEN d.id % 3 = 0 THEN 500 ELSE 200 END,
		        CASE WHEN d.id % 3 = 0 THEN '<html><body><h1>Internal Server Error</h1><p>The receiver could not store the event in the ticketing system.</p></body></html>' ELSE '{"received":true}' END,
		        CASE WHEN d.state = 'pending' THEN 'no answer within 10s' ELSE '' END, 40 + d.id
		 FROM webhook_deliveries d`,
		`INSERT INTO webhook_endpoints (owner_id, scope_partner_id, url, event_types, secret_enc, secret_hint)
		 SELECT u.id, p.id, 'https://crm.provider.example/portico', '{partner.suspended,partner.ended}', '\x00', 'whsec_…Zz9='
		 FROM users u, partners p WHERE u.email = 'am@portico.test' AND p.slug = 'harbor-logistics'`,
	} {
		if _, err := p.store.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var ids struct {
		Harbor int64 `db:"harbor"`
		Team   int64 `db:"team"`
		Group  int64 `db:"grp"`
		Grant  int64 `db:"grant_id"`
		Dev    int64 `db:"dev"`
		Token  int64 `db:"token"`
		AM     int64 `db:"am"`
		Ended  int64 `db:"ended"`
		Map    int64 `db:"mapping"`
		Hook   int64 `db:"hook"`
	}
	if err := p.store.DB().Get(&ids, `SELECT
		(SELECT partner_id FROM users WHERE email = 'admin@harbor.test') AS harbor,
		(SELECT id FROM teams WHERE name = 'Integrations') AS team,
		(SELECT id FROM access_groups WHERE name = 'Port operations') AS grp,
		(SELECT g.id FROM grants g JOIN teams t ON t.id = g.team_id WHERE t.name = 'Integrations') AS grant_id,
		(SELECT id FROM users WHERE email = 'dev@harbor.test') AS dev,
		(SELECT id FROM tokens WHERE name = 'nightly-sync') AS token,
		(SELECT id FROM users WHERE email = 'am@portico.test') AS am,
		(SELECT id FROM partners WHERE slug = 'ended-shipping') AS ended,
		(SELECT min(id) FROM sso_group_mappings) AS mapping,
		(SELECT id FROM webhook_endpoints WHERE partner_id IS NOT NULL) AS hook`); err != nil {
		t.Fatal(err)
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	harbor, team, group := id(ids.Harbor), id(ids.Team), id(ids.Group)
	hook := "/webhooks/" + id(ids.Hook)
	// page is a page to open and the elements it must show.
	type page struct {
		path string
		want []string
	}
	// sends are pages only a form's answer shows: the path (with a
	// #fragment naming it) is opened, its form sent with the button, and
	// the answer checked.
	sends := map[string]string{hook + "/rotate#secret-once": "[data-testid=confirm-button]"}
	staff := []page{
		{"/apis/fleet", nil},
		{"/partners/" + harbor, []string{"[data-testid=suspend]", "[data-testid=partner-manager]", "[data-testid=add-manager]", "[data-testid=end-date-form]"}},
		{"/partners/" + harbor + "/suspend?from=partner", []string{"[data-testid=confirm-button]"}},
		{"/partners/" + harbor + "/managers/" + id(ids.AM) + "/remove", []string{"[data-testid=confirm-button]"}},
		{"/partners/" + harbor + "/end", []string{"[data-testid=end-effects]", "[data-testid=confirm-button]"}},
		{"/partners/" + id(ids.Ended), []string{"[data-testid=ended-notice]"}},
		{"/partners/" + harbor + "/tokens?q=deploy", []string{"[data-testid=token]"}},
		{"/partners/" + harbor + "/usage", []string{"[data-testid=usage-total]"}},
		{"/partners/" + harbor + "/sso", []string{"[data-testid=sso-form]", "[data-testid=redirect-uri]", "[data-testid=sso-mapping]"}},
		{"/partners/" + harbor + "/sso/delete", []string{"[data-testid=confirm-button]"}},
		{"/audit?partner=" + harbor + "&range=all", []string{"[data-testid=audit-partner-filter]", "#audit-partner"}},
		{"/access-groups/" + group, []string{"[data-testid=grant]", "[data-testid=include-api]"}},
		{"/access-groups/" + group + "/grants/" + id(ids.Grant) + "/revoke", []string{"[data-testid=confirm-button]"}},
		{"/webhooks/new", []string{"#webhook-partner", "[data-testid=event-group]"}},
		{"/catalog/import", []string{"main form"}},
		{"/catalog/fleet/revisions", []string{"main form"}},
		{"/account", nil},
	}
	for _, role := range []struct {
		who string
		// more are pages beyond the role's navigation, or the navigation's
		// pages with what they must show.
		more []page
	}{
		{"admin@portico.test", append([]page{
			{"/partners", []string{"[data-testid=next-page]", "[data-testid=unmanaged-notice]", "[data-testid=manager-filter]"}},
			{"/partners?q=nobody-at-all", []string{"[data-testid=no-partners]"}},
			{"/staff", []string{"[data-testid=next-page]"}},
			{"/staff?q=nobody-at-all", []string{"[data-testid=no-match]"}},
			{"/outbox", []string{"[data-testid=next-page]"}},
			{"/apis", []string{"[data-testid=list-search]"}},
			{"/access-groups", []string{"[data-testid=next-page]"}},
			{"/usage?range=30d", []string{"[data-testid=table-partners]"}},
			{"/settings", []string{"[data-testid=retention-form]"}},
			{"/settings/sso", []string{"[data-testid=sso-form]"}},
			{"/resource-servers", nil},
		}, staff...)},
		{"am@portico.test", staff},
		{"admin@harbor.test", []page{
			{"/members", []string{"[data-testid=next-page]", "[data-testid=more-invitations]"}},
			{"/members?q=member+1", []string{"[data-testid=member]"}},
			{"/members?q=nobody-at-all", []string{"[data-testid=no-member-match]"}},
			{"/members/invitations", []string{"[data-testid=next-page]"}},
			{"/members/invitations?q=nobody-at-all", []string{"[data-testid=no-match]"}},
			{"/sso", []string{"[data-testid=sso-provider]", "[data-testid=sso-mapping]", "[data-testid=sso-mapping-add]", "[data-testid=sso-sync]"}},
			{"/sso/mappings/" + id(ids.Map) + "/delete", []string{"[data-testid=confirm-button]"}},
			{"/access", []string{"[data-testid=reach-pager]"}},
			{"/access?q=nobody-at-all", []string{"[data-testid=no-reach-match]"}},
			{"/audit", []string{"[data-testid=audit-events]"}},
			{"/audit?request_id=nothing-like-it", []string{"[data-testid=audit-empty]"}},
			{"/audit?source=calls", []string{"[data-testid=calls-empty]"}},
			{"/usage", []string{"[data-testid=chart-requests] svg"}},
			{"/teams/" + team, []string{"[data-testid=team-member]"}},
			{"/teams/" + team + "/members/" + id(ids.Dev) + "/remove", []string{"[data-testid=confirm-button]"}},
			{"/tokens/partner", []string{"[data-testid=next-page]"}},
			{"/tokens/partner?status=pending", []string{"[data-testid=token]"}},
			{"/tokens/partner?status=revoked&q=nobody-at-all", []string{"[data-testid=no-tokens]"}},
			{"/tokens/" + id(ids.Token) + "/revoke?from=partner", []string{"[data-testid=confirm-revoke-button]"}},
			{"/tokens/new", nil},
			{"/tokens/new-client", nil},
			{"/apis/fleet", nil},
			{"/account", nil},
			{"/webhooks", []string{"[data-testid=webhook]"}},
			{"/webhooks/new", []string{"[data-testid=event-group]"}},
			{hook, []string{"[data-testid=delivery] details", "[data-testid=log-pager]", "[data-testid=send-test]"}},
			{hook + "/edit", []string{"#webhook-url"}},
			{hook + "/disable", []string{"[data-testid=confirm-button]"}},
			{hook + "/delete", []string{"[data-testid=confirm-button]"}},
			{hook + "/rotate", []string{"#webhook-grace"}},
			// Last: the secret shown once, after the rotation.
			{hook + "/rotate#secret-once", []string{"[data-testid=webhook-secret]"}},
		}},
		{"dev@harbor.test", []page{
			{"/tokens", []string{"[data-testid=next-page]", "[data-testid=revoke-token]"}},
			{"/usage?range=7d", []string{"[data-testid=usage-empty]"}},
			{"/tokens/new", nil},
			{"/apis/fleet", nil},
			{"/account", nil},
		}},
	} {
		t.Run(role.who, func(t *testing.T) {
			t.Parallel()
			tb := p.signIn(t, browserContext(t), role.who)
			nav := eval[[]string](tb, `[...document.querySelectorAll("[data-testid=nav] a")].map(a => new URL(a.href).pathname)`)
			if len(nav) < 3 {
				t.Fatalf("%s's navigation has %d links: %v", role.who, len(nav), nav)
			}
			pages, seen := role.more, map[string]bool{}
			for _, pg := range pages {
				seen[pg.path] = true
			}
			for _, path := range nav {
				if !seen[path] {
					pages, seen[path] = append(pages, page{path: path}), true
				}
			}
			for _, pg := range pages {
				path := pg.path
				tb.do("open "+path, chromedp.Navigate(p.URL+path))
				if button := sends[path]; button != "" {
					tb.do("send the form of "+path, chromedp.Click(chromedp.CSS(button)), chromedp.WaitVisible(chromedp.CSS(pg.want[0])))
				}
				if got := eval[string](tb, `location.pathname`); got != pathOnly(path) {
					t.Errorf("%s: landed on %s", path, got)
				}
				for _, sel := range pg.want {
					if !tb.shows(sel, 5*time.Second) {
						t.Errorf("%s as %s shows no %s", path, role.who, sel)
					}
				}
				for _, s := range screens {
					where := fmt.Sprintf("%s at %d px as %s", path, s.w, role.who)
					tb.do("resize to "+where, chromedp.EmulateViewport(int64(s.w), int64(s.h)))
					tb.checkFits(t, where, s.w)
					tb.checkRowActions(t, where)
					if s.w > 1000 {
						// Buttons size to their words (Pico draws submit buttons
						// full width; issue 15).
						if wide := eval[[]string](tb, `[...document.querySelectorAll("main button[type=submit]")].
							filter(b => b.getBoundingClientRect().width > 480).map(b => b.textContent.trim())`); len(wide) > 0 {
							t.Errorf("%s: buttons as wide as their form: %v", where, wide)
						}
					}
					checkAccessibility(t, tb, where)
				}
			}
		})
	}
}

// shows reports whether an element matching sel is on the page within d
// (some parts arrive after the load event).
func (tb *tab) shows(sel string, d time.Duration) bool {
	tb.t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if eval[bool](tb, `document.querySelector(`+strconv.Quote(sel)+`) !== null`) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func pathOnly(path string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	return u.Path
}

// checkRowActions fails t for every link, button or field in a table row
// that a person cannot reach on this screen: one outside the viewport's
// width that no scrolling box can bring into view, or one cut off by a box
// that clips without scrolling. An action inside a scrolling box counts as
// being where the box can scroll it to: a box wider than the screen, or
// one that cannot scroll far enough, does not help.
func (tb *tab) checkRowActions(t *testing.T, where string) {
	t.Helper()
	if bad := tb.rowActionsOutOfReach(); len(bad) > 0 {
		t.Errorf("%s: actions in table rows out of reach: %v", where, bad)
	}
}

// rowActionsOutOfReach names the actions checkRowActions fails on.
func (tb *tab) rowActionsOutOfReach() []string {
	tb.t.Helper()
	return eval[[]string](tb, `(() => {
		const vw = document.documentElement.clientWidth, out = [];
		for (const el of document.querySelectorAll("tr a[href], tr button, tr summary, tr input:not([type=hidden]), tr select")) {
			const r = el.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue; // not drawn (in a closed <details>)
			let left = r.left, right = r.right, why = "";
			for (let box = el.parentElement; box && !why; box = box.parentElement) {
				const o = getComputedStyle(box).overflowX, b = box.getBoundingClientRect();
				if (o === "visible") continue;
				if (o === "auto" || o === "scroll") {
					// Scrolled as far as the box goes either way, the action's left
					// edge can be anywhere in [lo, hi]: take the place nearest the
					// box's (and the screen's) left edge.
					const w = right - left, x = left - b.left + box.scrollLeft, maxScroll = box.scrollWidth - box.clientWidth;
					const lo = b.left + x - maxScroll, hi = b.left + x;
					left = Math.min(Math.max(Math.max(b.left, 0), lo), hi);
					right = left + w;
					if (right > b.left + box.clientWidth + 0.5) why = "wider than its scrolling box";
				} else if (left < b.left - 0.5 || right > b.right + 0.5) {
					why = "cut off by a box that does not scroll";
				}
			}
			if (!why && (left < -0.5 || right > vw + 0.5)) why = "off screen (" + Math.round(left) + "–" + Math.round(right) + " px of " + vw + ")";
			if (why) out.push((el.textContent.trim() || el.getAttribute("aria-label") || el.tagName) + ": " + why);
		}
		return out;
	})()`)
}

// TestLayoutChecks shows that the checks of TestEveryPage fail where they
// should: on small pages with a wide table loose, in a scrolling box, and
// in a box that clips.
func TestLayoutChecks(t *testing.T) {
	t.Parallel()
	const table = `<table style="width:1000px"><tr><td>A row</td><td style="text-align:right"><button>Revoke</button></td></tr></table>`
	pages := map[string]string{
		"/loose":    table,
		"/scrolls":  `<div style="overflow-x:auto">` + table + `</div>`,
		"/clipped":  `<div style="overflow:hidden">` + table + `</div>`,
		"/too-wide": `<div style="overflow-x:auto;width:1000px">` + table + `</div>`,
		"/narrow":   `<table><tr><td>A row</td><td><a href="/">Revoke</a></td></tr></table>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width"></head><body style="margin:0">%s</body></html>`, pages[r.URL.Path])
	}))
	t.Cleanup(srv.Close)
	tb := newTab(t, browserContext(t))
	tb.do("phone width", chromedp.EmulateViewport(390, 844))
	for _, tc := range []struct {
		path        string
		wide        bool
		unreachable string
	}{
		{"/loose", true, "off screen"},
		{"/scrolls", false, ""},
		{"/clipped", false, "cut off by a box that does not scroll"},
		{"/too-wide", true, "off screen"},
		{"/narrow", false, ""},
	} {
		tb.do("open "+tc.path, chromedp.Navigate(srv.URL+tc.path))
		if wide := tb.tooWide(390); (len(wide) > 0) != tc.wide {
			t.Errorf("%s: too wide = %v, want wide %v", tc.path, wide, tc.wide)
		}
		bad := tb.rowActionsOutOfReach()
		switch {
		case tc.unreachable == "" && len(bad) > 0:
			t.Errorf("%s: out of reach %v, want none", tc.path, bad)
		case tc.unreachable != "" && (len(bad) != 1 || !strings.Contains(bad[0], tc.unreachable)):
			t.Errorf("%s: out of reach %v, want Revoke %s", tc.path, bad, tc.unreachable)
		}
	}
}
