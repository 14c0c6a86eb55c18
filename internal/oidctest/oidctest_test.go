package oidctest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/portico/portico/internal/oidctest"
)

const redirectURI = "https://portal.example/sso/callback"

var alice = oidctest.User{
	Subject:       "alice-1",
	Email:         "alice@harbor.example",
	EmailVerified: true,
	Name:          "Alice Liddell",
	Password:      "correct horse",
	Groups:        []string{"developers", "admins"},
}

// claims are what Portico reads from an ID token.
type claims struct {
	Subject       string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Groups        []string `json:"groups"`
	Nonce         string   `json:"nonce"`
}

// rp is a relying party as Portico is one: go-oidc and x/oauth2.
type rp struct {
	p        *oidctest.Provider
	ctx      context.Context
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newRP(t *testing.T, p *oidctest.Provider) *rp {
	t.Helper()
	ctx := oidc.ClientContext(t.Context(), p.HTTPClient())
	provider, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	id, secret := p.AddClient(redirectURI)
	return &rp{
		p:   p,
		ctx: ctx,
		conf: oauth2.Config{
			ClientID: id, ClientSecret: secret, RedirectURL: redirectURI,
			Endpoint: provider.Endpoint(),
			Scopes:   []string{oidc.ScopeOpenID, "email", "profile", oidc.ScopeOfflineAccess},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: id}),
	}
}

// signIn runs the code flow with PKCE and a nonce as u and checks state and
// nonce on the way back.
func (r *rp) signIn(t *testing.T, u oidctest.User) (*oauth2.Token, claims) {
	t.Helper()
	state, nonce, pkce := "state-"+u.Subject, "nonce-"+u.Subject, oauth2.GenerateVerifier()
	authURL := r.conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce))
	cb, err := url.Parse(r.p.Login(t, r.p.HTTPClient(), authURL, u.Email, u.Password))
	if err != nil {
		t.Fatal(err)
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != redirectURI {
		t.Fatalf("callback %s, want %s", cb, redirectURI)
	}
	if got := cb.Query().Get("state"); got != state {
		t.Fatalf("state %q, want %q", got, state)
	}
	tok, err := r.conf.Exchange(r.ctx, cb.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	c, err := r.verify(tok)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if c.Nonce != nonce {
		t.Errorf("nonce %q, want %q", c.Nonce, nonce)
	}
	return tok, c
}

func (r *rp) verify(tok *oauth2.Token) (claims, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return claims{}, errors.New("no id_token in the token response")
	}
	idt, err := r.verifier.Verify(r.ctx, raw)
	if err != nil {
		return claims{}, err
	}
	var c claims
	err = idt.Claims(&c)
	return c, err
}

func (r *rp) refresh(refreshToken string) (*oauth2.Token, error) {
	return r.conf.TokenSource(r.ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
}

func kid(t *testing.T, tok *oauth2.Token) string {
	t.Helper()
	jws, err := jose.ParseSignedCompact(tok.Extra("id_token").(string), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID
}

func wantClaims(u oidctest.User, nonce string) claims {
	return claims{Subject: u.Subject, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name, Groups: u.Groups, Nonce: nonce}
}

func TestCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t)
	p.AddUser(alice)
	r := newRP(t, p)

	tok, got := r.signIn(t, alice)
	if diff := cmp.Diff(wantClaims(alice, "nonce-alice-1"), got); diff != "" {
		t.Errorf("ID token claims (-want +got):\n%s", diff)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token for offline_access")
	}

	info, err := oidc.NewProvider(r.ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	ui, err := info.UserInfo(r.ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var uc claims
	if err := ui.Claims(&uc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantClaims(alice, ""), uc); diff != "" {
		t.Errorf("userinfo claims (-want +got):\n%s", diff)
	}
}

func TestCodeExchangeNeedsTheVerifier(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t)
	p.AddUser(alice)
	r := newRP(t, p)
	authURL := r.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	cb, _ := url.Parse(p.Login(t, p.HTTPClient(), authURL, alice.Email, alice.Password))
	_, err := r.conf.Exchange(r.ctx, cb.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	if code := errorCode(err); code != "invalid_grant" {
		t.Errorf("exchange with the wrong PKCE verifier: %v, want invalid_grant", err)
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t)
	resp, err := p.HTTPClient().Get(p.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Issuer     string   `json:"issuer"`
		Grants     []string `json:"grant_types_supported"`
		Challenges []string `json:"code_challenge_methods_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != p.Issuer() || !strings.HasPrefix(doc.Issuer, "https://127.0.0.1:") {
		t.Errorf("issuer %q, Issuer() %q", doc.Issuer, p.Issuer())
	}
	if !contains(doc.Grants, "refresh_token") || !contains(doc.Grants, "authorization_code") {
		t.Errorf("grant_types_supported %v", doc.Grants)
	}
	if !contains(doc.Challenges, "S256") {
		t.Errorf("code_challenge_methods_supported %v", doc.Challenges)
	}
}

func TestRefreshCarriesCurrentGroups(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t)
	p.AddUser(alice)
	r := newRP(t, p)
	tok, _ := r.signIn(t, alice)

	p.SetGroups(alice.Subject, "auditors")
	next, err := r.refresh(tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	got, err := r.verify(next)
	if err != nil {
		t.Fatalf("refreshed ID token: %v", err)
	}
	want := wantClaims(alice, "")
	want.Groups = []string{"auditors"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refreshed ID token claims (-want +got):\n%s", diff)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Errorf("refresh token not rotated")
	}
	if _, err := r.refresh(tok.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("reusing the rotated refresh token: %v, want invalid_grant", err)
	}
}

func TestRemoveUser(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t)
	p.AddUser(alice)
	bob := oidctest.User{Subject: "bob-2", Email: "bob@harbor.example", Password: "pw", Groups: []string{"developers"}}
	p.AddUser(bob)
	r := newRP(t, p)
	aliceTok, _ := r.signIn(t, alice)
	bobTok, _ := r.signIn(t, bob)

	p.RemoveUser(alice.Subject)
	if _, err := r.refresh(aliceTok.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("refresh after removal: %v, want invalid_grant", err)
	}
	if _, err := r.refresh(bobTok.RefreshToken); err != nil {
		t.Errorf("someone else's refresh after the removal: %v", err)
	}
	authURL := r.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	if msg := loginFails(t, p, authURL, alice.Email, alice.Password); !strings.Contains(msg, "Wrong email or password") {
		t.Errorf("sign-in after removal: %q", msg)
	}
}

func TestWrongPasswordRefused(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t)
	p.AddUser(alice)
	r := newRP(t, p)
	authURL := r.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	if msg := loginFails(t, p, authURL, alice.Email, "wrong"); !strings.Contains(msg, "Wrong email or password") {
		t.Errorf("sign-in with a wrong password: %q", msg)
	}
}

func TestRotateKey(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t)
	p.AddUser(alice)
	r := newRP(t, p)
	before, _ := r.signIn(t, alice) // the verifier caches the JWKS

	p.RotateKey()
	after, err := r.refresh(before.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if kid(t, after) == kid(t, before) {
		t.Fatalf("same kid %q after the rotation", kid(t, after))
	}
	if _, err := r.verify(after); err != nil {
		t.Errorf("token signed with the new key: %v", err)
	}
	if _, err := r.verify(before); err != nil {
		t.Errorf("token signed with the old key, still published: %v", err)
	}
}

func TestSignWithUnpublishedKey(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t)
	p.AddUser(alice)
	r := newRP(t, p)
	before, _ := r.signIn(t, alice)

	p.SignWithUnpublishedKey()
	after, err := r.refresh(before.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if kid(t, after) != kid(t, before) {
		t.Errorf("kid %q, want the published %q", kid(t, after), kid(t, before))
	}
	if _, err := r.verify(after); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("verifying a token signed with an unpublished key: %v, want a signature error", err)
	}
}

func TestSetDown(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t)
	p.AddUser(alice)
	r := newRP(t, p)
	tok, _ := r.signIn(t, alice)

	p.SetDown(true)
	var re *oauth2.RetrieveError
	if _, err := r.refresh(tok.RefreshToken); !errors.As(err, &re) || re.Response.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("refresh during the outage: %v, want 503", err)
	}
	if _, err := oidc.NewProvider(r.ctx, p.Issuer()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("discovery during the outage: %v, want 503", err)
	}

	p.SetDown(false)
	if _, err := r.refresh(tok.RefreshToken); err != nil {
		t.Errorf("refresh after the outage: %v", err)
	}
}

func TestProvidersAreSeparate(t *testing.T) {
	t.Parallel()
	a, b := oidctest.Start(t), oidctest.Start(t)
	a.AddUser(alice)
	r := newRP(t, a)
	if a.Issuer() == b.Issuer() {
		t.Fatal("same issuer")
	}
	authURL := strings.Replace(r.conf.AuthCodeURL("s"), a.Issuer(), b.Issuer(), 1)
	if msg := loginFails(t, b, authURL, alice.Email, alice.Password); msg == "" {
		t.Error("provider b knows provider a's client")
	}
}

// loginFails runs Login expecting it to fail the test, and returns the
// failure message.
func loginFails(t *testing.T, p *oidctest.Provider, authURL, email, password string) string {
	t.Helper()
	rec := &recorder{TB: t}
	done := make(chan string)
	go func() {
		defer close(done)
		cb := p.Login(rec, p.HTTPClient(), authURL, email, password)
		t.Errorf("Login succeeded: %s", cb)
	}()
	<-done
	return rec.msg
}

// recorder is a testing.TB whose Fatalf records the message and ends the
// goroutine, as Fatalf does.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func errorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
