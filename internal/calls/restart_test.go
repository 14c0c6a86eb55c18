package calls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

var quiet = slog.New(slog.DiscardHandler)

// Across a PostgreSQL restart, every call Record accepted has exactly one
// row: the writer keeps retrying, the queue fills and Record refuses with
// ErrFull, and after the restart the queue drains.
func TestPostgresRestart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts and stops a PostgreSQL cluster")
	}
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
	w := NewWriter(nil, db, WriterConfig{QueueSize: 256, BatchSize: 50, FlushInterval: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond, ShutdownTimeout: time.Minute}, quiet)
	shutdown := run(t, w)

	var accepted, refused atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	base := time.Now().UTC()
	for g := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				c := sample(base, g, i)
				c.RequestID = fmt.Sprintf("r%d-%d", g, i)
				switch err := w.Record(c); {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, ErrFull):
					refused.Add(1)
				default:
					t.Errorf("Record: %v", err)
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		})
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				stop.Store(true)
				t.Fatalf("timed out waiting for %s; stats %+v", what, w.Stats())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	waitFor("500 rows written", func() bool { return w.Stats().Written >= 500 })
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	down := w.Stats()
	waitFor("Record to refuse with ErrFull", func() bool { return refused.Load() > 0 })
	waitFor("retries while down", func() bool { return w.Stats().Retries >= down.Retries+3 })
	acceptedWhileDown := accepted.Load()
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor("500 more calls after the restart", func() bool { return accepted.Load() >= acceptedWhileDown+500 })
	stop.Store(true)
	wg.Wait()
	if err := shutdown(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	st := w.Stats()
	t.Logf("accepted %d, refused %d; stats at stop %+v, at end %+v", accepted.Load(), refused.Load(), down, st)
	if st.Retries == 0 {
		t.Error("no retries while PostgreSQL was down")
	}
	if st.Written != accepted.Load() || st.Dropped != 0 || st.Refused != refused.Load() {
		t.Errorf("Stats %+v: want Written = accepted %d, Dropped 0, Refused = refused %d", st, accepted.Load(), refused.Load())
	}
	checkComplete(t, db, accepted.Load())
}
