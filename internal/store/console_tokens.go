package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Console tokens are the short-lived sandbox tokens the documentation's
// "Try it" console mints for the signed-in developer: token rows with
// console set, left out of every token list and of the expiry notices.

// LockConsoleTokens serialises the console tokens minted for one user
// until the transaction ends, so the hourly cap holds under concurrent
// page loads. It locks the user's attempt-counter row (a plain row lock,
// not an advisory lock: PostgreSQL-compatible distributed engines lack
// those). Run it inside a transaction.
func (s *Store) LockConsoleTokens(ctx context.Context, userID int64) error {
	if _, err := s.LockAttemptCounter(ctx, CounterConsoleToken, strconv.FormatInt(userID, 10)); err != nil {
		return fmt.Errorf("lock console tokens of user %d: %w", userID, err)
	}
	return nil
}

// ConsoleTokensSince returns how many console tokens the user was given
// since then, and when the oldest of them was created (zero when none).
func (s *Store) ConsoleTokensSince(ctx context.Context, userID int64, since time.Time) (int, time.Time, error) {
	var r struct {
		N      int        `db:"n"`
		Oldest *time.Time `db:"oldest"`
	}
	err := s.q.GetContext(ctx, &r, `
		SELECT count(*) AS n, min(created_at) AS oldest FROM tokens
		WHERE user_id = $1 AND console AND created_at > $2`, userID, since)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count console tokens of user %d: %w", userID, err)
	}
	var oldest time.Time
	if r.Oldest != nil {
		oldest = *r.Oldest
	}
	return r.N, oldest, nil
}

// RevokeConsoleTokens revokes the user's open console tokens of one name
// (one API's console) and returns how many.
func (s *Store) RevokeConsoleTokens(ctx context.Context, userID int64, name, reason string) (int, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE tokens SET revoked_at = now(), revoked_by = $1, revoke_reason = $3
		WHERE user_id = $1 AND console AND name = $2 AND revoked_at IS NULL AND expires_at > now()`, userID, name, reason)
	if err != nil {
		return 0, fmt.Errorf("revoke console tokens of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteConsoleTokensBefore deletes the user's console tokens that ended
// (expired or revoked) before then: they authenticate nothing, and the
// audit trail keeps their minting.
func (s *Store) DeleteConsoleTokensBefore(ctx context.Context, userID int64, before time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		DELETE FROM tokens WHERE user_id = $1 AND console AND (expires_at < $2 OR revoked_at < $2)`, userID, before)
	if err != nil {
		return fmt.Errorf("delete old console tokens of user %d: %w", userID, err)
	}
	return nil
}

// InsertConsoleToken stores a console token and returns its id. Its
// expiry notices count as sent: a token of minutes is never mailed about.
func (s *Store) InsertConsoleToken(ctx context.Context, n NewToken) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, console, notified_7d, notified_1d)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, true, true) RETURNING id`,
		n.UserID, n.PartnerID, n.Name, n.Environment, n.Hash, n.Hint, stringArray(n.Scopes), n.ExpiresAt)
	if err != nil {
		return 0, fmt.Errorf("insert console token %q: %w", n.Name, err)
	}
	return id, nil
}
