package sso

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
)

// CallbackPath is where identity providers send people back to.
const CallbackPath = "/sso/callback"

// failureTTL is how long a failed discovery is remembered: a provider
// that is down is not asked again by every sign-in attempt meanwhile.
const failureTTL = 15 * time.Second

// discoveryTTL is how long a provider's discovery document is trusted
// before it is fetched again; its keys follow rotation on their own (an
// unknown key id makes the key set fetch the JWKS again).
const discoveryTTL = time.Hour

// Service runs sign-in through identity providers and keeps what it
// learned of each (discovery, key set) between sign-ins.
type Service struct {
	store   *store.Store
	box     *Box
	client  *http.Client
	outbox  *mail.Outbox
	baseURL string
	// Now is the clock ID tokens are checked against.
	Now func() time.Time

	mu      sync.Mutex
	remotes map[int64]*remote
}

// remote is what discovery said of one provider, as configured at
// updated.
type remote struct {
	updated  time.Time
	fetched  time.Time
	provider *oidc.Provider
	// offline says the provider lists refresh tokens among its grants, so
	// a sync can ask it again about a person.
	offline bool
	// err is a failed discovery (recentFailure).
	err error
}

// New returns the service. client reaches the identity providers (nil:
// NewHTTPClient(false), which refuses addresses inside the network);
// baseURL is the portal's public URL, whose
// CallbackPath providers redirect to.
func New(st *store.Store, box *Box, client *http.Client, outbox *mail.Outbox, baseURL string) *Service {
	if client == nil {
		client = NewHTTPClient(false)
	}
	// A provider's redirect is never followed off the issuer by surprise:
	// discovery, token and key requests must answer where they were asked.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Service{store: st, box: box, client: &c, outbox: outbox, baseURL: strings.TrimRight(baseURL, "/"),
		Now: time.Now, remotes: map[int64]*remote{}}
}

// Box is the sealer of the service's secrets.
func (s *Service) Box() *Box { return s.box }

// RedirectURL is the redirect URI to register at identity providers.
func (s *Service) RedirectURL() string { return s.baseURL + CallbackPath }

// IssuerError says an issuer cannot be used, in words for the person who
// typed it.
type IssuerError struct{ Reason string }

func (e *IssuerError) Error() string { return e.Reason }

// CheckIssuerURL checks the form of an issuer URL: https, no user, query
// or fragment, at most 500 characters.
func CheckIssuerURL(raw string) error {
	if len(raw) > 500 {
		return &IssuerError{"The issuer URL is longer than 500 characters."}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return &IssuerError{"The issuer must be an https URL without user, query or fragment, such as https://login.example.com."}
	}
	return nil
}

// CheckIssuer fetches the issuer's discovery document and says whether
// it can sign people in here: an IssuerError in words when not.
func (s *Service) CheckIssuer(ctx context.Context, issuer string) error {
	if err := CheckIssuerURL(issuer); err != nil {
		return err
	}
	_, _, err := s.discover(ctx, issuer)
	return err
}

// discover fetches the issuer's discovery document.
func (s *Service) discover(ctx context.Context, issuer string) (*oidc.Provider, bool, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.client), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, false, err
		}
		return nil, false, &IssuerError{fmt.Sprintf("The identity provider at %s could not be reached or gave no valid OpenID Connect discovery document (%s).", issuer, discoveryReason(err))}
	}
	var meta struct {
		GrantTypes []string `json:"grant_types_supported"`
		Methods    []string `json:"code_challenge_methods_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, false, &IssuerError{"The identity provider's discovery document could not be read."}
	}
	offline := false
	for _, g := range meta.GrantTypes {
		offline = offline || g == "refresh_token"
	}
	return p, offline, nil
}

// discoveryReason says why discovery failed in words for the person
// configuring the provider. A provider's answer is never echoed: an
// issuer URL pointing into the portal's own network must not turn the
// error into a way to read what answers there.
func discoveryReason(err error) string {
	var ne net.Error
	msg := err.Error()
	switch {
	case privateRefusal(err):
		return "its address is inside the portal's network (loopback, private or link-local); set PORTICO_SSO_ALLOW_PRIVATE=true for a provider run on premises"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "it did not answer in time"
	case strings.HasPrefix(msg, "oidc: issuer"):
		// go-oidc's issuer mismatch names both issuers, which helps.
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		return msg
	case len(msg) >= 3 && msg[0] >= '1' && msg[0] <= '5' && msg[1] >= '0' && msg[1] <= '9' && msg[2] >= '0' && msg[2] <= '9':
		// "404 Not Found: <body>": the status only.
		status, _, _ := strings.Cut(msg, ":")
		return "it answered " + status
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "its host name could not be resolved"
	}
	return "it could not be reached"
}

// remote returns the discovered provider of p, fetching discovery again
// when p changed or the document is older than discoveryTTL.
func (s *Service) remote(ctx context.Context, p *store.IdentityProvider) (*remote, error) {
	s.mu.Lock()
	r := s.remotes[p.ID]
	s.mu.Unlock()
	if r != nil && r.updated.Equal(p.UpdatedAt) && r.err == nil && time.Since(r.fetched) < discoveryTTL {
		return r, nil
	}
	prov, offline, err := s.discover(ctx, p.Issuer)
	if errors.Is(err, context.Canceled) {
		return nil, err
	}
	r = &remote{updated: p.UpdatedAt, fetched: time.Now(), provider: prov, offline: offline, err: err}
	s.mu.Lock()
	s.remotes[p.ID] = r
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return r, nil
}

// recentFailure is the failed discovery of p within failureTTL, if any:
// sign-in attempts do not ask a provider that is down again meanwhile
// (an explicit sync does).
func (s *Service) recentFailure(p *store.IdentityProvider) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.remotes[p.ID]; r != nil && r.err != nil && r.updated.Equal(p.UpdatedAt) && time.Since(r.fetched) < failureTTL {
		return r.err
	}
	return nil
}

// Offline reports whether p's provider issues refresh tokens, so that a
// scheduled check can ask it about its people.
func (s *Service) Offline(ctx context.Context, p *store.IdentityProvider) (bool, error) {
	r, err := s.remote(ctx, p)
	if err != nil {
		return false, err
	}
	return r.offline, nil
}

// httpContext carries the service's client to go-oidc and x/oauth2.
func (s *Service) httpContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.client)
}
