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
// windows per public id (well-formed ones, existing or not), per public
// id and client address together, and per client address (an IPv6
// caller's /64).
//
// Public ids are not secrets (upstream APIs see a client's id in
// X-Portico-Client-Id and in introspection answers), so a spent id budget
// must not lock the id's owner out: it refuses only the addresses that
// failed with that id in their own window. Another address is still
// authenticated: a right secret gets its answer, a wrong one is counted
// (invalid_client) and from then on that address is refused too. A spent
// address budget refuses everything from the address. Refused requests
// are answered 429 with Retry-After until the refusal ends, without their
// secret being checked, so it cannot be guessed faster. A right secret
// costs nothing.
//
// The counters are read without locks first, all in one read
// (store.PeekAttemptCounters): a flood of requests past a budget costs
// reads, never writes or row locks. A failure is counted with
// store.CountAttempt, an atomic upsert, so concurrent failures are all
// counted; at most the requests already past the check when the budget
// runs out still get their invalid_client.
const (
	ThrottleWindow    = 5 * time.Minute
	MaxClientFailures = 10
	MaxIPFailures     = 30
)

// throttleKeys are the counters a request is charged to; "" is none.
type throttleKeys struct{ id, pair, ip string }

func keysFor(id string, idOK bool, ip string) throttleKeys {
	k := throttleKeys{}
	if ip != "" {
		k.ip = auth.AddressKey(ip)
	}
	if idOK {
		// A public id has no space, so the pair's key is unambiguous;
		// without an address, the callers without one share a pair.
		k.id, k.pair = id, id+" "+k.ip
	}
	return k
}

// throttled returns the refusal of a request whose address spent its
// budget, or whose id spent its budget while its address has failed with
// that id in the pair's window; or nil.
func (s *Server) throttled(ctx context.Context, k throttleKeys, now time.Time) error {
	var keys []store.CounterKey
	if k.id != "" {
		keys = append(keys, store.CounterKey{Kind: store.CounterOAuthClient, Key: k.id},
			store.CounterKey{Kind: store.CounterOAuthClientIP, Key: k.pair})
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
	// left is how long a counter stays at or past limit; 0: not now.
	left := func(c store.AttemptCounter, limit int) time.Duration {
		if end := c.WindowStart.Add(ThrottleWindow); c.Count >= limit && now.Before(end) {
			return end.Sub(now)
		}
		return 0
	}
	var byID, byPair, byIP time.Duration
	for _, c := range counters {
		switch c.Kind {
		case store.CounterOAuthClient:
			byID = left(c, MaxClientFailures)
		case store.CounterOAuthClientIP:
			byPair = left(c, 1)
		case store.CounterOAuthIP:
			byIP = left(c, MaxIPFailures)
		}
	}
	// The id refuses this address until the id's window or the pair's
	// ends, whichever is first.
	wait := max(byIP, min(byID, byPair))
	if wait == 0 {
		return nil
	}
	secs := int((wait + time.Second - 1) / time.Second)
	return &Error{Code: CodeTemporarilyUnavailable, Status: http.StatusTooManyRequests, RetryAfter: time.Duration(secs) * time.Second,
		Description: "Too many failed authentications with this client id or from this address; try again in " + strconv.Itoa(secs) + " seconds."}
}

// fail counts a failed authentication against the id, the id and address
// pair and the address, in one transaction (always in that order, so two
// requests never wait on each other in a cycle).
func (s *Server) fail(ctx context.Context, k throttleKeys, now time.Time) error {
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if k.id != "" {
			if _, _, err := tx.CountAttempt(ctx, store.CounterOAuthClient, k.id, ThrottleWindow, now); err != nil {
				return err
			}
			if _, _, err := tx.CountAttempt(ctx, store.CounterOAuthClientIP, k.pair, ThrottleWindow, now); err != nil {
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
