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

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestTryItMayReachTheGateway: Try it fetches the docs page's data-sandbox
// URL; with the gateway on an origin of its own, the page's CSP lets it
// connect there (and only there besides the portal); without one, the
// page connects to its own origin alone.
func TestTryItMayReachTheGateway(t *testing.T) {
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
	for _, tc := range []struct{ name, gateway, want string }{
		{"own listener", "https://API.Portal.test:443/", "connect-src 'self' https://api.portal.test"},
		{"portal's listener", "", "connect-src 'self'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.GatewayURL = tc.gateway
			app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
			srv := httptest.NewServer(app)
			t.Cleanup(srv.Close)
			pg := signedInAs(t, &portal{srv: srv, store: st}, "dev@harbor.test").get("/apis/fleet")
			if pg.status != http.StatusOK {
				t.Fatalf("GET /apis/fleet = %d", pg.status)
			}
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
