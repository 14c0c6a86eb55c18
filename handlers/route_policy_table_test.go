package handlers_test

import (
	"net/http"

	"github.com/portico/portico/internal/access"
)

// routePolicy is one route of the router, the request that tries it and
// the policy that decides it for every actor.
type routePolicy struct {
	// route is "METHOD /path" exactly as the router has it.
	route string
	// url is the request's path and query, with B's ids in braces
	// ({partner}, {token}, ...); empty is the route's own path.
	url string
	// body is the form (pages) or the JSON (/api/v1) sent: a real change
	// of B where one is possible, so a wrongly allowed request shows in
	// B's state, not only in its status.
	body string
	// rule is what the policy decides for an actor (see expect).
	rule rule
	// ok is the status of an allowed request; 0 is any success or
	// redirect.
	ok int
	// public routes answer the anonymous visitor too, with anon when it
	// differs from ok.
	public bool
	anon   int
	// htmx sends the request as htmx does (HX-Request), for fragments.
	htmx bool
	// last puts the request after the others (1), or at the very end (2):
	// it changes what the requests after it would find (suspending B,
	// signing out). alone runs an allowed one on a copy of its own (ending
	// B, an account manager taking themselves off B).
	last  int
	alone bool
}

// r is an entry decided by rl.
func r(route, url, body string, rl rule, ok int) routePolicy {
	return routePolicy{route: route, url: url, body: body, rule: rl, ok: ok}
}

// pub is a public entry: every visitor gets ok.
func pub(route, url, body string, ok int) routePolicy {
	return routePolicy{route: route, url: url, body: body, rule: anyone, ok: ok, public: true}
}

// routePolicies is the policy of every route of the router, tried on
// partner B's resources. A new route needs an entry here:
// TestEveryRouteByEveryActor fails until it has one.
func routePolicies() []routePolicy {
	const ok, made, gone = http.StatusOK, 0, http.StatusNotFound
	const bad, conflict, expired = http.StatusUnprocessableEntity, http.StatusConflict, http.StatusGone
	var (
		members, manageMembers = access.ViewMembers, access.ManageMembers
		teams, manageTeams     = access.ViewTeams, access.ManageTeams
		catalog, editCatalog   = portalWide(access.ViewCatalog), portalWide(access.ManageCatalog)
		groups                 = portalWide(access.ManageAccessGroups)
		settings               = portalWide(access.ManagePortalSettings)
		servers                = portalWide(access.ManageResourceServers)
		staffTokens            = onB(access.StaffPartnerTokens)
		lifecycle              = onB(access.ManagePartners)
		audit                  = anyOf(ownPartner(access.ViewAudit), ownPartner(access.ViewOwnAudit))
		usage                  = anyOf(ownPartner(access.ViewUsage), ownPartner(access.ViewOwnUsage))
		createToken            = ownPartner(access.CreateToken)
		// A partner user may never manage groups (403), whoever the
		// grant is for.
		grants = both(groups, onB(access.ManageAccessGroups))
		// B's webhook endpoint is its partner admins' (CanManageEndpoint),
		// asked once the role is admitted to the webhook pages.
		webhooks   = ownPartner(access.ManageWebhooks)
		webhookOfB = both(webhooks, func(a access.Actor, b target) access.Decision { return access.CanManageEndpoint(a, b.partner, 0) })
	)
	return []routePolicy{
		// Operations and public pages.
		pub("GET /healthz", "", "", ok),
		pub("GET /readyz", "", "", ok),
		pub("GET /openapi/portal.yaml", "", "", ok),
		pub("GET /static/*", "/static/no-such-asset.css", "", gone),
		// Secret scanners' signed reports: not enabled on this portal.
		pub("POST /security/leaked-tokens", "", `[]`, gone),
		pub("GET /", "", "", ok),
		{route: "GET /sign-in", rule: anyone, public: true, ok: http.StatusSeeOther, anon: ok},
		pub("POST /sign-in", "", "email=am%40portico.test&password=wrong-password", bad),
		{route: "POST /sign-out", rule: anyone, public: true, ok: http.StatusSeeOther, last: 2},
		// Sign-in through an identity provider: an address of no
		// provider's domain goes on to the password; an answer no attempt
		// of this browser asked for is refused.
		pub("POST /sso/start", "", "email=nobody%40nowhere.test", ok),
		pub("GET /sso/callback", "/sso/callback?code=x&state=y", "", http.StatusBadRequest),
		r("POST /sso/confirm", "", "", signedIn, http.StatusSeeOther),
		pub("GET /invitations/:token", "/invitations/ptc_inv_unknown", "", gone),
		pub("POST /invitations/:token", "/invitations/ptc_inv_unknown", "name=X&password=whatever-long", gone),
		pub("GET /forgot-password", "", "", ok),
		pub("POST /forgot-password", "", "email=nobody%40nowhere.test", ok),
		pub("GET /reset-password/:token", "/reset-password/unknown", "", expired),
		pub("POST /reset-password/:token", "/reset-password/unknown", "password=Another-pass-123", expired),
		pub("GET /security/report-token", "", "", ok),
		pub("POST /security/report-token", "", "token=", bad),

		// The signed-in user's own account.
		r("GET /confirm-password", "", "", signedIn, ok),
		r("POST /confirm-password", "", "password=wrong-password", signedIn, bad),
		r("GET /account", "", "", signedIn, ok),
		r("POST /account/name", "", "name=", signedIn, bad),
		r("POST /account/email", "", "email=not-an-email", signedIn, bad),
		r("POST /account/email/cancel", "", "", signedIn, http.StatusSeeOther),
		r("GET /account/email/confirm/:token", "/account/email/confirm/unknown", "", signedIn, expired),
		r("POST /account/email/confirm/:token", "/account/email/confirm/unknown", "", signedIn, expired),
		r("POST /account/password", "", "current_password=wrong-password&new_password=Another-pass-123", signedIn, bad),

		// Partner admins' pages: the partner is always the signed-in user's.
		r("GET /members", "", "", ownPartner(members), ok),
		r("POST /members/invitations", "", "email=someone%40crane.test&role=developer", ownPartner(manageMembers), made),
		r("POST /members/invitations/:id/resend", "/members/invitations/{invitation}/resend", "", ofOwn(manageMembers), made),
		r("POST /members/invitations/:id/cancel", "/members/invitations/{invitation1}/cancel", "", ofOwn(manageMembers), made),
		r("POST /members/:id/role", "/members/{member}/role", "role=partner_admin", ofOwn(manageMembers), made),
		r("GET /members/:id/remove", "/members/{member}/remove", "", ofOwn(manageMembers), ok),
		r("POST /members/:id/remove", "/members/{member1}/remove", "", ofOwn(manageMembers), made),
		r("GET /members/invitations", "", "", ownPartner(manageMembers), ok),
		r("GET /members/invitations/:id/cancel", "/members/invitations/{invitation}/cancel", "", ofOwn(manageMembers), ok),
		r("GET /teams", "", "", ownPartner(teams), ok),
		r("POST /teams", "", "name=Crane+Day+Shift", ownPartner(manageTeams), made),
		r("GET /teams/:id", "/teams/{team}", "", ofOwn(teams), ok),
		r("POST /teams/:id/rename", "/teams/{team}/rename", "name=Renamed", ofOwn(manageTeams), made),
		r("GET /teams/:id/delete", "/teams/{team}/delete", "", ofOwn(manageTeams), ok),
		r("POST /teams/:id/delete", "/teams/{team3}/delete", "", ofOwn(manageTeams), made),
		r("POST /teams/:id/members", "/teams/{team}/members", "user_id={admin}", ofOwn(manageTeams), made),
		r("POST /teams/:id/members/:user/remove", "/teams/{team}/members/{member}/remove", "", ofOwn(manageTeams), made),
		{route: "GET /teams/:id/candidates", url: "/teams/{team}/candidates?q=crane", rule: ofOwn(manageTeams), ok: ok, htmx: true},
		r("GET /teams/:id/members/:user/remove", "/teams/{team2}/members/{member}/remove", "", ofOwn(manageTeams), ok),
		r("GET /access", "", "", ownPartner(access.ViewGrants), ok),
		r("GET /access/sandbox-reset", "", "", ownPartner(access.ResetSandbox), ok),
		r("POST /access/sandbox-reset", "", "", ownPartner(access.ResetSandbox), made),

		// The partner directory and B's staff pages.
		r("GET /partners", "/partners?q=crane", "", portalWide(access.ListPartners), ok),
		r("POST /partners", "", "name=&admin_email=", portalWide(access.ManagePartners), bad),
		r("GET /partners/:id", "/partners/{partner}", "", onB(access.StaffPartnerPage), ok),
		{route: "POST /partners/:id/status", url: "/partners/{partner}/status", body: "status=suspended", rule: lifecycle, last: 1},
		r("GET /partners/:id/suspend", "/partners/{partner}/suspend", "", lifecycle, ok),
		r("POST /partners/:id/settings", "/partners/{partner}/settings", "token_max_days=1&rate_limit_per_minute=1&require_live_approval=on&developer_clients=on", onB(access.ManagePartnerSettings), made),
		r("GET /partners/:id/tokens", "/partners/{partner}/tokens", "", staffTokens, ok),
		r("GET /partners/:id/tokens/:token/revoke", "/partners/{partner}/tokens/{token}/revoke", "", staffTokens, ok),
		r("POST /partners/:id/tokens/:token/revoke", "/partners/{partner}/tokens/{token1}/revoke", "", staffTokens, made),
		r("GET /partners/:id/tokens/hygiene", "/partners/{partner}/tokens/hygiene", "", staffTokens, ok),
		r("GET /partners/:id/tokens/hygiene/revoke-unused", "/partners/{partner}/tokens/hygiene/revoke-unused", "", staffTokens, ok),
		r("POST /partners/:id/tokens/hygiene/revoke-unused", "/partners/{partner}/tokens/hygiene/revoke-unused", "id={token2}", staffTokens, made),
		r("GET /partners/:id/usage", "/partners/{partner}/usage", "", onB(access.StaffPartnerUsage), ok),
		r("GET /partners/:id/usage/export", "/partners/{partner}/usage/export?chart=requests", "", onB(access.StaffPartnerUsage), ok),
		r("GET /partners/:id/end", "/partners/{partner}/end", "", lifecycle, ok),
		{route: "POST /partners/:id/end", url: "/partners/{partner}/end", rule: lifecycle, last: 1, alone: true},
		r("POST /partners/:id/end-date", "/partners/{partner}/end-date", "end_on={end_on}", lifecycle, made),
		r("POST /partners/:id/managers", "/partners/{partner}/managers", "user_id={am}", onB(access.AssignManagers), made),
		r("GET /partners/:id/managers/:user/remove", "/partners/{partner}/managers/{manager}/remove", "", onB(access.AssignManagers), ok),
		{route: "POST /partners/:id/managers/:user/remove", url: "/partners/{partner}/managers/{manager}/remove", rule: onB(access.AssignManagers), last: 1, alone: true},
		r("GET /outbox", "", "", portalWide(access.ViewOutbox), ok),
		r("GET /staff", "", "", portalWide(access.ListAccountManagers), ok),
		r("POST /staff", "", "name=X&email=x%40portico.test&role=account_manager", portalWide(access.ListAccountManagers), made),

		// The catalog: the provider's, the same for every partner.
		r("GET /apis", "", "", catalog, ok),
		r("GET /apis/:slug", "/apis/fleet", "", catalog, ok),
		r("GET /apis/:slug/openapi.json", "/apis/fleet/openapi.json", "", catalog, ok),
		r("POST /apis/:slug/console-token", "/apis/fleet/console-token", "", createToken, made),
		r("GET /catalog/import", "", "", editCatalog, ok),
		r("POST /catalog/import", "", "slug=", editCatalog, bad),
		r("GET /catalog/:slug/revisions", "/catalog/fleet/revisions", "", editCatalog, ok),
		r("POST /catalog/:slug/revisions", "/catalog/fleet/revisions", "", editCatalog, bad),
		r("POST /catalog/:slug/status", "/catalog/fleet/status", "status=bogus", editCatalog, bad),
		r("POST /catalog/:slug/upstream", "/catalog/fleet/upstream", "upstream=not-a-url", editCatalog, bad),
		r("POST /catalog/:slug/body-limit", "/catalog/fleet/body-limit", "body_limit=bogus", editCatalog, bad),
		r("GET /catalog/:slug/delete", "/catalog/fleet/delete", "", editCatalog, ok),
		r("POST /catalog/:slug/delete", "/catalog/fleet/delete", "", editCatalog, conflict),

		// Access groups: shared catalog objects, but their grants are the
		// partners'. B holds the group: deleting it is refused.
		r("GET /access-groups", "", "", groups, ok),
		r("POST /access-groups", "", "name=", groups, bad),
		r("GET /access-groups/:id", "/access-groups/{group}?partner=crane", "", groups, ok),
		r("POST /access-groups/:id", "/access-groups/{spare}", "name=Route+spare&description=x&rate_limit_per_minute=61", groups, made),
		r("POST /access-groups/:id/apis", "/access-groups/{spare}/apis", "api=maintenance&scope=maintenance%3Aread", groups, made),
		r("GET /access-groups/:id/apis/:api/remove", "/access-groups/{group}/apis/fleet/remove", "", groups, ok),
		r("POST /access-groups/:id/apis/:api/remove", "/access-groups/{spare}/apis/fleet/remove", "", groups, made),
		r("POST /access-groups/:id/grants", "/access-groups/{spare}/grants", "grantee=user%3A{member}", grants, made),
		r("GET /access-groups/:id/grants/:grant/revoke", "/access-groups/{group}/grants/{grant}/revoke", "", grants, ok),
		r("POST /access-groups/:id/grants/:grant/revoke", "/access-groups/{group}/grants/{grant1}/revoke", "", grants, made),
		r("GET /access-groups/:id/delete", "/access-groups/{group}/delete", "", groups, ok),
		r("POST /access-groups/:id/delete", "/access-groups/{group}/delete", "", groups, conflict),
		{route: "GET /access-groups/:id/grantees", url: "/access-groups/{spare}/grantees?partner=crane", rule: groups, ok: ok, htmx: true},

		// Settings and resource servers: platform admins.
		r("GET /settings", "", "", settings, ok),
		r("POST /settings", "", "token_max_days=1", settings, made),
		r("POST /settings/retention", "", "audit_days=1", settings, bad),
		r("POST /settings/access-tokens", "", "minutes=1", settings, bad),
		r("POST /settings/alerts", "", "", settings, bad),
		r("GET /resource-servers", "", "", servers, ok),
		r("POST /resource-servers", "", "name=x", servers, made),
		r("GET /resource-servers/:id/revoke", "/resource-servers/{server}/revoke", "", servers, ok),
		r("POST /resource-servers/:id/revoke", "/resource-servers/{server}/revoke", "", servers, made),

		// Tokens: partner users' own pages; B's token by its id.
		r("GET /tokens", "", "", signedIn, ok),
		r("GET /tokens/new", "", "", signedIn, ok),
		r("POST /tokens", "", "name=x&environment=sandbox&days=7&scope=fleet%2Ffleet%3Aread", createToken, made),
		r("GET /tokens/partner", "", "", ownPartner(access.ViewPartnerTokens), ok),
		r("GET /tokens/new-client", "", "", ownClient, ok),
		r("POST /tokens/new-client", "", "name=x&environment=sandbox&days=7&scope=fleet%2Ffleet%3Aread", ownClient, made),
		r("GET /tokens/hygiene", "/tokens/hygiene?q=crane", "", anyOf(portalWide(access.ListPartners), ownPartner(access.ViewPartnerTokens)), ok),
		r("GET /tokens/hygiene/revoke-unused", "", "", ownPartner(access.ViewPartnerTokens), ok),
		r("POST /tokens/hygiene/revoke-unused", "", "id={token3}", ownPartner(access.ViewPartnerTokens), made),
		r("GET /tokens/:id/revoke", "/tokens/{token}/revoke", "", tokenOfB(access.RevokeToken), ok),
		r("POST /tokens/:id/revoke", "/tokens/{token4}/revoke", "", tokenOfB(access.RevokeToken), made),
		r("GET /tokens/:id/regenerate", "/tokens/{token}/regenerate", "", tokenOfB(access.RegenerateToken), ok),
		r("POST /tokens/:id/regenerate", "/tokens/{token5}/regenerate", "grace=0", tokenOfB(access.RegenerateToken), made),
		r("POST /tokens/:id/rename", "/tokens/{token}/rename", "name=renamed", tokenOfB(access.RenameToken), made),
		r("POST /tokens/:id/rate-limit", "/tokens/{token}/rate-limit", "rate_limit=1", tokenOfB(access.LimitToken), made),
		r("POST /tokens/:id/approve", "/tokens/{token}/approve", "", tokenOfB(access.ApproveToken), made),
		r("GET /tokens/:id/narrow", "/tokens/{token}/narrow", "", tokenOfB(access.NarrowToken), conflict),
		r("POST /tokens/:id/narrow", "/tokens/{token}/narrow", "scope=fleet%2Ffleet%3Aread", tokenOfB(access.NarrowToken), conflict),

		// Lists that span partners, bounded by the viewer.
		r("GET /alerts", "/alerts?show=all", "", ownPartner(access.ViewAlerts), ok),
		r("POST /alerts/:id/acknowledge", "/alerts/{alert}/acknowledge", "", onB(access.ManageAlerts), made),
		r("POST /alerts/:id/mute", "/alerts/{alert}/mute", "", onB(access.ManageAlerts), made),
		r("GET /audit", "", "", audit, ok),
		r("GET /audit/export", "/audit/export?format=ndjson", "", audit, ok),
		r("GET /usage", "", "", usage, ok),
		r("GET /usage/export", "/usage/export?chart=requests", "", usage, ok),

		// The management API.
		r("GET /api/v1/members", "", "", ownPartner(members), ok),
		r("GET /api/v1/members/:id", "/api/v1/members/{member}", "", ofOwn(members), ok),
		r("PATCH /api/v1/members/:id", "/api/v1/members/{member}", `{"role": "partner_admin"}`, ofOwn(manageMembers), made),
		r("DELETE /api/v1/members/:id", "/api/v1/members/{member2}", "", ofOwn(manageMembers), made),
		r("GET /api/v1/members/:id/access", "/api/v1/members/{member}/access", "", staffElse(onB(access.ViewGrants), ofOwn(access.ViewGrants)), ok),
		r("GET /api/v1/invitations", "", "", ownPartner(manageMembers), ok),
		r("POST /api/v1/invitations", "", `{"email": "someone-else@crane.test", "role": "developer"}`, ownPartner(manageMembers), made),
		r("POST /api/v1/invitations/:id/resend", "/api/v1/invitations/{invitation}/resend", "", ofOwn(manageMembers), made),
		r("DELETE /api/v1/invitations/:id", "/api/v1/invitations/{invitation2}", "", ofOwn(manageMembers), made),
		r("GET /api/v1/teams", "", "", ownPartner(teams), ok),
		r("POST /api/v1/teams", "", `{"name": "Crane Evening Shift"}`, ownPartner(manageTeams), made),
		r("GET /api/v1/teams/:id", "/api/v1/teams/{team}", "", ofOwn(teams), ok),
		r("PATCH /api/v1/teams/:id", "/api/v1/teams/{team}", `{"name": "Renamed"}`, ofOwn(manageTeams), made),
		r("DELETE /api/v1/teams/:id", "/api/v1/teams/{team4}", "", ofOwn(manageTeams), made),
		r("PUT /api/v1/teams/:id/members/:user_id", "/api/v1/teams/{team2}/members/{admin}", "", ofOwn(manageTeams), made),
		r("DELETE /api/v1/teams/:id/members/:user_id", "/api/v1/teams/{team2}/members/{member}", "", ofOwn(manageTeams), made),
		r("GET /api/v1/apis", "", "", catalog, ok),
		r("POST /api/v1/apis", "", `{}`, editCatalog, bad),
		r("GET /api/v1/apis/:slug", "/api/v1/apis/fleet", "", catalog, ok),
		r("GET /api/v1/apis/:slug/openapi", "/api/v1/apis/fleet/openapi", "", catalog, ok),
		r("GET /api/v1/apis/:slug/revisions", "/api/v1/apis/fleet/revisions", "", editCatalog, ok),
		r("POST /api/v1/apis/:slug/revisions", "/api/v1/apis/fleet/revisions", `{}`, editCatalog, bad),
		r("GET /api/v1/access-groups", "", "", groups, ok),
		r("POST /api/v1/access-groups", "", `{}`, groups, bad),
		r("GET /api/v1/access-groups/:id", "/api/v1/access-groups/{group}", "", groups, ok),
		r("PATCH /api/v1/access-groups/:id", "/api/v1/access-groups/{spare}", `{"description": "spare"}`, groups, ok),
		r("DELETE /api/v1/access-groups/:id", "/api/v1/access-groups/{group}", "", groups, conflict),
		r("PUT /api/v1/access-groups/:id/apis/:slug", "/api/v1/access-groups/{spare}/apis/maintenance", `{"scopes": ["maintenance:write"]}`, groups, ok),
		r("DELETE /api/v1/access-groups/:id/apis/:slug", "/api/v1/access-groups/{spare}/apis/telemetry", "", groups, http.StatusNoContent),
		r("GET /api/v1/access-groups/:id/grants", "/api/v1/access-groups/{group}/grants", "", groups, ok),
		r("POST /api/v1/access-groups/:id/grants", "/api/v1/access-groups/{spare}/grants", `{"user_id": {admin}, "partner_id": {partner}}`, grants, made),
		r("DELETE /api/v1/access-groups/:id/grants/:grant_id", "/api/v1/access-groups/{group}/grants/{grant2}", "", grants, made),
		r("GET /api/v1/grants", "/api/v1/grants?partner_id={partner}", "", staffElse(onB(access.ViewGrants), ownPartner(access.ViewGrants)), ok),
		r("GET /api/v1/alerts", "/api/v1/alerts?status=all", "", ownPartner(access.ViewAlerts), ok),
		r("POST /api/v1/alerts/:id/acknowledge", "/api/v1/alerts/{alert}/acknowledge", "", onB(access.ManageAlerts), made),
		r("GET /api/v1/tokens/hygiene", "", "", ownPartner(access.ViewPartnerTokens), ok),
		r("GET /api/v1/audit", "", "", audit, ok),
		r("GET /api/v1/audit/calls", "/api/v1/audit/calls?token_id={token}", "", audit, ok),
		r("GET /api/v1/usage", "", "", usage, ok),
		r("GET /api/v1/tokens", "", "", signedIn, ok),
		r("POST /api/v1/tokens", "", `{"name": "x", "environment": "sandbox", "expires_in_days": 7, "scopes": ["fleet/fleet:read"]}`, createToken, made),
		r("GET /api/v1/tokens/:id", "/api/v1/tokens/{token}", "", tokenOfB(access.ViewToken), ok),
		r("PATCH /api/v1/tokens/:id", "/api/v1/tokens/{token}", `{"name": "renamed"}`, tokenOfB(access.RenameToken), made),
		r("DELETE /api/v1/tokens/:id", "/api/v1/tokens/{token6}", "", tokenOfB(access.RevokeToken), made),
		r("POST /api/v1/tokens/:id/regenerate", "/api/v1/tokens/{token7}/regenerate", `{}`, tokenOfB(access.RegenerateToken), made),
		r("POST /api/v1/tokens/:id/approve", "/api/v1/tokens/{token}/approve", "", tokenOfB(access.ApproveToken), conflict),
		r("GET /api/v1/partner/tokens", "", "", ownPartner(access.ViewPartnerTokens), ok),
		r("POST /api/v1/oauth-clients", "", `{"name": "x", "environment": "sandbox", "expires_in_days": 7, "scopes": ["fleet/fleet:read"]}`, ownClient, made),

		// Single sign-on: B's identity provider (its account manager), the
		// staff's (platform admins; none is configured), and B's group
		// mappings (its partner admins; A's has no provider to map).
		r("GET /partners/:id/sso", "/partners/{partner}/sso", "", onB(access.ConfigurePartnerSSO), ok),
		r("POST /partners/:id/sso", "/partners/{partner}/sso", "display_name=&issuer=https%3A%2F%2Flogin.crane.test", onB(access.ConfigurePartnerSSO), bad),
		r("GET /partners/:id/sso/delete", "/partners/{partner}/sso/delete", "", onB(access.ConfigurePartnerSSO), ok),
		{route: "POST /partners/:id/sso/delete", url: "/partners/{partner}/sso/delete", rule: onB(access.ConfigurePartnerSSO), last: 1, alone: true},
		r("GET /settings/sso", "", "", portalWide(access.ConfigureStaffSSO), ok),
		r("POST /settings/sso", "", "display_name=", portalWide(access.ConfigureStaffSSO), bad),
		r("GET /settings/sso/delete", "", "", portalWide(access.ConfigureStaffSSO), made),
		r("POST /settings/sso/delete", "", "", portalWide(access.ConfigureStaffSSO), made),
		r("GET /sso", "", "", ownPartner(access.ViewPartnerSSO), ok),
		r("POST /sso/mappings", "", "group=crane-day&target=role%3Apartner_admin", ownPartner(access.ManageSSOMappings), made),
		r("GET /sso/mappings/:id/delete", "/sso/mappings/{mapping}/delete", "", ofOwn(access.ManageSSOMappings), ok),
		r("POST /sso/mappings/:id/delete", "/sso/mappings/{mapping1}/delete", "", ofOwn(access.ManageSSOMappings), made),
		r("GET /api/v1/partners/:id/identity-provider", "/api/v1/partners/{partner}/identity-provider", "", onB(access.ConfigurePartnerSSO), ok),
		r("PUT /api/v1/partners/:id/identity-provider", "/api/v1/partners/{partner}/identity-provider", `{"display_name": ""}`, onB(access.ConfigurePartnerSSO), bad),
		{route: "DELETE /api/v1/partners/:id/identity-provider", url: "/api/v1/partners/{partner}/identity-provider", rule: onB(access.ConfigurePartnerSSO), last: 1, alone: true},
		r("GET /api/v1/identity-provider", "", "", ofOwn(access.ViewPartnerSSO), ok),
		r("GET /api/v1/identity-provider/mappings", "", "", ofOwn(access.ViewPartnerSSO), ok),
		r("POST /api/v1/identity-provider/mappings", "", `{"group": "crane-api", "role": "partner_admin"}`, ofOwn(access.ManageSSOMappings), made),
		r("DELETE /api/v1/identity-provider/mappings/:id", "/api/v1/identity-provider/mappings/{mapping2}", "", ofOwn(access.ManageSSOMappings), made),
		// "Sync now" (B's provider has nobody signing in through it, so the
		// sync asks it nothing); at most one a minute per provider, so the
		// API's goes first and the page's is the one refused, with a flash.
		r("POST /api/v1/identity-provider/sync", "", "", ofOwn(access.ManageSSOMappings), ok),
		r("POST /sso/sync", "", "", ownPartner(access.ManageSSOMappings), made),
		// Webhook endpoints: partner admins and staff reach the pages; one
		// endpoint of B is its partner admins' only, staff included.
		r("GET /webhooks", "", "", webhooks, ok),
		r("GET /webhooks/new", "", "", webhooks, ok),
		r("POST /webhooks/new", "", "url=ftp%3A%2F%2Fcrane.test%2F&event_type=token.created", webhooks, bad),
		r("GET /webhooks/:id", "/webhooks/{wh}", "", webhookOfB, ok),
		r("POST /webhooks/:id/test", "/webhooks/{wh}/test", "", webhookOfB, made),
		r("POST /webhooks/:id/deliveries/:delivery/resend", "/webhooks/{wh}/deliveries/{whDelivery}/resend", "", webhookOfB, made),
		r("GET /webhooks/:id/edit", "/webhooks/{wh}/edit", "", webhookOfB, ok),
		r("POST /webhooks/:id/edit", "/webhooks/{wh}/edit", "url=ftp%3A%2F%2Ftaken.test%2F&event_type=token.revoked", webhookOfB, bad),
		r("GET /webhooks/:id/rotate", "/webhooks/{wh}/rotate", "", webhookOfB, ok),
		r("POST /webhooks/:id/rotate", "/webhooks/{wh}/rotate", "grace=0", webhookOfB, ok),
		r("GET /webhooks/:id/disable", "/webhooks/{wh}/disable", "", webhookOfB, ok),
		r("POST /webhooks/:id/disable", "/webhooks/{wh2}/disable", "", webhookOfB, made),
		r("POST /webhooks/:id/enable", "/webhooks/{wh2}/enable", "", webhookOfB, made),
		r("GET /webhooks/:id/delete", "/webhooks/{wh}/delete", "", webhookOfB, ok),
		r("POST /webhooks/:id/delete", "/webhooks/{wh1}/delete", "", webhookOfB, made),

		// Webhook endpoints through the API: the caller's own (B's are its
		// partner admins', never staff's). Registering at an http:// URL
		// is refused by whoever may register; test and resend go to B's
		// disabled endpoint, refused without sending.
		r("GET /api/v1/webhook-endpoints", "", "", webhooks, ok),
		r("POST /api/v1/webhook-endpoints", "", `{"url": "http://hooks.example.test/x", "event_types": ["team.changed"]}`, webhooks, bad),
		r("GET /api/v1/webhook-endpoints/:id", "/api/v1/webhook-endpoints/{webhook}", "", webhookOfB, ok),
		r("PATCH /api/v1/webhook-endpoints/:id", "/api/v1/webhook-endpoints/{webhook}", `{"enabled": false}`, webhookOfB, ok),
		r("DELETE /api/v1/webhook-endpoints/:id", "/api/v1/webhook-endpoints/{webhook1}", "", webhookOfB, http.StatusNoContent),
		r("POST /api/v1/webhook-endpoints/:id/rotate-secret", "/api/v1/webhook-endpoints/{webhook}/rotate-secret", `{"grace_seconds": 0}`, webhookOfB, ok),
		r("POST /api/v1/webhook-endpoints/:id/test", "/api/v1/webhook-endpoints/{webhook_off}/test", "", webhookOfB, conflict),
		r("GET /api/v1/webhook-endpoints/:id/deliveries", "/api/v1/webhook-endpoints/{webhook_off}/deliveries", "", webhookOfB, ok),
		r("POST /api/v1/webhook-endpoints/:id/deliveries/:delivery/resend", "/api/v1/webhook-endpoints/{webhook_off}/deliveries/{delivery}/resend", "", webhookOfB, conflict),
	}
}
