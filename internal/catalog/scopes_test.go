package catalog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestScopeDescriptions: the descriptions of several APIs' scopes come
// from the revisions asked for (the current one, after a new import, says
// what the new document says); a revision that does not exist is left
// out; documents once read are served from the cache (a broken stored
// document goes unnoticed by the service that parsed it, and is refused
// by one that has not).
func TestScopeDescriptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	svc := catalog.NewService(st)
	fleet, err := svc.Create(ctx, access.Actor{}, "fleet", "", []byte(fleetV1))
	if err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(fleetV1, `{"fleet:read": Read}`, `{"fleet:read": "Read spreaders and their status.", "fleet:write": "Rename spreaders."}`, 1)
	v2 = strings.Replace(v2, `version: "1.0.0"`, `version: "1.1.0"`, 1)
	rev, err := svc.AddRevision(ctx, access.Actor{}, fleet.API.ID, []byte(v2))
	if err != nil {
		t.Fatal(err)
	}
	yard := strings.NewReplacer("Fleet API", "Yard API", "fleet:read", "yard:read", `: Read}`, `: "See the yard."}`).Replace(fleetV1)
	other, err := svc.Create(ctx, access.Actor{}, "yard", "", []byte(yard))
	if err != nil {
		t.Fatal(err)
	}
	refs := []store.RevisionRef{{APIID: fleet.API.ID, Revision: rev.Revision}, {APIID: other.API.ID, Revision: 1}, {APIID: other.API.ID + 100, Revision: 1}}
	want := map[int64]map[string]string{
		fleet.API.ID: {"fleet:read": "Read spreaders and their status.", "fleet:write": "Rename spreaders."},
		other.API.ID: {"yard:read": "See the yard."},
	}

	fresh := catalog.NewService(st) // nothing parsed yet: it reads the documents
	got, err := fresh.ScopeDescriptions(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scope descriptions (-want +got):\n%s", diff)
	}
	if _, err := st.DB().Exec(`UPDATE api_revisions SET spec = 'not a document'`); err != nil {
		t.Fatal(err)
	}
	if got, err := fresh.ScopeDescriptions(ctx, refs); err != nil || !cmp.Equal(want, got) {
		t.Errorf("after the documents were read once: %v, %v; want them from the cache", got, err)
	}
	if _, err := catalog.NewService(st).ScopeDescriptions(ctx, refs); err == nil {
		t.Error("a service with nothing cached took a broken stored document")
	}
}
