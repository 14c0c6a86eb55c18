package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Attempt counter kinds of the OAuth endpoints (internal/oauth's
// throttle of failed client and resource server authentication).
const (
	// CounterOAuthClient counts failed authentications per public id
	// (pcl_… or prs_…), existing or not.
	CounterOAuthClient = "oauth_client"
	// CounterOAuthClientIP counts failed authentications per public id
	// and client address together (key "id address"): once an id's
	// budget is spent, only the addresses that failed with it are refused.
	CounterOAuthClientIP = "oauth_client_ip"
	// CounterOAuthIP counts failed OAuth authentications per client
	// address (auth.AddressKey).
	CounterOAuthIP = "oauth_ip"
)

// CounterKey names one attempt counter.
type CounterKey struct{ Kind, Key string }

// PeekAttemptCounters is PeekAttemptCounter for several counters in one
// read: those that exist, in no particular order. The token endpoint
// checks a client id's, the id and address pair's and the address's
// counters on every request with them.
func (s *Store) PeekAttemptCounters(ctx context.Context, keys ...CounterKey) ([]AttemptCounter, error) {
	kinds, ks := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		kinds[i], ks[i] = k.Kind, k.Key
	}
	var cs []AttemptCounter
	err := s.q.SelectContext(ctx, &cs, `
		SELECT kind, key, window_start, count, blocked_until FROM attempt_counters
		WHERE (kind, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, pq.StringArray(kinds), pq.StringArray(ks))
	if err != nil {
		return nil, fmt.Errorf("peek attempt counters: %w", err)
	}
	return cs, nil
}

// IssueAccessToken stores an access token issued now to the client whose
// tokens row is clientTokenID, living the portal's access-token lifetime
// but not past notAfter (the client's expiry), and returns its expiry:
// the setting is read by the insert itself, one round trip per grant.
func (s *Store) IssueAccessToken(ctx context.Context, clientTokenID int64, hash []byte, scopes []string, now, notAfter time.Time) (time.Time, error) {
	var exp time.Time
	err := s.q.GetContext(ctx, &exp, `
		INSERT INTO oauth_access_tokens (client_token_id, hash, scopes, expires_at)
		SELECT $1, $2, $3, least($4::timestamptz + p.access_token_minutes * interval '1 minute', $5::timestamptz)
		FROM portal_settings p WHERE p.id = 1
		RETURNING expires_at`, clientTokenID, hash, stringArray(scopes), now, notAfter)
	if err != nil {
		return time.Time{}, fmt.Errorf("issue access token to client %d: %w", clientTokenID, err)
	}
	return exp, nil
}
