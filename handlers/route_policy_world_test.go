package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// routeWorld is a template database holding the demo portal with its
// catalog, where B (Crane Works) has a team, a pending invitation, a live
// token with usage, an alert, audit events, a grant and an account manager
// of its own (Riley), the demo account manager is assigned to Harbor only,
// and every actor is signed in. Each actor, and each allowed change, gets
// a copy of it: no request of one cell can change what another finds.
type routeWorld struct {
	// admin is the cluster's maintenance database, which copies the
	// template; base is the template's URL.
	admin    *sqlx.DB
	base     *url.URL
	template string
	ids      map[string]string
	target   target
	actors   []*matrixActor
	secrets  []string
	seq      atomic.Int64
	// copyMu serialises copies: CREATE DATABASE ... TEMPLATE reads the
	// template, which must have no other session.
	copyMu sync.Mutex
}

// worldCopy is one copy of the world, served by a portal of its own.
type worldCopy struct {
	w   *routeWorld
	p   *portal
	app *echo.Echo
	// digest is stateOfB's query; state what it answered last, "" when a
	// request may have changed B since.
	digest, state string
}

func newRouteWorld(t *testing.T) *routeWorld {
	t.Helper()
	ctx := context.Background()
	base, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	w := &routeWorld{base: base, template: strings.TrimPrefix(base.Path, "/"), ids: map[string]string{}, actors: matrixActors(),
		secrets: []string{"Crane Works", "crane-works", "Cleo Crane", "admin@crane.test", "Dan Crane", "dev@crane.test",
			"Crane Night Shift", "crane-secret-token", "invitee@crane.test", "Crane was throttled", "Crane Entra", "crane-hooks",
			"hooks.crane.test", "whsec_…cr4n"}}
	if w.admin, err = store.Open(ctx, w.urlOf("postgres")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.admin.Close() })
	db, err := store.Open(ctx, base.String())
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	p := &portal{srv: srv, store: st}
	w.seed(t, p)
	for _, a := range w.actors {
		if a.email == "" {
			continue
		}
		b := signedInAs(t, p, a.email)
		u, _ := url.Parse(srv.URL)
		a.cookies = b.client.Jar.Cookies(u)
		var managed []int64
		if err := db.Select(&managed, `SELECT partner_id FROM partner_managers WHERE user_id = $1 ORDER BY partner_id`, p.userID(t, a.email)); err != nil {
			t.Fatal(err)
		}
		u2, err := st.UserByEmail(ctx, a.email)
		if err != nil {
			t.Fatal(err)
		}
		a.who = access.Actor{UserID: u2.ID, Role: u2.Role, Managed: managed}
		if u2.PartnerID != nil {
			a.who.PartnerID = *u2.PartnerID
		}
	}
	srv.Close()
	db.Close()
	return w
}

// seed gives B what the routes name, and B an account manager of its own.
func (w *routeWorld) seed(t *testing.T, p *portal) {
	t.Helper()
	ctx, st := context.Background(), p.store
	crane := signedInAs(t, p, "admin@crane.test")
	team := createTeam(t, crane, "Crane Night Shift")
	if res := crane.post(teamPath(team, "members"), idValue(p.userID(t, "dev@crane.test"))); res.status != http.StatusSeeOther {
		t.Fatalf("add Crane's developer to its team = %d", res.status)
	}
	if res := crane.post("/members/invitations", url.Values{"email": {"invitee@crane.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Fatalf("invite to Crane = %d", res.status)
	}
	w.ids["partner"] = itoa(p.partnerID(t, "crane-works"))
	w.ids["team"] = itoa(team)
	w.ids["member"] = itoa(p.userID(t, "dev@crane.test"))
	w.ids["admin"] = itoa(p.userID(t, "admin@crane.test"))
	w.ids["invitation"] = p.id(t, `SELECT id FROM invitations WHERE email = 'invitee@crane.test'`)
	w.ids["token"] = p.id(t, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT id, partner_id, 'crane-secret-token', 'live', decode(md5('crane-secret-token'), 'hex'), 'ptc_live_…c5e7', '{fleet/fleet:read}', now() + interval '30 days'
		FROM users WHERE email = 'dev@crane.test' RETURNING id`)
	// Victims: each route that takes something of B away has its own, so
	// the other routes still find theirs.
	for i := 1; i <= 7; i++ {
		w.ids["token"+itoa(int64(i))] = p.id(t, `
			INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
			SELECT id, partner_id, 'crane-secret-token-'||$1, 'live', decode(md5('crane-secret-token-'||$1), 'hex'), 'ptc_live_…c5e'||$1, '{fleet/fleet:read}', now() + interval '30 days'
			FROM users WHERE email = 'dev@crane.test' RETURNING id`, itoa(int64(i)))
	}
	for i := 1; i <= 2; i++ {
		email := "dev" + itoa(int64(i)) + "@crane.test"
		w.ids["member"+itoa(int64(i))] = p.id(t, `INSERT INTO users (email, name, role, partner_id) VALUES ($1, 'Dan Crane '||$2, 'developer', $3) RETURNING id`, email, itoa(int64(i)), w.ids["partner"])
		if res := crane.post("/members/invitations", url.Values{"email": {"invitee" + itoa(int64(i)) + "@crane.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
			t.Fatalf("invite to Crane = %d", res.status)
		}
		w.ids["invitation"+itoa(int64(i))] = p.id(t, `SELECT id FROM invitations WHERE email = $1`, "invitee"+itoa(int64(i))+"@crane.test")
	}
	for i := 2; i <= 4; i++ {
		w.ids["team"+itoa(int64(i))] = itoa(createTeam(t, crane, "Crane Night Shift "+itoa(int64(i))))
	}
	if res := crane.post("/teams/"+w.ids["team2"]+"/members", idValue(p.userID(t, "dev@crane.test"))); res.status != http.StatusSeeOther {
		t.Fatalf("add Crane's developer to its second team = %d", res.status)
	}
	tokenID := mustInt(t, w.ids["token"])
	w.target = target{partner: mustInt(t, w.ids["partner"]), tokenOwner: mustInt(t, w.ids["member"])}
	alert, _, err := st.RaiseAlert(ctx, store.NewAlert{PartnerID: w.target.partner, TokenID: &tokenID, Rule: "rate_limited",
		Cause: "route policy", Message: "Crane was throttled 40 times."})
	if err != nil {
		t.Fatal(err)
	}
	w.ids["alert"] = itoa(alert)
	var batch []calls.Call
	for range 5 {
		batch = append(batch, calls.Call{At: time.Now(), API: "fleet", Operation: "listSpreaders", Status: 200, Latency: time.Millisecond,
			Method: "GET", Path: "/fleet/spreaders", TokenID: tokenID, PartnerID: w.target.partner, Environment: "live"})
	}
	writeCalls(t, st, batch)
	// B's grant, of a group only B holds; a spare group nobody holds for
	// the changes to the shared catalog.
	w.ids["group"] = p.id(t, `SELECT id FROM access_groups WHERE name = 'Fleet basics'`)
	w.ids["grant"] = p.id(t, `SELECT id FROM grants WHERE access_group_id = $1 AND partner_id = $2`, w.ids["group"], w.ids["partner"])
	// Both partner admins are granted the fleet too, so every partner user
	// finds its page and may create a token for it.
	p.exec(t, `INSERT INTO grants (access_group_id, partner_id, user_id) SELECT `+w.ids["group"]+`, partner_id, id FROM users WHERE email = 'admin@crane.test'`,
		`INSERT INTO grants (access_group_id, partner_id, user_id) SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name = 'Port operations' AND u.email = 'admin@harbor.test'`)
	w.ids["grant1"] = p.id(t, `INSERT INTO grants (access_group_id, partner_id, team_id) VALUES ($1, $2, $3) RETURNING id`, w.ids["group"], w.ids["partner"], w.ids["team"])
	w.ids["grant2"] = p.id(t, `INSERT INTO grants (access_group_id, partner_id, team_id) VALUES ($1, $2, $3) RETURNING id`, w.ids["group"], w.ids["partner"], w.ids["team2"])
	w.ids["end_on"] = time.Now().UTC().AddDate(0, 2, 0).Format(time.DateOnly)
	w.ids["spare"] = p.id(t, `INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('Route spare', 60) RETURNING id`)
	p.exec(t, `INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT `+w.ids["spare"]+`, id, CASE slug WHEN 'fleet' THEN '{fleet:read}'::text[] ELSE '{telemetry:read}'::text[] END FROM apis WHERE slug IN ('fleet', 'telemetry')`)
	// B signs in through its own identity provider, two of whose groups
	// map to its team (the others for the routes that remove one).
	w.ids["provider"] = p.id(t, `INSERT INTO identity_providers (partner_id, display_name, issuer, client_id, client_secret_enc, groups_claim)
		VALUES ($1, 'Crane Entra', 'https://login.crane.test', 'portico', decode('01', 'hex'), 'groups') RETURNING id`, w.ids["partner"])
	p.exec(t, `INSERT INTO sso_domains (domain, provider_id) VALUES ('crane.test', `+w.ids["provider"]+`)`)
	w.ids["mapping"] = p.id(t, `INSERT INTO sso_group_mappings (provider_id, idp_group, team_id) VALUES ($1, 'crane-night', $2) RETURNING id`, w.ids["provider"], w.ids["team"])
	for i := 1; i <= 2; i++ {
		w.ids["mapping"+itoa(int64(i))] = p.id(t, `INSERT INTO sso_group_mappings (provider_id, idp_group, team_id) VALUES ($1, 'crane-night-'||$3, $2) RETURNING id`, w.ids["provider"], w.ids["team"], itoa(int64(i)))
	}
	// B's partner admin's webhook endpoints (and a delivery to send
	// again), at an address this portal refuses to reach: a test event
	// fails at once. The others are the victims of disable and delete.
	box := webhook.MustBox(testConfig().Secret)
	for _, k := range []string{"wh", "wh1", "wh2"} {
		w.ids[k] = p.id(t, `INSERT INTO webhook_endpoints (partner_id, owner_id, url, event_types, secret_enc, secret_hint)
			VALUES ($1, $2, 'https://127.0.0.1:9/crane-hooks', '{token.created}', $3, 'whsec_…hook') RETURNING id`,
			w.ids["partner"], w.ids["admin"], box.Seal(webhook.NewSecret(), webhook.PurposeSecret))
	}
	w.ids["whDelivery"] = p.id(t, `WITH ev AS (INSERT INTO webhook_events (msg_id, partner_id, type, body) VALUES ('msg_route', $1, 'token.created', '{}') RETURNING id)
		INSERT INTO webhook_deliveries (endpoint_id, event_id, state) SELECT $2, id, 'delivered' FROM ev RETURNING id`, w.ids["partner"], w.ids["wh"])
	// B's webhook endpoints (its partner admin's): one to read and change,
	// one to delete, and a disabled one with a delivery, which test and
	// resend refuse (409) without sending anything anywhere.
	for i, name := range []string{"webhook", "webhook1", "webhook_off"} {
		w.ids[name] = p.id(t, `INSERT INTO webhook_endpoints (partner_id, owner_id, url, event_types, secret_enc, secret_hint, enabled)
			VALUES ($1, $2, 'https://hooks.crane.test/portico/'||$3, '{team.changed}', decode('01', 'hex'), 'whsec_…cr4n', $4) RETURNING id`,
			w.ids["partner"], w.ids["admin"], itoa(int64(i)), name != "webhook_off")
	}
	event := p.id(t, `INSERT INTO webhook_events (msg_id, partner_id, type, body) VALUES ('msg_route_policy', $1, 'team.changed', '{}') RETURNING id`, w.ids["partner"])
	w.ids["delivery"] = p.id(t, `INSERT INTO webhook_deliveries (endpoint_id, event_id, state) VALUES ($1, $2, 'failed') RETURNING id`, w.ids["webhook_off"], event)
	w.ids["server"] = p.id(t, `INSERT INTO resource_servers (name, client_id, hash, hint) VALUES ('Route server', 'prs_0123456789abcdefghijkl', decode(md5('route-server'), 'hex'), 'prs_…ijkl') RETURNING id`)

	// The account manager is Harbor's only; B is Riley's, who signs in
	// with the demo password.
	am := p.userID(t, "am@portico.test")
	if _, err := st.UnassignManager(ctx, w.target.partner, am); err != nil {
		t.Fatal(err)
	}
	w.ids["am"] = itoa(am)
	w.ids["manager"] = p.id(t, `INSERT INTO users (email, name, role, password_hash)
		SELECT 'riley@portico.test', 'Riley Book', 'account_manager', password_hash FROM users WHERE id = $1 RETURNING id`, am)
	if _, err := st.AssignManager(ctx, w.target.partner, mustInt(t, w.ids["manager"]), 0); err != nil {
		t.Fatal(err)
	}
}

// urlOf is the URL of another database of the template's cluster.
func (w *routeWorld) urlOf(name string) string {
	u := *w.base
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// copy serves a fresh copy of the world. It stays, like every test's
// database, for the scan after the tests (scanLeftDatabases): the
// credentials the matrix issued are looked for too.
func (w *routeWorld) copy(t *testing.T) *worldCopy {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("%s_c%d", w.template, w.seq.Add(1))
	w.copyMu.Lock()
	_, err := w.admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+w.template)
	w.copyMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, w.urlOf(name))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(func() {
		srv.Close()
		db.Close()
	})
	return &worldCopy{w: w, p: &portal{srv: srv, store: st}, app: app}
}

// as is a browser of the copy signed in as a (the copy holds the
// template's sessions), with a cookie jar of its own.
func (c *worldCopy) as(t *testing.T, a *matrixActor) *browser {
	t.Helper()
	b := c.p.browser(t)
	u, _ := url.Parse(c.p.srv.URL)
	var cookies []*http.Cookie
	for _, k := range a.cookies {
		cookies = append(cookies, &http.Cookie{Name: k.Name, Value: k.Value, Path: "/"})
	}
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(u, cookies)
	b.client.Jar = jar
	return b
}
