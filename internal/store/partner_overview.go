package store

import (
	"context"
	"fmt"
)

// PartnerCounts are the totals the staff's partner page shows beside its
// first rows: how many active members, open invitations, teams and open
// grants the partner has, and its usable credentials by kind.
type PartnerCounts struct {
	Members     int `db:"members"`
	Invitations int `db:"invitations"`
	Teams       int `db:"teams"`
	Grants      int `db:"grants"`
	// LiveTokens and SandboxTokens are the personal access tokens that
	// authenticate now (approved, neither revoked nor expired); Clients
	// the OAuth clients that do; Pending the tokens and clients waiting
	// for a partner admin's approval.
	LiveTokens    int `db:"live_tokens"`
	SandboxTokens int `db:"sandbox_tokens"`
	Clients       int `db:"clients"`
	Pending       int `db:"pending"`
}

// PartnerCounts counts what the partner page summarises, in one statement
// whatever the partner's size: each count reads its own partner index
// (users_partner_name, teams, grants_partner_open_group, tokens_partner_open).
// Console tokens (the docs' hidden 15-minute ones) are not credentials a
// partner manages and are left out.
func (s *Store) PartnerCounts(ctx context.Context, partnerID int64) (PartnerCounts, error) {
	var c PartnerCounts
	err := s.q.GetContext(ctx, &c, `
		SELECT (SELECT count(*) FROM users u WHERE u.partner_id = $1 AND u.status = 'active') AS members,
		       (SELECT count(*) FROM invitations i
		        WHERE i.partner_id = $1 AND i.accepted_at IS NULL AND i.cancelled_at IS NULL AND i.expires_at > now()) AS invitations,
		       (SELECT count(*) FROM teams t WHERE t.partner_id = $1) AS teams,
		       (SELECT count(*) FROM grants g WHERE g.partner_id = $1 AND g.revoked_at IS NULL) AS grants,
		       k.live_tokens, k.sandbox_tokens, k.clients, k.pending
		FROM (SELECT count(*) FILTER (WHERE t.client_id IS NULL AND NOT t.pending AND t.environment = 'live') AS live_tokens,
		             count(*) FILTER (WHERE t.client_id IS NULL AND NOT t.pending AND t.environment = 'sandbox') AS sandbox_tokens,
		             count(*) FILTER (WHERE t.client_id IS NOT NULL AND NOT t.pending) AS clients,
		             count(*) FILTER (WHERE t.pending) AS pending
		      FROM tokens t
		      WHERE t.partner_id = $1 AND t.revoked_at IS NULL AND NOT t.console AND t.expires_at > now()) k`, partnerID)
	if err != nil {
		return c, fmt.Errorf("counts of partner %d: %w", partnerID, err)
	}
	return c, nil
}

// InactivePartnersNamed lists up to limit suspended partners whose name
// contains search, by name: the grant picker names them when its partner
// search finds nothing it may offer. Only partners of an account
// manager's book (access.Actor.Book; 0 for every partner) are named. An
// empty search matches nothing; an ended partner is never named (it cannot
// be reactivated).
func (s *Store) InactivePartnersNamed(ctx context.Context, search string, book int64, limit int) ([]Partner, error) {
	pattern := searchPattern(search)
	if pattern == "" {
		return nil, nil
	}
	var ps []Partner
	err := s.q.SelectContext(ctx, &ps, `
		SELECT id, name, slug, status, created_at, updated_at FROM partners
		WHERE status = 'suspended' AND name ILIKE '%' || $1 || '%' ESCAPE '\'
		  AND `+bookFilter("partners.id", 3)+`
		ORDER BY lower(name), id LIMIT $2`, pattern, min(max(limit, 1), MaxPicker), book)
	if err != nil {
		return nil, fmt.Errorf("inactive partners named %q: %w", search, err)
	}
	return ps, nil
}

// PartnerOpenGrants lists one page of the partner's open grants in the
// order and with the keys of PartnerGrantsPage (by access group, then
// grant), without its search. The names come from scalar subqueries on
// primary keys rather than six joins: the page's rows are read from
// grants_partner_open_group alone, and the statement plans in a fraction
// of the joined one's time (which was most of the partner page's).
func (s *Store) PartnerOpenGrants(ctx context.Context, partnerID int64, q ListQuery) ([]GrantRow, bool, error) {
	limit := pageLimit(q.Limit)
	afterGroup, afterID := after(q.After)
	var rs []GrantRow
	err := s.q.SelectContext(ctx, &rs, `
		SELECT gr.id, gr.access_group_id, (SELECT g.name FROM access_groups g WHERE g.id = gr.access_group_id) AS group_name,
		       gr.partner_id, (SELECT p.name FROM partners p WHERE p.id = gr.partner_id) AS partner_name,
		       gr.team_id, (SELECT t.name FROM teams t WHERE t.id = gr.team_id) AS team_name,
		       gr.user_id, u.name AS user_name, u.email AS user_email, u.status AS user_status,
		       (SELECT gb.name FROM users gb WHERE gb.id = gr.granted_by) AS granted_by_name, gr.granted_at,
		       NULL::text AS revoked_by_name, gr.revoked_at
		FROM grants gr
		LEFT JOIN LATERAL (SELECT u.name, u.email, u.status FROM users u WHERE u.id = gr.user_id) u ON true
		WHERE gr.partner_id = $1 AND gr.revoked_at IS NULL
		  AND ($3::text IS NULL OR (gr.access_group_id, gr.id) > ($3::bigint, $4::bigint))
		ORDER BY gr.access_group_id, gr.id
		LIMIT $2`, partnerID, limit+1, afterGroup, afterID)
	if err != nil {
		return nil, false, fmt.Errorf("open grants of partner %d: %w", partnerID, err)
	}
	rs, more := cut(rs, limit)
	return rs, more, nil
}
