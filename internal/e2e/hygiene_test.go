package e2e_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHygieneAndAlertsPages opens the partner admin's credential hygiene
// page, with flagged credentials of every kind, and the alerts page with
// open alerts, at 390×844 and 1366×900: both fit the screen, run no script
// the CSP refuses, pass axe, keep each row's actions on screen, and are
// saved as screenshots.
func TestHygieneAndAlertsPages(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, last_used_at)
		SELECT u.id, u.partner_id, v.name, 'sandbox', decode(md5(v.name), 'hex'), 'ptc_sbx_…' || left(md5(v.name), 4), v.scopes,
		       now() - v.age * interval '1 day', now() + v.left_days * interval '1 day', now() - v.used_ago * interval '1 day'
		FROM users u, (VALUES
			('Billing export (never used)', '{fleet/fleet:read}'::text[], 10, 60, NULL::int),
			('Old dashboard', '{fleet/fleet:read}', 90, 60, 40),
			('Nightly sync, expiring', '{fleet/fleet:read}', 60, 5, 1),
			('Crane planner with broad scopes', '{fleet/fleet:read,maintenance/maintenance:read,telemetry/telemetry:admin}', 60, 60, 0)
		) AS v(name, scopes, age, left_days, used_ago)
		WHERE u.email = 'dev@harbor.test';
		INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('hour', now()) - interval '3 hours', t.partner_id, t.id, 'fleet', 'listSpreaders', 'sandbox', 40, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		FROM tokens t WHERE t.name = 'Crane planner with broad scopes';
		INSERT INTO alerts (partner_id, token_id, rule, cause, message)
		SELECT t.partner_id, t.id, 'spike_calls', 'e2e', 'The credential “Crane planner with broad scopes” made 5 000 calls between 09:00 and 10:00 UTC, against 40.0 an hour on average over the week before.'
		FROM tokens t WHERE t.name = 'Crane planner with broad scopes';
		INSERT INTO alerts (partner_id, rule, cause, message)
		SELECT partner_id, 'quota', 'e2e', 'Harbor Logistics has used 85 % of the monthly quota of Port operations: 85 000 of 100 000 calls this month.'
		FROM users WHERE email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	var broad int64
	if err := p.store.DB().Get(&broad, `SELECT id FROM tokens WHERE name = 'Crane planner with broad scopes'`); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct{ w, h int }{{390, 844}, {1366, 900}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			t.Parallel()
			tb := p.signIn(t, browserContext(t), "admin@harbor.test")
			tb.do("viewport", chromedp.EmulateViewport(int64(size.w), int64(size.h)))
			for _, pg := range []struct{ path, ready, shot string }{
				{"/tokens/hygiene?show=all", "[data-testid=hygiene-flag]", "hygiene"},
				{"/alerts", "[data-testid=alert]", "alerts"},
				// The confirmations the hygiene page leads to.
				{fmt.Sprintf("/tokens/%d/narrow", broad), "[data-testid=confirm-narrow]", "narrow-confirm"},
				{"/tokens/hygiene/revoke-unused", "[data-testid=unused-list]", "revoke-unused-confirm"},
			} {
				tb.do("open "+pg.path, chromedp.Navigate(p.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
				where := fmt.Sprintf("%s at %d px", pg.path, size.w)
				tb.checkFits(t, where, size.w)
				checkAccessibility(t, tb, where)
				if v := tb.cspViolations(); len(v) > 0 {
					t.Errorf("%s: CSP violations %v", where, v)
				}
				// Every action is on screen: inside the viewport, or in a
				// box that scrolls it into view.
				off := eval[[]string](tb, fmt.Sprintf(`[...document.querySelectorAll('[data-testid=revoke], [data-testid=narrow], [data-testid=acknowledge], [data-testid=mute]')]
					.filter(a => { a.scrollIntoView({block: 'center', inline: 'center'}); const r = a.getBoundingClientRect(); return r.width === 0 || r.left < 0 || r.right > %d; })
					.map(a => a.textContent.trim())`, size.w))
				if len(off) > 0 {
					t.Errorf("%s: actions out of reach: %v", where, off)
				}
				tb.do("top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
				tb.pageScreenshot(fmt.Sprintf("%s-%d.png", pg.shot, size.w))
			}
			// Staff's view across partners.
			st := p.signIn(t, browserContext(t), "am@portico.test")
			st.do("viewport", chromedp.EmulateViewport(int64(size.w), int64(size.h)))
			st.do("open the overview", chromedp.Navigate(p.URL+"/tokens/hygiene"), chromedp.WaitVisible(chromedp.CSS("[data-testid=partner-hygiene]")))
			where := fmt.Sprintf("hygiene overview at %d px", size.w)
			st.checkFits(t, where, size.w)
			checkAccessibility(t, st, where)
		})
	}
}

// TestReportTokenFormPage opens the leaked-token form signed out at a
// phone's and a laptop's width, sends a string that is no token and checks
// the answer page: both fit, pass axe and run no script the CSP refuses.
func TestReportTokenFormPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for _, size := range []struct{ w, h int }{{390, 844}, {1366, 900}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			t.Parallel()
			tb := newTab(t, browserContext(t))
			tb.do("viewport", chromedp.EmulateViewport(int64(size.w), int64(size.h)))
			tb.do("open the form", chromedp.Navigate(p.URL+"/security/report-token"),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=report-token-form]")))
			where := fmt.Sprintf("report form at %d px", size.w)
			tb.checkFits(t, where, size.w)
			checkAccessibility(t, tb, where)
			tb.do("report", chromedp.SendKeys("#leaked-token", "ptc_sbx_not-a-token-at-all"),
				chromedp.SendKeys("#leaked-where", "https://paste.example/abc"),
				chromedp.Click("[data-testid=report-token]"),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=report-sent]")))
			tb.checkFits(t, where+", answered", size.w)
			checkAccessibility(t, tb, where+", answered")
			if v := tb.cspViolations(); len(v) > 0 {
				t.Errorf("%s: CSP violations %v", where, v)
			}
			tb.pageScreenshot(fmt.Sprintf("report-token-%d.png", size.w))
		})
	}
}
