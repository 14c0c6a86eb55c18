package store

import (
	"context"
	"fmt"
	"time"
)

// PasswordReset is a one-time password reset link.
type PasswordReset struct {
	ID        int64      `db:"id"`
	UserID    int64      `db:"user_id"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
}

// CreatePasswordReset stores a reset link by the hash of its token.
func (s *Store) CreatePasswordReset(ctx context.Context, userID int64, tokenHash []byte, expiresAt time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, $2, $3)`, userID, tokenHash, expiresAt)
	if err != nil {
		return fmt.Errorf("create password reset for user %d: %w", userID, err)
	}
	return nil
}

// RecentPasswordResets counts the reset links made for a user since t.
func (s *Store) RecentPasswordResets(ctx context.Context, userID int64, since time.Time) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM password_resets WHERE user_id = $1 AND created_at > $2`, userID, since)
	if err != nil {
		return 0, fmt.Errorf("count password resets of user %d: %w", userID, err)
	}
	return n, nil
}

// PasswordResetByTokenHash finds a reset link, locking it so it is used once.
func (s *Store) PasswordResetByTokenHash(ctx context.Context, hash []byte) (*PasswordReset, error) {
	var r PasswordReset
	err := s.q.GetContext(ctx, &r, `
		SELECT id, user_id, created_at, expires_at, used_at FROM password_resets WHERE token_hash = $1 FOR UPDATE`, hash)
	if err != nil {
		return nil, fmt.Errorf("password reset by token: %w", notFound(err))
	}
	return &r, nil
}

// UsePasswordResets marks every open reset link of the user used: one
// successful reset (or password change) voids the others.
func (s *Store) UsePasswordResets(ctx context.Context, userID int64) error {
	_, err := s.q.ExecContext(ctx, `UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID)
	if err != nil {
		return fmt.Errorf("use password resets of user %d: %w", userID, err)
	}
	return nil
}
