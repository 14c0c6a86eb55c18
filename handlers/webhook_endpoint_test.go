package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/portico/portico/internal/webhook"
)

// webhookPath is an endpoint's page, or one of its actions.
func webhookPath(id int64, rest ...string) string {
	return strings.Join(append([]string{"/webhooks/" + strconv.FormatInt(id, 10)}, rest...), "/")
}

// endpointRequests are every request naming endpoint id (and its
// delivery), each a real change where it is allowed.
func endpointRequests(id, delivery int64) []struct {
	method, path string
	form         url.Values
} {
	edit := webhookForm("https://taken.over.test/", []string{webhook.TokenRevoked})
	return []struct {
		method, path string
		form         url.Values
	}{
		{"GET", webhookPath(id), nil},
		{"GET", webhookPath(id, "edit"), nil},
		{"POST", webhookPath(id, "edit"), edit},
		{"GET", webhookPath(id, "rotate"), nil},
		{"POST", webhookPath(id, "rotate"), url.Values{"grace": {"0"}}},
		{"POST", webhookPath(id, "test"), nil},
		{"POST", webhookPath(id, "deliveries", strconv.FormatInt(delivery, 10), "resend"), nil},
		{"GET", webhookPath(id, "disable"), nil},
		{"POST", webhookPath(id, "disable"), nil},
		{"POST", webhookPath(id, "enable"), nil},
		{"GET", webhookPath(id, "delete"), nil},
		{"POST", webhookPath(id, "delete"), nil},
	}
}

// TestWebhookEndpointIsolation: an endpoint is its partner's admins' (a
// partner's) or its owner's and the platform admins' (a staff
// member's). Everyone else gets 404 on every page and action of it — the
// other partner's admin, staff on a partner's endpoint, a partner admin
// and another account manager on a staff endpoint — and a developer 403;
// the endpoint stays as it was.
func TestWebhookEndpointIsolation(t *testing.T) {
	t.Parallel()
	p := newWebhookPortal(t, nil, true)
	p.exec(t, `INSERT INTO users (email, name, role, password_hash)
		SELECT 'am2@portico.test', 'Sam Second', 'account_manager', password_hash FROM users WHERE email = 'am@portico.test'`)
	harborID, _ := addWebhook(t, signedInAs(t, p, "admin@harbor.test"), webhookForm("https://crm.harbor.test/hook", []string{webhook.TokenCreated}))
	amID, _ := addWebhook(t, signedInAs(t, p, "am@portico.test"), webhookForm("https://crm.provider.test/am", []string{webhook.PartnerEnded}))
	delivery := func(endpoint int64) int64 {
		id, _ := strconv.ParseInt(p.id(t, `WITH ev AS (INSERT INTO webhook_events (msg_id, type, body) VALUES ('msg_'||$1::bigint, 'token.created', '{}') RETURNING id)
			INSERT INTO webhook_deliveries (endpoint_id, event_id, state) SELECT $1::bigint, id, 'delivered' FROM ev RETURNING id`, endpoint), 10, 64)
		return id
	}
	harborDelivery, amDelivery := delivery(harborID), delivery(amID)
	state := func() string {
		var s string
		if err := p.store.DB().Get(&s, `SELECT string_agg(concat_ws('|', id, url, description, event_types, secret_hint, enabled,
			(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id)), ';' ORDER BY id) FROM webhook_endpoints e`); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := state()
	for _, tc := range []struct {
		who      string
		endpoint int64
		delivery int64
		status   int
	}{
		{"admin@crane.test", harborID, harborDelivery, http.StatusNotFound},
		{"am@portico.test", harborID, harborDelivery, http.StatusNotFound},
		{"admin@portico.test", harborID, harborDelivery, http.StatusNotFound},
		{"dev@harbor.test", harborID, harborDelivery, http.StatusForbidden},
		{"am2@portico.test", amID, amDelivery, http.StatusNotFound},
		{"admin@harbor.test", amID, amDelivery, http.StatusNotFound},
		{"dev@crane.test", amID, amDelivery, http.StatusForbidden},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := signedInAs(t, p, tc.who)
			for _, r := range endpointRequests(tc.endpoint, tc.delivery) {
				var pg page
				if r.method == "GET" {
					pg = b.get(r.path)
				} else {
					pg = b.post(r.path, r.form)
				}
				if pg.status != tc.status {
					t.Errorf("%s %s = %d, want %d", r.method, r.path, pg.status, tc.status)
				}
				if html, _ := pg.doc.Html(); strings.Contains(html, "crm.harbor.test") || strings.Contains(html, "crm.provider.test") {
					t.Errorf("%s %s shows the endpoint's URL", r.method, r.path)
				}
			}
			url := map[int64]string{harborID: "https://crm.harbor.test/hook", amID: "https://crm.provider.test/am"}[tc.endpoint]
			if got := webhookURLs(b.get("/webhooks")); slices.Contains(got, url) {
				t.Errorf("list shows %v", got)
			}
		})
	}
	if after := state(); after != before {
		t.Errorf("the endpoints changed:\nbefore %s\nafter  %s", before, after)
	}
	if pg := signedInAs(t, p, "admin@portico.test").get(webhookPath(amID)); pg.status != http.StatusOK {
		t.Errorf("platform admin GET the account manager's endpoint = %d, want 200", pg.status)
	}
}

// receiver is a TLS webhook receiver that verifies each delivery with
// the Standard Webhooks library and answers status with answer.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	status int
	answer string
	ids    []string
	bad    int
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{status: http.StatusOK, answer: `{"received": true}`}
	rc.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(rc.secret)
		if err != nil || wh.Verify(body, r.Header) != nil {
			rc.bad++
		}
		rc.ids = append(rc.ids, r.Header.Get("webhook-id"))
		w.WriteHeader(rc.status)
		_, _ = io.WriteString(w, rc.answer)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) client() *http.Client {
	c := rc.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func (rc *receiver) set(secret string, status int, answer string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret, rc.status, rc.answer = secret, status, answer
}

func (rc *receiver) got() (ids []string, bad int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.ids...), rc.bad
}

// logRows are the delivery log's rows: type, result, kind, webhook-id.
func logRows(pg page) [][]string {
	var out [][]string
	pg.doc.Find("[data-testid=delivery]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, []string{text1(s, "[data-testid=delivery-type]"), text1(s, "[data-testid=delivery-result]"),
			text1(s, "[data-testid=delivery-kind]"), text1(s, "[data-testid=delivery-id]")})
	})
	return out
}

func text1(s *goquery.Selection, sel string) string { return strings.TrimSpace(s.Find(sel).Text()) }

// follow gets where a redirect leads.
func follow(t *testing.T, b *browser, res page) page {
	t.Helper()
	if res.status != http.StatusSeeOther {
		t.Fatalf("answer = %d, want 303: %s", res.status, text(res, "main"))
	}
	return b.get(res.header.Get("Location"))
}

// TestWebhookSendTestAndAgain: "Send a test event" posts a signed
// webhook.test to the receiver at once and says what came back (status,
// time, first bytes); the log shows the attempt with its request and
// answer; "Send again" sends the same message (same webhook-id) once
// more; a failing answer is told as one; a disabled endpoint sends
// nothing and says so.
func TestWebhookSendTestAndAgain(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	p := newWebhookPortal(t, rc.client(), true)
	admin := signedInAs(t, p, "admin@harbor.test")
	id, secret := addWebhook(t, admin, webhookForm(rc.srv.URL+"/portico", []string{webhook.TokenCreated}))
	rc.set(secret, http.StatusOK, `{"received": true}`)

	empty := admin.get(webhookPath(id))
	if empty.doc.Find("[data-testid=no-deliveries]").Length() != 1 {
		t.Error("a new endpoint's log has no empty state")
	}
	pg := follow(t, admin, admin.submit(empty, "[data-testid=send-test]"))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "answered 200 OK in") || !strings.Contains(got, `{"received": true}`) {
		t.Errorf("flash after the test = %q, want the status, time and first bytes", got)
	}
	ids, bad := rc.got()
	if len(ids) != 1 || bad != 0 {
		t.Fatalf("receiver got %d deliveries, %d with a bad signature; want 1 good", len(ids), bad)
	}
	want := [][]string{{webhook.TestEvent, "200 OK", "sent by hand", ids[0]}}
	if diff := cmp.Diff(want, logRows(pg)); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if got := text(pg, "[data-testid=delivery-body]"); !strings.Contains(got, `"type": "webhook.test"`) {
		t.Errorf("logged request body = %q", got)
	}
	if got := text(pg, "[data-testid=delivery-response]"); got != `{"received": true}` {
		t.Errorf("logged answer = %q", got)
	}

	rc.set(secret, http.StatusInternalServerError, "receiver broke")
	pg = follow(t, admin, admin.submit(pg, "[data-testid=resend]"))
	if got := text(pg, ".flash-error"); !strings.Contains(got, "500 Internal Server Error") || !strings.Contains(got, "receiver broke") {
		t.Errorf("flash after a failed resend = %q", got)
	}
	ids, bad = rc.got()
	if len(ids) != 2 || ids[1] != ids[0] || bad != 0 {
		t.Errorf("receiver got ids %v (%d bad), want the same message twice, signed", ids, bad)
	}
	want = append([][]string{{webhook.TestEvent, "500 Internal Server Error", "sent by hand", ids[0]}}, want...)
	if diff := cmp.Diff(want, logRows(pg)); diff != "" {
		t.Errorf("log after the resend (-want +got):\n%s", diff)
	}

	// Disabled through its confirmation: nothing goes out.
	confirm := admin.get(webhookPath(id, "disable"))
	if confirm.status != http.StatusOK || confirm.doc.Find("[data-testid=confirm-disable-webhook] form[method=post]").Length() != 1 {
		t.Fatalf("disable confirmation = %d", confirm.status)
	}
	pg = follow(t, admin, admin.submit(confirm, "[data-testid=confirm-button]"))
	if got := pg.doc.Find("[data-testid=webhook-status]").AttrOr("data-status", ""); got != "disabled" {
		t.Errorf("status after disabling = %q", got)
	}
	if got := text(pg, "[data-testid=disabled-reason]"); !strings.Contains(got, "Disabled by admin@harbor.test") {
		t.Errorf("disabled reason = %q", got)
	}
	if pg.doc.Find("[data-testid=send-test], [data-testid=resend]").Length() != 0 {
		t.Error("a disabled endpoint offers to send")
	}
	for _, path := range []string{webhookPath(id, "test"), webhookPath(id, "deliveries", pg.doc.Find("[data-testid=delivery]").AttrOr("data-delivery", ""), "resend")} {
		got := follow(t, admin, admin.post(path, nil))
		if msg := text(got, ".flash-error"); !strings.Contains(msg, "this endpoint is disabled") {
			t.Errorf("POST %s on a disabled endpoint: flash %q", path, msg)
		}
	}
	if ids, _ := rc.got(); len(ids) != 2 {
		t.Errorf("a disabled endpoint sent: receiver has %d deliveries", len(ids))
	}
	pg = follow(t, admin, admin.submit(pg, "[data-testid=enable-webhook]"))
	if got := pg.doc.Find("[data-testid=webhook-status]").AttrOr("data-status", ""); got != "enabled" || pg.doc.Find("[data-testid=send-test]").Length() != 1 {
		t.Errorf("status after enabling = %q", got)
	}
}

// TestWebhookLogPages: the log shows 25 attempts a page, newest first,
// with an Older link carrying a cursor to the rest; a cursor it did not
// make is a 400 page.
func TestWebhookLogPages(t *testing.T) {
	t.Parallel()
	p := newWebhookPortal(t, nil, true)
	admin := signedInAs(t, p, "admin@harbor.test")
	id, _ := addWebhook(t, admin, webhookForm("https://crm.harbor.test/hook", []string{webhook.TokenCreated}))
	p.exec(t, `WITH ev AS (INSERT INTO webhook_events (msg_id, type, body) SELECT 'msg_'||i, 'token.created', '{"n":'||i||'}' FROM generate_series(1, 30) i RETURNING id, msg_id),
		d AS (INSERT INTO webhook_deliveries (endpoint_id, event_id, state) SELECT `+strconv.FormatInt(id, 10)+`, id, 'delivered' FROM ev RETURNING id, event_id)
		INSERT INTO webhook_attempts (delivery_id, endpoint_id, at, status, duration_ms)
		SELECT d.id, `+strconv.FormatInt(id, 10)+`, now() - substr(ev.msg_id, 5)::int * interval '1 minute', 200, 12 FROM d JOIN ev ON ev.id = d.event_id`)
	first := admin.get(webhookPath(id))
	rows := logRows(first)
	if len(rows) != 25 || rows[0][3] != "msg_1" || rows[24][3] != "msg_25" {
		t.Fatalf("first page: %d rows from %v", len(rows), rows)
	}
	older := first.doc.Find("[data-testid=log-pager] [data-testid=next-page]").AttrOr("href", "")
	if older == "" {
		t.Fatal("no Older link")
	}
	second := admin.get(older)
	var got []string
	for _, r := range logRows(second) {
		got = append(got, r[3])
	}
	if diff := cmp.Diff([]string{"msg_26", "msg_27", "msg_28", "msg_29", "msg_30"}, got); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	if second.doc.Find("[data-testid=next-page]").Length() != 0 || second.doc.Find("[data-testid=first-page]").Length() != 1 {
		t.Error("the last page links further, or not back to the newest")
	}
	for _, cursor := range []string{"garbage", "dGhpcyBpcyBub3Q"} {
		if pg := admin.get(webhookPath(id) + "?after=" + cursor); pg.status != http.StatusBadRequest || !strings.Contains(text(pg, "main"), "broken") {
			t.Errorf("bad cursor %q = %d: %s", cursor, pg.status, text(pg, "main"))
		}
	}
}

// TestWebhookEditRotateDelete: the form edits an endpoint (a refusal
// keeps what was typed); rotating asks first, with a grace period (24
// hours unless chosen), and shows the new secret once, which then signs
// deliveries beside the previous one; deleting asks first, then the
// endpoint is gone.
func TestWebhookEditRotateDelete(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	p := newWebhookPortal(t, rc.client(), true)
	admin := signedInAs(t, p, "admin@harbor.test")
	id, old := addWebhook(t, admin, webhookForm(rc.srv.URL+"/hook", []string{webhook.TokenCreated}))

	edit := admin.get(webhookPath(id, "edit"))
	if got := edit.doc.Find("#webhook-url").AttrOr("value", ""); got != rc.srv.URL+"/hook" {
		t.Errorf("edit form URL = %q", got)
	}
	bad := admin.post(webhookPath(id, "edit"), webhookForm("ftp://crm.harbor.test/", []string{webhook.TokenRevoked}, "description", "Ticketing"))
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(text(bad, "[data-testid=url-error]"), "HTTPS only") ||
		bad.doc.Find("#webhook-description").AttrOr("value", "") != "Ticketing" {
		t.Errorf("bad edit = %d, url error %q", bad.status, text(bad, "[data-testid=url-error]"))
	}
	pg := follow(t, admin, admin.post(webhookPath(id, "edit"), webhookForm(rc.srv.URL+"/hook", []string{webhook.TokenRevoked}, "description", "Ticketing")))
	if got := text(pg, "[data-testid=webhook-description]"); got != "Ticketing" || text(pg, "[data-testid=webhook-types]") != webhook.TokenRevoked {
		t.Errorf("after the edit: description %q, types %q", got, text(pg, "[data-testid=webhook-types]"))
	}

	confirm := admin.get(webhookPath(id, "rotate"))
	if got := confirm.doc.Find("#webhook-grace option[selected]").AttrOr("value", ""); confirm.status != http.StatusOK || got != "24h" {
		t.Errorf("rotate confirmation = %d, grace chosen %q, want 24h", confirm.status, got)
	}
	if res := admin.post(webhookPath(id, "rotate"), url.Values{"grace": {"720h"}}); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(text(res, "[data-testid=grace-error]"), "Choose one of the grace periods") {
		t.Errorf("rotate with a grace not offered = %d", res.status)
	}
	res := admin.post(webhookPath(id, "rotate"), url.Values{"grace": {"1h"}})
	secret := text(res, "[data-testid=webhook-secret]")
	if res.status != http.StatusOK || res.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(secret, "whsec_") || secret == old {
		t.Fatalf("rotate = %d, Cache-Control %q, secret new %v", res.status, res.header.Get("Cache-Control"), secret != old)
	}
	if got := text(res, "[data-testid=grace-until]"); !strings.Contains(got, "keeps signing until") {
		t.Errorf("rotation's grace = %q", got)
	}
	pg = admin.get(webhookPath(id))
	if got := text(pg, "[data-testid=webhook-hint]"); got != webhook.SecretHint(secret) || pg.doc.Find("[data-testid=webhook-grace]").Length() != 1 {
		t.Errorf("hint after rotation = %q, grace shown %d", got, pg.doc.Find("[data-testid=webhook-grace]").Length())
	}
	// A receiver that knows only the old secret still verifies, as one
	// that knows only the new one.
	for _, s := range []string{old, secret} {
		rc.set(s, http.StatusOK, "ok")
		follow(t, admin, admin.post(webhookPath(id, "test"), nil))
	}
	if ids, bad := rc.got(); len(ids) != 2 || bad != 0 {
		t.Errorf("receiver: %d deliveries, %d not verified with either secret", len(ids), bad)
	}

	del := admin.get(webhookPath(id, "delete"))
	if del.status != http.StatusOK || del.doc.Find("[data-testid=confirm-delete-webhook] form[method=post]").Length() != 1 {
		t.Fatalf("delete confirmation = %d", del.status)
	}
	list := follow(t, admin, admin.submit(del, "[data-testid=confirm-button]"))
	if got := text(list, "[data-testid=flash]"); !strings.Contains(got, "was deleted") || list.doc.Find("[data-testid=no-webhooks]").Length() != 1 {
		t.Errorf("after deleting: flash %q, endpoints %v", got, webhookURLs(list))
	}
	if pg := admin.get(webhookPath(id)); pg.status != http.StatusNotFound {
		t.Errorf("deleted endpoint's page = %d", pg.status)
	}
}
