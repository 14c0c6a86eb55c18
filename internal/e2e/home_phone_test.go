package e2e_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHomeOnAPhone opens each role's home page at 360 px with something in
// every item (expiring tokens, calls, a quota nearly used, pending tokens
// and invitations, members in no team, recent grants, a mail waiting):
// each fits the screen, runs no script the CSP refuses, passes axe, and is
// saved as a screenshot (home-<role>.png).
func TestHomeOnAPhone(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO users (partner_id, email, name, role)
		SELECT u.partner_id, 'member-with-a-rather-long-name-' || i || '@harbor-logistics.test', 'Member with a rather long name ' || i, 'developer'
		FROM users u, generate_series(1, 25) i WHERE u.email = 'admin@harbor.test';
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, pending)
		SELECT u.id, u.partner_id, v.name, v.env, decode(md5(v.name), 'hex'), 'ptc_…' || right(v.name, 4), '{fleet/fleet:read}',
			now() + v.days * interval '1 day', v.pending
		FROM (VALUES ('ci-deploy-token-with-a-long-name', 'sandbox', 3, false), ('nightly-sync', 'live', 9, false),
		             ('waiting-live', 'live', 30, true)) v(name, env, days, pending), users u WHERE u.email = 'dev@harbor.test';
		-- 85,127 calls this hour, in each rollup as the calls writer keeps them.
		INSERT INTO api_usage_minutes (minute, partner_id, token_id, api, operation, status_class, count, latency_sum_us, latency_buckets)
		SELECT date_trunc('minute', now()), t.partner_id, t.id, 'fleet', 'listSpreaders', v.c, v.n, 0, array_fill(0::bigint, ARRAY[16])
		FROM tokens t, (VALUES (2, 85000), (4, 120), (5, 7)) v(c, n) WHERE t.name = 'ci-deploy-token-with-a-long-name';
		INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('hour', now()), t.partner_id, t.id, 'fleet', 'listSpreaders', 'sandbox', 85127, 120, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens t WHERE t.name = 'ci-deploy-token-with-a-long-name';
		INSERT INTO api_usage_days (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', t.partner_id, 'fleet', 'listSpreaders', 'sandbox', 85127, 120, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens t WHERE t.name = 'ci-deploy-token-with-a-long-name';
		INSERT INTO api_usage_partner_days (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', t.partner_id, 'fleet', 'sandbox', 85127, 120, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens t WHERE t.name = 'ci-deploy-token-with-a-long-name';
		INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
		SELECT partner_id, 'invited-colleague-' || i || '@harbor-logistics.test', 'developer', ('h' || i)::bytea, now() + interval '7 days'
		FROM users, generate_series(1, 6) i WHERE email = 'admin@harbor.test';
		INSERT INTO outbox (to_email, to_name, subject, text_body, html_body) VALUES ('someone@x.test', '', 'Invitation', 'text', '')`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who, name string
		// items must show on the page.
		items []string
	}{
		{"dev@harbor.test", "developer", []string{"apis", "tokens", "calls"}},
		{"dev@crane.test", "developer-first-call", []string{"try-it", "apis", "tokens", "calls"}},
		{"admin@harbor.test", "partner-admin", []string{"approvals", "invitations", "teamless", "calls", "quotas", "quota"}},
		{"am@portico.test", "account-manager", []string{"partner-usage", "near-quota", "alert", "grants"}},
		{"admin@portico.test", "platform-admin", []string{"gateway-errors", "outbox", "retention"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := p.signIn(t, browserContext(t), tc.who)
			tb.do("phone width", chromedp.EmulateViewport(360, 800))
			tb.do("open /", chromedp.Navigate(p.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".home-items")))
			for _, id := range tc.items {
				if !eval[bool](tb, `document.querySelector("[data-testid=home-`+id+`]") !== null`) {
					t.Errorf("%s: no item %s", tc.who, id)
				}
			}
			tb.checkFits(t, "/ as "+tc.who, 360)
			checkAccessibility(t, tb, "/ as "+tc.who+" at 360 px")
			tb.screenshotOf("main", "home-"+strings.ReplaceAll(tc.name, " ", "-")+".png")
		})
	}
}
