package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// TokenRequest is a client credentials grant: the client's credentials,
// the scope parameter as sent ("" asks for every scope of the client) and
// the address the request came from.
type TokenRequest struct {
	Client Credentials
	Scope  string
	IP     string
}

// Issued is an access token just issued; AccessToken is shown this once.
type Issued struct {
	AccessToken string
	// ExpiresIn is the lifetime in whole seconds; ExpiresAt the instant.
	ExpiresIn int
	ExpiresAt time.Time
	// Scope is the granted scopes, space-delimited.
	Scope string
}

// Issue runs the client credentials grant: it authenticates the client,
// checks that it may ask for tokens from ip, narrows the scopes and
// stores a new access token's HMAC. The token lives for the portal's
// access-token lifetime, never past the client's own expiry.
func (s *Server) Issue(ctx context.Context, req TokenRequest) (*Issued, error) {
	now := s.now()
	c, err := s.authenticateClient(ctx, req.Client, req.IP, now)
	if err != nil {
		return nil, err
	}
	if c.Pending {
		return nil, &Error{Code: CodeUnauthorizedClient, Status: http.StatusBadRequest,
			Description: "This client waits for a partner admin's approval; it can get tokens once it is approved."}
	}
	// Checked only once the secret is right: a caller without it learns
	// nothing of the client's networks.
	if !allowedFrom(c.AllowedNetworks, req.IP) {
		return nil, &Error{Code: CodeUnauthorizedClient, Status: http.StatusBadRequest,
			Description: "This client may request tokens only from its allowed networks, and " + displayIP(req.IP) +
				" is not in them. A partner admin can change the client's allowed networks in the portal."}
	}
	scopes, err := narrow(req.Scope, c.Scopes)
	if err != nil {
		return nil, err
	}
	if scopes, err = s.held(ctx, c, scopes); err != nil {
		return nil, err
	}
	plain, err := token.New(token.KindAccessToken)
	if err != nil {
		return nil, fmt.Errorf("issue access token: %w", err)
	}
	expires, err := s.store.IssueAccessToken(ctx, c.ID, s.hasher.Hash(plain), scopes, now, c.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return &Issued{AccessToken: plain, ExpiresIn: int(expires.Sub(now) / time.Second), ExpiresAt: expires,
		Scope: strings.Join(scopes, " ")}, nil
}

// held narrows scopes to those the client's owner holds now, so the answer's
// scope says what the token can do (RFC 6749 §5.1) rather than what the
// client was registered with: the gateway would refuse the rest anyway.
// The token keeps only these; a grant given back later does not widen it.
func (s *Server) held(ctx context.Context, c *store.ClientAuth, scopes []string) ([]string, error) {
	granted, err := catalog.EffectiveAccess(ctx, s.store, c.UserID)
	if err != nil {
		return nil, fmt.Errorf("issue access token for client %d: %w", c.ID, err)
	}
	out := scopes[:0:0]
	for _, sc := range scopes {
		api, scope, ok := strings.Cut(sc, "/")
		if ok && granted.Allows(api, scope) || !ok && access.IsPortalScope(c.Role, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, &Error{Code: CodeInvalidScope, Status: http.StatusBadRequest,
			Description: "The client's owner holds none of the scopes asked for now (their access groups changed). " +
				"A partner admin or account manager can grant the access again, or register a client with scopes its owner holds."}
	}
	return out, nil
}

// authenticateClient checks an OAuth client's id and secret, within the
// throttle. Unknown, revoked and expired clients, wrong secrets and
// owners or partners no longer active are all errInvalidClient, counted
// as failures. The secret is compared as HMACs in constant time, with the
// current secret's and, during a rotation's grace period, the previous
// one's.
func (s *Server) authenticateClient(ctx context.Context, cr Credentials, ip string, now time.Time) (*store.ClientAuth, error) {
	idOK := token.ValidPublicID(token.ClientIDPrefix, cr.ID)
	keys := keysFor(cr.ID, idOK, ip)
	if err := s.throttled(ctx, keys, now); err != nil {
		return nil, err
	}
	var c *store.ClientAuth
	if idOK {
		var err error
		if c, err = s.store.ClientByClientID(ctx, cr.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	// Hashed whatever the lookup found, so an unknown id costs the same.
	sum := s.hasher.Hash(cr.Secret)
	ok := 0
	if c != nil {
		ok = subtle.ConstantTimeCompare(sum, c.Hash)
		if len(c.PreviousHash) > 0 {
			ok |= subtle.ConstantTimeCompare(sum, c.PreviousHash)
		}
	}
	if p, err := token.Parse(cr.Secret); err != nil || p.Kind != token.KindClientSecret {
		ok = 0
	}
	if ok != 1 || c.Revoked || !now.Before(c.ExpiresAt) || !c.UserActive || !c.PartnerActive {
		if err := s.fail(ctx, keys, now); err != nil {
			return nil, err
		}
		return nil, errInvalidClient()
	}
	return c, nil
}

// narrow returns the scopes a request asks for: the scope parameter's
// (space-delimited, each one of the client's), or all of the client's
// when it names none. Sorted, without duplicates.
func narrow(raw string, client []string) ([]string, error) {
	var want []string
	for _, sc := range strings.Split(raw, " ") {
		if sc != "" {
			want = append(want, sc)
		}
	}
	if len(want) == 0 {
		if len(client) == 0 {
			return nil, &Error{Code: CodeInvalidScope, Status: http.StatusBadRequest,
				Description: "This client has no scopes; a partner admin can register a client with the scopes it needs."}
		}
		out := slices.Clone(client)
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	for i, sc := range want {
		if slices.Contains(client, sc) {
			continue
		}
		// A bare scope name (fleet:read), as an API's OpenAPI document
		// names it and as Swagger UI or a generated client sends it,
		// stands for the one scope of that name among the client's
		// (fleet/fleet:read); two APIs' scopes of one name need the
		// API's slug to tell them apart.
		if !strings.Contains(sc, "/") {
			if full, n := bareScope(sc, client); n == 1 {
				want[i] = full
				continue
			} else if n > 1 {
				return nil, &Error{Code: CodeInvalidScope, Status: http.StatusBadRequest,
					Description: "More than one API of this client has a scope of that name: write it as API/SCOPE (" + strings.Join(client, " ") + ")."}
			}
		}
		return nil, &Error{Code: CodeInvalidScope, Status: http.StatusBadRequest,
			Description: "Ask only for scopes this client was registered with (" + strings.Join(client, " ") +
				"), separated by spaces; leave scope out to get all of them."}
	}
	slices.Sort(want)
	return slices.Compact(want), nil
}

// bareScope returns the client scope "API/name" of a bare scope name and
// how many of the client's scopes have that name.
func bareScope(name string, client []string) (string, int) {
	var full string
	n := 0
	for _, c := range client {
		if _, scope, ok := strings.Cut(c, "/"); ok && scope == name {
			full, n = c, n+1
		}
	}
	return full, n
}

// allowedFrom reports whether ip is in one of networks (CIDRs as
// PostgreSQL writes them); no networks: anywhere.
func allowedFrom(networks []string, ip string) bool {
	if len(networks) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, n := range networks {
		if pfx, err := netip.ParsePrefix(n); err == nil && pfx.Contains(addr) {
			return true
		}
	}
	return false
}

// displayIP is the caller's address as the refusal names it.
func displayIP(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		return "your address " + a.Unmap().String()
	}
	return "your address"
}
