package webhook_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
