package sso_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// credentials are a partner member's: a personal token, an OAuth client
// and an access token the client got.
type credentials struct {
	pat, client, access []byte
	clientID            string
}

func (f *fixture) credentials(t *testing.T, u *store.User) credentials {
	t.Helper()
	ctx := context.Background()
	c := credentials{pat: []byte("pat-" + u.Email), client: []byte("client-" + u.Email), access: []byte("access-" + u.Email)}
	c.clientID, _ = token.NewPublicID(token.ClientIDPrefix)
	exp := time.Now().Add(24 * time.Hour)
	if _, err := f.st.InsertToken(ctx, store.NewToken{UserID: u.ID, PartnerID: *u.PartnerID, Name: "ci", Environment: "sandbox",
		Hash: c.pat, Hint: "ptc_sbx_…abcd", Scopes: []string{"fleet/fleet:read"}, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	id, err := f.st.InsertToken(ctx, store.NewToken{UserID: u.ID, PartnerID: *u.PartnerID, Name: "billing", Environment: "sandbox",
		Hash: c.client, Hint: "ptc_cs_…abcd", Scopes: []string{"fleet/fleet:read"}, ExpiresAt: exp, ClientID: &c.clientID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.InsertAccessToken(ctx, id, c.access, []string{"fleet/fleet:read"}, exp); err != nil {
		t.Fatal(err)
	}
	return c
}

// working reports which of the credentials the gateway would still honour.
func (f *fixture) working(t *testing.T, c credentials) []string {
	t.Helper()
	ctx := context.Background()
	out := []string{}
	if a, err := f.st.TokenAuthByHash(ctx, c.pat); err != nil {
		t.Fatal(err)
	} else if !a.Revoked && a.UserActive {
		out = append(out, "token")
	}
	if a, err := f.st.ClientByClientID(ctx, c.clientID); err != nil {
		t.Fatal(err)
	} else if !a.Revoked && a.UserActive {
		out = append(out, "OAuth client")
	}
	if a, err := f.st.AccessTokenAuthByHash(ctx, c.access); err != nil {
		t.Fatal(err)
	} else if !a.Revoked && a.UserActive {
		out = append(out, "access token")
	}
	return out
}

// link gives the user an identity at the provider.
func (f *fixture) link(t *testing.T, p *store.IdentityProvider, u *store.User, subject string, refresh []byte) *store.UserIdentity {
	t.Helper()
	i := store.UserIdentity{ProviderID: p.ID, Subject: subject, UserID: u.ID, RefreshTokenEnc: refresh, Groups: []string{}}
	if err := f.st.SaveIdentity(context.Background(), i); err != nil {
		t.Fatal(err)
	}
	return &i
}

// deprovision ends the access of the given identities in one
// transaction and mails the admins once, as a sync or sign-in does.
func (f *fixture) deprovision(t *testing.T, p *store.IdentityProvider, reason string, idents ...*store.UserIdentity) []sso.Deprovisioned {
	t.Helper()
	ctx := context.Background()
	var gone []sso.Deprovisioned
	err := f.st.InTx(ctx, func(tx *store.Store) error {
		gone = nil
		for _, i := range idents {
			d, err := f.svc.Deprovision(ctx, tx, p, i, reason)
			if err != nil {
				return err
			}
			if d != nil {
				gone = append(gone, *d)
			}
		}
		return f.svc.MailDeprovisioned(ctx, tx, p, gone)
	})
	if err != nil {
		t.Fatal(err)
	}
	return gone
}

// TestDeprovisionEndsAPartnerMembersAccess: the member is removed, signed
// out everywhere, their token, OAuth client and its access tokens stop
// working, the link to the provider goes, it is audited, and the
// partner's admin is told who and why.
func TestDeprovisionEndsAPartnerMembersAccess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, nil)
	p := f.provider(t, &f.harbor, "https://idp.harbor.test", "portal", "s3cret", false)
	addToTeam(t, f, f.team(t, "Integrations"), f.dev.ID)
	creds := f.credentials(t, f.dev)
	f.session(t, f.dev.ID)
	f.session(t, f.dev.ID)
	f.session(t, f.admin.ID)
	ident := f.link(t, p, f.dev, "dev-sub", nil)

	gone := f.deprovision(t, p, sso.ReasonRefused, ident)

	if diff := cmp.Diff([]sso.Deprovisioned{{UserID: f.dev.ID, Name: "Dev Harbor", Email: "dev@harbor.test", Reason: "refused", TokensRevoked: 1, ClientsRevoked: 1}}, gone); diff != "" {
		t.Errorf("deprovisioned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(person{Status: "removed", Role: "developer", Teams: []string{}}, f.person(t, f.dev.ID)); diff != "" {
		t.Errorf("the member afterwards (-want +got):\n%s", diff)
	}
	if got := f.working(t, creds); len(got) > 0 {
		t.Errorf("still working after de-provisioning: %v", got)
	}
	if f.person(t, f.admin.ID).Sessions != 1 {
		t.Error("the admin's session ended too")
	}
	if _, err := f.st.IdentityOfUser(ctx, f.dev.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("identity link after de-provisioning: %v, want it deleted", err)
	}
	es := f.audits(t, "member.deprovisioned")
	if len(es) != 1 || es[0].Target != "dev@harbor.test" || es[0].PartnerID == nil || *es[0].PartnerID != f.harbor {
		t.Fatalf("member.deprovisioned events: %+v", es)
	}
	var d map[string]any
	if err := json.Unmarshal(es[0].Details, &d); err != nil {
		t.Fatal(err)
	}
	wantD := map[string]any{"provider": "Harbor Directory", "reason": "refused", "role": "developer", "tokens_revoked": 1.0, "clients_revoked": 1.0}
	if diff := cmp.Diff(wantD, d); diff != "" {
		t.Errorf("audit details (-want +got):\n%s", diff)
	}
	heads, bodies := f.mails(t)
	if diff := cmp.Diff([]string{"admin@harbor.test: 1 person lost access to the partner portal"}, heads); diff != "" {
		t.Fatalf("mails (-want +got):\n%s", diff)
	}
	for _, want := range []string{"Dev Harbor <dev@harbor.test>", "no longer signs them in", "Harbor Directory"} {
		if !strings.Contains(bodies[0], want) {
			t.Errorf("the mail does not say %q:\n%s", want, bodies[0])
		}
	}
}

// TestDeprovisionSeveralAtOnceMailsOnce: two people leaving in one event
// make one mail per admin naming both, and the last admin is no
// exception: the directory decides, and the account manager is told when
// no admin is left.
func TestDeprovisionSeveralAtOnceMailsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	p := f.provider(t, &f.harbor, "https://idp.harbor.test", "portal", "s3cret", true)
	a := f.link(t, p, f.admin, "admin-sub", nil)
	d := f.link(t, p, f.dev, "dev-sub", nil)

	gone := f.deprovision(t, p, sso.ReasonLeftGroups, a, d)

	if len(gone) != 2 || f.person(t, f.admin.ID).Status != "removed" || f.person(t, f.dev.ID).Status != "removed" {
		t.Fatalf("deprovisioned %+v; admin %s, dev %s", gone, f.person(t, f.admin.ID).Status, f.person(t, f.dev.ID).Status)
	}
	heads, bodies := f.mails(t)
	if diff := cmp.Diff([]string{"am@portico.test: 2 people lost access to the partner portal"}, heads); diff != "" {
		t.Fatalf("mails (-want +got):\n%s", diff)
	}
	for _, want := range []string{"Ada Harbor <admin@harbor.test>", "Dev Harbor <dev@harbor.test>", "no longer in any group mapped"} {
		if !strings.Contains(bodies[0], want) {
			t.Errorf("the mail does not say %q:\n%s", want, bodies[0])
		}
	}
}

// TestDeprovisionStaff: a member of staff the staff's provider no longer
// vouches for is removed and signed out; the platform admins are told.
func TestDeprovisionStaff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	p := f.provider(t, nil, "https://idp.portico.test", "portal", "s3cret", false)
	am := f.user(t, "am@portico.test")
	f.session(t, am.ID)
	ident := f.link(t, p, am, "am-sub", nil)

	f.deprovision(t, p, sso.ReasonRefused, ident)

	if diff := cmp.Diff(person{Status: "removed", Role: "account_manager", Teams: []string{}}, f.person(t, am.ID)); diff != "" {
		t.Errorf("the account manager afterwards (-want +got):\n%s", diff)
	}
	if len(f.audits(t, "member.deprovisioned")) != 1 {
		t.Error("not audited")
	}
	heads, _ := f.mails(t)
	if diff := cmp.Diff([]string{"admin@portico.test: 1 person lost access to the partner portal"}, heads); diff != "" {
		t.Errorf("mails (-want +got):\n%s", diff)
	}
}

// TestDeprovisionKeepsPlatformAdminsBreakGlass: a platform admin the
// staff's provider drops is signed out and unlinked, but keeps the account
// and its password, the provider's way in when its own provider fails.
func TestDeprovisionKeepsPlatformAdminsBreakGlass(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	p := f.provider(t, nil, "https://idp.portico.test", "portal", "s3cret", false)
	admin := f.user(t, "admin@portico.test")
	f.session(t, admin.ID)
	ident := f.link(t, p, admin, "admin-sub", nil)

	f.deprovision(t, p, sso.ReasonRefused, ident)

	if got := f.person(t, admin.ID); got.Status != "active" || got.Sessions != 0 {
		t.Errorf("the platform admin afterwards: %+v, want active and signed out", got)
	}
	if u := f.user(t, "admin@portico.test"); u.PasswordHash == nil {
		t.Error("the platform admin lost their password")
	}
	if _, err := f.st.IdentityOfUser(context.Background(), admin.ID); err == nil {
		t.Error("the platform admin is still linked to the provider")
	}
}

// TestDeprovisionNeverCrossesPartners: a link (however it came to be)
// from Harbor's provider to a Crane member is dropped, the member left
// alone.
func TestDeprovisionNeverCrossesPartners(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	p := f.provider(t, &f.harbor, "https://idp.harbor.test", "portal", "s3cret", false)
	crane := f.user(t, "dev@crane.test")
	f.session(t, crane.ID)
	ident := f.link(t, p, crane, "crane-sub", nil)

	if gone := f.deprovision(t, p, sso.ReasonRefused, ident); len(gone) != 0 {
		t.Errorf("deprovisioned %+v", gone)
	}
	if got := f.person(t, crane.ID); got.Status != "active" || got.Sessions != 1 {
		t.Errorf("Crane's developer after Harbor's provider dropped them: %+v", got)
	}
	if heads, _ := f.mails(t); len(heads) != 0 {
		t.Errorf("mails: %v", heads)
	}
}
