package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
)

// TestIdentityProviderChangesNeedRecentPassword: after the sudo window,
// replacing or removing a partner's provider through the API is 403
// reauthentication_required and changes nothing, as on the page.
func TestIdentityProviderChangesNeedRecentPassword(t *testing.T) {
	t.Parallel()
	e, op := newSSOEnv(t)
	ctx := context.Background()
	harbor, err := e.store.PartnerBySlug(ctx, "harbor-logistics")
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/partners/" + strconv.FormatInt(harbor.ID, 10) + "/identity-provider"
	am := e.signIn("am@portico.test")
	want(t, "PUT within the sudo window", e.call(am, http.MethodPut, path, providerBody(op.Issuer(), apiSecret, "harbor.test")), http.StatusCreated, "")
	e.expireSudo()
	want(t, "PUT after the sudo window", e.call(am, http.MethodPut, path, providerBody(op.Issuer(), "", "harbor.test", "ops.harbor.test")),
		http.StatusForbidden, "reauthentication_required")
	want(t, "DELETE after the sudo window", e.call(am, http.MethodDelete, path, ""), http.StatusForbidden, "reauthentication_required")
	p, err := e.store.PartnerIdentityProvider(ctx, harbor.ID)
	if err != nil || len(p.Domains) != 1 {
		t.Errorf("Harbor's provider after the refused changes: %+v, %v; want it unchanged", p, err)
	}
	want(t, "GET after the sudo window", e.call(am, http.MethodGet, path, ""), http.StatusOK, "")

	// A partner admin past the window: a team mapping goes through, a
	// mapping to the partner-admin role asks for the password first.
	admin := e.signIn("admin@harbor.test")
	e.expireSudo()
	const mappings = "/api/v1/identity-provider/mappings"
	want(t, "role mapping after the sudo window", e.call(admin, http.MethodPost, mappings, `{"group": "admins", "role": "partner_admin"}`),
		http.StatusForbidden, "reauthentication_required")
	if ms, err := e.store.GroupMappings(ctx, p.ID); err != nil || len(ms) != 0 {
		t.Errorf("mappings after the refused one: %+v, %v", ms, err)
	}
}
