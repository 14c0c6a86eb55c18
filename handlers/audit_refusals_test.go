package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func (p *portal) auditCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := p.store.DB().Get(&n, `SELECT count(*) FROM audit_events`); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRefusedActionsWriteNoEvent: an action refused by a rule, the policy
// or bad input changes nothing, so the trail shows nothing either.
func TestRefusedActionsWriteNoEvent(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	crane := signedInAs(t, p, "admin@crane.test")
	harbor := signedInAs(t, p, "admin@harbor.test")
	dev := signedInAs(t, p, "dev@harbor.test")
	am := signedInAs(t, p, "am@portico.test")
	craneAdmin := strconv.FormatInt(p.userID(t, "admin@crane.test"), 10)
	craneDev := strconv.FormatInt(p.userID(t, "dev@crane.test"), 10)
	p.importAPI(t, "yard")
	include(t, am, createGroup(t, am, "Yard"), "yard", "yard:read")

	for _, tc := range []struct {
		name   string
		do     func() page
		status int
	}{
		{"removing the last admin", func() page { return crane.post("/members/"+craneAdmin+"/remove", nil) }, http.StatusSeeOther},
		{"demoting the last admin", func() page {
			return crane.post("/members/"+craneAdmin+"/role", url.Values{"role": {"developer"}})
		}, http.StatusSeeOther},
		{"inviting a member", func() page {
			return crane.post("/members/invitations", url.Values{"email": {"dev@crane.test"}, "role": {"developer"}})
		}, http.StatusUnprocessableEntity},
		{"a team without a name", func() page { return harbor.post("/teams", url.Values{"name": {"  "}}) }, http.StatusUnprocessableEntity},
		{"a developer creating a team", func() page { return dev.post("/teams", url.Values{"name": {"Mine"}}) }, http.StatusForbidden},
		{"removing another partner's member", func() page { return harbor.post("/members/"+craneDev+"/remove", nil) }, http.StatusNotFound},
		{"deleting an API a group includes", func() page { return am.post("/catalog/yard/delete", nil) }, http.StatusConflict},
		{"signing in with an unknown email", func() page {
			return p.browser(t).signIn("nobody@crane.test", demo.Password)
		}, http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := p.auditCount(t)
			res := tc.do()
			if res.status != tc.status {
				t.Errorf("status = %d, want %d", res.status, tc.status)
			}
			if n := p.auditCount(t) - before; n != 0 {
				t.Errorf("%d audit events written, want none: %+v", n, p.eventsOf(t, res.header.Get("X-Request-Id")))
			}
		})
	}
}

// newPortalWith is newPortal with the given proxies trusted.
func newPortalWith(t *testing.T, trusted ...string) *portal {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	for _, cidr := range trusted {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, n)
	}
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &portal{srv: srv, store: st}
}

// TestAuditIPFromProxies: X-Forwarded-For names the client only when the
// peer is a trusted proxy; anyone else cannot put an address in the trail.
func TestAuditIPFromProxies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		trusted []string
		want    string
	}{
		{"no proxy trusted: the peer's address", nil, "127.0.0.1"},
		{"another network trusted: the peer's address", []string{"10.0.0.0/8"}, "127.0.0.1"},
		{"the peer is a trusted proxy: the forwarded client", []string{"127.0.0.0/8"}, "203.0.113.50"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPortalWith(t, tc.trusted...)
			b := signedInAs(t, p, "admin@harbor.test")
			req, _ := http.NewRequest(http.MethodPost, b.base+"/teams", strings.NewReader(url.Values{"name": {"Forwarded"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", "203.0.113.50")
			req.Header.Set("X-Real-Ip", "203.0.113.51")
			res := b.do(req)
			if res.status != http.StatusSeeOther {
				t.Fatalf("create team = %d", res.status)
			}
			var got []string
			for _, e := range p.eventsOf(t, res.header.Get("X-Request-Id")) {
				got = append(got, e.Action+" from "+e.IP)
			}
			if diff := cmp.Diff([]string{"team.create from " + tc.want}, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
