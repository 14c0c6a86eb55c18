package sso_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/oidctest"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// TestNewClientNeedsNewSecret: a new issuer or a new client id without a
// new secret is refused at the secret (the stored one would go to the new
// issuer's token endpoint) and changes nothing; other changes keep the
// secret; a new issuer with its own secret is saved with it.
func TestNewClientNeedsNewSecret(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	w := newConfigWorldWith(t, op.HTTPClient())
	ctx := context.Background()
	w.seedProvider(t, &w.harbor, "harbor.test") // issuer https://idp.invalid, client portico
	in := func(issuer, clientID, secret string) sso.ConfigInput {
		return sso.ConfigInput{DisplayName: "Harbor", Issuer: issuer, ClientID: clientID, ClientSecret: secret, Domains: []string{"harbor.test"}}
	}
	for _, tc := range []struct {
		name string
		in   sso.ConfigInput
	}{
		{"new issuer", in(op.Issuer(), "portico", "")},
		{"new client id", in("https://idp.invalid", "portico-2", "")},
		{"both", in(op.Issuer(), "portico-2", " ")},
	} {
		_, err := w.svc.Configure(ctx, w.am, &w.harbor, tc.in)
		var fe *apierr.FieldError
		if !errors.As(err, &fe) || fe.Field != "client_secret" || fe.Message != "Enter the client secret of the new client: the stored one belongs to the old one." {
			t.Errorf("%s without a secret: Configure = %v, want the field error on client_secret", tc.name, err)
		}
	}
	secretOf := func() (string, string) {
		t.Helper()
		p, err := w.st.PartnerIdentityProvider(ctx, w.harbor)
		if err != nil {
			t.Fatal(err)
		}
		s, err := w.svc.Box().Open(p.ClientSecretEnc, sso.PurposeClientSecret)
		if err != nil {
			t.Fatal(err)
		}
		return p.Issuer + " " + p.ClientID, s
	}
	if client, secret := secretOf(); client != "https://idp.invalid portico" || secret != "seeded-secret" {
		t.Errorf("after the refusals: %s with %q, want the seeded client and secret", client, secret)
	}
	if _, err := w.svc.Configure(ctx, w.am, &w.harbor, in("https://idp.invalid", "portico", "")); err != nil {
		t.Errorf("the same client without a secret: %v", err)
	}
	if _, err := w.svc.Configure(ctx, w.am, &w.harbor, in(op.Issuer(), "portico-2", "new-secret")); err != nil {
		t.Fatalf("a new client with its secret: %v", err)
	}
	if client, secret := secretOf(); client != op.Issuer()+" portico-2" || secret != "new-secret" {
		t.Errorf("after the new client: %s with %q, want it with new-secret", client, secret)
	}
}

// staffActor is the access actor of a staff account.
func staffActor(t *testing.T, st *store.Store, email string) access.Actor {
	t.Helper()
	u, err := st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{UserID: u.ID, Role: u.Role}
}

// TestNewClientUnlinksIdentities: when Harbor moves to a new client
// registration, or a new issuer, the people linked through the old one
// are unlinked in the same change (counted in the audit): the next sync
// removes nobody (the old refresh tokens would answer invalid_grant), and
// the new issuer's subject of the same name is not the old person. A
// change keeping the client keeps the links.
func TestNewClientUnlinksIdentities(t *testing.T) {
	t.Parallel()
	for _, newIssuer := range []bool{false, true} {
		f := newSyncFixture(t, false)
		f.signIn(t, opDev)
		f.signIn(t, opAdmin)
		ctx := context.Background()
		admin := staffActor(t, f.st, "admin@portico.test")
		in := sso.ConfigInput{DisplayName: "Harbor Directory 2", Issuer: f.op.Issuer(), ClientID: f.clientID, Domains: []string{"harbor.test"}, GroupsClaim: "groups"}
		if _, err := f.svc.Configure(ctx, admin, &f.harbor, in); err != nil {
			t.Fatal(err)
		}
		links := func() int {
			var n int
			if err := f.st.DB().Get(&n, `SELECT count(*) FROM user_identities`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := links(); n != 2 {
			t.Fatalf("a change of display name left %d links, want 2", n)
		}

		op := f.op
		if newIssuer {
			op = oidctest.Start(t)
			op.AddUser(opDev)
			op.AddUser(opAdmin)
		}
		in.Issuer = op.Issuer()
		in.ClientID, in.ClientSecret = op.AddClient("https://portal.test/sso/callback")
		p, err := f.svc.Configure(ctx, admin, &f.harbor, in)
		if err != nil {
			t.Fatal(err)
		}
		if n := links(); n != 0 {
			t.Errorf("new issuer %v: %d links left after the new client, want 0", newIssuer, n)
		}
		var unlinked []string
		if err := f.st.DB().Select(&unlinked, `SELECT coalesce(details->>'identities_unlinked', '-') FROM audit_events
			WHERE action = 'sso.provider_saved' ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"-", "2"}, unlinked); diff != "" {
			t.Errorf("new issuer %v: identities_unlinked per save (-want +got):\n%s", newIssuer, diff)
		}
		rep, err := f.svc.Sync(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Deprovisioned) > 0 {
			t.Errorf("new issuer %v: the sync after the new client removed %+v", newIssuer, rep.Deprovisioned)
		}
		for _, u := range []*store.User{f.admin, f.dev} {
			if got := f.person(t, u.ID); got.Status != "active" {
				t.Errorf("new issuer %v: %s is %s", newIssuer, u.Email, got.Status)
			}
		}
		// At the new issuer "admin-sub" may be somebody else entirely.
		got, err := f.svc.Admit(ctx, &sso.Identity{Provider: p, Subject: opAdmin.Subject, Email: "someone@else.example"}, sso.Attempt{})
		var re *sso.RefusedError
		if !errors.As(err, &re) {
			t.Errorf("new issuer %v: the new client's %q with another, unverified address = %v, %v; want refused", newIssuer, opAdmin.Subject, got, err)
		}
	}
}

// TestDomainsBoundToTheirOwner: a provider may not take a domain where
// active accounts of another partner, or of the staff (partner people for
// the staff's provider), exist, nor a public mail domain; the message
// names the domain, never the accounts, and nothing is saved. Domains of
// the partner's own people, new ones, and ones whose accounts are all
// removed are taken.
func TestDomainsBoundToTheirOwner(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	w := newConfigWorldWith(t, op.HTTPClient())
	ctx := context.Background()
	gone, err := w.st.CreateUser(ctx, store.NewUser{Email: "left@old-crane.test", Name: "Left", Role: store.RoleDeveloper, PartnerID: &w.crane})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.RemoveUser(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	harborOnly := w.am
	harborOnly.Managed = []int64{w.harbor}
	for _, tc := range []struct {
		name    string
		actor   access.Actor
		partner *int64
		domains []string
		want    string // the message at domains, "" when saved
	}{
		{"Harbor taking Crane's domain", harborOnly, &w.harbor, []string{"harbor.test", "crane.test"},
			"The domain crane.test has accounts of another organisation: a provider may only sign in addresses of its own organisation."},
		{"Harbor taking the staff's domain", harborOnly, &w.harbor, []string{"portico.test"},
			"The domain portico.test has accounts of another organisation: a provider may only sign in addresses of its own organisation."},
		{"the staff taking Harbor's domain", w.admin, nil, []string{"portico.test", "harbor.test"},
			"The domain harbor.test has accounts of partners: a provider may only sign in addresses of its own organisation."},
		{"a public mail domain", harborOnly, &w.harbor, []string{"harbor.test", "GMail.com"},
			"gmail.com is a public mail domain: people of many organisations use it, so no one organisation's provider may sign them in."},
		{"another public one", w.admin, nil, []string{"proton.me"},
			"proton.me is a public mail domain: people of many organisations use it, so no one organisation's provider may sign them in."},
		{"Harbor's own, a new one and one of removed accounts only", harborOnly, &w.harbor, []string{"harbor.test", "ops.harbor.test", "old-crane.test"}, ""},
		{"the staff's own", w.admin, nil, []string{"portico.test"}, ""},
	} {
		in := validInput()
		in.Issuer, in.Domains = op.Issuer(), tc.domains
		_, err := w.svc.Configure(ctx, tc.actor, tc.partner, in)
		var fe *apierr.FieldError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (!errors.As(err, &fe) || fe.Field != "domains" || fe.Message != tc.want):
			t.Errorf("%s: Configure = %v, want on domains: %s", tc.name, err, tc.want)
		}
	}
	for _, d := range []string{"crane.test", "gmail.com", "proton.me"} {
		if p, err := w.st.IdentityProviderForDomain(ctx, d); err == nil {
			t.Errorf("%s signs in through %q", d, p.DisplayName)
		}
	}
	if p, err := w.st.IdentityProviderForDomain(ctx, "harbor.test"); err != nil || p.PartnerID == nil || *p.PartnerID != w.harbor {
		t.Errorf("harbor.test belongs to %+v, %v; want Harbor's provider", p, err)
	}
}

// TestPartnerAdminsMailedOfChanges: Harbor's active admins get one mail
// each when its provider is set up, when its issuer, client id or domains
// change, and when it is removed, saying who did what and never the
// secret; a change of enforcement alone mails nobody, nor does any change
// mail Crane's admins.
func TestPartnerAdminsMailedOfChanges(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	w := newConfigWorldWith(t, op.HTTPClient())
	ctx := audit.WithSource(context.Background(), audit.Source{ActorID: w.am.UserID})
	mails := func() []string {
		t.Helper()
		var out []string
		if err := w.st.DB().Select(&out, `SELECT to_email || ': ' || subject || E'\n' || text_body FROM outbox ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		return out
	}
	in := validInput()
	in.Issuer = op.Issuer()
	steps := []struct {
		name  string
		do    func() error
		wants []string // what the one new mail says, nil: no mail
	}{
		{"set up", func() error { _, err := w.svc.Configure(ctx, w.am, &w.harbor, in); return err },
			[]string{"admin@harbor.test: The sign-in of Harbor Logistics to the partner portal was changed",
				"Morgan Account <am@portico.test> set up single sign-on for the people of Harbor Logistics", "Identity provider (issuer): " + op.Issuer(),
				"Client ID: portico", "Email domains: harbor.test", "Whoever controls the identity provider decides who signs in as your people"}},
		{"enforced", func() error {
			in.ClientSecret, in.Enforced = "", true
			_, err := w.svc.Configure(ctx, w.am, &w.harbor, in)
			return err
		}, nil},
		{"new client and domains", func() error {
			in.ClientID, in.ClientSecret, in.Domains = "portico-2", "second-secret", []string{"harbor.test", "ops.harbor.test"}
			_, err := w.svc.Configure(ctx, w.am, &w.harbor, in)
			return err
		}, []string{"Morgan Account <am@portico.test> changed how the people of Harbor Logistics sign in", "Client ID: portico → portico-2",
			"Email domains: harbor.test → harbor.test, ops.harbor.test"}},
		{"removed", func() error { _, _, err := w.svc.RemoveProvider(ctx, &w.harbor); return err },
			[]string{"admin@harbor.test: Single sign-on of Harbor Logistics was removed", "Morgan Account <am@portico.test> removed Harbor Entra (" + op.Issuer() + ")"}},
	}
	seen := 0
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		all := mails()
		got := all[seen:]
		seen = len(all)
		if s.wants == nil {
			if len(got) != 0 {
				t.Errorf("%s: mailed %q, want nothing", s.name, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%s: %d mails, want 1 (to Harbor's one admin): %q", s.name, len(got), got)
			continue
		}
		for _, want := range s.wants {
			if !strings.Contains(got[0], want) {
				t.Errorf("%s: the mail does not say %q:\n%s", s.name, want, got[0])
			}
		}
		for _, secret := range []string{"s3cret-value", "second-secret"} {
			if strings.Contains(got[0], secret) {
				t.Errorf("%s: the mail carries the client secret", s.name)
			}
		}
	}
}
