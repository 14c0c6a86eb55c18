// Package oidctest runs a real OpenID Connect provider (zitadel/oidc's op)
// inside the test process, on an httptest TLS server, so that sign-in,
// refresh, key rotation, de-provisioning and outages are tested against the
// protocol itself rather than a mock. Each Provider has its own memory:
// providers in parallel tests do not interfere.
//
// It is a test helper: import it from _test.go files only.
package oidctest

import (
	"crypto/rand"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Provider is a running OpenID provider. Its methods are safe for
// concurrent use.
type Provider struct {
	srv     *httptest.Server
	st      *storage
	handler http.Handler
	down    atomic.Bool
}

// User is a person known to the provider. They sign in with Email and
// Password; Subject is the stable "sub" claim.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Password      string
	Groups        []string
}

// Start runs a provider for t on an https issuer (https://127.0.0.1:PORT),
// stopped when t ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	st, err := newStorage()
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	p := &Provider{st: st}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)

	var key [32]byte // encrypts op's opaque access tokens
	if _, err := rand.Read(key[:]); err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	o, err := op.NewProvider(&op.Config{
		CryptoKey:             key,
		CryptoKeyId:           "access-tokens",
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedUILocales:    []language.Tag{language.English},
		SupportedClaims: []string{
			"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "at_hash", "c_hash",
			"email", "email_verified", "name", groupsClaim,
		},
	}, st, op.StaticIssuer(p.srv.URL))
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(loginPath, op.NewIssuerInterceptor(o.IssuerFromRequest).Handler(
		&loginPage{st: st, callback: op.AuthCallbackURL(o)}))
	mux.Handle("/", o)
	p.handler = mux
	return p
}

// serve answers 503 to everything while the provider is down.
func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	if p.down.Load() {
		http.Error(w, "identity provider unavailable", http.StatusServiceUnavailable)
		return
	}
	p.handler.ServeHTTP(w, r)
}

// Issuer is the provider's issuer URL (no trailing slash).
func (p *Provider) Issuer() string { return p.srv.URL }

// HTTPClient returns a new client that trusts the provider's certificate
// (and no cookie jar).
func (p *Provider) HTTPClient() *http.Client { return p.srv.Client() }

// CertPool holds the provider's certificate, for clients built elsewhere.
func (p *Provider) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.srv.Certificate())
	return pool
}

// AddClient registers a confidential web client (authorization code flow,
// PKCE accepted, refresh tokens and offline_access allowed) for the given
// redirect URIs, and returns its id and secret.
func (p *Provider) AddClient(redirectURIs ...string) (id, secret string) {
	c := &client{id: "client-" + rand.Text(), secret: rand.Text(), redirectURIs: append([]string{}, redirectURIs...)}
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.clients[c.id] = c
	return c.id, c.secret
}

// AddUser adds (or replaces) a person; they sign in with u.Email.
func (p *Provider) AddUser(u User) {
	u.Groups = append([]string{}, u.Groups...)
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.users[u.Subject] = &u
}

// SetGroups replaces a person's groups; tokens issued from now on (also on
// a refresh) and the userinfo endpoint carry them.
func (p *Provider) SetGroups(subject string, groups ...string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	if u, ok := p.st.users[subject]; ok {
		u.Groups = append([]string{}, groups...)
	}
}

// RemoveUser is the person leaving the organisation: signing in is refused,
// their refresh tokens answer invalid_grant and their access tokens stop
// working at the userinfo endpoint.
func (p *Provider) RemoveUser(subject string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	delete(p.st.users, subject)
	for k, t := range p.st.refreshTokens {
		if t.subject == subject {
			delete(p.st.refreshTokens, k)
		}
	}
	for k, t := range p.st.accessTokens {
		if t.subject == subject {
			delete(p.st.accessTokens, k)
		}
	}
}

// RotateKey signs from now on with a new key under a new kid; the JWKS
// publishes the old and the new key.
func (p *Provider) RotateKey() {
	k, err := newSigningKey()
	if err != nil {
		panic("oidctest: " + err.Error()) // crypto/rand does not fail
	}
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.signing = k
	p.st.published = append(p.st.published, k)
}

// SignWithUnpublishedKey makes the provider sign from now on with a key
// whose public half is not in the JWKS, under the kid of the published
// current key, so signatures no longer verify (a forged or corrupted token).
func (p *Provider) SignWithUnpublishedKey() {
	k, err := newSigningKey()
	if err != nil {
		panic("oidctest: " + err.Error()) // crypto/rand does not fail
	}
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	k.id = p.st.signing.id
	p.st.signing = k
}

// SetDown switches an outage on or off: while down, every endpoint
// (discovery, JWKS, authorize, token, userinfo, login) answers 503.
func (p *Provider) SetDown(down bool) { p.down.Store(down) }
