package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ErrInvitationOpen is returned when the email already has an open
// invitation to the partner.
var ErrInvitationOpen = errors.New("an invitation to this email is already open")

// Invitation is an invitation to join a partner.
type Invitation struct {
	ID             int64      `db:"id"`
	PartnerID      int64      `db:"partner_id"`
	Email          string     `db:"email"`
	Role           string     `db:"role"`
	InvitedBy      *int64     `db:"invited_by"`
	InvitedByName  *string    `db:"invited_by_name"`
	CreatedAt      time.Time  `db:"created_at"`
	SentAt         time.Time  `db:"sent_at"`
	ExpiresAt      time.Time  `db:"expires_at"`
	AcceptedAt     *time.Time `db:"accepted_at"`
	CancelledAt    *time.Time `db:"cancelled_at"`
	AcceptedUserID *int64     `db:"accepted_user_id"`
}

// Expired reports whether the invitation's link has run out at now.
func (i *Invitation) Expired(now time.Time) bool { return !now.Before(i.ExpiresAt) }

const invitationColumns = `i.id, i.partner_id, i.email, i.role, i.invited_by, u.name AS invited_by_name,
	i.created_at, i.sent_at, i.expires_at, i.accepted_at, i.cancelled_at, i.accepted_user_id`

// CreateInvitation stores an open invitation with the hash of its token.
func (s *Store) CreateInvitation(ctx context.Context, partnerID int64, email, role string, tokenHash []byte, invitedBy *int64, expiresAt time.Time) (*Invitation, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `
		INSERT INTO invitations (partner_id, email, role, token_hash, invited_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, partnerID, NormalizeEmail(email), role, tokenHash, invitedBy, expiresAt)
	if err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" {
			return nil, ErrInvitationOpen
		}
		return nil, fmt.Errorf("create invitation for partner %d: %w", partnerID, err)
	}
	return s.PartnerInvitation(ctx, partnerID, id)
}

// PartnerInvitation returns an invitation of the given partner.
func (s *Store) PartnerInvitation(ctx context.Context, partnerID, id int64) (*Invitation, error) {
	var inv Invitation
	err := s.q.GetContext(ctx, &inv, `SELECT `+invitationColumns+`
		FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
		WHERE i.id = $1 AND i.partner_id = $2`, id, partnerID)
	if err != nil {
		return nil, fmt.Errorf("invitation %d: %w", id, notFound(err))
	}
	return &inv, nil
}

// InvitationByTokenHash finds the invitation a link points to, whatever its
// state, locking it so two acceptances cannot race.
func (s *Store) InvitationByTokenHash(ctx context.Context, hash []byte) (*Invitation, error) {
	var inv Invitation
	err := s.q.GetContext(ctx, &inv, `SELECT `+invitationColumns+`
		FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
		WHERE i.token_hash = $1 FOR UPDATE OF i`, hash)
	if err != nil {
		return nil, fmt.Errorf("invitation by token: %w", notFound(err))
	}
	return &inv, nil
}

// OpenInvitations lists a partner's invitations that were neither accepted
// nor cancelled (expired ones included, so they can be resent).
func (s *Store) OpenInvitations(ctx context.Context, partnerID int64) ([]Invitation, error) {
	var invs []Invitation
	err := s.q.SelectContext(ctx, &invs, `SELECT `+invitationColumns+`
		FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
		WHERE i.partner_id = $1 AND i.accepted_at IS NULL AND i.cancelled_at IS NULL
		ORDER BY i.created_at DESC, i.id DESC`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("open invitations of partner %d: %w", partnerID, err)
	}
	return invs, nil
}

// RenewInvitation gives an open invitation a new token and expiry (resend).
func (s *Store) RenewInvitation(ctx context.Context, id int64, tokenHash []byte, expiresAt time.Time) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE invitations SET token_hash = $2, expires_at = $3, sent_at = now()
		WHERE id = $1 AND accepted_at IS NULL AND cancelled_at IS NULL`, id, tokenHash, expiresAt)
	if err != nil {
		return fmt.Errorf("renew invitation %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("renew invitation %d: %w", id, ErrNotFound)
	}
	return nil
}

// CancelInvitation cancels an open invitation; its link stops working.
func (s *Store) CancelInvitation(ctx context.Context, id int64) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE invitations SET cancelled_at = now()
		WHERE id = $1 AND accepted_at IS NULL AND cancelled_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("cancel invitation %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("cancel invitation %d: %w", id, ErrNotFound)
	}
	return nil
}

// MarkInvitationAccepted records who accepted an invitation.
func (s *Store) MarkInvitationAccepted(ctx context.Context, id, userID int64) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE invitations SET accepted_at = now(), accepted_user_id = $2 WHERE id = $1`, id, userID); err != nil {
		return fmt.Errorf("accept invitation %d: %w", id, err)
	}
	return nil
}
