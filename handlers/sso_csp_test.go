package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// formAction is the form-action directive of a page's CSP.
func formAction(pg page) string {
	for _, d := range strings.Split(pg.header.Get("Content-Security-Policy"), ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "form-action ") {
			return d
		}
	}
	return ""
}

// TestPagesOfferingTheProviderLetFormsGoThere: browsers check the
// redirects of a form's submission against the page's form-action, so the
// pages whose form leads to the identity provider (the sign-in's provider
// step, the confirmation of a person who signs in through it) allow the
// provider's authorization endpoint, and no other page does. A provider
// that cannot be reached leaves the plain policy and the page still shows.
func TestPagesOfferingTheProviderLetFormsGoThere(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	w.person("dana@harbor.test")
	plain, withProvider := "form-action 'self'", "form-action 'self' "+w.op.Issuer()

	b := w.portal.browser(t)
	for _, c := range []struct{ email, want string }{
		{"dana@harbor.test", withProvider},
		{"dev@crane.test", plain},
	} {
		pg := b.post("/sign-in", url.Values{"email": {c.email}, "step": {"email"}})
		if got := formAction(pg); pg.status != http.StatusOK || got != c.want {
			t.Errorf("email step for %s: status %d, %q; want 200, %q", c.email, pg.status, got, c.want)
		}
	}
	if got := formAction(b.get("/sign-in")); got != plain {
		t.Errorf("GET /sign-in: %q, want %q", got, plain)
	}

	w.signIn(b, "dana@harbor.test")
	pg := b.get("/confirm-password?next=/tokens")
	if pg.doc.Find("[data-testid=sso-confirm]").Length() != 1 || formAction(pg) != withProvider {
		t.Errorf("/confirm-password of a person signing in through the provider: %q, want %q and the provider's button", formAction(pg), withProvider)
	}

	down := newSSOWorld(t)
	down.op.SetDown(true)
	pg = down.portal.browser(t).post("/sign-in", url.Values{"email": {"dana@harbor.test"}, "step": {"email"}})
	if pg.status != http.StatusOK || pg.doc.Find("[data-testid=sso-continue]").Length() != 1 || formAction(pg) != plain {
		t.Errorf("provider down: status %d, %q; want the provider step with %q", pg.status, formAction(pg), plain)
	}
}
