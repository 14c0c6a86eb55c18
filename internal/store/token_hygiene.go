package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// HygieneToken is an open credential (a token or an OAuth client, not
// revoked, not expired) with the hygiene flags the database can tell:
//   - NeverUsed: approved, created over 7 days ago and never used;
//   - Idle: last used over 30 days ago;
//   - Expiring: expires within 14 days;
//   - OwnerInactive: its owner's account is no longer active.
type HygieneToken struct {
	Token
	NeverUsed     bool `db:"never_used"`
	Idle          bool `db:"idle"`
	Expiring      bool `db:"expiring"`
	OwnerInactive bool `db:"owner_inactive"`
}

// hygieneFlags are the flags as columns of a page's rows;
// hygieneAttentionIDs finds the same credentials by index (a test checks
// the page's "needs attention" view lists exactly the flagged ones).
const (
	hygieneNeverUsed = `(t.last_used_at IS NULL AND NOT t.pending AND t.created_at < now() - interval '7 days')`
	hygieneIdle      = `(t.last_used_at IS NOT NULL AND t.last_used_at < now() - interval '30 days')`
	hygieneExpiring  = `(t.expires_at < now() + interval '14 days')`
	hygieneOwner     = `(u.status <> 'active')`
	hygieneFlags     = hygieneNeverUsed + ` AS never_used, ` + hygieneIdle + ` AS idle, ` + hygieneExpiring + ` AS expiring, ` + hygieneOwner + ` AS owner_inactive`
	// hygieneAttentionIDs are the ids of partner $1's open credentials
	// that need attention, one arm per flag, each read from its partial
	// index (migration 00033) or, for owners no longer active, from the
	// partner's few such people: the cost follows the flagged credentials,
	// not the partner's 100 000 healthy ones.
	hygieneAttentionIDs = `
		SELECT t.id FROM tokens t
		WHERE t.partner_id = $1 AND t.last_used_at IS NULL AND t.revoked_at IS NULL AND NOT t.console
		  AND NOT t.pending AND t.created_at < now() - interval '7 days' AND t.expires_at > now()
		UNION
		SELECT t.id FROM tokens t
		WHERE t.partner_id = $1 AND t.revoked_at IS NULL AND NOT t.console
		  AND t.last_used_at < now() - interval '30 days' AND t.expires_at > now()
		UNION
		SELECT t.id FROM tokens t
		WHERE t.partner_id = $1 AND t.revoked_at IS NULL AND NOT t.console
		  AND t.expires_at > now() AND t.expires_at < now() + interval '14 days'
		UNION
		SELECT t.id FROM users u JOIN tokens t ON t.user_id = u.id
		WHERE u.partner_id = $1 AND u.status <> 'active' AND t.partner_id = $1 AND t.revoked_at IS NULL AND NOT t.console
		  AND t.expires_at > now()`
)

// HygienePage lists one page of a partner's open credentials, newest
// first after from (nil: the first page), each with its flags; attention
// keeps only those with a flag.
// more says whether rows follow. Read from tokens_partner_open in its
// order; console tokens are never listed.
func (s *Store) HygienePage(ctx context.Context, partnerID int64, attention bool, from *Key, limit int) ([]HygieneToken, bool, error) {
	limit = pageLimit(limit)
	afterAt, afterID := after(from)
	var ts []HygieneToken
	err := s.q.SelectContext(ctx, &ts, `
		SELECT `+tokenColumns+`, `+hygieneFlags+`
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.partner_id = $1 AND NOT t.console AND t.revoked_at IS NULL AND t.expires_at > now()
		  AND ($3::timestamptz IS NULL OR (t.created_at, t.id) < ($3::timestamptz, $4::bigint))
		  AND (NOT $5 OR t.id IN (`+hygieneAttentionIDs+`))
		ORDER BY t.created_at DESC, t.id DESC
		LIMIT $2`, partnerID, limit+1, afterAt, afterID, attention)
	if err != nil {
		return nil, false, fmt.Errorf("hygiene page of partner %d: %w", partnerID, err)
	}
	ts, more := cut(ts, limit)
	return ts, more, nil
}

// HygieneCountLimit bounds the hygiene counts: past it a page says
// "1,000+", and a partner with 100 000 tokens does not cost a full scan on
// every home page.
const HygieneCountLimit = 1000

// HygieneCounts counts a partner's open credentials and those that need
// attention, each up to HygieneCountLimit+1, read from tokens_partner_open.
func (s *Store) HygieneCounts(ctx context.Context, partnerID int64) (total, attention int, err error) {
	var r struct {
		Total     int `db:"total"`
		Attention int `db:"attention"`
	}
	err = s.q.GetContext(ctx, &r, `
		SELECT
		  (SELECT count(*) FROM (
		     SELECT 1 FROM tokens t
		     WHERE t.partner_id = $1 AND NOT t.console AND t.revoked_at IS NULL AND t.expires_at > now()
		     LIMIT $2) x) AS total,
		  (SELECT count(*) FROM (`+hygieneAttentionIDs+` LIMIT $2) y) AS attention`, partnerID, HygieneCountLimit+1)
	if err != nil {
		return 0, 0, fmt.Errorf("hygiene counts of partner %d: %w", partnerID, err)
	}
	return r.Total, r.Attention, nil
}

// UsedOperation is an operation a credential called with success or a
// refusal other than for scope, from the hourly usage rollups.
type UsedOperation struct {
	TokenID   int64  `db:"token_id"`
	API       string `db:"api"`
	Operation string `db:"operation"`
}

// OperationsUsed lists the operations each of the credentials called
// since, from the usage rollups (one read of api_usage_hours_token for
// the whole page). Calls refused for scope (403) do not count as use.
func (s *Store) OperationsUsed(ctx context.Context, tokenIDs []int64, since time.Time) ([]UsedOperation, error) {
	if len(tokenIDs) == 0 {
		return nil, nil
	}
	var out []UsedOperation
	err := s.q.SelectContext(ctx, &out, `
		SELECT token_id, api, operation FROM api_usage_hours
		WHERE token_id = ANY($1) AND hour >= $2 AND operation <> ''
		GROUP BY token_id, api, operation
		HAVING sum(calls - c403) > 0`, pq.Array(tokenIDs), since)
	if err != nil {
		return nil, fmt.Errorf("operations used by %d credentials: %w", len(tokenIDs), err)
	}
	return out, nil
}

// SetTokenScopes replaces the scopes of an open token (narrowing it); the
// tokens trigger tells the credential caches. ErrNotFound when it is
// revoked meanwhile.
func (s *Store) SetTokenScopes(ctx context.Context, id int64, scopes []string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE tokens SET scopes = $2 WHERE id = $1 AND revoked_at IS NULL`, id, pq.Array(scopes))
	if err != nil {
		return fmt.Errorf("set scopes of token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set scopes of token %d: %w", id, ErrNotFound)
	}
	return nil
}

// NeverUsedTokens lists up to limit of a partner's open credentials that
// were never used a week after they were created, oldest first.
func (s *Store) NeverUsedTokens(ctx context.Context, partnerID int64, limit int) ([]Token, error) {
	var ts []Token
	err := s.q.SelectContext(ctx, &ts, `
		SELECT `+tokenColumns+`
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.partner_id = $1 AND NOT t.console AND t.revoked_at IS NULL AND t.expires_at > now() AND `+hygieneNeverUsed+`
		ORDER BY t.created_at, t.id
		LIMIT $2`, partnerID, limit)
	if err != nil {
		return nil, fmt.Errorf("never-used tokens of partner %d: %w", partnerID, err)
	}
	return ts, nil
}

// RevokeNeverUsed revokes those of ids that are open credentials of the
// partner still never used, and returns them: one used since the
// confirmation was shown is left alone.
func (s *Store) RevokeNeverUsed(ctx context.Context, partnerID int64, ids []int64, by int64, reason string) ([]Token, error) {
	var ts []Token
	err := s.q.SelectContext(ctx, &ts, `
		WITH done AS (
			UPDATE tokens t SET revoked_at = now(), revoked_by = $3, revoke_reason = $4, previous_hash = NULL, previous_until = NULL
			WHERE t.id = ANY($2) AND t.partner_id = $1 AND NOT t.console AND t.revoked_at IS NULL AND t.expires_at > now()
			  AND `+hygieneNeverUsed+`
			RETURNING t.*)
		SELECT `+tokenColumns+` FROM done t JOIN users u ON u.id = t.user_id ORDER BY t.created_at, t.id`,
		partnerID, pq.Array(ids), by, reason)
	if err != nil {
		return nil, fmt.Errorf("revoke never-used tokens of partner %d: %w", partnerID, err)
	}
	return ts, nil
}

// PartnerHygiene is a partner with its bounded hygiene counts.
type PartnerHygiene struct {
	ID        int64  `db:"id"`
	Name      string `db:"name"`
	Status    string `db:"status"`
	SortName  string `db:"sort_name"`
	Total     int    `db:"total"`
	Attention int    `db:"attention"`
}

// Key is the partner's place in the list, as in the partners list.
func (p PartnerHygiene) Key() Key { return Key{Sort: p.SortName, ID: p.ID} }

// PartnersHygienePage lists one page of partners by name (the partners
// list's order and cursors), each with its open credentials and those
// that need attention, both bounded as in HygieneCounts; search matches
// name or slug; book (access.Actor.Book) keeps an account manager's
// partners only. The counts run per partner of the page only, from the
// same partial indexes.
func (s *Store) PartnersHygienePage(ctx context.Context, q ListQuery, book int64) ([]PartnerHygiene, bool, error) {
	limit := pageLimit(q.Limit)
	afterName, afterID := after(q.After)
	// The attention arms take the partner from the page's row.
	perPartner := strings.ReplaceAll(hygieneAttentionIDs, "$1", "p.id")
	var ps []PartnerHygiene
	err := s.q.SelectContext(ctx, &ps, `
		SELECT p.id, p.name, p.status, p.sort_name,
		       (SELECT count(*) FROM (
		          SELECT 1 FROM tokens t
		          WHERE t.partner_id = p.id AND NOT t.console AND t.revoked_at IS NULL AND t.expires_at > now()
		          LIMIT $5) x) AS total,
		       (SELECT count(*) FROM (`+perPartner+` LIMIT $5) y) AS attention
		FROM (
			SELECT id, name, status, lower(name) AS sort_name FROM partners
			WHERE ($2::text IS NULL OR (lower(name), id) > ($2::text, $3::bigint))
			  AND ($4 = '' OR name ILIKE '%' || $4 || '%' ESCAPE '\' OR slug ILIKE '%' || $4 || '%' ESCAPE '\')
			  AND `+bookFilter("id", 6)+`
			ORDER BY lower(name), id
			LIMIT $1
		) p
		ORDER BY p.sort_name, p.id`, limit+1, afterName, afterID, searchPattern(q.Search), HygieneCountLimit+1, book)
	if err != nil {
		return nil, false, fmt.Errorf("partners hygiene page: %w", err)
	}
	ps, more := cut(ps, limit)
	return ps, more, nil
}
