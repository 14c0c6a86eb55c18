package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"
)

// Outbox mail statuses.
const (
	MailPending = "pending"
	MailSending = "sending"
	MailSent    = "sent"
	MailFailed  = "failed"
)

// NewMail is a mail to queue in the outbox.
type NewMail struct {
	ToEmail  string
	ToName   string
	Subject  string
	TextBody string
	HTMLBody string
}

// OutboxMail is a row of the outbox. Its bodies may hold secrets (invitation
// links): they are shown to platform admins only and never logged.
type OutboxMail struct {
	ID            int64      `db:"id"`
	ToEmail       string     `db:"to_email"`
	ToName        string     `db:"to_name"`
	Subject       string     `db:"subject"`
	TextBody      string     `db:"text_body"`
	HTMLBody      string     `db:"html_body"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	CreatedAt     time.Time  `db:"created_at"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	ClaimedUntil  *time.Time `db:"claimed_until"`
	SentAt        *time.Time `db:"sent_at"`
	LastError     *string    `db:"last_error"`
}

const outboxColumns = `id, to_email, to_name, subject, text_body, html_body, status, attempts,
	created_at, next_attempt_at, claimed_until, sent_at, last_error`

// EnqueueMail queues a mail. Called on the Store of an InTx callback, the
// mail is queued exactly when that transaction commits.
func (s *Store) EnqueueMail(ctx context.Context, m NewMail) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `
		INSERT INTO outbox (to_email, to_name, subject, text_body, html_body)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, m.ToEmail, m.ToName, m.Subject, m.TextBody, m.HTMLBody)
	if err != nil {
		return 0, fmt.Errorf("enqueue mail to %s: %w", m.ToEmail, err)
	}
	return id, nil
}

// ClaimMails claims up to limit due mails for delivery, oldest due first:
// pending mails whose next attempt is due, and mails left 'sending' by a
// sender whose lease ran out. Each claimed mail is 'sending' until now +
// lease, and its attempts count includes this attempt. Rows another sender
// is claiming at the same moment are skipped, never waited for, so
// concurrent senders never claim the same mail.
func (s *Store) ClaimMails(ctx context.Context, limit int, lease time.Duration) ([]OutboxMail, error) {
	if limit <= 0 || lease <= 0 {
		return nil, errors.New("claim mails: limit and lease must be positive")
	}
	var ms []OutboxMail
	err := s.q.SelectContext(ctx, &ms, `
		WITH due AS (
			SELECT id FROM outbox
			WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
			ORDER BY next_attempt_at, id
			LIMIT $1
			FOR UPDATE SKIP LOCKED
		)
		UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1,
			claimed_until = now() + make_interval(secs => $2),
			next_attempt_at = now() + make_interval(secs => $2)
		FROM due WHERE o.id = due.id
		RETURNING o.id, o.to_email, o.to_name, o.subject, o.text_body, o.html_body, o.status,
			o.attempts, o.created_at, o.next_attempt_at, o.claimed_until, o.sent_at, o.last_error`, limit, lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("claim mails: %w", err)
	}
	slices.SortFunc(ms, func(a, b OutboxMail) int { return cmp.Compare(a.ID, b.ID) })
	return ms, nil
}

// RenewMailClaim extends the lease of a mail this sender claimed (the claim
// that brought attempts to attempt) just before sending it. False means the
// claim was lost (the lease ran out and another sender took the mail): the
// caller must not send it.
func (s *Store) RenewMailClaim(ctx context.Context, id int64, attempt int, lease time.Duration) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE outbox SET claimed_until = now() + make_interval(secs => $3),
			next_attempt_at = now() + make_interval(secs => $3)
		WHERE id = $1 AND attempts = $2 AND status = 'sending'`, id, attempt, lease.Seconds())
	if err != nil {
		return false, fmt.Errorf("renew claim of mail %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("renew claim of mail %d: %w", id, err)
	}
	return n == 1, nil
}

// MailBodies are the bodies of a mail, as stored in place of the
// original: with the secrets of its links redacted once it was delivered.
type MailBodies struct {
	Text, HTML string
}

// MarkMailSent records that the mail was handed over for delivery. When
// redacted is not nil, it replaces the stored bodies in the same update,
// so the secret links of a delivered mail do not stay readable here.
func (s *Store) MarkMailSent(ctx context.Context, id int64, redacted *MailBodies) error {
	text, html := bodyArgs(redacted)
	res, err := s.q.ExecContext(ctx, `
		UPDATE outbox SET status = 'sent', sent_at = coalesce(sent_at, now()),
			claimed_until = NULL, last_error = NULL,
			text_body = coalesce($2, text_body), html_body = coalesce($3, html_body)
		WHERE id = $1`, id, text, html)
	return affectedOne(res, err, fmt.Sprintf("mark mail %d sent", id))
}

// MarkMailFailed records a failed attempt of a claimed mail: it is retried
// at retryAt, or never again when permanent. A mail given up may have its
// bodies replaced by redacted in the same update, like a sent one.
func (s *Store) MarkMailFailed(ctx context.Context, id int64, errText string, retryAt time.Time, permanent bool, redacted *MailBodies) error {
	text, html := bodyArgs(redacted)
	res, err := s.q.ExecContext(ctx, `
		UPDATE outbox SET status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END,
			last_error = $2, next_attempt_at = $3, claimed_until = NULL,
			text_body = coalesce($5, text_body), html_body = coalesce($6, html_body)
		WHERE id = $1 AND status = 'sending'`, id, errText, retryAt, permanent, text, html)
	return affectedOne(res, err, fmt.Sprintf("mark mail %d failed", id))
}

// bodyArgs are the query arguments of optional new bodies: NULL keeps.
func bodyArgs(b *MailBodies) (text, html *string) {
	if b == nil {
		return nil, nil
	}
	return &b.Text, &b.HTML
}

// ReleaseMails gives claimed mails that were not attempted back to the
// queue at once, as if never claimed (a sender shutting down mid-batch).
func (s *Store) ReleaseMails(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.q.ExecContext(ctx, `
		UPDATE outbox SET status = 'pending', attempts = greatest(attempts - 1, 0),
			claimed_until = NULL, next_attempt_at = now()
		WHERE id = ANY($1) AND status = 'sending'`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("release mails %v: %w", ids, err)
	}
	return nil
}

// Mail returns one mail of the outbox.
func (s *Store) Mail(ctx context.Context, id int64) (*OutboxMail, error) {
	var m OutboxMail
	if err := s.q.GetContext(ctx, &m, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("mail %d: %w", id, notFound(err))
	}
	return &m, nil
}

// ListMails lists a page of the outbox, newest first, and counts all mails.
func (s *Store) ListMails(ctx context.Context, limit, offset int) ([]OutboxMail, int, error) {
	var total int
	if err := s.q.GetContext(ctx, &total, `SELECT count(*) FROM outbox`); err != nil {
		return nil, 0, fmt.Errorf("count mails: %w", err)
	}
	var ms []OutboxMail
	err := s.q.SelectContext(ctx, &ms, `SELECT `+outboxColumns+` FROM outbox
		ORDER BY id DESC LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list mails: %w", err)
	}
	return ms, total, nil
}

// affectedOne turns an update of no row into ErrNotFound.
func affectedOne(res sql.Result, err error, op string) error {
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
