package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// enforceSSO gives the partner of slug ("" for the staff) an identity
// provider named provider, enforced or not. No OpenID provider is needed:
// enforcement is decided from the configuration alone.
func (p *portal) enforceSSO(t *testing.T, slug, provider string, on bool) *store.IdentityProvider {
	t.Helper()
	ctx := context.Background()
	box, err := sso.NewBox(testConfig().Secret)
	if err != nil {
		t.Fatal(err)
	}
	in := store.IdentityProviderInput{DisplayName: provider, Issuer: "https://idp.example.test/" + slug, ClientID: "portico",
		ClientSecretEnc: box.Seal("client-secret", sso.PurposeClientSecret), Enforced: on}
	if slug != "" {
		partner, err := p.store.PartnerBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		in.PartnerID, in.Domains = &partner.ID, []string{strings.Split(slug, "-")[0] + ".test"}
	} else {
		in.Domains = []string{"portico.test"}
	}
	var ip *store.IdentityProvider
	err = p.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		ip, err = tx.SaveIdentityProvider(ctx, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ip
}

// lastDetails returns the details of the newest audit event of action on
// the account of email.
func (p *portal) lastDetails(t *testing.T, action, email string) string {
	t.Helper()
	var details string
	err := p.store.DB().Get(&details, `SELECT details::text FROM audit_events WHERE action = $1 AND target = $2 ORDER BY id DESC LIMIT 1`, action, email)
	if err != nil {
		t.Fatalf("no %s event for %s: %v", action, email, err)
	}
	return details
}

const harborSSO = "Harbor Logistics signs in through Harbor Okta. Continue with your email to sign in there."

func TestSSOEnforcedRefusesRightPasswordsOnly(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	p.enforceSSO(t, "harbor-logistics", "Harbor Okta", true)

	res := p.browser(t).signIn("dev@harbor.test", "not the password")
	if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=form-error]") != "The email or the password is incorrect." {
		t.Errorf("wrong password of an enforced user = %d %q, want the usual 422 incorrect", res.status, text(res, "[data-testid=form-error]"))
	}
	b := p.browser(t)
	res = b.signIn("dev@harbor.test", demo.Password)
	if res.status != http.StatusForbidden || text(res, "[data-testid=form-error]") != harborSSO {
		t.Errorf("right password of an enforced user = %d %q, want 403 %q", res.status, text(res, "[data-testid=form-error]"), harborSSO)
	}
	if got, _ := res.doc.Find("#email").Attr("value"); got != "dev@harbor.test" || res.doc.Find("[data-testid=continue]").Length() != 1 {
		t.Errorf("the refusal should offer to continue with the email (%q) to the provider", got)
	}
	if b.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("the refused password signed the user in")
	}
	if got := p.lastDetails(t, "user.sign_in_failed", "dev@harbor.test"); got != `{"reason": "sso_required"}` {
		t.Errorf("refusal audited with %s", got)
	}
	if res := p.browser(t).signIn("dev@crane.test", demo.Password); res.status != http.StatusSeeOther {
		t.Errorf("another partner's user = %d, want signed in", res.status)
	}

	p.enforceSSO(t, "harbor-logistics", "Harbor Okta", false)
	if res := p.browser(t).signIn("dev@harbor.test", demo.Password); res.status != http.StatusSeeOther {
		t.Errorf("password once enforcement is off = %d, want signed in", res.status)
	}
}

func TestStaffSSOEnforcedKeepsBreakGlassForPlatformAdmins(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	p.enforceSSO(t, "", "Portico Entra", true)

	res := p.browser(t).signIn("am@portico.test", demo.Password)
	want := "Staff sign in through Portico Entra. Continue with your email to sign in there."
	if res.status != http.StatusForbidden || text(res, "[data-testid=form-error]") != want {
		t.Errorf("account manager = %d %q, want 403 %q", res.status, text(res, "[data-testid=form-error]"), want)
	}
	if res := p.browser(t).signIn("admin@portico.test", demo.Password); res.status != http.StatusSeeOther {
		t.Fatalf("platform admin = %d, want signed in (break-glass)", res.status)
	}
	if got := p.lastDetails(t, "user.sign_in", "admin@portico.test"); got != `{"break_glass": true}` {
		t.Errorf("break-glass sign-in audited with %s", got)
	}
	// Break-glass is reachable from the page: every staff address is
	// offered the password next to the provider.
	for _, email := range []string{"admin@portico.test", "am@portico.test"} {
		pg := p.browser(t).post("/sign-in", url.Values{"email": {email}, "step": {"email"}})
		if pg.doc.Find("[data-testid=sso-continue]").Length() != 1 || pg.doc.Find("[data-testid=password-instead]").Length() != 1 {
			t.Errorf("email step of %s: want the provider and the password offered", email)
		}
	}
	// Partners' people are not the staff's provider's business.
	if res := p.browser(t).signIn("dev@harbor.test", demo.Password); res.status != http.StatusSeeOther {
		t.Errorf("partner developer = %d, want signed in", res.status)
	}
	// The platform admin can still get a reset mail; the account manager cannot.
	for _, email := range []string{"admin@portico.test", "am@portico.test"} {
		p.browser(t).post("/forgot-password", url.Values{"email": {email}})
	}
	if a, m := p.mailCount(t, "admin@portico.test", "Reset your Portico password"), p.mailCount(t, "am@portico.test", "Reset your Portico password"); a != 1 || m != 0 {
		t.Errorf("reset mails: platform admin %d, account manager %d; want 1 and 0", a, m)
	}

	// A new account manager gets no link to choose a password (it could
	// not be used) but the way to sign in; a new platform admin still
	// chooses one.
	admin := signedInAs(t, p, "admin@portico.test")
	admin.post("/staff", url.Values{"name": {"Ola Onboard"}, "email": {"ola@portico.test"}, "role": {"account_manager"}})
	if got := text(admin.get("/staff"), "[data-testid=flash]"); !strings.Contains(got, "they sign in through Portico Entra") {
		t.Errorf("flash after adding an account manager = %q", got)
	}
	admin.post("/staff", url.Values{"name": {"Pia Platform"}, "email": {"pia@portico.test"}, "role": {"admin"}})
	for _, tc := range []struct {
		email    string
		link     bool
		sentence string
	}{
		{"ola@portico.test", false, "You sign in through Portico Entra: enter this email address (ola@portico.test) here and continue there"},
		{"pia@portico.test", true, "Choose your password here"},
	} {
		var body string
		if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE to_email = $1`, tc.email); err != nil {
			t.Fatalf("no welcome mail to %s: %v", tc.email, err)
		}
		if resetLink.MatchString(body) != tc.link || !strings.Contains(body, tc.sentence) {
			t.Errorf("welcome mail to %s: link %v, want %v and %q:\n%s", tc.email, resetLink.MatchString(body), tc.link, tc.sentence, body)
		}
	}

	p.enforceSSO(t, "", "Portico Entra", false)
	if res := p.browser(t).signIn("am@portico.test", demo.Password); res.status != http.StatusSeeOther {
		t.Errorf("account manager once enforcement is off = %d", res.status)
	}
}

func TestSSOEnforcedPasswordsCannotBeResetOrChanged(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	// Signed in, and a reset link mailed, before enforcement.
	dev := signedInAs(t, p, "dev@harbor.test")
	p.browser(t).post("/forgot-password", url.Values{"email": {"dev@harbor.test"}})
	var body string
	if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE to_email = 'dev@harbor.test' AND subject = 'Reset your Portico password'`); err != nil {
		t.Fatal(err)
	}
	link := "/reset-password/" + resetLink.FindStringSubmatch(body)[1]
	p.enforceSSO(t, "harbor-logistics", "Harbor Okta", true)

	res := p.browser(t).post("/forgot-password", url.Values{"email": {"dev@harbor.test"}})
	if res.status != http.StatusOK || !strings.Contains(text(res, "[data-testid=reset-sent]"), "If an account uses dev@harbor.test") {
		t.Errorf("forgot password = %d %q, want the answer every address gets", res.status, text(res, "[data-testid=reset-sent]"))
	}
	if n := p.mailCount(t, "dev@harbor.test", "Reset your Portico password"); n != 1 {
		t.Errorf("%d reset mails, want only the one from before enforcement", n)
	}
	wantProblem := "This link no longer works: Harbor Logistics signs in through Harbor Okta now. Sign in there with your email instead."
	for _, res := range []page{p.browser(t).get(link), p.browser(t).post(link, url.Values{"password": {"a brand new password"}})} {
		if res.status != http.StatusGone || text(res, "[data-testid=reset-problem]") != wantProblem {
			t.Errorf("old reset link = %d %q, want 410 %q", res.status, text(res, "[data-testid=reset-problem]"), wantProblem)
		}
		if res.doc.Find("a[href='/sign-in']").Length() == 0 || res.doc.Find("a[href='/forgot-password']").Length() != 0 {
			t.Error("the dead link's page should point to sign-in, not to a new link")
		}
	}

	acct := dev.get("/account")
	wantWhy := "Harbor Logistics signs in through Harbor Okta: your password is managed there, so it cannot be changed here."
	if acct.doc.Find("[data-testid=password-form]").Length() != 0 || text(acct, "[data-testid=password-by-sso] p") != wantWhy {
		t.Errorf("account page: password form shown %d, why %q", acct.doc.Find("[data-testid=password-form]").Length(), text(acct, "[data-testid=password-by-sso] p"))
	}
	// Refused whatever is typed: no "choose a longer password" first.
	res = dev.post("/account/password", url.Values{"current_password": {demo.Password}, "new_password": {"short"}})
	if res.status != http.StatusForbidden || text(res, "[data-testid=password-by-sso] p") != wantWhy {
		t.Errorf("POST /account/password = %d %q, want 403 with why", res.status, text(res, "[data-testid=password-by-sso] p"))
	}
	res = dev.post("/confirm-password", url.Values{"password": {demo.Password}, "next": {"/account"}})
	wantConfirm := "Harbor Logistics signs in through Harbor Okta, so your password is not used here: confirm through Harbor Okta instead."
	if res.status != http.StatusForbidden || text(res, "[data-testid=form-error]") != wantConfirm {
		t.Errorf("confirm password = %d %q, want 403 %q", res.status, text(res, "[data-testid=form-error]"), wantConfirm)
	}

	p.enforceSSO(t, "harbor-logistics", "Harbor Okta", false)
	if dev.get("/account").doc.Find("[data-testid=password-form]").Length() != 1 {
		t.Error("no password form once enforcement is off")
	}
	if res := p.browser(t).post(link, url.Values{"password": {"a brand new password"}}); res.status != http.StatusSeeOther {
		t.Errorf("reset link once enforcement is off = %d, want the password set", res.status)
	}
	p.browser(t).post("/forgot-password", url.Values{"email": {"dev@harbor.test"}})
	if n := p.mailCount(t, "dev@harbor.test", "Reset your Portico password"); n != 2 {
		t.Errorf("%d reset mails once enforcement is off, want 2", n)
	}
}

const harborJoin = "People join Harbor Logistics through Harbor Okta: assign them there; their account is created when they first sign in."

func TestSSOEnforcedReplacesInvitations(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	if res := admin.post("/members/invitations", url.Values{"email": {"old@harbor.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Fatalf("invite before enforcement = %d", res.status)
	}
	old := p.lastInvitationPath(t, "old@harbor.test")
	oldID := p.id(t, `SELECT id FROM invitations WHERE email = 'old@harbor.test'`)
	p.enforceSSO(t, "harbor-logistics", "Harbor Okta", true)

	pg := admin.get("/members")
	if pg.doc.Find("[data-testid=invite-form]").Length() != 0 || text(pg, "[data-testid=invite-by-sso]") != harborJoin {
		t.Errorf("members page: invite form %d, sentence %q", pg.doc.Find("[data-testid=invite-form]").Length(), text(pg, "[data-testid=invite-by-sso]"))
	}
	for what, res := range map[string]page{
		"invite": admin.post("/members/invitations", url.Values{"email": {"new@harbor.test"}, "role": {"developer"}}),
		"resend": admin.post("/members/invitations/"+oldID+"/resend", nil),
	} {
		if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=invite-by-sso]") != harborJoin {
			t.Errorf("%s = %d %q, want 422 with %q", what, res.status, text(res, "[data-testid=invite-by-sso]"), harborJoin)
		}
	}
	var invs, mails int
	if err := p.store.DB().Get(&invs, `SELECT count(*) FROM invitations`); err != nil || invs != 1 {
		t.Errorf("invitations = %d (%v), want the old one only", invs, err)
	}
	if err := p.store.DB().Get(&mails, `SELECT count(*) FROM outbox WHERE to_email IN ('old@harbor.test', 'new@harbor.test')`); err != nil || mails != 1 {
		t.Errorf("invitation mails = %d (%v), want the old one only", mails, err)
	}

	wantProblem := "This invitation no longer works: people join Harbor Logistics through Harbor Okta. Sign in with your email: your account is created when you first sign in there."
	invitee := p.browser(t)
	for what, res := range map[string]page{
		"open":   invitee.get(old),
		"accept": invitee.post(old, url.Values{"name": {"Old Invitee"}, "password": {"a long new password"}}),
	} {
		if res.status != http.StatusGone || text(res, "[data-testid=invitation-problem]") != wantProblem {
			t.Errorf("%s old invitation = %d %q, want 410 %q", what, res.status, text(res, "[data-testid=invitation-problem]"), wantProblem)
		}
	}
	if _, err := p.store.UserByEmail(context.Background(), "old@harbor.test"); err == nil {
		t.Error("the old invitation created an account")
	}

	p.enforceSSO(t, "harbor-logistics", "Harbor Okta", false)
	if admin.get("/members").doc.Find("[data-testid=invite-form]").Length() != 1 {
		t.Error("no invite form once enforcement is off")
	}
	if res := admin.post("/members/invitations", url.Values{"email": {"new@harbor.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Errorf("invite once enforcement is off = %d", res.status)
	}
	if res := invitee.post(old, url.Values{"name": {"Old Invitee"}, "password": {"a long new password"}}); res.status != http.StatusSeeOther {
		t.Errorf("accept once enforcement is off = %d", res.status)
	}
}

func TestMembersSigningInThroughSSOAreMarked(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	ip := p.enforceSSO(t, "harbor-logistics", "Harbor Okta", false)
	if _, err := p.store.DB().Exec(`INSERT INTO user_identities (provider_id, subject, user_id) VALUES ($1, 'okta|dev', $2)`, ip.ID, p.userID(t, "dev@harbor.test")); err != nil {
		t.Fatal(err)
	}
	pg := signedInAs(t, p, "admin@harbor.test").get("/members")
	for _, tc := range []struct {
		email string
		badge int
	}{{"dev@harbor.test", 1}, {"admin@harbor.test", 0}} {
		if got := pg.doc.Find("[data-testid=member][data-email='" + tc.email + "'] [data-testid=member-sso]").Length(); got != tc.badge {
			t.Errorf("%s: %d single sign-on badges, want %d", tc.email, got, tc.badge)
		}
	}
	if got := text(pg, "[data-testid=member-sso]"); got != "Single sign-on" {
		t.Errorf("badge = %q", got)
	}
}
