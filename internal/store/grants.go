package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// EffectiveGrant is one (API, access group) pair a user reaches now through
// a grant to them or to one of their teams, with the scopes it gives.
type EffectiveGrant struct {
	APIID         int64          `db:"api_id"`
	APISlug       string         `db:"api_slug"`
	APIStatus     string         `db:"api_status"`
	AccessGroupID int64          `db:"access_group_id"`
	GroupName     string         `db:"group_name"`
	RatePerMinute int            `db:"rate_limit_per_minute"`
	MonthlyQuota  *int64         `db:"monthly_quota"`
	Scopes        pq.StringArray `db:"scopes"`
}

// EffectiveGrants returns what a user is granted at this moment: open
// grants to the user or to a team they belong to, of their own partner,
// while both the user and the partner are active, on APIs not retired.
// As in PartnerEffectiveGrants, direct and team grants are a UNION, not
// an OR in the join.
func (s *Store) EffectiveGrants(ctx context.Context, userID int64) ([]EffectiveGrant, error) {
	rows, err := s.EffectiveGrantsOf(ctx, []int64{userID})
	if err != nil {
		return nil, err
	}
	var gs []EffectiveGrant
	for _, r := range rows {
		gs = append(gs, r.EffectiveGrant)
	}
	return gs, nil
}

// UserGrant is an EffectiveGrant of one of several users.
type UserGrant struct {
	UserID int64 `db:"user_id"`
	EffectiveGrant
}

// EffectiveGrantsOf is EffectiveGrants of several users in one query,
// ordered by user: the one statement both read.
func (s *Store) EffectiveGrantsOf(ctx context.Context, userIDs []int64) ([]UserGrant, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	var gs []UserGrant
	err := s.q.SelectContext(ctx, &gs, `
		SELECT u.id AS user_id, a.id AS api_id, a.slug AS api_slug, a.status AS api_status,
		       ag.id AS access_group_id, ag.name AS group_name, ag.rate_limit_per_minute, ag.monthly_quota, aga.scopes
		FROM users u
		JOIN partners p ON p.id = u.partner_id AND p.status = 'active'
		JOIN LATERAL (
			SELECT g.access_group_id
			FROM grants g
			WHERE g.user_id = u.id AND g.partner_id = u.partner_id AND g.revoked_at IS NULL
			UNION
			SELECT g.access_group_id
			FROM team_memberships tm
			JOIN grants g ON g.team_id = tm.team_id AND g.partner_id = u.partner_id AND g.revoked_at IS NULL
			WHERE tm.user_id = u.id
		) r ON true
		JOIN access_groups ag ON ag.id = r.access_group_id
		JOIN access_group_apis aga ON aga.access_group_id = ag.id
		JOIN apis a ON a.id = aga.api_id AND a.status <> 'retired'
		WHERE u.id = ANY($1) AND u.status = 'active'
		ORDER BY u.id, a.slug, ag.id`, pq.Array(userIDs))
	if err != nil {
		return nil, fmt.Errorf("effective grants of %d users: %w", len(userIDs), err)
	}
	return gs, nil
}
