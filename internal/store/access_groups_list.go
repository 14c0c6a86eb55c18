package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ErrAlreadyRevoked is returned when a grant was taken back already.
var ErrAlreadyRevoked = errors.New("revoked already")

// GroupAPI is an API an access group includes, with the scopes it gives.
type GroupAPI struct {
	GroupID int64          `db:"access_group_id"`
	APIID   int64          `db:"api_id"`
	Slug    string         `db:"slug"`
	Name    string         `db:"name"`
	Status  string         `db:"status"`
	Scopes  pq.StringArray `db:"scopes"`
}

// AccessGroupSummary is an access group as the list shows it: with its APIs
// and how many grants of it are open.
type AccessGroupSummary struct {
	AccessGroup
	SortName   string `db:"sort_name"` // lower(name), set by AccessGroupsPage
	OpenGrants int    `db:"open_grants"`
	APIs       []GroupAPI
}

const groupColumns = `g.id, g.name, g.description, g.rate_limit_per_minute, g.monthly_quota`

// AccessGroupAPIs lists the APIs the given groups include, by group, then
// API name.
func (s *Store) AccessGroupAPIs(ctx context.Context, groupIDs []int64) ([]GroupAPI, error) {
	var as []GroupAPI
	err := s.q.SelectContext(ctx, &as, `
		SELECT aga.access_group_id, a.id AS api_id, a.slug, a.name, a.status, aga.scopes
		FROM access_group_apis aga JOIN apis a ON a.id = aga.api_id
		WHERE aga.access_group_id = ANY($1)
		ORDER BY aga.access_group_id, lower(a.name), a.id`, pq.Int64Array(groupIDs))
	if err != nil {
		return nil, fmt.Errorf("APIs of access groups: %w", err)
	}
	return as, nil
}

// AccessGroupByID returns the access group with the id.
func (s *Store) AccessGroupByID(ctx context.Context, id int64) (*AccessGroup, error) {
	var g AccessGroup
	if err := s.q.GetContext(ctx, &g, `SELECT `+groupColumns+` FROM access_groups g WHERE g.id = $1`, id); err != nil {
		return nil, fmt.Errorf("access group %d: %w", id, notFound(err))
	}
	return &g, nil
}

// AccessGroupsByID returns the access groups with the given ids, by name.
func (s *Store) AccessGroupsByID(ctx context.Context, ids []int64) ([]AccessGroup, error) {
	var gs []AccessGroup
	err := s.q.SelectContext(ctx, &gs, `SELECT `+groupColumns+` FROM access_groups g WHERE g.id = ANY($1)
		ORDER BY lower(g.name), g.id`, pq.Int64Array(ids))
	if err != nil {
		return nil, fmt.Errorf("access groups %v: %w", ids, err)
	}
	return gs, nil
}

// LockAccessGroup is AccessGroupByID that also locks the group's row until
// the transaction ends: exclusively (FOR UPDATE) for changes that must not
// race a grant, such as deleting it, and shared otherwise, so grants of one
// group may be made side by side.
func (s *Store) LockAccessGroup(ctx context.Context, id int64, exclusive bool) (*AccessGroup, error) {
	lock := "FOR SHARE"
	if exclusive {
		lock = "FOR UPDATE"
	}
	var g AccessGroup
	if err := s.q.GetContext(ctx, &g, `SELECT `+groupColumns+` FROM access_groups g WHERE g.id = $1 `+lock, id); err != nil {
		return nil, fmt.Errorf("lock access group %d: %w", id, notFound(err))
	}
	return &g, nil
}

// UpdateAccessGroup changes a group's name, description and limits;
// ErrSlugTaken when another group has the name, whatever its case.
func (s *Store) UpdateAccessGroup(ctx context.Context, id int64, name, description string, perMinute int, quota *int64) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE access_groups SET name = $2, description = $3, rate_limit_per_minute = $4, monthly_quota = $5, updated_at = now()
		WHERE id = $1`, id, name, description, perMinute, quota)
	if err != nil {
		return fmt.Errorf("update access group %d: %w", id, uniqueAs(err, ErrSlugTaken))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update access group %d: %w", id, ErrNotFound)
	}
	return nil
}

// RemoveGroupAPI takes an API out of a group; ErrNotFound when the group
// does not include it.
func (s *Store) RemoveGroupAPI(ctx context.Context, groupID, apiID int64) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM access_group_apis WHERE access_group_id = $1 AND api_id = $2`, groupID, apiID)
	if err != nil {
		return fmt.Errorf("remove API %d from access group %d: %w", apiID, groupID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove API %d from access group %d: %w", apiID, groupID, ErrNotFound)
	}
	return nil
}

// DeleteAccessGroup deletes a group with its API list and its grant history.
// Callers refuse first while grants of it are open.
func (s *Store) DeleteAccessGroup(ctx context.Context, id int64) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM access_groups WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete access group %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete access group %d: %w", id, ErrNotFound)
	}
	return nil
}

// APIScopes is an API with the scopes its current revision declares.
type APIScopes struct {
	ID     int64          `db:"id"`
	Slug   string         `db:"slug"`
	Name   string         `db:"name"`
	Status string         `db:"status"`
	Scopes pq.StringArray `db:"scopes"`
}

// ListAPIScopes lists every API by name with the scopes of its current
// revision, in one query.
func (s *Store) ListAPIScopes(ctx context.Context) ([]APIScopes, error) {
	var as []APIScopes
	err := s.q.SelectContext(ctx, &as, `
		SELECT a.id, a.slug, a.name, a.status, r.scopes
		FROM apis a JOIN api_revisions r ON r.api_id = a.id AND r.revision = a.current_revision
		ORDER BY lower(a.name), a.id`)
	if err != nil {
		return nil, fmt.Errorf("list API scopes: %w", err)
	}
	return as, nil
}

// GrantRow is a grant with the names a page shows: its group, partner,
// grantee and who granted (and revoked) it. The names of removed users stay.
type GrantRow struct {
	ID            int64      `db:"id"`
	GroupID       int64      `db:"access_group_id"`
	GroupName     string     `db:"group_name"`
	PartnerID     int64      `db:"partner_id"`
	PartnerName   string     `db:"partner_name"`
	TeamID        *int64     `db:"team_id"`
	TeamName      *string    `db:"team_name"`
	UserID        *int64     `db:"user_id"`
	UserName      *string    `db:"user_name"`
	UserEmail     *string    `db:"user_email"`
	UserStatus    *string    `db:"user_status"`
	GrantedByName *string    `db:"granted_by_name"`
	GrantedAt     time.Time  `db:"granted_at"`
	RevokedByName *string    `db:"revoked_by_name"`
	RevokedAt     *time.Time `db:"revoked_at"`
}

const grantRowSelect = `
	SELECT gr.id, gr.access_group_id, g.name AS group_name, gr.partner_id, p.name AS partner_name,
	       gr.team_id, t.name AS team_name, gr.user_id, u.name AS user_name, u.email AS user_email, u.status AS user_status,
	       gb.name AS granted_by_name, gr.granted_at, rb.name AS revoked_by_name, gr.revoked_at
	FROM grants gr
	JOIN access_groups g ON g.id = gr.access_group_id
	JOIN partners p ON p.id = gr.partner_id
	LEFT JOIN teams t ON t.id = gr.team_id
	LEFT JOIN users u ON u.id = gr.user_id
	LEFT JOIN users gb ON gb.id = gr.granted_by
	LEFT JOIN users rb ON rb.id = gr.revoked_by`

// LockGroupGrant returns a grant of the given group, open or revoked, and
// locks it until the transaction ends: a grant of another group is
// ErrNotFound, so a grant id cannot be revoked through the wrong group.
func (s *Store) LockGroupGrant(ctx context.Context, groupID, grantID int64) (*GrantRow, error) {
	var r GrantRow
	err := s.q.GetContext(ctx, &r, grantRowSelect+`
		WHERE gr.id = $1 AND gr.access_group_id = $2
		FOR UPDATE OF gr`, grantID, groupID)
	if err != nil {
		return nil, fmt.Errorf("grant %d of access group %d: %w", grantID, groupID, notFound(err))
	}
	return &r, nil
}

// OpenGrantPartners names the partners of an account manager's book
// (access.Actor.Book; 0 for every partner) holding open grants of a
// group, so its deletion can be refused with the list, and counts the
// other partners holding one, which the account manager may not see.
func (s *Store) OpenGrantPartners(ctx context.Context, groupID, book int64) (names []string, others int, err error) {
	var rows []struct {
		Name    string `db:"name"`
		Managed bool   `db:"managed"`
	}
	err = s.q.SelectContext(ctx, &rows, `
		SELECT p.name, `+bookFilter("p.id", 2)+` AS managed
		FROM partners p
		WHERE EXISTS (SELECT 1 FROM grants gr WHERE gr.partner_id = p.id AND gr.access_group_id = $1 AND gr.revoked_at IS NULL)
		ORDER BY lower(p.name), p.id`, groupID, book)
	if err != nil {
		return nil, 0, fmt.Errorf("partners granted access group %d: %w", groupID, err)
	}
	for _, r := range rows {
		if r.Managed {
			names = append(names, r.Name)
		} else {
			others++
		}
	}
	return names, others, nil
}

// HasOpenGrant reports whether the team or the user (exactly one set)
// holds an open grant of the group.
func (s *Store) HasOpenGrant(ctx context.Context, groupID int64, teamID, userID *int64) (bool, error) {
	var ok bool
	err := s.q.GetContext(ctx, &ok, `
		SELECT EXISTS (SELECT 1 FROM grants WHERE access_group_id = $1 AND revoked_at IS NULL
		               AND (team_id = $2 OR user_id = $3))`, groupID, teamID, userID)
	if err != nil {
		return false, fmt.Errorf("open grant of access group %d: %w", groupID, err)
	}
	return ok, nil
}

// Grantee is a team or a person an access group may be granted to, with
// their partner. For a team, UserID is nil; for a person, TeamID is.
type Grantee struct {
	PartnerID     int64   `db:"partner_id"`
	PartnerName   string  `db:"partner_name"`
	PartnerStatus string  `db:"partner_status"`
	TeamID        *int64  `db:"team_id"`
	UserID        *int64  `db:"user_id"`
	Name          string  `db:"name"`
	Email         *string `db:"email"`
	Role          *string `db:"role"`
	UserStatus    *string `db:"user_status"`
}

// LockGranteeTeam returns a team with its partner and holds a share lock
// on the team until the transaction ends.
func (s *Store) LockGranteeTeam(ctx context.Context, teamID int64) (*Grantee, error) {
	var g Grantee
	err := s.q.GetContext(ctx, &g, `
		SELECT p.id AS partner_id, p.name AS partner_name, p.status AS partner_status,
		       t.id AS team_id, NULL::bigint AS user_id, t.name, NULL AS email, NULL AS role, NULL AS user_status
		FROM teams t JOIN partners p ON p.id = t.partner_id
		WHERE t.id = $1
		FOR SHARE OF t`, teamID)
	if err != nil {
		return nil, fmt.Errorf("team %d: %w", teamID, notFound(err))
	}
	return &g, nil
}

// LockGranteeUser returns a user with their partner (staff have none:
// ErrNotFound) and holds a share lock on the user until the transaction
// ends.
func (s *Store) LockGranteeUser(ctx context.Context, userID int64) (*Grantee, error) {
	var g Grantee
	err := s.q.GetContext(ctx, &g, `
		SELECT p.id AS partner_id, p.name AS partner_name, p.status AS partner_status,
		       NULL::bigint AS team_id, u.id AS user_id, u.name, u.email, u.role, u.status AS user_status
		FROM users u JOIN partners p ON p.id = u.partner_id
		WHERE u.id = $1
		FOR SHARE OF u`, userID)
	if err != nil {
		return nil, fmt.Errorf("user %d: %w", userID, notFound(err))
	}
	return &g, nil
}

// MemberEffectiveGrant is an EffectiveGrant of one member of a partner.
type MemberEffectiveGrant struct {
	UserID int64 `db:"user_id"`
	EffectiveGrant
}

// PartnerEffectiveGrants is EffectiveGrants for the given active members of
// a partner at once (a page of them): what each is granted at this moment,
// by member, then API. Users of another partner, removed users and ids
// that are not users give nothing; so does a partner that is not active.
//
// Direct grants and team grants are two joins put together by a UNION
// (which also drops a group reached twice) rather than one join on
// "the user's grant OR a grant to one of their teams": that OR can only be
// checked pair by pair, members × grants, seconds at 10 000 members.
func (s *Store) PartnerEffectiveGrants(ctx context.Context, partnerID int64, userIDs []int64) ([]MemberEffectiveGrant, error) {
	var gs []MemberEffectiveGrant
	if len(userIDs) == 0 {
		return nil, nil
	}
	err := s.q.SelectContext(ctx, &gs, `
		SELECT r.user_id, a.id AS api_id, a.slug AS api_slug, a.status AS api_status,
		       ag.id AS access_group_id, ag.name AS group_name, ag.rate_limit_per_minute, ag.monthly_quota, aga.scopes
		FROM (
			SELECT g.user_id, g.access_group_id
			FROM grants g
			JOIN users u ON u.id = g.user_id AND u.partner_id = g.partner_id AND u.status = 'active'
			WHERE g.partner_id = $1 AND g.revoked_at IS NULL AND g.user_id = ANY($2)
			UNION
			SELECT tm.user_id, g.access_group_id
			FROM team_memberships tm
			JOIN grants g ON g.team_id = tm.team_id AND g.partner_id = $1 AND g.revoked_at IS NULL
			JOIN users u ON u.id = tm.user_id AND u.partner_id = g.partner_id AND u.status = 'active'
			WHERE tm.user_id = ANY($2)
		) r
		JOIN partners p ON p.id = $1 AND p.status = 'active'
		JOIN access_groups ag ON ag.id = r.access_group_id
		JOIN access_group_apis aga ON aga.access_group_id = ag.id
		JOIN apis a ON a.id = aga.api_id AND a.status <> 'retired'
		ORDER BY r.user_id, a.slug, ag.id`, partnerID, pq.Array(userIDs))
	if err != nil {
		return nil, fmt.Errorf("effective grants of %d members of partner %d: %w", len(userIDs), partnerID, err)
	}
	return gs, nil
}
