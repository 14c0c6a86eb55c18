package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// Caller is who calls introspection or revocation: a resource server, or
// (revocation only) an OAuth client revoking its own tokens.
type Caller struct {
	Server *store.ResourceServer
	Client *store.ClientAuth
}

// Authenticate identifies the caller of introspection or revocation. A
// resource server sends its prs_ id and ptc_srv_ secret (cr, from HTTP
// Basic or the form) or its secret alone as a bearer credential (bearer);
// with clients set, an OAuth client may also authenticate with its pcl_
// id and secret. Unknown, revoked and wrong credentials all answer
// invalid_client, within the throttle of the token endpoint.
func (s *Server) Authenticate(ctx context.Context, cr Credentials, bearer, ip string, clients bool) (*Caller, error) {
	now := s.now()
	if bearer == "" && clients && strings.HasPrefix(cr.ID, token.ClientIDPrefix) {
		c, err := s.authenticateClient(ctx, cr, ip, now)
		if err != nil {
			return nil, err
		}
		return &Caller{Client: c}, nil
	}
	secret := cr.Secret
	idOK := false
	if bearer != "" {
		secret = bearer
	} else {
		idOK = token.ValidPublicID(token.ResourceServerIDPrefix, cr.ID)
	}
	keys := keysFor(cr.ID, idOK, ip)
	if err := s.throttled(ctx, keys, now); err != nil {
		return nil, err
	}
	var rs *store.ResourceServer
	sum := s.hasher.Hash(secret)
	p, perr := token.Parse(secret)
	wellFormed := perr == nil && p.Kind == token.KindResourceServer
	var err error
	switch {
	case bearer != "" && wellFormed:
		rs, err = s.store.ResourceServerByHash(ctx, sum)
	case bearer == "" && idOK:
		rs, err = s.store.ResourceServerByClientID(ctx, cr.ID)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if rs == nil || !wellFormed || subtle.ConstantTimeCompare(sum, rs.Hash) != 1 || rs.RevokedAt != nil {
		if err := s.fail(ctx, keys, now); err != nil {
			return nil, err
		}
		return nil, errInvalidClient()
	}
	s.recordServerUse(ctx, rs.ID, now)
	return &Caller{Server: rs}, nil
}

// recordServerUse stamps a resource server's last use at most once a
// minute per server on this node; a failed write is logged, not answered.
func (s *Server) recordServerUse(ctx context.Context, id int64, now time.Time) {
	s.usesMu.Lock()
	last, seen := s.lastUse[id]
	due := !seen || now.Sub(last) >= time.Minute
	if due {
		s.lastUse[id] = now
	}
	s.usesMu.Unlock()
	if !due {
		return
	}
	if err := s.store.RecordResourceServerUse(ctx, id, now); err != nil {
		s.Log.Warn("oauth: record resource server use", "resource_server", id, "err", err)
	}
}
