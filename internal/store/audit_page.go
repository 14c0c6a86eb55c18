package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// AuditScope says whose events an audit page may show. The handler sets
// it from the policy's answer for the signed-in user, never from the
// request.
type AuditScope struct {
	// All shows every event, the provider's own included (platform
	// admins). Otherwise PartnerID, when set, is one partner's trail, and
	// Partners every partner's trail without the provider's own events
	// (account managers: bounded by Book to their own partners).
	All       bool
	Partners  bool
	PartnerID int64
	// UserID, when set (with PartnerID), narrows the trail to what the
	// user did and what was done to them or their tokens (developers).
	UserID int64
	// Book, when set, bounds a staff member's trail to the partners of
	// the account manager with this user id (access.Actor.Book); 0 for a
	// platform admin and for partner users.
	Book int64
}

// scopeArgs are the two query arguments ($9 and $10) of the audit trail's
// and the calls' scope sc: the partner (0 for every one) and "partners
// only" for the trail of a partner, of every partner or of everything;
// the partner and the user for a developer's own trail (own). ok is false
// for no scope at all.
func scopeArgs(sc AuditScope) (arg9, arg10 any, own, ok bool) {
	switch {
	case sc.All:
		return int64(0), false, false, true
	case sc.Partners || (sc.PartnerID != 0 && sc.UserID == 0):
		return sc.PartnerID, sc.Partners, false, true
	case sc.PartnerID != 0:
		return sc.PartnerID, sc.UserID, true, true
	}
	return nil, nil, false, false
}

// timeRange is a time range as the two query arguments of a trail: nil
// for a zero (open) bound.
func timeRange(since, until time.Time) (*time.Time, *time.Time) {
	var s, u *time.Time
	if !since.IsZero() {
		s = &since
	}
	if !until.IsZero() {
		u = &until
	}
	return s, u
}

// AuditQuery selects a page of audit events, newest first.
type AuditQuery struct {
	Scope AuditScope
	// Actions keeps events whose action starts with one of these prefixes
	// ("token." for every token event); empty keeps every action.
	Actions []string
	// ActorID keeps what one person did; 0 keeps everyone.
	ActorID int64
	// RequestID keeps the events of one request.
	RequestID string
	// TokenID keeps what was done to one token; 0 keeps all.
	TokenID int64
	// Since and Until bound the time (Until excluded); zero is open.
	Since, Until time.Time
	// After is the key of the last row of the previous page (a TimeKey).
	After *Key
	Limit int
	// Bulk allows pages of up to MaxBulkPage rows, for exports.
	Bulk bool
}

// AuditRow is an audit event with the actor's current name.
type AuditRow struct {
	AuditEvent
	// ActorName is the actor's name now, empty when they were removed
	// (Actor keeps the email they had).
	ActorName string `db:"actor_name"`
	// ActorPartnerID is the actor's partner; nil for staff and the portal.
	ActorPartnerID *int64 `db:"actor_partner_id"`
	// PartnerName is the name of the event's partner now, empty for the
	// provider's own events.
	PartnerName string `db:"partner_name"`
}

// Key is the row's place in the trail.
func (r AuditRow) Key() Key { return TimeKey(r.At, r.ID) }

// AuditEventsPage lists one page of the audit trail in the scope, newest
// first, and whether older rows follow. Each scope reads an index in the
// trail's order (migration 00022), so a page costs its own rows; a
// developer's trail is the union of three such reads.
func (s *Store) AuditEventsPage(ctx context.Context, q AuditQuery) ([]AuditRow, bool, error) {
	limit := pageLimit(q.Limit)
	if q.Bulk {
		limit = min(max(q.Limit, 1), MaxBulkPage)
	}
	afterAt, afterID := after(q.After)
	since, until := timeRange(q.Since, q.Until)
	// $1 limit+1, $2/$3 the keyset, $4 actions, $5 actor, $6 request id,
	// $7/$8 the time range, $9 partner, $10 user, $11 the token, $12 the
	// account manager's book. Every condition is constant per call, so
	// the plan keeps only what applies.
	filters := `
		  AND ($2::timestamptz IS NULL OR (e.at, e.id) < ($2::timestamptz, $3::bigint))
		  AND (coalesce(cardinality($4::text[]), 0) = 0 OR EXISTS (SELECT 1 FROM unnest($4::text[]) p WHERE left(e.action, length(p)) = p))
		  AND ($5::bigint = 0 OR e.actor_id = $5)
		  AND ($6 = '' OR e.request_id = $6)
		  AND ($7::timestamptz IS NULL OR e.at >= $7)
		  AND ($8::timestamptz IS NULL OR e.at < $8)
		  AND ($11::bigint = 0 OR (e.target_type = 'token' AND e.target_id = $11))
		  AND ` + bookFilter("e.partner_id", 12)
	arg9, arg10, own, ok := scopeArgs(q.Scope)
	var with, where string
	switch {
	case !ok:
		return nil, false, fmt.Errorf("audit page: no scope")
	case !own && len(q.Actions) > 0:
		// A kind of action: one index read in the trail's order per
		// distinct action of the kind (found by skipping through the
		// action index, a probe each), merged. Filtering the whole trail
		// row by row for a rare kind read a million rows.
		with = `WITH RECURSIVE acts(prefix, action) AS (
			SELECT p, (SELECT a.action FROM audit_events a WHERE a.action >= p ORDER BY a.action LIMIT 1) FROM unnest($4::text[]) p
			UNION ALL
			SELECT prefix, (SELECT a.action FROM audit_events a WHERE a.action > acts.action ORDER BY a.action LIMIT 1)
			FROM acts WHERE left(acts.action, length(acts.prefix)) = acts.prefix)`
		where = `WHERE e.id IN (
			SELECT x.id FROM acts CROSS JOIN LATERAL (
				SELECT e.id FROM audit_events e
				WHERE e.action = acts.action AND ($9::bigint = 0 OR e.partner_id = $9) AND (NOT $10::boolean OR e.partner_id IS NOT NULL)` + filters + `
				ORDER BY e.at DESC, e.id DESC LIMIT $1) x
			WHERE left(acts.action, length(acts.prefix)) = acts.prefix)`
	case !own:
		where = `WHERE ($9::bigint = 0 OR e.partner_id = $9) AND (NOT $10::boolean OR e.partner_id IS NOT NULL)` + filters
	default:
		// What the user did, and what was done to them or their tokens:
		// index reads of at most a page each (one per token of theirs:
		// an IN list of tokens made the planner scan the whole trail),
		// merged.
		where = `WHERE e.id IN (
			(SELECT e.id FROM audit_events e WHERE e.actor_id = $10 AND e.partner_id = $9` + filters + `
			 ORDER BY e.at DESC, e.id DESC LIMIT $1)
			UNION ALL
			(SELECT x.id FROM tokens t CROSS JOIN LATERAL (
				SELECT e.id, e.at FROM audit_events e
				WHERE e.target_type = 'token' AND e.target_id = t.id AND e.partner_id = $9` + filters + `
				ORDER BY e.at DESC, e.id DESC LIMIT $1) x
			 WHERE t.user_id = $10 AND t.partner_id = $9
			 ORDER BY x.at DESC, x.id DESC LIMIT $1)
			UNION ALL
			(SELECT e.id FROM audit_events e WHERE e.target_type = 'user' AND e.target_id = $10` + filters + `
			 ORDER BY e.at DESC, e.id DESC LIMIT $1))`
	}
	var rs []AuditRow
	err := s.q.SelectContext(ctx, &rs, with+`
		SELECT e.id, e.at, e.actor_id, e.actor, e.partner_id, e.action, e.target_type, e.target_id, e.target,
		       e.details, host(e.ip) AS ip, e.request_id, coalesce(u.name, '') AS actor_name, u.partner_id AS actor_partner_id,
		       coalesce(p.name, '') AS partner_name
		FROM audit_events e
		LEFT JOIN users u ON u.id = e.actor_id
		LEFT JOIN partners p ON p.id = e.partner_id
		`+where+`
		ORDER BY e.at DESC, e.id DESC
		LIMIT $1`, limit+1, afterAt, afterID, pq.Array(q.Actions), q.ActorID, q.RequestID, since, until, arg9, arg10, q.TokenID, q.Scope.Book)
	if err != nil {
		return nil, false, fmt.Errorf("audit page: %w", err)
	}
	rs, more := cut(rs, limit)
	return rs, more, nil
}

// AuditActorID finds the person an audit trail's person filter names by
// email: the active user, or else the most recently removed one, of the
// scope's partner (none: anyone; with a Book, a partner of the book), or
// of the provider's staff, whose actions show in a partner's trail too.
// ErrNotFound when there is none.
func (s *Store) AuditActorID(ctx context.Context, email string, sc AuditScope) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `
		SELECT id FROM users
		WHERE email = $1 AND (partner_id IS NULL OR (($2 = 0 OR partner_id = $2) AND `+bookFilter("partner_id", 3)+`))
		ORDER BY status = 'active' DESC, id DESC
		LIMIT 1`, NormalizeEmail(email), sc.PartnerID, sc.Book)
	if err != nil {
		return 0, fmt.Errorf("audit actor %q: %w", email, notFound(err))
	}
	return id, nil
}
