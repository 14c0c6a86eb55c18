package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestTokenListsOnAPhone opens the token lists with their status filters,
// search and pager at 390 px (with enough tokens for a next page): a
// partner admin's list of the partner, its pending filter, a search with no
// match, a developer's own list and the staff's view. Each fits the screen,
// runs no script the CSP refuses and passes axe.
func TestTokenListsOnAPhone(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, pending)
		SELECT u.id, u.partner_id, 'CI deploy ' || i, 'sandbox', decode(md5('phone' || i), 'hex'), 'ptc_sbx_…abcd',
		       '{fleet/fleet:read}', now() - i * interval '1 minute', now() + interval '30 days', i % 10 = 0
		FROM users u, generate_series(1, 40) i WHERE u.email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	var harbor string
	if err := p.store.DB().Get(&harbor, `SELECT partner_id::text FROM users WHERE email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who   string
		pages []struct{ path, ready string }
	}{
		{"admin@harbor.test", []struct{ path, ready string }{
			{"/tokens/partner", "[data-testid=next-page]"},
			{"/tokens/partner?status=pending", "[data-testid=token]"},
			{"/tokens/partner?status=revoked&q=nobody-at-all", "[data-testid=no-tokens]"},
		}},
		{"dev@harbor.test", []struct{ path, ready string }{
			{"/tokens", "[data-testid=next-page]"},
		}},
		{"am@portico.test", []struct{ path, ready string }{
			{"/partners/" + harbor + "/tokens?q=deploy", "[data-testid=token]"},
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
