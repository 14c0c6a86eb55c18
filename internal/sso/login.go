package sso

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/portico/portico/internal/store"
)

// AttemptTTL is how long a person has at the identity provider before the
// sign-in they started here is no longer accepted.
const AttemptTTL = 10 * time.Minute

// reauthSkew is how much earlier than the attempt's start a provider's
// auth_time may be, for clocks that differ.
const reauthSkew = 2 * time.Minute

// Attempt is what a started sign-in keeps in the person's own session
// until the provider sends them back: the state binds the answer to this
// browser, the nonce binds the ID token to this attempt, and the PKCE
// verifier binds the code to it. It never leaves the server.
type Attempt struct {
	ProviderID int64  `json:"p"`
	State      string `json:"s"`
	Nonce      string `json:"n"`
	Verifier   string `json:"v"`
	Email      string `json:"e,omitempty"`
	Next       string `json:"x,omitempty"`
	Started    int64  `json:"t"`
	// UserID is set when a signed-in person confirms who they are (the
	// recent-authentication window): the answer must name the same person.
	UserID int64 `json:"u,omitempty"`
}

// Encode is the attempt as kept in the session.
func (a Attempt) Encode() string {
	b, _ := json.Marshal(a) // a struct of strings and ints always marshals
	return string(b)
}

// DecodeAttempt reads an attempt kept by Encode.
func DecodeAttempt(s string) (Attempt, bool) {
	var a Attempt
	if s == "" || json.Unmarshal([]byte(s), &a) != nil || a.State == "" || a.ProviderID == 0 {
		return Attempt{}, false
	}
	return a, true
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b)
}

// oauthConfig is the client configuration of p at its discovered provider.
func (s *Service) oauthConfig(p *store.IdentityProvider, r *remote) (*oauth2.Config, error) {
	secret, err := s.box.Open(p.ClientSecretEnc, PurposeClientSecret)
	if err != nil {
		return nil, fmt.Errorf("open client secret of identity provider %d: %w", p.ID, err)
	}
	scopes := []string{oidc.ScopeOpenID, "email", "profile"}
	if r.offline {
		scopes = append(scopes, oidc.ScopeOfflineAccess)
	}
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: secret, Endpoint: r.provider.Endpoint(),
		RedirectURL: s.RedirectURL(), Scopes: scopes}, nil
}

// Start begins a sign-in at p for the person who typed email (a hint for
// the provider), to come back to next; userID non-zero asks the provider
// to authenticate the signed-in user again. It returns where to send the
// browser and the attempt to keep in its session.
func (s *Service) Start(ctx context.Context, p *store.IdentityProvider, email, next string, userID int64) (string, Attempt, error) {
	if err := s.recentFailure(p); err != nil {
		return "", Attempt{}, err
	}
	r, err := s.remote(ctx, p)
	if err != nil {
		return "", Attempt{}, err
	}
	cfg, err := s.oauthConfig(p, r)
	if err != nil {
		return "", Attempt{}, refused(RefusedMisconfigured, "%v", err)
	}
	a := Attempt{ProviderID: p.ID, State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(),
		Email: email, Next: next, Started: s.Now().Unix(), UserID: userID}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.Verifier), oidc.Nonce(a.Nonce)}
	if email != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", email))
	}
	if userID != 0 {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
	}
	return cfg.AuthCodeURL(a.State, opts...), a, nil
}

// Refusal kinds of a sign-in through a provider.
const (
	// RefusedAttempt: no attempt, another browser's, or a used one.
	RefusedAttempt = "attempt"
	// RefusedExpired: the attempt is older than AttemptTTL.
	RefusedExpired = "expired"
	// RefusedByProvider: the provider answered with an error.
	RefusedByProvider = "provider"
	// RefusedToken: the code or the ID token did not check out.
	RefusedToken = "token"
	// RefusedUnavailable: the provider could not be reached.
	RefusedUnavailable = "unavailable"
	// RefusedDomain: the address is not of a domain the provider may vouch for.
	RefusedDomain = "domain"
	// RefusedUnverified: the provider did not say the address is verified.
	RefusedUnverified = "unverified"
	// RefusedElsewhere: the address has an account outside the provider's partner.
	RefusedElsewhere = "elsewhere"
	// RefusedNoAccount: the staff provider vouched for someone who is not staff here.
	RefusedNoAccount = "no_account"
	// RefusedGroup: the provider requires a mapped group and the person is in none.
	RefusedGroup = "group"
	// RefusedSuspended: the partner's access is suspended or ended.
	RefusedSuspended = "suspended"
	// RefusedOtherPerson: a re-authentication named another person.
	RefusedOtherPerson = "other_person"
	// RefusedMisconfigured: the provider's stored client secret cannot be
	// opened (the server secret changed): staff must enter it again.
	RefusedMisconfigured = "misconfigured"
)

// RefusedError says why a sign-in through a provider is refused. Reason is
// for the log (never a secret); Kind picks the sentence shown.
type RefusedError struct {
	Kind   string
	Reason string
}

func (e *RefusedError) Error() string { return "sso sign-in refused (" + e.Kind + "): " + e.Reason }

func refused(kind, format string, args ...any) error {
	return &RefusedError{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// Identity is who a provider vouched for in a verified ID token.
type Identity struct {
	Provider      *store.IdentityProvider
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
	// GroupsUnknown says the ID token did not carry the provider's groups
	// claim at all (or no claim is configured), as opposed to an empty
	// list: Groups then says nothing, and teams and role stay as they are.
	GroupsUnknown bool
	// RefreshToken lets a later sync ask the provider about the person
	// ("" when the provider gave none).
	RefreshToken string
}

// Finish checks the provider's answer (the callback's query) against the
// attempt kept in the browser's session and returns the verified
// identity: state, age, code exchange with the PKCE verifier, ID token
// (issuer, audience, expiry, signature through the provider's keys) and
// nonce. Every refusal is a *RefusedError.
func (s *Service) Finish(ctx context.Context, a Attempt, ok bool, q url.Values) (*Identity, error) {
	if !ok {
		return nil, refused(RefusedAttempt, "no sign-in attempt in this session")
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(a.State)) != 1 {
		return nil, refused(RefusedAttempt, "state does not match this session's attempt")
	}
	if s.Now().Sub(time.Unix(a.Started, 0)) > AttemptTTL {
		return nil, refused(RefusedExpired, "attempt started %s ago", s.Now().Sub(time.Unix(a.Started, 0)).Round(time.Second))
	}
	if e := q.Get("error"); e != "" {
		return nil, refused(RefusedByProvider, "provider answered %.100q", e)
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		return nil, refused(RefusedToken, "no usable code in the answer")
	}
	p, err := s.store.IdentityProviderByID(ctx, a.ProviderID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refused(RefusedAttempt, "identity provider %d was removed", a.ProviderID)
	} else if err != nil {
		return nil, err
	}
	r, err := s.remote(ctx, p)
	if err != nil {
		return nil, refused(RefusedUnavailable, "discovery: %v", err)
	}
	cfg, err := s.oauthConfig(p, r)
	if err != nil {
		return nil, refused(RefusedMisconfigured, "%v", err)
	}
	tctx, cancel := context.WithTimeout(s.httpContext(ctx), 10*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(tctx, code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			return nil, refused(RefusedToken, "code exchange refused: %s", re.ErrorCode)
		}
		return nil, refused(RefusedUnavailable, "code exchange failed")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, refused(RefusedToken, "no ID token in the token response")
	}
	claims, err := s.verify(ctx, p, r, raw)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(claims.nonce), []byte(a.Nonce)) != 1 {
		return nil, refused(RefusedToken, "nonce does not match this attempt")
	}
	if a.UserID != 0 && (claims.AuthTime == 0 || time.Unix(int64(claims.AuthTime), 0).Before(time.Unix(a.Started, 0).Add(-reauthSkew))) {
		// Asked to authenticate again (max_age=0), the provider must say
		// when it did: an older sign-in there confirms nothing now.
		return nil, refused(RefusedToken, "re-authentication without a fresh auth_time")
	}
	id := claims.identity(p)
	id.RefreshToken = tok.RefreshToken
	return id, nil
}

// idClaims are the claims Portico reads from an ID token.
type idClaims struct {
	subject, nonce string
	Email          string  `json:"email"`
	EmailVerified  any     `json:"email_verified"`
	Name           string  `json:"name"`
	AuthTime       float64 `json:"auth_time"`
	groups         []string
	// groupsKnown: the token carries the provider's groups claim.
	groupsKnown bool
}

// verify checks an ID token of p and reads its claims.
func (s *Service) verify(ctx context.Context, p *store.IdentityProvider, r *remote, raw string) (*idClaims, error) {
	v := r.provider.VerifierContext(s.httpContext(ctx), &oidc.Config{ClientID: p.ClientID, Now: s.Now})
	idt, err := v.Verify(s.httpContext(ctx), raw)
	if err != nil {
		return nil, refused(RefusedToken, "ID token: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return nil, refused(RefusedToken, "ID token claims: %v", err)
	}
	c.subject, c.nonce = idt.Subject, idt.Nonce
	if p.GroupsClaim != "" {
		var all map[string]json.RawMessage
		if err := idt.Claims(&all); err != nil {
			return nil, refused(RefusedToken, "ID token claims: %v", err)
		}
		c.groups, c.groupsKnown = GroupsFromClaims(all, p.GroupsClaim)
	}
	if c.subject == "" || len(c.subject) > 255 {
		return nil, refused(RefusedToken, "ID token subject missing or longer than 255")
	}
	return &c, nil
}

func (c *idClaims) identity(p *store.IdentityProvider) *Identity {
	verified := false
	switch v := c.EmailVerified.(type) {
	case bool:
		verified = v
	case string: // some providers send "true"
		verified = v == "true"
	}
	return &Identity{Provider: p, Subject: c.subject, Email: store.NormalizeEmail(c.Email), EmailVerified: verified,
		Name: strings.TrimSpace(c.Name), Groups: c.groups, GroupsUnknown: !c.groupsKnown}
}
