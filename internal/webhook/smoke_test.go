package webhook_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
)

// TestTeamChangeIsDelivered: a partner admin's endpoint subscribed to
// team.changed receives a team's creation, signed as Standard Webhooks
// verifies it, once.
func TestTeamChangeIsDelivered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &receiver{}
	srv := httptest.NewTLSServer(rc)
	t.Cleanup(srv.Close)
	w := newWorld(t, srv)
	admin := w.actors["admin@harbor.test"]
	created, err := w.endpoints.Create(ctx, admin, endpoints.Input{URL: srv.URL + "/hooks", EventTypes: []string{webhook.TeamChanged}})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = created.Secret
	svc := people.New(w.store, nil, nil, "https://portal.test")
	if _, err := svc.CreateTeam(ctx, admin.PartnerID, "Night shift"); err != nil {
		t.Fatal(err)
	}
	if n := w.drain(t); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}
	got := rc.got()
	if len(got) != 1 || got[0].Type != webhook.TeamChanged || rc.refused != 0 {
		t.Fatalf("receiver accepted %+v, refused %d", got, rc.refused)
	}
	data := got[0].Payload["data"].(map[string]any)
	if data["change"] != "created" || data["team"].(map[string]any)["name"] != "Night shift" {
		t.Errorf("data = %v", data)
	}
	if w.drain(t) != 0 {
		t.Error("delivered again")
	}
}

// TestRemovalRevokesWithEvents: removing a member revokes their
// credentials in the same transaction; subscribers hear member.removed
// and one token.revoked (or oauth_client.revoked) per credential, though
// the audit trail records the removal as one event.
func TestRemovalRevokesWithEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &receiver{}
	srv := httptest.NewTLSServer(rc)
	t.Cleanup(srv.Close)
	w := newWorld(t, srv)
	admin, dev := w.actors["admin@harbor.test"], w.actors["dev@harbor.test"]
	clientID := "pcl_removaltest0123456789a"
	for i, n := range []store.NewToken{
		{Name: "deploy", Environment: "sandbox"},
		{Name: "billing", Environment: "live", ClientID: &clientID},
	} {
		n.UserID, n.PartnerID, n.Hash, n.Hint = dev.UserID, dev.PartnerID, []byte{byte(i), 1, 2}, "ptc_sbx_…abc"+strconv.Itoa(i)
		n.Scopes, n.ExpiresAt = []string{"fleet/fleet:read"}, time.Now().Add(48*time.Hour)
		if _, err := w.store.InsertToken(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	created, err := w.endpoints.Create(ctx, admin, endpoints.Input{URL: srv.URL + "/hooks",
		EventTypes: []string{webhook.MemberRemoved, webhook.TokenRevoked, webhook.OAuthClientRevoked}})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = created.Secret
	if _, err := people.New(w.store, nil, nil, "https://portal.test").Remove(ctx, admin.PartnerID, dev.UserID); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	var got []string
	for _, r := range rc.got() {
		d := r.Payload["data"].(map[string]any)
		name := ""
		if c, ok := d["credential"].(map[string]any); ok {
			name = c["name"].(string) + " (" + d["reason"].(string) + ")"
		} else {
			name = d["member"].(map[string]any)["email"].(string)
		}
		got = append(got, r.Type+" "+name)
	}
	want := []string{
		"token.revoked deploy (owner removed from the partner)",
		"oauth_client.revoked billing (owner removed from the partner)",
		"member.removed dev@harbor.test",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

// TestSendAgainOnlyWhatFinished: "send again" of a delivery still queued
// is refused (it would reach the receiver twice); once delivered, it is
// sent again with the same webhook-id.
func TestSendAgainOnlyWhatFinished(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &receiver{}
	srv := httptest.NewTLSServer(rc)
	t.Cleanup(srv.Close)
	w := newWorld(t, srv)
	admin := w.actors["admin@harbor.test"]
	created, err := w.endpoints.Create(ctx, admin, endpoints.Input{URL: srv.URL, EventTypes: []string{webhook.TeamChanged}})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = created.Secret
	if _, err := people.New(w.store, nil, nil, "https://portal.test").CreateTeam(ctx, admin.PartnerID, "Ops"); err != nil {
		t.Fatal(err)
	}
	var delivery int64
	if err := w.store.DB().GetContext(ctx, &delivery, `SELECT id FROM webhook_deliveries`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.endpoints.Resend(ctx, admin, created.Endpoint.ID, delivery); !errors.Is(err, store.ErrDeliveryPending) {
		t.Fatalf("send again while queued: %v, want ErrDeliveryPending", err)
	}
	w.drain(t)
	out, err := w.endpoints.Resend(ctx, admin, created.Endpoint.ID, delivery)
	if err != nil || out.State != "delivered" {
		t.Fatalf("send again once delivered: %+v, %v", out, err)
	}
	got := rc.got()
	if len(got) != 2 || got[0].ID != got[1].ID {
		t.Errorf("received %d, want the event twice with one webhook-id", len(got))
	}
}

// TestCheckURLLengthOnceEncoded: a URL short as typed but long once
// percent-encoded (as it is stored) is refused with a sentence, not a
// database error.
func TestCheckURLLengthOnceEncoded(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"https://x.test/" + strings.Repeat("é", 400),
		"https://x.test/a" + strings.Repeat(" ", 700) + "b",
	} {
		_, err := webhook.CheckURL(context.Background(), raw, true)
		var ue *webhook.URLError
		if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "too long") {
			t.Errorf("CheckURL(%d bytes) = %v, want too long", len(raw), err)
		}
	}
}

// TestStaffActorHiddenFromPartners: when the provider's staff act on a
// partner, the partner's own endpoint learns what happened but not who
// at the provider did it (actor null, as its audit trail hides staff
// emails); a staff endpoint gets the actor.
func TestStaffActorHiddenFromPartners(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	partnerRC, staffRC := &receiver{}, &receiver{}
	partnerSrv, staffSrv := httptest.NewTLSServer(partnerRC), httptest.NewTLSServer(staffRC)
	t.Cleanup(partnerSrv.Close)
	t.Cleanup(staffSrv.Close)
	w := newWorld(t, partnerSrv)
	admin, platform, am := w.actors["admin@harbor.test"], w.actors["admin@portico.test"], w.actors["am@portico.test"]
	for _, x := range []struct {
		actor access.Actor
		srv   *httptest.Server
		rc    *receiver
	}{{admin, partnerSrv, partnerRC}, {platform, staffSrv, staffRC}} {
		created, err := w.endpoints.Create(ctx, x.actor, endpoints.Input{URL: x.srv.URL, EventTypes: []string{webhook.PartnerSuspended}})
		if err != nil {
			t.Fatal(err)
		}
		x.rc.secret = created.Secret
	}
	actx := audit.WithSource(ctx, audit.Source{ActorID: am.UserID})
	if _, err := people.New(w.store, nil, nil, "https://portal.test").SetPartnerStatus(actx, admin.PartnerID, store.PartnerSuspended); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	actorOf := func(rc *receiver) any {
		got := rc.got()
		if len(got) != 1 {
			t.Fatalf("received %d events, want 1", len(got))
		}
		return got[0].Payload["data"].(map[string]any)["actor"]
	}
	if a := actorOf(partnerRC); a != nil {
		t.Errorf("the partner's endpoint was told the staff actor %v", a)
	}
	if a, ok := actorOf(staffRC).(map[string]any); !ok || a["email"] != "am@portico.test" {
		t.Errorf("the staff endpoint was told actor %v, want am@portico.test", actorOf(staffRC))
	}
	if partnerRC.got()[0].ID == staffRC.got()[0].ID {
		t.Error("two different bodies share one webhook-id")
	}
}

// TestDeletingATeamEndsItsGrantsAloud: a team's grants go with the team;
// access_group.revoked subscribers hear of each, before team.changed.
func TestDeletingATeamEndsItsGrantsAloud(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &receiver{}
	srv := httptest.NewTLSServer(rc)
	t.Cleanup(srv.Close)
	w := newWorld(t, srv)
	admin := w.actors["admin@harbor.test"]
	svc := people.New(w.store, nil, nil, "https://portal.test")
	team, err := svc.CreateTeam(ctx, admin.PartnerID, "Night shift")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.DB().ExecContext(ctx, `WITH g AS (INSERT INTO access_groups (name, rate_limit_per_minute) VALUES ('Fleet basics', 60) RETURNING id)
		INSERT INTO grants (access_group_id, partner_id, team_id) SELECT id, $1, $2 FROM g`, admin.PartnerID, team.ID); err != nil {
		t.Fatal(err)
	}
	created, err := w.endpoints.Create(ctx, admin, endpoints.Input{URL: srv.URL, EventTypes: []string{webhook.AccessGroupRevoked, webhook.TeamChanged}})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = created.Secret
	if _, _, err := svc.DeleteTeam(audit.WithSource(ctx, audit.Source{ActorID: admin.UserID}), admin.PartnerID, team.ID); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	var got []string
	for _, r := range rc.got() {
		d := r.Payload["data"].(map[string]any)
		if g, ok := d["access_group"].(map[string]any); ok {
			got = append(got, r.Type+" "+g["name"].(string)+" from "+d["grantee"].(map[string]any)["name"].(string))
		} else {
			got = append(got, r.Type+" "+d["change"].(string))
		}
	}
	if diff := cmp.Diff([]string{"access_group.revoked Fleet basics from Night shift", "team.changed deleted"}, got); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

// TestChangeIsAllOrNothing: new settings and "enabled" change together or
// not at all: a refused URL leaves the endpoint enabled.
func TestChangeIsAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := httptest.NewTLSServer(&receiver{})
	t.Cleanup(srv.Close)
	w := newWorld(t, srv)
	admin := w.actors["admin@harbor.test"]
	created, err := w.endpoints.Create(ctx, admin, endpoints.Input{URL: srv.URL, EventTypes: []string{webhook.TeamChanged}})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	bad := endpoints.Input{URL: "http://plain.test/", EventTypes: []string{webhook.TeamChanged}}
	if _, err := w.endpoints.Change(ctx, admin, created.Endpoint.ID, &bad, &off); err == nil {
		t.Fatal("an http:// URL was accepted")
	}
	e, err := w.store.WebhookEndpointByID(ctx, created.Endpoint.ID, false)
	if err != nil || !e.Enabled || e.URL != srv.URL {
		t.Errorf("after a refused change: %+v, %v; want it enabled at %s", e, err, srv.URL)
	}
	good := endpoints.Input{URL: srv.URL + "/v2", EventTypes: []string{webhook.TeamChanged}}
	if e, err = w.endpoints.Change(ctx, admin, created.Endpoint.ID, &good, &off); err != nil || e.Enabled || e.URL != srv.URL+"/v2" {
		t.Errorf("after a change of both: %+v, %v; want it disabled at /v2", e, err)
	}
}
