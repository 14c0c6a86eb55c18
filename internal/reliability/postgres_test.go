package reliability

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgcluster"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// outage is how long PostgreSQL stays stopped: the 5 s.
const outage = 5 * time.Second

// recoveryBound is how long after PostgreSQL is back every node may take
// to serve again what needs the database, on its own.
const recoveryBound = 15 * time.Second

// PostgreSQL stopped for 5 s under load, on three nodes: a token the nodes
// verified before keeps being served from their caches (README, "Several
// nodes and failures"), anything that needs the database answers 503
// (an unknown token never 200, nothing ever 500), the nodes recover on
// their own once it is back, and every call answered 2xx has its audit
// row (the queue holds them through the outage).
func TestPostgresStoppedUnderLoad(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts three portico processes and stops PostgreSQL")
	}
	ctx := context.Background()
	cluster := pgtest.Cluster(t) // our own: the shared one stays up
	f := newFleet(t, migratedDB(t, cluster), nil)
	f.setGroupLimit(t, "Port operations", 100000) // the load is not what is tested
	cached := f.token(t, f.dev, 0, "fleet/fleet:read", "telemetry/telemetry:read", "portal:tokens:read").Plaintext
	fresh := f.token(t, f.dev, 0, "fleet/fleet:read").Plaintext // first shown while the database is down
	unknown, err := token.New(token.KindLive)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.nodes {
		if a := f.call(i, http.MethodGet, "/live/fleet/spreaders", cached, ""); a.status != http.StatusOK {
			t.Fatalf("node %d answers %d %s %v before the outage", i+1, a.status, a.code, a.err)
		}
	}

	var mu sync.Mutex
	var answers []answer
	keep := func(a answer, kind string) {
		a.rid = kind + ":" + a.rid
		mu.Lock()
		answers = append(answers, a)
		mu.Unlock()
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopLoad() // first: the load ends even when the test stops early
	for i := range f.nodes {
		for kind, tok := range map[string]string{"cached": cached, "unknown": unknown} {
			wg.Go(func() {
				for loadCtx.Err() == nil {
					keep(f.call(i, http.MethodGet, "/live/fleet/spreaders", tok, newID("pg-")), kind)
					time.Sleep(5 * time.Millisecond)
				}
			})
		}
	}
	time.Sleep(time.Second)
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	// What only the database can answer: a token no node has seen, an
	// API no node has loaded yet, the management API and readiness.
	// (Only gateway calls are audited in api_calls: the others' request
	// ids do not start with "pg-".)
	probes := []struct{ kind, path, tok, rid string }{
		{"fresh", "/live/fleet/spreaders", fresh, "pg-"},
		{"unloaded API", "/live/telemetry/alarms", cached, "pg-"},
		{"management API", "/api/v1/tokens", cached, "mgmt-"},
		{"readyz", "/readyz", "", "ready-"},
	}
	for i := range f.nodes {
		for _, p := range probes {
			keep(f.call(i, http.MethodGet, p.path, p.tok, newID(p.rid)), p.kind)
		}
	}
	time.Sleep(time.Until(down.Add(outage)))
	upAt := time.Now()
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	recovered := waitFor(t, recoveryBound, "every node serving again after PostgreSQL restarted", func() error {
		for i := range f.nodes {
			for _, p := range probes {
				a := f.call(i, http.MethodGet, p.path, p.tok, newID(p.rid))
				keep(a, p.kind+" after")
				if a.status != http.StatusOK {
					return fmt.Errorf("a %s call to node %d answered %d %s %v", p.kind, i+1, a.status, a.code, a.err)
				}
			}
			if a := f.call(i, http.MethodGet, "/live/fleet/spreaders", unknown, ""); a.status != http.StatusUnauthorized {
				return fmt.Errorf("a call with an unknown token to node %d answered %d %s %v", i+1, a.status, a.code, a.err)
			}
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond)
	stopLoad()
	wg.Wait()

	ok := map[string]bool{}
	tally := map[string]map[int]int{}
	var slowest time.Duration
	for _, a := range answers {
		kind, rid, _ := strings.Cut(a.rid, ":")
		switch {
		case a.err != nil || a.cut != nil:
			t.Errorf("%s call %s to node %d: no whole answer: %v %v", kind, rid, a.node+1, a.err, a.cut)
		case a.status >= 500 && a.status != http.StatusServiceUnavailable:
			t.Errorf("%s call %s to node %d answered %d %s", kind, rid, a.node+1, a.status, a.code)
		case kind == "unknown" && a.status != http.StatusUnauthorized && a.status != http.StatusServiceUnavailable:
			t.Errorf("a call with an unknown token to node %d answered %d %s", a.node+1, a.status, a.code)
		}
		if a.status >= 200 && a.status < 300 && strings.HasPrefix(rid, "pg-") {
			ok[rid] = true
		}
		if !a.sent.After(down) || a.sent.Add(a.took).After(upAt) {
			continue // not wholly within the outage
		}
		if tally[kind] == nil {
			tally[kind] = map[int]int{}
		}
		tally[kind][a.status]++
		slowest = max(slowest, a.took)
		switch {
		case kind == "cached" && (a.status == http.StatusOK || a.status == http.StatusServiceUnavailable):
			// Served from the cache; 503 if the node's copy of the API
			// expired (30 s) during the outage.
		case kind != "cached" && a.status == http.StatusServiceUnavailable && (a.code == "unavailable" || kind == "readyz"):
		default:
			t.Errorf("while PostgreSQL was down, a %s call to node %d answered %d %s", kind, a.node+1, a.status, a.code)
		}
	}
	if tally["cached"][http.StatusOK] == 0 {
		t.Errorf("while PostgreSQL was down no call with a token the nodes had verified was served (answers %v): cached verifications should be", tally["cached"])
	}
	t.Logf("answers while PostgreSQL was down (%s), by kind and status: %v; slowest %s", outage, tally, slowest.Round(time.Millisecond))
	t.Logf("PostgreSQL started in %s; every node served again %s after", up.Sub(upAt).Round(time.Millisecond), recovered.Round(time.Millisecond))
	f.waitAudited(t, "pg-", ok)
}

// migratedDB creates and migrates a database on c and returns its URL.
func migratedDB(t *testing.T, c *pgcluster.Cluster) string {
	t.Helper()
	ctx := context.Background()
	admin, err := store.Open(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE portico`); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, c.URL("portico"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return c.URL("portico")
}
