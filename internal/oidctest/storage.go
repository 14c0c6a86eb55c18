package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes of what the provider issues. Long enough that no test sees one
// expire by accident.
const (
	accessTokenLifetime  = 5 * time.Minute
	refreshTokenLifetime = 5 * time.Hour
	idTokenLifetime      = 5 * time.Minute
)

// groupsClaim is the claim that carries a person's groups.
const groupsClaim = "groups"

// storage is the provider's memory: op.Storage over maps, one per
// Provider, guarded by one mutex. Nothing in it is global, so providers in
// parallel tests do not see each other.
type storage struct {
	mu            sync.Mutex
	clients       map[string]*client
	users         map[string]*User // by subject
	authRequests  map[string]*authRequest
	codes         map[string]string // code → auth request id
	accessTokens  map[string]*accessToken
	refreshTokens map[string]*refreshToken
	signing       *signingKey   // signs what is issued now
	published     []*signingKey // public halves served at the JWKS endpoint
}

func newStorage() (*storage, error) {
	k, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	return &storage{
		clients:       map[string]*client{},
		users:         map[string]*User{},
		authRequests:  map[string]*authRequest{},
		codes:         map[string]string{},
		accessTokens:  map[string]*accessToken{},
		refreshTokens: map[string]*refreshToken{},
		signing:       k,
		published:     []*signingKey{k},
	}, nil
}

// signingKey is an RSA key (RS256: every OpenID client accepts it by
// default, go-oidc included).
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func newSigningKey() (*signingKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &signingKey{id: rand.Text(), key: k}, nil
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is the JWKS entry of a signingKey.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.key.PublicKey }

// authRequest is one authorize request, done once the person has signed in.
type authRequest struct {
	id            string
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge
	subject       string
	authTime      time.Time
	done          bool
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

type accessToken struct {
	id, clientID, subject string
	scopes                []string
	expires               time.Time
}

// refreshToken is a grant: the token value is its key in the map. It
// implements op.RefreshTokenRequest.
type refreshToken struct {
	token, clientID, subject string
	scopes                   []string
	authTime                 time.Time
	expires                  time.Time
}

func (r *refreshToken) GetAMR() []string            { return []string{"pwd"} }
func (r *refreshToken) GetAudience() []string       { return []string{r.clientID} }
func (r *refreshToken) GetAuthTime() time.Time      { return r.authTime }
func (r *refreshToken) GetClientID() string         { return r.clientID }
func (r *refreshToken) GetScopes() []string         { return r.scopes }
func (r *refreshToken) GetSubject() string          { return r.subject }
func (r *refreshToken) SetCurrentScopes(s []string) { r.scopes = s }

var errNotFound = errors.New("not found")

// checkPassword marks the auth request done when email and password match a
// person; otherwise it returns the sentence the login page shows.
func (s *storage) checkPassword(requestID, email, password string) (refused string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.authRequests[requestID]
	if !ok {
		return "This sign-in request is unknown or has expired."
	}
	for _, u := range s.users {
		if u.Email == email && u.Password == password {
			req.subject = u.Subject
			req.authTime = time.Now()
			req.done = true
			return ""
		}
	}
	return "Wrong email or password."
}

// CreateAuthRequest implements op.Storage.
func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(r.Prompt, oidc.PromptNone) {
		// The provider keeps no session of its own: nobody is signed in.
		return nil, oidc.ErrLoginRequired()
	}
	req := &authRequest{
		id:           rand.Text(),
		clientID:     r.ClientID,
		redirectURI:  r.RedirectURI,
		state:        r.State,
		nonce:        r.Nonce,
		scopes:       r.Scopes,
		responseType: r.ResponseType,
		responseMode: r.ResponseMode,
	}
	if r.CodeChallenge != "" {
		req.codeChallenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authRequests[req.id] = req
	return req, nil
}

// AuthRequestByID implements op.Storage.
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.authRequests[id]
	if !ok {
		return nil, fmt.Errorf("auth request: %w", errNotFound)
	}
	return req, nil
}

// AuthRequestByCode implements op.Storage.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("code: %w", errNotFound)
	}
	return s.AuthRequestByID(ctx, id)
}

// SaveAuthCode implements op.Storage.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest implements op.Storage: a code is good for one exchange.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authRequests, id)
	for code, reqID := range s.codes {
		if reqID == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// CreateAccessToken implements op.Storage.
func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newAccessToken(clientOf(r), r.GetSubject(), r.GetScopes())
	return t.id, t.expires, nil
}

// newAccessToken stores an access token; s.mu is held.
func (s *storage) newAccessToken(clientID, subject string, scopes []string) *accessToken {
	t := &accessToken{id: rand.Text(), clientID: clientID, subject: subject, scopes: scopes, expires: time.Now().Add(accessTokenLifetime)}
	s.accessTokens[t.id] = t
	return t
}

func clientOf(r op.TokenRequest) string {
	if c, ok := r.(interface{ GetClientID() string }); ok {
		return c.GetClientID()
	}
	return ""
}

// CreateAccessAndRefreshTokens implements op.Storage. A refresh rotates the
// refresh token: the one presented stops working, as with most providers.
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	authTime := time.Now()
	if current != "" {
		old, ok := s.refreshTokens[current]
		if !ok {
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token unknown or revoked")
		}
		delete(s.refreshTokens, current)
		authTime = old.authTime
	} else if a, ok := r.(*authRequest); ok {
		authTime = a.authTime
	}
	if _, ok := s.users[r.GetSubject()]; !ok {
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the user no longer exists")
	}
	at := s.newAccessToken(clientOf(r), r.GetSubject(), r.GetScopes())
	rt := &refreshToken{
		token:    rand.Text(),
		clientID: clientOf(r),
		subject:  r.GetSubject(),
		scopes:   slices.Clone(r.GetScopes()),
		authTime: authTime,
		expires:  time.Now().Add(refreshTokenLifetime),
	}
	s.refreshTokens[rt.token] = rt
	return at.id, rt.token, at.expires, nil
}

// TokenRequestByRefreshToken implements op.Storage; op answers invalid_grant
// to any error.
func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refreshTokens[token]
	if !ok || time.Now().After(rt.expires) {
		return nil, fmt.Errorf("refresh token: %w", errNotFound)
	}
	if _, ok := s.users[rt.subject]; !ok {
		return nil, fmt.Errorf("refresh token of a removed user: %w", errNotFound)
	}
	c := *rt // op may narrow the scopes of this request only
	return &c, nil
}

// TerminateSession implements op.Storage.
func (s *storage) TerminateSession(_ context.Context, subject, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.refreshTokens {
		if t.subject == subject && t.clientID == clientID {
			delete(s.refreshTokens, k)
		}
	}
	for k, t := range s.accessTokens {
		if t.subject == subject && t.clientID == clientID {
			delete(s.accessTokens, k)
		}
	}
	return nil
}

// RevokeToken implements op.Storage.
func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.accessTokens[tokenOrID]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.accessTokens, tokenOrID)
	}
	if t, ok := s.refreshTokens[tokenOrID]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.refreshTokens, tokenOrID)
	}
	return nil
}

// GetRefreshTokenInfo implements op.Storage.
func (s *storage) GetRefreshTokenInfo(_ context.Context, _, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refreshTokens[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.subject, t.token, nil
}

// SigningKey implements op.Storage.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signing, nil
}

// SignatureAlgorithms implements op.Storage.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.Storage: the JWKS.
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]op.Key, 0, len(s.published))
	for _, k := range s.published {
		keys = append(keys, publicKey{k})
	}
	return keys, nil
}

// GetClientByClientID implements op.Storage.
func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("client: %w", errNotFound)
	}
	return c, nil
}

// AuthorizeClientIDSecret implements op.Storage.
func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || c.secret != secret {
		return errors.New("wrong client id or secret")
	}
	return nil
}

// SetUserinfoFromScopes implements op.Storage; it fills the ID token's
// claims (the client asserts userinfo claims in the ID token).
func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, subject, _ string, scopes []string) error {
	return s.userinfo(info, subject, scopes)
}

// SetUserinfoFromToken implements op.Storage: the userinfo endpoint.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	t, ok := s.accessTokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) {
		return errors.New("access token unknown or expired")
	}
	return s.userinfo(info, t.subject, t.scopes)
}

// userinfo sets the person's current claims: email and email_verified with
// the email scope, name with profile, groups always.
func (s *storage) userinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[subject]
	if !ok {
		return fmt.Errorf("user: %w", errNotFound)
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.Email
		info.EmailVerified = oidc.Bool(u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
	}
	info.AppendClaims(groupsClaim, append([]string{}, u.Groups...))
	return nil
}

// SetIntrospectionFromToken implements op.Storage.
func (s *storage) SetIntrospectionFromToken(_ context.Context, r *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	t, ok := s.accessTokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) || t.clientID != clientID {
		return errors.New("token inactive")
	}
	info := new(oidc.UserInfo)
	if err := s.userinfo(info, subject, t.scopes); err != nil {
		return err
	}
	r.SetUserInfo(info)
	r.Scope = t.scopes
	r.ClientID = t.clientID
	r.Expiration = oidc.FromTime(t.expires)
	return nil
}

// GetPrivateClaimsFromScopes implements op.Storage (JWT access tokens only,
// which this provider does not issue).
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID implements op.Storage (private_key_jwt, unused).
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("private_key_jwt is not supported")
}

// ValidateJWTProfileScopes implements op.Storage (JWT profile, unused).
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

// Health implements op.Storage.
func (s *storage) Health(context.Context) error { return nil }
