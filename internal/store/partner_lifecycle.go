package store

import (
	"context"
	"fmt"
	"github.com/lib/pq"
	"time"
)

// PartnerEnded is the status of a partnership that ended: final, its
// people and credentials gone, its audit trail and usage kept.
const PartnerEnded = "ended"

// PartnerLifecycle is where a partner stands in its life: when it ended and
// who ended it (EndedBy empty: the scheduled end), or the day a scheduled
// end takes effect.
type PartnerLifecycle struct {
	Status  string     `db:"status"`
	EndedAt *time.Time `db:"ended_at"`
	EndedBy string     `db:"ended_by"`
	EndOn   *time.Time `db:"end_on"`
}

// PartnerLifecycleOf returns the partner's status, end and scheduled end.
func (s *Store) PartnerLifecycleOf(ctx context.Context, partnerID int64) (*PartnerLifecycle, error) {
	var l PartnerLifecycle
	err := s.q.GetContext(ctx, &l, `
		SELECT p.status, p.ended_at, COALESCE(u.name, '') AS ended_by, p.end_on
		FROM partners p LEFT JOIN users u ON u.id = p.ended_by WHERE p.id = $1`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("lifecycle of partner %d: %w", partnerID, notFound(err))
	}
	return &l, nil
}

// EndCounts is what ending a partnership takes away, counted the way
// ending it does: the confirmation shows these and the audit event records
// them.
type EndCounts struct {
	// Credentials are the tokens and OAuth clients not revoked nor expired
	// (pending ones too; not the docs console's hidden 15-minute tokens,
	// which are revoked all the same); AccessTokens the OAuth access
	// tokens still live.
	Credentials  int `db:"credentials"`
	AccessTokens int `db:"access_tokens"`
	// People are the active members; Sessions their sessions.
	People   int `db:"people"`
	Sessions int `db:"sessions"`
	// Invitations are open (not accepted nor cancelled, expired or not:
	// an expired one could be sent again).
	Invitations int `db:"invitations"`
	Grants      int `db:"grants"`
	// SandboxWrites are the work orders written in the sandbox.
	SandboxWrites int `db:"sandbox_writes"`
	// Admins are the partner admins who are mailed.
	Admins int `db:"admins"`
}

// PartnerEndCounts counts what ending the partner would take away.
func (s *Store) PartnerEndCounts(ctx context.Context, partnerID int64) (EndCounts, error) {
	var c EndCounts
	err := s.q.GetContext(ctx, &c, `
		SELECT (SELECT count(*) FROM tokens t WHERE t.partner_id = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND NOT t.console) AS credentials,
		       (SELECT count(*) FROM oauth_access_tokens a JOIN tokens t ON t.id = a.client_token_id
		        WHERE t.partner_id = $1 AND a.revoked_at IS NULL AND a.expires_at > now()) AS access_tokens,
		       (SELECT count(*) FROM users u WHERE u.partner_id = $1 AND u.status = 'active') AS people,
		       (SELECT count(*) FROM sessions se JOIN users u ON u.id = se.user_id WHERE u.partner_id = $1) AS sessions,
		       (SELECT count(*) FROM invitations i WHERE i.partner_id = $1 AND i.accepted_at IS NULL AND i.cancelled_at IS NULL) AS invitations,
		       (SELECT count(*) FROM grants g WHERE g.partner_id = $1 AND g.revoked_at IS NULL) AS grants,
		       (SELECT count(*) FROM sandbox_work_orders w WHERE w.partner_id = $1) AS sandbox_writes,
		       (SELECT count(*) FROM users u WHERE u.partner_id = $1 AND u.status = 'active' AND u.role = 'partner_admin') AS admins`, partnerID)
	if err != nil {
		return c, fmt.Errorf("end counts of partner %d: %w", partnerID, err)
	}
	return c, nil
}

// RevokedCredential is a credential revoked when its partnership ended,
// named for the audit trail.
type RevokedCredential struct {
	ID     int64  `db:"id"`
	Name   string `db:"name"`
	Hint   string `db:"hint"`
	Client bool   `db:"client"`
	// Console is a docs console's hidden token: revoked, not listed.
	Console    bool   `db:"console"`
	OwnerEmail string `db:"owner_email"`
}

// RevokePartnerCredentials revokes every credential of the partner that is
// neither revoked nor expired, and every live OAuth access token issued to
// its clients; the triggers of migrations 00008 and 00029 make every node's
// credential cache forget them at commit. It returns the credentials and
// how many access tokens.
func (s *Store) RevokePartnerCredentials(ctx context.Context, partnerID int64, by *int64, reason string) ([]RevokedCredential, int, error) {
	var rs []RevokedCredential
	err := s.q.SelectContext(ctx, &rs, `
		WITH r AS (
			UPDATE tokens SET revoked_at = now(), revoked_by = $2, revoke_reason = $3, previous_hash = NULL, previous_until = NULL
			WHERE partner_id = $1 AND revoked_at IS NULL AND expires_at > now()
			RETURNING id, name, hint, client_id IS NOT NULL AS client, console, user_id)
		SELECT r.id, r.name, r.hint, r.client, r.console, u.email AS owner_email FROM r JOIN users u ON u.id = r.user_id ORDER BY r.id`,
		partnerID, by, reason)
	if err != nil {
		return nil, 0, fmt.Errorf("revoke credentials of partner %d: %w", partnerID, err)
	}
	res, err := s.q.ExecContext(ctx, `
		UPDATE oauth_access_tokens SET revoked_at = now()
		WHERE client_token_id IN (SELECT id FROM tokens WHERE partner_id = $1 AND client_id IS NOT NULL)
		  AND revoked_at IS NULL AND expires_at > now()`, partnerID)
	if err != nil {
		return nil, 0, fmt.Errorf("revoke access tokens of partner %d: %w", partnerID, err)
	}
	n, _ := res.RowsAffected()
	return rs, int(n), nil
}

// CloseMembers ends the partner's people as removing each would: every
// session ends, every open password reset link is voided, each active
// member is marked removed (no password, the address free for an
// invitation elsewhere, the row kept for the audit trail) and their team
// memberships end. It returns how many people and sessions.
func (s *Store) CloseMembers(ctx context.Context, partnerID int64) (people, sessions int, err error) {
	ns, err := s.DeletePartnerSessions(ctx, partnerID)
	if err != nil {
		return 0, 0, err
	}
	if _, err := s.q.ExecContext(ctx, `
		UPDATE password_resets SET used_at = now()
		WHERE used_at IS NULL AND user_id IN (SELECT id FROM users WHERE partner_id = $1)`, partnerID); err != nil {
		return 0, 0, fmt.Errorf("void password resets of partner %d: %w", partnerID, err)
	}
	res, err := s.q.ExecContext(ctx, `
		UPDATE users SET status = 'removed', password_hash = NULL, updated_at = now()
		WHERE partner_id = $1 AND status = 'active'`, partnerID)
	if err != nil {
		return 0, 0, fmt.Errorf("close members of partner %d: %w", partnerID, err)
	}
	np, _ := res.RowsAffected()
	if _, err := s.q.ExecContext(ctx, `
		DELETE FROM team_memberships WHERE user_id IN (SELECT id FROM users WHERE partner_id = $1)`, partnerID); err != nil {
		return 0, 0, fmt.Errorf("end team memberships of partner %d: %w", partnerID, err)
	}
	return int(np), int(ns), nil
}

// CancelledInvitation is an invitation cancelled when its partnership
// ended.
type CancelledInvitation struct {
	ID    int64  `db:"id"`
	Email string `db:"email"`
	Role  string `db:"role"`
}

// CancelPartnerInvitations cancels every open invitation of the partner,
// expired ones too, so no link of it can be sent again or accepted.
func (s *Store) CancelPartnerInvitations(ctx context.Context, partnerID int64) ([]CancelledInvitation, error) {
	var is []CancelledInvitation
	err := s.q.SelectContext(ctx, &is, `
		UPDATE invitations SET cancelled_at = now()
		WHERE partner_id = $1 AND accepted_at IS NULL AND cancelled_at IS NULL
		RETURNING id, email, role`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("cancel invitations of partner %d: %w", partnerID, err)
	}
	return is, nil
}

// EndedGrant is a grant ended with its partnership, named for the audit
// trail as a revoked grant is.
type EndedGrant struct {
	ID        int64   `db:"id"`
	GroupID   int64   `db:"access_group_id"`
	GroupName string  `db:"group_name"`
	TeamID    *int64  `db:"team_id"`
	TeamName  *string `db:"team_name"`
	UserID    *int64  `db:"user_id"`
	UserName  *string `db:"user_name"`
	UserEmail *string `db:"user_email"`
}

// EndPartnerGrants revokes every open grant of the partner.
func (s *Store) EndPartnerGrants(ctx context.Context, partnerID int64, by *int64) ([]EndedGrant, error) {
	var gs []EndedGrant
	err := s.q.SelectContext(ctx, &gs, `
		WITH r AS (
			UPDATE grants SET revoked_at = now(), revoked_by = $2
			WHERE partner_id = $1 AND revoked_at IS NULL
			RETURNING id, access_group_id, team_id, user_id)
		SELECT r.id, r.access_group_id, ag.name AS group_name, r.team_id, tm.name AS team_name,
		       r.user_id, u.name AS user_name, u.email AS user_email
		FROM r JOIN access_groups ag ON ag.id = r.access_group_id
		LEFT JOIN teams tm ON tm.id = r.team_id LEFT JOIN users u ON u.id = r.user_id
		ORDER BY r.id`, partnerID, by)
	if err != nil {
		return nil, fmt.Errorf("end grants of partner %d: %w", partnerID, err)
	}
	return gs, nil
}

// MarkPartnerEnded sets the partner's status to ended, with when and by
// whom (nil: the scheduled end), and drops its scheduled end. Its slug
// becomes "<slug>-ended-<id>": the name is free for the new partner that
// replaces an ended one (an ended partner is never reactivated).
func (s *Store) MarkPartnerEnded(ctx context.Context, partnerID int64, by *int64) (*Partner, error) {
	var p Partner
	err := s.q.GetContext(ctx, &p, `
		UPDATE partners SET status = 'ended', ended_at = now(), ended_by = $2, end_on = NULL, updated_at = now(),
		       slug = left(slug, 40) || '-ended-' || id
		WHERE id = $1
		RETURNING id, name, slug, status, created_at, updated_at`, partnerID, by)
	if err != nil {
		return nil, fmt.Errorf("end partner %d: %w", partnerID, notFound(err))
	}
	return &p, nil
}

// SetPartnerEndOn sets (nil: clears) the day the partner's scheduled end
// takes effect.
func (s *Store) SetPartnerEndOn(ctx context.Context, partnerID int64, day *time.Time) error {
	var d any
	if day != nil {
		d = day.Format(time.DateOnly)
	}
	if _, err := s.q.ExecContext(ctx, `UPDATE partners SET end_on = $2::date, updated_at = now() WHERE id = $1`, partnerID, d); err != nil {
		return fmt.Errorf("schedule end of partner %d: %w", partnerID, err)
	}
	return nil
}

// ScheduledEnd is a partner whose end is scheduled.
type ScheduledEnd struct {
	ID    int64     `db:"id"`
	Name  string    `db:"name"`
	EndOn time.Time `db:"end_on"`
}

// PartnersEndingBy lists the partners not yet ended whose scheduled end is
// on or before day, by date, at most limit.
func (s *Store) PartnersEndingBy(ctx context.Context, day time.Time, limit int) ([]ScheduledEnd, error) {
	var es []ScheduledEnd
	err := s.q.SelectContext(ctx, &es, `
		SELECT id, name, end_on FROM partners
		WHERE end_on IS NOT NULL AND status <> 'ended' AND end_on <= $1::date
		ORDER BY end_on, id LIMIT $2`, day.Format(time.DateOnly), limit)
	if err != nil {
		return nil, fmt.Errorf("partners ending by %s: %w", day.Format(time.DateOnly), err)
	}
	return es, nil
}

// PartnersToRemind lists the partners whose scheduled end is within the
// longest of days (after today) and whose reminder due now (the nearest of
// days the end is within) was not sent yet, soonest first: a batch never
// fills with partners reminded already.
func (s *Store) PartnersToRemind(ctx context.Context, today time.Time, days []int, limit int) ([]ScheduledEnd, error) {
	var es []ScheduledEnd
	err := s.q.SelectContext(ctx, &es, `
		SELECT p.id, p.name, p.end_on FROM partners p
		WHERE p.end_on IS NOT NULL AND p.status <> 'ended' AND p.end_on > $1::date
		  AND p.end_on <= $1::date + (SELECT max(d) FROM unnest($2::int[]) d)
		  AND NOT EXISTS (SELECT 1 FROM partner_end_reminders r
		                  WHERE r.partner_id = p.id AND r.end_on = p.end_on
		                    AND r.days_before = (SELECT min(d) FROM unnest($2::int[]) d WHERE d >= p.end_on - $1::date))
		ORDER BY p.end_on, p.id LIMIT $3`, today.Format(time.DateOnly), pq.Array(days), limit)
	if err != nil {
		return nil, fmt.Errorf("partners to remind on %s: %w", today.Format(time.DateOnly), err)
	}
	return es, nil
}

// RecordEndReminder notes that the reminder days before the partner's end
// on endOn is sent, and says whether it was new: false when it was sent
// already (so its mails are not queued again).
func (s *Store) RecordEndReminder(ctx context.Context, partnerID int64, endOn time.Time, days int) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO partner_end_reminders (partner_id, end_on, days_before) VALUES ($1, $2::date, $3)
		ON CONFLICT DO NOTHING`, partnerID, endOn.Format(time.DateOnly), days)
	if err != nil {
		return false, fmt.Errorf("end reminder of partner %d: %w", partnerID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
