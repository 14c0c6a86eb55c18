package e2e_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/oidctest"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// withHarborProvider makes Harbor Logistics sign in through op: the
// portal trusts op's certificate, and harbor.test addresses belong to it.
func withHarborProvider(op *oidctest.Provider) portalOption {
	return func(t *testing.T, p *portal, d *handlers.Deps) {
		t.Helper()
		ctx := context.Background()
		box := sso.MustBox([]byte(e2eSecret))
		d.SSO = sso.New(p.store, box, op.HTTPClient(), d.Outbox, p.URL)
		harbor, err := p.store.PartnerBySlug(ctx, "harbor-logistics")
		if err != nil {
			t.Fatal(err)
		}
		id, secret := op.AddClient(d.SSO.RedirectURL())
		if _, err := p.store.SaveIdentityProvider(ctx, store.IdentityProviderInput{PartnerID: &harbor.ID,
			DisplayName: "Harbor Entra ID", Issuer: op.Issuer(), ClientID: id,
			ClientSecretEnc: box.Seal(secret, sso.PurposeClientSecret), GroupsClaim: "groups",
			Domains: []string{"harbor.test"}}); err != nil {
			t.Fatal(err)
		}
	}
}

// spkiFingerprint is the base64 SHA-256 of the public key of the
// certificate op serves, as Chromium's --ignore-certificate-errors-spki-list
// takes it.
func spkiFingerprint(t *testing.T, op *oidctest.Provider) string {
	t.Helper()
	u, err := url.Parse(op.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: op.CertPool(), MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("e2e: the provider's certificate: %v", err)
	}
	defer conn.Close()
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// browserTrusting starts a Chromium of its own for t that accepts the
// self-signed certificate of op and no other: the suite's shared browser
// keeps refusing bad certificates. It ends with t.
func browserTrusting(t *testing.T, op *oidctest.Provider) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("e2e: Chromium is not installed; under CI the browser tests must run")
		}
		t.Skip("e2e: Chromium is not installed (scripts/deps.sh installs it with apt)")
	}
	dir := t.TempDir()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromiumOptions(path, dir,
		chromedp.Flag("ignore-certificate-errors-spki-list", spkiFingerprint(t, op)))...)
	ctx, cancel := chromedp.NewContext(alloc)
	// Registered before TempDir's removal runs: the browser is gone first.
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("e2e: start %s: %v", path, err)
	}
	return ctx
}

// newBrowserContext is a new browser context (own cookies) of browser b,
// closed when t ends.
func newBrowserContext(t *testing.T, b context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("e2e: new browser context: %v", err)
	}
	t.Cleanup(cancel)
	return ctx
}

// reachProvider waits, after a click on a form that leads to the provider,
// for the provider's sign-in page, and fails at once when the browser
// stopped on the way: a CSP refusal on the portal's page, or an error page
// (the provider's certificate refused).
func (tb *tab) reachProvider(from string) {
	tb.t.Helper()
	tb.waitFor("the provider's sign-in page from "+from,
		`document.querySelector("[data-testid=idp-email]") || (window.__csp || []).length > 0 || location.protocol === "chrome-error:"`)
	if v := tb.cspViolations(); len(v) > 0 {
		tb.t.Fatalf("the way to the provider from %s was blocked: %v", from, v)
	}
	if href := eval[string](tb, `location.href`); strings.HasPrefix(href, "chrome-error:") {
		tb.t.Fatalf("the way to the provider from %s ended on an error page: %s", from, eval[string](tb, `document.body.innerText`))
	}
}

// TestSignInThroughTheProvider signs in on the email-first sign-in page
// at 360 px and at 1366 px, against a real OpenID provider that Harbor
// Logistics signs in through. A harbor.test address leads to "Sign in with
// Harbor Logistics's account", on to the provider's own sign-in page, and
// back signed in as a person created just in time as a developer of Harbor;
// both steps fit the screen, pass axe and are saved as screenshots
// (sso-sign-in-email-*.png, sso-sign-in-provider-*.png). The password
// still works: for an address of no provider, and for a Harbor person who
// picks "Use your password instead" (Harbor does not enforce its sign-in).
func TestSignInThroughTheProvider(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	p := newPortal(t, withHarborProvider(op))
	b := browserTrusting(t, op)
	issuer, err := url.Parse(op.Issuer())
	if err != nil {
		t.Fatal(err)
	}

	for _, s := range []struct {
		w, h       int
		name, mail string
	}{
		{360, 800, "Dana Okafor", "dana.okafor@harbor.test"},
		{1366, 900, "Ravi Menon", "ravi.menon@harbor.test"},
	} {
		op.AddUser(oidctest.User{Subject: "sub-" + s.mail, Email: s.mail, EmailVerified: true, Name: s.name,
			Password: "idp-pw-" + s.mail, Groups: []string{"everyone"}})
		at := func(what string) string { return fmt.Sprintf("%s at %d px", what, s.w) }

		t.Run(fmt.Sprintf("provider at %d px", s.w), func(t *testing.T) {
			t.Parallel()
			tb := newTab(t, newBrowserContext(t, b))
			tb.do(at("open /sign-in"),
				chromedp.EmulateViewport(int64(s.w), int64(s.h)),
				chromedp.Navigate(p.URL+"/sign-in"),
				chromedp.WaitVisible(chromedp.CSS("#email")),
			)
			tb.checkFits(t, at("the email step"), s.w)
			checkAccessibility(t, tb, at("the email step"))
			tb.screenshotOf("body", fmt.Sprintf("sso-sign-in-email-%d.png", s.w))

			tb.do(at("continue with a harbor.test address"),
				chromedp.SendKeys(chromedp.CSS("#email"), s.mail),
				chromedp.Click(chromedp.CSS("[data-testid=continue]")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=sso-continue]")),
			)
			if got, want := eval[string](tb, `document.querySelector("[data-testid=sso-continue]").textContent.trim()`),
				"Sign in with Harbor Logistics's account"; got != want {
				t.Errorf("the provider step's button says %q, want %q", got, want)
			}
			if eval[bool](tb, `document.querySelector("#password") !== null`) {
				t.Error("the provider step asks for a password")
			}
			tb.checkFits(t, at("the provider step"), s.w)
			checkAccessibility(t, tb, at("the provider step"))
			tb.screenshotOf("body", fmt.Sprintf("sso-sign-in-provider-%d.png", s.w))

			tb.do(at("go to the provider"), chromedp.Click(chromedp.CSS("[data-testid=sso-continue]")))
			tb.reachProvider(at("the provider step"))
			if got := eval[string](tb, `location.origin`); got != "https://"+issuer.Host {
				t.Fatalf("the provider's sign-in page is at %s, want %s", got, op.Issuer())
			}
			tb.do(at("sign in at the provider"),
				chromedp.SendKeys(chromedp.CSS("[data-testid=idp-email]"), s.mail),
				chromedp.SendKeys(chromedp.CSS("[data-testid=idp-password]"), "idp-pw-"+s.mail),
				chromedp.Click(chromedp.CSS("[data-testid=idp-submit]")),
			)
			// At 360 px the viewer is folded into the closed menu: wait for
			// it in the document, not on the screen.
			tb.waitFor(at("the portal, signed in"), `document.querySelector("[data-testid=viewer]")`)
			if got := eval[string](tb, `location.href`); got != p.URL+"/" {
				t.Errorf("signed in on %s, want %s/", got, p.URL)
			}
			viewer := eval[string](tb, `document.querySelector("[data-testid=viewer]").textContent.replace(/\s+/g, " ").trim()`)
			if want := s.name + " · Developer · Harbor Logistics"; viewer != want {
				t.Errorf("viewer = %q, want %q", viewer, want)
			}
			tb.checkFits(t, at("the home page after signing in"), s.w)

			u, err := p.store.UserByEmail(context.Background(), s.mail)
			if err != nil {
				t.Fatalf("no account for %s after signing in: %v", s.mail, err)
			}
			harbor, err := p.store.PartnerBySlug(context.Background(), "harbor-logistics")
			if err != nil {
				t.Fatal(err)
			}
			if u.PartnerID == nil || *u.PartnerID != harbor.ID || u.Role != store.RoleDeveloper || u.PasswordHash != nil {
				t.Errorf("%s joined as partner %v, role %s, password %v; want a developer of Harbor without a password",
					s.mail, u.PartnerID, u.Role, u.PasswordHash != nil)
			}
			if s.w < 1000 {
				return
			}

			// Once, on the wide screen: confirming who one is before a
			// sensitive action goes through the provider too.
			tb.do("confirm through the provider",
				chromedp.Navigate(p.URL+"/confirm-password?next=/account"),
				chromedp.Click(chromedp.CSS("[data-testid=sso-confirm] button")),
			)
			tb.reachProvider("/confirm-password")
			tb.do("sign in at the provider again",
				chromedp.SendKeys(chromedp.CSS("[data-testid=idp-email]"), s.mail),
				chromedp.SendKeys(chromedp.CSS("[data-testid=idp-password]"), "idp-pw-"+s.mail),
				chromedp.Click(chromedp.CSS("[data-testid=idp-submit]")),
			)
			tb.waitFor("back on the portal", `location.origin === `+strconv.Quote(p.URL)+` && document.querySelector("main")`)
			if got := eval[string](tb, `location.pathname`); got != "/account" {
				t.Errorf("after confirming at the provider: on %s, want /account: %s", got,
					eval[string](tb, `document.querySelector("main").innerText`))
			}
		})

		t.Run(fmt.Sprintf("password at %d px", s.w), func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				who, name string
				// instead: the address has a provider and the person picks
				// their password instead.
				instead bool
			}{
				{"dev@crane.test", "Dan Crane", false},
				{"dev@harbor.test", "Dev Harbor", true},
			} {
				tb := newTab(t, newBrowserContext(t, b))
				tb.do(at("type "+c.who),
					chromedp.EmulateViewport(int64(s.w), int64(s.h)),
					chromedp.Navigate(p.URL+"/sign-in"),
					chromedp.SendKeys(chromedp.CSS("#email"), c.who),
					chromedp.Click(chromedp.CSS("[data-testid=continue]")),
				)
				if c.instead {
					tb.do(at("use the password instead"),
						chromedp.WaitVisible(chromedp.CSS("[data-testid=password-instead] button")),
						chromedp.Click(chromedp.CSS("[data-testid=password-instead] button")),
					)
				}
				tb.do(at("wait for the password step"), chromedp.WaitVisible(chromedp.CSS("#password")))
				if eval[bool](tb, `document.querySelector("[data-testid=sso-continue]") !== null`) {
					t.Errorf("%s: the password step offers the provider", c.who)
				}
				if !c.instead {
					tb.checkFits(t, at("the password step"), s.w)
					checkAccessibility(t, tb, at("the password step"))
				}
				tb.do(at("sign in with the password as "+c.who),
					chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
					chromedp.Click(chromedp.CSS("[data-testid=sign-in-form] button[type=submit]")),
				)
				tb.waitFor(at(c.who+" signed in"), `document.querySelector("[data-testid=account-link]")`)
				if got := eval[string](tb, `document.querySelector("[data-testid=account-link]").textContent.trim()`); got != c.name {
					t.Errorf("%s: signed in as %q, want %q", c.who, got, c.name)
				}
				if strings.Contains(eval[string](tb, `location.host`), issuer.Host) {
					t.Errorf("%s: the password sign-in went to the provider", c.who)
				}
			}
		})
	}
}
