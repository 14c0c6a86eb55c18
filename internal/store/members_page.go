package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of a members page: MaxMemberPage rows at most, and a search of at
// most MaxMemberSearch characters.
const (
	MaxMemberPage   = 200
	MaxMemberSearch = 100
)

// MemberKey is a member's place in the members list: the list is ordered by
// lower-cased name, then id, and a page continues after the key of the last
// row of the previous one, so rows added or removed meanwhile shift nothing.
type MemberKey struct {
	Name string // lower(name), as PostgreSQL lower-cases it
	ID   int64
}

// MemberQuery selects a page of members.
type MemberQuery struct {
	// Search matches name or email, case-insensitively, as a literal
	// substring; empty lists everyone.
	Search string
	// After is the key of the last row of the previous page; nil for the
	// first.
	After *MemberKey
	// Limit is the page size, 1 to MaxMemberPage.
	Limit int
}

const memberCursorPrefix = "m1:"

// Cursor encodes the key as an opaque URL-safe token.
func (k MemberKey) Cursor() string {
	return base64.RawURLEncoding.EncodeToString([]byte(memberCursorPrefix + strconv.FormatInt(k.ID, 10) + ":" + k.Name))
}

// ParseMemberCursor decodes a Cursor; ok is false for anything Cursor did
// not produce (bad base64, prefix, id or UTF-8), so callers refuse it before
// any query.
func ParseMemberCursor(raw string) (key *MemberKey, ok bool) {
	// A name is at most a few hundred bytes; a longer cursor is not ours.
	if len(raw) > 2048 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || !utf8.Valid(b) {
		return nil, false
	}
	rest, ok := strings.CutPrefix(string(b), memberCursorPrefix)
	if !ok {
		return nil, false
	}
	id, name, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strings.ContainsRune(name, 0) {
		return nil, false
	}
	return &MemberKey{Name: name, ID: n}, true
}

// likeEscape makes s match itself literally in LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// PartnerMembersPage lists one page of a partner's active members, by
// lower-cased name then id, with their team names; more says whether rows
// follow. It reads the page's rows from users_partner_name and aggregates
// teams for those rows only, so its cost does not grow with the partner.
func (s *Store) PartnerMembersPage(ctx context.Context, partnerID int64, q MemberQuery) ([]Member, bool, error) {
	limit := min(max(q.Limit, 1), MaxMemberPage)
	search := strings.TrimSpace(q.Search)
	if utf8.RuneCountInString(search) > MaxMemberSearch {
		search = string([]rune(search)[:MaxMemberSearch])
	}
	var afterName *string
	var afterID int64
	if q.After != nil {
		afterName, afterID = &q.After.Name, q.After.ID
	}
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
			ORDER BY lower(u.name), u.id
			LIMIT $2
		) p
		ORDER BY p.sort_name, p.id`, partnerID, limit+1, afterName, afterID, likeEscape(search))
	if err != nil {
		return nil, false, fmt.Errorf("members page of partner %d: %w", partnerID, err)
	}
	more := len(ms) > limit
	if more {
		ms = ms[:limit]
	}
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
