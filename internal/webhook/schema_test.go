package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/apispec"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
	"github.com/portico/portico/openapi"
)

// portalDoc is openapi/portal.yaml, loaded and validated by kin-openapi.
func portalDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := apispec.Load(openapi.Portal)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// typeNames are the names of webhook.Types.
func typeNames() []string {
	var out []string
	for _, ty := range webhook.Types {
		out = append(out, ty.Name)
	}
	return out
}

// TestEveryEventTypeIsDocumented: portal.yaml's `webhooks` has one entry per
// event type endpoints subscribe to, plus the test event, and no other;
// the WebhookEventType enum (what the API accepts) lists exactly the
// subscribable ones, in the forms' order.
func TestEveryEventTypeIsDocumented(t *testing.T) {
	t.Parallel()
	doc := portalDoc(t)
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("portal.yaml is OpenAPI %s: webhooks need 3.1", doc.OpenAPI)
	}
	var documented []string
	for name, item := range doc.Webhooks {
		documented = append(documented, name)
		if item.Post == nil || len(item.Operations()) != 1 {
			t.Errorf("webhooks.%s: document the one POST the receiver gets", name)
		}
	}
	want := append(typeNames(), webhook.TestEvent)
	slices.Sort(documented)
	slices.Sort(want)
	if diff := cmp.Diff(want, documented); diff != "" {
		t.Errorf("event types (-) and documented webhooks (+) differ:\n%s", diff)
	}
	var enum []string
	for _, v := range doc.Components.Schemas["WebhookEventType"].Value.Enum {
		enum = append(enum, v.(string))
	}
	if diff := cmp.Diff(typeNames(), enum); diff != "" {
		t.Errorf("webhook.Types (-) and the WebhookEventType enum (+) differ:\n%s", diff)
	}
}

// delivery is what a receiver got: the headers and the body.
type delivery struct {
	header http.Header
	body   []byte
}

// recorder keeps every delivery the verifying receiver accepted, with
// its headers, by type.
type recorder struct {
	mu   sync.Mutex
	got  map[string][]delivery
	next *receiver
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	sw := &status{ResponseWriter: w}
	rec.next.ServeHTTP(sw, r)
	if sw.code != http.StatusNoContent {
		return
	}
	var p struct{ Type string }
	_ = json.Unmarshal(body, &p)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.got[p.Type] = append(rec.got[p.Type], delivery{header: r.Header.Clone(), body: body})
}

// status remembers the status a handler answered.
type status struct {
	http.ResponseWriter
	code int
}

func (s *status) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// TestEveryPayloadMatchesItsSchema: for every event type, a payload built
// by the code that sends it (the audited action's builders, the alert and
// expiry notices, the test event), from a seeded portal, and delivered,
// signed, to a receiver, matches its `webhooks` entry in portal.yaml:
// the body's schema and the three Standard Webhooks headers.
func TestEveryPayloadMatchesItsSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := &recorder{got: map[string][]delivery{}, next: &receiver{}}
	srv := httptest.NewTLSServer(rec)
	t.Cleanup(srv.Close)
	w := newWorld(t, srv)
	if err := demo.SeedCatalog(ctx, w.store); err != nil {
		t.Fatal(err)
	}
	admin := w.actors["admin@harbor.test"]
	harbor := admin.PartnerID
	created, err := w.endpoints.Create(ctx, admin, endpoints.Input{URL: srv.URL + "/hooks", EventTypes: typeNames()})
	if err != nil {
		t.Fatal(err)
	}
	rec.next.secret = created.Secret
	// Rotated, so deliveries carry two signatures, as documented.
	rotated, err := w.endpoints.Rotate(ctx, admin, created.Endpoint.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rec.next.secret = rotated.Secret

	// What the events are about: a team (created through the people
	// service: team.changed goes out), its grant and a developer's, a
	// token and an OAuth client of Harbor's developer, alerts.
	svc := people.New(w.store, nil, nil, "https://portal.test")
	team, err := svc.CreateTeam(ctx, harbor, "Night shift")
	if err != nil {
		t.Fatal(err)
	}
	dev := mustUserID(t, w.store, "dev@harbor.test")
	id := func(q string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := w.store.DB().Get(&n, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	group := id(`SELECT id FROM access_groups ORDER BY id LIMIT 1`)
	teamGrant := id(`INSERT INTO grants (access_group_id, partner_id, team_id) VALUES ($1, $2, $3) RETURNING id`, group, harbor, team.ID)
	devGrant := id(`INSERT INTO grants (access_group_id, partner_id, user_id) VALUES ($1, $2, $3) RETURNING id`, group, harbor, dev)
	pat := id(`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		VALUES ($1, $2, 'CI deploy', 'live', decode(md5('schema-pat'), 'hex'), 'ptc_live_…x7Qa', '{fleet/fleet:read}', now() + interval '5 days') RETURNING id`, dev, harbor)
	client := id(`INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, client_id)
		VALUES ($1, $2, 'Billing sync', 'sandbox', decode(md5('schema-client'), 'hex'), 'ptc_cs_…9kLm', '{fleet/fleet:read}', now() + interval '5 days',
		        'pcl_3kTn9xQ2bVw7LmP0aZc4Rd') RETURNING id`, dev, harbor)
	alertOf := func(token *int64) int64 {
		a, _, err := w.store.RaiseAlert(ctx, store.NewAlert{PartnerID: harbor, TokenID: token, Rule: "rate_limited", Cause: "schema test", Message: "Harbor was throttled 40 times."})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	withToken, withoutToken := alertOf(&pat), alertOf(nil)

	audited := func(name string, target int64, targetName string, details map[string]any) func(*store.Store) error {
		return func(tx *store.Store) error {
			return webhook.FromAudit(ctx, tx, webhook.Action{Name: name, PartnerID: harbor, TargetID: target, Target: targetName, Details: details, ActorID: admin.UserID})
		}
	}
	expiring := func(tokenID int64) func(*store.Store) error {
		return func(tx *store.Store) error {
			tk, err := tx.TokenByID(ctx, tokenID)
			if err != nil {
				return err
			}
			return webhook.QueueCredentialExpiring(ctx, tx, tk)
		}
	}
	alert := func(alertID int64) func(*store.Store) error {
		return func(tx *store.Store) error { return webhook.QueueAlertRaised(ctx, tx, alertID, harbor) }
	}
	for _, action := range []func(*store.Store) error{
		audited("invitation.create", 41, "new@harbor.test", map[string]any{"role": "developer"}),
		audited("invitation.accept", 41, "new@harbor.test", map[string]any{"user_id": dev}),
		audited("member.joined", dev, "dev@harbor.test", nil),
		audited("member.remove", dev, "dev@harbor.test", nil),
		audited("member.deprovisioned", dev, "dev@harbor.test", nil),
		audited("team.rename", team.ID, "Night crew", map[string]any{"from": "Night shift"}),
		audited("team.member_add", team.ID, "Night crew", map[string]any{"member": "dev@harbor.test", "member_id": dev}),
		audited("grant.create", teamGrant, "", nil),
		audited("grant.create", devGrant, "", nil),
		audited("grant.revoke", devGrant, "", nil),
		audited("token.create", pat, "CI deploy", nil),
		audited("token.approve", pat, "CI deploy", nil),
		audited("token.regenerate", pat, "CI deploy", map[string]any{"old_hint": "ptc_live_…a1B2", "grace_seconds": 3600}),
		audited("token.revoke", pat, "CI deploy", map[string]any{"reason": "revoked by a partner admin"}),
		audited("token.leaked", pat, "CI deploy", nil),
		expiring(pat),
		audited("client.create", client, "Billing sync", nil),
		audited("token.regenerate", client, "Billing sync", map[string]any{"old_hint": "ptc_cs_…z9Y8", "grace_seconds": 0}),
		audited("token.revoke", client, "Billing sync", map[string]any{"reason": "revoked by its owner"}),
		expiring(client),
		alert(withToken),
		alert(withoutToken),
		audited("partner.suspend", harbor, "Harbor Logistics", nil),
		audited("partner.reactivate", harbor, "Harbor Logistics", nil),
		audited("partner.end", harbor, "Harbor Logistics", map[string]any{"credentials_revoked": 3, "people_closed": 2, "invitations_cancelled": 1, "grants_ended": 4}),
	} {
		if err := w.store.InTx(ctx, action); err != nil {
			t.Fatal(err)
		}
	}
	w.drain(t)
	if _, err := w.endpoints.SendTest(ctx, admin, created.Endpoint.ID); err != nil {
		t.Fatal(err)
	}
	if rec.next.refused != 0 {
		t.Fatalf("the receiver refused %d deliveries", rec.next.refused)
	}

	doc := portalDoc(t)
	for _, name := range append(typeNames(), webhook.TestEvent) {
		got := rec.got[name]
		if len(got) == 0 {
			t.Errorf("%s: nothing delivered", name)
			continue
		}
		item := doc.Webhooks[name]
		if item == nil || item.Post == nil {
			t.Errorf("%s: not documented under webhooks", name)
			continue
		}
		schema := item.Post.RequestBody.Value.Content.Get("application/json").Schema.Value
		for i, d := range got {
			var body any
			if err := json.Unmarshal(d.body, &body); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := schema.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
				t.Errorf("%s #%d: body %s does not match its schema: %v", name, i, d.body, err)
			}
			checkHeaders(t, name, item.Post, d.header)
		}
	}
}

// checkHeaders checks a delivery's headers against the operation's header
// parameters.
func checkHeaders(t *testing.T, name string, op *openapi3.Operation, h http.Header) {
	t.Helper()
	seen := 0
	for _, p := range op.Parameters {
		if p.Value.In != openapi3.ParameterInHeader {
			continue
		}
		seen++
		raw := h.Get(p.Value.Name)
		var v any = raw
		if p.Value.Schema.Value.Type.Is(openapi3.TypeInteger) {
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				t.Errorf("%s: header %s %q is not an integer", name, p.Value.Name, raw)
				continue
			}
			v = float64(n)
		}
		if err := p.Value.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("%s: header %s %q does not match: %v", name, p.Value.Name, raw, err)
		}
	}
	if seen != 3 {
		t.Errorf("%s: %d header parameters documented, want webhook-id, webhook-timestamp and webhook-signature", name, seen)
	}
}
