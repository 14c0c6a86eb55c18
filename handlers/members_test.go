package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
)

var inviteLink = regexp.MustCompile(`/invitations/(ptc_inv_[0-9A-Za-z]+)`)

// lastInvitationPath returns the path of the newest invitation link mailed to email.
func (p *portal) lastInvitationPath(t *testing.T, email string) string {
	t.Helper()
	var body string
	if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE to_email = $1 ORDER BY id DESC LIMIT 1`, email); err != nil {
		t.Fatalf("no mail to %s in the outbox: %v", email, err)
	}
	m := inviteLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("mail to %s has no invitation link:\n%s", email, body)
	}
	return "/invitations/" + m[1]
}

func (p *portal) userID(t *testing.T, email string) int64 {
	t.Helper()
	u, err := p.store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u.ID
}

func memberEmails(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=member]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-email", ""))
	})
	return out
}

func signedInAs(t *testing.T, p *portal, email string) *browser {
	t.Helper()
	b := p.browser(t)
	if res := b.signIn(email, demo.Password); res.status != http.StatusSeeOther {
		t.Fatalf("sign in %s = %d", email, res.status)
	}
	b.get("/") // consume the welcome flash
	return b
}

func TestMembersPageAccess(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)

	admin := signedInAs(t, p, "admin@harbor.test")
	pg := admin.get("/members")
	if pg.status != http.StatusOK {
		t.Fatalf("partner admin GET /members = %d", pg.status)
	}
	if diff := cmp.Diff([]string{"admin@harbor.test", "dev@harbor.test"}, memberEmails(pg)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if pg.doc.Find("[data-testid=no-invitations]").Length() != 1 {
		t.Error("no empty state for invitations")
	}
	if got := pg.doc.Find("[data-testid=nav] a[href='/members']").Length(); got != 1 {
		t.Error("partner admin's navigation lacks Members")
	}

	dev := signedInAs(t, p, "dev@harbor.test")
	if res := dev.get("/members"); res.status != http.StatusForbidden {
		t.Errorf("developer GET /members = %d, want 403", res.status)
	}
	if n := dev.get("/").doc.Find("[data-testid=nav] a[href='/members']").Length(); n != 0 {
		t.Error("developer's navigation offers Members")
	}
	if res := p.browser(t).get("/members"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/sign-in?next=%2Fmembers" {
		t.Errorf("signed out GET /members = %d to %q, want 303 to sign-in", res.status, res.header.Get("Location"))
	}
}

func TestInviteAndAccept(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")

	res := admin.post("/members/invitations", url.Values{"email": {"New.Person@Harbor.test"}, "role": {"developer"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("invite = %d", res.status)
	}
	pg := admin.get("/members")
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Invitation sent to new.person@harbor.test") {
		t.Errorf("flash = %q", got)
	}
	if got := pg.doc.Find("[data-testid=invitation]").AttrOr("data-email", ""); got != "new.person@harbor.test" {
		t.Errorf("open invitation = %q", got)
	}
	link := p.lastInvitationPath(t, "new.person@harbor.test")

	invitee := p.browser(t)
	form := invitee.get(link)
	if form.status != http.StatusOK || !strings.Contains(text(form, "[data-testid=invitation-page]"), "Harbor Logistics") {
		t.Fatalf("invitation page = %d %q", form.status, text(form, "[data-testid=invitation-page]"))
	}
	bad := invitee.post(link, url.Values{"name": {"Nia New"}, "password": {"short"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(text(bad, "[data-testid=password-error]"), "at least 8 characters") {
		t.Errorf("short password = %d %q", bad.status, text(bad, "[data-testid=password-error]"))
	}
	if got, _ := bad.doc.Find("input[name=name]").Attr("value"); got != "Nia New" {
		t.Errorf("name field not kept: %q", got)
	}
	ok := invitee.post(link, url.Values{"name": {"Nia New"}, "password": {"a long new password"}})
	if ok.status != http.StatusSeeOther {
		t.Fatalf("accept = %d", ok.status)
	}
	home := invitee.get("/")
	if got := text(home, "[data-testid=viewer]"); !strings.Contains(got, "Nia New") || !strings.Contains(got, "Developer") || !strings.Contains(got, "Harbor Logistics") {
		t.Errorf("after accepting, viewer = %q", got)
	}
	// Used links say so, to anyone.
	again := p.browser(t).get(link)
	if again.status != http.StatusGone || !strings.Contains(text(again, "[data-testid=invitation-problem]"), "already used") {
		t.Errorf("used link = %d %q", again.status, text(again, "[data-testid=invitation-problem]"))
	}
	if diff := cmp.Diff([]string{"admin@harbor.test", "dev@harbor.test", "new.person@harbor.test"}, memberEmails(admin.get("/members"))); diff != "" {
		t.Errorf("members after accept (-want +got):\n%s", diff)
	}
	// The new member signs in with the password they chose.
	if res := p.browser(t).signIn("new.person@harbor.test", "a long new password"); res.status != http.StatusSeeOther {
		t.Errorf("new member sign-in = %d", res.status)
	}
}

func TestInviteRefusals(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	admin.post("/members/invitations", url.Values{"email": {"open@harbor.test"}, "role": {"developer"}})
	for _, tc := range []struct {
		email, role, want string
	}{
		{"dev@harbor.test", "developer", "dev@harbor.test is already a member of your organisation."},
		{"not-an-email", "developer", "Enter a valid email address"},
		{"open@harbor.test", "developer", "already has an open invitation"},
		{"x@harbor.test", "admin", "Choose a role"},
	} {
		t.Run(tc.email+"/"+tc.role, func(t *testing.T) {
			res := admin.post("/members/invitations", url.Values{"email": {tc.email}, "role": {tc.role}})
			msg := text(res, "[data-testid=invite-email-error]") + text(res, ".field-error")
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.want) {
				t.Errorf("= %d %q, want 422 with %q", res.status, msg, tc.want)
			}
		})
	}
	var n int
	if err := p.store.DB().Get(&n, `SELECT count(*) FROM invitations`); err != nil || n != 1 {
		t.Errorf("invitations stored = %d (%v), want only the first one", n, err)
	}
}

func TestResendCancelAndExpiry(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	admin.post("/members/invitations", url.Values{"email": {"r@harbor.test"}, "role": {"partner_admin"}})
	first := p.lastInvitationPath(t, "r@harbor.test")
	id := admin.get("/members").doc.Find("[data-testid=invitation] form").First().AttrOr("action", "")
	if !strings.HasSuffix(id, "/resend") {
		t.Fatalf("resend form action = %q", id)
	}
	if res := admin.post(id, nil); res.status != http.StatusSeeOther {
		t.Fatalf("resend = %d", res.status)
	}
	second := p.lastInvitationPath(t, "r@harbor.test")
	if second == first {
		t.Fatal("resend mailed the same link")
	}
	if res := p.browser(t).get(first); res.status != http.StatusNotFound {
		t.Errorf("old link after resend = %d, want 404", res.status)
	}
	if res := p.browser(t).get(second); res.status != http.StatusOK {
		t.Errorf("new link = %d, want 200", res.status)
	}

	if _, err := p.store.DB().Exec(`UPDATE invitations SET expires_at = now() - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	exp := p.browser(t).get(second)
	if exp.status != http.StatusGone || !strings.Contains(text(exp, "[data-testid=invitation-problem]"), "expired") || !strings.Contains(text(exp, "[data-testid=invitation-problem]"), "Ada Harbor") {
		t.Errorf("expired link = %d %q, want 410 naming the inviter", exp.status, text(exp, "[data-testid=invitation-problem]"))
	}
	if admin.get("/members").doc.Find("[data-testid=invitation-expired]").Length() != 1 {
		t.Error("the members page does not mark the invitation expired")
	}

	cancel := strings.TrimSuffix(id, "/resend") + "/cancel"
	if res := admin.post(cancel, nil); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d", res.status)
	}
	if _, err := p.store.DB().Exec(`UPDATE invitations SET expires_at = now() + interval '1 day'`); err != nil {
		t.Fatal(err)
	}
	can := p.browser(t).get(second)
	if can.status != http.StatusGone || !strings.Contains(text(can, "[data-testid=invitation-problem]"), "cancelled") {
		t.Errorf("cancelled link = %d %q", can.status, text(can, "[data-testid=invitation-problem]"))
	}
}

func TestCrossTenantMemberActionsAre404(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	crane := signedInAs(t, p, "admin@crane.test")
	crane.post("/members/invitations", url.Values{"email": {"c@crane.test"}, "role": {"developer"}})
	var craneInv int64
	if err := p.store.DB().Get(&craneInv, `SELECT id FROM invitations WHERE email = 'c@crane.test'`); err != nil {
		t.Fatal(err)
	}
	craneDev := strconv.FormatInt(p.userID(t, "dev@crane.test"), 10)
	harbor := signedInAs(t, p, "admin@harbor.test")
	for _, tc := range []struct{ method, path string }{
		{"GET", "/members/" + craneDev + "/remove"},
		{"POST", "/members/" + craneDev + "/remove"},
		{"POST", "/members/" + craneDev + "/role"},
		{"POST", "/members/invitations/" + strconv.FormatInt(craneInv, 10) + "/cancel"},
		{"POST", "/members/invitations/" + strconv.FormatInt(craneInv, 10) + "/resend"},
		{"GET", "/members/999999/remove"},
		{"GET", "/members/abc/remove"},
	} {
		var res page
		if tc.method == "GET" {
			res = harbor.get(tc.path)
		} else {
			res = harbor.post(tc.path, url.Values{"role": {"partner_admin"}})
		}
		if res.status != http.StatusNotFound {
			t.Errorf("%s %s = %d, want 404", tc.method, tc.path, res.status)
		}
	}
	u, _ := p.store.UserByEmail(context.Background(), "dev@crane.test")
	if u == nil || u.Role != "developer" {
		t.Error("the other partner's developer was changed")
	}
}

func TestLastAdminAndRemoval(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	self := strconv.FormatInt(p.userID(t, "admin@harbor.test"), 10)
	dev := strconv.FormatInt(p.userID(t, "dev@harbor.test"), 10)

	admin.post("/members/"+self+"/role", url.Values{"role": {"developer"}})
	if got := text(admin.get("/members"), "[data-testid=flash]"); !strings.Contains(got, "cannot demote the last admin") {
		t.Errorf("demoting the last admin: flash %q", got)
	}
	admin.post("/members/"+self+"/remove", nil)
	if got := text(admin.get("/members"), "[data-testid=flash]"); !strings.Contains(got, "cannot remove the last admin") {
		t.Errorf("removing the last admin: flash %q", got)
	}

	devBrowser := signedInAs(t, p, "dev@harbor.test")
	confirm := admin.get("/members/" + dev + "/remove")
	if confirm.status != http.StatusOK || confirm.doc.Find("[data-testid=confirm-remove-button]").Length() != 1 {
		t.Fatalf("remove confirmation = %d", confirm.status)
	}
	if res := admin.post("/members/"+dev+"/remove", nil); res.status != http.StatusSeeOther {
		t.Fatalf("remove = %d", res.status)
	}
	if diff := cmp.Diff([]string{"admin@harbor.test"}, memberEmails(admin.get("/members"))); diff != "" {
		t.Errorf("members after removal (-want +got):\n%s", diff)
	}
	if devBrowser.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("the removed member is still signed in")
	}
	if res := p.browser(t).signIn("dev@harbor.test", demo.Password); res.status != http.StatusUnprocessableEntity {
		t.Errorf("removed member sign-in = %d, want 422", res.status)
	}
	var name, status string
	if err := p.store.DB().QueryRow(`SELECT name, status FROM users WHERE email = 'dev@harbor.test'`).Scan(&name, &status); err != nil || name != "Dev Harbor" || status != "removed" {
		t.Errorf("removed member's row = %q %q (%v), want kept with status removed", name, status, err)
	}
}
