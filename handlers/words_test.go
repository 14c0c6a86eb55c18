package handlers_test

import (
	"strings"
	"testing"
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
