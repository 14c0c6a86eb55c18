package store

import (
	"context"
	"fmt"
	"time"
)

// FailureCount is how often sign-in failed recently, and when last.
type FailureCount struct {
	Count int        `db:"count"`
	Last  *time.Time `db:"last"`
}

// SignInFailures counts failures since `since` for the email and for the IP.
func (s *Store) SignInFailures(ctx context.Context, email, ip string, since time.Time) (byEmail, byIP FailureCount, err error) {
	err = s.q.GetContext(ctx, &byEmail, `
		SELECT count(*) AS count, max(failed_at) AS last FROM sign_in_failures WHERE email = $1 AND failed_at > $2`,
		NormalizeEmail(email), since)
	if err != nil {
		return byEmail, byIP, fmt.Errorf("count sign-in failures: %w", err)
	}
	err = s.q.GetContext(ctx, &byIP, `
		SELECT count(*) AS count, max(failed_at) AS last FROM sign_in_failures WHERE ip = $1 AND failed_at > $2`, ip, since)
	if err != nil {
		return byEmail, byIP, fmt.Errorf("count sign-in failures: %w", err)
	}
	return byEmail, byIP, nil
}

// RecordSignInFailure notes a failed sign-in, and prunes day-old rows.
func (s *Store) RecordSignInFailure(ctx context.Context, email, ip string) error {
	_, err := s.q.ExecContext(ctx, `
		WITH pruned AS (DELETE FROM sign_in_failures WHERE failed_at < now() - interval '1 day')
		INSERT INTO sign_in_failures (email, ip) VALUES ($1, $2)`, NormalizeEmail(email), ip)
	if err != nil {
		return fmt.Errorf("record sign-in failure: %w", err)
	}
	return nil
}

// ClearSignInFailures forgets an account's failures after a good sign-in.
func (s *Store) ClearSignInFailures(ctx context.Context, email string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE email = $1`, NormalizeEmail(email)); err != nil {
		return fmt.Errorf("clear sign-in failures: %w", err)
	}
	return nil
}

// RecordSignIn stamps the user's last sign-in.
func (s *Store) RecordSignIn(ctx context.Context, userID int64) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE users SET last_sign_in_at = now() WHERE id = $1`, userID); err != nil {
		return fmt.Errorf("record sign-in of user %d: %w", userID, err)
	}
	return nil
}
