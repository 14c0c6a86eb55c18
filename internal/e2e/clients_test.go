package e2e_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/portico/portico/internal/token"
)

// TestRegisterOAuthClientInTheBrowser registers an OAuth client through
// the real form at 360 px and at a desktop width, as a partner admin: from
// the token list's "New OAuth client", with a scope and an allowed
// network. The form and the page that shows the id and secret once fit the
// screen, run nothing the CSP refuses and pass axe; the copy buttons show
// (the script runs), and the new client is in the list with its badge.
func TestRegisterOAuthClientInTheBrowser(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	// Harbor's admin joins the team that holds the Port operations group,
	// so the form has scopes to offer.
	if _, err := p.store.DB().Exec(`
		INSERT INTO team_memberships (team_id, user_id)
		SELECT tm.id, u.id FROM teams tm, users u WHERE tm.name = 'Integrations' AND u.email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	for _, px := range []int{360, 1280} {
		t.Run(strconv.Itoa(px)+"px", func(t *testing.T) {
			t.Parallel()
			name := "Billing robot " + strconv.Itoa(px)
			tb := p.signIn(t, browserContext(t), "admin@harbor.test")
			tb.do("set the width", chromedp.EmulateViewport(int64(px), 900))
			tb.do("open the token list", chromedp.Navigate(p.URL+"/tokens"), chromedp.WaitVisible(chromedp.CSS("[data-testid=new-client]")))
			tb.do("open the client form",
				chromedp.Click(chromedp.CSS("[data-testid=new-client]")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=client-form]")))
			where := "new client form at " + strconv.Itoa(px) + " px"
			tb.checkFits(t, where, px)
			checkAccessibility(t, tb, where)

			tb.do("fill in the form",
				chromedp.SendKeys(chromedp.CSS("#client-name"), name),
				chromedp.SendKeys(chromedp.CSS("#client-networks"), "203.0.113.0/24"),
				chromedp.Click(chromedp.CSS(`input[name=scope][value="fleet/fleet:read"]`)),
				chromedp.Click(chromedp.CSS("[data-testid=create-client]")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=client-created]")))
			where = "new client's secret at " + strconv.Itoa(px) + " px"
			tb.checkFits(t, where, px)
			checkAccessibility(t, tb, where)
			id := eval[string](tb, `document.querySelector("[data-testid=client-id]").textContent`)
			secret := eval[string](tb, `document.querySelector("[data-testid=client-secret]").textContent`)
			if !token.ValidPublicID(token.ClientIDPrefix, id) {
				t.Errorf("client id %q", id)
			}
			if parsed, err := token.Parse(secret); err != nil || parsed.Kind != token.KindClientSecret {
				t.Errorf("client secret %q: %v", secret, err)
			}
			if !eval[bool](tb, `!document.querySelector("[data-testid=copy-client-secret]").hidden`) {
				t.Error("the copy button stays hidden")
			}
			if curl := eval[string](tb, `document.querySelector("[data-testid=client-usage]").textContent`); !strings.Contains(curl, p.URL+"/oauth/token") || !strings.Contains(curl, id) {
				t.Errorf("curl example %q", curl)
			}
			auth, err := p.store.ClientByClientID(context.Background(), id)
			if err != nil || len(auth.AllowedNetworks) != 1 || auth.AllowedNetworks[0] != "203.0.113.0/24" {
				t.Errorf("stored client: %+v, %v", auth, err)
			}

			tb.do("back to the list",
				chromedp.Click(chromedp.CSS("[data-testid=done]")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=client-badge]")))
			shown := eval[[]string](tb, `[...document.querySelectorAll("[data-testid=token] [data-testid=client-id]")].map(e => e.textContent.trim())`)
			found := false
			for _, s := range shown {
				found = found || s == id
			}
			if !found {
				t.Errorf("client %s not in the list (%v)", id, shown)
			}
		})
	}
}

// TestOAuthAdminPagesOnAPhone opens the other pages of OAuth clients at
// 360 px: the partner's token list with a client, its type filter and the
// partner's own settings (read only), the platform admin's settings and resource
// server pages (empty, issuing one through the form, the list, the revoke
// confirmation). Each fits the screen, runs nothing the CSP refuses and
// passes axe.
func TestOAuthAdminPagesOnAPhone(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, client_id, allowed_networks)
		SELECT id, partner_id, 'Billing robot', 'sandbox', '\x0e2ec1', 'ptc_cs_…e2e1', '{fleet/fleet:read}', now() + interval '30 days',
		       'pcl_0123456789abcdefghijkl', '{203.0.113.0/24,2001:db8::/48}'
		FROM users WHERE email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	const px = 360
	t.Run("partner admin", func(t *testing.T) {
		t.Parallel()
		tb := p.signIn(t, browserContext(t), "admin@harbor.test")
		tb.do("phone width", chromedp.EmulateViewport(px, 800))
		for _, pg := range []struct{ path, ready string }{
			{"/tokens/partner", "[data-testid=partner-own-settings]"},
			{"/tokens/partner?type=clients", "[data-testid=client-badge]"},
			{"/tokens/partner?type=clients&status=revoked", "[data-testid=any-type]"},
		} {
			tb.do("open "+pg.path, chromedp.Navigate(p.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
			tb.checkFits(t, pg.path, px)
			checkAccessibility(t, tb, pg.path+" at 360 px")
		}
	})
	t.Run("platform admin", func(t *testing.T) {
		t.Parallel()
		tb := p.signIn(t, browserContext(t), "admin@portico.test")
		tb.do("phone width", chromedp.EmulateViewport(px, 800))
		check := func(where string) {
			t.Helper()
			tb.checkFits(t, where, px)
			checkAccessibility(t, tb, where+" at 360 px")
		}
		tb.do("open settings", chromedp.Navigate(p.URL+"/settings"), chromedp.WaitVisible(chromedp.CSS("[data-testid=access-token-settings]")))
		check("/settings")
		tb.do("open resource servers",
			chromedp.Click(chromedp.CSS("[data-testid=resource-servers-link] a")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=no-resource-servers]")))
		check("/resource-servers (empty)")
		tb.do("issue a credential",
			chromedp.SendKeys(chromedp.CSS("#server-name"), "Edge gateway"),
			chromedp.Click(chromedp.CSS("[data-testid=create-server]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=server-created]")))
		check("new resource server credential")
		tb.do("back to the list",
			chromedp.Click(chromedp.CSS("[data-testid=done]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=resource-server]")))
		check("/resource-servers")
		tb.do("ask to revoke",
			chromedp.Click(chromedp.CSS("[data-testid=revoke-server]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=confirm-revoke-server]")))
		check("revoke resource server")
	})
}
