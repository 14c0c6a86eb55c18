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

// TestApplyGroups runs the group claim of a sign-in or sync over Harbor,
// whose provider maps "eng" to Integrations, "platform" and "ops" to
// Platform and (where the case says) "portal-admins" to the partner-admin
// role; Billing is mapped by nothing. Dev starts in Integrations and
// Billing, as a developer; Ada is Harbor's only admin.
func TestApplyGroups(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		who         string
		staff       bool
		require     bool
		roleMapping bool
		prep        func(t *testing.T, f *fixture)
		groups      []string
		want        person
		wantErr     error
		wantAudit   []string
	}{
		{name: "the claim as it stands changes nothing and records nothing", who: "dev@harbor.test",
			groups: []string{"eng", "unrelated"},
			want:   person{Status: "active", Role: "developer", Teams: []string{"Billing", "Integrations"}}},
		{name: "leaving a mapped group leaves its team, and only mapped teams", who: "dev@harbor.test",
			groups:    []string{},
			want:      person{Status: "active", Role: "developer", Teams: []string{"Billing"}},
			wantAudit: []string{"member.sso_groups_applied"}},
		{name: "joining groups joins their team and gives the role", who: "dev@harbor.test", roleMapping: true,
			groups:    []string{"platform", "ops", "portal-admins"},
			want:      person{Status: "active", Role: "partner_admin", Teams: []string{"Billing", "Platform"}},
			wantAudit: []string{"member.sso_groups_applied"}},
		{name: "without a role mapping the role is the portal's to set", who: "dev@harbor.test",
			groups: []string{"eng", "portal-admins"},
			want:   person{Status: "active", Role: "developer", Teams: []string{"Billing", "Integrations"}}},
		{name: "an admin outside the admin groups becomes a developer", who: "dev@harbor.test", roleMapping: true,
			prep:      func(t *testing.T, f *fixture) { setRole(t, f, f.dev.ID, store.RolePartnerAdmin) },
			groups:    []string{"eng"},
			want:      person{Status: "active", Role: "developer", Teams: []string{"Billing", "Integrations"}},
			wantAudit: []string{"member.sso_groups_applied"}},
		{name: "the last admin keeps the role", who: "admin@harbor.test", roleMapping: true,
			groups:    []string{"eng"},
			want:      person{Status: "active", Role: "partner_admin", Teams: []string{"Integrations"}},
			wantAudit: []string{"sso.role_kept"}},
		{name: "required group missing: refused, nothing changes", who: "dev@harbor.test", require: true, roleMapping: true,
			groups:  []string{"unrelated", "portal-admin"},
			want:    person{Status: "active", Role: "developer", Teams: []string{"Billing", "Integrations"}},
			wantErr: sso.ErrNotInMappedGroup},
		{name: "required group present: admitted", who: "dev@harbor.test", require: true,
			groups: []string{"eng"},
			want:   person{Status: "active", Role: "developer", Teams: []string{"Billing", "Integrations"}}},
		{name: "the staff's provider maps nothing", who: "admin@portico.test", staff: true,
			groups: []string{"eng", "portal-admins"},
			want:   person{Status: "active", Role: "admin", Teams: []string{}}},
		{name: "past MaxGroups groups the claim is not read", who: "dev@harbor.test",
			groups:    append(append([]string{"eng"}, junk(sso.MaxGroups-1)...), "platform"),
			want:      person{Status: "active", Role: "developer", Teams: []string{"Billing", "Integrations"}},
			wantAudit: nil},
		{name: "a mapped group late in a long claim counts", who: "dev@harbor.test",
			groups:    append(append([]string{"eng"}, junk(sso.MaxGroups-2)...), "platform"),
			want:      person{Status: "active", Role: "developer", Teams: []string{"Billing", "Integrations", "Platform"}},
			wantAudit: []string{"member.sso_groups_applied"}},
		{name: "names longer than MaxGroupBytes are ignored", who: "dev@harbor.test",
			groups:    []string{"eng", "platform" + strings.Repeat(" ", sso.MaxGroupBytes-len("platform")+1)},
			want:      person{Status: "active", Role: "developer", Teams: []string{"Billing", "Integrations"}},
			wantAudit: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newFixture(t, nil)
			var partner *int64
			if !tc.staff {
				partner = &f.harbor
			}
			p := f.provider(t, partner, "https://idp.harbor.test", "portal", "s3cret", tc.require)
			if !tc.staff {
				f.mapGroup(t, p, "eng", "Integrations")
				f.mapGroup(t, p, "platform", "Platform")
				f.mapGroup(t, p, "ops", "Platform")
				if tc.roleMapping {
					f.mapGroup(t, p, "portal-admins", "")
				}
				addToTeam(t, f, f.team(t, "Billing"), f.dev.ID)
				addToTeam(t, f, f.team(t, "Integrations"), f.dev.ID)
				addToTeam(t, f, f.team(t, "Integrations"), f.admin.ID)
			}
			if tc.prep != nil {
				tc.prep(t, f)
			}
			u := f.user(t, tc.who)
			err := f.st.InTx(ctx, func(tx *store.Store) error {
				_, err := sso.ApplyGroups(ctx, tx, p, u, tc.groups)
				return err
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ApplyGroups: %v, want %v", err, tc.wantErr)
			}
			got := f.person(t, u.ID)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("after the claim %v (-want +got):\n%s", short(tc.groups), diff)
			}
			var actions []string
			for _, a := range []string{"sso.role_kept", "member.sso_groups_applied"} {
				for range f.audits(t, a) {
					actions = append(actions, a)
				}
			}
			if diff := cmp.Diff(tc.wantAudit, actions); diff != "" {
				t.Errorf("audit trail (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyGroupsAuditSaysWhatChanged reads the audit event of a change:
// the teams joined and left and the role, by name.
func TestApplyGroupsAuditSaysWhatChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, nil)
	p := f.provider(t, &f.harbor, "https://idp.harbor.test", "portal", "s3cret", false)
	f.mapGroup(t, p, "eng", "Integrations")
	f.mapGroup(t, p, "platform", "Platform")
	f.mapGroup(t, p, "portal-admins", "")
	addToTeam(t, f, f.team(t, "Integrations"), f.dev.ID)
	// Harbor's systems follow team changes through a webhook endpoint.
	if _, err := f.st.DB().ExecContext(ctx, `INSERT INTO webhook_endpoints (partner_id, owner_id, url, event_types, secret_enc, secret_hint)
		VALUES ($1, $2, 'https://hooks.harbor.test/', '{team.changed}', '\x01', 'whsec_…test')`, f.harbor, f.dev.ID); err != nil {
		t.Fatal(err)
	}
	var ch *sso.GroupChanges
	err := f.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		ch, err = sso.ApplyGroups(ctx, tx, p, f.dev, []string{"platform", "portal-admins"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &sso.GroupChanges{TeamsAdded: []string{"Platform"}, TeamsRemoved: []string{"Integrations"}, RoleFrom: "developer", RoleTo: "partner_admin"}
	if diff := cmp.Diff(want, ch); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if f.dev.Role != "partner_admin" {
		t.Errorf("the caller's user has role %s, want it updated to partner_admin", f.dev.Role)
	}
	es := f.audits(t, "member.sso_groups_applied")
	if len(es) != 1 {
		t.Fatalf("%d member.sso_groups_applied events, want 1", len(es))
	}
	var d map[string]any
	if err := json.Unmarshal(es[0].Details, &d); err != nil {
		t.Fatal(err)
	}
	wantD := map[string]any{"provider": "Harbor Directory", "teams_added": []any{"Platform"}, "teams_removed": []any{"Integrations"},
		"role_from": "developer", "role_to": "partner_admin"}
	if diff := cmp.Diff(wantD, d); diff != "" {
		t.Errorf("audit details (-want +got):\n%s", diff)
	}
	if es[0].Target != "dev@harbor.test" || es[0].PartnerID == nil || *es[0].PartnerID != f.harbor {
		t.Errorf("audit event about %q in partner %v, want dev@harbor.test in Harbor", es[0].Target, es[0].PartnerID)
	}
	var hooks []string
	if err := f.st.DB().SelectContext(ctx, &hooks, `SELECT (body::jsonb)->'data'->>'change' || ' ' || ((body::jsonb)->'data'->'team'->>'name') || ' ' ||
		((body::jsonb)->'data'->'member'->>'email') FROM webhook_events WHERE type = 'team.changed' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"member_removed Integrations dev@harbor.test", "member_added Platform dev@harbor.test"}, hooks); diff != "" {
		t.Errorf("team.changed webhooks (-want +got):\n%s", diff)
	}
}

// TestApplyGroupsRefusesAnotherPartnersMember: a provider's claim never
// touches a person of another partner.
func TestApplyGroupsRefusesAnotherPartnersMember(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, nil)
	p := f.provider(t, &f.harbor, "https://idp.harbor.test", "portal", "s3cret", false)
	f.mapGroup(t, p, "portal-admins", "")
	crane := f.user(t, "dev@crane.test")
	err := f.st.InTx(ctx, func(tx *store.Store) error {
		_, err := sso.ApplyGroups(ctx, tx, p, crane, []string{"portal-admins"})
		return err
	})
	if err == nil {
		t.Fatal("Harbor's provider changed a Crane developer")
	}
	if got := f.person(t, crane.ID).Role; got != "developer" {
		t.Errorf("Crane's developer is now %s", got)
	}
}

func TestBoundGroups(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("g", sso.MaxGroupBytes+1)
	got := sso.BoundGroups(append([]string{"a", "", long, "a", "b"}, junk(sso.MaxGroups+100)...))
	if len(got) != sso.MaxGroups || got[0] != "a" || got[1] != "b" || got[2] != "junk-0" {
		t.Errorf("BoundGroups kept %d groups starting %v; want %d starting a, b, junk-0", len(got), got[:3], sso.MaxGroups)
	}
}

func junk(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("junk-%d", i)
	}
	return out
}

func short(groups []string) []string {
	if len(groups) > 3 {
		return append(groups[:3:3], fmt.Sprintf("…%d more", len(groups)-3))
	}
	return groups
}

func setRole(t *testing.T, f *fixture, userID int64, role string) {
	t.Helper()
	if err := f.st.SetUserRole(context.Background(), userID, role); err != nil {
		t.Fatal(err)
	}
}

func addToTeam(t *testing.T, f *fixture, teamID, userID int64) {
	t.Helper()
	if _, err := f.st.AddTeamMember(context.Background(), teamID, userID); err != nil {
		t.Fatal(err)
	}
}
