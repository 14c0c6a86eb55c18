package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgcluster"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// benchSecret keys the benchmark's throwaway Portico.
const benchSecret = "bench-secret-bench-secret-bench-secret-42"

// portico is Portico's side of a run: its binary, its own PostgreSQL
// cluster in the run's throwaway folder (which every node shares) and a
// connection to it for preparing accounts and counting audit rows.
type portico struct {
	bin     string
	dataDir string
	ps      *procs
	cluster *pgcluster.Cluster
	dbURL   string
	db      *sqlx.DB
	st      *store.Store
	pats    *pat.Service
}

// startPortico starts the PostgreSQL cluster every node uses and creates
// its database; stop stops it.
func startPortico(ctx context.Context, ps *procs, bin, work string) (pt *portico, stop func(), err error) {
	dataDir := filepath.Join(work, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil { // #nosec G301 -- the postgres user passes through when we are root (below)
		return nil, nil, err
	}
	// The postgres user runs the cluster when we are root.
	if err := os.Chmod(dataDir, 0o755); err != nil { // #nosec G302 -- a folder, which the postgres user passes through
		return nil, nil, err
	}
	c, err := pgcluster.New(filepath.Join(dataDir, "postgres"))
	if err != nil {
		return nil, nil, err
	}
	if err := c.Init(ctx); err != nil {
		return nil, nil, err
	}
	if err := c.Start(ctx); err != nil {
		return nil, nil, err
	}
	stop = func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Stop(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}
	admin, err := store.Open(ctx, c.URL("postgres"))
	if err == nil {
		_, err = admin.ExecContext(ctx, "CREATE DATABASE portico")
		_ = admin.Close() // the CREATE's error is the one that counts
	}
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("create the benchmark's database: %w", err)
	}
	pt = &portico{bin: bin, dataDir: dataDir, ps: ps, cluster: c, dbURL: c.URL("portico")}
	return pt, stop, nil
}

// open connects to the database once a node has migrated it.
func (pt *portico) open(ctx context.Context) error {
	if pt.db != nil {
		return nil
	}
	db, err := store.Open(ctx, pt.dbURL)
	if err != nil {
		return err
	}
	pt.db, pt.st = db, store.New(db)
	pt.pats = pat.New(pt.st, token.NewHasher([]byte(benchSecret)), mail.NewOutbox(pt.st), "http://127.0.0.1")
	return nil
}

func (pt *portico) close() {
	if pt.db != nil {
		_ = pt.db.Close() // on the way out: a close error changes nothing
		pt.db, pt.st = nil, nil
	}
}

// node is one running Portico process.
type node struct {
	p      *proc
	portal string
	// gateway is the base URL of the machine surface (/live, /sandbox,
	// /oauth): the gateway edge's when the binary serves
	// PORTICO_GATEWAY_ADDR, the portal's otherwise.
	gateway string
	edge    bool
}

// startNode runs `portico dev` (migrate, seed, serve) or `portico serve`
// on free loopback ports, asking for a gateway edge too, and waits until
// it is ready.
func (pt *portico) startNode(ctx context.Context, name, command string) (*node, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	gwAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := []string{"DATABASE_URL=" + pt.dbURL, "PORTICO_SECRET=" + benchSecret, "PORTICO_DATA=" + pt.dataDir,
		"PORTICO_ADDR=" + addr, "PORTICO_GATEWAY_ADDR=" + gwAddr, "PORTICO_LOG_FORMAT=json"}
	p, err := pt.ps.start(name, pt.bin, []string{command}, env)
	if err != nil {
		return nil, err
	}
	n := &node{p: p, portal: "http://" + addr, gateway: "http://" + addr}
	if err := p.waitHTTP(ctx, n.portal+"/readyz", 200, 3*time.Minute); err != nil {
		return nil, err
	}
	// A binary without the edge ignores PORTICO_GATEWAY_ADDR: nothing
	// listens there. One with it may open that listener a moment after
	// the portal's.
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if answers("http://" + gwAddr) {
			n.gateway, n.edge = "http://"+gwAddr, true
			break
		}
	}
	return n, nil
}

// accounts are the credentials the throughput rounds call with.
type accounts struct {
	live, sandbox string
}

// prepare points the Fleet API's live traffic at upstream, lifts the demo
// group's limits out of the way (the benchmark measures the gateway, not
// the demo's 600 calls a minute) and creates dev@harbor.test's live and
// sandbox tokens.
func (pt *portico) prepare(ctx context.Context, upstream string) (accounts, error) {
	var a accounts
	if err := pt.open(ctx); err != nil {
		return a, err
	}
	api, err := pt.st.APIBySlug(ctx, "fleet")
	if err != nil {
		return a, err
	}
	if _, err := catalog.NewService(pt.st).SetUpstream(ctx, api.ID, upstream); err != nil {
		return a, err
	}
	if _, err := pt.db.ExecContext(ctx, `UPDATE access_groups SET rate_limit_per_minute = 100000000, monthly_quota = NULL WHERE name = 'Port operations'`); err != nil {
		return a, err
	}
	dev, err := pt.actor(ctx, "dev@harbor.test")
	if err != nil {
		return a, err
	}
	for _, env := range []string{store.EnvLive, store.EnvSandbox} {
		c, err := pt.pats.Create(ctx, dev, pat.Input{Name: "benchmark " + env, Environment: env, Days: 1, Scopes: []string{"fleet/fleet:read"}})
		if err != nil {
			return a, fmt.Errorf("create the %s token: %w", env, err)
		}
		if env == store.EnvLive {
			a.live = c.Plaintext
		} else {
			a.sandbox = c.Plaintext
		}
	}
	return a, nil
}

func (pt *portico) actor(ctx context.Context, email string) (access.Actor, error) {
	u, err := pt.st.UserByEmail(ctx, email)
	if err != nil {
		return access.Actor{}, fmt.Errorf("%s: %w", email, err)
	}
	a := access.Actor{UserID: u.ID, Role: u.Role}
	if u.PartnerID != nil {
		a.PartnerID = *u.PartnerID
	}
	return a, nil
}

// auditRows is how many calls the audit trail holds.
func (pt *portico) auditRows(ctx context.Context) (int64, error) {
	var n int64
	err := pt.db.GetContext(ctx, &n, `SELECT count(*) FROM api_calls`)
	return n, err
}

// issued is a token made for the revocation section.
type issued struct {
	id    int64
	plain string
}

// revocationAccounts creates n live Fleet tokens of dev@harbor.test to be
// revoked, a live token of Harbor's partner admin allowed to revoke them
// through /api/v1, and an OAuth client of the developer's (Harbor lets
// its developers register clients).
func (pt *portico) revocationAccounts(ctx context.Context, n int) (admin string, toks []issued, clientID, clientSecret string, err error) {
	dev, err := pt.actor(ctx, "dev@harbor.test")
	if err != nil {
		return "", nil, "", "", err
	}
	adm, err := pt.actor(ctx, "admin@harbor.test")
	if err != nil {
		return "", nil, "", "", err
	}
	c, err := pt.pats.Create(ctx, adm, pat.Input{Name: "benchmark revoker", Environment: store.EnvLive, Days: 1, Scopes: []string{access.ScopeTokensWrite}})
	if err != nil {
		return "", nil, "", "", fmt.Errorf("create the revoking token: %w", err)
	}
	admin = c.Plaintext
	for i := range n {
		c, err := pt.pats.Create(ctx, dev, pat.Input{Name: "revoked " + strconv.Itoa(i+1), Environment: store.EnvLive, Days: 1, Scopes: []string{"fleet/fleet:read"}})
		if err != nil {
			return "", nil, "", "", fmt.Errorf("create token %d to revoke: %w", i+1, err)
		}
		toks = append(toks, issued{id: c.Token.ID, plain: c.Plaintext})
	}
	if err := pt.st.SetDeveloperClients(ctx, dev.PartnerID, true); err != nil {
		return "", nil, "", "", err
	}
	cl, err := pt.pats.CreateClient(ctx, dev, pat.ClientInput{Input: pat.Input{Name: "benchmark client", Environment: store.EnvLive, Days: 1, Scopes: []string{"fleet/fleet:read"}}})
	if err != nil {
		return "", nil, "", "", fmt.Errorf("create the OAuth client: %w", err)
	}
	return admin, toks, cl.ClientID, cl.Secret, nil
}
