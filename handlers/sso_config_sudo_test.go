package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/internal/demo"
)

// TestSSOChangesNeedRecentPassword: saving or removing a partner's or the
// staff's provider after the sudo window sends the account manager (the
// platform admin) to confirm their password, back to the form (the
// confirmation), and changes nothing; once confirmed, it goes through.
func TestSSOChangesNeedRecentPassword(t *testing.T) {
	t.Parallel()
	p, op := newSSOConfigPortal(t)
	ctx := context.Background()
	harbor := p.partnerID(t, "harbor-logistics")
	path := "/partners/" + itoa(harbor) + "/sso"
	am := signedInAs(t, p, "am@portico.test")
	admin := signedInAs(t, p, "admin@portico.test")
	if res := am.post(path, ssoForm(op.Issuer(), "harbor.test", false)); res.status != http.StatusSeeOther || res.header.Get("Location") != path {
		t.Fatalf("save within the sudo window = %d to %q", res.status, res.header.Get("Location"))
	}
	if effects := text(am.get(path+"/delete"), "[data-testid=confirm-remove-sso]"); !strings.Contains(effects, "The admins of Harbor Logistics are told by mail") {
		t.Errorf("the removal's confirmation says %q, want that Harbor's admins are told", effects)
	}
	expireSudo(t, p)
	for _, tc := range []struct {
		who      *browser
		path     string
		form     url.Values
		wantNext string
	}{
		{am, path, ssoForm(op.Issuer(), "harbor.test\nops.harbor.test", true), path},
		{am, path + "/delete", nil, path + "/delete"},
		{admin, "/settings/sso", ssoForm(op.Issuer(), "portico.test", false), "/settings/sso"},
	} {
		res := tc.who.post(tc.path, tc.form)
		if want := "/confirm-password?next=" + url.QueryEscape(tc.wantNext); res.status != http.StatusSeeOther || res.header.Get("Location") != want {
			t.Errorf("POST %s after the sudo window = %d to %q, want 303 to %s", tc.path, res.status, res.header.Get("Location"), want)
		}
	}
	hp, err := p.store.PartnerIdentityProvider(ctx, harbor)
	if err != nil || len(hp.Domains) != 1 || hp.Enforced {
		t.Errorf("Harbor's provider after the refused changes: %+v, %v; want it unchanged", hp, err)
	}
	if _, err := p.store.StaffIdentityProvider(ctx); err == nil {
		t.Error("the staff's provider was created without a recent password")
	}
	if res := am.post("/confirm-password", url.Values{"password": {demo.Password}, "next": {path + "/delete"}}); res.header.Get("Location") != path+"/delete" {
		t.Fatalf("confirming the password = %d to %q", res.status, res.header.Get("Location"))
	}
	if res := am.post(path+"/delete", nil); res.status != http.StatusSeeOther {
		t.Errorf("removal after confirming = %d", res.status)
	}
	if _, err := p.store.PartnerIdentityProvider(ctx, harbor); err == nil {
		t.Error("the provider is still there after a confirmed removal")
	}
}
