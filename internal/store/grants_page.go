package store

import (
	"context"
	"fmt"
	"time"
)

// GrantCursor is the cursor of the page after the grant r: of the open
// grants when r is open, of the revoked ones otherwise.
func GrantCursor(r GrantRow) string {
	if r.RevokedAt == nil {
		return OpenGrantsList.Cursor(TimeKey(r.GrantedAt, r.ID))
	}
	return RevokedGrantsList.Cursor(TimeKey(*r.RevokedAt, r.ID))
}

// ParseGrantCursor decodes a GrantCursor; revoked says which list it
// continues, and ok is false for anything GrantCursor did not produce.
func ParseGrantCursor(raw string) (key *Key, revoked, ok bool) {
	if k, ok := OpenGrantsList.Parse(raw); ok {
		return k, false, true
	}
	k, ok := RevokedGrantsList.Parse(raw)
	return k, true, ok
}

// GrantPageQuery selects a page of a group's open or revoked grants.
type GrantPageQuery struct {
	// Revoked picks the revoked grants (most recently revoked first)
	// rather than the open ones (most recently granted first).
	Revoked bool
	// After is the key of the last row of the previous page; nil for the
	// first.
	After *Key
	// Limit is the page size, 1 to MaxPage.
	Limit int
	// Book bounds the grants to the partners of an account manager's book
	// (access.Actor.Book); 0 lists the grants to every partner.
	Book int64
}

// GroupGrantsPage lists one page of a group's open grants, newest first,
// or of its revoked ones, most recently revoked first, to the partners of
// q.Book; more says whether rows follow. Each list is read in order from its partial index
// (grants_group_open, grants_group_revoked).
func (s *Store) GroupGrantsPage(ctx context.Context, groupID int64, q GrantPageQuery) ([]GrantRow, bool, error) {
	limit := pageLimit(q.Limit)
	var at *time.Time
	var afterID int64
	if q.After != nil {
		t, err := time.Parse(time.RFC3339Nano, q.After.Sort)
		if err != nil {
			return nil, false, fmt.Errorf("grants of access group %d: cursor time %q: %w", groupID, q.After.Sort, err)
		}
		at, afterID = &t, q.After.ID
	}
	where := `
		WHERE gr.access_group_id = $1 AND gr.revoked_at IS NULL
		  AND ($3::timestamptz IS NULL OR (gr.granted_at, gr.id) < ($3::timestamptz, $4::bigint))
		  AND ` + bookFilter("gr.partner_id", 5) + `
		ORDER BY gr.granted_at DESC, gr.id DESC
		LIMIT $2`
	if q.Revoked {
		where = `
		WHERE gr.access_group_id = $1 AND gr.revoked_at IS NOT NULL
		  AND ($3::timestamptz IS NULL OR (gr.revoked_at, gr.id) < ($3::timestamptz, $4::bigint))
		  AND ` + bookFilter("gr.partner_id", 5) + `
		ORDER BY gr.revoked_at DESC, gr.id DESC
		LIMIT $2`
	}
	var rs []GrantRow
	if err := s.q.SelectContext(ctx, &rs, grantRowSelect+where, groupID, limit+1, at, afterID, q.Book); err != nil {
		return nil, false, fmt.Errorf("grants of access group %d: %w", groupID, err)
	}
	rs, more := cut(rs, limit)
	return rs, more, nil
}

// GroupGrant returns one grant of a group, open or revoked; a grant of
// another group is ErrNotFound.
func (s *Store) GroupGrant(ctx context.Context, groupID, grantID int64) (*GrantRow, error) {
	var r GrantRow
	err := s.q.GetContext(ctx, &r, grantRowSelect+` WHERE gr.id = $1 AND gr.access_group_id = $2`, grantID, groupID)
	if err != nil {
		return nil, fmt.Errorf("grant %d of access group %d: %w", grantID, groupID, notFound(err))
	}
	return &r, nil
}

// OpenGrantsOutsideBook counts a group's open grants to partners outside
// an account manager's book: the grants its page does not list to them
// but says exist. A platform admin's book (0) has every partner: 0.
func (s *Store) OpenGrantsOutsideBook(ctx context.Context, groupID, book int64) (int, error) {
	if book == 0 {
		return 0, nil
	}
	var n int
	err := s.q.GetContext(ctx, &n, `
		SELECT count(*) FROM grants gr
		WHERE gr.access_group_id = $1 AND gr.revoked_at IS NULL
		  AND NOT `+bookFilter("gr.partner_id", 2), groupID, book)
	if err != nil {
		return 0, fmt.Errorf("count open grants of access group %d outside the book of %d: %w", groupID, book, err)
	}
	return n, nil
}

// OpenGrantCount counts a group's open grants, from grants_group_open.
func (s *Store) OpenGrantCount(ctx context.Context, groupID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM grants WHERE access_group_id = $1 AND revoked_at IS NULL`, groupID)
	if err != nil {
		return 0, fmt.Errorf("count open grants of access group %d: %w", groupID, err)
	}
	return n, nil
}

// GranteeQuery is a search for whom to grant a group to.
type GranteeQuery struct {
	// Search matches a team's name, or a person's name or email,
	// case-insensitively as a literal substring.
	Search string
	// Partner matches the partner's name the same way; with it, Search may
	// be empty to list that partner's teams and people.
	Partner string
	// Limit bounds the answer, 1 to MaxPicker.
	Limit int
	// Book bounds the grantees to the partners of an account manager's
	// book (access.Actor.Book); 0 searches every partner.
	Book int64
}

// SearchGrantees finds whom group groupID may be granted to: teams and
// active people of active partners (never staff, who have none) matching
// the query, of the partners of q.Book, and not holding an open grant of
// the group already, by name,
// at most q.Limit; more says whether others match. Both searches empty
// match nothing rather than every partner.
func (s *Store) SearchGrantees(ctx context.Context, groupID int64, q GranteeQuery) ([]Grantee, bool, error) {
	search, partner := searchPattern(q.Search), searchPattern(q.Partner)
	if search == "" && partner == "" {
		return nil, false, nil
	}
	limit := min(max(q.Limit, 1), MaxPicker)
	// Each branch stops at limit+1 rows in name order; the union of the
	// two is cut to the first limit+1 by name again.
	var gs []Grantee
	err := s.q.SelectContext(ctx, &gs, `
		SELECT partner_id, partner_name, partner_status, team_id, user_id, name, email, role, user_status FROM (
			(SELECT p.id AS partner_id, p.name AS partner_name, p.status AS partner_status,
			        t.id AS team_id, NULL::bigint AS user_id, t.name, NULL AS email, NULL AS role, NULL AS user_status,
			        lower(t.name) AS sort_name, t.id AS sort_id
			 FROM teams t JOIN partners p ON p.id = t.partner_id AND p.status = 'active'
			 WHERE ($3 = '' OR t.name ILIKE '%' || $3 || '%' ESCAPE '\')
			   AND ($4 = '' OR p.name ILIKE '%' || $4 || '%' ESCAPE '\')
			   AND `+bookFilter("t.partner_id", 5)+`
			   AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.access_group_id = $1 AND g.team_id = t.id AND g.revoked_at IS NULL)
			 ORDER BY lower(t.name), t.id
			 LIMIT $2)
			UNION ALL
			(SELECT p.id, p.name, p.status, NULL, u.id, u.name, u.email, u.role, u.status, lower(u.name), u.id
			 FROM users u JOIN partners p ON p.id = u.partner_id AND p.status = 'active'
			 WHERE u.status = 'active' AND u.role IN ('partner_admin', 'developer')
			   AND ($3 = '' OR u.name ILIKE '%' || $3 || '%' ESCAPE '\' OR u.email ILIKE '%' || $3 || '%' ESCAPE '\')
			   AND ($4 = '' OR p.name ILIKE '%' || $4 || '%' ESCAPE '\')
			   AND `+bookFilter("u.partner_id", 5)+`
			   AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.access_group_id = $1 AND g.user_id = u.id AND g.revoked_at IS NULL)
			 ORDER BY lower(u.name), u.id
			 LIMIT $2)
		) x
		ORDER BY sort_name, lower(partner_name), user_id IS NOT NULL, sort_id
		LIMIT $2`, groupID, limit+1, search, partner, q.Book)
	if err != nil {
		return nil, false, fmt.Errorf("search grantees of access group %d: %w", groupID, err)
	}
	gs, more := cut(gs, limit)
	return gs, more, nil
}
