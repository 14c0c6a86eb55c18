package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/store"
)

// membership is whether the user is in the team, and their role.
func (w *ssoWorld) membership(email string, teamID int64) (inTeam bool, role string) {
	w.t.Helper()
	u := w.user(email)
	err := w.portal.store.DB().GetContext(context.Background(), &inTeam,
		`SELECT EXISTS (SELECT 1 FROM team_memberships WHERE team_id = $1 AND user_id = $2)`, teamID, u.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return inTeam, u.Role
}

// TestSSOGroupsFollowTheClaim: at every sign-in, the teams mapped to the
// provider's groups and the partner-admin role follow the groups claim;
// where the provider requires a mapped group, someone who left them all
// is refused and loses the access they had, sessions included.
func TestSSOGroupsFollowTheClaim(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	ctx := context.Background()
	st := w.portal.store
	yard, err := st.CreateTeam(ctx, w.harbor.ID, "Yard operations")
	if err != nil {
		t.Fatal(err)
	}
	admin := store.RolePartnerAdmin
	if _, err := st.AddGroupMapping(ctx, w.provider.ID, "yard", &yard.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddGroupMapping(ctx, w.provider.ID, "portal-admins", nil, &admin); err != nil {
		t.Fatal(err)
	}
	w.person("dana@harbor.test", "yard", "portal-admins", "unrelated")

	type state struct {
		InTeam bool
		Role   string
	}
	check := func(when string, want state) {
		t.Helper()
		in, role := w.membership("dana@harbor.test", yard.ID)
		if diff := cmp.Diff(want, state{in, role}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", when, diff)
		}
	}
	first := w.portal.browser(t)
	w.signIn(first, "dana@harbor.test")
	check("after joining in both groups", state{true, store.RolePartnerAdmin})

	w.op.SetGroups("sub-dana@harbor.test", "unrelated")
	w.signIn(w.portal.browser(t), "dana@harbor.test")
	check("after leaving both groups", state{false, store.RoleDeveloper})
	if viewerName(first) == "" {
		t.Fatal("the first session ended although the provider does not require a group")
	}

	// The provider now requires a mapped group: dana, in none, is refused
	// at her next sign-in, and her other session ends with her access.
	p := w.provider
	if _, err := st.SaveIdentityProvider(ctx, store.IdentityProviderInput{PartnerID: p.PartnerID, DisplayName: p.DisplayName,
		Issuer: p.Issuer, ClientID: p.ClientID, GroupsClaim: p.GroupsClaim, RequireGroup: true, Domains: p.Domains}); err != nil {
		t.Fatal(err)
	}
	msg := refusal(t, w.signIn(w.portal.browser(t), "dana@harbor.test"), http.StatusForbidden)
	if !strings.Contains(msg, "does not give you access") {
		t.Errorf("message %q", msg)
	}
	if got := viewerName(first); got != "" {
		t.Errorf("dana's earlier session still signed in as %q", got)
	}
	if _, err := st.UserByEmail(ctx, "dana@harbor.test"); err == nil {
		t.Error("dana is still an active member")
	}
	if n := w.auditActions(t, w.harbor.ID, "member.deprovisioned"); n != 1 {
		t.Errorf("%d member.deprovisioned events, want 1", n)
	}
	// Back in a mapped group, she signs in again as a new member.
	w.op.SetGroups("sub-dana@harbor.test", "yard")
	if pg := w.signIn(w.portal.browser(t), "dana@harbor.test"); pg.status != http.StatusSeeOther {
		t.Fatalf("back in a mapped group: %d %s", pg.status, text(pg, "main"))
	}
	check("after rejoining", state{true, store.RoleDeveloper})
}

// TestSSOConfirmAgain: someone who signs in through a provider confirms
// who they are there (no password asked), and the provider must name the
// same person.
func TestSSOConfirmAgain(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	w.person("dana@harbor.test")
	w.person("erin@harbor.test")
	b := w.portal.browser(t)
	w.signIn(b, "dana@harbor.test")

	pg := b.get("/confirm-password?next=/tokens/new")
	if pg.doc.Find("[data-testid=sso-confirm]").Length() != 1 || pg.doc.Find("#password").Length() != 0 {
		t.Fatalf("confirm page: sso-confirm %d, password fields %d; want the provider only",
			pg.doc.Find("[data-testid=sso-confirm]").Length(), pg.doc.Find("#password").Length())
	}
	confirm := func() string {
		loc, _ := url.Parse(providerURL(t, b.post("/sso/confirm", url.Values{"next": {"/tokens/new"}})))
		if loc.Query().Get("prompt") != "login" || loc.Query().Get("max_age") != "0" {
			t.Fatalf("POST /sso/confirm leads to %q; want the provider, asked to authenticate again", loc)
		}
		return loc.String()
	}
	// Someone else signs in at the provider: refused, dana stays dana.
	pg = b.get(w.atProvider(confirm(), "erin@harbor.test"))
	if pg.status != http.StatusSeeOther || !strings.HasPrefix(pg.header.Get("Location"), "/confirm-password") {
		t.Fatalf("confirmed as another person: %d to %q", pg.status, pg.header.Get("Location"))
	}
	if got := viewerName(b); got != "Person dana@harbor.test" {
		t.Fatalf("after confirming as erin, signed in as %q", got)
	}
	pg = b.get(w.atProvider(confirm(), "dana@harbor.test"))
	if pg.status != http.StatusSeeOther || pg.header.Get("Location") != "/tokens/new" {
		t.Fatalf("confirmed as herself: %d to %q, want /tokens/new", pg.status, pg.header.Get("Location"))
	}
}

// TestSSOStaffProvider: the staff's provider signs in existing staff only.
func TestSSOStaffProvider(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	ctx := context.Background()
	id, secret := w.op.AddClient(w.sso.RedirectURL())
	if _, err := w.portal.store.SaveIdentityProvider(ctx, store.IdentityProviderInput{DisplayName: "Portico Google",
		Issuer: w.op.Issuer(), ClientID: id, ClientSecretEnc: w.sso.Box().Seal(secret, "identity_providers.client_secret"),
		Domains: []string{"portico.test"}}); err != nil {
		t.Fatal(err)
	}
	w.person("am@portico.test")
	w.person("newcomer@portico.test")
	b := w.portal.browser(t)
	if pg := w.signIn(b, "am@portico.test"); pg.status != http.StatusSeeOther {
		t.Fatalf("account manager: %d %s", pg.status, text(pg, "main"))
	}
	if got := viewerName(b); got != "Morgan Account" {
		t.Errorf("signed in as %q, want the account manager", got)
	}
	if u := w.user("am@portico.test"); u.Role != store.RoleAccountManager || u.PartnerID != nil {
		t.Errorf("the account manager became %+v", u)
	}
	msg := refusal(t, w.signIn(w.portal.browser(t), "newcomer@portico.test"), http.StatusForbidden)
	if !strings.Contains(msg, "no staff account") {
		t.Errorf("message %q", msg)
	}
	if _, err := w.portal.store.UserByEmail(ctx, "newcomer@portico.test"); err == nil {
		t.Error("the staff provider created an account")
	}
}
