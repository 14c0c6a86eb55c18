package store

import (
	"context"
	"fmt"
	"time"
)

// PartnerManager is an account manager assigned to a partner.
type PartnerManager struct {
	UserID     int64     `db:"user_id"`
	Name       string    `db:"name"`
	Email      string    `db:"email"`
	AssignedAt time.Time `db:"assigned_at"`
}

// PartnerManagers lists the active account managers of a partner, by name.
func (s *Store) PartnerManagers(ctx context.Context, partnerID int64) ([]PartnerManager, error) {
	var ms []PartnerManager
	err := s.q.SelectContext(ctx, &ms, `
		SELECT u.id AS user_id, u.name, u.email, pm.assigned_at
		FROM partner_managers pm JOIN users u ON u.id = pm.user_id
		WHERE pm.partner_id = $1 AND u.status = 'active'
		ORDER BY lower(u.name), u.id`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("account managers of partner %d: %w", partnerID, err)
	}
	return ms, nil
}

// AccountManagers lists the provider's active account managers, by name:
// whom a partner can be assigned to. A provider has a handful; the list is
// bounded all the same.
func (s *Store) AccountManagers(ctx context.Context) ([]User, error) {
	var us []User
	err := s.q.SelectContext(ctx, &us, `
		SELECT `+userColumns+` FROM users
		WHERE role = 'account_manager' AND status = 'active'
		ORDER BY lower(name), id LIMIT 1000`)
	if err != nil {
		return nil, fmt.Errorf("account managers: %w", err)
	}
	return us, nil
}

// AssignManager makes userID an account manager of the partner; false when
// they were one already. ErrNotFound when userID is not an active account
// manager.
func (s *Store) AssignManager(ctx context.Context, partnerID, userID, by int64) (bool, error) {
	var ok bool
	err := s.q.GetContext(ctx, &ok, `
		SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'account_manager' AND status = 'active')`, userID)
	if err != nil {
		return false, fmt.Errorf("assign manager %d to partner %d: %w", userID, partnerID, err)
	}
	if !ok {
		return false, fmt.Errorf("assign manager %d to partner %d: %w", userID, partnerID, ErrNotFound)
	}
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO partner_managers (partner_id, user_id, assigned_by) VALUES ($1, $2, NULLIF($3, 0))
		ON CONFLICT DO NOTHING`, partnerID, userID, by)
	if err != nil {
		return false, fmt.Errorf("assign manager %d to partner %d: %w", userID, partnerID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UnassignManager removes userID from the partner's account managers;
// false when they were not one.
func (s *Store) UnassignManager(ctx context.Context, partnerID, userID int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM partner_managers WHERE partner_id = $1 AND user_id = $2`, partnerID, userID)
	if err != nil {
		return false, fmt.Errorf("unassign manager %d from partner %d: %w", userID, partnerID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UnmanagedPartners counts the partners, active or suspended, that have no
// active account manager: the directory asks platform admins to assign one.
func (s *Store) UnmanagedPartners(ctx context.Context) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `
		SELECT count(*) FROM partners p
		WHERE p.status IN ('active', 'suspended')
		  AND NOT EXISTS (SELECT 1 FROM partner_managers pm JOIN users u ON u.id = pm.user_id
		                  WHERE pm.partner_id = p.id AND u.status = 'active')`)
	if err != nil {
		return 0, fmt.Errorf("count unmanaged partners: %w", err)
	}
	return n, nil
}
