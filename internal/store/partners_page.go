package store

import (
	"context"
	"fmt"
)

// PartnerSummary is a partner with the counts the partners list shows.
type PartnerSummary struct {
	Partner
	SortName    string `db:"sort_name"`
	Members     int    `db:"members"`
	Invitations int    `db:"invitations"`
	Teams       int    `db:"teams"`
	// Managers names its active account managers, by name; empty: none.
	Managers string `db:"managers"`
}

// PartnerFilter narrows the partner directory.
type PartnerFilter struct {
	// Status is "active", "suspended" or empty for every status.
	Status string
	// Manager keeps the partners of one account manager's book: the
	// account manager's own (access.Actor.Book), or the one a platform
	// admin filters by. 0: every partner.
	Manager int64
	// Unmanaged keeps the partners, active or suspended, without an
	// active account manager (an ended one needs none).
	Unmanaged bool
}

// Key is the partner's place in the partners list.
func (p PartnerSummary) Key() Key { return Key{Sort: p.SortName, ID: p.ID} }

// PartnersPage lists one page of partners by lower-cased name, then id,
// with their counts and account managers; search matches name or slug,
// f narrows by status and account manager. more says whether rows follow. The page's
// rows come from partners_name (or partners_status_name) and the counts
// are subqueries over those rows only, each read from an index of the
// partner's rows; nothing counts the whole directory.
func (s *Store) PartnersPage(ctx context.Context, f PartnerFilter, q ListQuery) ([]PartnerSummary, bool, error) {
	limit := pageLimit(q.Limit)
	afterName, afterID := after(q.After)
	var ps []PartnerSummary
	err := s.q.SelectContext(ctx, &ps, `
		SELECT p.id, p.name, p.slug, p.status, p.created_at, p.updated_at, p.sort_name,
		       (SELECT count(*) FROM users u WHERE u.partner_id = p.id AND u.status = 'active') AS members,
		       (SELECT count(*) FROM invitations i WHERE i.partner_id = p.id AND i.accepted_at IS NULL
		            AND i.cancelled_at IS NULL AND i.expires_at > now()) AS invitations,
		       (SELECT count(*) FROM teams t WHERE t.partner_id = p.id) AS teams,
		       coalesce((SELECT string_agg(u.name, ', ' ORDER BY lower(u.name), u.id) FROM partner_managers pm
		                 JOIN users u ON u.id = pm.user_id AND u.status = 'active' WHERE pm.partner_id = p.id), '') AS managers
		FROM (
			SELECT id, name, slug, status, created_at, updated_at, lower(name) AS sort_name
			FROM partners
			WHERE ($2::text IS NULL OR (lower(name), id) > ($2::text, $3::bigint))
			  AND ($4 = '' OR name ILIKE '%' || $4 || '%' ESCAPE '\' OR slug ILIKE '%' || $4 || '%' ESCAPE '\')
			  AND ($5 = '' OR status = $5)
			  AND `+bookFilter("id", 6)+`
			  AND (NOT $7 OR (status <> 'ended' AND NOT EXISTS (SELECT 1 FROM partner_managers pm JOIN users u ON u.id = pm.user_id
			                                                  WHERE pm.partner_id = partners.id AND u.status = 'active')))
			ORDER BY lower(name), id
			LIMIT $1
		) p
		ORDER BY p.sort_name, p.id`, limit+1, afterName, afterID, searchPattern(q.Search), f.Status, f.Manager, f.Unmanaged)
	if err != nil {
		return nil, false, fmt.Errorf("partners page: %w", err)
	}
	ps, more := cut(ps, limit)
	return ps, more, nil
}

// StaffMember is an active member of the provider's staff, as the staff
// list shows them.
type StaffMember struct {
	User
	SortKey string `db:"sort_key"`
	// Partners counts the partners an account manager manages.
	Partners int `db:"partners"`
}

// Key is the staff member's place in the staff list: "0" and the
// lower-cased name for platform admins, "1" and the name for account
// managers, so admins come first.
func (m StaffMember) Key() Key { return Key{Sort: m.SortKey, ID: m.ID} }

// StaffPage lists one page of the provider's active staff: admins first,
// then by lower-cased name and id; search matches name or email.
func (s *Store) StaffPage(ctx context.Context, q ListQuery) ([]StaffMember, bool, error) {
	limit := pageLimit(q.Limit)
	afterKey, afterID := after(q.After)
	var us []StaffMember
	// The key's first character is the rank (role <> 'admin'), the rest
	// the name: compared as a row, never as one string.
	err := s.q.SelectContext(ctx, &us, `
		SELECT id, email, name, role, partner_id, '' AS password_hash, status, last_sign_in_at, created_at, updated_at,
		       CASE WHEN role = 'admin' THEN '0' ELSE '1' END || lower(name) AS sort_key,
		       (SELECT count(*) FROM partner_managers pm WHERE pm.user_id = users.id) AS partners
		FROM users
		WHERE role IN ('admin', 'account_manager') AND status = 'active'
		  AND ($2::text IS NULL OR (role <> 'admin', lower(name), id) > (left($2::text, 1) = '1', substr($2::text, 2), $3::bigint))
		  AND ($4 = '' OR name ILIKE '%' || $4 || '%' ESCAPE '\' OR email ILIKE '%' || $4 || '%' ESCAPE '\')
		ORDER BY role <> 'admin', lower(name), id
		LIMIT $1`, limit+1, afterKey, afterID, searchPattern(q.Search))
	if err != nil {
		return nil, false, fmt.Errorf("staff page: %w", err)
	}
	us, more := cut(us, limit)
	return us, more, nil
}
