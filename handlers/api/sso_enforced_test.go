package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// enforceSSO gives Harbor an identity provider, enforced or not.
func (e *env) enforceSSO(on bool) {
	e.t.Helper()
	ctx := context.Background()
	box, err := sso.NewBox(testConfig().Secret)
	if err != nil {
		e.t.Fatal(err)
	}
	harbor, err := e.store.PartnerBySlug(ctx, "harbor-logistics")
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.store.InTx(ctx, func(tx *store.Store) error {
		_, err := tx.SaveIdentityProvider(ctx, store.IdentityProviderInput{PartnerID: &harbor.ID, DisplayName: "Harbor Okta",
			Issuer: "https://idp.harbor.test", ClientID: "portico", ClientSecretEnc: box.Seal("client-secret", sso.PurposeClientSecret),
			Enforced: on, Domains: []string{"harbor.test"}})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestSSOEnforcedRefusesInvitations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin@harbor.test")
	rec := e.call(admin, "POST", "/api/v1/invitations", `{"email":"old@harbor.test","role":"developer"}`)
	want(t, "invite before enforcement", rec, http.StatusCreated, "")
	id := strconv.FormatInt(decodeBody[invitation](t, rec).ID, 10)
	e.enforceSSO(true)

	const sentence = "People join Harbor Logistics through Harbor Okta: assign them there; their account is created when they first sign in."
	for _, tc := range []struct{ what, path, body string }{
		{"invite", "/api/v1/invitations", `{"email":"new@harbor.test","role":"developer"}`},
		// No input is worth correcting: the answer is the same.
		{"invite with a bad email", "/api/v1/invitations", `{"email":"not-an-email","role":"developer"}`},
		{"resend", "/api/v1/invitations/" + id + "/resend", ""},
	} {
		rec := e.call(admin, "POST", tc.path, tc.body)
		want(t, tc.what, rec, http.StatusConflict, "sso_enforced")
		if rec.Code == http.StatusConflict {
			if got := decodeBody[apiError](t, rec).Error.Message; got != sentence {
				t.Errorf("%s: message %q, want %q", tc.what, got, sentence)
			}
		}
	}
	if links := e.mailedLinks("old@harbor.test"); len(links) != 1 {
		t.Errorf("invitation mails to old@harbor.test = %d, want only the first", len(links))
	}
	if links := e.mailedLinks("new@harbor.test"); len(links) != 0 {
		t.Errorf("an invitation went to new@harbor.test")
	}

	e.enforceSSO(false)
	want(t, "invite once enforcement is off", e.call(admin, "POST", "/api/v1/invitations", `{"email":"new@harbor.test","role":"developer"}`), http.StatusCreated, "")
	want(t, "resend once enforcement is off", e.call(admin, "POST", "/api/v1/invitations/"+id+"/resend", ""), http.StatusOK, "")
}
