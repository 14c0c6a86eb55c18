package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/portico/portico/internal/demo"
)

// TestConfirmationPages follows each destructive action that asked with a
// browser dialog before (issue 15) the way a person without JavaScript
// would: the list shows a link, the link opens a page saying what will
// happen with a button and a way back, and the button does it. Nothing on
// those pages asks through data-confirm any more. People the action is
// not theirs to take do not see the page.
func TestConfirmationPages(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	if err := demo.SeedCatalog(context.Background(), p.store); err != nil {
		t.Fatal(err)
	}
	p.importAPI(t, "yard")
	port := p.id(t, `SELECT id FROM access_groups WHERE name = 'Port operations'`)
	team := p.id(t, `SELECT id FROM teams WHERE name = 'Integrations'`)
	dev := p.id(t, `SELECT id FROM users WHERE email = 'dev@harbor.test'`)
	grant := p.id(t, `SELECT id FROM grants WHERE team_id = $1`, team)
	crane := p.id(t, `SELECT id FROM partners WHERE slug = 'crane-works'`)
	am := signedInAs(t, p, "am@portico.test")
	admin := signedInAs(t, p, "admin@harbor.test")
	if res := am.post("/access-groups/"+port+"/apis", url.Values{"api": {"yard"}, "scope": {"yard:read"}}); res.status != http.StatusSeeOther {
		t.Fatalf("include yard = %d", res.status)
	}
	if res := admin.post("/members/invitations", url.Values{"email": {"newcomer@harbor.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Fatalf("invite = %d", res.status)
	}
	invitation := p.id(t, `SELECT id FROM invitations WHERE email = 'newcomer@harbor.test'`)

	for _, tc := range []struct {
		name string
		as   *browser
		// list is the page with the action's link, found by link.
		list, link string
		// confirm is the confirmation page; it posts to action.
		confirm, action, heading string
		// done is what the list page says after confirming.
		done string
		// outsiders must not see the confirmation page.
		outsiders []string
	}{
		{"remove an API from a group", am, "/access-groups/" + port, "[data-testid=include-api][data-slug=yard] [data-testid=remove-api]",
			"/access-groups/" + port + "/apis/yard/remove", "/access-groups/" + port + "/apis/yard/remove", "Remove Yard API from Port operations?",
			"Yard API removed from Port operations", []string{"admin@harbor.test", "dev@harbor.test"}},
		{"revoke a grant", am, "/access-groups/" + port, "[data-testid=grant][data-id='" + grant + "'] [data-testid=revoke-grant]",
			"/access-groups/" + port + "/grants/" + grant + "/revoke", "/access-groups/" + port + "/grants/" + grant + "/revoke",
			"Revoke Port operations from team Integrations (Harbor Logistics)?", "Port operations revoked from Integrations (Harbor Logistics)",
			[]string{"admin@harbor.test", "dev@harbor.test"}},
		{"remove a team member", admin, "/teams/" + team, "[data-testid=team-member][data-email='dev@harbor.test'] [data-testid=remove-team-member]",
			"/teams/" + team + "/members/" + dev + "/remove", "/teams/" + team + "/members/" + dev + "/remove", "Remove Dev Harbor from Integrations?",
			"Dev Harbor removed from Integrations", []string{"admin@crane.test", "dev@harbor.test", "am@portico.test"}},
		{"cancel an invitation", admin, "/members", "[data-testid=cancel-invitation]",
			"/members/invitations/" + invitation + "/cancel", "/members/invitations/" + invitation + "/cancel",
			"Cancel the invitation to newcomer@harbor.test?", "Invitation to newcomer@harbor.test cancelled", []string{"admin@crane.test", "dev@harbor.test"}},
		{"suspend a partner", am, "/partners", "[data-testid=partner][data-slug=crane-works] [data-testid=suspend]",
			"/partners/" + crane + "/suspend", "/partners/" + crane + "/status", "Suspend Crane Works?",
			"Crane Works is suspended", []string{"admin@harbor.test", "dev@harbor.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := tc.as.get(tc.list)
			if n := list.doc.Find("[data-confirm]").Length(); n != 0 {
				t.Errorf("%s has %d elements asking through data-confirm", tc.list, n)
			}
			if href := list.doc.Find(tc.link).AttrOr("href", ""); href != tc.confirm {
				t.Fatalf("%s: link %s goes to %q, want %q", tc.list, tc.link, href, tc.confirm)
			}
			for _, who := range tc.outsiders {
				if res := signedInAs(t, p, who).get(tc.confirm); res.status != http.StatusNotFound && res.status != http.StatusForbidden {
					t.Errorf("%s opens %s: %d, want 403 or 404", who, tc.confirm, res.status)
				}
			}
			pg := tc.as.get(tc.confirm)
			if pg.status != http.StatusOK {
				t.Fatalf("%s = %d", tc.confirm, pg.status)
			}
			if got := text(pg, "h1"); got != tc.heading {
				t.Errorf("heading = %q, want %q", got, tc.heading)
			}
			if pg.doc.Find("[data-testid=confirm-effect]").Length() == 0 {
				t.Error("the page does not say what will happen")
			}
			if back := pg.doc.Find("[data-testid=confirm-keep]").AttrOr("href", ""); back != tc.list {
				t.Errorf("the way back goes to %q, want %q", back, tc.list)
			}
			form := pg.doc.Find("main form")
			if got := form.AttrOr("action", ""); got != tc.action || form.AttrOr("method", "") != "post" {
				t.Fatalf("the form posts to %q, want %q", got, tc.action)
			}
			fields := url.Values{}
			form.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) { fields.Add(s.AttrOr("name", ""), s.AttrOr("value", "")) })
			if res := tc.as.post(tc.action, fields); res.status != http.StatusSeeOther || res.header.Get("Location") != tc.list {
				t.Fatalf("confirm = %d to %q, want 303 to %s", res.status, res.header.Get("Location"), tc.list)
			}
			if got := text(tc.as.get(tc.list), "[data-testid=flash]"); !strings.Contains(got, tc.done) {
				t.Errorf("flash after confirming = %q, want %q", got, tc.done)
			}
		})
	}
}
