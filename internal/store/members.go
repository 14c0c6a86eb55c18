package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Member is a user of a partner as the members page lists them.
type Member struct {
	ID           int64          `db:"id"`
	Email        string         `db:"email"`
	Name         string         `db:"name"`
	Role         string         `db:"role"`
	Status       string         `db:"status"`
	LastSignInAt *time.Time     `db:"last_sign_in_at"`
	CreatedAt    time.Time      `db:"created_at"`
	Teams        pq.StringArray `db:"teams"`
	// SortName is lower(name) as the database computed it: the name part of
	// the member's Key.
	SortName string `db:"sort_name"`
}

// Key is the member's place in the members list.
func (m Member) Key() Key { return Key{Sort: m.SortName, ID: m.ID} }

// PartnerMembers lists the active members of a partner with their team
// names, in one query.
func (s *Store) PartnerMembers(ctx context.Context, partnerID int64) ([]Member, error) {
	var ms []Member
	err := s.q.SelectContext(ctx, &ms, `
		SELECT u.id, u.email, u.name, u.role, u.status, u.last_sign_in_at, u.created_at, lower(u.name) AS sort_name,
		       coalesce(array_agg(t.name ORDER BY lower(t.name)) FILTER (WHERE t.id IS NOT NULL), '{}') AS teams
		FROM users u
		LEFT JOIN team_memberships tm ON tm.user_id = u.id
		LEFT JOIN teams t ON t.id = tm.team_id
		WHERE u.partner_id = $1 AND u.status = 'active'
		GROUP BY u.id
		ORDER BY lower(u.name), u.id`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("members of partner %d: %w", partnerID, err)
	}
	return ms, nil
}

// PartnerMember returns an active member of the given partner: a user of
// another partner is ErrNotFound, so ids do not cross tenants.
func (s *Store) PartnerMember(ctx context.Context, partnerID, userID int64) (*User, error) {
	var u User
	err := s.q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users
		WHERE id = $1 AND partner_id = $2 AND status = 'active'`, userID, partnerID)
	if err != nil {
		return nil, fmt.Errorf("member %d of partner %d: %w", userID, partnerID, notFound(err))
	}
	return &u, nil
}

// CountPartnerAdmins counts the active admins of a partner, locking their
// rows so two concurrent demotions cannot both pass the last-admin check.
func (s *Store) CountPartnerAdmins(ctx context.Context, partnerID int64) (int, error) {
	var ids []int64
	err := s.q.SelectContext(ctx, &ids, `
		SELECT id FROM users WHERE partner_id = $1 AND role = 'partner_admin' AND status = 'active'
		FOR UPDATE`, partnerID)
	if err != nil {
		return 0, fmt.Errorf("count admins of partner %d: %w", partnerID, err)
	}
	return len(ids), nil
}

// SetUserRole changes a member's role.
func (s *Store) SetUserRole(ctx context.Context, userID int64, role string) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE users SET role = $2, updated_at = now() WHERE id = $1`, userID, role); err != nil {
		return fmt.Errorf("set role of user %d: %w", userID, err)
	}
	return nil
}

// RemoveUser marks a member removed: the row stays so the audit trail keeps
// their name, their email is freed, and their team memberships end.
func (s *Store) RemoveUser(ctx context.Context, userID int64) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE users SET status = 'removed', password_hash = NULL, updated_at = now() WHERE id = $1`, userID); err != nil {
		return fmt.Errorf("remove user %d: %w", userID, err)
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM team_memberships WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("remove user %d from teams: %w", userID, err)
	}
	return nil
}
