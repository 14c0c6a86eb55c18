package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestPagesGiveGatewayURL: with the gateway on a listener of its own
// (PORTICO_GATEWAY_URL), an API's documentation and its samples call the
// gateway there, not the portal.
func TestPagesGiveGatewayURL(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	st := store.New(db)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.GatewayURL = "https://api.portal.test/"
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	b := signedInAs(t, &portal{srv: srv, store: st}, "dev@harbor.test")
	pg := b.get("/apis/fleet")
	if pg.status != http.StatusOK {
		t.Fatalf("GET /apis/fleet = %d", pg.status)
	}
	if got := text(pg, "[data-testid=sandbox-url]"); got != "https://api.portal.test/sandbox/fleet" {
		t.Errorf("sandbox URL = %q, want the gateway's", got)
	}
	samples := pg.doc.Find("[data-testid=sample] pre code")
	if samples.Length() == 0 {
		t.Fatal("no samples")
	}
	if code := samples.First().Text(); !strings.Contains(code, "https://api.portal.test/sandbox/fleet/") {
		t.Errorf("the sample does not call the gateway's URL:\n%s", code)
	}
}
