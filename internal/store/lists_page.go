package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lib/pq"
)

// This file holds the pages of the lists keyed by id alone or by a time:
// the outbox, an API's revisions, a partner's open invitations and open
// grants.

// Key is the mail's place in the outbox, newest (highest id) first.
func (m OutboxMail) Key() Key { return Key{ID: m.ID} }

// MailsPage lists one page of the outbox, newest first, read backwards
// along the primary key; more says whether older mails follow. Nothing
// counts the whole outbox.
func (s *Store) MailsPage(ctx context.Context, q ListQuery) ([]OutboxMail, bool, error) {
	limit := pageLimit(q.Limit)
	_, afterID := after(q.After)
	var ms []OutboxMail
	err := s.q.SelectContext(ctx, &ms, `SELECT `+outboxColumns+` FROM outbox
		WHERE ($2::bigint = 0 OR id < $2::bigint)
		ORDER BY id DESC LIMIT $1`, limit+1, afterID)
	if err != nil {
		return nil, false, fmt.Errorf("outbox page: %w", err)
	}
	ms, more := cut(ms, limit)
	return ms, more, nil
}

// Key is the revision's place in its API's history, newest first.
func (r Revision) Key() Key { return Key{ID: int64(r.Revision)} }

// RevisionsPage lists one page of an API's revisions, newest first,
// without their documents, read backwards along the primary key.
func (s *Store) RevisionsPage(ctx context.Context, apiID int64, q ListQuery) ([]Revision, bool, error) {
	limit := pageLimit(q.Limit)
	_, afterRev := after(q.After)
	var rs []Revision
	err := s.q.SelectContext(ctx, &rs, `SELECT r.api_id, r.revision, r.version, ''::bytea AS spec, '[]'::bytea AS operations,
		r.scopes, r.added, r.removed, r.imported_by, u.name AS importer_name, r.imported_at
		FROM api_revisions r LEFT JOIN users u ON u.id = r.imported_by
		WHERE r.api_id = $1 AND ($3::bigint = 0 OR r.revision < $3::bigint)
		ORDER BY r.revision DESC LIMIT $2`, apiID, limit+1, afterRev)
	if err != nil {
		return nil, false, fmt.Errorf("revisions page of API %d: %w", apiID, err)
	}
	rs, more := cut(rs, limit)
	return rs, more, nil
}

// Key is the invitation's place in the open invitations, newest first.
func (i Invitation) Key() Key { return TimeKey(i.CreatedAt, i.ID) }

// OpenInvitationsPage lists one page of a partner's open invitations
// (neither accepted nor cancelled; expired ones included, so they can be
// resent), newest first, from invitations_open_newest; search matches the
// email.
func (s *Store) OpenInvitationsPage(ctx context.Context, partnerID int64, q ListQuery) ([]Invitation, bool, error) {
	limit := pageLimit(q.Limit)
	afterAt, afterID := after(q.After)
	var invs []Invitation
	err := s.q.SelectContext(ctx, &invs, `SELECT `+invitationColumns+`
		FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
		WHERE i.partner_id = $1 AND i.accepted_at IS NULL AND i.cancelled_at IS NULL
		  AND ($3::text IS NULL OR (i.created_at, i.id) < ($3::timestamptz, $4::bigint))
		  AND ($5 = '' OR i.email ILIKE '%' || $5 || '%' ESCAPE '\')
		ORDER BY i.created_at DESC, i.id DESC
		LIMIT $2`, partnerID, limit+1, afterAt, afterID, searchPattern(q.Search))
	if err != nil {
		return nil, false, fmt.Errorf("open invitations page of partner %d: %w", partnerID, err)
	}
	invs, more := cut(invs, limit)
	return invs, more, nil
}

// Key is the grant's place in a partner's open grants: by access group
// (its id), then in grant order.
func (r GrantRow) Key() Key { return Key{Sort: strconv.FormatInt(r.GroupID, 10), ID: r.ID} }

// PartnerGrantsPage lists one page of the open grants to a partner's teams
// and people, by access group (in the order groups were created), then in
// the order they were made, read from grants_partner_open_group; search
// matches the group's name or the grantee's name or email. The key's Sort
// is the group's id (GrantsList's cursors are checked to hold one).
func (s *Store) PartnerGrantsPage(ctx context.Context, partnerID int64, q ListQuery) ([]GrantRow, bool, error) {
	limit := pageLimit(q.Limit)
	afterGroup, afterID := after(q.After)
	var rs []GrantRow
	err := s.q.SelectContext(ctx, &rs, grantRowSelect+`
		WHERE gr.partner_id = $1 AND gr.revoked_at IS NULL
		  AND ($3::text IS NULL OR (gr.access_group_id, gr.id) > ($3::bigint, $4::bigint))
		  AND ($5 = '' OR g.name ILIKE '%' || $5 || '%' ESCAPE '\' OR t.name ILIKE '%' || $5 || '%' ESCAPE '\'
		       OR u.name ILIKE '%' || $5 || '%' ESCAPE '\' OR u.email ILIKE '%' || $5 || '%' ESCAPE '\')
		ORDER BY gr.access_group_id, gr.id
		LIMIT $2`, partnerID, limit+1, afterGroup, afterID, searchPattern(q.Search))
	if err != nil {
		return nil, false, fmt.Errorf("grants page of partner %d: %w", partnerID, err)
	}
	rs, more := cut(rs, limit)
	return rs, more, nil
}

// Key is the API's place in the catalog, by lower-cased name.
func (l APIListing) Key() Key { return Key{Sort: l.SortName, ID: l.ID} }

// APIListingsPage lists one page of the catalog by lower-cased name, then
// id, with each API's current version and number of operations; search
// matches name or slug. With granted nil every API is listed (staff);
// otherwise only the APIs of those slugs that are not retired (what a
// partner user holds now), filtered in the query so pages stay full.
func (s *Store) APIListingsPage(ctx context.Context, granted []string, q ListQuery) ([]APIListing, bool, error) {
	limit := pageLimit(q.Limit)
	afterName, afterID := after(q.After)
	var slugs any // NULL: no filter
	if granted != nil {
		slugs = pq.StringArray(granted)
	}
	var ls []APIListing
	err := s.q.SelectContext(ctx, &ls, `
		SELECT a.id, a.slug, a.name, a.status, a.sunset_at, a.upstream_url, a.max_body_bytes, a.current_revision, a.created_at, a.updated_at,
		       lower(a.name) AS sort_name, r.version, jsonb_array_length(r.operations) AS operation_count
		FROM apis a JOIN api_revisions r ON r.api_id = a.id AND r.revision = a.current_revision
		WHERE ($2::text IS NULL OR (lower(a.name), a.id) > ($2::text, $3::bigint))
		  AND ($4 = '' OR a.name ILIKE '%' || $4 || '%' ESCAPE '\' OR a.slug ILIKE '%' || $4 || '%' ESCAPE '\')
		  AND ($5::text[] IS NULL OR (a.slug = ANY($5::text[]) AND a.status <> 'retired'))
		ORDER BY lower(a.name), a.id
		LIMIT $1`, limit+1, afterName, afterID, searchPattern(q.Search), slugs)
	if err != nil {
		return nil, false, fmt.Errorf("catalog page: %w", err)
	}
	ls, more := cut(ls, limit)
	return ls, more, nil
}

// Key is the group's place in the access groups list, by lower-cased name.
func (g AccessGroupSummary) Key() Key { return Key{Sort: g.SortName, ID: g.ID} }

// AccessGroupsPage lists one page of access groups by lower-cased name,
// then id, with their APIs and their number of open grants, in two
// queries; search matches the name. The open grants are counted for the
// page's groups only, from the index of open team grants and that of open
// personal grants (grants_open_team, grants_open_user: a grant has exactly
// one grantee), so no grant row is read.
func (s *Store) AccessGroupsPage(ctx context.Context, q ListQuery) ([]AccessGroupSummary, bool, error) {
	limit := pageLimit(q.Limit)
	afterName, afterID := after(q.After)
	var gs []AccessGroupSummary
	err := s.q.SelectContext(ctx, &gs, `
		SELECT x.*,
		       (SELECT count(*) FROM grants gr WHERE gr.access_group_id = x.id AND gr.revoked_at IS NULL AND gr.team_id IS NOT NULL)
		     + (SELECT count(*) FROM grants gr WHERE gr.access_group_id = x.id AND gr.revoked_at IS NULL AND gr.user_id IS NOT NULL) AS open_grants
		FROM (
			SELECT `+groupColumns+`, lower(g.name) AS sort_name
			FROM access_groups g
			WHERE ($2::text IS NULL OR (lower(g.name), g.id) > ($2::text, $3::bigint))
			  AND ($4 = '' OR g.name ILIKE '%' || $4 || '%' ESCAPE '\')
			ORDER BY lower(g.name), g.id
			LIMIT $1
		) x
		ORDER BY x.sort_name, x.id`, limit+1, afterName, afterID, searchPattern(q.Search))
	if err != nil {
		return nil, false, fmt.Errorf("access groups page: %w", err)
	}
	gs, more := cut(gs, limit)
	if len(gs) == 0 {
		return gs, more, nil
	}
	ids := make([]int64, len(gs))
	at := make(map[int64]int, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
		at[g.ID] = i
	}
	apis, err := s.AccessGroupAPIs(ctx, ids)
	if err != nil {
		return nil, false, err
	}
	for _, a := range apis {
		i := at[a.GroupID]
		gs[i].APIs = append(gs[i].APIs, a)
	}
	return gs, more, nil
}
