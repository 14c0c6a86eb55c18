// Package access is Portico's one permission policy: who may do what to
// which partner's resources. Every handler asks it; none decides itself.
// It is a pure function of the actor, the action and the resource's
// partner, so it is tested as a table over every role and action.
package access

import "slices"

// Roles, as stored on users.
const (
	RoleAdmin          = "admin"
	RoleAccountManager = "account_manager"
	RolePartnerAdmin   = "partner_admin"
	RoleDeveloper      = "developer"
)

// Actor is who is asking: a signed-in user (later also a token's owner).
type Actor struct {
	UserID int64
	Role   string
	// PartnerID is the actor's partner; 0 for provider staff.
	PartnerID int64
	// Managed are the partners an account manager is assigned to (their
	// book), in ascending order; read with the session, so a handover
	// takes effect on the next request.
	Managed []int64
}

// Staff reports whether the actor works for the provider.
func (a Actor) Staff() bool { return a.Role == RoleAdmin || a.Role == RoleAccountManager }

// Manages reports whether the actor may act on partnerID as its provider
// staff: a platform admin on every partner, an account manager on the
// partners of their book.
func (a Actor) Manages(partnerID int64) bool {
	switch a.Role {
	case RoleAdmin:
		return true
	case RoleAccountManager:
		_, ok := slices.BinarySearch(a.Managed, partnerID)
		return ok
	}
	return false
}

// Book is the account manager whose partners bound a list that spans
// partners (the directory, the audit trail, usage, alerts, hygiene): the
// actor's id for an account manager; 0 for a platform admin, whose lists
// span every partner. Partner users' lists are bounded by their partner.
func (a Actor) Book() int64 {
	if a.Role == RoleAccountManager {
		return a.UserID
	}
	return 0
}

// Action is something an actor may want to do.
type Action string

// The actions of the portal.
const (
	// ListPartners and ManagePartners concern the partner directory
	// (create, suspend, reactivate): provider staff.
	ListPartners   Action = "partners.list"
	ManagePartners Action = "partners.manage"
	// AssignManagers changes which account managers a partner has: a
	// platform admin, or one of the partner's account managers handing it
	// over (or sharing it).
	AssignManagers Action = "partners.assign"
	// ListAccountManagers is the staff directory: platform admins only.
	ListAccountManagers Action = "account_managers.list"
	// ViewOutbox shows the development outbox of mails: platform admins.
	ViewOutbox Action = "outbox.view"
	// ViewMembers lists a partner's people and invitations.
	ViewMembers Action = "members.view"
	// ManageMembers invites, resends, cancels, changes roles and removes.
	ManageMembers Action = "members.manage"
	// ViewTeams and ManageTeams concern a partner's teams.
	ViewTeams   Action = "teams.view"
	ManageTeams Action = "teams.manage"
	// ViewCatalog lists APIs and reads their documentation: everyone signed
	// in (partner users see only the APIs they are granted; the handler
	// filters with the effective-access function).
	ViewCatalog Action = "catalog.view"
	// ManageCatalog imports APIs and revisions and changes their status.
	ManageCatalog Action = "catalog.manage"
	// ManageAccessGroups creates and edits access groups and grants them
	// to a partner's teams or developers.
	ManageAccessGroups Action = "access_groups.manage"
	// ViewGrants shows what a partner was granted and to whom.
	ViewGrants Action = "grants.view"
	// CreateToken creates a personal access token for oneself: partner
	// users only (a token belongs to a partner).
	CreateToken Action = "tokens.create"
	// ViewAlerts lists the alerts of a partner (partnerID 0: of every
	// partner, for staff); ManageAlerts acknowledges them and mutes a rule
	// for a credential.
	ViewAlerts   Action = "alerts.view"
	ManageAlerts Action = "alerts.manage"
	// ViewPartnerTokens lists every token of a partner.
	ViewPartnerTokens Action = "tokens.view_partner"
	// StaffPartnerTokens is the partner directory's view of a partner's
	// tokens (/partners/:id/tokens and its revoke pages): provider staff
	// only. A partner admin sees the same list at /tokens/partner; the
	// staff pages are not theirs, even for their own partner.
	StaffPartnerTokens Action = "partners.tokens"
	// ManagePartnerSettings changes a partner's own settings (its ceiling
	// on requests per minute, longest token lifetime, approval of live
	// credentials, developers' OAuth clients): staff who manage the
	// partner, its account managers' to own. Partner admins read them.
	ManagePartnerSettings Action = "partner_settings.manage"
	// ManagePortalSettings changes portal-wide settings (the longest token
	// lifetime): platform admins.
	ManagePortalSettings Action = "portal_settings.manage"
	// ManageResourceServers issues and revokes the credentials resource
	// servers use to introspect and revoke OAuth access tokens: platform
	// admins.
	ManageResourceServers Action = "resource_servers.manage"
	// ResetSandbox deletes what a partner wrote in the sandbox: partner
	// admins, for their own partner.
	ResetSandbox Action = "sandbox.reset"
	// ViewAudit reads a partner's whole audit trail: its partner admins,
	// and staff (partnerID 0: every partner's trail; the provider's own
	// events are the platform admins' alone, see ViewPortalAudit).
	ViewAudit Action = "audit.view"
	// ViewPortalAudit reads the provider's own events too (staff created,
	// portal settings changed): platform admins.
	ViewPortalAudit Action = "audit.view_portal"
	// ViewOwnAudit reads what one did and what was done to one's account
	// and tokens: every partner user.
	ViewOwnAudit Action = "audit.view_own"
	// ViewUsage reads a partner's usage dashboards (every token and
	// member): its partner admins, and staff (partnerID 0: every
	// partner's usage, with the top consumers).
	ViewUsage Action = "usage.view"
	// ViewOwnUsage reads the usage of one's own tokens: every partner user.
	ViewOwnUsage Action = "usage.view_own"
	// StaffPartnerUsage is the partner directory's view of one partner's
	// usage (/partners/:id/usage): provider staff only, like
	// StaffPartnerTokens; a partner admin reads the same at /usage.
	StaffPartnerUsage Action = "partners.usage"
	// StaffPartnerPage is the staff's page of one partner
	// (/partners/:id): its members, teams, grants, credentials and usage
	// in one place. Provider staff only, like StaffPartnerTokens: partner
	// admins have their own pages for each of these.
	StaffPartnerPage Action = "partners.view"
	// ViewAnonymousUsage reads the calls that carried no credential (no
	// partner's: refused before one was known): platform admins, who run
	// the gateway.
	ViewAnonymousUsage Action = "usage.view_anonymous"
	// ConfigurePartnerSSO sets, changes or removes a partner's identity
	// provider (issuer, client, domains, enforcement): staff who manage the
	// partner. Its partner admins read it (ViewPartnerSSO).
	ConfigurePartnerSSO Action = "sso.configure"
	// ConfigureStaffSSO sets the staff's own identity provider: platform
	// admins.
	ConfigureStaffSSO Action = "sso.configure_staff"
	// ViewPartnerSSO reads a partner's identity provider settings (never
	// its secret) and group mappings: its partner admins and the staff who
	// manage it.
	ViewPartnerSSO Action = "sso.view"
	// ManageSSOMappings maps the provider's groups to teams and to the
	// partner-admin role, and runs "sync now": the partner's admins.
	ManageSSOMappings Action = "sso.mappings"
	// ManageWebhooks registers webhook endpoints and reads their delivery
	// logs: partner admins for their own partner (partnerID theirs), and
	// staff (partnerID 0: an endpoint for every partner they manage, or
	// one they manage). Each endpoint is then decided by CanManageEndpoint.
	ManageWebhooks Action = "webhooks.manage"
)

// Decision is the policy's answer. Hidden means the resource belongs to a
// partner the actor may not see at all: the handler answers 404, exactly as
// for a resource that does not exist, so ids of other tenants do not leak.
type Decision int

// The decisions.
const (
	Deny Decision = iota
	Allow
	Hidden
)

// Can decides whether actor may perform action on a resource of the given
// partner (0 for portal-wide actions).
func Can(a Actor, act Action, partnerID int64) Decision {
	if a.UserID == 0 || a.Role == "" {
		return Deny
	}
	if !a.Staff() {
		if a.PartnerID == 0 {
			return Deny
		}
		if partnerID != 0 && partnerID != a.PartnerID {
			return Hidden
		}
	} else if partnerID != 0 && !a.Manages(partnerID) {
		// Another account manager's partner is as invisible as another
		// tenant's: its pages answer 404.
		return Hidden
	}
	switch act {
	case ListPartners, ManagePartners:
		return allowIf(a.Staff())
	case StaffPartnerTokens, StaffPartnerUsage, StaffPartnerPage, AssignManagers:
		return allowIf(partnerID != 0 && a.Staff())
	case ListAccountManagers, ViewOutbox:
		return allowIf(a.Role == RoleAdmin)
	case ViewMembers, ViewTeams:
		// Staff see every partner's people; a partner admin their own.
		return allowIf(partnerID != 0 && (a.Staff() || a.Role == RolePartnerAdmin))
	case ManageMembers, ManageTeams:
		return allowIf(partnerID != 0 && a.Role == RolePartnerAdmin)
	case ViewCatalog:
		return Allow
	case ManageCatalog:
		return allowIf(a.Staff())
	case ManageAccessGroups:
		return allowIf(a.Staff())
	case ViewGrants, ViewPartnerTokens:
		return allowIf(partnerID != 0 && (a.Staff() || a.Role == RolePartnerAdmin))
	case CreateToken:
		return allowIf(partnerID != 0 && !a.Staff())
	case ManagePartnerSettings:
		return allowIf(partnerID != 0 && a.Staff())
	case ManagePortalSettings, ManageResourceServers:
		return allowIf(a.Role == RoleAdmin)
	case ResetSandbox:
		return allowIf(partnerID != 0 && a.Role == RolePartnerAdmin)
	case ViewAudit, ViewAlerts, ManageAlerts:
		return allowIf(a.Staff() || (partnerID != 0 && a.Role == RolePartnerAdmin))
	case ViewPortalAudit, ViewAnonymousUsage, ConfigureStaffSSO:
		return allowIf(a.Role == RoleAdmin)
	case ConfigurePartnerSSO:
		return allowIf(partnerID != 0 && a.Staff())
	case ViewPartnerSSO:
		return allowIf(partnerID != 0 && (a.Staff() || a.Role == RolePartnerAdmin))
	case ManageSSOMappings:
		return allowIf(partnerID != 0 && a.Role == RolePartnerAdmin)
	case ManageWebhooks:
		return allowIf(a.Staff() || (partnerID != 0 && a.Role == RolePartnerAdmin))
	case ViewOwnAudit, ViewOwnUsage:
		return allowIf(partnerID != 0 && !a.Staff())
	case ViewUsage:
		return allowIf(a.Staff() || (partnerID != 0 && a.Role == RolePartnerAdmin))
	}
	return Deny
}

// CanManageEndpoint decides whether a may see and change a webhook
// endpoint: a partner's endpoint (partnerID set) belongs to its partner
// admins, never to staff; a staff endpoint (partnerID 0) to the staff
// member who registered it (ownerID), and to platform admins. Anyone else
// is answered as if it did not exist.
func CanManageEndpoint(a Actor, partnerID, ownerID int64) Decision {
	if a.UserID == 0 || a.Role == "" {
		return Deny
	}
	if partnerID != 0 {
		if a.Staff() || a.PartnerID != partnerID {
			return Hidden
		}
		return allowIf(a.Role == RolePartnerAdmin)
	}
	if !a.Staff() || (a.UserID != ownerID && a.Role != RoleAdmin) {
		return Hidden
	}
	return Allow
}

// CanCreateClient decides whether a may register an OAuth client owned by
// themselves in partnerID: partner admins may; developers when their
// partner lets developers register clients (developersAllowed, the
// partner's setting); staff never (a client belongs to a partner).
func CanCreateClient(a Actor, partnerID int64, developersAllowed bool) Decision {
	if a.UserID == 0 || partnerID == 0 || a.Staff() {
		return Deny
	}
	if a.PartnerID != partnerID {
		return Hidden
	}
	switch a.Role {
	case RolePartnerAdmin:
		return Allow
	case RoleDeveloper:
		return allowIf(developersAllowed)
	}
	return Deny
}

func allowIf(ok bool) Decision {
	if ok {
		return Allow
	}
	return Deny
}
