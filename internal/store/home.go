package store

import (
	"context"
	"fmt"
	"time"
)

// The home pages' reads: each is one bounded query, whatever the size of
// the partner or of the portal.

// SoonExpiringToken is an open personal token of a user that expires soon.
type SoonExpiringToken struct {
	ID          int64     `db:"id"`
	Name        string    `db:"name"`
	Hint        string    `db:"hint"`
	Environment string    `db:"environment"`
	ExpiresAt   time.Time `db:"expires_at"`
}

// OwnTokens is what a developer's home says of their tokens.
type OwnTokens struct {
	// Expiring are the open tokens expiring before the given time, soonest
	// first, at most the given limit.
	Expiring []SoonExpiringToken
	// HasOpen says whether the user has any open (not revoked, not
	// expired) personal token.
	HasOpen bool
	// EverUsed says whether any token of the user (the docs' console
	// tokens included, while their rows are kept) was ever used.
	EverUsed bool
}

// OwnTokenSummary returns, in one query, the user's open personal tokens
// that expire before `before` (soonest first, at most limit), whether they
// hold any open token at all and whether any of their tokens was ever
// used. It reads the user's tokens only (tokens_user_open and the user's
// other tokens), never the partner's.
func (s *Store) OwnTokenSummary(ctx context.Context, userID int64, before time.Time, limit int) (OwnTokens, error) {
	var rows []struct {
		HasOpen     bool       `db:"has_open"`
		EverUsed    bool       `db:"ever_used"`
		ID          *int64     `db:"id"`
		Name        *string    `db:"name"`
		Hint        *string    `db:"hint"`
		Environment *string    `db:"environment"`
		ExpiresAt   *time.Time `db:"expires_at"`
	}
	err := s.q.SelectContext(ctx, &rows, `
		SELECT f.has_open, f.ever_used, e.id, e.name, e.hint, e.environment, e.expires_at
		FROM (SELECT
				EXISTS (SELECT 1 FROM tokens t WHERE t.user_id = $1 AND t.revoked_at IS NULL AND NOT t.console
				        AND t.expires_at > now()) AS has_open,
				EXISTS (SELECT 1 FROM tokens t WHERE t.user_id = $1 AND t.last_used_at IS NOT NULL) AS ever_used) f
		LEFT JOIN LATERAL (
			SELECT t.id, t.name, t.hint, t.environment, t.expires_at
			FROM tokens t
			WHERE t.user_id = $1 AND t.revoked_at IS NULL AND NOT t.console AND t.expires_at > now() AND t.expires_at <= $2
			ORDER BY t.expires_at, t.id
			LIMIT $3) e ON true
		ORDER BY e.expires_at, e.id`, userID, before, limit)
	if err != nil {
		return OwnTokens{}, fmt.Errorf("token summary of user %d: %w", userID, err)
	}
	var out OwnTokens
	for _, r := range rows {
		out.HasOpen, out.EverUsed = r.HasOpen, r.EverUsed
		if r.ID != nil {
			out.Expiring = append(out.Expiring, SoonExpiringToken{ID: *r.ID, Name: *r.Name, Hint: *r.Hint, Environment: *r.Environment, ExpiresAt: *r.ExpiresAt})
		}
	}
	return out, nil
}

// TeamlessMember is an active member of a partner who is in no team.
type TeamlessMember struct {
	ID    int64  `db:"id"`
	Name  string `db:"name"`
	Email string `db:"email"`
}

// MembersWithoutTeam returns up to limit of the partner's active members
// who belong to no team, by name: read in name order from
// users_partner_name, each checked against team_memberships_user, so it
// stops after limit such members. Reading limit+1 tells the caller to say
// "limit+" rather than count a big partner.
func (s *Store) MembersWithoutTeam(ctx context.Context, partnerID int64, limit int) ([]TeamlessMember, error) {
	var ms []TeamlessMember
	err := s.q.SelectContext(ctx, &ms, `
		SELECT u.id, u.name, u.email
		FROM users u
		WHERE u.partner_id = $1 AND u.status = 'active'
		  AND NOT EXISTS (SELECT 1 FROM team_memberships tm WHERE tm.user_id = u.id)
		ORDER BY lower(u.name), u.id
		LIMIT $2`, partnerID, limit)
	if err != nil {
		return nil, fmt.Errorf("members without team of partner %d: %w", partnerID, err)
	}
	return ms, nil
}

// RecentGrants returns the newest limit open grants of every partner (of
// an account manager's, book: access.Actor.Book; 0 for every partner),
// newest first (by id, from the primary key: grants are numbered in the
// order they are made). The names come from scalar subqueries on the few
// rows chosen: a seven-table join costs more to plan (4 ms) than to run.
func (s *Store) RecentGrants(ctx context.Context, book int64, limit int) ([]GrantRow, error) {
	var rs []GrantRow
	err := s.q.SelectContext(ctx, &rs, `
		SELECT gr.id, gr.access_group_id, gr.partner_id, gr.team_id, gr.user_id, gr.granted_at, gr.revoked_at,
			(SELECT g.name FROM access_groups g WHERE g.id = gr.access_group_id) AS group_name,
			(SELECT p.name FROM partners p WHERE p.id = gr.partner_id) AS partner_name,
			(SELECT t.name FROM teams t WHERE t.id = gr.team_id) AS team_name,
			u.name AS user_name, u.email AS user_email, u.status AS user_status,
			(SELECT gb.name FROM users gb WHERE gb.id = gr.granted_by) AS granted_by_name
		FROM (SELECT * FROM grants WHERE revoked_at IS NULL AND `+bookFilter("partner_id", 2)+` ORDER BY id DESC LIMIT $1) gr
		LEFT JOIN LATERAL (SELECT x.name, x.email, x.status FROM users x WHERE x.id = gr.user_id) u ON true
		ORDER BY gr.id DESC`, limit, book)
	if err != nil {
		return nil, fmt.Errorf("recent grants: %w", err)
	}
	return rs, nil
}
