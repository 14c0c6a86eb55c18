package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// mailsTo returns the text and HTML bodies of every mail to email.
func (p *portal) mailsTo(t *testing.T, email string) []string {
	t.Helper()
	var bodies []string
	if err := p.store.DB().Select(&bodies, `SELECT text_body || html_body FROM outbox WHERE to_email = $1 ORDER BY id`, email); err != nil {
		t.Fatal(err)
	}
	return bodies
}

// checkNoLink fails when a mail to email carries an invitation link.
func (p *portal) checkNoLink(t *testing.T, email string) {
	t.Helper()
	bodies := p.mailsTo(t, email)
	if len(bodies) == 0 {
		t.Errorf("no notice to %s", email)
	}
	for _, b := range bodies {
		if strings.Contains(b, "ptc_inv_") || strings.Contains(b, "/invitations/") {
			t.Errorf("mail to %s carries an invitation link:\n%s", email, b)
		}
	}
}

// A partner admin inviting an address that has an account with another
// partner, or belongs to staff, is answered exactly as for a new address
// (page and API), while no link that could be accepted is sent: the
// address's owner gets a notice without one.
func TestInvitingAnAccountElsewhereAnswersAsForANewAddress(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@crane.test")
	elsewhere := []string{"dev@harbor.test", "am@portico.test"}

	// The page: the same redirect and flash, the same row in the list.
	rows := map[string]string{}
	for _, email := range append([]string{"fresh@crane.test"}, elsewhere...) {
		res := admin.post("/members/invitations", url.Values{"email": {email}, "role": {"developer"}})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/members" {
			t.Fatalf("invite %s = %d to %q, want 303 to /members", email, res.status, res.header.Get("Location"))
		}
		pg := admin.get("/members")
		if got, want := text(pg, "[data-testid=flash]"), "Invitation sent to "+email+"."; !strings.Contains(got, want) {
			t.Errorf("invite %s: flash %q, want %q", email, got, want)
		}
		pg.doc.Find("[data-testid=invitation]").Each(func(_ int, s *goquery.Selection) {
			if s.AttrOr("data-email", "") == email {
				h, _ := goquery.OuterHtml(s)
				rows[email] = h
			}
		})
	}
	norm := func(email string) string {
		h := strings.ReplaceAll(rows[email], email, "EMAIL")
		// Row ids differ, and nothing else may.
		for _, f := range strings.Fields(h) {
			if strings.Contains(f, "/members/invitations/") {
				h = strings.ReplaceAll(h, f, "ACTION")
			}
		}
		return h
	}
	for _, email := range elsewhere {
		if diff := cmp.Diff(norm("fresh@crane.test"), norm(email)); diff != "" {
			t.Errorf("the listed invitation of %s differs from a new address's (-new +%s):\n%s", email, email, diff)
		}
	}
	if len(p.mailsTo(t, "fresh@crane.test")) != 1 || !strings.Contains(p.mailsTo(t, "fresh@crane.test")[0], "/invitations/ptc_inv_") {
		t.Error("the new address got no invitation link")
	}
	for _, email := range elsewhere {
		p.checkNoLink(t, email)
	}

	// Resending answers the same, and still sends no link.
	pg := admin.get("/members")
	pg.doc.Find("[data-testid=invitation]").Each(func(_ int, s *goquery.Selection) {
		action := s.Find("form[action$='/resend']").AttrOr("action", "")
		if res := admin.post(action, nil); res.status != http.StatusSeeOther {
			t.Errorf("resend to %s = %d, want 303", s.AttrOr("data-email", ""), res.status)
		}
	})
	for _, email := range elsewhere {
		p.checkNoLink(t, email)
		if n := len(p.mailsTo(t, email)); n != 2 {
			t.Errorf("%d notices to %s, want 2 (invite and resend)", n, email)
		}
	}

	// The API: 201 and the same body for all three.
	shape := func(email string) (int, map[string]any) {
		res := admin.sendJSON("POST", "/api/v1/invitations", `{"email":"`+email+`","role":"partner_admin"}`)
		var body map[string]any
		if err := json.Unmarshal([]byte(res.doc.Text()), &body); err != nil {
			t.Fatalf("invite %s through the API: %v", email, err)
		}
		if res.status != http.StatusCreated {
			return res.status, body
		}
		for _, k := range []string{"id", "email", "sent_at", "expires_at"} {
			if _, ok := body[k]; !ok {
				t.Errorf("API invitation of %s lacks %s", email, k)
			}
			delete(body, k)
		}
		return res.status, body
	}
	wantStatus, want := shape("other@crane.test")
	if wantStatus != http.StatusCreated {
		t.Fatalf("API invite of a new address = %d", wantStatus)
	}
	for _, email := range []string{"dev@crane.test", "admin@harbor.test", "admin@portico.test"} {
		if email == "dev@crane.test" {
			// A member of the partner itself: honestly refused.
			if status, _ := shape(email); status != http.StatusUnprocessableEntity {
				t.Errorf("API invite of an own member = %d, want 422", status)
			}
			continue
		}
		status, got := shape(email)
		if status != wantStatus {
			t.Errorf("API invite of %s = %d, want %d", email, status, wantStatus)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("API invitation of %s (-new address +%s):\n%s", email, email, diff)
		}
		p.checkNoLink(t, email)
	}

	// Adding someone to a team takes a member's id: another partner's user
	// answers like an id that does not exist, on the page and in the API.
	team := p.teamID(t, p.partnerID(t, "crane-works"))
	other, missing := itoa(p.userID(t, "dev@harbor.test")), "999999"
	if a, b := admin.post("/teams/"+team+"/members", url.Values{"user_id": {other}}), admin.post("/teams/"+team+"/members", url.Values{"user_id": {missing}}); a.status != b.status || !strings.Contains(text(a, "main"), "This member was not found.") || !strings.Contains(text(b, "main"), "This member was not found.") {
		t.Errorf("team add of another partner's user = %d %q; of no one = %d %q", a.status, text(a, "main"), b.status, text(b, "main"))
	}
	noID := func(s string) string { i := strings.Index(s, `"request_id"`); return s[:max(i, 0)] }
	a := admin.sendJSON("PUT", "/api/v1/teams/"+team+"/members/"+other, "")
	b := admin.sendJSON("PUT", "/api/v1/teams/"+team+"/members/"+missing, "")
	if a.status != b.status || noID(a.doc.Text()) != noID(b.doc.Text()) {
		t.Errorf("API team add of another partner's user = %d %s; of no one = %d %s", a.status, a.doc.Text(), b.status, b.doc.Text())
	}

	// No user of another partner, nor staff, got into Crane.
	var members []string
	if err := p.store.DB().Select(&members, `SELECT u.email FROM users u JOIN partners p ON p.id = u.partner_id WHERE p.slug = 'crane-works'`); err != nil {
		t.Fatal(err)
	}
	sort.Strings(members)
	if diff := cmp.Diff([]string{"admin@crane.test", "dev@crane.test"}, members); diff != "" {
		t.Errorf("Crane's members (-want +got):\n%s", diff)
	}
}
