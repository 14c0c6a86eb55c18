package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestMigrateFromEmptyThenIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	if err := store.CheckSchema(ctx, db); err == nil {
		t.Fatal("CheckSchema on an empty database: want an error saying it is behind, got nil")
	}
	ran, err := store.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if len(ran) == 0 || ran[0].Name != "00001_initial.sql" {
		t.Fatalf("first migrate ran %+v, want it to start with 00001_initial.sql", ran)
	}
	var tables []string
	if err := db.SelectContext(ctx, &tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	want := []string{"partners", "sessions", "team_memberships", "teams", "users"}
	for _, w := range want {
		if !contains(tables, w) {
			t.Errorf("after migrate, table %q missing; have %v", w, tables)
		}
	}
	again, err := store.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if diff := cmp.Diff([]store.Migration(nil), again); diff != "" {
		t.Errorf("second migrate ran something (-want +got):\n%s", diff)
	}
	if err := store.CheckSchema(ctx, db); err != nil {
		t.Errorf("CheckSchema after migrate: %v", err)
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
