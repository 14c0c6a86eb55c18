package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

func TestStaffDirectoryAndNewAccountManager(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@portico.test")
	var emails []string
	admin.get("/staff").doc.Find("[data-testid=staff-member]").Each(func(_ int, s *goquery.Selection) {
		emails = append(emails, s.AttrOr("data-email", ""))
	})
	if diff := cmp.Diff([]string{"admin@portico.test", "am@portico.test"}, emails); diff != "" {
		t.Errorf("staff (-want +got):\n%s", diff)
	}
	res := admin.post("/staff", url.Values{"name": {"Ola Onboard"}, "email": {"ola@portico.test"}, "role": {"account_manager"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("create = %d", res.status)
	}
	var body string
	if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE to_email = 'ola@portico.test'`); err != nil {
		t.Fatal(err)
	}
	m := resetLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("welcome mail has no link:\n%s", body)
	}
	ola := p.browser(t)
	if res := ola.post("/reset-password/"+m[1], url.Values{"password": {"ola's own password"}}); res.status != http.StatusSeeOther {
		t.Fatalf("choose password = %d", res.status)
	}
	if got := text(ola.get("/"), "[data-testid=viewer]"); !strings.Contains(got, "Account manager") {
		t.Errorf("new staff viewer = %q", got)
	}
	for _, tc := range []struct{ email, role, sel string }{
		{"ola@portico.test", "account_manager", "[data-testid=staff-email-error]"},
		{"nope", "account_manager", "[data-testid=staff-email-error]"},
		{"x@portico.test", "developer", ".field-error"},
	} {
		if res := admin.post("/staff", url.Values{"name": {"X"}, "email": {tc.email}, "role": {tc.role}}); res.status != http.StatusUnprocessableEntity || text(res, tc.sel) == "" {
			t.Errorf("create %s/%s = %d %q, want 422 with a message", tc.email, tc.role, res.status, text(res, tc.sel))
		}
	}
	for _, who := range []string{"am@portico.test", "admin@harbor.test"} {
		b := signedInAs(t, p, who)
		if res := b.get("/staff"); res.status != http.StatusForbidden {
			t.Errorf("%s GET /staff = %d, want 403", who, res.status)
		}
		if res := b.post("/staff", url.Values{"name": {"Evil"}, "email": {"evil@x.test"}, "role": {"admin"}}); res.status != http.StatusForbidden {
			t.Errorf("%s POST /staff = %d, want 403", who, res.status)
		}
	}
}
