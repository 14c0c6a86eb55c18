package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// newWebhookPortal is the demo portal whose webhooks go through client
// (nil: the portal's own); allowPrivate lets endpoints at loopback be
// registered (and, with the portal's client, reached).
func newWebhookPortal(t *testing.T, client *http.Client, allowPrivate bool) *portal {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.WebhookAllowPrivate = allowPrivate
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st),
		Mailer: noKick{}, WebhookClient: client})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &portal{srv: srv, store: st}
}

// webhookForm is the endpoint form with url, the types and groups
// chosen, and further fields as name, value pairs.
func webhookForm(u string, types []string, more ...string) url.Values {
	f := url.Values{"url": {u}, "description": {"CRM sync"}, "event_type": types}
	for i := 0; i+1 < len(more); i += 2 {
		f.Set(more[i], more[i+1])
	}
	return f
}

// addWebhook adds an endpoint as b and returns its id and the secret the
// page shows once.
func addWebhook(t *testing.T, b *browser, form url.Values) (int64, string) {
	t.Helper()
	pg := b.post("/webhooks/new", form)
	secret := text(pg, "[data-testid=webhook-secret]")
	href := pg.doc.Find("[data-testid=done]").AttrOr("href", "")
	id, err := strconv.ParseInt(strings.TrimPrefix(href, "/webhooks/"), 10, 64)
	if pg.status != http.StatusOK || !strings.HasPrefix(secret, "whsec_") || err != nil {
		t.Fatalf("add endpoint %s = %d, secret %q, done link %q: %s", form.Get("url"), pg.status, secret, href, text(pg, "main"))
	}
	return id, secret
}

func webhookURLs(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=webhook]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-url", ""))
	})
	return out
}

func hasNav(pg page, href string) bool {
	return pg.doc.Find("[data-testid=nav] a[href='"+href+"']").Length() == 1
}

// TestWebhookListsByRole: partner admins and staff find Webhooks in their
// navigation and an empty state that says what webhooks are, with the
// way to add one; developers get neither. Each sees the endpoints that
// are theirs: a partner admin their partner's, an account manager their
// own, a platform admin every staff member's (with who owns each).
func TestWebhookListsByRole(t *testing.T) {
	t.Parallel()
	p := newWebhookPortal(t, nil, true)
	browsers := map[string]*browser{}
	for _, who := range []string{"admin@harbor.test", "admin@crane.test", "am@portico.test", "admin@portico.test"} {
		b := signedInAs(t, p, who)
		browsers[who] = b
		pg := b.get("/webhooks")
		// A platform admin reaches Webhooks from Settings (their bar is
		// full); everyone else from the bar.
		way := hasNav(pg, "/webhooks")
		if who == "admin@portico.test" {
			way = b.get("/settings").doc.Find("[data-testid=webhooks-link] a[href='/webhooks']").Length() == 1
		}
		if pg.status != http.StatusOK || !way {
			t.Fatalf("%s: GET /webhooks = %d, a way there %v", who, pg.status, way)
		}
		empty := text(pg, "[data-testid=no-webhooks]")
		if !strings.Contains(empty, "No endpoints yet") || !strings.Contains(empty, "signed JSON request") ||
			pg.doc.Find("[data-testid=no-webhooks] a[href='/webhooks/new']").Length() != 1 {
			t.Errorf("%s: empty state = %q, want what webhooks are and an Add link", who, empty)
		}
	}
	dev := signedInAs(t, p, "dev@harbor.test")
	for _, path := range []string{"/webhooks", "/webhooks/new"} {
		if pg := dev.get(path); pg.status != http.StatusForbidden {
			t.Errorf("developer GET %s = %d, want 403", path, pg.status)
		}
	}
	if hasNav(dev.get("/"), "/webhooks") {
		t.Error("a developer's navigation offers Webhooks")
	}
	if pg := dev.post("/webhooks/new", webhookForm("https://dev.harbor.test/hook", []string{webhook.TokenCreated})); pg.status != http.StatusForbidden {
		t.Errorf("developer POST /webhooks/new = %d, want 403", pg.status)
	}

	addWebhook(t, browsers["admin@harbor.test"], webhookForm("https://crm.harbor.test/hook", []string{webhook.MemberInvited}))
	addWebhook(t, browsers["am@portico.test"], webhookForm("https://crm.provider.test/am", []string{webhook.PartnerSuspended}))
	addWebhook(t, browsers["admin@portico.test"], webhookForm("https://crm.provider.test/admin", []string{webhook.AlertRaised}))
	for who, want := range map[string][]string{
		"admin@harbor.test":  {"https://crm.harbor.test/hook"},
		"admin@crane.test":   nil,
		"am@portico.test":    {"https://crm.provider.test/am"},
		"admin@portico.test": {"https://crm.provider.test/am", "https://crm.provider.test/admin"},
	} {
		pg := browsers[who].get("/webhooks")
		if diff := cmp.Diff(want, webhookURLs(pg)); diff != "" {
			t.Errorf("%s's endpoints (-want +got):\n%s", who, diff)
		}
	}
	admin := browsers["admin@portico.test"].get("/webhooks")
	if got := text(admin, "[data-testid=webhook][data-url='https://crm.provider.test/am'] [data-testid=webhook-owner]"); got != "am@portico.test" {
		t.Errorf("platform admin sees the account manager's endpoint owned by %q", got)
	}
	if got := text(browsers["am@portico.test"].get("/webhooks"), "[data-testid=webhook-scope]"); got != "Events of every partner I manage" {
		t.Errorf("account manager's endpoint scope = %q", got)
	}
	if got := text(browsers["admin@harbor.test"].get("/webhooks"), "[data-testid=webhook-status]"); got != "Enabled" {
		t.Errorf("a new endpoint's status = %q, want Enabled", got)
	}
}

// TestAddWebhookShowsSecretOnce: adding an endpoint shows its signing
// secret on a page no cache keeps, with how to verify deliveries; the
// list, the endpoint's page and its form show only the hint. A group's
// "every event" box stands for its types.
func TestAddWebhookShowsSecretOnce(t *testing.T) {
	t.Parallel()
	p := newWebhookPortal(t, nil, true)
	admin := signedInAs(t, p, "admin@harbor.test")
	form := admin.get("/webhooks/new")
	if n := form.doc.Find("[data-testid=event-group]").Length(); n < 5 {
		t.Errorf("the form groups event types in %d groups", n)
	}
	if form.doc.Find("select[name=partner]").Length() != 0 {
		t.Error("a partner admin is offered a partner to choose")
	}
	pg := admin.post("/webhooks/new", webhookForm("https://crm.harbor.test/hook", []string{webhook.AlertRaised}, "group", "People"))
	if got := pg.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("secret page Cache-Control = %q, want no-store", got)
	}
	secret := text(pg, "[data-testid=webhook-secret]")
	if _, err := webhook.Signature("msg_x", 1, []byte("{}"), secret); err != nil || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("shown secret %q is not a signing secret: %v", secret, err)
	}
	headers := text(pg, "[data-testid=webhook-headers]")
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		if !strings.Contains(headers, h) {
			t.Errorf("the secret page does not explain %s", h)
		}
	}
	if !strings.Contains(text(pg, "main"), "Standard Webhooks") {
		t.Error("the secret page does not point to the Standard Webhooks libraries")
	}
	id := strings.TrimPrefix(pg.doc.Find("[data-testid=done]").AttrOr("href", ""), "/webhooks/")
	for _, path := range []string{"/webhooks", "/webhooks/" + id, "/webhooks/" + id + "/edit", "/webhooks/" + id + "/rotate"} {
		again := admin.get(path)
		html, _ := again.doc.Html()
		if again.status != http.StatusOK || strings.Contains(html, secret) || strings.Contains(html, secret[len(secret)-12:]) {
			t.Errorf("GET %s = %d, shows the secret again: %v", path, again.status, strings.Contains(html, secret))
		}
	}
	list := admin.get("/webhooks")
	if got := text(list, "[data-testid=webhook-hint]"); got != webhook.SecretHint(secret) {
		t.Errorf("list shows hint %q, want %q", got, webhook.SecretHint(secret))
	}
	var types []string
	admin.get("/webhooks/" + id).doc.Find("[data-testid=webhook-types] code").Each(func(_ int, s *goquery.Selection) { types = append(types, s.Text()) })
	want := []string{webhook.MemberInvited, webhook.MemberJoined, webhook.MemberRemoved, webhook.TeamChanged, webhook.AlertRaised}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("event types of the endpoint (-want +got):\n%s", diff)
	}
}

// TestWebhookFormRefusals: what the endpoint service refuses comes back
// at its field (422) with what was typed kept: a URL that is not HTTPS,
// an address inside the portal's network (on a portal that does not
// allow them), no event type, a long description, a partner the staff
// member does not manage or that does not exist, and a 21st endpoint.
func TestWebhookFormRefusals(t *testing.T) {
	t.Parallel()
	strict, open := newWebhookPortal(t, nil, false), newWebhookPortal(t, nil, true)
	other := open.id(t, `INSERT INTO partners (name, slug) VALUES ('Dock Nine', 'dock-nine') RETURNING id`)
	for range store.MaxWebhookEndpoints {
		open.exec(t, `INSERT INTO webhook_endpoints (partner_id, owner_id, url, event_types, secret_enc, secret_hint)
			SELECT partner_id, id, 'https://full.crane.test/', '{token.created}', '\x00', 'whsec_…x' FROM users WHERE email = 'admin@crane.test'`)
	}
	as := func(p *portal, who string) *browser { return signedInAs(t, p, who) }
	strictHarbor, harbor, am, admin, crane := as(strict, "admin@harbor.test"), as(open, "admin@harbor.test"), as(open, "am@portico.test"),
		as(open, "admin@portico.test"), as(open, "admin@crane.test")
	ok := "https://crm.harbor.test/hook"
	types := []string{webhook.TokenCreated}
	for _, tc := range []struct {
		name  string
		b     *browser
		form  url.Values
		field string
		want  string
	}{
		{"http", strictHarbor, webhookForm("http://crm.harbor.test/hook", types), "url-error", "HTTPS only"},
		{"loopback", strictHarbor, webhookForm("https://127.0.0.1/hook", types), "url-error", "inside the portal's own network"},
		{"private", strictHarbor, webhookForm("https://10.1.2.3:8443/hook", types), "url-error", "inside the portal's own network"},
		{"no event type", harbor, webhookForm(ok, nil), "event-types-error", "Choose at least one event type"},
		{"unknown event type", harbor, webhookForm(ok, []string{"token.stolen"}), "event-types-error", "Choose event types from the list"},
		{"long description", harbor, webhookForm(ok, types, "description", strings.Repeat("d", 201)), "description-error", "at most 200 characters"},
		{"unmanaged partner", am, webhookForm(ok, types, "partner", other), "partner-error", "Choose a partner you manage"},
		{"no such partner", admin, webhookForm(ok, types, "partner", "999999"), "partner-error", "Choose a partner you manage"},
		{"partner not a number", admin, webhookForm(ok, types, "partner", "x"), "partner-error", "Choose a partner you manage"},
		{"the 21st", crane, webhookForm(ok, types), "url-error", "the most allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg := tc.b.post("/webhooks/new", tc.form)
			if got := text(pg, "[data-testid="+tc.field+"]"); pg.status != http.StatusUnprocessableEntity || !strings.Contains(got, tc.want) {
				t.Errorf("POST = %d, %s %q, want 422 with %q: %s", pg.status, tc.field, got, tc.want, text(pg, "main"))
			}
			if got := pg.doc.Find("#webhook-url").AttrOr("value", ""); got != tc.form.Get("url") {
				t.Errorf("URL field = %q, want what was typed %q", got, tc.form.Get("url"))
			}
			var checked []string
			pg.doc.Find("[data-testid=event-type][checked]").Each(func(_ int, s *goquery.Selection) { checked = append(checked, s.AttrOr("value", "")) })
			if want := tc.form["event_type"]; len(want) == 1 && want[0] == webhook.TokenCreated && !cmp.Equal(checked, want) {
				t.Errorf("checked event types = %v, want %v kept", checked, want)
			}
			if got := pg.doc.Find("#webhook-description").AttrOr("value", ""); got != tc.form.Get("description") {
				t.Errorf("description field = %q, want what was typed", got)
			}
		})
	}
	if n := strict.count(t, `SELECT count(*) FROM webhook_endpoints`); n != 0 {
		t.Errorf("%d endpoints stored on the strict portal after refusals", n)
	}
	if n := open.count(t, `SELECT count(*) FROM webhook_endpoints`); n != store.MaxWebhookEndpoints {
		t.Errorf("%d endpoints stored after refusals, want the %d there were", n, store.MaxWebhookEndpoints)
	}
}
