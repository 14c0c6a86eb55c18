package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestListPagesOnAPhone opens the lists paged by keyset (issue 12) at
// 390 px, each with enough rows for a next page, a search and an empty
// search: every page fits the screen, runs no script the CSP refuses and
// passes axe.
func TestListPagesOnAPhone(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for _, q := range []string{
		`INSERT INTO partners (name, slug) SELECT 'Partner with a rather long name ' || i, 'partner-' || i FROM generate_series(1, 60) i`,
		`INSERT INTO users (email, name, role) SELECT 'manager' || i || '@portico.test', 'Manager ' || i, 'account_manager' FROM generate_series(1, 60) i`,
		`INSERT INTO outbox (to_email, to_name, subject, text_body, html_body) SELECT 'to' || i || '@x.test', '', 'Mail ' || i, 'text', '' FROM generate_series(1, 60) i`,
		`INSERT INTO access_groups (name, rate_limit_per_minute) SELECT 'Group ' || i, 60 FROM generate_series(1, 60) i`,
		`INSERT INTO invitations (partner_id, email, role, token_hash, expires_at)
		 SELECT partner_id, 'invited' || i || '@harbor.test', 'developer', ('t' || i)::bytea, now() + interval '7 days'
		 FROM users, generate_series(1, 60) i WHERE email = 'admin@harbor.test'`,
	} {
		if _, err := p.store.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, tc := range []struct {
		who   string
		pages []struct{ path, ready string }
	}{
		{"admin@portico.test", []struct{ path, ready string }{
			{"/partners", "[data-testid=next-page]"},
			{"/partners?q=nobody-at-all", "[data-testid=no-partners]"},
			{"/staff", "[data-testid=next-page]"},
			{"/staff?q=nobody-at-all", "[data-testid=no-match]"},
			{"/outbox", "[data-testid=next-page]"},
			{"/apis", "[data-testid=list-search]"},
			{"/access-groups", "[data-testid=next-page]"},
		}},
		{"admin@harbor.test", []struct{ path, ready string }{
			{"/members", "[data-testid=more-invitations]"},
			{"/members/invitations", "[data-testid=next-page]"},
			{"/members/invitations?q=nobody-at-all", "[data-testid=no-match]"},
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
