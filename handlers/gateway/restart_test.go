package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/demo"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// Across a PostgreSQL restart, every call the gateway answered has its
// audit row: while the database is down the queue fills and the gateway
// answers 503 rather than serve calls it could not audit; once it is back
// the queue drains.
func TestAuditAcrossPostgresRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cluster := pgtest.Cluster(t) // our own: stopping it leaves the shared one alone
	db, err := store.Open(ctx, cluster.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE access_groups SET rate_limit_per_minute = 1000000`); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	h := token.NewHasher(secret)
	v := credential.NewVerifier(st, h)
	v.TTL = time.Hour // the token stays verified from the cache while the database is down
	w := calls.NewWriter(st, db, calls.WriterConfig{QueueSize: 64, BatchSize: 16, FlushInterval: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond, ShutdownTimeout: time.Minute}, log)
	runCtx, stopWriter := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(runCtx) }()
	gw := gateway.New(gateway.Deps{Store: st, Catalog: catalog.NewService(st), Verifier: v, Sandbox: trivial{},
		Limiter: ratelimit.NewMemory(), Recorder: w, Log: log})
	srv := serveGateway(t, gw)
	defer srv.Close()
	f := &fixture{st: st, pats: pat.New(st, h, pmail.NewOutbox(st), "http://portal.test")}
	tok := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext

	var served, refused atomic.Int64 // audited answers; 503s for lack of room
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				req, _ := http.NewRequest("GET", srv.URL+"/sandbox/fleet/spreaders", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					served.Add(1)
				case 503:
					refused.Add(1)
				default:
					t.Errorf("status %d", resp.StatusCode)
				}
				time.Sleep(500 * time.Microsecond)
			}
		})
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("timed out waiting for %s (served %d, refused %d, writer %+v)", what, served.Load(), refused.Load(), w.Stats())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("calls served", func() bool { return served.Load() >= 100 })
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor("503 while the database is down", func() bool { return refused.Load() > 0 })
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	after := served.Load()
	waitFor("calls served again", func() bool { return served.Load() >= after+100 })
	stop.Store(true)
	wg.Wait()
	stopWriter()
	<-done
	var rows int64
	if err := db.Get(&rows, `SELECT count(*) FROM api_calls`); err != nil {
		t.Fatal(err)
	}
	if rows != served.Load() {
		t.Errorf("audit rows %d, calls answered %d (and %d refused with 503)", rows, served.Load(), refused.Load())
	}
	t.Logf("served %d, refused %d while PostgreSQL was down, rows %d", served.Load(), refused.Load(), rows)
}
