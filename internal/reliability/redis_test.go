package reliability

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/redistest"
)

// Redis stopped under three nodes sharing their limits through it: the
// documented failure modes (README: PORTICO_RATELIMIT_FAILURE). Nodes 1
// and 2 run the default, open: they serve calls unchecked, beyond the
// limit, and log the outage. Node 3 runs closed: it answers 503 with
// Retry-After. No node answers 500. When Redis is back (empty, as after a
// crash) every node checks the limit in it again on its own, and the
// limit holds across them again.
func TestRedisStopped(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts three portico processes")
	}
	redis := redistest.StartServer(t)
	f := newFleet(t, pgtest.URL(t), func(i int) []string {
		env := []string{"REDIS_URL=redis://" + redis.Addr, patientRedis}
		if i == 2 {
			env = append(env, "PORTICO_RATELIMIT_FAILURE=closed")
		}
		return env
	})
	const perMinute = 30
	policy := fmt.Sprintf(`"token";q=%d;w=60`, perMinute)
	tok := f.token(t, f.dev, perMinute, "fleet/fleet:read").Plaintext
	within := func(phase string, accepted int, since time.Duration) {
		t.Helper()
		allowed := perMinute + int(since.Seconds()*perMinute/60)
		if lo, hi := int(math.Floor(0.9*perMinute)), int(math.Ceil(1.1*float64(allowed))); accepted < lo || accepted > hi {
			t.Errorf("%s: %d calls accepted, want %d to %d (the limit, %d/min, within 10 %%)", phase, accepted, lo, hi, perMinute)
		}
	}
	accepted, _, took := burst(t, f, tok, 3*perMinute, policy, nil)
	within("Redis up", accepted, took)

	redis.Stop()
	const calls = 30 // with the limit used up: any call served is unchecked
	tally := map[int]map[string]int{}
	var slowest time.Duration
	for n := range calls {
		i := n % 3
		a := f.call(i, http.MethodGet, "/live/fleet/spreaders", tok, newID("redis-"))
		slowest = max(slowest, a.took)
		got := fmt.Sprint(a.status, " ", a.code)
		switch {
		case a.err != nil || a.cut != nil:
			t.Fatalf("node %d while Redis is down: %v %v", i+1, a.err, a.cut)
		case i < 2 && a.status == http.StatusOK && a.header.Get("RateLimit-Policy") != "" && a.header.Get("RateLimit") == "":
			// The policy, but not what is left of it: unknown.
			got = "200 unchecked"
		case i == 2 && a.status == http.StatusServiceUnavailable && a.code == "unavailable" && a.header.Get("Retry-After") != "":
			got = "503 unavailable, Retry-After"
		default:
			t.Errorf("node %d (fail %s) answered %d %s, RateLimit-Policy %q, RateLimit %q, Retry-After %q while Redis is down",
				i+1, map[bool]string{true: "open", false: "closed"}[i < 2], a.status, a.code, a.header.Get("RateLimit-Policy"), a.header.Get("RateLimit"), a.header.Get("Retry-After"))
		}
		if tally[i+1] == nil {
			tally[i+1] = map[string]int{}
		}
		tally[i+1][got]++
	}
	t.Logf("%d calls with the limit used up, while Redis was down, by node: %v; slowest %s", calls, tally, slowest.Round(time.Millisecond))
	for i, n := range f.nodes {
		want := "rate limit backend unavailable: allowing calls unchecked"
		if i == 2 {
			want = "rate limit backend unavailable: refusing calls with 503"
		}
		if !n.logged(want) {
			t.Errorf("node %d did not log %q", i+1, want)
		}
	}

	if err := redis.Restart(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	counted := 0 // calls Redis counted since it came back
	recovered := waitFor(t, 15*time.Second, "every node checking limits in Redis again", func() error {
		for i := range f.nodes {
			a := f.call(i, http.MethodGet, "/live/fleet/spreaders", tok, newID("redis-"))
			if a.header.Get("RateLimit") == "" {
				return fmt.Errorf("node %d answered %d %s without a RateLimit header", i+1, a.status, a.code)
			}
			if a.status == http.StatusOK {
				counted++
			}
		}
		return nil
	})
	for i, n := range f.nodes {
		if !n.logged("rate limit backend is answering again") {
			t.Errorf("node %d did not log that Redis is back", i+1)
		}
	}
	accepted, _, _ = burst(t, f, tok, 3*perMinute, policy, nil)
	within("Redis back", counted+accepted, time.Since(back))
	t.Logf("Redis restarted: every node checked limits in it again %s later; %d calls accepted of the limit's %d since", recovered.Round(time.Millisecond), counted+accepted, perMinute)
}
