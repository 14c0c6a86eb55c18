package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// portal is a running portal over a seeded database.
type portal struct {
	srv   *httptest.Server
	store *store.Store
}

func newPortal(t *testing.T, secure bool) *portal {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.SecureCookies = secure
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &portal{srv: srv, store: st}
}

// browser is a client with its own cookie jar that does not follow redirects.
type browser struct {
	t      *testing.T
	client *http.Client
	base   string
}

func (p *portal) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: p.srv.URL, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	doc    *goquery.Document
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, doc: doc}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) signIn(email, pw string) page {
	b.t.Helper()
	return b.post("/sign-in", url.Values{"email": {email}, "password": {pw}})
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.base)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func text(p page, sel string) string { return strings.TrimSpace(p.doc.Find(sel).Text()) }

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := p.browser(t)

	res := b.signIn("DEV@harbor.test", demo.Password)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
		t.Fatalf("sign-in = %d to %q, want 303 to /", res.status, res.header.Get("Location"))
	}
	set := res.header.Get("Set-Cookie")
	for _, want := range []string{"portico=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}
	home := b.get("/")
	if got := text(home, "[data-testid=viewer]"); !strings.Contains(got, "Dev Harbor") || !strings.Contains(got, "Harbor Logistics") {
		t.Errorf("viewer in header = %q, want name and partner", got)
	}
	if got := text(home, "[data-testid=flash]"); got != "Welcome, Dev Harbor.×" {
		t.Errorf("flash = %q, want the welcome message", got)
	}
	if got := text(home, "[data-testid=viewer]"); !strings.Contains(got, "Developer") {
		t.Errorf("viewer in header = %q, want the role", got)
	}
	if again := b.get("/"); again.doc.Find("[data-testid=flash]").Length() != 0 {
		t.Error("the flash is shown twice")
	}
	if res := b.get("/sign-in"); res.status != http.StatusSeeOther {
		t.Errorf("signed in, GET /sign-in = %d, want 303 home", res.status)
	}

	stolen := *b.cookie("portico")
	res = b.post("/sign-out", nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("sign-out = %d, want 303", res.status)
	}
	home = b.get("/")
	if home.doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("still signed in after sign-out")
	}
	if got := text(home, "[data-testid=flash]"); !strings.Contains(got, "You have signed out on every device.") {
		t.Errorf("flash after sign-out = %q", got)
	}
	// The old cookie is worthless: the session row is gone.
	replay := p.browser(t)
	u, _ := url.Parse(b.base)
	replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: stolen.Name, Value: stolen.Value}})
	if replay.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("the cookie of a signed-out session still signs in")
	}
}

func TestSignInRefusals(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	for _, tc := range []struct {
		name, email, pw string
		status          int
		msg             string
	}{
		{"wrong password", "dev@harbor.test", "wrong-password", 422, "The email or the password is incorrect."},
		{"unknown email", "nobody@harbor.test", "wrong-password", 422, "The email or the password is incorrect."},
		// An empty form is the email step (email-first sign-in).
		{"empty", "", "", 422, "Enter your email address."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := p.browser(t).signIn(tc.email, tc.pw)
			if res.status != tc.status || text(res, "[data-testid=form-error]") != tc.msg {
				t.Errorf("= %d %q, want %d %q", res.status, text(res, "[data-testid=form-error]"), tc.status, tc.msg)
			}
			if got, _ := res.doc.Find("input[name=email]").Attr("value"); got != tc.email {
				t.Errorf("email field = %q, want it kept as %q", got, tc.email)
			}
		})
	}
}

func TestSignInThrottled(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	for _, email := range []string{"dev@crane.test", "ghost@crane.test"} {
		b := p.browser(t)
		for i := 0; i < 5; i++ {
			if res := b.signIn(email, "wrong-password"); res.status != 422 {
				t.Fatalf("%s: failure %d = %d, want 422", email, i+1, res.status)
			}
		}
		// The sixth attempt is refused even with the right password, and the
		// answer is the same whether the account exists or not.
		res := b.signIn(email, demo.Password)
		if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
			t.Fatalf("%s: after 5 failures = %d (Retry-After %q), want 429 with Retry-After", email, res.status, res.header.Get("Retry-After"))
		}
		// The wait counts down from 30 s at the fifth failure: a loaded
		// machine may take a few seconds to reach the sixth attempt.
		got := text(res, "[data-testid=form-error]")
		var wait int
		if _, err := fmt.Sscanf(got, "Too many failed sign-in attempts. Please wait %d seconds", &wait); err != nil || wait < 20 || wait > 30 {
			t.Errorf("%s: message = %q, want a wait of 20 to 30 seconds", email, got)
		}
	}
	// Another account is not affected.
	if res := p.browser(t).signIn("admin@crane.test", demo.Password); res.status != http.StatusSeeOther {
		t.Errorf("another account = %d, want 303", res.status)
	}
}

func TestSuspendedPartner(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := p.browser(t)
	if res := b.signIn("admin@harbor.test", demo.Password); res.status != http.StatusSeeOther {
		t.Fatalf("sign-in = %d", res.status)
	}
	if _, err := p.store.DB().Exec(`UPDATE partners SET status = 'suspended' WHERE slug = 'harbor-logistics'`); err != nil {
		t.Fatal(err)
	}
	if b.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("a suspended partner's user is still signed in")
	}
	res := p.browser(t).signIn("admin@harbor.test", demo.Password)
	if res.status != http.StatusForbidden || !strings.Contains(text(res, "[data-testid=form-error]"), "suspended") {
		t.Errorf("sign-in of a suspended partner's user = %d %q", res.status, text(res, "[data-testid=form-error]"))
	}
}

func TestEndEverySessionOfAUser(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	laptop, phone := p.browser(t), p.browser(t)
	for _, b := range []*browser{laptop, phone} {
		if res := b.signIn("dev@harbor.test", demo.Password); res.status != http.StatusSeeOther {
			t.Fatalf("sign-in = %d", res.status)
		}
	}
	// Signing out on the laptop signs the phone out too.
	laptop.post("/sign-out", nil)
	for _, b := range []*browser{laptop, phone} {
		if b.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
			t.Error("a session survived sign-out")
		}
	}
	var n int
	if err := p.store.DB().Get(&n, `SELECT count(*) FROM sessions WHERE user_id = $1`, p.userID(t, "dev@harbor.test")); err != nil || n != 0 {
		t.Errorf("%d session rows left for the user (%v), want 0", n, err)
	}
}

func TestSessionCookieOverHTTPS(t *testing.T) {
	t.Parallel()
	p := newPortal(t, true)
	set := p.browser(t).signIn("dev@harbor.test", demo.Password).header.Get("Set-Cookie")
	for _, want := range []string{"__Host-portico=", "Secure", "HttpOnly", "Path=/", "SameSite=Lax"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie over https = %q, lacks %q", set, want)
		}
	}
	if strings.Contains(strings.ToLower(set), "domain=") {
		t.Errorf("Set-Cookie %q has a Domain: __Host- cookies must not", set)
	}
}

func TestSignInRenewsSessionID(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := p.browser(t)
	// Signing out while signed out still leaves a session (for its flash
	// message): an id planted before sign-in.
	b.post("/sign-out", nil)
	before := b.cookie("portico")
	if before == nil {
		t.Fatal("no session cookie before sign-in")
	}
	b.signIn("dev@harbor.test", demo.Password)
	after := b.cookie("portico")
	if after == nil || after.Value == before.Value {
		t.Fatalf("session id after sign-in = %v, want a new one (before: %s)", after, before.Value)
	}
	fixated := p.browser(t)
	u, _ := url.Parse(b.base)
	fixated.client.Jar.SetCookies(u, []*http.Cookie{{Name: "portico", Value: before.Value}})
	if fixated.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("the pre-sign-in session id is signed in")
	}
}

// nextCases are redirect targets a form may be given, and where it must
// send the browser: only paths of this site (issue 11, finding 5). A want
// of "400" is a value the portal's input check refuses before any handler
// (NUL, other control characters, invalid UTF-8: finding 7): no redirect.
var nextCases = []struct{ name, next, want string }{
	{"path with query", "/tokens?x=1", "/tokens?x=1"},
	{"path", "/sign-in?x=1", "/sign-in?x=1"},
	{"encoded slash inside", "/docs/a%2Fb", "/docs/a%2Fb"},
	{"tab then slash", "/\t/evil.example", "/"},
	{"newline then slash", "/\n/evil.example", "/"},
	{"carriage return", "/\r/evil.example", "/"},
	{"NUL", "/\x00", "400"},
	{"DEL", "/\x7f/evil.example", "400"},
	{"backslash", "/\\evil.example", "/"},
	{"backslash later", "/a\\b", "/"},
	{"protocol-relative", "//evil.example", "/"},
	{"protocol-relative with path", "//evil.example/", "/"},
	{"absolute", "https://evil.example/", "/"},
	{"encoded slashes", "/%2F%2Fevil", "/"},
	{"encoded backslash", "/%5Cevil.example", "/"},
	{"encoded tab", "/%09/evil.example", "/"},
	{"javascript", "javascript:alert(1)", "/"},
	{"relative", "evil.example", "/"},
	{"empty", "", "/"},
	{"invalid UTF-8", "/\xff", "400"},
}

func TestSignInNextStaysOnSite(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	for _, tc := range nextCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := p.browser(t)
			if tc.want == "400" {
				for _, res := range []page{
					b.get("/sign-in?next=" + url.QueryEscape(tc.next)),
					b.post("/sign-in", url.Values{"email": {"dev@harbor.test"}, "password": {demo.Password}, "next": {tc.next}}),
					b.get("/confirm-password?next=" + url.QueryEscape(tc.next)),
				} {
					if res.status != http.StatusBadRequest || res.header.Get("Location") != "" {
						t.Errorf("next=%q: status %d, Location %q; want 400 and no redirect", tc.next, res.status, res.header.Get("Location"))
					}
				}
				return
			}
			form := b.get("/sign-in?next=" + url.QueryEscape(tc.next))
			if got, _ := form.doc.Find("input[name=next]").Attr("value"); got != tc.want {
				t.Errorf("GET /sign-in?next=%q: form carries next %q, want %q", tc.next, got, tc.want)
			}
			res := b.post("/sign-in", url.Values{"email": {"dev@harbor.test"}, "password": {demo.Password}, "next": {tc.next}})
			if got := res.header.Get("Location"); got != tc.want {
				t.Errorf("POST /sign-in next=%q: redirect to %q, want %q", tc.next, got, tc.want)
			}
			form = b.get("/confirm-password?next=" + url.QueryEscape(tc.next))
			if got, _ := form.doc.Find("input[name=next]").Attr("value"); got != tc.want {
				t.Errorf("GET /confirm-password?next=%q: form carries next %q, want %q", tc.next, got, tc.want)
			}
			res = b.post("/confirm-password", url.Values{"password": {demo.Password}, "next": {tc.next}})
			if got := res.header.Get("Location"); got != tc.want {
				t.Errorf("POST /confirm-password next=%q: redirect to %q, want %q", tc.next, got, tc.want)
			}
		})
	}
}

func TestSignInThrottledPerIP(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := p.browser(t)
	// 20 failures spread over many accounts from one address (httptest
	// clients all come from 127.0.0.1): the address's budget is spent.
	for i := 0; i < 20; i++ {
		if res := b.signIn("guess"+strconv.Itoa(i)+"@harbor.test", "wrong-password"); res.status != 422 {
			t.Fatalf("failure %d = %d, want 422", i+1, res.status)
		}
	}
	// A colleague behind the same address (an office NAT) still signs in:
	// the address is slowed to one attempt per slot, not locked out.
	if res := p.browser(t).signIn("admin@portico.test", demo.Password); res.status != http.StatusSeeOther {
		t.Fatalf("right password after 20 failures from the same IP = %d, want 303", res.status)
	}
	// The slot is used: the next attempt waits seconds, not minutes.
	res := b.signIn("guess99@harbor.test", "wrong-password")
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("attempt in a used slot = %d, want 429", res.status)
	}
	if after, _ := strconv.Atoi(res.header.Get("Retry-After")); after < 1 || after > 10 {
		t.Errorf("Retry-After = %q, want 1 to 10 seconds", res.header.Get("Retry-After"))
	}
}

// TestConcurrentSignInsThrottled fires 50 wrong passwords for one account
// at once: at most the free five are answered 422, the rest 429 with
// Retry-After (issue 11, finding 2: all 50 used to get 422).
func TestConcurrentSignInsThrottled(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	retry := make([]string, 50)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"email": {"dev@harbor.test"}, "password": {"wrong-password"}}
			resp, err := http.PostForm(p.srv.URL+"/sign-in", form)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i], retry[i] = resp.StatusCode, resp.Header.Get("Retry-After")
		}()
	}
	wg.Wait()
	got := map[int]int{}
	for i, st := range statuses {
		got[st]++
		if st == http.StatusTooManyRequests && retry[i] == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	if diff := cmp.Diff(map[int]int{422: 5, 429: 45}, got); diff != "" {
		t.Errorf("statuses of 50 concurrent wrong passwords (-want +got):\n%s", diff)
	}
}

// TestConfirmPasswordRenewsSessionID: confirming the password raises the
// session's privilege, so it gets a new id and the old one stops working
// (issue 11, finding 10).
func TestConfirmPasswordRenewsSessionID(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	b := signedInAs(t, p, "admin@harbor.test")
	before := b.cookie("portico")
	if res := b.post("/confirm-password", url.Values{"password": {demo.Password}, "next": {"/account"}}); res.status != http.StatusSeeOther || res.header.Get("Location") != "/account" {
		t.Fatalf("confirm = %d to %q", res.status, res.header.Get("Location"))
	}
	after := b.cookie("portico")
	if after == nil || after.Value == before.Value {
		t.Fatalf("session id after confirming the password = %v, want a new one", after)
	}
	if b.get("/account").doc.Find("[data-testid=viewer]").Length() == 0 {
		t.Error("signed out by confirming the password")
	}
	old := p.browser(t)
	u, _ := url.Parse(b.base)
	old.client.Jar.SetCookies(u, []*http.Cookie{{Name: "portico", Value: before.Value}})
	if old.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
		t.Error("the session id from before the confirmation still signs in")
	}
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	for _, tc := range []struct{ name, sql string }{
		{"idle expiry passed", `UPDATE sessions SET expires_at = now() - interval '1 second'`},
		{"row deleted", `DELETE FROM sessions`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := signedInAs(t, p, "dev@crane.test")
			if _, err := p.store.DB().Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			if b.get("/").doc.Find("[data-testid=viewer]").Length() != 0 {
				t.Error("still signed in")
			}
		})
	}
}
