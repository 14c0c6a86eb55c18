package catalog_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
)

// TestGrantsFollowTheAssignment: access groups are shared, but granting
// one is an action on a partner. An account manager no longer assigned to
// Crane Works cannot grant to its people or teams, nor revoke its grants,
// whatever partner the request names, and a refused deletion counts
// Crane's grants without naming Crane; a platform admin does all of it.
func TestGrantsFollowTheAssignment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := catalog.NewGroups(w.st)
	am := w.staff(t)
	if _, err := w.st.UnassignManager(ctx, w.crane, am.UserID); err != nil {
		t.Fatal(err)
	}
	am = w.staff(t)
	admin := adminActor(t, w)

	craneGrant, err := g.Grant(ctx, admin, w.readers, catalog.GrantTo{UserID: w.craneDev})
	if err != nil {
		t.Fatalf("the platform admin grants to Crane: %v", err)
	}
	if _, err := g.Grant(ctx, am, w.readers, catalog.GrantTo{TeamID: w.ops}); err != nil {
		t.Fatalf("the account manager grants to their own partner: %v", err)
	}
	before := countGrants(t, w.st)
	for name, to := range map[string]catalog.GrantTo{
		"Crane's developer":                {UserID: w.craneDev},
		"Crane's developer, naming Crane":  {UserID: w.craneDev, PartnerID: w.crane},
		"Crane's developer, naming Harbor": {UserID: w.craneDev, PartnerID: w.harbor},
		// The refusal of a grantee of another partner would name Crane,
		// which the request only knew by its id.
		"Harbor's team, naming Crane":      {TeamID: w.night, PartnerID: w.crane},
		"Harbor's developer, naming Crane": {UserID: w.dev, PartnerID: w.crane},
	} {
		if _, err := g.Grant(ctx, am, w.writers, to); !errors.Is(err, catalog.ErrNotManaged) {
			t.Errorf("%s: err = %v, want ErrNotManaged", name, err)
		}
	}
	if n := countGrants(t, w.st); n != before {
		t.Errorf("grants %d → %d: refused grants stored something", before, n)
	}

	if gr, err := g.Revoke(ctx, am, w.readers, craneGrant.ID); !errors.Is(err, catalog.ErrNotManaged) || gr != nil {
		t.Errorf("the account manager revokes Crane's grant: %v, %v; want ErrNotManaged and no grant", gr, err)
	}
	var open bool
	if err := w.st.DB().Get(&open, `SELECT revoked_at IS NULL FROM grants WHERE id = $1`, craneGrant.ID); err != nil || !open {
		t.Errorf("Crane's grant open = %v (%v) after a refused revoke, want still open", open, err)
	}

	_, err = g.Delete(ctx, am, w.readers)
	var in *apierr.FieldError
	if !errors.As(err, &in) || !strings.Contains(in.Message, "Readers is still granted to Harbor Logistics and 1 partner you do not manage.") ||
		strings.Contains(in.Message, "Crane") {
		t.Errorf("the account manager deletes the group: %v; want a refusal naming Harbor and counting Crane without its name", err)
	}
	_, err = g.Delete(ctx, admin, w.readers)
	if !errors.As(err, &in) || !strings.Contains(in.Message, "Readers is still granted to Crane Works, Harbor Logistics.") {
		t.Errorf("the platform admin deletes the group: %v; want a refusal naming both partners", err)
	}
	if _, err := g.Revoke(ctx, admin, w.readers, craneGrant.ID); err != nil {
		t.Errorf("the platform admin revokes Crane's grant: %v", err)
	}
	_, err = g.Delete(ctx, am, w.readers)
	if !errors.As(err, &in) || strings.Contains(in.Message, "do not manage") {
		t.Errorf("once only Harbor holds it: %v; want a refusal naming Harbor alone", err)
	}
}

// adminActor is the demo platform admin, as an actor.
func adminActor(t *testing.T, w *world) access.Actor {
	t.Helper()
	u, err := w.st.UserByEmail(context.Background(), "admin@portico.test")
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{UserID: u.ID, Role: u.Role}
}
