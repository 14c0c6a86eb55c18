package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/apitest"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestReadyzFollowsPostgres stops the database under a running portal:
// /readyz turns 503 while it is down and 200 again once it is back.
func TestReadyzFollowsPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cluster := pgtest.Cluster(t)
	db, err := store.Open(ctx, cluster.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	app, _ := newApp(t, db)
	spec := apitest.Portal(t)
	readyz := func() (int, string) {
		rec := apitest.Do(t, spec, app, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := readyz(); code != http.StatusOK {
		t.Fatalf("before stop: /readyz = %d %s, want 200", code, body)
	}

	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	code, body := readyz()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"database":"unreachable"`) {
		t.Fatalf("while stopped: /readyz = %d %s, want 503 with database unreachable", code, body)
	}
	// /healthz does not depend on the database.
	if rec := get(t, app, "/healthz", nil); rec.Code != http.StatusOK {
		t.Errorf("while stopped: /healthz = %d, want 200", rec.Code)
	}

	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body = readyz()
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: /readyz still %d %s after 15s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
