package access

import (
	"fmt"
	"testing"
)

func TestCan(t *testing.T) {
	t.Parallel()
	const own, other = 7, 9
	admin := Actor{UserID: 1, Role: RoleAdmin}
	// The account manager is assigned to own (and to 11), not to other.
	am := Actor{UserID: 2, Role: RoleAccountManager, Managed: []int64{own, 11}}
	padmin := Actor{UserID: 3, Role: RolePartnerAdmin, PartnerID: own}
	dev := Actor{UserID: 4, Role: RoleDeveloper, PartnerID: own}
	nobody := Actor{}
	orphan := Actor{UserID: 5, Role: RoleDeveloper} // a partner role without a partner

	A, D, H := Allow, Deny, Hidden
	// For each action: the decision for admin, account manager, partner
	// admin, developer on their own partner's resource (the account
	// manager's assigned partner), then the platform admin, the account
	// manager and the partner roles on another partner's resource (one the
	// account manager is not assigned to).
	table := []struct {
		act                    Action
		partner                int64
		admin, am, padmin, dev Decision
		adminOther, amOther    Decision
		padminOther, devOther  Decision
	}{
		{ListPartners, 0, A, A, D, D, A, A, D, D},
		{ManagePartners, 0, A, A, D, D, A, A, D, D},
		{ManagePartners, own, A, A, D, D, A, H, H, H},
		{ListAccountManagers, 0, A, D, D, D, A, D, D, D},
		{ViewOutbox, 0, A, D, D, D, A, D, D, D},
		{ViewMembers, own, A, A, A, D, A, H, H, H},
		{ManageMembers, own, D, D, A, D, D, H, H, H},
		{ViewTeams, own, A, A, A, D, A, H, H, H},
		{ManageTeams, own, D, D, A, D, D, H, H, H},
		{ViewMembers, 0, D, D, D, D, D, D, D, D},
		{ViewCatalog, 0, A, A, A, A, A, A, D, D},
		{ViewCatalog, own, A, A, A, A, A, H, H, H},
		{ManageCatalog, 0, A, A, D, D, A, A, D, D},
		{ManageAccessGroups, 0, A, A, D, D, A, A, D, D},
		{ManageAccessGroups, own, A, A, D, D, A, H, H, H},
		{ViewGrants, own, A, A, A, D, A, H, H, H},
		{ViewPartnerTokens, own, A, A, A, D, A, H, H, H},
		{StaffPartnerTokens, own, A, A, D, D, A, H, H, H},
		{StaffPartnerTokens, 0, D, D, D, D, D, D, D, D},
		{ViewGrants, 0, D, D, D, D, D, D, D, D},
		{ManageMembers, 0, D, D, D, D, D, D, D, D},
		{ResetSandbox, own, D, D, A, D, D, H, H, H},
		{ResetSandbox, 0, D, D, D, D, D, D, D, D},
		{ViewAudit, own, A, A, A, D, A, H, H, H},
		{ViewAudit, 0, A, A, D, D, A, A, D, D},
		{ViewPortalAudit, 0, A, D, D, D, A, D, D, D},
		{ViewAnonymousUsage, 0, A, D, D, D, A, D, D, D},
		{ManageResourceServers, 0, A, D, D, D, A, D, D, D},
		{ViewOwnAudit, own, D, D, A, A, D, H, H, H},
		{ViewOwnAudit, 0, D, D, D, D, D, D, D, D},
		{ViewUsage, own, A, A, A, D, A, H, H, H},
		{ViewUsage, 0, A, A, D, D, A, A, D, D},
		{ViewOwnUsage, own, D, D, A, A, D, H, H, H},
		{ViewOwnUsage, 0, D, D, D, D, D, D, D, D},
		{StaffPartnerUsage, own, A, A, D, D, A, H, H, H},
		{StaffPartnerUsage, 0, D, D, D, D, D, D, D, D},
		{StaffPartnerPage, own, A, A, D, D, A, H, H, H},
		{StaffPartnerPage, 0, D, D, D, D, D, D, D, D},
		{AssignManagers, own, A, A, D, D, A, H, H, H},
		{AssignManagers, 0, D, D, D, D, D, D, D, D},
		{ManagePartnerSettings, own, A, A, D, D, A, H, H, H},
		{ManagePartnerSettings, 0, D, D, D, D, D, D, D, D},
		{ConfigurePartnerSSO, own, A, A, D, D, A, H, H, H},
		{ConfigurePartnerSSO, 0, D, D, D, D, D, D, D, D},
		{ConfigureStaffSSO, 0, A, D, D, D, A, D, D, D},
		{ViewPartnerSSO, own, A, A, A, D, A, H, H, H},
		{ViewPartnerSSO, 0, D, D, D, D, D, D, D, D},
		{ManageSSOMappings, own, D, D, A, D, D, H, H, H},
		{ManageSSOMappings, 0, D, D, D, D, D, D, D, D},
	}
	for _, row := range table {
		cases := []struct {
			who     string
			a       Actor
			partner int64
			want    Decision
		}{
			{"admin", admin, row.partner, row.admin},
			{"account manager", am, row.partner, row.am},
			{"partner admin", padmin, row.partner, row.padmin},
			{"developer", dev, row.partner, row.dev},
			{"nobody", nobody, row.partner, D},
			{"partner role without partner", orphan, row.partner, D},
		}
		if row.partner != 0 {
			cases = append(cases,
				struct {
					who     string
					a       Actor
					partner int64
					want    Decision
				}{"admin, other partner", admin, other, row.adminOther},
				struct {
					who     string
					a       Actor
					partner int64
					want    Decision
				}{"account manager, unassigned partner", am, other, row.amOther},
				struct {
					who     string
					a       Actor
					partner int64
					want    Decision
				}{"partner admin, other partner", padmin, other, row.padminOther},
				struct {
					who     string
					a       Actor
					partner int64
					want    Decision
				}{"developer, other partner", dev, other, row.devOther})
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%s/partner=%d", row.act, tc.who, tc.partner), func(t *testing.T) {
				if got := Can(tc.a, row.act, tc.partner); got != tc.want {
					t.Errorf("Can(%s, %s, %d) = %v, want %v", tc.who, row.act, tc.partner, got, tc.want)
				}
			})
		}
	}
	if got := Can(admin, Action("no.such.action"), 0); got != Deny {
		t.Errorf("unknown action = %v, want Deny", got)
	}
}

func TestCanCreateClient(t *testing.T) {
	t.Parallel()
	const own, other = 7, 9
	admin := Actor{UserID: 1, Role: RoleAdmin}
	am := Actor{UserID: 2, Role: RoleAccountManager}
	padmin := Actor{UserID: 3, Role: RolePartnerAdmin, PartnerID: own}
	dev := Actor{UserID: 4, Role: RoleDeveloper, PartnerID: own}
	tests := []struct {
		who       string
		a         Actor
		partner   int64
		devsAllow bool
		want      Decision
	}{
		{"platform admin", admin, own, true, Deny},
		{"account manager", am, own, true, Deny},
		{"partner admin", padmin, own, false, Allow},
		{"partner admin, developers allowed", padmin, own, true, Allow},
		{"developer, not allowed", dev, own, false, Deny},
		{"developer, allowed", dev, own, true, Allow},
		{"partner admin, other partner", padmin, other, true, Hidden},
		{"developer, other partner", dev, other, true, Hidden},
		{"nobody", Actor{}, own, true, Deny},
		{"no partner", dev, 0, true, Deny},
	}
	for _, tc := range tests {
		t.Run(tc.who, func(t *testing.T) {
			if got := CanCreateClient(tc.a, tc.partner, tc.devsAllow); got != tc.want {
				t.Errorf("CanCreateClient(%s, %d, %v) = %v, want %v", tc.who, tc.partner, tc.devsAllow, got, tc.want)
			}
		})
	}
}

// TestCanToken: who may do what with one token (its owner is a developer
// of partner 7, id 4).
func TestCanToken(t *testing.T) {
	t.Parallel()
	const partner, ownerID = 7, 4
	owner := Actor{UserID: ownerID, Role: RoleDeveloper, PartnerID: partner}
	colleague := Actor{UserID: 6, Role: RoleDeveloper, PartnerID: partner}
	padmin := Actor{UserID: 3, Role: RolePartnerAdmin, PartnerID: partner}
	otherAdmin := Actor{UserID: 8, Role: RolePartnerAdmin, PartnerID: 9}
	am := Actor{UserID: 2, Role: RoleAccountManager, Managed: []int64{partner}}
	otherAM := Actor{UserID: 10, Role: RoleAccountManager, Managed: []int64{9}}
	admin := Actor{UserID: 1, Role: RoleAdmin}
	A, D, H := Allow, Deny, Hidden
	for _, tc := range []struct {
		act                                    Action
		owner, colleague, padmin, other, staff Decision
	}{
		{ViewToken, A, H, A, H, A},
		{RevokeToken, A, H, A, H, A},
		{NarrowToken, A, H, A, H, A},
		{RegenerateToken, A, H, D, H, D},
		{RenameToken, A, H, D, H, D},
		{ApproveToken, D, H, A, H, D},
	} {
		// The platform admin decides like the partner's account manager;
		// another partner's account manager sees nothing of it.
		for _, c := range []struct {
			who  string
			a    Actor
			want Decision
		}{{"owner", owner, tc.owner}, {"colleague", colleague, tc.colleague}, {"partner admin", padmin, tc.padmin},
			{"other partner's admin", otherAdmin, tc.other}, {"account manager", am, tc.staff},
			{"platform admin", admin, tc.staff}, {"unassigned account manager", otherAM, H}} {
			if got := CanToken(c.a, tc.act, ownerID, partner); got != c.want {
				t.Errorf("%s %s: %v, want %v", c.who, tc.act, got, c.want)
			}
		}
	}
}

// TestBook: lists that span partners are bounded by the account manager's
// book; a platform admin's span every partner, and partner users' lists
// are bounded by their partner, not by a book.
func TestBook(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		who     string
		a       Actor
		book    int64
		manages map[int64]bool
	}{
		{"platform admin", Actor{UserID: 1, Role: RoleAdmin}, 0, map[int64]bool{3: true, 4: true}},
		{"account manager", Actor{UserID: 2, Role: RoleAccountManager, Managed: []int64{3, 8}}, 2, map[int64]bool{3: true, 4: false, 8: true}},
		{"account manager without partners", Actor{UserID: 5, Role: RoleAccountManager}, 5, map[int64]bool{3: false}},
		{"partner admin", Actor{UserID: 6, Role: RolePartnerAdmin, PartnerID: 3}, 0, map[int64]bool{3: false}},
	} {
		if got := tc.a.Book(); got != tc.book {
			t.Errorf("%s: Book() = %d, want %d", tc.who, got, tc.book)
		}
		for pid, want := range tc.manages {
			if got := tc.a.Manages(pid); got != want {
				t.Errorf("%s: Manages(%d) = %v, want %v", tc.who, pid, got, want)
			}
		}
	}
}
