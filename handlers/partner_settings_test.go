package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
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
