package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/token"
)

func (p *portal) partnerID(t *testing.T, slug string) int64 {
	t.Helper()
	pt, err := p.store.PartnerBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return pt.ID
}

// auditDetails returns the details of the events with this action, as JSON.
func (p *portal) auditDetails(t *testing.T, action string) []string {
	t.Helper()
	var out []string
	if err := p.store.DB().Select(&out, `SELECT details::text FROM audit_events WHERE action = $1 ORDER BY id`, action); err != nil {
		t.Fatal(err)
	}
	return out
}

func ownerEmails(pg page) []string { return attrs(pg, "[data-testid=token-owner]", "data-email") }

func TestPartnerAdminSeesAndRevokesTheirPartnersTokens(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	dev := signedInAs(t, p, "dev@harbor.test")
	_, harborToken := createToken(t, dev, tokenForm("Harbor CI", "sandbox", "30", "fleet/fleet:read"))
	_, craneToken := createToken(t, signedInAs(t, p, "dev@crane.test"), tokenForm("Crane CI", "sandbox", "30", "fleet/fleet:read"))

	if res := dev.get("/tokens/partner"); res.status != http.StatusForbidden {
		t.Errorf("developer GET /tokens/partner = %d, want 403", res.status)
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	if admin.get("/tokens").doc.Find("[data-testid=partner-tokens-link]").Length() != 1 {
		t.Error("a partner admin's token page does not link to the partner's tokens")
	}
	list := admin.get("/tokens/partner")
	if list.status != http.StatusOK {
		t.Fatalf("partner admin GET /tokens/partner = %d", list.status)
	}
	if diff := cmp.Diff([]string{"dev@harbor.test"}, ownerEmails(list)); diff != "" {
		t.Errorf("owners listed (-want +got):\n%s", diff)
	}
	if list.doc.Find("[data-testid=token][data-id='"+itoa(craneToken)+"']").Length() != 0 {
		t.Error("another partner's token is listed")
	}
	// Another partner's token id in the URL does not exist.
	for _, res := range []page{
		admin.get("/tokens/" + itoa(craneToken) + "/revoke"),
		admin.post("/tokens/"+itoa(craneToken)+"/revoke", nil),
		admin.post("/tokens/"+itoa(craneToken)+"/approve", nil),
	} {
		if res.status != http.StatusNotFound {
			t.Errorf("another partner's token = %d, want 404", res.status)
		}
	}
	if res := dev.post("/tokens/"+itoa(craneToken)+"/revoke", nil); res.status != http.StatusNotFound {
		t.Errorf("developer revokes another partner's token = %d, want 404", res.status)
	}
	// A partner admin may revoke, not regenerate, a colleague's token.
	if res := admin.get("/tokens/" + itoa(harborToken) + "/regenerate"); res.status != http.StatusForbidden {
		t.Errorf("partner admin regenerates a colleague's token = %d, want 403", res.status)
	}
	href := list.doc.Find("[data-testid=token][data-id='"+itoa(harborToken)+"'] [data-testid=revoke-token]").AttrOr("href", "")
	confirm := admin.get(href)
	action := confirm.doc.Find("[data-testid=confirm-revoke] form").AttrOr("action", "")
	if res := admin.post(action, nil); res.status != http.StatusSeeOther || res.header.Get("Location") != "/tokens/partner" {
		t.Fatalf("revoke from %q = %d to %q", action, res.status, res.header.Get("Location"))
	}
	// Revoked tokens leave the default (open) list for the revoked one.
	if rowStatus(admin.get("/tokens/partner"), harborToken) != "" {
		t.Error("a revoked token is still under open tokens")
	}
	if got := rowStatus(admin.get("/tokens/partner?status=revoked"), harborToken); got != "revoked" {
		t.Errorf("status after the admin revoked it = %q", got)
	}
	if n := p.mailCount(t, "dev@harbor.test", "Your token “Harbor CI” was revoked"); n != 1 {
		t.Errorf("owner told %d times, want 1", n)
	}
}

func TestPartnerApprovalOfLiveTokens(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	admin := signedInAs(t, p, "admin@harbor.test")
	// The account manager owns the setting (the partner page's form).
	settings := "/partners/" + itoa(p.partnerID(t, "harbor-logistics")) + "/settings"
	if res := signedInAs(t, p, "am@portico.test").post(settings, url.Values{"require_live_approval": {"off", "on"}}); res.status != http.StatusSeeOther {
		t.Fatalf("turn approval on = %d", res.status)
	}
	if diff := cmp.Diff([]string{`{"to": true, "from": false}`}, p.auditDetails(t, "partner.live_approval")); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	dev := signedInAs(t, p, "dev@harbor.test")
	for _, b := range []*browser{admin, dev} {
		if res := b.post(settings, url.Values{"require_live_approval": {"off"}}); res.status != http.StatusForbidden {
			t.Errorf("a partner user changes the approval setting = %d, want 403", res.status)
		}
	}
	if dev.get("/tokens/new").doc.Find("[data-testid=approval-required]").Length() != 1 {
		t.Error("the form does not say live tokens wait for approval")
	}
	res := dev.post("/tokens", tokenForm("Go live", "live", "30", "fleet/fleet:read"))
	plain := secretOf(t, res)
	if res.doc.Find("[data-testid=token-pending]").Length() != 1 {
		t.Error("the new token's page does not say it waits for approval")
	}
	id := tokenID(t, dev.get("/tokens"), token.Hint(plain))
	if got := rowStatus(dev.get("/tokens"), id); got != "pending" {
		t.Errorf("status = %q, want pending", got)
	}
	if res := dev.post("/tokens/"+itoa(id)+"/approve", nil); res.status != http.StatusForbidden {
		t.Errorf("owner approves their own token = %d, want 403", res.status)
	}

	pending := admin.get("/tokens/partner?status=pending")
	if diff := cmp.Diff([]string{itoa(id)}, attrs(pending, "[data-testid=token]", "data-id")); diff != "" {
		t.Errorf("pending filter (-want +got):\n%s", diff)
	}
	if pending.doc.Find("[data-testid=approve-token]").Length() != 1 {
		t.Fatal("no approve button on a pending token")
	}
	if res := admin.post("/tokens/"+itoa(id)+"/approve", nil); res.status != http.StatusSeeOther {
		t.Fatalf("approve = %d", res.status)
	}
	if got := rowStatus(admin.get("/tokens/partner"), id); got != "active" {
		t.Errorf("status after approval = %q", got)
	}
	if n := admin.get("/tokens/partner?status=pending").doc.Find("[data-testid=token]").Length(); n != 0 {
		t.Errorf("%d tokens still pending", n)
	}
}

func TestStaffSeeAndRevokePartnerTokens(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	harbor, crane := p.partnerID(t, "harbor-logistics"), p.partnerID(t, "crane-works")
	_, id := createToken(t, signedInAs(t, p, "dev@harbor.test"), tokenForm("Harbor CI", "sandbox", "30", "fleet/fleet:read"))
	base := "/partners/" + itoa(harbor) + "/tokens"

	am := signedInAs(t, p, "am@portico.test")
	if res := am.get("/tokens"); res.status != http.StatusOK || res.doc.Find("[data-testid=staff-tokens] a[href='/partners']").Length() != 1 {
		t.Errorf("staff GET /tokens = %d without a pointer to the partners", res.status)
	}
	if am.get("/").doc.Find("[data-testid=nav] a[href='/tokens']").Length() != 0 {
		t.Error("staff navigation offers Tokens")
	}
	if got := am.get("/partners").doc.Find("[data-slug=harbor-logistics] [data-testid=partner-tokens]").AttrOr("href", ""); got != base {
		t.Errorf("partner list links tokens to %q, want %q", got, base)
	}
	list := am.get(base)
	if list.status != http.StatusOK || rowStatus(list, id) != "active" {
		t.Fatalf("staff GET %s = %d, status %q", base, list.status, rowStatus(list, id))
	}
	if list.doc.Find("[data-testid=partner-own-settings] form").Length() != 0 {
		t.Error("staff are offered a form of the partner's settings on its token list (they are changed on its page)")
	}
	// The token through another partner's address is not there.
	other := "/partners/" + itoa(crane) + "/tokens/" + itoa(id) + "/revoke"
	if res := am.get(other); res.status != http.StatusNotFound {
		t.Errorf("GET %s = %d, want 404", other, res.status)
	}
	if res := am.post(other, nil); res.status != http.StatusNotFound {
		t.Errorf("POST %s = %d, want 404", other, res.status)
	}
	if res := am.get("/partners/999999/tokens"); res.status != http.StatusNotFound {
		t.Errorf("unknown partner's tokens = %d, want 404", res.status)
	}
	href := list.doc.Find("[data-testid=token][data-id='"+itoa(id)+"'] [data-testid=revoke-token]").AttrOr("href", "")
	if href != base+"/"+itoa(id)+"/revoke" {
		t.Errorf("revoke link = %q", href)
	}
	action := am.get(href).doc.Find("[data-testid=confirm-revoke] form").AttrOr("action", "")
	if res := am.post(action, nil); res.status != http.StatusSeeOther || res.header.Get("Location") != base {
		t.Fatalf("account manager revokes = %d to %q", res.status, res.header.Get("Location"))
	}
	if got := rowStatus(am.get(base+"?status=all"), id); got != "revoked" {
		t.Errorf("status after the account manager revoked it = %q", got)
	}
	if n := p.mailCount(t, "dev@harbor.test", "Your token “Harbor CI” was revoked"); n != 1 {
		t.Errorf("owner told %d times, want 1", n)
	}

	// Partner users do not reach another partner's list.
	if res := signedInAs(t, p, "admin@crane.test").get(base); res.status != http.StatusNotFound {
		t.Errorf("another partner's admin GET %s = %d, want 404", base, res.status)
	}
}

// The /partners/:id/… pages are the staff's partner directory: a partner
// admin is refused there even for their own partner (they have
// /tokens/partner), and a developer too.
func TestPartnerDirectoryPagesAreStaffOnly(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	harbor := p.partnerID(t, "harbor-logistics")
	_, id := createToken(t, signedInAs(t, p, "dev@harbor.test"), tokenForm("Harbor CI", "sandbox", "30", "fleet/fleet:read"))
	base := "/partners/" + itoa(harbor)
	for _, who := range []string{"admin@harbor.test", "dev@harbor.test"} {
		u := signedInAs(t, p, who)
		for _, tc := range []struct{ method, path string }{
			{"GET", base + "/tokens"},
			{"GET", base + "/tokens/" + itoa(id) + "/revoke"},
			{"POST", base + "/tokens/" + itoa(id) + "/revoke"},
			{"POST", base + "/status"},
			{"GET", "/partners"},
		} {
			var res page
			if tc.method == "GET" {
				res = u.get(tc.path)
			} else {
				res = u.post(tc.path, url.Values{"status": {"suspended"}})
			}
			if res.status != http.StatusForbidden && res.status != http.StatusNotFound {
				t.Errorf("%s %s %s = %d, want 403 or 404", who, tc.method, tc.path, res.status)
			}
		}
	}
	if got := rowStatus(signedInAs(t, p, "admin@harbor.test").get("/tokens/partner"), id); got != "active" {
		t.Errorf("token after the refused staff-page revoke: %q, want active", got)
	}
}

func TestPortalSettingsTokenLifetime(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	am := signedInAs(t, p, "am@portico.test")
	if res := am.get("/settings"); res.status != http.StatusForbidden {
		t.Errorf("account manager GET /settings = %d, want 403", res.status)
	}
	if res := am.post("/settings", url.Values{"token_max_days": {"30"}}); res.status != http.StatusForbidden {
		t.Errorf("account manager POST /settings = %d, want 403", res.status)
	}
	if am.get("/").doc.Find("[data-testid=nav] a[href='/settings']").Length() != 0 {
		t.Error("account manager's navigation offers Settings")
	}

	admin := signedInAs(t, p, "admin@portico.test")
	pg := admin.get("/settings")
	if pg.status != http.StatusOK || pg.doc.Find("input[name=token_max_days]").AttrOr("value", "") != "365" {
		t.Fatalf("GET /settings = %d, value %q", pg.status, pg.doc.Find("input[name=token_max_days]").AttrOr("value", ""))
	}
	if pg.doc.Find("[data-testid=nav] a[href='/settings'][aria-current=page]").Length() != 1 {
		t.Error("platform admin's navigation lacks Settings")
	}
	for _, bad := range []string{"0", "3651", "ninety", "", "12.5"} {
		res := admin.post("/settings", url.Values{"token_max_days": {bad}})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid=max-days-error]"), "1 to 3650") {
			t.Errorf("max days %q = %d, error %q", bad, res.status, text(res, "[data-testid=max-days-error]"))
		}
		if got := res.doc.Find("input[name=token_max_days]").AttrOr("value", ""); got != bad {
			t.Errorf("input %q not kept: %q", bad, got)
		}
	}
	if res := admin.post("/settings", url.Values{"token_max_days": {"30"}}); res.status != http.StatusSeeOther {
		t.Fatalf("save 30 days = %d", res.status)
	}
	saved := admin.get("/settings")
	if got := saved.doc.Find("input[name=token_max_days]").AttrOr("value", ""); got != "30" {
		t.Errorf("saved value = %q", got)
	}
	if got := text(saved, "[data-testid=settings-updated]"); !strings.Contains(got, "Pat Admin") {
		t.Errorf("last change = %q, want who made it", got)
	}
	if diff := cmp.Diff([]string{`{"to": 30, "from": 365}`}, p.auditDetails(t, "settings.token_max_days")); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}

	dev := signedInAs(t, p, "dev@harbor.test")
	form := dev.get("/tokens/new")
	if diff := cmp.Diff([]string{"7", "30"}, attrs(form, "select[name=days] option", "value")); diff != "" {
		t.Errorf("lifetimes offered (-want +got):\n%s", diff)
	}
	if got := form.doc.Find("select[name=days] option[selected]").AttrOr("value", ""); got != "30" {
		t.Errorf("preselected = %q, want the new maximum", got)
	}
	res := dev.post("/tokens", tokenForm("Too long", "sandbox", "90", "fleet/fleet:read"))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid=expiry-error]"), "30") {
		t.Errorf("90 days over a 30-day maximum = %d, error %q", res.status, text(res, "[data-testid=expiry-error]"))
	}
}
