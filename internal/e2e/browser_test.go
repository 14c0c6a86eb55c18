package e2e_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/logtest"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	stopBrowser()
	os.Exit(code)
}

// The one browser of the test process, started on first use.
var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel context.CancelFunc
	browserDir    string
	browserErr    error
	browserSkip   string
)

// chromiumPath finds Debian's Chromium (or another Chrome build).
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

func startBrowser() {
	path := chromiumPath()
	if path == "" {
		browserSkip = "Chromium is not installed (scripts/deps.sh installs it with apt)"
		return
	}
	browserDir, browserErr = os.MkdirTemp("", "portico-e2e-chromium-")
	if browserErr != nil {
		return
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromiumOptions(path, browserDir)...)
	ctx, cancel := chromedp.NewContext(alloc)
	// The first Do starts the browser; it lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		browserErr = fmt.Errorf("start %s: %w", path, err)
		return
	}
	browserCtx = ctx
	browserCancel = func() { cancel(); cancelAlloc() }
}

// chromiumOptions are the flags of every Chromium the suite starts, with
// its profile in dir; extra flags come after them.
func chromiumOptions(path, dir string, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900),
	)
	return append(opts, extra...)
}

func stopBrowser() {
	if browserCancel != nil {
		browserCancel()
	}
	if browserDir != "" {
		os.RemoveAll(browserDir)
	}
}

// browserContext returns a new browser context of the shared browser (its
// own cookies and storage), closed when the test ends. Tabs made from it
// with newTab share its cookies.
func browserContext(t *testing.T) context.Context {
	t.Helper()
	browserOnce.Do(startBrowser)
	if browserSkip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("e2e: %s; under CI the browser tests must run", browserSkip)
		}
		t.Skip("e2e: " + browserSkip)
	}
	if browserErr != nil {
		t.Fatalf("e2e: %v", browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("e2e: new browser context: %v", err)
	}
	t.Cleanup(cancel)
	return ctx
}

// tab is one page of a browser context, with a deadline for its actions.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab opens a tab in the browser context bc. Every tab records the
// Content-Security-Policy violations of its pages in window.__csp.
func newTab(t *testing.T, bc context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(bc)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("e2e: new tab: %v", err)
	}
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
		window.__csp = [];
		document.addEventListener("securitypolicyviolation", function (e) {
			window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
		});`})
	if err != nil {
		cancel()
		t.Fatalf("e2e: CSP recorder: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { tcancel(); cancel() })
	return &tab{t: t, ctx: tctx}
}

// do runs actions, failing the test with what was being done.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("e2e: %s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](tb *tab, expr string, opts ...chromedp.EvaluateOption) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		tb.t.Fatalf("e2e: evaluate %.80q: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is truthy. It evaluates
// from DevTools: chromedp.Poll builds its predicate with new Function,
// which the portal's CSP (rightly) refuses.
func (tb *tab) waitFor(what, expr string) {
	tb.t.Helper()
	for {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			return
		}
		select {
		case <-tb.ctx.Done():
			tb.t.Fatalf("e2e: wait for %s (%s): %v (last error: %v)", what, expr, tb.ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// cspViolations returns the CSP violations the current page reported.
func (tb *tab) cspViolations() []string {
	tb.t.Helper()
	return eval[[]string](tb, `window.__csp || []`)
}

// screenshotOf saves a PNG of the element sel under the artifacts folder.
func (tb *tab) screenshotOf(sel, name string) string {
	tb.t.Helper()
	buf, err := chromedp.Run(tb.ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Errorf("e2e: screenshot of %s: %v", sel, err)
		return ""
	}
	path := filepath.Join(artifactsDir(tb.t), name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		tb.t.Errorf("e2e: save screenshot: %v", err)
		return ""
	}
	tb.t.Logf("screenshot: %s", path)
	return path
}

// artifactsDir is test-artifacts/e2e at the repository root (git-ignored),
// or $E2E_ARTIFACTS.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("E2E_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-artifacts", "e2e")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("e2e: artifacts folder: %v", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	return abs
}

// noKick stands in for the mail sender.
type noKick struct{}

func (noKick) Kick() {}

// The demo data, seeded once (its passwords are hashed with argon2id,
// which is slow under the race detector) into a database that each test's
// database is then copied from.
var (
	seedOnce sync.Once
	seedName string
	seedErr  error
	adminURL string
	cloneMu  sync.Mutex
	cloneSeq int
)

func seed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw := pgtest.URL(t)
	u, err := url.Parse(raw)
	if err != nil {
		seedErr = err
		return
	}
	seedName = strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	adminURL = u.String()
	db, err := store.Open(ctx, raw)
	if err != nil {
		seedErr = err
		return
	}
	defer db.Close()
	st := store.New(db)
	if _, err := demo.Seed(ctx, st); err != nil {
		seedErr = err
		return
	}
	seedErr = demo.SeedCatalog(ctx, st)
}

// seededDB is a fresh copy of the seeded database, closed when the test
// ends (and dropped with the test cluster).
func seededDB(t *testing.T) *sqlx.DB {
	t.Helper()
	seedOnce.Do(func() { seed(t) })
	if seedErr != nil {
		t.Fatalf("e2e: seed the demo data: %v", seedErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cloneMu.Lock()
	cloneSeq++
	name := fmt.Sprintf("%s_e2e_%d", seedName, cloneSeq)
	admin, err := store.Open(ctx, adminURL)
	if err == nil {
		// CREATE DATABASE … TEMPLATE needs the template to have no
		// sessions: creations are serialised, and nothing else opens it.
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+seedName)
		admin.Close()
	}
	cloneMu.Unlock()
	if err != nil {
		t.Fatalf("e2e: copy the seeded database: %v", err)
	}
	u, _ := url.Parse(adminURL)
	u.Path = "/" + name
	db, err := store.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("e2e: open %s: %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// e2eSecret is the portal's server-side key (tokens' HMACs, sessions).
const e2eSecret = "e2e-secret-e2e-secret-e2e-secret-0123"

// portal is the real portal on a loopback server over a seeded database:
// the demo people, the three sample APIs and their access groups.
type portal struct {
	URL   string
	store *store.Store
	logs  *logtest.Buffer

	mu sync.Mutex
	// sandboxAuth is, for each request to /sandbox/, the kind of
	// credential it carried: "ptc_sbx", "ptc_live", "other" or "none".
	sandboxAuth []string
}

// portalOption adds to the dependencies a portal is built with (after
// the defaults are set), for the tests that need a part of main's wiring.
type portalOption func(t *testing.T, p *portal, d *handlers.Deps)

func newPortal(t *testing.T, opts ...portalOption) *portal {
	t.Helper()
	db := seededDB(t)
	st := store.New(db)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &portal{URL: "http://" + l.Addr().String(), store: st, logs: &logtest.Buffer{}}
	cfg := handlers.Config{Version: "e2e", Secret: []byte(e2eSecret), BaseURL: p.URL, MailTransport: "test"}
	deps := handlers.Deps{Log: slog.New(slog.NewTextHandler(p.logs, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}}
	for _, o := range opts {
		o(t, p, &deps)
	}
	app := handlers.New(cfg, deps)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/sandbox/") {
			p.recordSandbox(r.Header.Get("Authorization"))
		}
		app.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

func (p *portal) recordSandbox(auth string) {
	kind := "none"
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok {
		switch {
		case strings.HasPrefix(tok, "ptc_sbx_"):
			kind = "ptc_sbx"
		case strings.HasPrefix(tok, "ptc_live_"):
			kind = "ptc_live"
		default:
			kind = "other"
		}
	} else if auth != "" {
		kind = "other"
	}
	p.mu.Lock()
	p.sandboxAuth = append(p.sandboxAuth, kind)
	p.mu.Unlock()
}

func (p *portal) sandboxCalls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.sandboxAuth...)
}

// signIn signs in through the real form in a new tab of bc and returns
// the tab, on the page the form leads to.
func (p *portal) signIn(t *testing.T, bc context.Context, email string) *tab {
	t.Helper()
	tb := newTab(t, bc)
	tb.do("sign in as "+email,
		chromedp.Navigate(p.URL+"/sign-in"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.Click(chromedp.CSS("[data-testid=continue]")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS("[data-testid=sign-in-form] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=viewer]")),
	)
	return tb
}
