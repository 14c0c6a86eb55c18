package catalog_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
)

// yardSpec declares two scopes, each required by one operation.
const yardSpec = `openapi: 3.0.3
info: {title: Yard API, version: "1.0.0"}
components:
  securitySchemes:
    portico: {type: oauth2, flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {"yard:read": Read the yard, "yard:write": Move containers}}}}
paths:
  /slots: {get: {operationId: listSlots, security: [{portico: ["yard:read"]}], responses: {"200": {description: ok}}}}
  /moves: {post: {operationId: createMove, security: [{portico: ["yard:write"]}], responses: {"201": {description: created}}}}
`

// importYard imports the yard API through the catalog service.
func importYard(t *testing.T, st *store.Store) *store.API {
	t.Helper()
	imp, err := catalog.NewService(st).Create(context.Background(), access.Actor{}, "yard", "", []byte(yardSpec))
	if err != nil {
		t.Fatal(err)
	}
	return imp.API
}

func inputField(err error) string {
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return in.Field
	}
	return ""
}

func quota(n int64) *int64 { return &n }

func TestParseAndCheckGroupFields(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := catalog.NewGroups(newWorld(t).st)
	long := strings.Repeat("x", catalog.MaxGroupName+1)
	for _, tc := range []struct {
		name                    string
		gname, desc, rate, quot string
		field                   string // the refused field; "" when accepted
		wantRate                int
		wantQuota               *int64
	}{
		{"defaults", "Pilots", "", "600", "", "", 600, nil},
		{"separators", "Pilots 2", "", "1,000", "100 000", "", 1000, quota(100000)},
		{"largest", "Pilots 3", "", "100000", "1000000000000", "", 100000, quota(1e12)},
		{"blank name", "  ", "", "600", "", "name", 0, nil},
		{"long name", long, "", "600", "", "name", 0, nil},
		{"long description", "D", strings.Repeat("d", catalog.MaxGroupDescription+1), "600", "", "description", 0, nil},
		{"blank rate", "R", "", "", "", "rate_limit_per_minute", 0, nil},
		{"zero rate", "R", "", "0", "", "rate_limit_per_minute", 0, nil},
		{"rate too high", "R", "", "100001", "", "rate_limit_per_minute", 0, nil},
		{"rate not a number", "R", "", "fast", "", "rate_limit_per_minute", 0, nil},
		{"negative rate", "R", "", "-5", "", "rate_limit_per_minute", 0, nil},
		{"zero quota", "Q", "", "600", "0", "monthly_quota", 0, nil},
		{"quota too high", "Q", "", "600", "1000000000001", "monthly_quota", 0, nil},
		{"quota not a number", "Q", "", "600", "lots", "monthly_quota", 0, nil},
		{"huge quota", "Q", "", "600", "99999999999999999999999", "monthly_quota", 0, nil},
	} {
		f, err := catalog.ParseGroupFields(tc.gname, tc.desc, tc.rate, tc.quot)
		var grp *store.AccessGroup
		if err == nil {
			grp, err = g.Create(ctx, f)
		}
		if got := inputField(err); got != tc.field || (tc.field == "" && err != nil) {
			t.Errorf("%s: err = %v, want a refusal of %q", tc.name, err, tc.field)
			continue
		}
		if tc.field != "" {
			continue
		}
		if grp.RateLimitPerMinute != tc.wantRate || !cmp.Equal(grp.MonthlyQuota, tc.wantQuota) || grp.Name != strings.TrimSpace(tc.gname) {
			t.Errorf("%s: stored %+v, want rate %d quota %v", tc.name, grp, tc.wantRate, tc.wantQuota)
		}
	}
}

func TestGroupNamesAreUniqueIgnoringCase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t) // has Readers, Writers and Fleet only
	g := catalog.NewGroups(w.st)
	if _, err := g.Create(ctx, catalog.GroupFields{Name: " readers ", RatePerMinute: 10}); inputField(err) != "name" {
		t.Errorf("create readers: err = %v, want the name refused", err)
	}
	if _, err := g.Update(ctx, w.writers, catalog.GroupFields{Name: "FLEET ONLY", RatePerMinute: 10}); inputField(err) != "name" {
		t.Errorf("rename Writers to FLEET ONLY: err = %v, want the name refused", err)
	}
	up, err := g.Update(ctx, w.writers, catalog.GroupFields{Name: "WRITERS", Description: "Write access", RatePerMinute: 30, MonthlyQuota: quota(5000)})
	if err != nil {
		t.Fatalf("change the case of its own name: %v", err)
	}
	got, err := w.st.AccessGroupByID(ctx, w.writers)
	if err != nil || got.Name != "WRITERS" || got.Description != "Write access" || got.RateLimitPerMinute != 30 || *got.MonthlyQuota != 5000 || up.Name != "WRITERS" {
		t.Errorf("after update: %+v, %v", got, err)
	}
	if _, err := g.Update(ctx, 999999, catalog.GroupFields{Name: "Ghost", RatePerMinute: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown group: err = %v, want ErrNotFound", err)
	}
}

func TestIncludeAndRemoveAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	yard := importYard(t, w.st)
	g := catalog.NewGroups(w.st)
	grp, err := g.Create(ctx, catalog.GroupFields{Name: "Yard", RatePerMinute: 60})
	if err != nil {
		t.Fatal(err)
	}
	groupScopes := func() map[string][]string {
		t.Helper()
		as, err := w.st.AccessGroupAPIs(ctx, []int64{grp.ID})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, a := range as {
			out[a.Slug] = a.Scopes
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		scopes []string
		field  string
		want   map[string][]string
	}{
		{"one scope", []string{"yard:read"}, "", map[string][]string{"yard": {"yard:read"}}},
		{"unknown scope refused", []string{"yard:read", "yard:delete"}, "scopes", map[string][]string{"yard": {"yard:read"}}},
		{"no scope refused", nil, "scopes", map[string][]string{"yard": {"yard:read"}}},
		{"another API's scope refused", []string{"fleet:read"}, "scopes", map[string][]string{"yard": {"yard:read"}}},
		{"both scopes replace, deduplicated", []string{"yard:write", "yard:read", "yard:write", ""}, "", map[string][]string{"yard": {"yard:read", "yard:write"}}},
		// Bounded as read (openapi/portal.yaml states both bounds).
		{"too many scopes refused", slices.Repeat([]string{"yard:read"}, catalog.MaxScopes+1), "scopes", map[string][]string{"yard": {"yard:read", "yard:write"}}},
		{"too long a scope refused", []string{"yard:read", strings.Repeat("y", catalog.MaxScopeName+1)}, "scopes", map[string][]string{"yard": {"yard:read", "yard:write"}}},
		{"the most scopes, deduplicated", slices.Repeat([]string{"yard:read"}, catalog.MaxScopes), "", map[string][]string{"yard": {"yard:read"}}},
	} {
		_, api, err := g.IncludeAPI(ctx, grp.ID, yard.ID, tc.scopes)
		if got := inputField(err); got != tc.field || (tc.field == "" && err != nil) {
			t.Errorf("%s: err = %v, want a refusal of %q", tc.name, err, tc.field)
		}
		if tc.field == "" && api.Slug != "yard" {
			t.Errorf("%s: API = %+v", tc.name, api)
		}
		if diff := cmp.Diff(tc.want, groupScopes()); diff != "" {
			t.Errorf("%s: group scopes (-want +got):\n%s", tc.name, diff)
		}
	}
	var in *apierr.FieldError
	if _, _, err := g.IncludeAPI(ctx, grp.ID, yard.ID, []string{"yard:nope"}); !errors.As(err, &in) || !strings.Contains(in.Message, "Yard API does not declare the scope yard:nope") {
		t.Errorf("unknown scope message = %v", err)
	}
	if _, _, err := g.IncludeAPI(ctx, 999999, yard.ID, []string{"yard:read"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("include in unknown group: err = %v, want ErrNotFound", err)
	}
	if err := w.st.SetAPIStatus(ctx, w.fleet, store.APIRetired, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.IncludeAPI(ctx, grp.ID, w.fleet, []string{"fleet:read"}); inputField(err) != "api" {
		t.Errorf("include a retired API: err = %v, want it refused", err)
	}

	if _, _, err := g.RemoveAPI(ctx, grp.ID, yard.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{}, groupScopes()); diff != "" {
		t.Errorf("after removal (-want +got):\n%s", diff)
	}
	if _, _, err := g.RemoveAPI(ctx, grp.ID, yard.ID); !errors.Is(err, catalog.ErrNotIncluded) {
		t.Errorf("remove again: err = %v, want ErrNotIncluded", err)
	}
}

func TestGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, w *world)
		to    func(t *testing.T, w *world) catalog.GrantTo
		// refused is the message's telling part; "" when the grant is made.
		refused string
	}{
		{"team", nil, func(_ *testing.T, w *world) catalog.GrantTo { return catalog.GrantTo{TeamID: w.ops} }, ""},
		{"developer", nil, func(_ *testing.T, w *world) catalog.GrantTo { return catalog.GrantTo{UserID: w.dev} }, ""},
		{"developer of the named partner", nil, func(_ *testing.T, w *world) catalog.GrantTo {
			return catalog.GrantTo{UserID: w.dev, PartnerID: w.harbor}
		}, ""},
		{"nobody", nil, func(*testing.T, *world) catalog.GrantTo { return catalog.GrantTo{} }, "Choose a team or a person"},
		{"both", nil, func(_ *testing.T, w *world) catalog.GrantTo { return catalog.GrantTo{TeamID: w.ops, UserID: w.dev} }, "Choose a team or a person"},
		{"user of another partner", nil, func(_ *testing.T, w *world) catalog.GrantTo {
			return catalog.GrantTo{UserID: w.craneDev, PartnerID: w.harbor}
		},
			"Dan Crane is not part of Harbor Logistics but of Crane Works"},
		{"team of another partner", nil, func(_ *testing.T, w *world) catalog.GrantTo {
			return catalog.GrantTo{TeamID: w.ops, PartnerID: w.crane}
		},
			"team ops is not part of Crane Works but of Harbor Logistics"},
		{"unknown team", nil, func(*testing.T, *world) catalog.GrantTo { return catalog.GrantTo{TeamID: 999999} }, "That team does not exist"},
		{"staff member", nil, func(t *testing.T, w *world) catalog.GrantTo { return catalog.GrantTo{UserID: w.staff(t).UserID} }, "not a member of any partner"},
		{"removed user", func(t *testing.T, w *world) {
			if err := w.st.RemoveUser(ctx, w.dev); err != nil {
				t.Fatal(err)
			}
		}, func(_ *testing.T, w *world) catalog.GrantTo { return catalog.GrantTo{UserID: w.dev} }, "Dev Harbor was removed from Harbor Logistics"},
		{"suspended partner", func(t *testing.T, w *world) {
			if _, err := w.st.SetPartnerStatus(ctx, w.harbor, store.PartnerSuspended); err != nil {
				t.Fatal(err)
			}
		}, func(_ *testing.T, w *world) catalog.GrantTo { return catalog.GrantTo{TeamID: w.ops} }, "Harbor Logistics is suspended"},
		{"duplicate team grant", func(t *testing.T, w *world) {
			mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
		}, func(_ *testing.T, w *world) catalog.GrantTo { return catalog.GrantTo{TeamID: w.ops} }, "team ops of Harbor Logistics holds Readers already"},
		{"duplicate personal grant", func(t *testing.T, w *world) {
			mustGrant(t, w, w.readers, w.harbor, nil, ptr(w.dev))
		}, func(_ *testing.T, w *world) catalog.GrantTo { return catalog.GrantTo{UserID: w.dev} }, "Dev Harbor of Harbor Logistics holds Readers already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if tc.setup != nil {
				tc.setup(t, w)
			}
			staff := w.staff(t)
			before := countGrants(t, w.st)
			got, err := catalog.NewGroups(w.st).Grant(ctx, staff, w.readers, tc.to(t, w))
			if tc.refused != "" {
				var in *apierr.FieldError
				if !errors.As(err, &in) || !strings.Contains(in.Message, tc.refused) {
					t.Fatalf("err = %v, want a FieldError saying %q", err, tc.refused)
				}
				if n := countGrants(t, w.st); n != before {
					t.Errorf("grants %d → %d: a refused grant must store nothing", before, n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var partner, by int64
			if err := w.st.DB().QueryRow(`SELECT partner_id, granted_by FROM grants WHERE id = $1`, got.ID).Scan(&partner, &by); err != nil {
				t.Fatal(err)
			}
			if partner != w.harbor || by != staff.UserID {
				t.Errorf("stored partner %d granted by %d, want Harbor (%d) by %d", partner, by, w.harbor, staff.UserID)
			}
			if diff := cmp.Diff(map[string][]string{"fleet": {"fleet:read"}, "maintenance": {"maintenance:read"}}, scopes(t, w.st, w.dev)); diff != "" {
				t.Errorf("the developer's effective scopes (-want +got):\n%s", diff)
			}
		})
	}
}

// staff is the demo account manager, as an actor with their book (both
// demo partners, unless a test unassigns one).
func (w *world) staff(t *testing.T) access.Actor {
	t.Helper()
	u, err := w.st.UserByEmail(context.Background(), "am@portico.test")
	if err != nil {
		t.Fatal(err)
	}
	if u, err = w.st.SessionUser(context.Background(), u.ID); err != nil {
		t.Fatal(err)
	}
	return access.Actor{UserID: u.ID, Role: u.Role, Managed: u.Managed}
}

func countGrants(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM grants`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRevokeNarrowsAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := catalog.NewGroups(w.st)
	am := w.staff(t)
	team, err := g.Grant(ctx, am, w.readers, catalog.GrantTo{TeamID: w.ops})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := g.Grant(ctx, am, w.writers, catalog.GrantTo{UserID: w.dev})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"fleet": {"fleet:read"}, "maintenance": {"maintenance:read", "maintenance:write"}}
	if diff := cmp.Diff(want, scopes(t, w.st, w.dev)); diff != "" {
		t.Fatalf("before revoking (-want +got):\n%s", diff)
	}
	if _, err := g.Revoke(ctx, am, w.readers, direct.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke a grant through another group: err = %v, want ErrNotFound", err)
	}
	gr, err := g.Revoke(ctx, am, w.writers, direct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gr.UserName == nil || *gr.UserName != "Dev Harbor" || gr.GroupName != "Writers" {
		t.Errorf("revoked grant = %+v", gr)
	}
	want = map[string][]string{"fleet": {"fleet:read"}, "maintenance": {"maintenance:read"}}
	if diff := cmp.Diff(want, scopes(t, w.st, w.dev)); diff != "" {
		t.Errorf("after revoking the direct grant (-want +got):\n%s", diff)
	}
	if _, err := g.Revoke(ctx, am, w.writers, direct.ID); !errors.Is(err, catalog.ErrAlreadyRevoked) {
		t.Errorf("revoke twice: err = %v, want ErrAlreadyRevoked", err)
	}
	if _, err := g.Revoke(ctx, am, w.readers, team.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{}, scopes(t, w.st, w.dev)); diff != "" {
		t.Errorf("after revoking both (-want +got):\n%s", diff)
	}
	var by int64
	if err := w.st.DB().Get(&by, `SELECT revoked_by FROM grants WHERE id = $1`, direct.ID); err != nil || by != am.UserID {
		t.Errorf("revoked_by = %d (%v), want the account manager", by, err)
	}
	// Granting again after a revocation is a new grant, not a duplicate.
	if _, err := g.Grant(ctx, am, w.writers, catalog.GrantTo{UserID: w.dev}); err != nil {
		t.Errorf("grant again after revoking: %v", err)
	}
}

func TestDeleteGroupRefusedWhileGranted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	g := catalog.NewGroups(w.st)
	am := w.staff(t)
	harborGrant, err := g.Grant(ctx, am, w.readers, catalog.GrantTo{TeamID: w.ops})
	if err != nil {
		t.Fatal(err)
	}
	craneGrant, err := g.Grant(ctx, am, w.readers, catalog.GrantTo{UserID: w.craneDev})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Delete(ctx, am, w.readers)
	var in *apierr.FieldError
	if !errors.As(err, &in) || !strings.Contains(in.Message, "Readers is still granted to Crane Works, Harbor Logistics.") {
		t.Fatalf("delete while granted: err = %v, want a refusal naming both partners", err)
	}
	for _, id := range []int64{harborGrant.ID, craneGrant.ID} {
		if _, err := g.Revoke(ctx, am, w.readers, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.Delete(ctx, am, w.readers); err != nil {
		t.Fatalf("delete once nobody holds it: %v", err)
	}
	if _, err := w.st.AccessGroupByID(ctx, w.readers); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the group is still there: %v", err)
	}
	if _, err := g.Delete(ctx, am, w.readers); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: err = %v, want ErrNotFound", err)
	}
}

func TestParseGrantee(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want catalog.GrantTo
	}{
		{"team:12", catalog.GrantTo{TeamID: 12}},
		{" user:7 ", catalog.GrantTo{UserID: 7}},
		{"user:0", catalog.GrantTo{}},
		{"user:-3", catalog.GrantTo{}},
		{"partner:1", catalog.GrantTo{}},
		{"team:", catalog.GrantTo{}},
		{"12", catalog.GrantTo{}},
		{"", catalog.GrantTo{}},
	} {
		if got := catalog.ParseGrantee(tc.in); got != tc.want {
			t.Errorf("ParseGrantee(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// MembersAccess must agree with EffectiveAccess for every member.
func TestMembersAccessMatchesEffectiveAccess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	mustGrant(t, w, w.readers, w.harbor, ptr(w.ops), nil)
	mustGrant(t, w, w.writers, w.harbor, nil, ptr(w.dev))
	mustGrant(t, w, w.fleet2, w.harbor, nil, ptr(w.admin))
	revoked := mustGrant(t, w, w.writers, w.harbor, nil, ptr(w.admin))
	if err := w.st.RevokeGrant(ctx, revoked, nil); err != nil {
		t.Fatal(err)
	}
	mustGrant(t, w, w.writers, w.crane, nil, ptr(w.craneDev))

	got, err := catalog.MembersAccess(ctx, w.st, w.harbor, []int64{w.dev, w.admin, w.craneDev})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[w.craneDev]; ok {
		t.Error("Harbor's map holds a Crane developer")
	}
	for _, u := range []int64{w.dev, w.admin} {
		want, err := catalog.EffectiveAccess(ctx, w.st, u)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got[u]); diff != "" {
			t.Errorf("user %d: MembersAccess differs from EffectiveAccess (-want +got):\n%s", u, diff)
		}
	}
	if err := w.st.RemoveUser(ctx, w.dev); err != nil {
		t.Fatal(err)
	}
	if got, _ := catalog.MembersAccess(ctx, w.st, w.harbor, []int64{w.dev, w.admin, w.craneDev}); got[w.dev] != nil {
		t.Error("a removed member still reaches APIs")
	}
	if _, err := w.st.SetPartnerStatus(ctx, w.harbor, store.PartnerSuspended); err != nil {
		t.Fatal(err)
	}
	if got, _ := catalog.MembersAccess(ctx, w.st, w.harbor, []int64{w.dev, w.admin, w.craneDev}); len(got) != 0 {
		t.Errorf("a suspended partner's members reach %d APIs sets, want none", len(got))
	}
}
