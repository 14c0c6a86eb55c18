package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/oidctest"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// ssoConfigSecret is the client secret the tests type; no page, audit
// event or API answer may show it.
const ssoConfigSecret = "op-client-secret-never-shown-4711"

// newSSOConfigPortal is the demo portal reaching a real OpenID provider
// running in the test.
func newSSOConfigPortal(t *testing.T) (*portal, *oidctest.Provider) {
	t.Helper()
	p, op, _ := newSSOPortal(t)
	return p, op
}

// newSSOPortal is the demo portal whose single sign-on service trusts a
// real OpenID provider running in the test (none configured yet).
func newSSOPortal(t *testing.T) (*portal, *oidctest.Provider, *sso.Service) {
	t.Helper()
	op := oidctest.Start(t)
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	outbox := mail.NewOutbox(st)
	svc := sso.New(st, sso.MustBox(cfg.Secret), op.HTTPClient(), outbox, cfg.BaseURL)
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: outbox, Mailer: noKick{}, SSO: svc})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &portal{srv: srv, store: st}, op, svc
}

func ssoForm(issuer, domains string, enforced bool) url.Values {
	f := url.Values{"display_name": {"Harbor Directory"}, "issuer": {issuer}, "client_id": {"portico-harbor"},
		"client_secret": {ssoConfigSecret}, "domains": {domains}, "groups_claim": {"groups"}}
	if enforced {
		f.Set("enforced", "on")
	}
	return f
}

// noSecret fails when the client secret is anywhere in the page.
func noSecret(t *testing.T, what string, pg page) {
	t.Helper()
	if html, _ := pg.doc.Html(); strings.Contains(html, ssoConfigSecret) {
		t.Errorf("%s shows the client secret", what)
	}
}

// TestStaffConfiguresPartnerSSO: an account manager sets up Harbor's
// provider against a real OpenID provider: the form says which redirect
// URI to register, a bad domain is refused at its field (422) without
// echoing the secret, the saved provider keeps the secret write-only,
// the partner page links to it; Crane cannot take Harbor's domain; an
// account manager who does not manage a partner gets 404 and changes
// nothing; removal asks first, saying who must use "forgot password".
func TestStaffConfiguresPartnerSSO(t *testing.T) {
	t.Parallel()
	p, op := newSSOConfigPortal(t)
	ctx := context.Background()
	harbor, crane := p.partnerID(t, "harbor-logistics"), p.partnerID(t, "crane-works")
	path := "/partners/" + itoa(harbor) + "/sso"
	am := signedInAs(t, p, "am@portico.test")

	pg := am.get(path)
	if pg.status != http.StatusOK || pg.doc.Find("[data-testid=sso-none]").Length() != 1 {
		t.Fatalf("GET %s = %d, want 200 with the empty state: %s", path, pg.status, text(pg, "main"))
	}
	if got := text(pg, "[data-testid=redirect-uri]"); got != "http://portal.test/sso/callback" {
		t.Errorf("redirect URI = %q, want http://portal.test/sso/callback", got)
	}

	pg = am.post(path, ssoForm(op.Issuer(), "harbor.test\nnot a domain", false))
	if pg.status != http.StatusUnprocessableEntity || !strings.Contains(text(pg, "[data-testid=sso-error-domains]"), "is not an email domain") {
		t.Errorf("bad domain = %d, error %q; want 422 with a message at the domains", pg.status, text(pg, "[data-testid=sso-error-domains]"))
	}
	if got := pg.doc.Find("#sso-display-name").AttrOr("value", ""); got != "Harbor Directory" {
		t.Errorf("refused form shows display name %q, want what was typed", got)
	}
	noSecret(t, "the refused form", pg)

	pg = am.post(path, ssoForm(op.Issuer(), "harbor.test", false))
	if pg.status != http.StatusSeeOther || pg.header.Get("Location") != path {
		t.Fatalf("save = %d to %q, want 303 to %s: %s", pg.status, pg.header.Get("Location"), path, text(pg, "main"))
	}
	pg = am.get(path)
	if !strings.Contains(text(pg, "[data-testid=flash]"), "now sign in through Harbor Directory") {
		t.Errorf("flash = %q", text(pg, "[data-testid=flash]"))
	}
	if pg.doc.Find("[data-testid=sso-optional]").Length() != 1 || !strings.Contains(text(pg, "[data-testid=sso-secret-help]"), "Leave empty to keep the current secret") {
		t.Errorf("saved page: status %q, secret help %q", text(pg, "[data-testid=sso-status]"), text(pg, "[data-testid=sso-secret-help]"))
	}
	if v, ok := pg.doc.Find("[data-testid=sso-client-secret]").Attr("value"); ok && v != "" {
		t.Errorf("the secret field holds %q", v)
	}
	noSecret(t, "the saved provider's page", pg)
	if href := am.get("/partners/"+itoa(harbor)).doc.Find("[data-testid=partner-sso-link]").AttrOr("href", ""); href != path {
		t.Errorf("partner page links to %q, want %s", href, path)
	}

	// Enforcing it cancels Harbor's open invitations: its people join
	// through the provider from then on.
	if res := signedInAs(t, p, "admin@harbor.test").post("/members/invitations", url.Values{"email": {"newcomer@harbor.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Fatalf("invite = %d", res.status)
	}
	enforce := ssoForm(op.Issuer(), "harbor.test", true)
	enforce.Set("client_secret", "")
	if pg = am.post(path, enforce); pg.status != http.StatusSeeOther {
		t.Fatalf("enforce = %d: %s", pg.status, text(pg, "main"))
	}
	if pg = am.get(path); !strings.Contains(text(pg, "[data-testid=flash]"), "open invitations were cancelled") || pg.doc.Find("[data-testid=sso-enforced]").Length() != 1 {
		t.Errorf("after enforcing: flash %q, status %q", text(pg, "[data-testid=flash]"), text(pg, "[data-testid=sso-status]"))
	}
	if n := p.id(t, `SELECT count(*) FROM invitations WHERE partner_id = $1 AND cancelled_at IS NULL AND accepted_at IS NULL`, harbor); n != "0" {
		t.Errorf("%s of Harbor's invitations still open after enforcing", n)
	}

	// Crane's provider may not vouch for Harbor's people.
	admin := signedInAs(t, p, "admin@portico.test")
	cranePath := "/partners/" + itoa(crane) + "/sso"
	pg = admin.post(cranePath, ssoForm(op.Issuer(), "crane.test\nharbor.test", false))
	if pg.status != http.StatusUnprocessableEntity || !strings.Contains(text(pg, "[data-testid=sso-error-domains]"), "harbor.test already belongs to another organisation's sign-in") {
		t.Errorf("Crane claiming harbor.test = %d, %q", pg.status, text(pg, "[data-testid=sso-error-domains]"))
	}

	// An account manager who does not manage Crane finds nothing there.
	if _, err := p.store.UnassignManager(ctx, crane, p.userID(t, "am@portico.test")); err != nil {
		t.Fatal(err)
	}
	for _, res := range []page{am.get(cranePath), am.post(cranePath, ssoForm(op.Issuer(), "crane.test", false)), am.get(cranePath + "/delete")} {
		if res.status != http.StatusNotFound {
			t.Errorf("account manager not of Crane = %d, want 404", res.status)
		}
	}
	if _, err := p.store.PartnerIdentityProvider(ctx, crane); err == nil {
		t.Error("Crane got a provider from refused requests")
	}

	for _, d := range p.auditDetails(t, "sso.provider_saved") {
		if strings.Contains(d, ssoConfigSecret) || !strings.Contains(d, `"secret_changed"`) {
			t.Errorf("audited details %s: want secret_changed and never the secret", d)
		}
	}

	pg = am.get(path + "/delete")
	if effects := text(pg, "[data-testid=confirm-remove-sso]"); !strings.Contains(effects, "Nobody has signed in through Harbor Directory") || !strings.Contains(effects, "forgot password") {
		t.Errorf("confirmation says %q", effects)
	}
	if pg = am.post(path+"/delete", nil); pg.status != http.StatusSeeOther {
		t.Fatalf("remove = %d", pg.status)
	}
	if _, err := p.store.PartnerIdentityProvider(ctx, harbor); err == nil {
		t.Error("the provider is still there after removal")
	}
}

// TestStaffSSOSettings: a platform admin sets up the staff's provider
// (no groups claim, the break-glass note), reached from the portal
// settings; an account manager may not.
func TestStaffSSOSettings(t *testing.T) {
	t.Parallel()
	p, op := newSSOConfigPortal(t)
	admin := signedInAs(t, p, "admin@portico.test")
	if href := admin.get("/settings").doc.Find("[data-testid=staff-sso-link] a").AttrOr("href", ""); href != "/settings/sso" {
		t.Errorf("settings link to %q, want /settings/sso", href)
	}
	pg := admin.get("/settings/sso")
	if pg.status != http.StatusOK || pg.doc.Find("#sso-groups-claim").Length() != 0 || !strings.Contains(text(pg, "#sso-enforced-help"), "break-glass") {
		t.Errorf("GET /settings/sso = %d, groups claim field %d, enforced help %q", pg.status, pg.doc.Find("#sso-groups-claim").Length(), text(pg, "#sso-enforced-help"))
	}
	// Signed in before the staff's provider is enforced: afterwards an
	// account manager's password no longer signs in.
	am := signedInAs(t, p, "am@portico.test")
	form := ssoForm(op.Issuer(), "portico.test", true)
	if pg = admin.post("/settings/sso", form); pg.status != http.StatusSeeOther {
		t.Fatalf("save = %d: %s", pg.status, text(pg, "main"))
	}
	sp, err := p.store.StaffIdentityProvider(context.Background())
	if err != nil || !sp.Enforced || sp.GroupsClaim != "" || sp.PartnerID != nil {
		t.Errorf("staff provider = %+v, %v; want enforced, no groups claim", sp, err)
	}
	if pg = am.post("/settings/sso/delete", nil); pg.status != http.StatusForbidden {
		t.Errorf("account manager removing the staff's provider = %d, want 403", pg.status)
	}
	if pg = admin.post("/settings/sso/delete", nil); pg.status != http.StatusSeeOther {
		t.Errorf("remove = %d", pg.status)
	}
}

// TestPartnerAdminSSOPage: Harbor's admin reads the provider (never its
// secret) or the empty state, maps groups to their own teams and to the
// role, cannot map to Crane's team, and removes a mapping after
// confirming; Harbor's developer may not see the page.
func TestPartnerAdminSSOPage(t *testing.T) {
	t.Parallel()
	p, op := newSSOConfigPortal(t)
	ctx := context.Background()
	harbor := p.partnerID(t, "harbor-logistics")
	admin := signedInAs(t, p, "admin@harbor.test")
	if href := admin.get("/members").doc.Find("[data-testid=sso-link] a").AttrOr("href", ""); href != "/sso" {
		t.Errorf("members page links to %q, want /sso", href)
	}
	if pg := admin.get("/sso"); !strings.Contains(text(pg, "[data-testid=sso-none]"), "your account manager sets it up") {
		t.Errorf("empty state = %q", text(pg, "[data-testid=sso-none]"))
	}
	am := signedInAs(t, p, "am@portico.test")
	if pg := am.post("/partners/"+itoa(harbor)+"/sso", ssoForm(op.Issuer(), "harbor.test", false)); pg.status != http.StatusSeeOther {
		t.Fatalf("configure = %d", pg.status)
	}
	team := createTeam(t, admin, "Harbor Ops")
	craneTeam := createTeam(t, signedInAs(t, p, "admin@crane.test"), "Crane Ops")

	pg := admin.get("/sso")
	if got := text(pg, "[data-testid=sso-display-name]") + " " + text(pg, "[data-testid=sso-domains]"); got != "Harbor Directory harbor.test" {
		t.Errorf("provider shown as %q", got)
	}
	noSecret(t, "the partner admin's page", pg)
	if pg.doc.Find("[data-testid=no-mappings]").Length() != 1 {
		t.Error("no empty state for the mappings")
	}
	for _, f := range []url.Values{
		{"group": {"portal-ops"}, "target": {"team:" + itoa(team)}},
		{"group": {"portal-admins"}, "target": {"role:partner_admin"}},
	} {
		if pg := admin.post("/sso/mappings", f); pg.status != http.StatusSeeOther {
			t.Fatalf("add %v = %d: %s", f, pg.status, text(pg, "main"))
		}
	}
	pg = admin.post("/sso/mappings", url.Values{"group": {"crane-ops"}, "target": {"team:" + itoa(craneTeam)}})
	if pg.status != http.StatusUnprocessableEntity || text(pg, "[data-testid=mapping-target-error]") == "" {
		t.Errorf("mapping to Crane's team = %d, error %q; want 422 at the select", pg.status, text(pg, "[data-testid=mapping-target-error]"))
	}
	pg = admin.get("/sso")
	var rows []string
	pg.doc.Find("[data-testid=sso-mapping]").Each(func(_ int, s *goquery.Selection) {
		rows = append(rows, s.AttrOr("data-group", "")+" → "+strings.TrimSpace(s.Find("[data-testid=sso-mapping-target]").Text()))
	})
	if diff := cmp.Diff([]string{"portal-admins → Partner admin role", "portal-ops → Team Harbor Ops"}, rows); diff != "" {
		t.Errorf("mappings (-want +got):\n%s", diff)
	}
	remove := pg.doc.Find("[data-testid=sso-mapping][data-group=portal-ops] [data-testid=sso-mapping-remove]").AttrOr("href", "")
	if confirm := admin.get(remove); !strings.Contains(text(confirm, "h1"), "Stop mapping portal-ops to the team Harbor Ops?") {
		t.Errorf("confirmation at %q asks %q", remove, text(confirm, "h1"))
	}
	if pg := admin.post(remove, nil); pg.status != http.StatusSeeOther {
		t.Errorf("remove = %d", pg.status)
	}
	if n := p.id(t, `SELECT count(*) FROM sso_group_mappings`); n != "1" {
		t.Errorf("%s mappings left, want 1", n)
	}
	var audited []string
	if err := p.store.DB().SelectContext(ctx, &audited, `SELECT action FROM audit_events WHERE action LIKE 'sso.mapping%' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"sso.mapping_added", "sso.mapping_added", "sso.mapping_removed"}, audited); diff != "" {
		t.Errorf("audited (-want +got):\n%s", diff)
	}
	// Past the recent-authentication window, mapping a group to the role
	// asks to confirm first; a team mapping does not.
	expireSudo(t, p)
	if pg := admin.post("/sso/mappings", url.Values{"group": {"more-admins"}, "target": {"role:partner_admin"}}); pg.status != http.StatusSeeOther ||
		!strings.HasPrefix(pg.header.Get("Location"), "/confirm-password") {
		t.Errorf("role mapping without recent authentication = %d to %q, want the confirmation", pg.status, pg.header.Get("Location"))
	}
	if pg := admin.post("/sso/mappings", url.Values{"group": {"more-ops"}, "target": {"team:" + itoa(team)}}); pg.status != http.StatusSeeOther ||
		pg.header.Get("Location") != "/sso" {
		t.Errorf("team mapping without recent authentication = %d to %q, want it added", pg.status, pg.header.Get("Location"))
	}
	if pg := signedInAs(t, p, "dev@harbor.test").get("/sso"); pg.status != http.StatusForbidden {
		t.Errorf("Harbor's developer on /sso = %d, want 403", pg.status)
	}
}
