package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/portico/portico/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestCountingDB counts each statement once, however it is sent.
func TestCountingDB(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, c := pgtest.CountingDB(t, pgtest.URL(t))
	start := c.Count()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (n int)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM t WHERE n > $1`, 0); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tx.PreparexContext(ctx, `INSERT INTO t VALUES ($1)`)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := st.ExecContext(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM t`); err != nil || n != 3 {
		t.Fatalf("rows = %d, %v; want 3", n, err)
	}
	if got := c.Count() - start; got != 6 {
		t.Errorf("counted %d statements, want 6 (create, select, 3 prepared inserts, select)", got)
	}
}
