package gateway_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/redistest"
	"github.com/portico/portico/internal/store"
)

// listen makes v follow the database's notifications until the test
// ends, as every node does in production.
func listen(t testing.TB, v *credential.Verifier, url string, log *slog.Logger) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		if err := v.Listen(ctx, url, log, ready); err != nil && ctx.Err() == nil {
			t.Errorf("listen: %v", err)
			close(ready)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
}

// ceilingNodes are gateways over one database whose Harbor reaches fleet
// through "Port operations" and telemetry through a second group,
// "Telemetry feed", both generous (1000 a minute): only the partner's
// ceiling can refuse. Each node follows the database's notifications.
func ceilingNodes(t *testing.T, limiters ...ratelimit.Limiter) []*limited {
	t.Helper()
	url := pgtest.URL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var nodes []*limited
	for i, lim := range limiters {
		nodes = append(nodes, newLimitedWith(t, db, 1000, nil, lim, i == 0, limitedOptions{listen: url}))
	}
	st := nodes[0].st
	if _, err := db.Exec(`
		DELETE FROM access_group_apis
		WHERE access_group_id = (SELECT id FROM access_groups WHERE name = 'Port operations')
		  AND api_id = (SELECT id FROM apis WHERE slug = 'telemetry')`); err != nil {
		t.Fatal(err)
	}
	g, err := st.CreateAccessGroup(ctx, "Telemetry feed", "Alarms and series.", 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	tel, err := st.APIBySlug(ctx, "telemetry")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetGroupAPI(ctx, g.ID, tel.ID, []string{"telemetry:read"}); err != nil {
		t.Fatal(err)
	}
	var team, harbor int64
	if err := db.QueryRow(`SELECT t.id, t.partner_id FROM teams t JOIN partners p ON p.id = t.partner_id
		WHERE p.slug = 'harbor-logistics' AND t.name = 'Integrations'`).Scan(&team, &harbor); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Grant(ctx, g.ID, harbor, &team, nil, nil); err != nil {
		t.Fatal(err)
	}
	return nodes
}

// setCeiling sets Harbor's ceiling (nil: none) as the partner page does.
func setCeiling(t *testing.T, st *store.Store, perMinute *int) {
	t.Helper()
	if _, err := st.DB().Exec(`UPDATE partners SET rate_limit_per_minute = $1 WHERE slug = 'harbor-logistics'`, perMinute); err != nil {
		t.Fatal(err)
	}
}

// TestPartnerCeilingAcrossGroups: the partner's ceiling counts the calls
// to every API of every group it is granted, refuses the call over it
// with its own code and a message naming the organisation's ceiling, and
// leaves another partner alone; on one node with the in-process limiter
// and on two nodes sharing Redis alike.
func TestPartnerCeilingAcrossGroups(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		nodes func(t *testing.T) []*limited
	}{
		{"in process", func(t *testing.T) []*limited { return ceilingNodes(t, ratelimit.NewMemory()) }},
		{"two nodes through Redis", func(t *testing.T) []*limited {
			addr := redistest.Start(t)
			client := func() ratelimit.Limiter {
				c, err := ratelimit.NewRedisClient("redis://" + addr)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				return ratelimit.NewRedis(c, 5*time.Second) // see TestSharedLimitThroughRedis
			}
			return ceilingNodes(t, client(), client())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			nodes := tc.nodes(t)
			three := 3
			setCeiling(t, nodes[0].st, &three)
			tok := nodes[0].token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read", "telemetry/telemetry:read").Plaintext
			paths := []string{"/sandbox/fleet/spreaders", "/sandbox/telemetry/alarms", "/sandbox/fleet/spreaders", "/sandbox/telemetry/alarms"}
			var got []string
			var last errorBody
			var lastResp *http.Response
			for i, path := range paths {
				node := nodes[i%len(nodes)]
				resp, e := node.call(t, "GET", path, tok, nil)
				got = append(got, resp.Header.Get("RateLimit-Policy")+" "+remaining(resp)+" "+http.StatusText(resp.StatusCode)+" "+e.Error.Code)
				last, lastResp = e, resp
			}
			want := []string{
				`"partner";q=3;w=60 "partner";r=2 OK `,
				`"partner";q=3;w=60 "partner";r=1 OK `,
				`"partner";q=3;w=60 "partner";r=0 OK `,
				`"partner";q=3;w=60 "partner";r=0 Too Many Requests partner_rate_limited`,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("calls across two groups (-want +got):\n%s", diff)
			}
			if lastResp.Header.Get("Retry-After") == "" {
				t.Error("the refusal has no Retry-After")
			}
			if msg := last.Error.Message; !strings.Contains(msg, "organisation's ceiling is 3 requests per minute") || !strings.Contains(msg, "account manager") {
				t.Errorf("refusal message %q does not name the organisation's ceiling", msg)
			}
			// Crane has no ceiling: its calls follow its group's limit only.
			crane := nodes[0].token(t, "dev@crane.test", "sandbox", "fleet/fleet:read").Plaintext
			resp, _ := nodes[len(nodes)-1].call(t, "GET", "/sandbox/fleet/spreaders", crane, nil)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Policy") != `"Fleet basics";q=1000;w=60` {
				t.Errorf("another partner = %d, RateLimit-Policy %q", resp.StatusCode, resp.Header.Get("RateLimit-Policy"))
			}
		})
	}
}

// TestPartnerCeilingOrder: the limits are checked from the narrowest to
// the widest (the token's own, the group's, the partner's ceiling), so a
// call one refuses spends nothing of the next: an API at its group's
// limit does not use up the ceiling the partner's other APIs share. The
// headers report whichever of the limits that allowed a call has fewest
// calls left.
func TestPartnerCeilingOrder(t *testing.T) {
	t.Parallel()
	l := ceilingNodes(t, ratelimit.NewMemory())[0]
	if _, err := l.st.DB().Exec(`UPDATE access_groups SET rate_limit_per_minute = 3 WHERE name = 'Port operations'`); err != nil {
		t.Fatal(err)
	}
	four := 4
	setCeiling(t, l.st, &four)
	capped := l.limitedToken(t, "dev@harbor.test", 1)
	free := l.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read", "telemetry/telemetry:read").Plaintext
	const fleet, telemetry = "/sandbox/fleet/spreaders", "/sandbox/telemetry/alarms"
	var got []string
	for _, c := range []struct{ tok, path string }{
		{capped, fleet}, {capped, fleet}, {capped, fleet},
		{free, fleet}, {free, fleet}, {free, fleet},
		{free, telemetry}, {free, telemetry},
	} {
		resp, e := l.call(t, "GET", c.path, c.tok, nil)
		got = append(got, resp.Header.Get("RateLimit-Policy")+" "+http.StatusText(resp.StatusCode)+" "+e.Error.Code)
	}
	want := []string{
		// The token's own limit (1) is the closest: it is reported.
		`"token";q=1;w=60 OK `,
		// Refused by the token: nothing of the group or the ceiling spent.
		`"token";q=1;w=60 Too Many Requests token_rate_limited`,
		`"token";q=1;w=60 Too Many Requests token_rate_limited`,
		// The token's allowed call spent one of the group's 3 and of the
		// ceiling's 4; the group (1 left, then 0) stays the closer.
		`"Port operations";q=3;w=60 OK `,
		`"Port operations";q=3;w=60 OK `,
		// Refused by the group before the ceiling is counted.
		`"Port operations";q=3;w=60 Too Many Requests rate_limited`,
		// So the ceiling has one call left for another API, then refuses.
		`"partner";q=4;w=60 OK `,
		`"partner";q=4;w=60 Too Many Requests partner_rate_limited`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestPartnerCeilingChangeWithoutRestart: setting, lowering and removing
// a ceiling in the database reaches the running gateway through its
// notification, without a restart and before the verifier cache's TTL.
func TestPartnerCeilingChangeWithoutRestart(t *testing.T) {
	t.Parallel()
	l := ceilingNodes(t, ratelimit.NewMemory())[0]
	tok := l.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read", "telemetry/telemetry:read").Plaintext
	// Cached without a ceiling: the group's limit is reported.
	if resp, _ := l.call(t, "GET", "/sandbox/fleet/spreaders", tok, nil); resp.Header.Get("RateLimit-Policy") != `"Port operations";q=1000;w=60` {
		t.Fatalf("before: RateLimit-Policy %q", resp.Header.Get("RateLimit-Policy"))
	}
	two := 2
	setCeiling(t, l.st, &two)
	// Calls until the node has the ceiling count against the groups only;
	// the first that sees it is the ceiling's first.
	waitFor(t, l, tok, func(r *http.Response) bool { return r.Header.Get("RateLimit-Policy") == `"partner";q=2;w=60` })
	var got []int
	for _, path := range []string{"/sandbox/telemetry/alarms", "/sandbox/fleet/spreaders"} {
		resp, _ := l.call(t, "GET", path, tok, nil)
		got = append(got, resp.StatusCode)
	}
	if diff := cmp.Diff([]int{200, 429}, got); diff != "" {
		t.Errorf("under a ceiling of 2 (-want +got):\n%s", diff)
	}
	setCeiling(t, l.st, nil)
	resp := waitFor(t, l, tok, func(r *http.Response) bool { return r.StatusCode == http.StatusOK })
	if p := resp.Header.Get("RateLimit-Policy"); p != `"Port operations";q=1000;w=60` {
		t.Errorf("after removing the ceiling: RateLimit-Policy %q", p)
	}
}

// remaining is the RateLimit header without its reset time, which
// depends on how fast the machine is.
func remaining(resp *http.Response) string {
	v, _, _ := strings.Cut(resp.Header.Get("RateLimit"), ";t=")
	return v
}

// waitFor calls the fleet API with tok until ok answers true of a
// response (at most 5 s: the notification takes milliseconds, the cache's
// TTL a minute) and returns that response.
func waitFor(t *testing.T, l *limited, tok string, ok func(*http.Response) bool) *http.Response {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, _ := l.call(t, "GET", "/sandbox/fleet/spreaders", tok, nil)
		if ok(resp) {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("no change seen within 5 s: last answer %d, RateLimit-Policy %q", resp.StatusCode, resp.Header.Get("RateLimit-Policy"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkChainPartnerCeiling is BenchmarkChain with the partner's
// ceiling set: one more limiter check per call.
func BenchmarkChainPartnerCeiling(b *testing.B) {
	l := newLimited(b, 1<<30, nil)
	// The highest ceiling the portal accepts: a burst the loop never uses up.
	if _, err := l.st.DB().Exec(`UPDATE partners SET rate_limit_per_minute = 1000000`); err != nil {
		b.Fatal(err)
	}
	benchChain(b, l, l.token(b, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext)
}
