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

// reconfigure saves the world's provider with another groups claim and
// "require a mapped group" setting, keeping the rest.
func (w *ssoWorld) reconfigure(claim string, require bool) {
	w.t.Helper()
	p := w.provider
	if _, err := w.portal.store.SaveIdentityProvider(context.Background(), store.IdentityProviderInput{PartnerID: p.PartnerID,
		DisplayName: p.DisplayName, Issuer: p.Issuer, ClientID: p.ClientID, GroupsClaim: claim, RequireGroup: require,
		Domains: p.Domains}); err != nil {
		w.t.Fatal(err)
	}
}

// TestSSOAbsentGroupsClaim: when the provider's ID token stops carrying
// the groups claim (Azure sends a reference instead when someone is in
// too many groups), a sign-in changes nobody's teams or role; where a
// mapped group is required it is refused, and the person keeps the
// access and sessions they had.
func TestSSOAbsentGroupsClaim(t *testing.T) {
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
	w.person("dana@harbor.test", "yard", "portal-admins")
	w.person("erin@harbor.test", "yard")
	type state struct {
		InTeam bool
		Role   string
	}
	check := func(when string) {
		t.Helper()
		in, role := w.membership("dana@harbor.test", yard.ID)
		if diff := cmp.Diff(state{true, store.RolePartnerAdmin}, state{in, role}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", when, diff)
		}
	}
	first := w.portal.browser(t)
	w.signIn(first, "dana@harbor.test")
	check("after joining")

	// The portal reads a claim the provider's tokens do not carry.
	w.reconfigure("roles", false)
	if pg := w.signIn(w.portal.browser(t), "dana@harbor.test"); pg.status != http.StatusSeeOther {
		t.Fatalf("sign-in without the claim: %d %s", pg.status, text(pg, "main"))
	}
	check("after a sign-in without the claim")

	w.reconfigure("roles", true)
	msg := refusal(t, w.signIn(w.portal.browser(t), "dana@harbor.test"), http.StatusForbidden)
	if !strings.Contains(msg, "does not give you access") {
		t.Errorf("message %q", msg)
	}
	check("after the refused sign-in")
	if got := viewerName(first); got != "Person dana@harbor.test" {
		t.Errorf("dana's earlier session: signed in as %q", got)
	}
	if n := w.auditActions(t, w.harbor.ID, "member.deprovisioned"); n != 0 {
		t.Errorf("%d member.deprovisioned events", n)
	}
	refusal(t, w.signIn(w.portal.browser(t), "erin@harbor.test"), http.StatusForbidden)
	if _, err := st.UserByEmail(ctx, "erin@harbor.test"); err == nil {
		t.Error("erin joined without the claim although a mapped group is required")
	}
}

// TestSSORequireGroupWithoutMappings: "require a mapped group" switched
// on before any group is mapped lets people in as if it were off.
func TestSSORequireGroupWithoutMappings(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	w.person("admin@harbor.test", "unrelated")
	w.reconfigure("groups", true)
	b := w.portal.browser(t)
	if pg := w.signIn(b, "admin@harbor.test"); pg.status != http.StatusSeeOther {
		t.Fatalf("Harbor's admin, no group mapped yet: %d %s", pg.status, text(pg, "main"))
	}
	if u := w.user("admin@harbor.test"); u.Role != store.RolePartnerAdmin {
		t.Errorf("Harbor's admin is now %s", u.Role)
	}
}

// TestSSORequireGroupHint: the partner admin's page says that requiring a
// mapped group does nothing while no group is mapped.
func TestSSORequireGroupHint(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	w.reconfigure("groups", true)
	admin := signedInAs(t, w.portal, "admin@harbor.test")
	if got := text(admin.get("/sso"), "[data-testid=sso-require-hint]"); !strings.Contains(got, "no effect until a group is mapped") {
		t.Errorf("hint without mappings = %q", got)
	}
	admin.post("/sso/mappings", url.Values{"group": {"portal-admins"}, "target": {"role:partner_admin"}})
	if got := text(admin.get("/sso"), "[data-testid=sso-require-hint]"); got != "Someone in no mapped group cannot sign in." {
		t.Errorf("hint with a mapping = %q", got)
	}
}
