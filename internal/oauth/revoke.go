package oauth

import (
	"context"
	"errors"
	"net/http"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// Revoke revokes an access token (RFC 7009). A resource server may
// revoke any access token, an OAuth client only those issued to it
// (§2.1); a token that is unknown, already revoked or someone else's is
// answered as done, with nothing done (§2.2). Only access tokens are
// revoked here: another Portico credential (a personal access token, a
// client secret) is unsupported_token_type, since it is revoked in the
// portal. token_type_hint changes nothing: access tokens are the only
// kind searched, and a wrong or unknown hint is ignored (§2.1).
//
// The revocation reaches every node's credential cache at once: the
// database trigger on oauth_access_tokens notifies them. A resource
// server's revocation is audited in the token's partner's trail.
func (s *Server) Revoke(ctx context.Context, by *Caller, tok string) error {
	p, err := token.Parse(tok)
	if err != nil {
		return nil
	}
	switch p.Kind {
	case token.KindAccessToken:
	case token.KindSandbox, token.KindLive, token.KindClientSecret:
		return &Error{Code: CodeUnsupportedTokenType, Status: http.StatusBadRequest,
			Description: "Only OAuth access tokens are revoked here; revoke personal access tokens and OAuth clients in the portal."}
	default:
		return nil
	}
	hash := s.hasher.Hash(tok)
	if by.Client != nil {
		_, err := s.store.RevokeAccessToken(ctx, hash, &by.Client.ID, nil)
		return err
	}
	return s.store.InTx(ctx, func(tx *store.Store) error {
		a, err := tx.AccessTokenAuthByHash(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		done, err := tx.RevokeAccessToken(ctx, hash, nil, &by.Server.ID)
		if err != nil || !done {
			return err
		}
		client, err := tx.TokenByID(ctx, a.ID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "token.access_token_revoke", PartnerID: a.PartnerID, TargetType: "token", TargetID: a.ID, Target: client.Name,
			Details: map[string]any{"client_id": a.ClientID, "hint": token.Hint(tok), "owner": client.OwnerEmail,
				"resource_server": by.Server.Name, "resource_server_id": by.Server.ClientID},
		})
	})
}
