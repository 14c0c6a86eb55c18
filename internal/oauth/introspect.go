package oauth

import (
	"context"
	"errors"
	"strconv"

	"github.com/portico/portico/internal/credential"
)

// Introspection is an RFC 7662 answer. An inactive token's is exactly
// {"active": false}: nothing says whether it expired, was revoked or
// never existed. The portico_ members are extension claims.
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	// Sub is the client id for an access token (RFC 9068 §2.2: the
	// client acts on its own behalf), the owner's user id for a personal
	// access token.
	Sub string `json:"sub,omitempty"`
	Iss string `json:"iss,omitempty"`
	// PartnerID is the partner the token acts for; Environment "sandbox"
	// or "live".
	PartnerID   int64  `json:"portico_partner_id,omitempty"`
	Environment string `json:"portico_environment,omitempty"`
}

// Introspect says whether a token is active and, if so, what it may do
// now: its scopes intersected with what its owner is granted at this
// moment, as the gateway would judge a call. OAuth access tokens and
// personal access tokens (which the gateway accepts alike) are both
// answered; anything else (client or resource server secrets, garbage) is
// inactive. Nothing is recorded as a use of the token.
func (s *Server) Introspect(ctx context.Context, tok string) (*Introspection, error) {
	p, until, err := s.verifier.Inspect(ctx, tok)
	switch {
	case errors.Is(err, credential.ErrInvalid), errors.Is(err, credential.ErrExpired), errors.Is(err, credential.ErrPending):
		return &Introspection{}, nil
	case err != nil:
		return nil, err
	}
	in := &Introspection{Active: true, Scope: p.ScopeString(), TokenType: "Bearer", Exp: until.Unix(),
		Iss: s.Issuer, PartnerID: p.PartnerID, Environment: p.Environment}
	if p.ClientID != "" {
		in.ClientID, in.Sub = p.ClientID, p.ClientID
	} else {
		in.Sub = strconv.FormatInt(p.UserID, 10)
	}
	if p.IssuedAt != nil {
		in.Iat = p.IssuedAt.Unix()
	}
	return in, nil
}
