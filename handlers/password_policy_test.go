package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/internal/demo"
)

// weakPasswords are refused wherever a password is chosen (issue 11,
// finding 6): the most common ones, and ones holding the user's email
// address or name.
var weakPasswords = []struct{ name, pw, want string }{
	{"common word", "password", "most common"},
	{"common digits", "12345678", "most common"},
	{"common any case", "Password", "most common"},
	{"one letter repeated", "aaaaaaaa", "most common"},
	{"own email", "weak.pw@harbor.test", "name or email address"},
	{"own name", "Wendy Weakling 2024", "name or email address"},
}

func TestInvitationRefusesWeakPasswords(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	if res := admin.post("/members/invitations", url.Values{"email": {"weak.pw@harbor.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Fatalf("invite = %d", res.status)
	}
	link := p.lastInvitationPath(t, "weak.pw@harbor.test")
	for _, tc := range weakPasswords {
		t.Run(tc.name, func(t *testing.T) {
			res := p.browser(t).post(link, url.Values{"name": {"Wendy Weakling"}, "password": {tc.pw}})
			if got := text(res, "[data-testid=password-error]"); res.status != http.StatusUnprocessableEntity || !strings.Contains(got, tc.want) {
				t.Errorf("password %q = %d, password field says %q; want 422 naming the password field with %q", tc.pw, res.status, got, tc.want)
			}
		})
	}
	// Pasting is not blocked, and a good phrase is taken.
	form := p.browser(t).get(link)
	if attr, ok := form.doc.Find("input[name=password]").Attr("onpaste"); ok {
		t.Errorf("password field blocks pasting: onpaste=%q", attr)
	}
	if res := p.browser(t).post(link, url.Values{"name": {"Wendy Weakling"}, "password": {"tide tables at noon"}}); res.status != http.StatusSeeOther {
		t.Errorf("good password = %d, want 303", res.status)
	}
}

func TestResetAndChangeRefuseWeakPasswords(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := p.browser(t)
	b.post("/forgot-password", url.Values{"email": {"dev@harbor.test"}})
	var body string
	if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE to_email = 'dev@harbor.test' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	m := resetLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("reset mail has no link:\n%s", body)
	}
	link := "/reset-password/" + m[1]
	for _, pw := range []string{"password", "12345678", "dev@harbor.test", "Harbor Dev 99"} {
		res := b.post(link, url.Values{"password": {pw}})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid=form-error]"), "password") {
			t.Errorf("reset to %q = %d %q, want 422", pw, res.status, text(res, "[data-testid=form-error]"))
		}
	}

	admin := signedInAs(t, p, "admin@crane.test")
	for _, pw := range []string{"qwertyuiop", "admin@crane.test", "Crane Admin rules"} {
		res := admin.post("/account/password", url.Values{"current_password": {demo.Password}, "new_password": {pw}})
		if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=new-password-error]") == "" {
			t.Errorf("change to %q = %d %q, want 422 on the new password", pw, res.status, text(res, "[data-testid=new-password-error]"))
		}
	}
}

// TestChangePasswordGuessesAreThrottled: the current-password check of a
// signed-in session spends the account's budget, so a borrowed session
// cannot guess the password without limit.
func TestChangePasswordGuessesAreThrottled(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := signedInAs(t, p, "admin@crane.test")
	for i := range 5 {
		res := b.post("/account/password", url.Values{"current_password": {"guess " + itoa(int64(i))}, "new_password": {"a fine new password"}})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d = %d, want 422", i+1, res.status)
		}
	}
	res := b.post("/account/password", url.Values{"current_password": {demo.Password}, "new_password": {"a fine new password"}})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" || !strings.Contains(text(res, "[data-testid=current-password-error]"), "Too many wrong passwords") {
		t.Errorf("after 5 wrong guesses = %d (Retry-After %q) %q, want 429", res.status, res.header.Get("Retry-After"), text(res, "[data-testid=current-password-error]"))
	}
}
