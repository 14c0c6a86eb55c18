package handlers_test

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/session"
)

var resetLink = regexp.MustCompile(`/reset-password/(ptc_rst_[0-9A-Za-z]+)`)

func (p *portal) mailCount(t *testing.T, email, subject string) int {
	t.Helper()
	var n int
	if err := p.store.DB().Get(&n, `SELECT count(*) FROM outbox WHERE to_email = $1 AND subject = $2`, email, subject); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestForgotAndResetPassword(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	other := signedInAs(t, p, "dev@harbor.test") // a session that must end

	b := p.browser(t)
	for _, email := range []string{"dev@harbor.test", "nobody@harbor.test"} {
		res := b.post("/forgot-password", url.Values{"email": {email}})
		if res.status != http.StatusOK || !strings.Contains(text(res, "[data-testid=reset-sent]"), "If an account uses "+email) {
			t.Errorf("forgot %s = %d %q: want the same confirmation for every email", email, res.status, text(res, "[data-testid=reset-sent]"))
		}
	}
	if n := p.mailCount(t, "nobody@harbor.test", "Reset your Portico password"); n != 0 {
		t.Errorf("a reset mail went to an unknown address")
	}
	var body string
	if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE to_email = 'dev@harbor.test' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	m := resetLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("reset mail has no link:\n%s", body)
	}
	link := "/reset-password/" + m[1]
	if res := b.get(link); res.status != http.StatusOK {
		t.Fatalf("reset link = %d", res.status)
	}
	if res := b.post(link, url.Values{"password": {"short"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("short new password = %d, want 422", res.status)
	}
	if res := b.post(link, url.Values{"password": {"brand new password"}}); res.status != http.StatusSeeOther {
		t.Fatalf("reset = %d", res.status)
	}
	if got := text(b.get("/"), "[data-testid=viewer]"); !strings.Contains(got, "Dev Harbor") {
		t.Errorf("after reset, viewer = %q, want signed in", got)
	}
	if other.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("another session survived the password reset")
	}
	if res := p.browser(t).get(link); res.status != http.StatusGone || !strings.Contains(text(res, "[data-testid=reset-problem]"), "already used") {
		t.Errorf("used link = %d %q", res.status, text(res, "[data-testid=reset-problem]"))
	}
	if res := p.browser(t).signIn("dev@harbor.test", demo.Password); res.status != http.StatusUnprocessableEntity {
		t.Errorf("old password still works (%d)", res.status)
	}
	if res := p.browser(t).signIn("dev@harbor.test", "brand new password"); res.status != http.StatusSeeOther {
		t.Errorf("new password = %d", res.status)
	}
	if n := p.mailCount(t, "dev@harbor.test", "Your Portico password was changed"); n != 1 {
		t.Errorf("%d change notices, want 1", n)
	}
	// Expired links say so.
	b.post("/forgot-password", url.Values{"email": {"dev@harbor.test"}})
	if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE to_email = 'dev@harbor.test' AND subject = 'Reset your Portico password' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.store.DB().Exec(`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if res := p.browser(t).get("/reset-password/" + resetLink.FindStringSubmatch(body)[1]); res.status != http.StatusGone || !strings.Contains(text(res, "[data-testid=reset-problem]"), "expired") {
		t.Errorf("expired link = %d %q", res.status, text(res, "[data-testid=reset-problem]"))
	}
}

func TestResetMailsAreRateLimited(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	for i := 0; i < 5; i++ {
		p.browser(t).post("/forgot-password", url.Values{"email": {"dev@crane.test"}})
	}
	if n := p.mailCount(t, "dev@crane.test", "Reset your Portico password"); n != 3 {
		t.Errorf("%d reset mails after 5 requests, want 3 per hour", n)
	}
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	laptop, phone := signedInAs(t, p, "admin@crane.test"), signedInAs(t, p, "admin@crane.test")
	res := laptop.post("/account/password", url.Values{"current_password": {"wrong password"}, "new_password": {"a fine new password"}})
	if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=current-password-error]") != "The current password is not right." {
		t.Errorf("wrong current password = %d %q", res.status, text(res, "[data-testid=current-password-error]"))
	}
	res = laptop.post("/account/password", url.Values{"current_password": {demo.Password}, "new_password": {"a fine new password"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("change password = %d", res.status)
	}
	if got := text(laptop.get("/account"), "[data-testid=flash]"); !strings.Contains(got, "Your password was changed") {
		t.Errorf("flash = %q; the changing session should stay signed in", got)
	}
	if phone.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("the other session survived the password change")
	}
}

func TestSudoForEmailAndRoleChanges(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := signedInAs(t, p, "admin@harbor.test")
	expireSudo(t, p)

	res := b.post("/account/email", url.Values{"email": {"ada@harbor.test"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/confirm-password?next=%2Faccount") {
		t.Fatalf("email change without sudo = %d to %q, want the password prompt", res.status, res.header.Get("Location"))
	}
	if res := b.post("/confirm-password", url.Values{"password": {"wrong"}, "next": {"/account"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("wrong password at the prompt = %d, want 422", res.status)
	}
	if res := b.post("/confirm-password", url.Values{"password": {demo.Password}, "next": {"/account"}}); res.status != http.StatusSeeOther || res.header.Get("Location") != "/account" {
		t.Fatalf("confirm = %d to %q", res.status, res.header.Get("Location"))
	}
	if res := b.post("/account/email", url.Values{"email": {"Ada@Harbor.test"}}); res.status != http.StatusSeeOther || res.header.Get("Location") != "/account" {
		t.Fatalf("email change in sudo = %d to %q", res.status, res.header.Get("Location"))
	}
	if got := text(b.get("/account"), "[data-testid=flash]"); !strings.Contains(got, "We sent a confirmation link to ada@harbor.test") {
		t.Errorf("flash = %q", got)
	}
	// The email itself changes only through the link mailed to the new
	// address (account_email_test.go).
	if res := p.browser(t).signIn("admin@harbor.test", demo.Password); res.status != http.StatusSeeOther {
		t.Errorf("sign-in with the old email before confirming = %d", res.status)
	}

	expireSudo(t, p)
	dev := p.userID(t, "dev@harbor.test")
	res = b.post("/members/"+itoa(dev)+"/role", url.Values{"role": {"partner_admin"}})
	if !strings.HasPrefix(res.header.Get("Location"), "/confirm-password") {
		t.Errorf("role change without sudo went to %q, want the password prompt", res.header.Get("Location"))
	}
	if got := text(b.get("/members"), "[data-email='dev@harbor.test'] [data-testid=member-role] option[selected]"); got != "Developer" {
		t.Errorf("role changed without sudo: %q", got)
	}
}

func TestAccountName(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := signedInAs(t, p, "dev@crane.test")
	if res := b.post("/account/name", url.Values{"name": {"  "}}); res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=name-error]") == "" {
		t.Errorf("empty name = %d", res.status)
	}
	b.post("/account/name", url.Values{"name": {"Daniela Crane"}})
	if got := text(b.get("/"), "[data-testid=viewer]"); !strings.Contains(got, "Daniela Crane") {
		t.Errorf("viewer after rename = %q", got)
	}
}

// expireSudo moves every session's password entry back past the sudo window.
func expireSudo(t *testing.T, p *portal) {
	t.Helper()
	var rows []struct {
		ID   []byte `db:"id"`
		Data []byte `db:"data"`
	}
	if err := p.store.DB().Select(&rows, `SELECT id, data FROM sessions`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		values := map[any]any{}
		if err := gob.NewDecoder(bytes.NewReader(r.Data)).Decode(&values); err != nil {
			t.Fatal(err)
		}
		if _, ok := values[session.AuthAtKey]; !ok {
			continue
		}
		values[session.AuthAtKey] = time.Now().Add(-handlers.SudoWindow - time.Minute).Unix()
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(values); err != nil {
			t.Fatal(err)
		}
		if _, err := p.store.DB().Exec(`UPDATE sessions SET data = $2 WHERE id = $1`, r.ID, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestForgotPasswordCappedPerAddress: one address asking for more resets
// than its hourly budget, for any emails, gets the form again with 429, a
// Retry-After and a message that says why (issue 11: every counter that
// limits attempts, here against mailing a whole directory).
func TestForgotPasswordCappedPerAddress(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := p.browser(t)
	for i := range people.ResetRequestsPerAddress {
		res := b.post("/forgot-password", url.Values{"email": {fmt.Sprintf("someone%d@example.test", i)}})
		if res.status != http.StatusOK {
			t.Fatalf("request %d = %d, want 200", i+1, res.status)
		}
	}
	res := b.post("/forgot-password", url.Values{"email": {"dev@harbor.test"}})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("request over the budget = %d (Retry-After %q), want 429 with Retry-After", res.status, res.header.Get("Retry-After"))
	}
	if got := text(res, "[data-testid=form-error]"); !strings.Contains(got, "from your network") {
		t.Errorf("message = %q, want the per-address limit named", got)
	}
	if n := p.mailCount(t, "dev@harbor.test", "Reset your Portico password"); n != 0 {
		t.Errorf("the refused request mailed a reset link")
	}
}
