package store

import (
	"context"
	"fmt"
)

// MemberQuery selects a page of members: ListQuery's Search matches name
// or email, case-insensitively, as a literal substring.
type MemberQuery struct {
	ListQuery
	// ReachGroup, when not 0, keeps only the members the access group is
	// granted to now, directly or through one of their teams.
	ReachGroup int64
}

// PartnerMembersPage lists one page of a partner's active members, by
// lower-cased name then id, with their team names; more says whether rows
// follow. It reads the page's rows from users_partner_name and aggregates
// teams for those rows only, so its cost does not grow with the partner.
func (s *Store) PartnerMembersPage(ctx context.Context, partnerID int64, q MemberQuery) ([]Member, bool, error) {
	limit := pageLimit(q.Limit)
	afterName, afterID := after(q.After)
	// $3 IS NULL and $5 = '' are constant for a given call: the unnamed
	// statement is planned with its values, so the unused condition folds
	// away and the index range scan stays.
	var ms []Member
	err := s.q.SelectContext(ctx, &ms, `
		SELECT p.id, p.email, p.name, p.role, p.status, p.last_sign_in_at, p.created_at, p.sort_name,
		       coalesce((SELECT array_agg(t.name ORDER BY lower(t.name))
		                 FROM team_memberships tm JOIN teams t ON t.id = tm.team_id
		                 WHERE tm.user_id = p.id), '{}') AS teams
		FROM (
			SELECT u.id, u.email, u.name, u.role, u.status, u.last_sign_in_at, u.created_at, lower(u.name) AS sort_name
			FROM users u
			WHERE u.partner_id = $1 AND u.status = 'active'
			  AND ($3::text IS NULL OR (lower(u.name), u.id) > ($3::text, $4::bigint))
			  AND ($5 = '' OR u.name ILIKE '%' || $5 || '%' ESCAPE '\' OR u.email ILIKE '%' || $5 || '%' ESCAPE '\')
			  AND ($6 = 0
			       OR EXISTS (SELECT 1 FROM grants g
			                  WHERE g.access_group_id = $6 AND g.user_id = u.id AND g.partner_id = $1 AND g.revoked_at IS NULL)
			       OR EXISTS (SELECT 1 FROM team_memberships tm
			                  JOIN grants g ON g.team_id = tm.team_id AND g.access_group_id = $6
			                               AND g.partner_id = $1 AND g.revoked_at IS NULL
			                  WHERE tm.user_id = u.id))
			ORDER BY lower(u.name), u.id
			LIMIT $2
		) p
		ORDER BY p.sort_name, p.id`, partnerID, limit+1, afterName, afterID, searchPattern(q.Search), q.ReachGroup)
	if err != nil {
		return nil, false, fmt.Errorf("members page of partner %d: %w", partnerID, err)
	}
	ms, more := cut(ms, limit)
	return ms, more, nil
}

// PartnerMemberWithTeams returns one active member of the partner with their
// team names; a user of another partner is ErrNotFound.
func (s *Store) PartnerMemberWithTeams(ctx context.Context, partnerID, userID int64) (*Member, error) {
	var m Member
	err := s.q.GetContext(ctx, &m, `
		SELECT u.id, u.email, u.name, u.role, u.status, u.last_sign_in_at, u.created_at, lower(u.name) AS sort_name,
		       coalesce((SELECT array_agg(t.name ORDER BY lower(t.name))
		                 FROM team_memberships tm JOIN teams t ON t.id = tm.team_id
		                 WHERE tm.user_id = u.id), '{}') AS teams
		FROM users u
		WHERE u.id = $1 AND u.partner_id = $2 AND u.status = 'active'`, userID, partnerID)
	if err != nil {
		return nil, fmt.Errorf("member %d of partner %d: %w", userID, partnerID, notFound(err))
	}
	return &m, nil
}
