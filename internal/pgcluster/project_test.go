package pgcluster

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// closedHome makes a folder like root's home: mode 700, so the postgres
// user cannot walk through it.
func closedHome(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: only root's clusters run as the postgres user, who may be shut out of a folder")
	}
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestForProjectMovesOutOfAClosedHome(t *testing.T) {
	home := closedHome(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := filepath.Join(home, "project", ".data", "postgres")

	c, err := ForProject(ctx, dir)
	if err != nil {
		t.Fatalf("ForProject: %v", err)
	}
	t.Cleanup(func() {
		_ = c.Stop(context.Background())
		os.RemoveAll(c.Dir)
	})
	if c.MovedFrom != dir || filepath.Dir(c.Dir) != MovedRoot {
		t.Fatalf("cluster in %s moved from %q; want a folder of %s moved from %s", c.Dir, c.MovedFrom, MovedRoot, dir)
	}
	c.Fast = true
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 on the moved cluster: %d, %v", one, err)
	}
	if target, err := os.Readlink(dir); err != nil || target != c.Dir {
		t.Errorf("link %s -> %q (%v), want -> %s", dir, target, err, c.Dir)
	}
	if st, err := os.Stat(home); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("the home folder's mode changed: %v, %v", st.Mode(), err)
	}

	// A restart finds the same, running cluster through the link.
	again, err := ForProject(ctx, dir)
	if err != nil {
		t.Fatalf("ForProject again: %v", err)
	}
	if again.Dir != c.Dir || again.MovedFrom != dir || !again.Running(ctx) {
		t.Fatalf("restart: cluster in %s moved from %q, running %v; want the running one in %s", again.Dir, again.MovedFrom, again.Running(ctx), c.Dir)
	}

	// Deleting the project's data folder starts afresh, as it does when
	// nothing moved; not while its server still runs.
	if err := os.RemoveAll(filepath.Dir(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := ForProject(ctx, dir); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("deleted data folder, server running: err = %v, want one saying it still runs", err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	fresh, err := ForProject(ctx, dir)
	if err != nil {
		t.Fatalf("ForProject after deleting the data folder: %v", err)
	}
	if fresh.Dir != c.Dir || fresh.Initialized() {
		t.Fatalf("after deleting the data folder: cluster in %s, initialized %v; want an empty %s", fresh.Dir, fresh.Initialized(), c.Dir)
	}
}

func TestForProjectStaysOrSays(t *testing.T) {
	home := closedHome(t)
	ctx := context.Background()

	t.Run("reachable folder stays", func(t *testing.T) {
		// t.TempDir's parent is mode 700: make one directly in /tmp.
		open, err := os.MkdirTemp("", "portico-open-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(open) })
		if err := os.Chmod(open, 0o755); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(open, ".data", "postgres")
		c, err := ForProject(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if c.Dir != dir || c.MovedFrom != "" {
			t.Errorf("cluster in %s moved from %q, want it in %s", c.Dir, c.MovedFrom, dir)
		}
	})
	t.Run("folder with files is not replaced", func(t *testing.T) {
		dir := filepath.Join(home, "project", ".data", "postgres")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "mine"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ForProject(ctx, dir)
		if err == nil {
			t.Fatal("ForProject replaced a folder holding files")
		}
		for _, want := range []string{"cannot reach " + dir, "already holds files", "PORTICO_DATA", "chmod o+x " + home} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "mine")); err != nil {
			t.Errorf("the user's file is gone: %v", err)
		}
	})
}
