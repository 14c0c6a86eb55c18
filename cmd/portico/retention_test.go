package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestRetentionRun runs `portico retention run` on a database with a day
// of calls older than the retention: the day is dropped, today's kept.
func TestRetentionRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	envv := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t)}
	if _, _, err := runCmd(ctx, t, envv, "", "retention"); err == nil || !strings.Contains(err.Error(), "portico retention run") {
		t.Errorf("retention without run: %v", err)
	}
	if _, _, err := runCmd(ctx, t, envv, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, envv["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`SELECT api_calls_ensure_partitions((now() AT TIME ZONE 'UTC')::date - 401, 1)`); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(ctx, t, envv, "", "retention", "run")
	if err != nil || !strings.Contains(out, "dropped 1 day partitions (api_calls_") || !strings.Contains(out, "deleted 0 per-minute rows") {
		t.Fatalf("retention run: %v\n%s", err, out)
	}
	var left, today int
	if err := db.Get(&left, `SELECT count(*) FROM retention_runs WHERE complete`); err != nil || left != 1 {
		t.Errorf("recorded runs = %d, %v", left, err)
	}
	if err := db.Get(&today, `SELECT count(*) FROM pg_class WHERE relname = 'api_calls_' || to_char((now() AT TIME ZONE 'UTC')::date, 'YYYYMMDD')`); err != nil || today != 1 {
		t.Errorf("today's partition: %d, %v", today, err)
	}
	out, _, err = runCmd(ctx, t, envv, "", "retention", "run")
	if err != nil || !strings.Contains(out, "dropped 0 day partitions (none)") {
		t.Errorf("second run: %v\n%s", err, out)
	}
}

// TestServeRunsRetention: the server runs the retention when it starts
// (none ran before) and still stops promptly.
func TestServeRunsRetention(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := freeAddr(t)
	envv := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t), "PORTICO_ADDR": addr}
	done := make(chan error, 1)
	go func() {
		_, _, err := runCmd(ctx, t, envv, "", "serve")
		done <- err
	}()
	waitReady(t, "http://"+addr)
	db, err := store.Open(ctx, envv["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; n == 0; {
		if err := db.Get(&n, `SELECT count(*) FROM retention_runs`); err != nil {
			t.Fatal(err)
		}
		if n == 0 && time.Now().After(deadline) {
			t.Fatal("no retention run 10 s after the server was ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return within 30s of cancel")
	}
}
