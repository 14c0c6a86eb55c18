package webhook_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/internal/people"
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
