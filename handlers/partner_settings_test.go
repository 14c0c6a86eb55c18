package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
)

// TestPartnerTokenLifetime: staff set a partner's own longest token
// lifetime on its page; the partner's new tokens are held to it (the form
// offers no longer one, a longer one is refused naming the organisation's
// maximum); an empty value goes back to the portal's; values over the
// portal's are refused; partner admins cannot set it.
func TestPartnerTokenLifetime(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	var harbor int64
	if err := p.store.DB().Get(&harbor, `SELECT id FROM partners WHERE slug = 'harbor-logistics'`); err != nil {
		t.Fatal(err)
	}
	page := "/partners/" + strconv.FormatInt(harbor, 10)
	am := signedInAs(t, p, "am@portico.test")
	if res := am.post(page+"/settings", url.Values{"token_max_days": {"30"}}); res.status != http.StatusSeeOther {
		t.Fatalf("save = %d", res.status)
	}
	if v := am.get(page).doc.Find("#partner-token-max-days").AttrOr("value", ""); v != "30" {
		t.Errorf("partner page shows %q", v)
	}
	dev := signedInAs(t, p, "dev@harbor.test")
	if max := dev.get("/tokens/new").doc.Find("select[name=days] option").Last().AttrOr("value", ""); max != "30" {
		t.Errorf("the token form's longest choice is %q days, want 30", max)
	}
	res := dev.post("/tokens", tokenForm("too long", "sandbox", "90", "fleet/fleet:read"))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.doc.Text(), "your organisation's maximum") {
		t.Errorf("a 90-day token = %d", res.status)
	}
	if res := dev.post("/tokens", tokenForm("fits", "sandbox", "30", "fleet/fleet:read")); res.status != http.StatusOK {
		t.Errorf("a 30-day token = %d", res.status)
	}
	// Crane, with no setting of its own, keeps the portal's maximum.
	if res := signedInAs(t, p, "dev@crane.test").post("/tokens", tokenForm("crane", "sandbox", "90", "fleet/fleet:read")); res.status != http.StatusOK {
		t.Errorf("Crane's 90-day token = %d", res.status)
	}
	res = am.post(page+"/settings", url.Values{"token_max_days": {"5000"}})
	if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=partner-token-max-days-error]") == "" {
		t.Errorf("5000 days = %d", res.status)
	}
	if res := am.post(page+"/settings", url.Values{"token_max_days": {""}}); res.status != http.StatusSeeOther {
		t.Errorf("reset = %d", res.status)
	}
	if res := dev.post("/tokens", tokenForm("long again", "sandbox", "90", "fleet/fleet:read")); res.status != http.StatusOK {
		t.Errorf("a 90-day token after the reset = %d", res.status)
	}
	var events int
	if err := p.store.DB().Get(&events, `SELECT count(*) FROM audit_events WHERE action = 'partner.token_max_days'`); err != nil || events != 2 {
		t.Errorf("audit events %d (%v), want 2", events, err)
	}
	if res := signedInAs(t, p, "admin@harbor.test").post(page+"/settings", url.Values{"token_max_days": {"7"}}); res.status != http.StatusForbidden {
		t.Errorf("partner admin = %d, want 403", res.status)
	}
}

// unassignedManager creates an account manager assigned to no partner and
// signs them in.
func unassignedManager(t *testing.T, p *portal) *browser {
	t.Helper()
	hash, err := password.Hash(demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.store.CreateUser(context.Background(), store.NewUser{Email: "una@portico.test", Name: "Una Unassigned",
		Role: "account_manager", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	return signedInAs(t, p, "una@portico.test")
}

// settingsForm is the partner page's settings form as a browser sends it
// (each switch's hidden "off" before its "on").
func settingsForm(rate, days string, approval, devClients bool) url.Values {
	f := url.Values{"rate_limit_per_minute": {rate}, "token_max_days": {days},
		"require_live_approval": {"off"}, "developer_clients": {"off"}}
	if approval {
		f["require_live_approval"] = append(f["require_live_approval"], "on")
	}
	if devClients {
		f["developer_clients"] = append(f["developer_clients"], "on")
	}
	return f
}

// TestPartnerSettingsForm: the account manager of a partner sets its
// ceiling, approval of live credentials and developers' OAuth clients
// beside its token lifetime in one form; each changed setting is audited
// from and to, an unchanged one is not; the page shows the saved values;
// bad values are refused at their field with the rest kept as typed;
// another account manager gets 404 and a partner admin 403.
func TestPartnerSettingsForm(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	harbor := p.partnerID(t, "harbor-logistics")
	page := "/partners/" + strconv.FormatInt(harbor, 10)
	am := signedInAs(t, p, "am@portico.test")

	form := am.get(page).doc.Find("[data-testid=partner-settings]")
	if form.AttrOr("action", "") != page+"/settings" || form.Find("#partner-rate-limit").AttrOr("value", "x") != "" ||
		form.Find("[data-testid=partner-require-approval][checked]").Length() != 0 || form.Find("[data-testid=partner-developer-clients][checked]").Length() != 0 {
		t.Fatalf("the settings form before any change is not the defaults: %q", form.Text())
	}

	res := am.post(page+"/settings", settingsForm("120", "", true, true))
	if res.status != http.StatusSeeOther || res.header.Get("Location") != page {
		t.Fatalf("save = %d to %q", res.status, res.header.Get("Location"))
	}
	after := am.get(page)
	if got := text(after, "[data-testid=flash]"); !strings.Contains(got, "120 a minute") || !strings.Contains(got, "approval") || !strings.Contains(got, "OAuth clients") {
		t.Errorf("flash = %q", got)
	}
	form = after.doc.Find("[data-testid=partner-settings]")
	if v := form.Find("#partner-rate-limit").AttrOr("value", ""); v != "120" {
		t.Errorf("ceiling shown = %q, want 120", v)
	}
	if form.Find("[data-testid=partner-require-approval][checked]").Length() != 1 || form.Find("[data-testid=partner-developer-clients][checked]").Length() != 1 {
		t.Error("the switches are not shown on")
	}
	for action, want := range map[string][]string{
		"partner.rate_limit":        {`{"to": 120, "from": null}`},
		"partner.live_approval":     {`{"to": true, "from": false}`},
		"partner.developer_clients": {`{"to": true, "from": false}`},
		"partner.token_max_days":    nil,
	} {
		if diff := cmp.Diff(want, p.auditDetails(t, action)); diff != "" {
			t.Errorf("audit of %s (-want +got):\n%s", action, diff)
		}
	}
	var actor string
	if err := p.store.DB().Get(&actor, `SELECT u.email FROM audit_events e JOIN users u ON u.id = e.actor_id WHERE e.action = 'partner.rate_limit'`); err != nil || actor != "am@portico.test" {
		t.Errorf("the ceiling's change is audited as by %q (%v)", actor, err)
	}
	if got := text(am.get("/audit"), "main"); !strings.Contains(got, "set the ceiling of Harbor Logistics to 120 requests per minute") {
		t.Error("the audit trail does not say the ceiling's change in words")
	}

	// Saving again changes nothing and audits nothing; turning one switch
	// off and clearing the ceiling audits those two only.
	am.post(page+"/settings", settingsForm("120", "", true, true))
	am.post(page+"/settings", settingsForm("", "", true, false))
	if diff := cmp.Diff([]string{`{"to": 120, "from": null}`, `{"to": null, "from": 120}`}, p.auditDetails(t, "partner.rate_limit")); diff != "" {
		t.Errorf("audit of the ceiling (-want +got):\n%s", diff)
	}
	if n := len(p.auditDetails(t, "partner.live_approval")); n != 1 {
		t.Errorf("%d approval events, want 1 (it did not change)", n)
	}
	if n := len(p.auditDetails(t, "partner.developer_clients")); n != 2 {
		t.Errorf("%d developer clients events, want 2", n)
	}

	for _, tc := range []struct{ rate, days, field string }{
		{"many", "", "partner-rate-limit"},
		{"0", "", "partner-rate-limit"},
		{"-5", "", "partner-rate-limit"},
		{"1000001", "", "partner-rate-limit"},
		{"99999999999999999999999", "", "partner-rate-limit"},
		{"12.5", "", "partner-rate-limit"},
		{"", "0", "partner-token-max-days"},
		{"", "5000", "partner-token-max-days"},
		{"", "a week", "partner-token-max-days"},
	} {
		t.Run(tc.field+"="+tc.rate+tc.days, func(t *testing.T) {
			res := am.post(page+"/settings", settingsForm(tc.rate, tc.days, false, true))
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422", res.status)
			}
			if msg := text(res, "[data-testid="+tc.field+"-error]"); msg == "" {
				t.Errorf("no message at %s", tc.field)
			}
			if res.doc.Find("#"+tc.field+"[aria-invalid]").Length() != 1 {
				t.Errorf("%s is not marked invalid", tc.field)
			}
			// What was typed is kept, the switches as sent.
			if res.doc.Find("[data-testid=partner-require-approval][checked]").Length() != 0 || res.doc.Find("[data-testid=partner-developer-clients][checked]").Length() != 1 {
				t.Error("the refused form does not keep the switches as sent")
			}
		})
	}
	if got := p.auditDetails(t, "partner.live_approval"); len(got) != 1 {
		t.Errorf("a refused form changed a setting: %v", got)
	}
	s, err := p.store.PartnerSettingsOf(context.Background(), harbor)
	if err != nil || s.RateLimit != nil || !s.RequireLiveApproval {
		t.Errorf("after refusals the settings are %+v (%v)", s, err)
	}

	// Another account manager's partner is not there; a partner admin may
	// not change what the account manager owns, even for their own partner.
	una := unassignedManager(t, p)
	if res := una.post(page+"/settings", settingsForm("5", "", false, false)); res.status != http.StatusNotFound {
		t.Errorf("unassigned account manager = %d, want 404", res.status)
	}
	if res := signedInAs(t, p, "admin@harbor.test").post(page+"/settings", settingsForm("5", "", false, false)); res.status != http.StatusForbidden {
		t.Errorf("partner admin = %d, want 403", res.status)
	}
	// The platform admin manages every partner.
	if res := signedInAs(t, p, "admin@portico.test").post(page+"/settings", settingsForm("5", "", true, false)); res.status != http.StatusSeeOther {
		t.Errorf("platform admin = %d, want 303", res.status)
	}
	if s, _ := p.store.PartnerSettingsOf(context.Background(), harbor); s.RateLimit == nil || *s.RateLimit != 5 {
		t.Errorf("the platform admin's ceiling was not saved: %+v", s)
	}
}

// TestPartnerAdminReadsTheSettings: the partner admin's token page shows
// the settings the account manager owns, read only, naming the account
// manager; the old toggles are gone; staff see the same with a link to
// change them.
func TestPartnerAdminReadsTheSettings(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	harbor := p.partnerID(t, "harbor-logistics")
	am := signedInAs(t, p, "am@portico.test")
	am.post("/partners/"+strconv.FormatInt(harbor, 10)+"/settings", settingsForm("300", "30", true, false))

	admin := signedInAs(t, p, "admin@harbor.test")
	pg := admin.get("/tokens/partner")
	got := map[string]string{}
	for _, id := range []string{"rate-ceiling", "token-lifetime", "approval-state", "developer-clients-state", "settings-managers"} {
		got[id] = text(pg, "[data-testid=partner-own-settings] [data-testid="+id+"]")
	}
	want := map[string]string{
		"rate-ceiling":            "300 requests per minute across all its APIs",
		"token-lifetime":          "30 days",
		"approval-state":          "A developer's live tokens and OAuth clients need a partner admin's approval.",
		"developer-clients-state": "Only partner admins register them.",
		"settings-managers":       "Morgan Account",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings shown to the partner admin (-want +got):\n%s", diff)
	}
	if owner := text(pg, "[data-testid=settings-owner]"); !strings.Contains(owner, "account manager") {
		t.Errorf("the page does not say who sets them: %q", owner)
	}
	if n := pg.doc.Find("[data-testid=partner-own-settings] form, [data-testid=partner-own-settings] input, [data-testid=edit-partner-settings]").Length(); n != 0 {
		t.Errorf("the partner admin is offered %d controls over the settings", n)
	}
	if note := text(admin.get("/access"), "[data-testid=partner-ceiling]"); !strings.Contains(note, "300 requests per minute across all its APIs") {
		t.Errorf("the access page's note of the ceiling = %q", note)
	}
	if n := signedInAs(t, p, "admin@crane.test").get("/access").doc.Find("[data-testid=partner-ceiling]").Length(); n != 0 {
		t.Error("a partner without a ceiling is told of one")
	}
	for _, path := range []string{"/tokens/partner/settings", "/tokens/partner/developer-clients"} {
		if res := admin.post(path, url.Values{"require_live_approval": {"on"}, "developer_clients": {"on"}}); res.status < 400 {
			t.Errorf("the old toggle %s answers %d", path, res.status)
		}
	}
	if s, _ := p.store.PartnerSettingsOf(context.Background(), harbor); s.DeveloperClients {
		t.Error("an old toggle still changes the setting")
	}
	// A developer who may not register clients is told who decides.
	if hint := text(signedInAs(t, p, "dev@harbor.test").get("/tokens"), "[data-testid=client-hint]"); !strings.Contains(hint, "account manager") {
		t.Errorf("the developer's hint = %q", hint)
	}

	staff := am.get("/partners/" + strconv.FormatInt(harbor, 10) + "/tokens")
	if href := staff.doc.Find("[data-testid=edit-partner-settings]").AttrOr("href", ""); !strings.HasPrefix(href, "/partners/"+strconv.FormatInt(harbor, 10)) {
		t.Errorf("staff's link to change the settings = %q", href)
	}
}

// TestEndedPartnerSettingsStay: an ended partnership's settings are on
// record: its page offers no form and a save is refused (409) unchanged.
func TestEndedPartnerSettingsStay(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	harbor := p.partnerID(t, "harbor-logistics")
	page := "/partners/" + strconv.FormatInt(harbor, 10)
	if _, err := p.store.MarkPartnerEnded(context.Background(), harbor, nil); err != nil {
		t.Fatal(err)
	}
	am := signedInAs(t, p, "am@portico.test")
	if am.get(page).doc.Find("[data-testid=partner-settings]").Length() != 0 {
		t.Error("an ended partner's page offers its settings form")
	}
	if res := am.post(page+"/settings", settingsForm("10", "", true, true)); res.status != http.StatusConflict {
		t.Errorf("save for an ended partner = %d, want 409", res.status)
	}
	if s, _ := p.store.PartnerSettingsOf(context.Background(), harbor); s.RateLimit != nil || s.DeveloperClients {
		t.Errorf("an ended partner's settings changed: %+v", s)
	}
	if n := am.get(page + "/tokens").doc.Find("[data-testid=edit-partner-settings]").Length(); n != 0 {
		t.Error("an ended partner's token list links to changing its settings")
	}
}
