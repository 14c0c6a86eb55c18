package store

import (
	"context"
	"fmt"
	"time"
)

// EmailChange is a pending change of a user's sign-in email, applied when
// the link mailed to the new address is opened.
type EmailChange struct {
	ID          int64      `db:"id"`
	UserID      int64      `db:"user_id"`
	NewEmail    string     `db:"new_email"`
	CreatedAt   time.Time  `db:"created_at"`
	ExpiresAt   time.Time  `db:"expires_at"`
	ConfirmedAt *time.Time `db:"confirmed_at"`
	CancelledAt *time.Time `db:"cancelled_at"`
}

// Open reports whether the change was neither confirmed nor cancelled and
// has not expired at now.
func (e *EmailChange) Open(now time.Time) bool {
	return e.ConfirmedAt == nil && e.CancelledAt == nil && now.Before(e.ExpiresAt)
}

const emailChangeColumns = `id, user_id, new_email, created_at, expires_at, confirmed_at, cancelled_at`

// CreateEmailChange stores a pending change by the hash of its link's
// token, after cancelling the user's open one: a user has at most one.
func (s *Store) CreateEmailChange(ctx context.Context, userID int64, newEmail string, tokenHash []byte, expiresAt time.Time) (*EmailChange, error) {
	if _, err := s.CancelEmailChanges(ctx, userID); err != nil {
		return nil, err
	}
	var e EmailChange
	err := s.q.GetContext(ctx, &e, `
		INSERT INTO email_changes (user_id, new_email, token_hash, expires_at) VALUES ($1, $2, $3, $4)
		RETURNING `+emailChangeColumns, userID, NormalizeEmail(newEmail), tokenHash, expiresAt)
	if err != nil {
		return nil, fmt.Errorf("create email change for user %d: %w", userID, err)
	}
	return &e, nil
}

// OpenEmailChange returns the user's change that is neither confirmed nor
// cancelled (it may have expired), or ErrNotFound.
func (s *Store) OpenEmailChange(ctx context.Context, userID int64) (*EmailChange, error) {
	var e EmailChange
	err := s.q.GetContext(ctx, &e, `
		SELECT `+emailChangeColumns+` FROM email_changes
		WHERE user_id = $1 AND confirmed_at IS NULL AND cancelled_at IS NULL`, userID)
	if err != nil {
		return nil, fmt.Errorf("open email change of user %d: %w", userID, notFound(err))
	}
	return &e, nil
}

// EmailChangeByTokenHash finds a change by its link, locking it so it is
// confirmed once.
func (s *Store) EmailChangeByTokenHash(ctx context.Context, hash []byte) (*EmailChange, error) {
	var e EmailChange
	err := s.q.GetContext(ctx, &e, `
		SELECT `+emailChangeColumns+` FROM email_changes WHERE token_hash = $1 FOR UPDATE`, hash)
	if err != nil {
		return nil, fmt.Errorf("email change by token: %w", notFound(err))
	}
	return &e, nil
}

// ConfirmEmailChange marks a change confirmed.
func (s *Store) ConfirmEmailChange(ctx context.Context, id int64) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE email_changes SET confirmed_at = now() WHERE id = $1`, id); err != nil {
		return fmt.Errorf("confirm email change %d: %w", id, err)
	}
	return nil
}

// CancelEmailChanges cancels the user's open change, if any, and says how
// many it cancelled.
func (s *Store) CancelEmailChanges(ctx context.Context, userID int64) (int64, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE email_changes SET cancelled_at = now()
		WHERE user_id = $1 AND confirmed_at IS NULL AND cancelled_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("cancel email changes of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
