package gateway_test

import (
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/ratelimit"
)

// chainAllocs bounds the allocations of one call through the chain
// (token from the cache, operation match, scope, rate limit, validation,
// audit record queued) around the trivial backend. The aim is 20
// for a whole call; the chain alone takes 5 (the request id, its header,
// the two RateLimit values, the backend's Content-Type). The bound leaves
// room for a deliberate addition and catches a regression such as the
// return of per-call validation (about 15 more).
const chainAllocs = 10

// TestChainAllocations counts (it does not time) the allocations of a
// call: deterministic, unlike a speed goal, which is a benchmark's. Not
// parallel: AllocsPerRun counts the whole process's allocations.
func TestChainAllocations(t *testing.T) {
	// The audit writer is not running, so its batches (on their own
	// goroutine) are not counted; its queue holds every call.
	l := newLimitedWith(t, pgtest.DB(t), 1<<30, nil, ratelimit.NewMemory(), true,
		limitedOptions{writer: calls.WriterConfig{QueueSize: 1 << 16}, stopped: true})
	sbx := l.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	for _, c := range []struct{ name, path, query string }{
		{"list, a default added", "/sandbox/fleet/spreaders", ""},
		{"list with a query", "/sandbox/fleet/spreaders", "status=in_service&limit=10"},
		{"a path parameter", "/sandbox/fleet/spreaders/SPR-0042", ""},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		req.Header.Set("Authorization", "Bearer "+sbx)
		req.RemoteAddr = "192.0.2.1:1234"
		w := &discard{h: map[string][]string{}}
		n := testing.AllocsPerRun(50, func() {
			clear(w.h)
			w.status = 0
			req.URL.RawQuery = c.query // as the client sent it
			l.gw.ServeHTTP(w, req)
		})
		if w.status != 200 {
			t.Fatalf("%s: status %d", c.name, w.status)
		}
		if n > chainAllocs {
			t.Errorf("%s: %v allocations a call, want at most %d", c.name, n, chainAllocs)
		}
	}
}
