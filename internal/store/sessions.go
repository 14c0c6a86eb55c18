package store

import (
	"context"
	"fmt"
	"time"
)

// SessionRow is a server-side session. ID is a keyed hash of the cookie
// value, so the table never holds a usable cookie.
type SessionRow struct {
	ID         []byte    `db:"id"`
	UserID     *int64    `db:"user_id"`
	Data       []byte    `db:"data"`
	CreatedAt  time.Time `db:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at"`
	ExpiresAt  time.Time `db:"expires_at"`
}

// SessionByID returns the unexpired session with the given id.
func (s *Store) SessionByID(ctx context.Context, id []byte) (*SessionRow, error) {
	var r SessionRow
	err := s.q.GetContext(ctx, &r, `
		SELECT id, user_id, data, created_at, last_seen_at, expires_at
		FROM sessions WHERE id = $1 AND expires_at > now()`, id)
	if err != nil {
		return nil, fmt.Errorf("session: %w", notFound(err))
	}
	return &r, nil
}

// CreateSession inserts a new session.
func (s *Store) CreateSession(ctx context.Context, r *SessionRow) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4)`, r.ID, r.UserID, r.Data, r.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// UpdateSession writes an existing session's data. It never recreates a
// session that was ended meanwhile (sign-out elsewhere, removal): it
// reports false instead.
func (s *Store) UpdateSession(ctx context.Context, r *SessionRow) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE sessions SET user_id = $2, data = $3, expires_at = $4, last_seen_at = now()
		WHERE id = $1`, r.ID, r.UserID, r.Data, r.ExpiresAt)
	if err != nil {
		return false, fmt.Errorf("update session: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// TouchSession records activity on a session and moves its idle expiry,
// never beyond its absolute expiry.
func (s *Store) TouchSession(ctx context.Context, id []byte, expiresAt time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE sessions SET last_seen_at = now(), expires_at = $2 WHERE id = $1`, id, expiresAt)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, id []byte) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user, on every node at once:
// sign-out everywhere, password change, removal from a partner.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= now()`)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
