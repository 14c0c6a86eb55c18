package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/pgcluster"
)

// TestLocalDatabaseAsRootInAClosedHome is `make run` as root in root's own
// home: the postgres user cannot enter a mode 700 folder, so the local
// cluster's data lives elsewhere, one line says where, and the database
// answers.
func TestLocalDatabaseAsRootInAClosedHome(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: only root's local cluster runs as the postgres user, who may be shut out of the project")
	}
	home := filepath.Join(t.TempDir(), "root")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	data := filepath.Join(home, "portico", ".data")
	var out bytes.Buffer
	e := env{stdout: &out, stderr: io.Discard, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	cfg := &config.Config{DataDir: data}

	stop, err := localDatabase(ctx, e, cfg)
	if err != nil {
		t.Fatalf("localDatabase: %v", err)
	}
	moved, err := os.Readlink(filepath.Join(data, "postgres"))
	if err != nil {
		stop()
		t.Fatalf("the data folder does not link to where the cluster lives: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(moved) })
	defer stop()
	if !strings.HasPrefix(moved, pgcluster.MovedRoot+"/") {
		t.Errorf("cluster data in %s, want a folder of %s", moved, pgcluster.MovedRoot)
	}
	var said []string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "its data") || strings.Contains(line, "cluster in") {
			said = append(said, line)
		}
	}
	want := "the postgres user cannot reach " + filepath.Join(data, "postgres") + ", so the local PostgreSQL keeps its data in " + moved + " (linked from there)"
	if len(said) != 1 || said[0] != want {
		t.Errorf("lines about the data: %q\nwant exactly %q\nall output:\n%s", said, want, out.String())
	}
	db, err := openDB(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatalf("connect to the local database: %v", err)
	}
	defer db.Close()
	var name string
	if err := db.GetContext(ctx, &name, "SELECT current_database()"); err != nil || name != devDatabase {
		t.Fatalf("current_database() = %q, %v; want %s", name, err, devDatabase)
	}
}
