package store

import (
	"context"
	"fmt"
)

// TeamSummaryNames is how many member names a team's summary carries (the
// LIMIT in teamSummarySelect): the teams list shows a few and the count,
// never a whole team.
const TeamSummaryNames = 5

// MaxPicker bounds what a picker (add a member to a team, grant a group)
// offers at once: the first matches of a search, never a whole partner.
const MaxPicker = 20

// Key is the team's place in the teams list.
func (t TeamSummary) Key() Key { return Key{Sort: t.SortName, ID: t.ID} }

// Key is the member's place in the list of a team's members.
func (m TeamMember) Key() Key { return Key{Sort: m.SortName, ID: m.ID} }

// teamSummarySelect reads teams t with their number of members and the
// names of TeamSummaryNames of them (the first by user id, shown by name).
// Both come from the membership's primary key: a member's memberships end
// when they are removed (RemoveUser) and only the partner's active members
// are added (AddTeamMember's callers check), so counting memberships
// counts active members without reading every member's row, which at 10
// 000 memberships a page cost more than the rest of the page. The five
// names are read one user row each (a LATERAL kept apart by OFFSET 0, so
// the planner does not hash the whole partner's users per team).
const teamSummarySelect = `
	SELECT ` + teamColumns + `, lower(t.name) AS sort_name,
	       (SELECT count(*) FROM team_memberships tm WHERE tm.team_id = t.id) AS member_count,
	       coalesce((SELECT array_agg(u.name ORDER BY lower(u.name), u.id)
	                 FROM (SELECT tm.user_id FROM team_memberships tm WHERE tm.team_id = t.id ORDER BY tm.user_id LIMIT 5) tm
	                 JOIN LATERAL (SELECT u.name, u.id FROM users u
	                               WHERE u.id = tm.user_id AND u.partner_id = t.partner_id AND u.status = 'active' OFFSET 0) u ON true),
	                '{}') AS members
	FROM teams t`

// PartnerTeamsPage lists one page of a partner's teams by lower-cased name
// then id, each with its member count and first few member names; more
// says whether rows follow.
func (s *Store) PartnerTeamsPage(ctx context.Context, partnerID int64, q ListQuery) ([]TeamSummary, bool, error) {
	limit := pageLimit(q.Limit)
	afterName, afterID := after(q.After)
	var ts []TeamSummary
	err := s.q.SelectContext(ctx, &ts, teamSummarySelect+`
		WHERE t.partner_id = $1
		  AND ($3::text IS NULL OR (lower(t.name), t.id) > ($3::text, $4::bigint))
		  AND ($5 = '' OR t.name ILIKE '%' || $5 || '%' ESCAPE '\')
		ORDER BY lower(t.name), t.id
		LIMIT $2`, partnerID, limit+1, afterName, afterID, searchPattern(q.Search))
	if err != nil {
		return nil, false, fmt.Errorf("teams page of partner %d: %w", partnerID, err)
	}
	ts, more := cut(ts, limit)
	return ts, more, nil
}

// PartnerTeamSummary returns one team of the partner as the teams list
// shows it; a team of another partner is ErrNotFound.
func (s *Store) PartnerTeamSummary(ctx context.Context, partnerID, teamID int64) (*TeamSummary, error) {
	var t TeamSummary
	err := s.q.GetContext(ctx, &t, teamSummarySelect+` WHERE t.id = $1 AND t.partner_id = $2`, teamID, partnerID)
	if err != nil {
		return nil, fmt.Errorf("team %d of partner %d: %w", teamID, partnerID, notFound(err))
	}
	return &t, nil
}

// TeamMemberCount counts a team's members from the membership's primary
// key (only active members of the partner have memberships: see
// teamSummarySelect).
func (s *Store) TeamMemberCount(ctx context.Context, teamID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM team_memberships WHERE team_id = $1`, teamID)
	if err != nil {
		return 0, fmt.Errorf("count members of team %d: %w", teamID, err)
	}
	return n, nil
}

// TeamMembersPage lists one page of a team's active members by lower-cased
// name then id, searched by name or email; more says whether rows follow.
// It reads the team's memberships by primary key and sorts those: its cost
// grows with the team, not with the partner.
func (s *Store) TeamMembersPage(ctx context.Context, teamID int64, q ListQuery) ([]TeamMember, bool, error) {
	limit := pageLimit(q.Limit)
	afterName, afterID := after(q.After)
	var ms []TeamMember
	err := s.q.SelectContext(ctx, &ms, `
		SELECT u.id, u.email, u.name, u.role, tm.created_at AS added_at, lower(u.name) AS sort_name
		FROM team_memberships tm
		JOIN teams t ON t.id = tm.team_id
		JOIN users u ON u.id = tm.user_id AND u.partner_id = t.partner_id AND u.status = 'active'
		WHERE tm.team_id = $1
		  AND ($3::text IS NULL OR (lower(u.name), u.id) > ($3::text, $4::bigint))
		  AND ($5 = '' OR u.name ILIKE '%' || $5 || '%' ESCAPE '\' OR u.email ILIKE '%' || $5 || '%' ESCAPE '\')
		ORDER BY lower(u.name), u.id
		LIMIT $2`, teamID, limit+1, afterName, afterID, searchPattern(q.Search))
	if err != nil {
		return nil, false, fmt.Errorf("members page of team %d: %w", teamID, err)
	}
	ms, more := cut(ms, limit)
	return ms, more, nil
}

// TeamCandidates lists whom the team page offers to add: active members of
// the team's partner who are not in the team, matching search (name or
// email; empty matches everyone), by name, at most limit of them (1 to
// MaxPicker); more says whether others match. The partner's members are
// read in name order from users_partner_name, so the search costs the
// partner at most and the answer never more than limit rows.
func (s *Store) TeamCandidates(ctx context.Context, partnerID, teamID int64, search string, limit int) ([]Member, bool, error) {
	limit = min(max(limit, 1), MaxPicker)
	var ms []Member
	err := s.q.SelectContext(ctx, &ms, `
		SELECT u.id, u.email, u.name, u.role, u.status, u.last_sign_in_at, u.created_at, lower(u.name) AS sort_name, '{}'::text[] AS teams
		FROM users u
		WHERE u.partner_id = $1 AND u.status = 'active'
		  AND NOT EXISTS (SELECT 1 FROM team_memberships tm WHERE tm.team_id = $2 AND tm.user_id = u.id)
		  AND ($4 = '' OR u.name ILIKE '%' || $4 || '%' ESCAPE '\' OR u.email ILIKE '%' || $4 || '%' ESCAPE '\')
		ORDER BY lower(u.name), u.id
		LIMIT $3`, partnerID, teamID, limit+1, searchPattern(search))
	if err != nil {
		return nil, false, fmt.Errorf("candidates for team %d of partner %d: %w", teamID, partnerID, err)
	}
	ms, more := cut(ms, limit)
	return ms, more, nil
}
