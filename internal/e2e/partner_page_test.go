package e2e_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPartnerPageFits opens the staff's page of a partner with a page and
// more of members, teams, grants, credentials of every kind and a day of
// calls, as an account manager at a phone's 390×844 and a laptop's
// 1366×900: it fits the screen (its tables scroll in their own box), runs
// no script the CSP refuses, passes axe, and its status action and the
// members' "More members" link are on screen.
func TestPartnerPageFits(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO users (partner_id, email, name, role)
		SELECT u.partner_id, 'crew' || i || '@harbor.test', 'Crew member with a rather long name ' || i, 'developer'
		FROM users u, generate_series(1, 25) i WHERE u.email = 'admin@harbor.test';
		INSERT INTO teams (partner_id, name)
		SELECT partner_id, 'Terminal operations and berth planning' FROM users WHERE email = 'admin@harbor.test';
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, pending, client_id)
		SELECT u.id, u.partner_id, v.name, v.env, decode(md5(v.name), 'hex'), 'ptc_…' || v.name, '{fleet/fleet:read}', now() + interval '30 days', v.pending, v.client
		FROM users u, (VALUES ('partner-live', 'live', false, NULL), ('partner-sandbox', 'sandbox', false, NULL),
		                      ('partner-pending', 'live', true, NULL), ('partner-client', 'live', false, 'pcl_e2e0123456789abcdefghi')) v(name, env, pending, client)
		WHERE u.email = 'dev@harbor.test';
		INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('hour', now()) - h * interval '1 hour', t.partner_id, t.id, 'fleet', 'listSpreaders', 'sandbox', 1000 + h, 10, 2, 1, 2, 3, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens t, generate_series(0, 23) h WHERE t.name = 'partner-sandbox';
		INSERT INTO api_usage_days (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - d * interval '1 day', t.partner_id, 'fleet', 'listSpreaders', 'sandbox',
			24000 + d, 240, 48, 24, 48, 72, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens t, generate_series(0, 6) d WHERE t.name = 'partner-sandbox'`); err != nil {
		t.Fatal(err)
	}
	var harbor int64
	if err := p.store.DB().Get(&harbor, `SELECT partner_id FROM users WHERE email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	path := "/partners/" + strconv.FormatInt(harbor, 10)
	for _, size := range []struct{ w, h int }{{390, 844}, {1366, 900}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			t.Parallel()
			tb := p.signIn(t, browserContext(t), "am@portico.test")
			tb.do("viewport", chromedp.EmulateViewport(int64(size.w), int64(size.h)))
			tb.do("open "+path, chromedp.Navigate(p.URL+path), chromedp.WaitVisible(chromedp.CSS("[data-testid=partner-head]")))
			where := fmt.Sprintf("%s at %d px", path, size.w)
			tb.checkFits(t, where, size.w)
			checkAccessibility(t, tb, where)
			for _, sel := range []string{"[data-testid=suspend]", "[data-testid=members-pager] [data-testid=next-page]", "[data-testid=partner-tokens]"} {
				right := eval[float64](tb, fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().right`, sel))
				if right <= 0 || right > float64(size.w) {
					t.Errorf("%s: %s ends at %.0f px, off a %d px screen", where, sel, right, size.w)
				}
			}
			tb.screenshotOf("main", fmt.Sprintf("partner-page-%d.png", size.w))
		})
	}
}
