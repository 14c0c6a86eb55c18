package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Attempt counters limit how often something may be tried: signing in to
// an account or from an address, confirming a password, mailing reset
// links, minting console tokens, sending invitations. Each limited action
// decides on a row it holds locked (LockAttemptCounter) or bumps in the
// deciding statement (CountAttempt), so concurrent requests are counted
// one after the other and none passes a check the others have not seen.

// Kinds of attempt counters; the key's meaning depends on the kind.
const (
	// CounterSignInAccount counts sign-in and password-confirmation
	// attempts per account, keyed by SignInAccountKey of the email typed
	// (existing or not).
	CounterSignInAccount = "sign_in_account"
	// CounterSignInIP counts sign-in attempts per client address.
	CounterSignInIP = "sign_in_ip"
	// CounterPasswordReset serialises reset mails per user id.
	CounterPasswordReset = "password_reset"
	// CounterConsoleToken serialises console tokens per user id.
	CounterConsoleToken = "console_token"
	// CounterInvitation counts invitations sent and resent per partner id.
	CounterInvitation = "invitation"
	// CounterResetRequestIP counts reset requests per client address,
	// whatever the email typed.
	CounterResetRequestIP = "reset_request_ip"
	// CounterEmailChange counts requests to change the sign-in email per
	// user id.
	CounterEmailChange = "email_change"
	// CounterLeakReportIP counts reports through the leaked-token form
	// per client address.
	CounterLeakReportIP = "leak_report_ip"
)

// AttemptCounter is the state of one counter.
type AttemptCounter struct {
	Kind        string    `db:"kind"`
	Key         string    `db:"key"`
	WindowStart time.Time `db:"window_start"`
	Count       int       `db:"count"`
	// BlockedUntil is when the next attempt is allowed; nil or past: now.
	BlockedUntil *time.Time `db:"blocked_until"`
}

// LockAttemptCounter returns the counter of (kind, key), created empty if
// missing, and holds its row locked until the transaction ends: the caller
// decides on it and writes it back with SaveAttemptCounter while others
// wait. Run it inside a transaction.
func (s *Store) LockAttemptCounter(ctx context.Context, kind, key string) (*AttemptCounter, error) {
	var c AttemptCounter
	// The no-op update takes the row lock in the same statement that
	// creates the row, so there is no gap between "exists" and "locked".
	err := s.q.GetContext(ctx, &c, `
		INSERT INTO attempt_counters AS c (kind, key) VALUES ($1, $2)
		ON CONFLICT (kind, key) DO UPDATE SET kind = c.kind
		RETURNING kind, key, window_start, count, blocked_until`, kind, key)
	if err != nil {
		return nil, fmt.Errorf("lock %s counter: %w", kind, err)
	}
	return &c, nil
}

// PeekAttemptCounter returns the counter of (kind, key) as it is, without
// locking it (ErrNotFound when there is none): a flood of attempts that
// are refused anyway is answered from reads instead of queueing on the
// row. Only a refusal may be decided on it; an allowed attempt is decided
// again under LockAttemptCounter.
func (s *Store) PeekAttemptCounter(ctx context.Context, kind, key string) (*AttemptCounter, error) {
	var c AttemptCounter
	err := s.q.GetContext(ctx, &c, `
		SELECT kind, key, window_start, count, blocked_until FROM attempt_counters WHERE kind = $1 AND key = $2`, kind, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("peek %s counter: %w", kind, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("peek %s counter: %w", kind, err)
	}
	return &c, nil
}

// SaveAttemptCounter writes back a counter locked by LockAttemptCounter;
// the row may be pruned after keepUntil.
func (s *Store) SaveAttemptCounter(ctx context.Context, c *AttemptCounter, keepUntil time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		UPDATE attempt_counters SET window_start = $3, count = $4, blocked_until = $5, expires_at = $6
		WHERE kind = $1 AND key = $2`, c.Kind, c.Key, c.WindowStart, c.Count, c.BlockedUntil, keepUntil)
	if err != nil {
		return fmt.Errorf("save %s counter: %w", c.Kind, err)
	}
	return nil
}

// CountAttempt counts one attempt of (kind, key) in a fixed window and
// returns the count in the current window, this attempt included, and
// when that window started; a window older than `window` starts afresh.
// Counting and reading are one statement, and the row stays locked until
// the transaction ends: an attempt refused by the caller (error, rolled
// back) is not counted.
func (s *Store) CountAttempt(ctx context.Context, kind, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	var r struct {
		Count       int       `db:"count"`
		WindowStart time.Time `db:"window_start"`
	}
	err := s.q.GetContext(ctx, &r, `
		WITH arg AS (SELECT $3::timestamptz AS now, $3::timestamptz - $4::bigint * interval '1 microsecond' AS since)
		INSERT INTO attempt_counters AS c (kind, key, window_start, count, expires_at)
		SELECT $1, $2, arg.now, 1, arg.now + $4::bigint * interval '1 microsecond' FROM arg
		ON CONFLICT (kind, key) DO UPDATE SET
			count        = CASE WHEN c.window_start > (SELECT since FROM arg) THEN c.count + 1 ELSE 1 END,
			window_start = CASE WHEN c.window_start > (SELECT since FROM arg) THEN c.window_start ELSE EXCLUDED.window_start END,
			expires_at   = greatest(c.expires_at, EXCLUDED.expires_at)
		RETURNING count, window_start`, kind, key, now, window.Microseconds())
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count %s attempt: %w", kind, err)
	}
	return r.Count, r.WindowStart, nil
}

// RefundAttempt takes back one attempt of (kind, key), when it turned out
// not to be one the limit is about (a right password).
func (s *Store) RefundAttempt(ctx context.Context, kind, key string) error {
	_, err := s.q.ExecContext(ctx, `
		UPDATE attempt_counters SET count = greatest(count - 1, 0) WHERE kind = $1 AND key = $2`, kind, key)
	if err != nil {
		return fmt.Errorf("refund %s attempt: %w", kind, err)
	}
	return nil
}

// ClearAttemptCounter forgets the attempts of (kind, key).
func (s *Store) ClearAttemptCounter(ctx context.Context, kind, key string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM attempt_counters WHERE kind = $1 AND key = $2`, kind, key); err != nil {
		return fmt.Errorf("clear %s counter: %w", kind, err)
	}
	return nil
}

// SignInAccountKey is the counter key of the email typed at sign-in: a
// digest of its normalised form, so that any length fits the key's index
// and what was typed (sometimes a password) is not kept.
func SignInAccountKey(email string) string {
	sum := sha256.Sum256([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(sum[:])
}

// ClearSignInFailures forgets an account's failed sign-ins, after a good
// sign-in or a new password.
func (s *Store) ClearSignInFailures(ctx context.Context, email string) error {
	return s.ClearAttemptCounter(ctx, CounterSignInAccount, SignInAccountKey(email))
}

// PruneAttemptCounters deletes up to a few hundred counters that expired.
// Rows another request holds are skipped rather than waited for.
func (s *Store) PruneAttemptCounters(ctx context.Context) error {
	_, err := s.q.ExecContext(ctx, `
		DELETE FROM attempt_counters WHERE (kind, key) IN (
			SELECT kind, key FROM attempt_counters WHERE expires_at < now() LIMIT 500 FOR UPDATE SKIP LOCKED)`)
	if err != nil {
		return fmt.Errorf("prune attempt counters: %w", err)
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
