// Package pgtest gives tests a real PostgreSQL: one throwaway cluster per
// `go test` process, started on first use, and a fresh database per test,
// copied from a template database that was migrated once.
//
// A package using it calls Main from its TestMain so the cluster is stopped
// and deleted when the tests end:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/pgcluster"
	"github.com/portico/portico/internal/store"
)

const templateDB = "portico_template"

var (
	shared     *pgcluster.Cluster
	sharedOnce sync.Once
	sharedErr  error
	createMu   sync.Mutex
	dbSeq      atomic.Int64
	clustersMu sync.Mutex
	clusters   []*pgcluster.Cluster
)

// Main runs the tests and then stops and deletes every cluster they started.
// The tests' new password hashes are cheap (password.UseTestCost).
func Main(m *testing.M) int {
	password.UseTestCost()
	code := m.Run()
	stopClusters()
	return code
}

// stopClusters stops and deletes every cluster the tests started.
func stopClusters() {
	clustersMu.Lock()
	defer clustersMu.Unlock()
	for _, c := range clusters {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := c.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
		cancel()
		removeAll(c.Dir)
		if c.SocketDir != c.Dir {
			removeAll(c.SocketDir)
		}
	}
	clusters = nil
}

// Cluster starts a private cluster for tests that stop and start PostgreSQL.
// It is stopped and deleted when the test ends.
func Cluster(t testing.TB) *pgcluster.Cluster {
	t.Helper()
	c, err := startCluster()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
		removeAll(c.Dir)
	})
	return c
}

// removeAll deletes a cluster's folder and says so on stderr when it
// cannot, so that a run leaves nothing behind unnoticed.
func removeAll(dir string) {
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
}

func startCluster() (*pgcluster.Cluster, error) {
	dir, err := os.MkdirTemp("", "portico-pgtest-")
	if err != nil {
		return nil, err
	}
	c, err := pgcluster.New(dir)
	if err != nil {
		removeAll(dir)
		return nil, err
	}
	c.Fast = true
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Init(ctx); err != nil {
		removeAll(dir)
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		removeAll(dir)
		return nil, err
	}
	clustersMu.Lock()
	clusters = append(clusters, c)
	clustersMu.Unlock()
	return c, nil
}

func sharedCluster() (*pgcluster.Cluster, error) {
	sharedOnce.Do(func() {
		shared, sharedErr = startCluster()
		if sharedErr != nil {
			return
		}
		sharedErr = prepareTemplate(shared)
	})
	return shared, sharedErr
}

// prepareTemplate creates the template database and migrates it once.
func prepareTemplate(c *pgcluster.Cluster) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := store.Open(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+templateDB); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	db, err := store.Open(ctx, c.URL(templateDB))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := store.Migrate(ctx, db); err != nil {
		return err
	}
	return nil
}

// URL creates a fresh, migrated database for this test and returns its URL.
func URL(t testing.TB) string {
	t.Helper()
	c, err := sharedCluster()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), dbSeq.Add(1))
	if err := createFromTemplate(c, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return c.URL(name)
}

// DB opens a fresh, migrated database for this test; the pool is closed when
// the test ends.
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	url := URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() }) // the test is over: a connection that fails to close changes nothing
	return db
}

// Store is a store.Store over a fresh, migrated database for this test.
func Store(t testing.TB) *store.Store {
	t.Helper()
	return store.New(DB(t))
}

func createFromTemplate(c *pgcluster.Cluster, name string) error {
	// CREATE DATABASE ... TEMPLATE fails while another session is connected
	// to the template, so creations from one process are serialised.
	createMu.Lock()
	defer createMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := store.Open(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+templateDB); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// EmptyURL creates a fresh database with no schema at all, for tests of the
// migrations themselves, and returns its URL.
func EmptyURL(t testing.TB) string {
	t.Helper()
	c, err := sharedCluster()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := fmt.Sprintf("empty_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := store.Open(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return c.URL(name)
}
