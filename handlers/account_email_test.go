package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/token"
)

var emailChangeLink = regexp.MustCompile(`/account/email/confirm/(ptc_eml_[0-9A-Za-z]+)`)

// emailChangePath returns the confirmation path of the newest mail to
// email, or "" when it has none.
func (p *portal) emailChangePath(t *testing.T, email string) string {
	t.Helper()
	bodies := p.mailsTo(t, email)
	if len(bodies) == 0 {
		return ""
	}
	m := emailChangeLink.FindStringSubmatch(bodies[len(bodies)-1])
	if m == nil {
		return ""
	}
	return "/account/email/confirm/" + m[1]
}

func (p *portal) emailOf(t *testing.T, id int64) string {
	t.Helper()
	var email string
	if err := p.store.DB().Get(&email, `SELECT email FROM users WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return email
}

// Asking to move one's sign-in email to an address is answered the same
// whether the address is free, another partner's member's or staff's
// (issue 11, finding 4: same class), and changes nothing yet.
func TestEmailChangeAnswersTheSameForEveryAddress(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := signedInAs(t, p, "dev@crane.test")
	me := p.userID(t, "dev@crane.test")

	type answer struct {
		Status          int
		Location, Flash string
		Page            string // the account page's main content
	}
	var answers []answer
	for _, email := range []string{"fresh@crane.test", "dev@harbor.test", "am@portico.test"} {
		res := b.post("/account/email", url.Values{"email": {email}})
		pg := b.get("/account")
		mask := func(s string) string {
			return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), email, "<addr>")
		}
		answers = append(answers, answer{res.status, res.header.Get("Location"), mask(text(pg, "[data-testid=flash]")), mask(text(pg, "main"))})
		if got, want := text(pg, "[data-testid=flash]"), "We sent a confirmation link to "+email+". Your sign-in email changes when you open it (within 24 hours)."; !strings.Contains(got, want) {
			t.Errorf("%s: flash %q, want %q", email, got, want)
		}
		if got := text(pg, "[data-testid=pending-email] strong"); got != email {
			t.Errorf("%s: pending change shows %q", email, got)
		}
		if got := p.emailOf(t, me); got != "dev@crane.test" {
			t.Errorf("%s: the email changed to %q before any link was opened", email, got)
		}
	}
	if answers[0].Status != http.StatusSeeOther || answers[0].Location != "/account" {
		t.Errorf("free address = %d to %q, want 303 to /account", answers[0].Status, answers[0].Location)
	}
	for i, name := range []string{"", "another partner's member", "staff"} {
		if i == 0 {
			continue
		}
		if diff := cmp.Diff(answers[0], answers[i]); diff != "" {
			t.Errorf("%s answered differently from a free address (-free +%s):\n%s", name, name, diff)
		}
	}

	// The free address got a link; the addresses with accounts a notice
	// without one, and their accounts did not change.
	if p.emailChangePath(t, "fresh@crane.test") == "" {
		t.Errorf("no confirmation link to the free address: %q", p.mailsTo(t, "fresh@crane.test"))
	}
	for _, email := range []string{"dev@harbor.test", "am@portico.test"} {
		bodies := p.mailsTo(t, email)
		if len(bodies) != 1 || !strings.Contains(bodies[0], "nothing was changed") {
			t.Errorf("mails to %s = %q, want one notice", email, bodies)
		}
		for _, body := range bodies {
			if strings.Contains(body, "ptc_") || strings.Contains(body, "/account/email/confirm") {
				t.Errorf("the notice to %s carries a link:\n%s", email, body)
			}
		}
		if res := p.browser(t).signIn(email, demo.Password); res.status != http.StatusSeeOther {
			t.Errorf("%s cannot sign in any more (%d)", email, res.status)
		}
	}
	if res := p.browser(t).signIn("dev@crane.test", demo.Password); res.status != http.StatusSeeOther {
		t.Errorf("the old email no longer signs in (%d)", res.status)
	}
}

// The link mailed to a free address moves the sign-in email when its user
// confirms it (a POST: opening it does nothing); it then works no more.
func TestEmailChangeConfirmedByLink(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	laptop, phone := signedInAs(t, p, "dev@crane.test"), signedInAs(t, p, "dev@crane.test")
	me := p.userID(t, "dev@crane.test")
	if res := laptop.post("/account/email", url.Values{"email": {"Dan@New.Test"}}); res.status != http.StatusSeeOther {
		t.Fatalf("request = %d", res.status)
	}
	link := p.emailChangePath(t, "dan@new.test")
	if link == "" {
		t.Fatalf("no link in %q", p.mailsTo(t, "dan@new.test"))
	}

	// Signed out, the link leads to sign-in and back.
	out := p.browser(t)
	if res := out.get(link); res.status != http.StatusSeeOther || res.header.Get("Location") != "/sign-in?next="+url.QueryEscape(link) {
		t.Errorf("signed out = %d to %q, want sign-in with next", res.status, res.header.Get("Location"))
	}
	if res := out.post("/sign-in", url.Values{"email": {"dev@crane.test"}, "password": {demo.Password}, "next": {link}}); res.header.Get("Location") != link {
		t.Errorf("sign-in with next = %d to %q, want back to the link", res.status, res.header.Get("Location"))
	}
	if res := out.get(link); res.status != http.StatusOK {
		t.Errorf("the link after signing in = %d", res.status)
	}
	// Another account cannot use it, and is told no more than for a dead link.
	other := signedInAs(t, p, "dev@harbor.test")
	if res := other.get(link); res.status != http.StatusGone || text(res, "[data-testid=email-change-problem]") == "" {
		t.Errorf("another account's GET = %d", res.status)
	}
	if res := other.post(link, nil); res.status != http.StatusGone {
		t.Errorf("another account's POST = %d, want 410", res.status)
	}

	res := laptop.get(link)
	if res.status != http.StatusOK || text(res, "[data-testid=new-email]") != "dan@new.test" {
		t.Fatalf("GET link = %d %q", res.status, text(res, "[data-testid=new-email]"))
	}
	if got := p.emailOf(t, me); got != "dev@crane.test" {
		t.Fatalf("opening the link changed the email to %q", got)
	}
	res = laptop.post(link, nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/account" {
		t.Fatalf("confirm = %d to %q", res.status, res.header.Get("Location"))
	}
	pg := laptop.get("/account")
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Your sign-in email is now dan@new.test") {
		t.Errorf("flash after confirming = %q; this session should stay signed in", got)
	}
	if pg.doc.Find("[data-testid=pending-email]").Length() != 0 {
		t.Error("the confirmed change is still shown as pending")
	}
	if phone.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("another session survived the email change")
	}
	if res := p.browser(t).signIn("dan@new.test", demo.Password); res.status != http.StatusSeeOther {
		t.Errorf("sign-in with the new email = %d", res.status)
	}
	if res := p.browser(t).signIn("dev@crane.test", demo.Password); res.status != http.StatusUnprocessableEntity {
		t.Errorf("sign-in with the old email = %d, want 422", res.status)
	}
	if n := p.mailCount(t, "dev@crane.test", "Your Portico sign-in email was changed"); n != 1 {
		t.Errorf("old address told %d times, want 1", n)
	}
	// Confirming did not count as entering the password.
	expireSudo(t, p)
	if res := laptop.post("/account/email", url.Values{"email": {"dan@newer.test"}}); !strings.HasPrefix(res.header.Get("Location"), "/confirm-password") {
		t.Errorf("after confirming, a change went to %q without the password", res.header.Get("Location"))
	}

	// Used: refused, like an expired or unknown link.
	again := signedInAs(t, p, "dan@new.test")
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		var res page
		if method == http.MethodGet {
			res = again.get(link)
		} else {
			res = again.post(link, nil)
		}
		if res.status != http.StatusGone || text(res, "[data-testid=email-change-problem]") == "" {
			t.Errorf("used link %s = %d", method, res.status)
		}
	}
}

// Expired, cancelled, unknown and malformed links are refused with one
// answer, and change nothing.
func TestEmailChangeDeadLinks(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := signedInAs(t, p, "dev@crane.test")
	me := p.userID(t, "dev@crane.test")

	b.post("/account/email", url.Values{"email": {"late@crane.test"}})
	expired := p.emailChangePath(t, "late@crane.test")
	if _, err := p.store.DB().Exec(`UPDATE email_changes SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if b.get("/account").doc.Find("[data-testid=pending-email]").Length() != 0 {
		t.Error("an expired change is shown as pending")
	}
	b.post("/account/email", url.Values{"email": {"undecided@crane.test"}})
	cancelled := p.emailChangePath(t, "undecided@crane.test")
	if res := b.post("/account/email/cancel", nil); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d", res.status)
	}
	if b.get("/account").doc.Find("[data-testid=pending-email]").Length() != 0 {
		t.Error("a cancelled change is shown as pending")
	}
	b.post("/account/email", url.Values{"email": {"first@crane.test"}})
	replaced := p.emailChangePath(t, "first@crane.test")
	b.post("/account/email", url.Values{"email": {"second@crane.test"}})

	unknown, err := token.New(token.KindEmailChange)
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"expired":    expired,
		"cancelled":  cancelled,
		"replaced":   replaced,
		"unknown":    "/account/email/confirm/" + unknown,
		"malformed":  "/account/email/confirm/nonsense",
		"wrong kind": p.resetTokenConfirmPath(t),
	}
	var problems []string
	for name, link := range links {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			var res page
			if method == http.MethodGet {
				res = b.get(link)
			} else {
				res = b.post(link, nil)
			}
			if res.status != http.StatusGone {
				t.Errorf("%s link %s = %d, want 410", name, method, res.status)
			}
			problems = append(problems, text(res, "[data-testid=email-change-problem]"))
		}
	}
	for _, pr := range problems[1:] {
		if pr != problems[0] || pr == "" {
			t.Errorf("dead links answer differently: %q vs %q", pr, problems[0])
		}
	}
	if got := p.emailOf(t, me); got != "dev@crane.test" {
		t.Errorf("a dead link changed the email to %q", got)
	}
}

// resetTokenConfirmPath returns a confirmation path carrying a token of
// another kind (a password reset's).
func (p *portal) resetTokenConfirmPath(t *testing.T) string {
	t.Helper()
	p.browser(t).post("/forgot-password", url.Values{"email": {"dev@crane.test"}})
	var body string
	if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE subject = 'Reset your Portico password' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	return "/account/email/confirm/" + resetLink.FindStringSubmatch(body)[1]
}

// An address that got an account between the request and the link is not
// taken over: a clear message, nothing changed.
func TestEmailChangeToAnAddressTakenMeanwhile(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := signedInAs(t, p, "dev@crane.test")
	me := p.userID(t, "dev@crane.test")
	b.post("/account/email", url.Values{"email": {"wanted@harbor.test"}})
	link := p.emailChangePath(t, "wanted@harbor.test")
	if _, err := p.store.DB().Exec(`UPDATE users SET email = 'wanted@harbor.test' WHERE email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	res := b.post(link, nil)
	if res.status != http.StatusConflict || !strings.Contains(text(res, "[data-testid=email-change-problem]"), "now used by another account") {
		t.Errorf("confirm = %d %q, want 409 saying the address is taken", res.status, text(res, "[data-testid=email-change-problem]"))
	}
	if got := p.emailOf(t, me); got != "dev@crane.test" {
		t.Errorf("email = %q, want unchanged", got)
	}
	if n := p.mailCount(t, "dev@crane.test", "Your Portico sign-in email was changed"); n != 0 {
		t.Errorf("the old address was told of a change that did not happen")
	}
}

func TestEmailChangeInput(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := signedInAs(t, p, "dev@crane.test")
	for _, tc := range []struct{ name, email, want string }{
		{"invalid", "not an address", "Enter a valid email address"},
		{"NUL", "d\x00@crane.test", "The email address"},
		{"the current one", "Dev@Crane.test", "That is already your sign-in email."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := b.post("/account/email", url.Values{"email": {tc.email}})
			if res.status != http.StatusUnprocessableEntity && res.status != http.StatusBadRequest {
				t.Errorf("status %d, want 422 or 400", res.status)
			}
			if res.status == http.StatusUnprocessableEntity && !strings.Contains(text(res, "[data-testid=email-error]"), tc.want) {
				t.Errorf("error %q, want %q", text(res, "[data-testid=email-error]"), tc.want)
			}
		})
	}
	if n := p.count(t, `SELECT count(*) FROM email_changes`); n != 0 {
		t.Errorf("%d changes recorded from bad input", n)
	}
	if n := p.count(t, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("%d mails sent for bad input", n)
	}
}

// At most 5 requests per user and hour, counted atomically: concurrent
// requests do not get past the limit.
func TestEmailChangeRequestsAreRateLimited(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := signedInAs(t, p, "dev@crane.test")
	statuses := make([]int, 12)
	retry := make([]string, 12)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := b.post("/account/email", url.Values{"email": {"try" + strconv.Itoa(i) + "@crane.test"}})
			statuses[i], retry[i] = res.status, res.header.Get("Retry-After")
		}()
	}
	wg.Wait()
	var ok, limited int
	for i, s := range statuses {
		switch s {
		case http.StatusSeeOther:
			ok++
		case http.StatusTooManyRequests:
			limited++
			if n, err := strconv.Atoi(retry[i]); err != nil || n <= 0 || n > 3600 {
				t.Errorf("Retry-After %q, want seconds up to an hour", retry[i])
			}
		default:
			t.Errorf("request %d = %d", i, s)
		}
	}
	if ok != 5 || limited != 7 {
		t.Errorf("%d accepted, %d refused with 429; want 5 and 7", ok, limited)
	}
	if n := p.count(t, `SELECT count(*) FROM outbox WHERE subject = 'Confirm your new Portico sign-in email'`); n != 5 {
		t.Errorf("%d confirmation mails, want 5", n)
	}
	res := b.post("/account/email", url.Values{"email": {"later@crane.test"}})
	if res.status != http.StatusTooManyRequests || !strings.Contains(text(res, "[data-testid=email-error]"), "At most 5") {
		t.Errorf("after the limit = %d %q", res.status, text(res, "[data-testid=email-error]"))
	}
}
