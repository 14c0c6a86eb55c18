package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/oidctest"
	"github.com/portico/portico/internal/pgtest"
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
	// now is the clock the portal checks ID tokens against.
	now func() time.Time
}

func newSSOWorld(t *testing.T) *ssoWorld {
	t.Helper()
	ctx := context.Background()
	op := oidctest.Start(t)
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	box := sso.MustBox(cfg.Secret)
	outbox := mail.NewOutbox(st)
	w := &ssoWorld{t: t, op: op, now: time.Now}
	w.sso = sso.New(st, box, op.HTTPClient(), outbox, cfg.BaseURL)
	w.sso.Now = func() time.Time { return w.now() }
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: outbox, Mailer: noKick{}, SSO: w.sso})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	w.portal = &portal{srv: srv, store: st}
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
	pg = b.post("/sso/start", url.Values{"email": {email}})
	loc := pg.header.Get("Location")
	if pg.status != http.StatusSeeOther || loc == "" {
		w.t.Fatalf("POST /sso/start: status %d, Location %q", pg.status, loc)
	}
	return loc
}

// atProvider signs in at the provider as email and returns the portal
// path (callback with code and state) the provider sends the browser to.
func (w *ssoWorld) atProvider(authURL, email string) string {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := w.op.HTTPClient()
	c.Jar = jar
	cb := w.op.Login(w.t, c, authURL, email, "pw-"+email)
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

// signedInAs is the viewer's name on the home page, "" when signed out.
func signedInAs(b *browser) string {
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
	if got := signedInAs(b); got != "Person dana@harbor.test" {
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
	if got := signedInAs(b2); got != "Dev Harbor" {
		t.Fatalf("signed in as %q, want Dev Harbor (the account's own name)", got)
	}
	ident, err := w.portal.store.IdentityOfUser(context.Background(), before.ID)
	if err != nil || ident.Subject != "sub-dev@harbor.test" {
		t.Errorf("dev's identity = %+v, %v; want linked to sub-dev@harbor.test", ident, err)
	}
}
