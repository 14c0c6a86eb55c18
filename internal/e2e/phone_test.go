package e2e_test

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestNewPagesOnAPhone opens the pages this round of work added or
// changed, at 390 px: the members list and the access page with their
// search and pager (with enough members for a next page), searches with
// no match, the audit trail (with events, empty, and its calls), the usage
// dashboards (a partner admin's with a day of calls, a developer's empty,
// staff's, and staff's of one partner), the settings page with its
// retention form, and the API lifecycle page with its body-limit form.
// Each fits the screen, runs no script the CSP refuses and passes axe.
func TestNewPagesOnAPhone(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO users (partner_id, email, name, role)
		SELECT u.partner_id, 'member' || i || '@harbor.test', 'Member ' || i, 'developer'
		FROM users u, generate_series(1, 60) i WHERE u.email = 'admin@harbor.test';
		-- A day of usage for the dashboards: a sandbox token of Harbor's
		-- admin with calls every hour, some failing.
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT id, partner_id, 'usage-phone', 'sandbox', '\x0e2e', 'ptc_s…e2e', '{fleet/fleet:read}', now() + interval '30 days'
		FROM users WHERE email = 'admin@harbor.test';
		INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('hour', now()) - h * interval '1 hour', t.partner_id, t.id, 'fleet', 'listSpreaders', 'sandbox', 30 + 3 * h, 10 + h, 10 + h, 1, 2, h % 4, 0,
			0, 3, 6, 9, 12, 0, 3 * h, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens t, generate_series(0, 23) h WHERE t.name = 'usage-phone'`); err != nil {
		t.Fatal(err)
	}
	var harbor int64
	if err := p.store.DB().Get(&harbor, `SELECT partner_id FROM users WHERE email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who   string
		pages []struct{ path, ready string }
	}{
		{"admin@harbor.test", []struct{ path, ready string }{
			{"/members", "[data-testid=next-page]"},
			{"/members?q=member+1", "[data-testid=member]"},
			{"/members?q=nobody-at-all", "[data-testid=no-member-match]"},
			{"/access", "[data-testid=reach-pager]"},
			{"/access?q=nobody-at-all", "[data-testid=no-reach-match]"},
			{"/audit", "[data-testid=audit-events]"},
			{"/audit?request_id=nothing-like-it", "[data-testid=audit-empty]"},
			{"/usage", "[data-testid=chart-requests] svg"},
			{"/audit?source=calls", "[data-testid=calls-empty]"},
		}},
		{"dev@harbor.test", []struct{ path, ready string }{
			{"/usage?range=7d", "[data-testid=usage-empty]"},
		}},
		{"admin@portico.test", []struct{ path, ready string }{
			{"/catalog/fleet/revisions", "main form"},
			{"/usage?range=30d", "[data-testid=table-partners]"},
			{"/partners/" + strconv.FormatInt(harbor, 10) + "/usage", "[data-testid=usage-total]"},
			{"/settings", "[data-testid=retention-form]"},
		}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			t.Parallel()
			tb := p.signIn(t, browserContext(t), tc.who)
			tb.do("phone width", chromedp.EmulateViewport(390, 844))
			for _, pg := range tc.pages {
				tb.do("open "+pg.path, chromedp.Navigate(p.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
				tb.checkFits(t, pg.path, 390)
				checkAccessibility(t, tb, pg.path+" at 390 px")
			}
		})
	}
}
