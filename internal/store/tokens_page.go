package store

import (
	"context"
	"fmt"
	"slices"
)

// The status filters of the token lists. Open tokens work or will once
// approved (not revoked, not expired; pending ones included); pending ones
// wait for a partner admin's approval; expired and revoked ones work no
// more; all is every token. A row's own status is Token.Status.
const (
	TokensOpen    = "open"
	TokensPending = "pending"
	TokensExpired = "expired"
	TokensRevoked = "revoked"
	TokensAll     = "all"
)

// TokenStatuses are the filters in the order lists offer them; the first
// is the default.
var TokenStatuses = []string{TokensOpen, TokensPending, TokensExpired, TokensRevoked, TokensAll}

// ValidTokenStatus reports whether s is one of TokenStatuses.
func ValidTokenStatus(s string) bool { return slices.Contains(TokenStatuses, s) }

// tokenStatusWhere is each filter's condition. Each one is implied by the
// predicate of the partial index that serves it (migrations 00017 and
// 00019), so it is spelled out here rather than switched by a parameter.
var tokenStatusWhere = map[string]string{ // #nosec G101 -- SQL conditions, no credential
	TokensOpen:    `t.revoked_at IS NULL AND t.expires_at > now()`,
	TokensPending: `t.pending AND t.revoked_at IS NULL AND t.expires_at > now()`,
	TokensExpired: `t.revoked_at IS NULL AND t.expires_at <= now()`,
	TokensRevoked: `t.revoked_at IS NOT NULL`,
	TokensAll:     `true`,
}

// The type filters of the token lists: personal access tokens only, or
// OAuth clients only (rows with a client id); empty is both.
const (
	TokenTypeTokens  = "tokens"
	TokenTypeClients = "clients"
)

// TokenTypes are the type filters in the order lists offer them, after
// "both" ("").
var TokenTypes = []string{TokenTypeTokens, TokenTypeClients}

// ValidTokenType reports whether s is empty or one of TokenTypes.
func ValidTokenType(s string) bool { return s == "" || slices.Contains(TokenTypes, s) }

// tokenTypeWhere is each type filter's condition; the clients one is the
// predicate of tokens_partner_clients (migration 00029).
var tokenTypeWhere = map[string]string{ // #nosec G101 -- SQL conditions, no credential
	"":               ``,
	TokenTypeTokens:  ` AND t.client_id IS NULL`,
	TokenTypeClients: ` AND t.client_id IS NOT NULL`,
}

// TokenQuery selects a page of a token list: ListQuery's Search matches
// the token's name (on a partner's list also its owner's name or email).
type TokenQuery struct {
	ListQuery
	// Status is one of TokenStatuses; empty is TokensOpen.
	Status string
	// Type is one of TokenTypes; empty lists tokens and clients.
	Type string
}

// Key is the token's place in the token lists, newest first: TimeKey of
// its creation time and id.
func (t Token) Key() Key { return TimeKey(t.CreatedAt, t.ID) }

// UserTokensPage lists one page of a user's own tokens, newest first,
// with the filter and search of q; more says whether rows follow. Console
// tokens are never listed.
func (s *Store) UserTokensPage(ctx context.Context, userID int64, q TokenQuery) ([]Token, bool, error) {
	ts, more, err := s.tokensPage(ctx, "t.user_id", userID, false, q)
	if err != nil {
		return nil, false, fmt.Errorf("tokens page of user %d: %w", userID, err)
	}
	return ts, more, nil
}

// PartnerTokensPage lists one page of every token of a partner, newest
// first, with the filter and search of q (which also matches the owner's
// name or email); more says whether rows follow. Console tokens are never
// listed.
func (s *Store) PartnerTokensPage(ctx context.Context, partnerID int64, q TokenQuery) ([]Token, bool, error) {
	ts, more, err := s.tokensPage(ctx, "t.partner_id", partnerID, true, q)
	if err != nil {
		return nil, false, fmt.Errorf("tokens page of partner %d: %w", partnerID, err)
	}
	return ts, more, nil
}

// tokensPage reads limit+1 rows of the tokens whose column owner (a
// constant of the two callers) is id, from the index of q's filter in its
// order, after q.After; byOwner (a partner's list) lets the search match
// the owner too. Whether $3 is NULL, $5 empty and $6 true is constant for
// a given call: the unnamed statement is planned with its values, so the
// unused conditions fold away and the index range scan stays.
func (s *Store) tokensPage(ctx context.Context, owner string, id int64, byOwner bool, q TokenQuery) ([]Token, bool, error) {
	status := q.Status
	if status == "" {
		status = TokensOpen
	}
	where, ok := tokenStatusWhere[status]
	if !ok {
		return nil, false, fmt.Errorf("unknown token status %q", q.Status)
	}
	typeWhere, ok := tokenTypeWhere[q.Type]
	if !ok {
		return nil, false, fmt.Errorf("unknown token type %q", q.Type)
	}
	where += typeWhere
	limit := pageLimit(q.Limit)
	afterAt, afterID := after(q.After)
	var ts []Token
	err := s.q.SelectContext(ctx, &ts, tokensPageSQL(owner, where), id, limit+1, afterAt, afterID, searchPattern(q.Search), byOwner)
	if err != nil {
		return nil, false, err
	}
	ts, more := cut(ts, limit)
	return ts, more, nil
}

// tokensPageSQL is the query of tokensPage for the owner column and the
// filter's condition. The page's rows are chosen from tokens alone, their
// owners joined after: a search by owner reads the partner's people once
// (a hashed subplan), not once per token.
func tokensPageSQL(owner, where string) string {
	return `
		SELECT ` + tokenColumns + `
		FROM (
			SELECT t.* FROM tokens t
			WHERE ` + owner + ` = $1 AND NOT t.console AND ` + where + `
			  AND ($3::timestamptz IS NULL OR (t.created_at, t.id) < ($3::timestamptz, $4::bigint))
			  AND ($5 = '' OR t.name ILIKE '%' || $5 || '%' ESCAPE '\'
			       OR ($6 AND t.user_id IN (
			           SELECT o.id FROM users o
			           WHERE o.partner_id = $1 AND (o.name ILIKE '%' || $5 || '%' ESCAPE '\' OR o.email ILIKE '%' || $5 || '%' ESCAPE '\'))))
			ORDER BY t.created_at DESC, t.id DESC
			LIMIT $2
		) t JOIN users u ON u.id = t.user_id
		ORDER BY t.created_at DESC, t.id DESC`
}

// PendingCountLimit bounds the count of tokens waiting for approval: past
// it a list says "1000+".
const PendingCountLimit = 1000

// CountPendingTokens is how many of the partner's tokens wait for
// approval, up to PendingCountLimit+1, read from tokens_partner_pending:
// it costs at most that many index entries, never the partner's list.
func (s *Store) CountPendingTokens(ctx context.Context, partnerID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `
		SELECT count(*) FROM (
			SELECT 1 FROM tokens t
			WHERE t.partner_id = $1 AND t.pending AND t.revoked_at IS NULL AND NOT t.console AND t.expires_at > now()
			LIMIT $2
		) p`, partnerID, PendingCountLimit+1)
	if err != nil {
		return 0, fmt.Errorf("count pending tokens of partner %d: %w", partnerID, err)
	}
	return n, nil
}
