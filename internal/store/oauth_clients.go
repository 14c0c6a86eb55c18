package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ClientAuth is what the token endpoint needs to authenticate an OAuth
// client and issue it an access token, read in one query by client id.
type ClientAuth struct {
	ID            int64          `db:"id"`
	UserID        int64          `db:"user_id"`
	Role          string         `db:"role"`
	PartnerID     int64          `db:"partner_id"`
	Name          string         `db:"name"`
	Environment   string         `db:"environment"`
	Scopes        pq.StringArray `db:"scopes"`
	ExpiresAt     time.Time      `db:"expires_at"`
	Pending       bool           `db:"pending"`
	Revoked       bool           `db:"revoked"`
	UserActive    bool           `db:"user_active"`
	PartnerActive bool           `db:"partner_active"`
	// Hash is the HMAC of the current secret; PreviousHash that of the
	// secret a rotation replaced, while its grace period lasts (else nil).
	Hash            []byte         `db:"hash"`
	PreviousHash    []byte         `db:"previous_hash"`
	AllowedNetworks pq.StringArray `db:"allowed_networks"`
}

// ClientByClientID returns the OAuth client with this public id.
func (s *Store) ClientByClientID(ctx context.Context, clientID string) (*ClientAuth, error) {
	var c ClientAuth
	err := s.q.GetContext(ctx, &c, `
		SELECT t.id, t.user_id, u.role, t.partner_id, t.name, t.environment, t.scopes, t.expires_at, t.pending,
		       t.revoked_at IS NOT NULL AS revoked, u.status = 'active' AS user_active, p.status = 'active' AS partner_active,
		       t.hash, CASE WHEN t.previous_until > now() THEN t.previous_hash END AS previous_hash,
		       t.allowed_networks::text[] AS allowed_networks
		FROM tokens t JOIN users u ON u.id = t.user_id JOIN partners p ON p.id = t.partner_id
		WHERE t.client_id = $1`, clientID)
	if err != nil {
		return nil, fmt.Errorf("client %s: %w", clientID, notFound(err))
	}
	return &c, nil
}

// InsertAccessToken stores an access token issued to the client whose
// tokens row is clientTokenID and returns its id.
func (s *Store) InsertAccessToken(ctx context.Context, clientTokenID int64, hash []byte, scopes []string, expiresAt time.Time) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `
		INSERT INTO oauth_access_tokens (client_token_id, hash, scopes, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		clientTokenID, hash, stringArray(scopes), expiresAt)
	if err != nil {
		return 0, fmt.Errorf("insert access token of client %d: %w", clientTokenID, err)
	}
	return id, nil
}

// AccessTokenAuthByHash finds an access token by its hash, with its
// client's row as a TokenAuth: ID is the client's token id (calls count
// against the client), Scopes what the token asked for within the
// client's scopes now, ExpiresAt the access token's own expiry, Revoked
// true when either the token or its client is revoked.
func (s *Store) AccessTokenAuthByHash(ctx context.Context, hash []byte) (*TokenAuth, error) {
	var a TokenAuth
	err := s.q.GetContext(ctx, &a, `
		SELECT t.id, t.user_id, t.partner_id, u.role, t.environment,
		       ARRAY(SELECT unnest(at.scopes) INTERSECT SELECT unnest(t.scopes) ORDER BY 1) AS scopes,
		       least(at.expires_at, t.expires_at) AS expires_at, t.pending,
		       (t.revoked_at IS NOT NULL OR at.revoked_at IS NOT NULL) AS revoked,
		       u.status = 'active' AS user_active, p.status = 'active' AS partner_active,
		       false AS previous, NULL::timestamptz AS previous_until, t.rate_limit_per_minute,
		       p.rate_limit_per_minute AS partner_rate_limit,
		       t.allowed_networks::text[] AS allowed_networks, t.client_id, at.created_at AS issued_at
		FROM oauth_access_tokens at JOIN tokens t ON t.id = at.client_token_id
		JOIN users u ON u.id = t.user_id JOIN partners p ON p.id = t.partner_id
		WHERE at.hash = $1`, hash)
	if err != nil {
		return nil, fmt.Errorf("access token by hash: %w", notFound(err))
	}
	return &a, nil
}

// RevokeAccessToken revokes the open access token with this hash; with
// clientTokenID set only if it was issued to that client (RFC 7009: a
// client revokes its own tokens). It reports whether one was revoked.
// byServer is the resource server that asked, if any.
func (s *Store) RevokeAccessToken(ctx context.Context, hash []byte, clientTokenID, byServer *int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE oauth_access_tokens SET revoked_at = now(), revoked_by_server = $3
		WHERE hash = $1 AND revoked_at IS NULL AND ($2::bigint IS NULL OR client_token_id = $2)`, hash, clientTokenID, byServer)
	if err != nil {
		return false, fmt.Errorf("revoke access token: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// EndAccessTokensBy makes the open access tokens of a client end by
// `until` at the latest: when its secret is rotated, the tokens issued
// under the old secret live no longer than the old secret does (revoked
// at once without a grace period). The client row's own update notifies
// the credential caches, which forget its access tokens with it.
func (s *Store) EndAccessTokensBy(ctx context.Context, clientTokenID int64, until time.Time) (int, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE oauth_access_tokens SET expires_at = $2
		WHERE client_token_id = $1 AND revoked_at IS NULL AND expires_at > $2`, clientTokenID, until)
	if err != nil {
		return 0, fmt.Errorf("end access tokens of client %d: %w", clientTokenID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// LiveAccessTokens counts the client's access tokens that are neither
// expired nor revoked.
func (s *Store) LiveAccessTokens(ctx context.Context, clientTokenID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `
		SELECT count(*) FROM oauth_access_tokens
		WHERE client_token_id = $1 AND expires_at > now() AND revoked_at IS NULL`, clientTokenID)
	if err != nil {
		return 0, fmt.Errorf("live access tokens of client %d: %w", clientTokenID, err)
	}
	return n, nil
}

// DeleteExpiredAccessTokens deletes up to limit access tokens that expired
// before `before` and returns how many; retention calls it in batches.
func (s *Store) DeleteExpiredAccessTokens(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.q.ExecContext(ctx, `
		DELETE FROM oauth_access_tokens WHERE id IN (
			SELECT id FROM oauth_access_tokens WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired access tokens: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeveloperClients reports whether a partner's developers may register
// OAuth clients for themselves.
func (s *Store) DeveloperClients(ctx context.Context, partnerID int64) (bool, error) {
	var b bool
	if err := s.q.GetContext(ctx, &b, `SELECT developer_clients FROM partners WHERE id = $1`, partnerID); err != nil {
		return false, fmt.Errorf("developer clients of partner %d: %w", partnerID, notFound(err))
	}
	return b, nil
}

// SetDeveloperClients changes whether a partner's developers may register
// OAuth clients.
func (s *Store) SetDeveloperClients(ctx context.Context, partnerID int64, on bool) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE partners SET developer_clients = $2 WHERE id = $1`, partnerID, on); err != nil {
		return fmt.Errorf("set developer clients of partner %d: %w", partnerID, err)
	}
	return nil
}
