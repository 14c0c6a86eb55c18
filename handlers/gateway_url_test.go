package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// seededCatalog is a database with the demo partners and catalog.
func seededCatalog(t *testing.T) (*sqlx.DB, *store.Store) {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	return db, st
}

// fleetDocs is the Fleet API's documentation page as Harbor's developer
// sees it, from a portal whose gateway URL is gatewayURL ("": the portal's
// own listener).
func fleetDocs(t *testing.T, db *sqlx.DB, st *store.Store, gatewayURL string) page {
	t.Helper()
	cfg := testConfig()
	cfg.GatewayURL = gatewayURL
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	pg := signedInAs(t, &portal{srv: srv, store: st}, "dev@harbor.test").get("/apis/fleet")
	if pg.status != http.StatusOK {
		t.Fatalf("GET /apis/fleet = %d", pg.status)
	}
	return pg
}

// TestPagesGiveGatewayURL: with the gateway on a listener of its own
// (PORTICO_GATEWAY_URL), an API's documentation and its samples call the
// gateway there, not the portal.
func TestPagesGiveGatewayURL(t *testing.T) {
	t.Parallel()
	db, st := seededCatalog(t)
	pg := fleetDocs(t, db, st, "https://api.portal.test/")
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

// TestTryItMayReachTheGateway: Try it fetches the docs page's data-sandbox
// URL; with the gateway on an origin of its own, the page's CSP lets it
// connect there (and only there besides the portal); without one, the
// page connects to its own origin alone.
func TestTryItMayReachTheGateway(t *testing.T) {
	t.Parallel()
	db, st := seededCatalog(t)
	for _, tc := range []struct{ name, gateway, want string }{
		{"own listener", "https://API.Portal.test:443/", "connect-src 'self' https://api.portal.test"},
		{"portal's listener", "", "connect-src 'self'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg := fleetDocs(t, db, st, tc.gateway)
			var connect string
			for _, d := range strings.Split(pg.header.Get("Content-Security-Policy"), ";") {
				if d = strings.TrimSpace(d); strings.HasPrefix(d, "connect-src ") {
					connect = d
				}
			}
			if connect != tc.want {
				t.Errorf("CSP %q, want %q", connect, tc.want)
			}
			sandbox, err := url.Parse(pg.doc.Find("#try-it").AttrOr("data-sandbox", ""))
			if err != nil {
				t.Fatal(err)
			}
			if tc.gateway != "" && !strings.Contains(connect, " "+sandbox.Scheme+"://"+strings.ToLower(sandbox.Hostname())) {
				t.Errorf("CSP %q does not allow Try it's URL %s", connect, sandbox)
			}
		})
	}
}
