package webhook_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
)

// TestPartnerIsolation: each endpoint receives the events of the partners
// its owner may see, and only those: a partner admin's their partner's; an
// account manager's "all my partners" those of their book, until a
// partner is handed to someone else; a staff endpoint for one partner that
// partner's; a platform admin's every partner's.
func TestPartnerIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHub(t)
	w := newWorld(t, h.srv)
	svc := w.services()
	harbor, crane := w.partnerID(t, "harbor-logistics"), w.partnerID(t, "crane-works")
	// A partner outside the account manager's book.
	dock, err := w.store.CreatePartner(ctx, "Dock Nine", "dock-nine")
	if err != nil {
		t.Fatal(err)
	}
	types := []string{webhook.TeamChanged}
	_, harborRC := w.endpoint(t, h, "admin@harbor.test", "/harbor", types, 0)
	_, craneRC := w.endpoint(t, h, "admin@crane.test", "/crane", types, 0)
	_, bookRC := w.endpoint(t, h, "am@portico.test", "/book", types, 0)
	onlyCrane, onlyCraneRC := w.endpoint(t, h, "am@portico.test", "/only-crane", types, crane)
	_, allRC := w.endpoint(t, h, "admin@portico.test", "/all", types, 0)
	team := func(partnerID int64, name string) {
		t.Helper()
		if _, err := svc.people.CreateTeam(ctx, partnerID, name); err != nil {
			t.Fatal(err)
		}
	}
	team(harbor, "H1")
	team(crane, "C1")
	team(dock.ID, "D1")
	w.drain(t)
	// Crane is handed over: the account manager's endpoints hear no more
	// of it.
	if _, err := svc.people.ChangeManagers(w.as("admin@portico.test"), w.actors["admin@portico.test"], crane, 0, w.actors["am@portico.test"].UserID); err != nil {
		t.Fatal(err)
	}
	team(harbor, "H2")
	team(crane, "C2")
	team(dock.ID, "D2")
	w.drain(t)
	for _, c := range []struct {
		name string
		rc   *receiver
		want []string
	}{
		{"Harbor's admin", harborRC, []string{"H1", "H2"}},
		{"Crane's admin", craneRC, []string{"C1", "C2"}},
		{"account manager, all my partners", bookRC, []string{"H1", "C1", "H2"}},
		{"account manager, for Crane", onlyCraneRC, []string{"C1"}},
		{"platform admin, every partner", allRC, []string{"H1", "C1", "D1", "H2", "C2", "D2"}},
	} {
		if d := cmp.Diff(c.want, teamNames(c.rc)); d != "" {
			t.Errorf("%s received (-want +got):\n%s", c.name, d)
		}
	}
	// The handover takes Crane's log along: the account manager reads
	// none of its events and cannot send one again; a platform admin can.
	u, err := w.store.SessionUser(ctx, w.actors["am@portico.test"].UserID)
	if err != nil {
		t.Fatal(err)
	}
	am := access.Actor{UserID: u.ID, Role: u.Role, Managed: u.Managed}
	e := onlyCrane.Endpoint
	for _, c := range []struct {
		who  string
		a    access.Actor
		want int
	}{{"the account manager after the handover", am, 0}, {"a platform admin", w.actors["admin@portico.test"], 1}} {
		rows, _, err := w.store.WebhookLogPage(ctx, e.ID, endpoints.LogBook(c.a, e), nil, 50)
		if err != nil || len(rows) != c.want {
			t.Errorf("%s reads %d attempts of Crane's (%v), want %d", c.who, len(rows), err, c.want)
		}
	}
	var delivery int64
	if err := w.store.DB().Get(&delivery, `SELECT id FROM webhook_deliveries WHERE endpoint_id = $1`, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.endpoints.Resend(ctx, am, e.ID, delivery); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the account manager sent Crane's event again after the handover: %v, want ErrNotFound", err)
	}
	for _, r := range harborRC.got() {
		if at(r.Payload, "data.partner.id") != float64(harbor) {
			t.Errorf("Harbor's endpoint got %s", r.Body)
		}
	}
}
