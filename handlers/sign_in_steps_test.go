package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// TestSignInIsEmailFirst: the sign-in page asks for the email, then for
// the password, or, when the email's domain has an identity provider, for
// the organisation's own sign-in (with the password offered too unless
// the provider is enforced). Nothing tells whether an account exists.
func TestSignInIsEmailFirst(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	ctx := context.Background()
	harbor, err := p.store.PartnerBySlug(ctx, "harbor-logistics")
	if err != nil {
		t.Fatal(err)
	}
	crane, err := p.store.PartnerBySlug(ctx, "crane-works")
	if err != nil {
		t.Fatal(err)
	}
	box := sso.MustBox(testConfig().Secret)
	for _, c := range []struct {
		partner  *store.Partner
		name     string
		domain   string
		enforced bool
	}{{harbor, "Harbor Entra ID", "harbor.test", false}, {crane, "Crane Okta", "crane.test", true}} {
		if _, err := p.store.SaveIdentityProvider(ctx, store.IdentityProviderInput{PartnerID: &c.partner.ID, DisplayName: c.name,
			Issuer: "https://idp.invalid", ClientID: "portal", ClientSecretEnc: box.Seal("s", sso.PurposeClientSecret),
			Domains: []string{c.domain}, Enforced: c.enforced}); err != nil {
			t.Fatal(err)
		}
	}
	type step struct {
		Status                                      int
		Password, SSOButton, PasswordInstead, Error bool
		Explainer                                   string
	}
	look := func(pg page) step {
		return step{Status: pg.status, Password: pg.doc.Find("#password").Length() == 1,
			SSOButton: pg.doc.Find("[data-testid=sso-continue]").Length() == 1, PasswordInstead: pg.doc.Find("[data-testid=password-instead]").Length() == 1,
			Error: pg.doc.Find("[data-testid=form-error]").Length() == 1, Explainer: text(pg, "[data-testid=sso-explainer]")}
	}
	b := p.browser(t)
	if diff := cmp.Diff(step{Status: 200}, look(b.get("/sign-in"))); diff != "" {
		t.Errorf("GET /sign-in: the email step only (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name, email string
		want        step
	}{
		{"no provider, existing account", "admin@portico.test", step{Status: 200, Password: true}},
		{"no provider, no account: the same answer", "nobody@nowhere.test", step{Status: 200, Password: true}},
		{"provider", "anyone@harbor.test", step{Status: 200, SSOButton: true, PasswordInstead: true,
			Explainer: "Harbor Logistics signs in through Harbor Entra ID. You will come back here once it knows you."}},
		{"enforced provider: no password offered", "dev@crane.test", step{Status: 200, SSOButton: true,
			Explainer: "Crane Works signs in through Crane Okta. You will come back here once it knows you."}},
		{"provider, upper case", "Someone@HARBOR.test", step{Status: 200, SSOButton: true, PasswordInstead: true,
			Explainer: "Harbor Logistics signs in through Harbor Entra ID. You will come back here once it knows you."}},
		{"empty", "", step{Status: 422, Error: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg := b.post("/sign-in", url.Values{"email": {tc.email}, "step": {"email"}})
			if diff := cmp.Diff(tc.want, look(pg)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("password instead", func(t *testing.T) {
		pg := b.post("/sign-in", url.Values{"email": {"dev@harbor.test"}, "step": {"ask-password"}})
		if diff := cmp.Diff(step{Status: 200, Password: true}, look(pg)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if got, _ := pg.doc.Find("#email").Attr("value"); got != "dev@harbor.test" {
			t.Errorf("email kept as %q", got)
		}
		if pg := b.signIn("dev@harbor.test", demo.Password); pg.status != http.StatusSeeOther {
			t.Errorf("password of a partner that does not enforce its provider: %d", pg.status)
		}
	})
	t.Run("password step without a password", func(t *testing.T) {
		pg := b.post("/sign-in", url.Values{"email": {"dev@harbor.test"}, "step": {"password"}})
		if pg.status != http.StatusUnprocessableEntity || !look(pg).Password {
			t.Errorf("= %d, password field %v", pg.status, look(pg).Password)
		}
	})
	t.Run("start without a provider goes to the password", func(t *testing.T) {
		pg := b.post("/sso/start", url.Values{"email": {"admin@portico.test"}})
		if diff := cmp.Diff(step{Status: 200, Password: true}, look(pg)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("provider unreachable", func(t *testing.T) {
		pg := b.post("/sso/start", url.Values{"email": {"dev@harbor.test"}})
		if pg.status != http.StatusBadGateway || !look(pg).Error {
			t.Errorf("= %d %q, want 502 with a message", pg.status, text(pg, "[data-testid=form-error]"))
		}
	})
}
