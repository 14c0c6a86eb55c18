package catalog_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// world is a seeded database with two APIs, three access groups and the
// demo partners, plus a Harbor team "ops" holding the developer.
type world struct {
	st                       *store.Store
	harbor, crane            int64
	dev, admin, craneDev     int64
	ops, night               int64
	fleet, maint             int64
	readers, writers, fleet2 int64
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	w := &world{st: st}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	h, err := st.PartnerBySlug(ctx, "harbor-logistics")
	must(err)
	c, err := st.PartnerBySlug(ctx, "crane-works")
	must(err)
	w.harbor, w.crane = h.ID, c.ID
	for email, id := range map[string]*int64{"dev@harbor.test": &w.dev, "admin@harbor.test": &w.admin, "dev@crane.test": &w.craneDev} {
		u, err := st.UserByEmail(ctx, email)
		must(err)
		*id = u.ID
	}
	ops, err := st.CreateTeam(ctx, w.harbor, "ops")
	must(err)
	night, err := st.CreateTeam(ctx, w.harbor, "night shift")
	must(err)
	w.ops, w.night = ops.ID, night.ID
	_, err = st.AddTeamMember(ctx, w.ops, w.dev)
	must(err)
	fleet, err := st.CreateAPI(ctx, "fleet", "Fleet", store.NewRevision{Version: "1", Spec: []byte("x"), Operations: []string{}, Scopes: []string{"fleet:read"}})
	must(err)
	maint, err := st.CreateAPI(ctx, "maintenance", "Maintenance", store.NewRevision{Version: "1", Spec: []byte("x"), Operations: []string{}, Scopes: []string{"maintenance:read", "maintenance:write"}})
	must(err)
	w.fleet, w.maint = fleet.ID, maint.ID
	readers, err := st.CreateAccessGroup(ctx, "Readers", "", 600, nil)
	must(err)
	writers, err := st.CreateAccessGroup(ctx, "Writers", "", 60, nil)
	must(err)
	fleet2, err := st.CreateAccessGroup(ctx, "Fleet only", "", 100, nil)
	must(err)
	w.readers, w.writers, w.fleet2 = readers.ID, writers.ID, fleet2.ID
	must(st.SetGroupAPI(ctx, w.readers, w.fleet, []string{"fleet:read"}))
	must(st.SetGroupAPI(ctx, w.readers, w.maint, []string{"maintenance:read"}))
	must(st.SetGroupAPI(ctx, w.writers, w.maint, []string{"maintenance:read", "maintenance:write"}))
	must(st.SetGroupAPI(ctx, w.fleet2, w.fleet, []string{"fleet:read"}))
	return w
}

func ptr(v int64) *int64 { return &v }

// scopes flattens an Access into "api scope" strings and the group count
// per API, for comparison.
func scopes(t *testing.T, st *store.Store, user int64) map[string][]string {
	t.Helper()
	a, err := catalog.EffectiveAccess(context.Background(), st, user)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for slug, api := range a.APIs {
		out[slug] = api.Scopes
	}
	return out
}

func TestEffectiveAccess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, w *world)
		user  func(w *world) int64
		want  map[string][]string
	}{
		{"nothing granted", func(*testing.T, *world) {}, func(w *world) int64 { return w.dev }, map[string][]string{}},
		{"team grant", func(t *testing.T, w *world) {
			mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
		}, func(w *world) int64 { return w.dev }, map[string][]string{"fleet": {"fleet:read"}, "maintenance": {"maintenance:read"}}},
		{"team grant does not reach non-members", func(t *testing.T, w *world) {
			mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
		}, func(w *world) int64 { return w.admin }, map[string][]string{}},
		{"direct grant", func(t *testing.T, w *world) {
			mustGrant(t, w, w.writers, w.harbor, nil, ptr(w.dev))
		}, func(w *world) int64 { return w.dev }, map[string][]string{"maintenance": {"maintenance:read", "maintenance:write"}}},
		{"overlapping grants are a union", func(t *testing.T, w *world) {
			mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
			mustGrant(t, w, w.writers, w.harbor, nil, ptr(w.dev))
			mustGrant(t, w, w.fleet2, w.harbor, nil, ptr(w.dev))
		}, func(w *world) int64 { return w.dev }, map[string][]string{"fleet": {"fleet:read"}, "maintenance": {"maintenance:read", "maintenance:write"}}},
		{"revoked grant", func(t *testing.T, w *world) {
			id := mustGrant(t, w, w.writers, w.harbor, nil, ptr(w.dev))
			mustGrant(t, w, w.fleet2, w.harbor, nil, ptr(w.dev))
			if err := w.st.RevokeGrant(ctx, id, nil); err != nil {
				t.Fatal(err)
			}
		}, func(w *world) int64 { return w.dev }, map[string][]string{"fleet": {"fleet:read"}}},
		{"user moved between teams", func(t *testing.T, w *world) {
			mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
			mustGrant(t, w, w.fleet2, w.harbor, ptr(w.night), nil)
			if _, err := w.st.RemoveTeamMember(ctx, w.ops, w.dev); err != nil {
				t.Fatal(err)
			}
			if _, err := w.st.AddTeamMember(ctx, w.night, w.dev); err != nil {
				t.Fatal(err)
			}
		}, func(w *world) int64 { return w.dev }, map[string][]string{"fleet": {"fleet:read"}}},
		{"partner suspended", func(t *testing.T, w *world) {
			mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
			if _, err := w.st.SetPartnerStatus(ctx, w.harbor, store.PartnerSuspended); err != nil {
				t.Fatal(err)
			}
		}, func(w *world) int64 { return w.dev }, map[string][]string{}},
		{"member removed", func(t *testing.T, w *world) {
			mustGrant(t, w, w.writers, w.harbor, nil, ptr(w.dev))
			if err := w.st.RemoveUser(ctx, w.dev); err != nil {
				t.Fatal(err)
			}
		}, func(w *world) int64 { return w.dev }, map[string][]string{}},
		{"retired API disappears", func(t *testing.T, w *world) {
			mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
			if err := w.st.SetAPIStatus(ctx, w.maint, store.APIRetired, nil); err != nil {
				t.Fatal(err)
			}
		}, func(w *world) int64 { return w.dev }, map[string][]string{"fleet": {"fleet:read"}}},
		{"other partner's developer sees nothing of Harbor's grants", func(t *testing.T, w *world) {
			mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
			mustGrant(t, w, w.writers, w.harbor, nil, ptr(w.dev))
		}, func(w *world) int64 { return w.craneDev }, map[string][]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tc.setup(t, w)
			if diff := cmp.Diff(tc.want, scopes(t, w.st, tc.user(w))); diff != "" {
				t.Errorf("effective scopes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNarrowAndLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
	mustGrant(t, w, w.writers, w.harbor, nil, ptr(w.dev))
	a, err := catalog.EffectiveAccess(ctx, w.st, w.dev)
	if err != nil {
		t.Fatal(err)
	}
	tokenScopes := []string{"maintenance:read", "maintenance:write", "maintenance:admin"}
	if diff := cmp.Diff([]string{"maintenance:read", "maintenance:write"}, a.Narrow("maintenance", tokenScopes)); diff != "" {
		t.Errorf("Narrow (-want +got):\n%s", diff)
	}
	if got := len(a.APIs["maintenance"].Groups); got != 2 {
		t.Errorf("maintenance reached through %d groups, want 2 (each with its limits)", got)
	}
	if a.Allows("fleet", "fleet:write") || !a.Allows("fleet", "fleet:read") || a.Allows("telemetry", "telemetry:read") {
		t.Error("Allows disagrees with the grants")
	}
}

func mustGrant(t *testing.T, w *world, group, partner int64, team, user *int64) int64 {
	t.Helper()
	id, err := w.st.Grant(context.Background(), group, partner, team, user, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
