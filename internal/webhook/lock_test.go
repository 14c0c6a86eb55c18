package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
)

// TestDisablingWhileSending: an admin disables an endpoint while a
// delivery to it is on the wire. The page waits for the send and then
// disables it; neither fails (they once deadlocked: the worker held the
// delivery and wanted the endpoint, the page the other way round).
func TestDisablingWhileSending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	entered, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	w := newWorld(t, srv)
	admin := w.actors["admin@harbor.test"]
	created, err := w.endpoints.Create(ctx, admin, endpoints.Input{URL: srv.URL, EventTypes: []string{webhook.TeamChanged}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := people.New(w.store, nil, nil, "https://portal.test").CreateTeam(ctx, admin.PartnerID, "Ops"); err != nil {
		t.Fatal(err)
	}
	sendErr := make(chan error, 1)
	go func() { _, err := w.sender.DeliverNext(ctx); sendErr <- err }()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery never reached the receiver")
	}
	disableErr := make(chan error, 1)
	go func() {
		_, err := w.endpoints.SetEnabled(ctx, admin, created.Endpoint.ID, false)
		disableErr <- err
	}()
	// Long enough for PostgreSQL's deadlock check (deadlock_timeout, 1 s)
	// to have run, had the two locked in opposite orders.
	time.Sleep(1500 * time.Millisecond)
	close(release)
	if err := <-sendErr; err != nil {
		t.Errorf("send: %v", err)
	}
	if err := <-disableErr; err != nil {
		t.Errorf("disable: %v", err)
	}
	e, err := w.store.WebhookEndpointByID(ctx, created.Endpoint.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := w.store.WebhookLogPage(ctx, e.ID, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if e.Enabled || len(rows) != 1 || rows[0].State != "delivered" {
		t.Errorf("enabled %v, log %+v: want disabled after one delivered attempt", e.Enabled, rows)
	}
}
