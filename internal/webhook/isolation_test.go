package webhook_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/webhook"
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
	_, onlyCraneRC := w.endpoint(t, h, "am@portico.test", "/only-crane", types, crane)
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
	for _, r := range harborRC.got() {
		if at(r.Payload, "data.partner.id") != float64(harbor) {
			t.Errorf("Harbor's endpoint got %s", r.Body)
		}
	}
}
