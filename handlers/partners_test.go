package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

func partnerSlugs(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=partner]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-slug", ""))
	})
	return out
}

func TestPartnersDirectory(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	am := signedInAs(t, p, "am@portico.test")

	pg := am.get("/partners")
	if pg.status != http.StatusOK {
		t.Fatalf("GET /partners = %d", pg.status)
	}
	if diff := cmp.Diff([]string{"crane-works", "harbor-logistics"}, partnerSlugs(pg)); diff != "" {
		t.Errorf("partners (-want +got):\n%s", diff)
	}
	if got := text(pg, "[data-slug=harbor-logistics] td:nth-child(3)"); got != "2" {
		t.Errorf("Harbor's member count = %q, want 2", got)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"?q=harb", []string{"harbor-logistics"}},
		{"?q=HARBOR", []string{"harbor-logistics"}},
		{"?q=%25", nil}, // a literal %, not a wildcard
		{"?status=suspended", nil},
		{"?status=active", []string{"crane-works", "harbor-logistics"}},
	} {
		got := am.get("/partners" + tc.query)
		if diff := cmp.Diff(tc.want, partnerSlugs(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
		if tc.want == nil && got.doc.Find("[data-testid=no-partners]").Length() != 1 {
			t.Errorf("%s: no empty state", tc.query)
		}
	}

	for _, who := range []string{"admin@harbor.test", "dev@harbor.test"} {
		if res := signedInAs(t, p, who).get("/partners"); res.status != http.StatusForbidden {
			t.Errorf("%s GET /partners = %d, want 403", who, res.status)
		}
	}
}

// TestPartnersPagination: 50 partners a page by name, with a Next page
// link carrying a cursor (no total is counted) and a First page link
// after the first.
func TestPartnersPagination(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	for i := 0; i < 55; i++ {
		if _, err := p.store.DB().Exec(`INSERT INTO partners (name, slug) VALUES ($1, $2)`, fmt.Sprintf("Zeta %02d", i), fmt.Sprintf("zeta-%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	admin := signedInAs(t, p, "admin@portico.test")
	first := admin.get("/partners")
	if n := len(partnerSlugs(first)); n != 50 {
		t.Errorf("first page has %d partners, want 50", n)
	}
	if n := first.doc.Find("[data-testid=first-page]").Length(); n != 0 {
		t.Errorf("first page links to the first page")
	}
	next := first.doc.Find("[data-testid=next-page]").AttrOr("href", "")
	if !strings.HasPrefix(next, "/partners?after=") {
		t.Fatalf("next link = %q", next)
	}
	second := admin.get(next)
	if diff := cmp.Diff([]string{"zeta-48", "zeta-49", "zeta-50", "zeta-51", "zeta-52", "zeta-53", "zeta-54"}, partnerSlugs(second)); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	if second.doc.Find("[data-testid=next-page]").Length() != 0 || second.doc.Find("[data-testid=first-page]").AttrOr("href", "") != "/partners" {
		t.Errorf("last page: next %d, first %q", second.doc.Find("[data-testid=next-page]").Length(), second.doc.Find("[data-testid=first-page]").AttrOr("href", ""))
	}
}

func TestCreatePartnerInvitesItsAdmin(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	am := signedInAs(t, p, "am@portico.test")
	res := am.post("/partners", url.Values{"name": {"Quay Partners Ltd."}, "admin_email": {"boss@quay.test"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("create = %d", res.status)
	}
	pg := am.get("/partners")
	if !strings.Contains(text(pg, "[data-testid=flash]"), "Quay Partners Ltd. created; boss@quay.test was invited as its admin.") {
		t.Errorf("flash = %q", text(pg, "[data-testid=flash]"))
	}
	if got := text(pg, "[data-slug=quay-partners-ltd] td:nth-child(4)"); got != "1" {
		t.Errorf("open invitations of the new partner = %q, want 1", got)
	}
	link := p.lastInvitationPath(t, "boss@quay.test")
	boss := p.browser(t)
	if res := boss.post(link, url.Values{"name": {"Bo Quay"}, "password": {"harbour cranes at dawn"}}); res.status != http.StatusSeeOther {
		t.Fatalf("accept = %d", res.status)
	}
	if got := text(boss.get("/"), "[data-testid=viewer]"); !strings.Contains(got, "Partner admin") || !strings.Contains(got, "Quay Partners Ltd.") {
		t.Errorf("new partner admin's viewer = %q", got)
	}
	// The walk goes on: the new partner admin invites a developer, who
	// accepts and then signs in with the password they chose.
	if res := boss.post("/members/invitations", url.Values{"email": {"dev@quay.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Fatalf("partner admin invites = %d", res.status)
	}
	devLink := p.lastInvitationPath(t, "dev@quay.test")
	if res := p.browser(t).post(devLink, url.Values{"name": {"Dee Quay"}, "password": {"gantry lights at dusk"}}); res.status != http.StatusSeeOther {
		t.Fatalf("developer accepts = %d", res.status)
	}
	dev := p.browser(t)
	if res := dev.signIn("dev@quay.test", "gantry lights at dusk"); res.status != http.StatusSeeOther {
		t.Fatalf("developer signs in = %d", res.status)
	}
	if got := text(dev.get("/"), "[data-testid=viewer]"); !strings.Contains(got, "Dee Quay") || !strings.Contains(got, "Developer") || !strings.Contains(got, "Quay Partners Ltd.") {
		t.Errorf("developer's viewer = %q", got)
	}

	for _, tc := range []struct{ name, email, sel, want string }{
		{"Quay Partners Ltd", "x@quay.test", "[data-testid=partner-name-error]", "exists already"},
		{"", "x@quay.test", "[data-testid=partner-name-error]", "Enter the partner's name"},
		{"Other Co", "dev@harbor.test", "[data-testid=admin-email-error]", "another organisation"},
		{"Other Co", "nope", "[data-testid=admin-email-error]", "valid email"},
	} {
		res := am.post("/partners", url.Values{"name": {tc.name}, "admin_email": {tc.email}})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, tc.sel), tc.want) {
			t.Errorf("create %q/%q = %d %q, want 422 %q", tc.name, tc.email, res.status, text(res, tc.sel), tc.want)
		}
	}
	var n int
	if err := p.store.DB().Get(&n, `SELECT count(*) FROM partners WHERE slug = 'other-co'`); err != nil || n != 0 {
		t.Errorf("a refused create left a partner behind (%d, %v)", n, err)
	}
}

func TestSuspendAndReactivate(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	dev := signedInAs(t, p, "dev@crane.test")
	am := signedInAs(t, p, "am@portico.test")
	var id int64
	if err := p.store.DB().Get(&id, `SELECT id FROM partners WHERE slug = 'crane-works'`); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/partners/%d/status", id)
	if res := am.post(path, url.Values{"status": {"suspended"}}); res.status != http.StatusSeeOther {
		t.Fatalf("suspend = %d", res.status)
	}
	if got := text(am.get("/partners?status=suspended"), "[data-slug=crane-works] [data-testid=partner-status]"); got != "Suspended" {
		t.Errorf("status shown = %q", got)
	}
	if dev.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("a suspended partner's developer is still signed in")
	}
	if res := p.browser(t).signIn("dev@crane.test", "portico-demo"); res.status != http.StatusForbidden {
		t.Errorf("sign-in while suspended = %d, want 403", res.status)
	}
	am.post(path, url.Values{"status": {"active"}})
	if res := p.browser(t).signIn("dev@crane.test", "portico-demo"); res.status != http.StatusSeeOther {
		t.Errorf("sign-in after reactivation = %d, want 303", res.status)
	}
	for _, tc := range []struct {
		who, path string
		want      int
	}{
		{"admin@harbor.test", path, http.StatusNotFound}, // another partner: hidden
		{"admin@crane.test", path, http.StatusForbidden}, // own partner, not staff
		{"am@portico.test", "/partners/999999/status", http.StatusNotFound},
	} {
		if res := signedInAs(t, p, tc.who).post(tc.path, url.Values{"status": {"suspended"}}); res.status != tc.want {
			t.Errorf("%s POST %s = %d, want %d", tc.who, tc.path, res.status, tc.want)
		}
	}
}
