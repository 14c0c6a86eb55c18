package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/handlers/api"
)

// routes is the whole URL map of the portal.
func (h *Handler) routes(e *echo.Echo) {
	// Operations.
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)
	e.GET("/openapi/portal.yaml", h.portalSpec)
	e.GET("/static/*", h.asset)
	e.POST(LeakPath, h.leakedTokens)

	// The management API: JSON over the same domain functions as the pages,
	// authenticated by the portal session until personal access tokens land.
	auth := &api.SessionAuth{Store: h.store, Sessions: h.sessions, Window: SudoWindow}
	mgmt := api.New(h.store, h.people, auth.Actor)
	mgmt.RecentAuth = auth.RecentAuth
	mgmt.Mailer = h.mailer
	mgmt.Catalog = h.catalog
	mgmt.Verifier = h.verifier
	mgmt.Tokens = h.pats
	mgmt.Hygiene = h.hygiene
	mgmt.SSO = h.sso
	mgmt.Webhooks = h.webhooks
	api.Register(e.Group("/api/v1"), mgmt)

	// Pages.
	e.GET("/", h.home)
	e.GET("/sign-in", h.signInForm)
	e.POST("/sign-in", h.signIn)
	e.POST("/sign-out", h.signOut)
	// Sign-in through the identity provider of the email's domain.
	e.POST("/sso/start", h.ssoStart)
	e.GET("/sso/callback", h.ssoCallback)
	e.POST("/sso/confirm", h.ssoConfirm, h.signedIn)
	e.GET("/invitations/:token", h.acceptInvitationForm)
	e.POST("/invitations/:token", h.acceptInvitation)
	e.GET("/forgot-password", h.forgotPasswordForm)
	e.POST("/forgot-password", h.forgotPassword)
	e.GET("/reset-password/:token", h.resetPasswordForm)
	e.POST("/reset-password/:token", h.resetPassword)
	e.GET("/security/report-token", h.reportTokenForm)
	e.POST("/security/report-token", h.reportToken)

	// The signed-in user's own account.
	e.GET("/confirm-password", h.confirmPasswordForm, h.signedIn)
	e.POST("/confirm-password", h.confirmPassword, h.signedIn)
	a := e.Group("/account", h.signedIn)
	a.GET("", h.account)
	a.POST("/name", h.changeName)
	a.POST("/email", h.changeEmail)
	a.POST("/email/cancel", h.cancelEmailChange)
	a.GET("/email/confirm/:token", h.confirmEmailChangeForm)
	a.POST("/email/confirm/:token", h.confirmEmailChange)
	a.POST("/password", h.changePassword)

	// Partner admin pages: the partner is always the signed-in user's.
	m := e.Group("/members", h.signedIn)
	m.GET("", h.members)
	m.POST("/invitations", h.invite)
	m.POST("/invitations/:id/resend", h.resendInvitation)
	m.POST("/invitations/:id/cancel", h.cancelInvitation)
	m.POST("/:id/role", h.changeRole)
	m.GET("/:id/remove", h.confirmRemoveMember)
	m.POST("/:id/remove", h.removeMember)
	m.GET("/invitations", h.invitationList)
	m.GET("/invitations/:id/cancel", h.confirmCancelInvitation)

	// Teams: partner admins.
	t := e.Group("/teams", h.signedIn)
	t.GET("", h.teams)
	t.POST("", h.createTeam)
	t.GET("/:id", h.team)
	t.POST("/:id/rename", h.renameTeam)
	t.GET("/:id/delete", h.confirmDeleteTeam)
	t.POST("/:id/delete", h.deleteTeam)
	t.POST("/:id/members", h.addTeamMember)
	t.POST("/:id/members/:user/remove", h.removeTeamMember)
	t.GET("/:id/candidates", h.teamCandidates)
	t.GET("/:id/members/:user/remove", h.confirmRemoveTeamMember)

	// Staff pages.
	p := e.Group("/partners", h.signedIn)
	p.GET("", h.partners)
	p.POST("", h.createPartner)
	p.POST("/:id/status", h.setPartnerStatus)
	p.GET("/:id/tokens", h.staffPartnerTokens)
	p.GET("/:id/tokens/:token/revoke", h.confirmRevokeToken)
	p.POST("/:id/tokens/:token/revoke", h.revokeToken)
	p.GET("/:id/tokens/hygiene", h.staffTokenHygiene)
	p.POST("/:id/settings", h.savePartnerSettings)
	p.GET("/:id/tokens/hygiene/revoke-unused", h.staffConfirmRevokeUnused)
	p.POST("/:id/tokens/hygiene/revoke-unused", h.staffRevokeUnused)
	p.GET("/:id", h.partnerPage)
	p.GET("/:id/suspend", h.confirmSuspendPartner)
	p.POST("/:id/managers", h.addPartnerManager)
	p.GET("/:id/managers/:user/remove", h.confirmRemovePartnerManager)
	p.POST("/:id/managers/:user/remove", h.removePartnerManager)
	p.GET("/:id/end", h.confirmEndPartner)
	p.POST("/:id/end", h.endPartner)
	p.POST("/:id/end-date", h.setPartnerEndDate)
	e.GET("/outbox", h.outbox, h.signedIn)

	// The API catalog and documentation: everyone signed in; partner users
	// see only the APIs they are granted now.
	e.GET("/apis", h.apiCatalog, h.signedIn)
	e.GET("/apis/:slug", h.apiDocs, h.signedIn)
	// The docs' "Try it" console: its document and its sandbox token.
	e.GET("/apis/:slug/openapi.json", h.consoleSpec, h.signedIn)
	e.POST("/apis/:slug/console-token", h.consoleToken, h.signedIn)

	// Catalog management: staff import APIs and revisions, change status.
	cm := e.Group("/catalog", h.signedIn)
	cm.GET("/import", h.importForm)
	cm.POST("/import", h.importAPI)
	cm.GET("/:slug/revisions", h.revisions)
	cm.POST("/:slug/revisions", h.addRevision)
	cm.POST("/:slug/status", h.setAPIStatus)
	cm.POST("/:slug/upstream", h.setAPIUpstream)
	cm.POST("/:slug/body-limit", h.setAPIBodyLimit)
	cm.GET("/:slug/delete", h.confirmDeleteAPI)
	cm.POST("/:slug/delete", h.deleteAPI)

	// Access groups: account managers.
	ag := e.Group("/access-groups", h.signedIn)
	ag.GET("", h.accessGroups)
	ag.POST("", h.createAccessGroup)
	ag.GET("/:id", h.accessGroup)
	ag.POST("/:id", h.updateAccessGroup)
	ag.POST("/:id/apis", h.includeAPI)
	ag.POST("/:id/apis/:api/remove", h.removeGroupAPI)
	ag.POST("/:id/grants", h.grantAccessGroup)
	ag.POST("/:id/grants/:grant/revoke", h.revokeGrant)
	ag.GET("/:id/delete", h.confirmDeleteAccessGroup)
	ag.POST("/:id/delete", h.deleteAccessGroup)
	ag.GET("/:id/grantees", h.grantees)
	ag.GET("/:id/apis/:api/remove", h.confirmRemoveGroupAPI)
	ag.GET("/:id/grants/:grant/revoke", h.confirmRevokeGrant)
	// What a partner admin's partner was granted, and who reaches what.
	e.GET("/access", h.partnerAccess, h.signedIn)
	e.GET("/access/sandbox-reset", h.confirmSandboxReset, h.signedIn)
	e.POST("/access/sandbox-reset", h.resetSandbox, h.signedIn)

	e.GET("/staff", h.staff, h.signedIn)
	e.POST("/staff", h.createStaff, h.signedIn)

	// Personal access tokens: partner users' own; partner admins see and
	// approve every token of their partner (staff through /partners/:id/tokens).
	tk := e.Group("/tokens", h.signedIn)
	tk.GET("", h.tokens)
	tk.GET("/new", h.newToken)
	tk.POST("", h.createToken)
	tk.GET("/partner", h.partnerTokens)
	tk.GET("/:id/revoke", h.confirmRevokeToken)
	tk.POST("/:id/revoke", h.revokeToken)
	tk.GET("/:id/regenerate", h.regenerateTokenForm)
	tk.POST("/:id/regenerate", h.regenerateToken)
	tk.POST("/:id/rename", h.renameToken)
	tk.POST("/:id/rate-limit", h.setTokenRateLimit)
	tk.POST("/:id/approve", h.approveToken)
	tk.GET("/new-client", h.newClient)
	tk.POST("/new-client", h.createClient)
	tk.GET("/hygiene", h.tokenHygiene)
	tk.GET("/hygiene/revoke-unused", h.confirmRevokeUnused)
	tk.POST("/hygiene/revoke-unused", h.revokeUnused)
	tk.GET("/:id/narrow", h.confirmNarrowToken)
	tk.POST("/:id/narrow", h.narrowToken)

	// Portal-wide settings: platform admins.
	e.GET("/settings", h.portalSettings, h.signedIn)
	e.POST("/settings", h.savePortalSettings, h.signedIn)
	e.POST("/settings/retention", h.saveRetentionSettings, h.signedIn)
	e.POST("/settings/access-tokens", h.saveAccessTokenMinutes, h.signedIn)
	e.POST("/settings/alerts", h.saveAlertSettings, h.signedIn)
	// Resource server credentials (introspection, revocation): platform admins.
	e.GET("/resource-servers", h.resourceServers, h.signedIn)
	e.POST("/resource-servers", h.createResourceServer, h.signedIn)
	e.GET("/resource-servers/:id/revoke", h.confirmRevokeResourceServer, h.signedIn)
	e.POST("/resource-servers/:id/revoke", h.revokeResourceServer, h.signedIn)

	// The audit trail: each role sees the scope the policy gives it.
	e.GET("/alerts", h.alertsPage, h.signedIn)
	e.POST("/alerts/:id/acknowledge", h.acknowledgeAlert, h.signedIn)
	e.POST("/alerts/:id/mute", h.muteAlert, h.signedIn)
	e.GET("/audit", h.auditTrail, h.signedIn)
	e.GET("/audit/export", h.exportAudit, h.signedIn)

	// Usage dashboards, read from the usage rollup: each role sees the
	// scope the policy gives it; staff also see one partner's.
	e.GET("/usage", h.usagePage, h.signedIn)
	e.GET("/usage/export", h.exportUsage, h.signedIn)
	e.GET("/partners/:id/usage", h.staffUsagePage, h.signedIn)
	e.GET("/partners/:id/usage/export", h.staffExportUsage, h.signedIn)

	// Single sign-on: staff who manage a partner configure its identity
	// provider, platform admins the staff's own; partner admins read
	// theirs and map its groups to teams and the partner admin role.
	e.GET("/partners/:id/sso", h.partnerSSOForm, h.signedIn)
	e.POST("/partners/:id/sso", h.savePartnerSSO, h.signedIn)
	e.GET("/partners/:id/sso/delete", h.confirmRemovePartnerSSO, h.signedIn)
	e.POST("/partners/:id/sso/delete", h.removePartnerSSO, h.signedIn)
	e.GET("/settings/sso", h.staffSSOForm, h.signedIn)
	e.POST("/settings/sso", h.saveStaffSSO, h.signedIn)
	e.GET("/settings/sso/delete", h.confirmRemoveStaffSSO, h.signedIn)
	e.POST("/settings/sso/delete", h.removeStaffSSO, h.signedIn)
	e.GET(SSOPath, h.ssoPage, h.signedIn)
	e.POST(SSOPath+"/mappings", h.addSSOMapping, h.signedIn)
	e.GET(SSOPath+"/mappings/:id/delete", h.confirmRemoveSSOMapping, h.signedIn)
	e.POST(SSOPath+"/mappings/:id/delete", h.removeSSOMapping, h.signedIn)
	// "Sync now": a partner admin asks the partner's identity provider
	// about everyone who signs in through it.
	e.POST(ssoSyncPath, h.syncSSO, h.signedIn)
}
