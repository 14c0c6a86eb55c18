package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Token environments.
const (
	EnvSandbox = "sandbox"
	EnvLive    = "live"
)

// Token is a personal access token as stored: never its secret.
type Token struct {
	ID            int64          `db:"id"`
	UserID        int64          `db:"user_id"`
	PartnerID     int64          `db:"partner_id"`
	Name          string         `db:"name"`
	Environment   string         `db:"environment"`
	Hint          string         `db:"hint"`
	Scopes        pq.StringArray `db:"scopes"`
	CreatedAt     time.Time      `db:"created_at"`
	ExpiresAt     time.Time      `db:"expires_at"`
	Pending       bool           `db:"pending"`
	ApprovedAt    *time.Time     `db:"approved_at"`
	RevokedAt     *time.Time     `db:"revoked_at"`
	RevokedBy     *int64         `db:"revoked_by"`
	RevokeReason  string         `db:"revoke_reason"`
	PreviousUntil *time.Time     `db:"previous_until"`
	RegeneratedAt *time.Time     `db:"regenerated_at"`
	LastUsedAt    *time.Time     `db:"last_used_at"`
	LastUsedIP    *string        `db:"last_used_ip"`
	// RateLimitPerMinute is the token's own limit, below its partner's
	// access-group limits; nil when only those apply.
	RateLimitPerMinute *int `db:"rate_limit_per_minute"`
	// ClientID is the public id of an OAuth client (pcl_…); nil for a
	// personal access token. A client's secret is the row's secret.
	ClientID *string `db:"client_id"`
	// AllowedNetworks are the CIDRs the credential may be used from;
	// empty: anywhere.
	AllowedNetworks pq.StringArray `db:"allowed_networks"`
	// OwnerName and OwnerEmail are filled by the list queries.
	OwnerName  string `db:"owner_name"`
	OwnerEmail string `db:"owner_email"`
}

// IsClient reports whether the row is an OAuth client rather than a
// personal access token.
func (t *Token) IsClient() bool { return t.ClientID != nil }

// Status is the token's state at time now: active, pending, expired or
// revoked.
func (t *Token) Status(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	case t.Pending:
		return "pending"
	}
	return "active"
}

// #nosec G101 -- the column list of token queries, no credential
const tokenColumns = `t.id, t.user_id, t.partner_id, t.name, t.environment, t.hint, t.scopes, t.created_at, t.expires_at,
	t.pending, t.approved_at, t.revoked_at, t.revoked_by, t.revoke_reason, t.previous_until, t.regenerated_at,
	t.last_used_at, host(t.last_used_ip) AS last_used_ip, t.rate_limit_per_minute,
	t.client_id, t.allowed_networks::text[] AS allowed_networks, u.name AS owner_name, u.email AS owner_email`

// NewToken is what InsertToken stores.
type NewToken struct {
	UserID, PartnerID int64
	Name, Environment string
	Hash              []byte
	Hint              string
	Scopes            []string
	ExpiresAt         time.Time
	Pending           bool
	// RatePerMinute is the token's own limit; nil for none.
	RatePerMinute *int
	// ClientID makes the row an OAuth client; nil for a PAT.
	ClientID *string
	// Networks are CIDRs the credential may be used from; nil: anywhere.
	Networks []string
}

// InsertToken stores a new token and returns its id.
func (s *Store) InsertToken(ctx context.Context, n NewToken) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, pending, rate_limit_per_minute,
		                    client_id, allowed_networks)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[]::cidr[]) RETURNING id`,
		n.UserID, n.PartnerID, n.Name, n.Environment, n.Hash, n.Hint, stringArray(n.Scopes), n.ExpiresAt, n.Pending, n.RatePerMinute,
		n.ClientID, stringArray(n.Networks))
	if err != nil {
		return 0, fmt.Errorf("insert token %q: %w", n.Name, err)
	}
	return id, nil
}

// TokenByID returns a token with its owner.
func (s *Store) TokenByID(ctx context.Context, id int64) (*Token, error) {
	var t Token
	err := s.q.GetContext(ctx, &t, `SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("token %d: %w", id, notFound(err))
	}
	return &t, nil
}

// RevokeToken revokes a token that is not revoked yet; ErrNotFound when
// there is none.
func (s *Store) RevokeToken(ctx context.Context, id int64, by *int64, reason string) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE tokens SET revoked_at = now(), revoked_by = $2, revoke_reason = $3, previous_hash = NULL, previous_until = NULL
		WHERE id = $1 AND revoked_at IS NULL`, id, by, reason)
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke token %d: %w", id, ErrNotFound)
	}
	return nil
}

// RevokeUserTokens revokes every open token of a user (removal from the
// partner) and returns their ids.
func (s *Store) RevokeUserTokens(ctx context.Context, userID int64, by *int64, reason string) ([]int64, error) {
	var ids []int64
	err := s.q.SelectContext(ctx, &ids, `
		UPDATE tokens SET revoked_at = now(), revoked_by = $2, revoke_reason = $3, previous_hash = NULL, previous_until = NULL
		WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`, userID, by, reason)
	if err != nil {
		return nil, fmt.Errorf("revoke tokens of user %d: %w", userID, err)
	}
	return ids, nil
}

// RegenerateToken gives a token a new secret and expiry. With graceUntil
// set the old secret keeps working until then; otherwise it stops at once.
func (s *Store) RegenerateToken(ctx context.Context, id int64, hash []byte, hint string, expiresAt time.Time, graceUntil *time.Time) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE tokens SET
			previous_hash = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE hash END,
			previous_until = $4, hash = $2, hint = $3, expires_at = $5, regenerated_at = now(),
			notified_7d = false, notified_1d = false
		WHERE id = $1 AND revoked_at IS NULL`, id, hash, hint, graceUntil, expiresAt)
	if err != nil {
		return fmt.Errorf("regenerate token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("regenerate token %d: %w", id, ErrNotFound)
	}
	return nil
}

// RenameToken changes a token's name.
func (s *Store) RenameToken(ctx context.Context, id int64, name string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE tokens SET name = $2 WHERE id = $1`, id, name)
	if err != nil {
		return fmt.Errorf("rename token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("rename token %d: %w", id, ErrNotFound)
	}
	return nil
}

// SetTokenRateLimit changes a token's own requests-per-minute limit; nil
// removes it. The token's cached verifications are dropped on every node
// (trigger tokens_limit_notify).
func (s *Store) SetTokenRateLimit(ctx context.Context, id int64, perMinute *int) error {
	res, err := s.q.ExecContext(ctx, `UPDATE tokens SET rate_limit_per_minute = $2 WHERE id = $1`, id, perMinute)
	if err != nil {
		return fmt.Errorf("set rate limit of token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set rate limit of token %d: %w", id, ErrNotFound)
	}
	return nil
}

// ApproveToken makes a pending token work.
func (s *Store) ApproveToken(ctx context.Context, id, by int64) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE tokens SET pending = false, approved_by = $2, approved_at = now()
		WHERE id = $1 AND pending AND revoked_at IS NULL`, id, by)
	if err != nil {
		return fmt.Errorf("approve token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("approve token %d: %w", id, ErrNotFound)
	}
	return nil
}

// PartnerAdmins returns the active partner admins of a partner, for
// notices such as a token waiting for approval.
func (s *Store) PartnerAdmins(ctx context.Context, partnerID int64) ([]User, error) {
	var us []User
	err := s.q.SelectContext(ctx, &us, `
		SELECT id, email, name, role, partner_id, status, last_sign_in_at, created_at, updated_at
		FROM users WHERE partner_id = $1 AND role = 'partner_admin' AND status = 'active' ORDER BY id`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("admins of partner %d: %w", partnerID, err)
	}
	return us, nil
}
