package sso_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// admitAs signs the identity in through p as Admit does after a verified
// ID token listing groups.
func admitAs(f *fixture, p *store.IdentityProvider, sub, email string, groups ...string) (*store.User, error) {
	return f.svc.Admit(context.Background(), &sso.Identity{Provider: p, Subject: sub, Email: email, EmailVerified: true,
		Name: "X", Groups: groups}, sso.Attempt{})
}

// admitWithoutClaim signs the identity in through p with an ID token
// that does not carry the groups claim at all.
func admitWithoutClaim(f *fixture, p *store.IdentityProvider, sub, email string) (*store.User, error) {
	return f.svc.Admit(context.Background(), &sso.Identity{Provider: p, Subject: sub, Email: email, EmailVerified: true,
		Name: "X", GroupsUnknown: true}, sso.Attempt{})
}

// TestRequireGroupWithoutMappings: switching "require a mapped group" on
// before any group is mapped, or removing the last mapping, locks nobody
// out: without mappings the requirement is as if not set, at sign-in and
// at the sync.
func TestRequireGroupWithoutMappings(t *testing.T) {
	t.Parallel()
	t.Run("sign-in before any mapping", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		p := f.provider(t, &f.harbor, "https://idp.invalid", "c", "s", false)
		if _, err := admitAs(f, p, "adm", "admin@harbor.test", "staff"); err != nil {
			t.Fatal(err)
		}
		f.session(t, f.admin.ID)
		p = f.provider(t, &f.harbor, "https://idp.invalid", "c", "s", true)
		if _, err := admitAs(f, p, "adm", "admin@harbor.test", "staff"); err != nil {
			t.Errorf("the partner's only admin, signing in before any mapping exists: %v", err)
		}
		if got := f.person(t, f.admin.ID); got.Status != "active" || got.Role != store.RolePartnerAdmin || got.Sessions == 0 {
			t.Errorf("the partner's only admin after signing in: %+v", got)
		}
		if _, err := admitAs(f, p, "new", "newcomer@harbor.test"); err != nil {
			t.Errorf("a newcomer in no group, no group mapped: %v", err)
		}
	})
	t.Run("sync after the last mapping is removed", func(t *testing.T) {
		t.Parallel()
		f := newSyncFixture(t, true)
		f.signIn(t, opDev)
		f.signIn(t, opAdmin)
		f.session(t, f.dev.ID)
		ms, err := f.svc.Mappings(context.Background(), f.p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if _, err := f.svc.RemoveMapping(context.Background(), f.harbor, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		f.op.SetGroups(opDev.Subject, "sales")

		rep := f.sync(t)

		want := &sso.SyncReport{ProviderID: f.p.ID, People: 2, Checked: 2, Kept: 2, Deprovisioned: []sso.Deprovisioned{}}
		if diff := cmp.Diff(want, rep); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
		if got := f.person(t, f.dev.ID); got.Status != "active" || got.Sessions == 0 {
			t.Errorf("Dev, no group mapped any more: %+v", got)
		}
	})
}

// TestGroupsClaimReadInFull: a person in many groups (a large directory
// sends hundreds) whose mapped group comes late is admitted, and a group
// name a partner admin could save (200 characters of up to 4 bytes)
// matches the claim.
func TestGroupsClaimReadInFull(t *testing.T) {
	t.Parallel()
	t.Run("mapped group after the 250th", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		p := f.provider(t, &f.harbor, "https://idp.invalid", "c", "s", true)
		f.mapGroup(t, p, "portal-users", "Ops")
		u, err := admitAs(f, p, "d", "dev@harbor.test", append(junk(250), "portal-users")...)
		if err != nil {
			t.Fatalf("member of the required group (listed 251st) refused: %v", err)
		}
		if diff := cmp.Diff([]string{"Ops"}, f.teamsOf(t, u.ID)); diff != "" {
			t.Errorf("teams (-want +got):\n%s", diff)
		}
	})
	for _, tc := range []struct{ name, group string }{
		{"150 Cyrillic letters (300 bytes)", strings.Repeat("д", 150)},
		{"200 Cyrillic letters (400 bytes)", strings.Repeat("д", 200)},
		{"200 four-byte characters (800 bytes)", strings.Repeat("𝔤", 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			p := f.provider(t, &f.harbor, "https://idp.invalid", "c", "s", false)
			if _, err := f.svc.AddMapping(context.Background(), f.harbor, tc.group, nil, ptr(store.RolePartnerAdmin)); err != nil {
				t.Fatalf("AddMapping: %v", err)
			}
			u, err := admitAs(f, p, "d", "dev@harbor.test", tc.group)
			if err != nil {
				t.Fatal(err)
			}
			if u.Role != store.RolePartnerAdmin {
				t.Errorf("member of the mapped group has role %s", u.Role)
			}
		})
	}
}

// TestGroupsFromClaims: the claim is read up to MaxGroups distinct groups
// of up to MaxGroupBytes bytes; a claim that is not there (or is no list
// of groups: Azure's "groups overage" leaves _claim_names instead) is
// told apart from an empty list.
func TestGroupsFromClaims(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("g", sso.MaxGroupBytes)
	many := `[` + strings.Join(quoted(append(junk(sso.MaxGroups), "late")), ",") + `]`
	for _, tc := range []struct {
		name, claims string
		want         []string
		present      bool
	}{
		{"absent", `{"sub":"x"}`, nil, false},
		{"groups overage", `{"_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{"endpoint":"https://graph.invalid"}}}`, nil, false},
		{"null", `{"groups":null}`, nil, false},
		{"not a list", `{"groups":{"a":1}}`, nil, false},
		{"a number", `{"groups":7}`, nil, false},
		{"empty list", `{"groups":[]}`, []string{}, true},
		{"one string", `{"groups":"eng"}`, []string{"eng"}, true},
		{"list, deduplicated, non-strings and empties skipped", `{"groups":["eng","",1,{"x":1},"eng","ops"]}`, []string{"eng", "ops"}, true},
		{"names up to the bound kept, longer ignored", `{"groups":["` + long + `","` + long + `x","eng"]}`, []string{long, "eng"}, true},
		{"more than MaxGroups: the first kept", `{"groups":` + many + `}`, junk(sso.MaxGroups), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var claims map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.claims), &claims); err != nil {
				t.Fatal(err)
			}
			got, present := sso.GroupsFromClaims(claims, "groups")
			if present != tc.present {
				t.Errorf("present = %v, want %v", present, tc.present)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%.2000s", diff)
			}
		})
	}
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// TestAbsentGroupsClaim: an ID token without the groups claim (as opposed
// to an empty list) says nothing about the person's groups: their teams
// and role stay as they are, and nobody loses access for it. Where a
// mapped group is required, the sign-in is refused, without ending the
// access the person had.
func TestAbsentGroupsClaim(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T, require bool) (*fixture, *store.IdentityProvider) {
		t.Helper()
		f := newFixture(t, nil)
		p := f.provider(t, &f.harbor, "https://idp.invalid", "c", "s", false)
		f.mapGroup(t, p, "eng", "Integrations")
		f.mapGroup(t, p, "portal-admins", "")
		setRole(t, f, f.dev.ID, store.RolePartnerAdmin)
		if _, err := admitAs(f, p, "dev-sub", "dev@harbor.test", "eng", "portal-admins"); err != nil {
			t.Fatal(err)
		}
		f.session(t, f.dev.ID)
		return f, f.provider(t, &f.harbor, "https://idp.invalid", "c", "s", require)
	}
	before := person{Status: "active", Role: store.RolePartnerAdmin, Teams: []string{"Integrations"}, Sessions: 1}

	t.Run("teams and role stay", func(t *testing.T) {
		t.Parallel()
		f, p := setup(t, false)
		if _, err := admitWithoutClaim(f, p, "dev-sub", "dev@harbor.test"); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, f.person(t, f.dev.ID)); diff != "" {
			t.Errorf("Dev after a sign-in without the claim (-want +got):\n%s", diff)
		}
		ident, err := f.st.IdentityOfUser(context.Background(), f.dev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"eng", "portal-admins"}, []string(ident.Groups)); diff != "" {
			t.Errorf("groups kept for the identity (-want +got):\n%s", diff)
		}
	})
	t.Run("required group: refused, access kept", func(t *testing.T) {
		t.Parallel()
		f, p := setup(t, true)
		_, err := admitWithoutClaim(f, p, "dev-sub", "dev@harbor.test")
		var re *sso.RefusedError
		if !errors.As(err, &re) || re.Kind != sso.RefusedGroup {
			t.Fatalf("sign-in without the claim, a group required: %v, want refused (group)", err)
		}
		if diff := cmp.Diff(before, f.person(t, f.dev.ID)); diff != "" {
			t.Errorf("Dev after the refusal (-want +got):\n%s", diff)
		}
		if _, err := f.st.IdentityOfUser(context.Background(), f.dev.ID); err != nil {
			t.Errorf("Dev's link to the provider: %v", err)
		}
		if n := len(f.audits(t, "member.deprovisioned")); n != 0 {
			t.Errorf("%d member.deprovisioned events", n)
		}
		if heads, _ := f.mails(t); len(heads) != 0 {
			t.Errorf("mails: %v", heads)
		}
	})
	t.Run("required group: a newcomer is not created", func(t *testing.T) {
		t.Parallel()
		f, p := setup(t, true)
		if _, err := admitWithoutClaim(f, p, "new-sub", "newcomer@harbor.test"); err == nil {
			t.Fatal("a newcomer without the claim joined although a group is required")
		}
		if _, err := f.st.UserByEmail(context.Background(), "newcomer@harbor.test"); err == nil {
			t.Error("the newcomer has an account")
		}
	})
}

// TestSyncAbsentGroupsClaim: neither the refreshed ID token nor userinfo
// carries the groups claim: the person's teams and role stay; where a
// mapped group is required they count as unchecked, and keep access.
func TestSyncAbsentGroupsClaim(t *testing.T) {
	t.Parallel()
	for _, require := range []bool{false, true} {
		t.Run(fmt.Sprint("require group ", require), func(t *testing.T) {
			t.Parallel()
			f := newSyncFixture(t, require)
			f.signIn(t, opDev)
			addToTeam(t, f.fixture, f.team(t, "Integrations"), f.dev.ID)
			f.session(t, f.dev.ID)
			// The provider stops sending the claim the portal reads.
			if _, err := f.st.DB().Exec(`UPDATE identity_providers SET groups_claim = 'roles' WHERE id = $1`, f.p.ID); err != nil {
				t.Fatal(err)
			}

			rep := f.sync(t)

			want := &sso.SyncReport{ProviderID: f.p.ID, People: 1, Checked: 1, Kept: 1, Deprovisioned: []sso.Deprovisioned{}}
			if require {
				want = &sso.SyncReport{ProviderID: f.p.ID, People: 1, Unchecked: 1, Deprovisioned: []sso.Deprovisioned{}}
			}
			if diff := cmp.Diff(want, rep); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(person{Status: "active", Role: "developer", Teams: []string{"Integrations"}, Sessions: 1}, f.person(t, f.dev.ID)); diff != "" {
				t.Errorf("Dev without the claim anywhere (-want +got):\n%s", diff)
			}
			// The rotated refresh token was kept: the next sync works too.
			if rep := f.sync(t); rep.Error != "" || len(rep.Deprovisioned) != 0 {
				t.Errorf("second sync: %+v", rep)
			}
		})
	}
}
