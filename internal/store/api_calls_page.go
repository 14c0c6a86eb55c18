package store

import (
	"context"
	"fmt"
	"time"
)

// CallRow is one call through the gateway as the audit trail shows it,
// with the names of its token, the token's owner and its partner now.
type CallRow struct {
	At          time.Time `db:"at"`
	PartnerID   *int64    `db:"partner_id"`
	TokenID     *int64    `db:"token_id"`
	API         string    `db:"api"`
	Operation   string    `db:"operation"`
	Environment string    `db:"environment"`
	Method      string    `db:"method"`
	Path        string    `db:"path"`
	Status      int       `db:"status"`
	LatencyUS   int64     `db:"latency_us"`
	ClientIP    *string   `db:"client_ip"`
	RequestID   string    `db:"request_id"`
	TokenName   string    `db:"token_name"`
	TokenHint   string    `db:"token_hint"`
	OwnerName   string    `db:"owner_name"`
	PartnerName string    `db:"partner_name"`
}

// Key is the call's place in the trail: calls have no id, so the key is
// the time in microseconds (ID) and the request id (Sort), newest first.
// Two calls share a key only if they share a request id in the same
// microsecond.
func (r CallRow) Key() Key { return Key{Sort: r.RequestID, ID: r.At.UnixMicro()} }

// CallQuery selects a page of calls, newest first.
type CallQuery struct {
	// Scope is as for the portal events: a developer's trail is the calls
	// made with their tokens.
	Scope AuditScope
	// StatusClass keeps 2xx (2), 4xx (4) or 5xx (5) answers; 0 keeps all.
	StatusClass int
	// API keeps the calls of one API (its slug).
	API       string
	RequestID string
	// TokenID keeps one token's calls; 0 keeps all.
	TokenID int64
	// Since and Until bound the time (Until excluded); zero is open.
	Since, Until time.Time
	// After is the Key of the last row of the previous page.
	After *Key
	Limit int
	// Bulk allows pages of up to MaxBulkPage rows, for exports.
	Bulk bool
}

// CallsPage lists one page of the calls in the scope, newest first, and
// whether older ones follow. A partner's calls read api_calls_partner_at,
// the whole trail api_calls_at, a request id api_calls_request, and a
// developer's one short index read per token of theirs; the time range
// prunes the day partitions.
func (s *Store) CallsPage(ctx context.Context, q CallQuery) ([]CallRow, bool, error) {
	limit := pageLimit(q.Limit)
	if q.Bulk {
		limit = min(max(q.Limit, 1), MaxBulkPage)
	}
	var afterAt *time.Time
	var afterReq string
	if q.After != nil {
		t := time.UnixMicro(q.After.ID)
		afterAt, afterReq = &t, q.After.Sort
	}
	since, until := timeRange(q.Since, q.Until)
	// $1 limit+1, $2/$3 the keyset, $4 status class, $5 API, $6 request
	// id, $7/$8 the time range, $9/$10 the scope, $11 the token, $12 the
	// account manager's book.
	filters := `
		  AND ($11::bigint = 0 OR c.token_id = $11)
		  AND ($2::timestamptz IS NULL OR (c.at, c.request_id) < ($2::timestamptz, $3::text))
		  AND ($4::int = 0 OR c.status / 100 = $4)
		  AND ($5 = '' OR c.api = $5)
		  AND ($6 = '' OR c.request_id = $6)
		  AND ($7::timestamptz IS NULL OR c.at >= $7)
		  AND ($8::timestamptz IS NULL OR c.at < $8)
		  AND ` + bookFilter("c.partner_id", 12)
	arg9, arg10, own, ok := scopeArgs(q.Scope)
	var from string
	switch {
	case !ok:
		return nil, false, fmt.Errorf("calls page: no scope")
	case !own:
		from = `(SELECT c.* FROM api_calls c
			WHERE ($9::bigint = 0 OR c.partner_id = $9) AND (NOT $10::boolean OR c.partner_id IS NOT NULL)` + filters + `
			ORDER BY c.at DESC, c.request_id DESC LIMIT $1) c`
	default:
		from = `(SELECT c.* FROM tokens t CROSS JOIN LATERAL (
				SELECT c.* FROM api_calls c WHERE c.token_id = t.id AND c.partner_id = $9` + filters + `
				ORDER BY c.at DESC, c.request_id DESC LIMIT $1) c
			WHERE t.user_id = $10 AND t.partner_id = $9
			ORDER BY c.at DESC, c.request_id DESC LIMIT $1) c`
	}
	var rs []CallRow
	err := s.q.SelectContext(ctx, &rs, `
		SELECT c.at, c.partner_id, c.token_id, c.api, c.operation, c.environment, c.method, c.path, c.status,
		       c.latency_us, host(c.client_ip) AS client_ip, c.request_id,
		       coalesce(t.name, '') AS token_name, coalesce(t.hint, '') AS token_hint,
		       coalesce(u.name, '') AS owner_name, coalesce(p.name, '') AS partner_name
		FROM `+from+`
		LEFT JOIN tokens t ON t.id = c.token_id
		LEFT JOIN users u ON u.id = t.user_id
		LEFT JOIN partners p ON p.id = c.partner_id
		ORDER BY c.at DESC, c.request_id DESC`,
		limit+1, afterAt, afterReq, q.StatusClass, q.API, q.RequestID, since, until, arg9, arg10, q.TokenID, q.Scope.Book)
	if err != nil {
		return nil, false, fmt.Errorf("calls page: %w", err)
	}
	rs, more := cut(rs, limit)
	return rs, more, nil
}
