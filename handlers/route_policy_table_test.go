package handlers_test

import "net/http"

// The entries' shorthands: hide (404), forbid (403), scope (200, B's rows
// left out), and for routes that are not partner-scoped, sharedRoute,
// ownRoute and publicRoute with the status the harmless request gets and
// why the route is not B's.
func hide(route, url, body string) routePolicy {
	return routePolicy{route: route, url: url, body: body, want: http.StatusNotFound, decision: decHidden}
}

func forbid(route, url, body string) routePolicy {
	return routePolicy{route: route, url: url, body: body, want: http.StatusForbidden, decision: decRole}
}

func scope(route, url string) routePolicy {
	return routePolicy{route: route, url: url, want: http.StatusOK, decision: decScoped}
}

func sharedRoute(route, url, body string, want int, why string) routePolicy {
	return routePolicy{route: route, url: url, body: body, want: want, decision: decUnscoped, why: why}
}

func ownRoute(route, url, body string, want int, why string) routePolicy {
	return routePolicy{route: route, url: url, body: body, want: want, decision: decUnscoped, why: why}
}

func publicRoute(route, url, body string, want int, why string) routePolicy {
	return routePolicy{route: route, url: url, body: body, want: want, decision: decUnscoped, why: why}
}

// routePolicies is the decision of every route of the router for an
// account manager who is not assigned to partner B, requesting B's
// resources. A new route needs an entry here: TestEveryRouteFollowsTheAssignment
// fails until it has one.
func routePolicies() []routePolicy {
	const (
		catalog  = "the provider's catalog of APIs, the same for every partner"
		groups   = "access groups are shared catalog objects; this request names no partner"
		account  = "the account manager's own account"
		anyone   = "answered alike to everyone, signed in or not"
		noSecret = "a bad or unknown secret link, refused alike for everyone"
	)
	return []routePolicy{
		// Operations and public pages.
		publicRoute("GET /healthz", "", "", 200, anyone),
		publicRoute("GET /readyz", "", "", 200, anyone),
		publicRoute("GET /openapi/portal.yaml", "", "", 200, "the management API's public description"),
		publicRoute("GET /static/*", "/static/no-such-asset.css", "", 404, "the portal's own assets"),
		publicRoute("POST /security/leaked-tokens", "", `[]`, 404, "secret scanners' signed reports (not enabled on this portal: 404)"),
		scope("GET /", ""),
		publicRoute("GET /sign-in", "", "", 303, "sends the signed-in to the home page"),
		{route: "POST /sign-in", body: "email=am%40portico.test&password=wrong-password", want: 422, decision: decUnscoped, why: account, fresh: true},
		{route: "POST /sign-out", want: 303, decision: decUnscoped, why: account, fresh: true},
		publicRoute("GET /invitations/:token", "/invitations/ptc_inv_unknown", "", 404, noSecret),
		publicRoute("POST /invitations/:token", "/invitations/ptc_inv_unknown", "name=X&password=whatever-long", 404, noSecret),
		publicRoute("GET /forgot-password", "", "", 200, anyone),
		publicRoute("POST /forgot-password", "", "email=nobody%40nowhere.test", 200, "answers the same whoever the email is"),
		publicRoute("GET /reset-password/:token", "/reset-password/unknown", "", 410, noSecret),
		publicRoute("POST /reset-password/:token", "/reset-password/unknown", "password=Another-pass-123", 410, noSecret),
		publicRoute("GET /security/report-token", "", "", 200, anyone),
		publicRoute("POST /security/report-token", "", "token=", 422, anyone),

		// The account manager's own account.
		ownRoute("GET /confirm-password", "", "", 200, account),
		ownRoute("POST /confirm-password", "", "password=wrong-password", 422, account),
		ownRoute("GET /account", "", "", 200, account),
		ownRoute("POST /account/name", "", "name=", 422, account),
		ownRoute("POST /account/email", "", "email=not-an-email", 422, account),
		ownRoute("POST /account/email/cancel", "", "", 303, account),
		ownRoute("GET /account/email/confirm/:token", "/account/email/confirm/unknown", "", 410, account),
		ownRoute("POST /account/email/confirm/:token", "/account/email/confirm/unknown", "", 410, account),
		ownRoute("POST /account/password", "", "current_password=wrong-password&new_password=Another-pass-123", 422, account),

		// Partner admins' pages: the partner is always the signed-in user's.
		forbid("GET /members", "", ""),
		forbid("POST /members/invitations", "", "email=someone%40crane.test&role=developer"),
		forbid("POST /members/invitations/:id/resend", "/members/invitations/{invitation}/resend", ""),
		forbid("POST /members/invitations/:id/cancel", "/members/invitations/{invitation}/cancel", ""),
		forbid("POST /members/:id/role", "/members/{member}/role", "role=partner_admin"),
		forbid("GET /members/:id/remove", "/members/{member}/remove", ""),
		forbid("POST /members/:id/remove", "/members/{member}/remove", ""),
		forbid("GET /members/invitations", "", ""),
		forbid("GET /members/invitations/:id/cancel", "/members/invitations/{invitation}/cancel", ""),
		forbid("GET /teams", "", ""),
		forbid("POST /teams", "", "name=Crane+Day+Shift"),
		forbid("GET /teams/:id", "/teams/{team}", ""),
		forbid("POST /teams/:id/rename", "/teams/{team}/rename", "name=Renamed"),
		forbid("GET /teams/:id/delete", "/teams/{team}/delete", ""),
		forbid("POST /teams/:id/delete", "/teams/{team}/delete", ""),
		forbid("POST /teams/:id/members", "/teams/{team}/members", "user_id={member}"),
		forbid("POST /teams/:id/members/:user/remove", "/teams/{team}/members/{member}/remove", ""),
		forbid("GET /teams/:id/candidates", "/teams/{team}/candidates?q=crane", ""),
		forbid("GET /teams/:id/members/:user/remove", "/teams/{team}/members/{member}/remove", ""),
		forbid("GET /access", "", ""),
		forbid("GET /access/sandbox-reset", "", ""),
		forbid("POST /access/sandbox-reset", "", ""),

		// The partner directory and B's staff pages.
		scope("GET /partners", "/partners?q=crane"),
		sharedRoute("POST /partners", "", "name=&admin_email=", 422, "creates a partner of the account manager's own book"),
		hide("GET /partners/:id", "/partners/{partner}", ""),
		hide("POST /partners/:id/status", "/partners/{partner}/status", "status=suspended"),
		hide("GET /partners/:id/suspend", "/partners/{partner}/suspend", ""),
		hide("POST /partners/:id/settings", "/partners/{partner}/settings", "token_max_days=1&rate_limit_per_minute=1&require_live_approval=on&developer_clients=on"),
		hide("GET /partners/:id/tokens", "/partners/{partner}/tokens", ""),
		hide("GET /partners/:id/tokens/:token/revoke", "/partners/{partner}/tokens/{token}/revoke", ""),
		hide("POST /partners/:id/tokens/:token/revoke", "/partners/{partner}/tokens/{token}/revoke", ""),
		hide("GET /partners/:id/tokens/hygiene", "/partners/{partner}/tokens/hygiene", ""),
		hide("GET /partners/:id/tokens/hygiene/revoke-unused", "/partners/{partner}/tokens/hygiene/revoke-unused", ""),
		hide("POST /partners/:id/tokens/hygiene/revoke-unused", "/partners/{partner}/tokens/hygiene/revoke-unused", "days=1"),
		hide("GET /partners/:id/usage", "/partners/{partner}/usage", ""),
		hide("GET /partners/:id/usage/export", "/partners/{partner}/usage/export?chart=requests", ""),
		hide("GET /partners/:id/end", "/partners/{partner}/end", ""),
		hide("POST /partners/:id/end", "/partners/{partner}/end", ""),
		hide("POST /partners/:id/end-date", "/partners/{partner}/end-date", "end_on=2099-01-01"),
		hide("POST /partners/:id/managers", "/partners/{partner}/managers", "user_id={am}"),
		hide("GET /partners/:id/managers/:user/remove", "/partners/{partner}/managers/{manager}/remove", ""),
		hide("POST /partners/:id/managers/:user/remove", "/partners/{partner}/managers/{manager}/remove", ""),
		forbid("GET /outbox", "", ""),
		forbid("GET /staff", "", ""),
		forbid("POST /staff", "", "name=X&email=x%40portico.test"),

		// The catalog.
		sharedRoute("GET /apis", "", "", 200, catalog),
		sharedRoute("GET /apis/:slug", "/apis/fleet", "", 200, catalog),
		sharedRoute("GET /apis/:slug/openapi.json", "/apis/fleet/openapi.json", "", 200, catalog),
		forbid("POST /apis/:slug/console-token", "/apis/fleet/console-token", ""),
		sharedRoute("GET /catalog/import", "", "", 200, catalog),
		sharedRoute("POST /catalog/import", "", "slug=", 422, catalog),
		sharedRoute("GET /catalog/:slug/revisions", "/catalog/fleet/revisions", "", 200, catalog),
		sharedRoute("POST /catalog/:slug/revisions", "/catalog/fleet/revisions", "", 422, catalog),
		sharedRoute("POST /catalog/:slug/status", "/catalog/fleet/status", "status=bogus", 422, catalog),
		sharedRoute("POST /catalog/:slug/upstream", "/catalog/fleet/upstream", "upstream=not-a-url", 422, catalog),
		sharedRoute("POST /catalog/:slug/body-limit", "/catalog/fleet/body-limit", "body_limit=bogus", 422, catalog),
		sharedRoute("GET /catalog/:slug/delete", "/catalog/fleet/delete", "", 200, catalog),
		sharedRoute("POST /catalog/:slug/delete", "/catalog/fleet/delete", "", 409, catalog),

		// Access groups: shared, but their grants are the partners'.
		sharedRoute("GET /access-groups", "", "", 200, groups),
		sharedRoute("POST /access-groups", "", "name=", 422, groups),
		scope("GET /access-groups/:id", "/access-groups/{group}?partner=crane"),
		sharedRoute("POST /access-groups/:id", "/access-groups/{spare}", "name=Route+spare&description=x&rate_limit_per_minute=61", 303, groups),
		sharedRoute("POST /access-groups/:id/apis", "/access-groups/{spare}/apis", "api=maintenance&scope=maintenance%3Aread", 303, groups),
		sharedRoute("GET /access-groups/:id/apis/:api/remove", "/access-groups/{group}/apis/fleet/remove", "", 200, groups),
		sharedRoute("POST /access-groups/:id/apis/:api/remove", "/access-groups/{spare}/apis/fleet/remove", "", 303, groups),
		hide("POST /access-groups/:id/grants", "/access-groups/{spare}/grants", "grantee=user%3A{member}"),
		hide("GET /access-groups/:id/grants/:grant/revoke", "/access-groups/{group}/grants/{grant}/revoke", ""),
		hide("POST /access-groups/:id/grants/:grant/revoke", "/access-groups/{group}/grants/{grant}/revoke", ""),
		// B holds the group: deleting it is refused, B counted, not named.
		sharedRoute("GET /access-groups/:id/delete", "/access-groups/{group}/delete", "", 200, groups),
		sharedRoute("POST /access-groups/:id/delete", "/access-groups/{group}/delete", "", 409, groups),
		{route: "GET /access-groups/:id/grantees", url: "/access-groups/{spare}/grantees?partner=crane", want: 200, decision: decScoped, htmx: true},

		// Settings and resource servers: platform admins.
		forbid("GET /settings", "", ""),
		forbid("POST /settings", "", "token_max_days=1"),
		forbid("POST /settings/retention", "", "audit_days=1"),
		forbid("POST /settings/access-tokens", "", "minutes=1"),
		forbid("POST /settings/alerts", "", ""),
		forbid("GET /resource-servers", "", ""),
		forbid("POST /resource-servers", "", "name=x"),
		forbid("GET /resource-servers/:id/revoke", "/resource-servers/1/revoke", ""),
		forbid("POST /resource-servers/:id/revoke", "/resource-servers/1/revoke", ""),

		// Tokens: partner users' own pages; B's token by its id is hidden.
		ownRoute("GET /tokens", "", "", 200, "staff have no tokens of their own: a page pointing to their partners' token pages"),
		ownRoute("GET /tokens/new", "", "", 200, "staff have no tokens of their own: a page pointing to their partners' token pages"),
		forbid("POST /tokens", "", "name=x&environment=sandbox&days=7&scope=fleet%2Ffleet%3Aread"),
		forbid("GET /tokens/partner", "", ""),
		forbid("GET /tokens/new-client", "", ""),
		forbid("POST /tokens/new-client", "", "name=x"),
		scope("GET /tokens/hygiene", "/tokens/hygiene?q=crane"),
		forbid("GET /tokens/hygiene/revoke-unused", "", ""),
		forbid("POST /tokens/hygiene/revoke-unused", "", "id={token}"),
		hide("GET /tokens/:id/revoke", "/tokens/{token}/revoke", ""),
		hide("POST /tokens/:id/revoke", "/tokens/{token}/revoke", ""),
		hide("GET /tokens/:id/regenerate", "/tokens/{token}/regenerate", ""),
		hide("POST /tokens/:id/regenerate", "/tokens/{token}/regenerate", "grace=0"),
		hide("POST /tokens/:id/rename", "/tokens/{token}/rename", "name=renamed"),
		hide("POST /tokens/:id/rate-limit", "/tokens/{token}/rate-limit", "rate_limit=1"),
		hide("POST /tokens/:id/approve", "/tokens/{token}/approve", ""),
		hide("GET /tokens/:id/narrow", "/tokens/{token}/narrow", ""),
		hide("POST /tokens/:id/narrow", "/tokens/{token}/narrow", "scope=fleet%2Ffleet%3Aread"),

		// Staff-wide lists: alerts, audit, usage.
		scope("GET /alerts", "/alerts?show=all"),
		hide("POST /alerts/:id/acknowledge", "/alerts/{alert}/acknowledge", ""),
		hide("POST /alerts/:id/mute", "/alerts/{alert}/mute", ""),
		scope("GET /audit", ""),
		scope("GET /audit/export", "/audit/export?format=ndjson"),
		scope("GET /usage", ""),
		scope("GET /usage/export", "/usage/export?chart=partners"),

		// The management API.
		forbid("GET /api/v1/members", "", ""),
		forbid("GET /api/v1/members/:id", "/api/v1/members/{member}", ""),
		forbid("PATCH /api/v1/members/:id", "/api/v1/members/{member}", `{"role": "partner_admin"}`),
		forbid("DELETE /api/v1/members/:id", "/api/v1/members/{member}", ""),
		hide("GET /api/v1/members/:id/access", "/api/v1/members/{member}/access", ""),
		forbid("GET /api/v1/invitations", "", ""),
		forbid("POST /api/v1/invitations", "", `{"email": "someone@crane.test", "role": "developer"}`),
		forbid("POST /api/v1/invitations/:id/resend", "/api/v1/invitations/{invitation}/resend", ""),
		forbid("DELETE /api/v1/invitations/:id", "/api/v1/invitations/{invitation}", ""),
		forbid("GET /api/v1/teams", "", ""),
		forbid("POST /api/v1/teams", "", `{"name": "Crane Day Shift"}`),
		forbid("GET /api/v1/teams/:id", "/api/v1/teams/{team}", ""),
		forbid("PATCH /api/v1/teams/:id", "/api/v1/teams/{team}", `{"name": "Renamed"}`),
		forbid("DELETE /api/v1/teams/:id", "/api/v1/teams/{team}", ""),
		forbid("PUT /api/v1/teams/:id/members/:user_id", "/api/v1/teams/{team}/members/{member}", ""),
		forbid("DELETE /api/v1/teams/:id/members/:user_id", "/api/v1/teams/{team}/members/{member}", ""),
		sharedRoute("GET /api/v1/apis", "", "", 200, catalog),
		sharedRoute("POST /api/v1/apis", "", `{}`, 422, catalog),
		sharedRoute("GET /api/v1/apis/:slug", "/api/v1/apis/fleet", "", 200, catalog),
		sharedRoute("GET /api/v1/apis/:slug/openapi", "/api/v1/apis/fleet/openapi", "", 200, catalog),
		sharedRoute("GET /api/v1/apis/:slug/revisions", "/api/v1/apis/fleet/revisions", "", 200, catalog),
		sharedRoute("POST /api/v1/apis/:slug/revisions", "/api/v1/apis/fleet/revisions", `{}`, 422, catalog),
		sharedRoute("GET /api/v1/access-groups", "", "", 200, groups),
		sharedRoute("POST /api/v1/access-groups", "", `{}`, 422, groups),
		sharedRoute("GET /api/v1/access-groups/:id", "/api/v1/access-groups/{group}", "", 200, groups),
		sharedRoute("PATCH /api/v1/access-groups/:id", "/api/v1/access-groups/{spare}", `{"description": "spare"}`, 200, groups),
		sharedRoute("DELETE /api/v1/access-groups/:id", "/api/v1/access-groups/{group}", "", 409, groups),
		sharedRoute("PUT /api/v1/access-groups/:id/apis/:slug", "/api/v1/access-groups/{spare}/apis/maintenance", `{"scopes": ["maintenance:write"]}`, 200, groups),
		sharedRoute("DELETE /api/v1/access-groups/:id/apis/:slug", "/api/v1/access-groups/{spare}/apis/telemetry", "", 204, groups),
		scope("GET /api/v1/access-groups/:id/grants", "/api/v1/access-groups/{group}/grants"),
		hide("POST /api/v1/access-groups/:id/grants", "/api/v1/access-groups/{spare}/grants", `{"user_id": {member}, "partner_id": {partner}}`),
		hide("DELETE /api/v1/access-groups/:id/grants/:grant_id", "/api/v1/access-groups/{group}/grants/{grant}", ""),
		hide("GET /api/v1/grants", "/api/v1/grants?partner_id={partner}", ""),
		scope("GET /api/v1/alerts", "/api/v1/alerts?status=all"),
		hide("POST /api/v1/alerts/:id/acknowledge", "/api/v1/alerts/{alert}/acknowledge", ""),
		forbid("GET /api/v1/tokens/hygiene", "", ""),
		scope("GET /api/v1/audit", ""),
		scope("GET /api/v1/audit/calls", "/api/v1/audit/calls?token_id={token}"),
		scope("GET /api/v1/usage", ""),
		ownRoute("GET /api/v1/tokens", "", "", 200, "the caller's own tokens: staff have none"),
		forbid("POST /api/v1/tokens", "", `{"name": "x", "environment": "sandbox", "expires_in_days": 7, "scopes": ["fleet/fleet:read"]}`),
		hide("GET /api/v1/tokens/:id", "/api/v1/tokens/{token}", ""),
		hide("PATCH /api/v1/tokens/:id", "/api/v1/tokens/{token}", `{"name": "renamed"}`),
		hide("DELETE /api/v1/tokens/:id", "/api/v1/tokens/{token}", ""),
		hide("POST /api/v1/tokens/:id/regenerate", "/api/v1/tokens/{token}/regenerate", `{}`),
		hide("POST /api/v1/tokens/:id/approve", "/api/v1/tokens/{token}/approve", ""),
		forbid("GET /api/v1/partner/tokens", "", ""),
		forbid("POST /api/v1/oauth-clients", "", `{"name": "x"}`),
	}
}
