package oauth

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/store"
)

// Throttle policy of failed authentication at the OAuth endpoints (a
// client at /oauth/token or /oauth/revoke, a resource server at
// /oauth/introspect or /oauth/revoke). Failures are counted in fixed
// windows per public id (well-formed ones, existing or not) and per
// client address (an IPv6 caller's /64); once either budget is spent,
// every request with that id or from that address is answered 429 with
// Retry-After until its window ends, without its secret being checked,
// so it cannot be guessed faster. A right secret costs nothing.
//
// The budgets are read without locks first (store.PeekAttemptCounters): a
// flood of requests past a budget costs reads, never writes or row locks.
// A failure is counted with store.CountAttempt, an atomic upsert, so
// concurrent failures are all counted; at most the requests already past
// the check when the budget runs out still get their invalid_client.
const (
	ThrottleWindow    = 5 * time.Minute
	MaxClientFailures = 10
	MaxIPFailures     = 30
)

// throttleKeys are the counters a request is charged to; "" is none.
type throttleKeys struct{ id, ip string }

func keysFor(id string, idOK bool, ip string) throttleKeys {
	k := throttleKeys{}
	if idOK {
		k.id = id
	}
	if ip != "" {
		k.ip = auth.AddressKey(ip)
	}
	return k
}

// throttled returns the refusal of a request whose id or address spent
// its budget, or nil.
func (s *Server) throttled(ctx context.Context, k throttleKeys, now time.Time) error {
	var keys []store.CounterKey
	if k.id != "" {
		keys = append(keys, store.CounterKey{Kind: store.CounterOAuthClient, Key: k.id})
	}
	if k.ip != "" {
		keys = append(keys, store.CounterKey{Kind: store.CounterOAuthIP, Key: k.ip})
	}
	if len(keys) == 0 {
		return nil
	}
	counters, err := s.store.PeekAttemptCounters(ctx, keys...)
	if err != nil {
		return err
	}
	var wait time.Duration
	for _, c := range counters {
		limit := MaxIPFailures
		if c.Kind == store.CounterOAuthClient {
			limit = MaxClientFailures
		}
		if end := c.WindowStart.Add(ThrottleWindow); c.Count >= limit && now.Before(end) {
			wait = max(wait, end.Sub(now))
		}
	}
	if wait == 0 {
		return nil
	}
	secs := int((wait + time.Second - 1) / time.Second)
	return &Error{Code: CodeTemporarilyUnavailable, Status: http.StatusTooManyRequests, RetryAfter: time.Duration(secs) * time.Second,
		Description: "Too many failed authentications with this client id or from this address; try again in " + strconv.Itoa(secs) + " seconds."}
}

// fail counts a failed authentication against both budgets, in one
// transaction (id first, then address: always in that order, so two
// requests never wait on each other in a cycle).
func (s *Server) fail(ctx context.Context, k throttleKeys, now time.Time) error {
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if k.id != "" {
			if _, _, err := tx.CountAttempt(ctx, store.CounterOAuthClient, k.id, ThrottleWindow, now); err != nil {
				return err
			}
		}
		if k.ip != "" {
			if _, _, err := tx.CountAttempt(ctx, store.CounterOAuthIP, k.ip, ThrottleWindow, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("count failed OAuth authentication: %w", err)
	}
	// Expired counters go in passing; a failure here changes no answer.
	_ = s.store.PruneAttemptCounters(ctx)
	return nil
}
