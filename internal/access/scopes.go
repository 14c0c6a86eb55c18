package access

// Portal scopes let a personal access token use the management API
// (/api/v1). A token holds them on top of its catalog API scopes; the
// actor's role still decides every action, so a scope never lifts a
// developer to a partner admin.
const (
	ScopeMembersRead  = "portal:members:read"
	ScopeMembersWrite = "portal:members:write"
	ScopeTeamsRead    = "portal:teams:read"
	ScopeTeamsWrite   = "portal:teams:write"
	ScopeCatalogRead  = "portal:catalog:read"
	ScopeAccessRead   = "portal:access:read"
	ScopeTokensRead   = "portal:tokens:read"  // #nosec G101 -- a scope's name, not a credential
	ScopeTokensWrite  = "portal:tokens:write" // #nosec G101 -- a scope's name, not a credential
	ScopeAuditRead    = "portal:audit:read"
	ScopeUsageRead    = "portal:usage:read"
	ScopeAlertsRead   = "portal:alerts:read"
	ScopeAlertsWrite  = "portal:alerts:write"
)

// PortalScope describes a portal scope for the token form.
type PortalScope struct {
	Name        string
	Description string
	// AdminOnly scopes are offered to partner admins only: a developer's
	// role allows none of their actions.
	AdminOnly bool
}

// PortalScopes are every portal scope, in the order the form shows them.
var PortalScopes = []PortalScope{
	{ScopeCatalogRead, "Read the API catalog and documents you are granted", false},
	{ScopeTokensRead, "List your tokens", false},
	{ScopeTokensWrite, "Create, regenerate and revoke your tokens", false},
	{ScopeMembersRead, "List members and invitations", true},
	{ScopeMembersWrite, "Invite, change roles and remove members", true},
	{ScopeTeamsRead, "List teams", true},
	{ScopeTeamsWrite, "Create, rename and delete teams and change their members", true},
	{ScopeAccessRead, "See what your organisation was granted", true},
	{ScopeAuditRead, "Read the audit trail you see in the portal (yours, or your organisation's as its admin)", false},
	{ScopeUsageRead, "Read the usage you see in the portal (your tokens', or your organisation's as its admin)", false},
	{ScopeAlertsRead, "Read your organisation's alerts", true},
	{ScopeAlertsWrite, "Acknowledge your organisation's alerts", true},
}

// PortalScopesFor returns the portal scopes a role may put on a token.
func PortalScopesFor(role string) []PortalScope {
	var out []PortalScope
	for _, s := range PortalScopes {
		if !s.AdminOnly || role == RolePartnerAdmin {
			out = append(out, s)
		}
	}
	return out
}

// IsPortalScope reports whether s is a portal scope a role may hold.
func IsPortalScope(role, s string) bool {
	for _, p := range PortalScopesFor(role) {
		if p.Name == s {
			return true
		}
	}
	return false
}

// ScopeFor is the portal scope a token needs for an action through the
// management API; "" for actions no token may perform.
func ScopeFor(act Action) string {
	switch act {
	case ViewMembers:
		return ScopeMembersRead
	case ManageMembers:
		return ScopeMembersWrite
	case ViewTeams:
		return ScopeTeamsRead
	case ManageTeams:
		return ScopeTeamsWrite
	case ViewCatalog:
		return ScopeCatalogRead
	case ViewGrants:
		return ScopeAccessRead
	case ViewToken, ViewPartnerTokens:
		return ScopeTokensRead
	case CreateToken, RevokeToken, NarrowToken, RegenerateToken, RenameToken, LimitToken, ApproveToken:
		return ScopeTokensWrite
	case ViewAudit, ViewOwnAudit, ViewPortalAudit:
		return ScopeAuditRead
	case ViewUsage, ViewOwnUsage:
		return ScopeUsageRead
	case ViewAlerts:
		return ScopeAlertsRead
	case ManageAlerts:
		return ScopeAlertsWrite
	}
	return ""
}
