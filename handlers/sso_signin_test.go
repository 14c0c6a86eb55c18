package handlers_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/oidctest"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// ssoWorld is the demo portal with Harbor Logistics signing in through a
// real OpenID provider running in the test (harbor.test is its domain).
type ssoWorld struct {
	t        *testing.T
	portal   *portal
	op       *oidctest.Provider
	sso      *sso.Service
	harbor   *store.Partner
	provider *store.IdentityProvider
	// skew moves the clock the portal checks ID tokens against.
	skew atomic.Int64
}

func newSSOWorld(t *testing.T) *ssoWorld {
	t.Helper()
	ctx := context.Background()
	p, op, svc := newSSOPortal(t)
	st := p.store
	w := &ssoWorld{t: t, op: op, portal: p, sso: svc}
	w.sso.Now = func() time.Time { return time.Now().Add(time.Duration(w.skew.Load())) }
	box := svc.Box()
	harbor, err := st.PartnerBySlug(ctx, "harbor-logistics")
	if err != nil {
		t.Fatal(err)
	}
	w.harbor = harbor
	id, secret := op.AddClient(w.sso.RedirectURL())
	w.provider, err = st.SaveIdentityProvider(ctx, store.IdentityProviderInput{PartnerID: &harbor.ID, DisplayName: "Harbor Entra ID",
		Issuer: op.Issuer(), ClientID: id, ClientSecretEnc: box.Seal(secret, sso.PurposeClientSecret), GroupsClaim: "groups",
		Domains: []string{"harbor.test"}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// begin types email on the sign-in page, follows "Sign in with …" and
// returns the provider's authorize URL the portal sent the browser to.
func (w *ssoWorld) begin(b *browser, email string) string {
	w.t.Helper()
	pg := b.post("/sign-in", url.Values{"email": {email}, "step": {"email"}})
	if pg.status != http.StatusOK || pg.doc.Find("[data-testid=sso-continue]").Length() != 1 {
		w.t.Fatalf("email step for %s: status %d, no sso-continue button: %q", email, pg.status, text(pg, "main"))
	}
	return providerURL(w.t, b.post("/sso/start", url.Values{"email": {email}}))
}

// providerURL is where the portal's answer sends the browser on to: the
// page refreshes to the provider at once, and links there too.
func providerURL(t *testing.T, pg page) string {
	t.Helper()
	link := pg.doc.Find("[data-testid=sso-redirect-link]").AttrOr("href", "")
	refresh := pg.doc.Find(`head meta[http-equiv=refresh]`).AttrOr("content", "")
	if pg.status != http.StatusOK || link == "" || refresh != "0;url="+link || pg.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("on to the provider: status %d, link %q, refresh %q, Cache-Control %q", pg.status, link, refresh, pg.header.Get("Cache-Control"))
	}
	if csp := pg.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("the page's CSP was widened: %q", csp)
	}
	return link
}

// atProvider signs in at the provider as email and returns the portal
// path (callback with code and state) the provider sends the browser to.
func (w *ssoWorld) atProvider(authURL, email string) string {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := *w.op.HTTPClient()
	c.Jar = jar
	cb := w.op.Login(w.t, &c, authURL, email, "pw-"+email)
	u, err := url.Parse(cb)
	if err != nil {
		w.t.Fatal(err)
	}
	return u.RequestURI()
}

// signIn runs the whole sign-in of email through the provider in b and
// returns the callback's answer.
func (w *ssoWorld) signIn(b *browser, email string) page {
	w.t.Helper()
	return b.get(w.atProvider(w.begin(b, email), email))
}

func (w *ssoWorld) person(email string, groups ...string) {
	w.op.AddUser(oidctest.User{Subject: "sub-" + email, Email: email, EmailVerified: true, Name: "Person " + email,
		Password: "pw-" + email, Groups: groups})
}

func (w *ssoWorld) user(email string) *store.User {
	w.t.Helper()
	u, err := w.portal.store.UserByEmail(context.Background(), email)
	if err != nil {
		w.t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// viewerName is the viewer's name on the home page, "" when signed out.
func viewerName(b *browser) string {
	return text(b.get("/"), "[data-testid=account-link]")
}

func TestSSOJustInTimeAndLinking(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	w.person("dana@harbor.test")
	w.person("dev@harbor.test") // has a password account already

	b := w.portal.browser(t)
	pg := w.signIn(b, "dana@harbor.test")
	if pg.status != http.StatusSeeOther || pg.header.Get("Location") != "/" {
		t.Fatalf("callback: status %d, Location %q: %s", pg.status, pg.header.Get("Location"), text(pg, "main"))
	}
	if got := viewerName(b); got != "Person dana@harbor.test" {
		t.Fatalf("signed in as %q, want the provider's name for dana", got)
	}
	dana := w.user("dana@harbor.test")
	if dana.PartnerID == nil || *dana.PartnerID != w.harbor.ID || dana.Role != store.RoleDeveloper || dana.PasswordHash != nil {
		t.Errorf("dana joined as %+v, want a developer of Harbor without a password", dana)
	}

	// An existing account of the partner is linked, not duplicated.
	before := w.user("dev@harbor.test")
	b2 := w.portal.browser(t)
	w.signIn(b2, "dev@harbor.test")
	if got := viewerName(b2); got != "Dev Harbor" {
		t.Fatalf("signed in as %q, want Dev Harbor (the account's own name)", got)
	}
	ident, err := w.portal.store.IdentityOfUser(context.Background(), before.ID)
	if err != nil || ident.Subject != "sub-dev@harbor.test" {
		t.Errorf("dev's identity = %+v, %v; want linked to sub-dev@harbor.test", ident, err)
	}
}

// refusal is the sign-in page's error after a refused callback.
func refusal(t *testing.T, pg page, status int) string {
	t.Helper()
	if pg.status != status {
		t.Fatalf("status %d, want %d: %s", pg.status, status, text(pg, "main"))
	}
	msg := text(pg, "[data-testid=form-error]")
	if msg == "" {
		t.Fatalf("no error on the page: %s", text(pg, "main"))
	}
	return msg
}

// TestSSOAnswerIsCheckedAgainstTheAttempt: the provider's answer counts
// only in the browser that started the sign-in, once, with the state and
// nonce of that attempt and an ID token that verifies now.
func TestSSOAnswerIsCheckedAgainstTheAttempt(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	w.person("dana@harbor.test")

	t.Run("wrong state", func(t *testing.T) {
		b := w.portal.browser(t)
		cb := w.atProvider(w.begin(b, "dana@harbor.test"), "dana@harbor.test")
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged-"+q.Get("state"))
		u.RawQuery = q.Encode()
		refusal(t, b.get(u.RequestURI()), http.StatusBadRequest)
		if got := viewerName(b); got != "" {
			t.Errorf("signed in as %q after a wrong state", got)
		}
	})
	t.Run("answer replayed in another browser", func(t *testing.T) {
		b := w.portal.browser(t)
		cb := w.atProvider(w.begin(b, "dana@harbor.test"), "dana@harbor.test")
		other := w.portal.browser(t)
		refusal(t, other.get(cb), http.StatusBadRequest)
		if got := viewerName(other); got != "" {
			t.Errorf("another browser signed in as %q with a stolen answer", got)
		}
	})
	t.Run("answer used twice", func(t *testing.T) {
		b := w.portal.browser(t)
		cb := w.atProvider(w.begin(b, "dana@harbor.test"), "dana@harbor.test")
		if pg := b.get(cb); pg.status != http.StatusSeeOther {
			t.Fatalf("first use: status %d", pg.status)
		}
		b.post("/sign-out", nil)
		refusal(t, b.get(cb), http.StatusBadRequest)
	})
	t.Run("wrong nonce", func(t *testing.T) {
		// The browser (or an attacker in it) changes the nonce on its way
		// to the provider: the ID token then carries another nonce.
		b := w.portal.browser(t)
		authURL, _ := url.Parse(w.begin(b, "dana@harbor.test"))
		q := authURL.Query()
		q.Set("nonce", "injected-nonce")
		authURL.RawQuery = q.Encode()
		msg := refusal(t, b.get(w.atProvider(authURL.String(), "dana@harbor.test")), http.StatusBadRequest)
		if !strings.Contains(msg, "could not be verified") {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("PKCE verifier of another attempt", func(t *testing.T) {
		// The code of one attempt cannot be redeemed by another: the
		// challenge sent to the provider is swapped for another's.
		b := w.portal.browser(t)
		authURL, _ := url.Parse(w.begin(b, "dana@harbor.test"))
		q := authURL.Query()
		q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
		authURL.RawQuery = q.Encode()
		refusal(t, b.get(w.atProvider(authURL.String(), "dana@harbor.test")), http.StatusBadRequest)
	})
	t.Run("provider refuses", func(t *testing.T) {
		b := w.portal.browser(t)
		authURL, _ := url.Parse(w.begin(b, "dana@harbor.test"))
		state := authURL.Query().Get("state")
		refusal(t, b.get("/sso/callback?error=access_denied&state="+url.QueryEscape(state)), http.StatusForbidden)
	})
	t.Run("no attempt at all", func(t *testing.T) {
		refusal(t, w.portal.browser(t).get("/sso/callback?code=x&state=y"), http.StatusBadRequest)
	})
}

// TestSSOIDTokenVerification: an expired or wrongly signed ID token is
// refused; a key rotation at the provider is followed.
func TestSSOIDTokenVerification(t *testing.T) {
	t.Parallel()

	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		w := newSSOWorld(t)
		w.person("dana@harbor.test")
		b := w.portal.browser(t)
		cb := w.atProvider(w.begin(b, "dana@harbor.test"), "dana@harbor.test")
		// The ID token (5 minutes) is read 7 minutes after it was issued:
		// the attempt itself is still younger than its 10 minutes.
		w.skew.Store(int64(7 * time.Minute))
		msg := refusal(t, b.get(cb), http.StatusBadRequest)
		w.skew.Store(0)
		if !strings.Contains(msg, "could not be verified") {
			t.Errorf("message %q, want the ID token refused (not the attempt)", msg)
		}
	})
	t.Run("key rotation, then a key the provider does not publish", func(t *testing.T) {
		t.Parallel()
		w := newSSOWorld(t)
		w.person("dana@harbor.test")
		if pg := w.signIn(w.portal.browser(t), "dana@harbor.test"); pg.status != http.StatusSeeOther {
			t.Fatalf("first sign-in: %d %s", pg.status, text(pg, "main"))
		}
		w.op.RotateKey()
		b := w.portal.browser(t)
		if pg := w.signIn(b, "dana@harbor.test"); pg.status != http.StatusSeeOther {
			t.Fatalf("after the provider rotated its key: %d %s", pg.status, text(pg, "main"))
		}
		w.op.SignWithUnpublishedKey()
		b = w.portal.browser(t)
		refusal(t, w.signIn(b, "dana@harbor.test"), http.StatusBadRequest)
		if got := viewerName(b); got != "" {
			t.Errorf("a wrongly signed ID token signed in %q", got)
		}
	})
}

// TestSSOAddressesAreBoundToThePartner: the provider vouches only for its
// partner's domains, verified, and never takes over an account of another
// partner or of the staff.
func TestSSOAddressesAreBoundToThePartner(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	ctx := context.Background()
	crane, err := w.portal.store.PartnerBySlug(ctx, "crane-works")
	if err != nil {
		t.Fatal(err)
	}
	// A Crane Works account whose address is at harbor.test.
	if _, err := w.portal.store.CreateUser(ctx, store.NewUser{Email: "contractor@harbor.test", Name: "Contractor",
		Role: store.RoleDeveloper, PartnerID: &crane.ID}); err != nil {
		t.Fatal(err)
	}
	w.person("eve@elsewhere.test")
	w.person("dev@crane.test")
	w.person("contractor@harbor.test")
	w.op.AddUser(oidctest.User{Subject: "sub-unverified", Email: "unverified@harbor.test", EmailVerified: false,
		Name: "Unverified", Password: "pw-unverified@harbor.test"})

	for _, tc := range []struct{ email, want string }{
		{"eve@elsewhere.test", "does not accept"},
		{"dev@crane.test", "does not accept"},
		{"contractor@harbor.test", "does not sign in through this organisation"},
		{"unverified@harbor.test", "verified"},
	} {
		t.Run(tc.email, func(t *testing.T) {
			b := w.portal.browser(t)
			// The person types a Harbor address; the provider vouches for
			// tc.email.
			authURL := w.begin(b, "someone@harbor.test")
			msg := refusal(t, b.get(w.atProvider(authURL, tc.email)), http.StatusForbidden)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want it to contain %q", msg, tc.want)
			}
			if got := viewerName(b); got != "" {
				t.Errorf("signed in as %q", got)
			}
		})
	}
	// Nobody joined Harbor, and the Crane accounts are untouched.
	for _, email := range []string{"eve@elsewhere.test", "unverified@harbor.test"} {
		if _, err := w.portal.store.UserByEmail(ctx, email); err == nil {
			t.Errorf("%s got an account", email)
		}
	}
	if u := w.user("contractor@harbor.test"); *u.PartnerID != crane.ID {
		t.Errorf("contractor moved to partner %d", *u.PartnerID)
	}
	rows := w.auditActions(t, w.harbor.ID, "user.sso_refused")
	if rows != 4 {
		t.Errorf("%d user.sso_refused events in Harbor's trail, want 4", rows)
	}
}

func (w *ssoWorld) auditActions(t *testing.T, partnerID int64, action string) int {
	t.Helper()
	var n int
	err := w.portal.store.DB().GetContext(context.Background(), &n,
		`SELECT count(*) FROM audit_events WHERE partner_id = $1 AND action = $2`, partnerID, action)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSSOUnreadableSecret: a client secret sealed under another server
// secret (PORTICO_SECRET changed) gives a sentence, not a 500.
func TestSSOUnreadableSecret(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	other := sso.MustBox([]byte("another-server-secret-another-server-secret"))
	if _, err := w.portal.store.DB().Exec(`UPDATE identity_providers SET client_secret_enc = $1 WHERE id = $2`,
		other.Seal("s3cret", sso.PurposeClientSecret), w.provider.ID); err != nil {
		t.Fatal(err)
	}
	b := w.portal.browser(t)
	msg := refusal(t, b.post("/sso/start", url.Values{"email": {"dana@harbor.test"}}), http.StatusServiceUnavailable)
	if !strings.Contains(msg, "not set up correctly") {
		t.Errorf("message %q", msg)
	}
}
