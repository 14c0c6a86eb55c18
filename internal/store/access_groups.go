package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// ErrSlugTaken is returned when a slug or name is already used.
var ErrSlugTaken = errors.New("already taken")

// ErrAlreadyGranted is returned when the grantee already holds the group.
var ErrAlreadyGranted = errors.New("already granted")

// uniqueAs maps a unique violation to target.
func uniqueAs(err, target error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return target
	}
	return err
}

func stringArray(xs []string) pq.StringArray {
	if xs == nil {
		return pq.StringArray{}
	}
	return pq.StringArray(xs)
}

// AccessGroup bundles APIs and scopes with limits.
type AccessGroup struct {
	ID                 int64  `db:"id"`
	Name               string `db:"name"`
	Description        string `db:"description"`
	RateLimitPerMinute int    `db:"rate_limit_per_minute"`
	MonthlyQuota       *int64 `db:"monthly_quota"`
}

// CreateAccessGroup inserts an access group.
func (s *Store) CreateAccessGroup(ctx context.Context, name, description string, perMinute int, quota *int64) (*AccessGroup, error) {
	var g AccessGroup
	err := s.q.GetContext(ctx, &g, `
		INSERT INTO access_groups (name, description, rate_limit_per_minute, monthly_quota) VALUES ($1, $2, $3, $4)
		RETURNING id, name, description, rate_limit_per_minute, monthly_quota`, name, description, perMinute, quota)
	if err != nil {
		return nil, fmt.Errorf("create access group %q: %w", name, uniqueAs(err, ErrSlugTaken))
	}
	return &g, nil
}

// SetGroupAPI includes an API in a group with the given scopes (replacing
// the scopes it had).
func (s *Store) SetGroupAPI(ctx context.Context, groupID, apiID int64, scopes []string) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO access_group_apis (access_group_id, api_id, scopes) VALUES ($1, $2, $3)
		ON CONFLICT (access_group_id, api_id) DO UPDATE SET scopes = EXCLUDED.scopes`, groupID, apiID, stringArray(scopes))
	if err != nil {
		return fmt.Errorf("include API %d in access group %d: %w", apiID, groupID, err)
	}
	return nil
}

// Grant gives a group to a team or a user (exactly one of them) of a partner.
func (s *Store) Grant(ctx context.Context, groupID, partnerID int64, teamID, userID, by *int64) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `
		INSERT INTO grants (access_group_id, partner_id, team_id, user_id, granted_by) VALUES ($1, $2, $3, $4, $5)
		RETURNING id`, groupID, partnerID, teamID, userID, by)
	if err != nil {
		return 0, fmt.Errorf("grant access group %d: %w", groupID, uniqueAs(err, ErrAlreadyGranted))
	}
	return id, nil
}

// RevokeGrant takes a grant back; the row stays for the audit trail.
func (s *Store) RevokeGrant(ctx context.Context, grantID int64, by *int64) error {
	res, err := s.q.ExecContext(ctx, `UPDATE grants SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL`, grantID, by)
	if err != nil {
		return fmt.Errorf("revoke grant %d: %w", grantID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke grant %d: %w", grantID, ErrNotFound)
	}
	return nil
}

// CountAccessGroups counts every access group.
func (s *Store) CountAccessGroups(ctx context.Context) (int, error) {
	var n int
	if err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM access_groups`); err != nil {
		return 0, fmt.Errorf("count access groups: %w", err)
	}
	return n, nil
}
