package handlers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestWordsSayWhatIsTrue: pages name things as they are (issue 15): an
// access group's limits are per partner, not per credential; the staff
// page is "Staff" in the menu, its title and its heading, as its address
// says; catalog import names the sample APIs, not a folder of the source.
func TestWordsSayWhatIsTrue(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@portico.test")

	groups := admin.get("/access-groups")
	help := text(groups, "[data-testid=create-access-group] [data-testid=rate-help]")
	if !strings.Contains(help, "per partner") || strings.Contains(help, "per credential") {
		t.Errorf("rate limit help = %q, want it per partner", help)
	}

	staff := admin.get("/staff")
	nav := staff.doc.Find(`nav a[href="/staff"]`)
	if got := strings.TrimSpace(nav.First().Text()); got != "Staff" {
		t.Errorf("menu item of /staff = %q, want Staff", got)
	}
	if got := text(staff, "[data-testid=staff-heading]"); got != "Staff" {
		t.Errorf("heading = %q, want Staff", got)
	}
	if got := staff.doc.Find("title").Text(); !strings.HasPrefix(got, "Staff") {
		t.Errorf("title = %q, want it to start with Staff", got)
	}

	imp := admin.get("/catalog/import")
	if label := imp.doc.Find(`label[for=bundled]`).Text(); label == "" || strings.Contains(label, "openapi/") {
		t.Errorf("bundled documents' label = %q, want the sample APIs named without a source folder", label)
	}
}

// TestCatalogOfAPartnerAdminOutsideEveryGrant: a partner admin in no team
// that holds a grant is told their organisation holds APIs (as Access
// shows), not that it has none.
func TestCatalogOfAPartnerAdminOutsideEveryGrant(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	admin := signedInAs(t, p, "admin@harbor.test")
	page := admin.get("/apis")
	var want int
	if err := p.store.DB().Get(&want, `
		SELECT count(DISTINCT aga.api_id) FROM grants g JOIN access_group_apis aga ON aga.access_group_id = g.access_group_id
		JOIN partners pa ON pa.id = g.partner_id WHERE pa.slug = 'harbor-logistics' AND g.revoked_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	got := text(page, "[data-testid=catalog-not-yours]")
	if want != 3 || got != fmt.Sprintf("Your organisation is granted %d APIs, but not to you.", want) {
		t.Errorf("empty catalog says %q; Harbor is granted %d APIs", got, want)
	}
	if page.doc.Find(`[data-testid=catalog-empty] a[href="/access"]`).Length() != 1 {
		t.Error("no link to Access, where the organisation's APIs are")
	}
}

// TestExpiryChoicesShowTheDate: the token form says the day each lifetime
// ends, not only its number of days.
func TestExpiryChoicesShowTheDate(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	dev := signedInAs(t, p, "dev@harbor.test")
	before := time.Now().UTC()
	form := dev.get("/tokens/new")
	after := time.Now().UTC()
	got := strings.TrimSpace(form.doc.Find(`select[name=days] option[value="90"]`).Text())
	want := func(at time.Time) string { return "90 days, until " + at.Add(90*24*time.Hour).Format("2 January 2006") }
	if got != want(before) && got != want(after) {
		t.Errorf("90-day choice = %q, want %q", got, want(after))
	}
}

// TestNewSecretIsNotAnError: the page that shows a new token once says so
// as good news (a status), not as an error alert.
func TestNewSecretIsNotAnError(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	dev := signedInAs(t, p, "dev@harbor.test")
	res := dev.post("/tokens", tokenForm("laptop", "sandbox", "30", "fleet/fleet:read"))
	once := res.doc.Find("[data-testid=shown-once]")
	if once.Length() != 1 || once.AttrOr("role", "") != "status" || once.HasClass("form-error") {
		t.Errorf("shown-once notice: %d found, role %q, classes %q; want one status, not an error", once.Length(), once.AttrOr("role", ""), once.AttrOr("class", ""))
	}
	if res.doc.Find(`[role=alert], .form-error`).Length() != 0 {
		t.Error("the new token's page shows an error alert")
	}
}
