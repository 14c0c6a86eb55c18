package store

import (
	"context"
	"fmt"
	"time"
)

// LeakedToken is a token or OAuth client row found by the hash of a
// reported secret; Previous says the secret was the one a rotation
// replaced, not the current one.
type LeakedToken struct {
	Token
	Previous bool `db:"previous"`
}

// TokenByAnyHash finds the token or OAuth client whose current or previous
// secret has this hash, revoked and expired ones included: a report of an
// old secret is still a true one.
func (s *Store) TokenByAnyHash(ctx context.Context, hash []byte) (*LeakedToken, error) {
	var t LeakedToken
	err := s.q.GetContext(ctx, &t, `
		SELECT `+tokenColumns+`, t.hash <> $1 AS previous
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = $1 OR t.previous_hash = $1`, hash)
	if err != nil {
		return nil, fmt.Errorf("token by reported hash: %w", notFound(err))
	}
	return &t, nil
}

// EndGrace ends a rotation's grace period at once: the previous secret
// stops working, the current one is untouched. It reports whether the
// previous secret was still working.
func (s *Store) EndGrace(ctx context.Context, id int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE tokens SET previous_until = now() WHERE id = $1 AND previous_until > now()`, id)
	if err != nil {
		return false, fmt.Errorf("end grace of token %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ReportedAccessToken is an OAuth access token found by its hash.
type ReportedAccessToken struct {
	ID            int64      `db:"id"`
	ClientTokenID int64      `db:"client_token_id"`
	ExpiresAt     time.Time  `db:"expires_at"`
	RevokedAt     *time.Time `db:"revoked_at"`
}

// AccessTokenByHash finds an OAuth access token by its hash, revoked or
// expired (until retention deletes it).
func (s *Store) AccessTokenByHash(ctx context.Context, hash []byte) (*ReportedAccessToken, error) {
	var a ReportedAccessToken
	err := s.q.GetContext(ctx, &a, `
		SELECT id, client_token_id, expires_at, revoked_at FROM oauth_access_tokens WHERE hash = $1`, hash)
	if err != nil {
		return nil, fmt.Errorf("access token by reported hash: %w", notFound(err))
	}
	return &a, nil
}

// PlatformAdmins lists the active platform admins, who are told about
// what concerns the whole portal (a leaked resource server secret).
func (s *Store) PlatformAdmins(ctx context.Context) ([]User, error) {
	var us []User
	err := s.q.SelectContext(ctx, &us, `
		SELECT id, email, name, role, partner_id, status, last_sign_in_at, created_at, updated_at
		FROM users WHERE role = 'admin' AND partner_id IS NULL AND status = 'active' ORDER BY id LIMIT 100`)
	if err != nil {
		return nil, fmt.Errorf("platform admins: %w", err)
	}
	return us, nil
}
