package audit

import (
	"encoding/json"
	"fmt"
	"github.com/portico/portico/internal/access"
	"strconv"
	"strings"
)

// phrases says each action in words: the verb and object after the
// actor's name. t is the event's target (its name when it was recorded),
// d a string from its details ("" when absent).
var phrases = map[string]func(t string, d func(string) string) string{
	"token.create": func(t string, d func(string) string) string { return "created " + d("environment") + " token " + q(t) },
	"client.create": func(t string, d func(string) string) string {
		return "registered " + d("environment") + " OAuth client " + q(t)
	},
	"token.access_token_revoke": func(t string, d func(string) string) string {
		return "revoked an access token of OAuth client " + q(t) + of(d("owner")) + " at the request of resource server " + q(d("resource_server"))
	},
	"token.console": func(t string, d func(string) string) string {
		return "got a sandbox token for the docs console of " + d("api")
	},
	"token.revoke":     func(t string, d func(string) string) string { return "revoked token " + q(t) + of(d("owner")) },
	"token.regenerate": func(t string, d func(string) string) string { return "regenerated token " + q(t) },
	"token.rename": func(t string, d func(string) string) string {
		return "renamed token " + q(d("from")) + " to " + q(d("to"))
	},
	"token.rate_limit":   func(t string, d func(string) string) string { return "changed the rate limit of token " + q(t) },
	"token.approve":      func(t string, d func(string) string) string { return "approved live token " + q(t) + of(d("owner")) },
	"grant.create":       func(t string, d func(string) string) string { return "granted " + q(t) + " to " + d("grantee") },
	"grant.revoke":       func(t string, d func(string) string) string { return "revoked " + q(t) + " from " + d("grantee") },
	"invitation.create":  func(t string, d func(string) string) string { return "invited " + t },
	"invitation.resend":  func(t string, d func(string) string) string { return "sent the invitation of " + t + " again" },
	"invitation.cancel":  func(t string, d func(string) string) string { return "cancelled the invitation of " + t },
	"invitation.accept":  func(t string, d func(string) string) string { return "accepted their invitation" },
	"member.role_change": func(t string, d func(string) string) string { return "made " + t + " " + role(d("to")) },
	"member.remove":      func(t string, d func(string) string) string { return "removed " + t },
	"team.create":        func(t string, d func(string) string) string { return "created team " + q(t) },
	"team.rename": func(t string, d func(string) string) string {
		return "renamed team " + q(d("from")) + " to " + q(d("to"))
	},
	"team.delete":        func(t string, d func(string) string) string { return "deleted team " + q(t) },
	"team.member_add":    func(t string, d func(string) string) string { return "added " + d("member") + " to team " + q(t) },
	"team.member_remove": func(t string, d func(string) string) string { return "removed " + d("member") + " from team " + q(t) },
	"partner.create":     func(t string, d func(string) string) string { return "added partner " + t },
	"partner.suspend":    func(t string, d func(string) string) string { return "suspended partner " + t },
	"partner.reactivate": func(t string, d func(string) string) string { return "reactivated partner " + t },
	"partner.end": func(t string, d func(string) string) string {
		s := "ended the partnership of " + t + ": revoked " + count(d("credentials_revoked"), "credential", "credentials") +
			", closed " + count(d("people_closed"), "account", "accounts") + ", cancelled " + count(d("invitations_cancelled"), "invitation", "invitations") +
			" and ended " + count(d("grants_ended"), "grant", "grants")
		if on := d("scheduled_for"); on != "" {
			s += " (scheduled for " + on + ")"
		}
		return s
	},
	"partner.end_schedule": func(t string, d func(string) string) string {
		if from := d("from"); from != "" {
			return "moved the end of the partnership of " + t + " from " + from + " to " + d("to")
		}
		return "scheduled the end of the partnership of " + t + " on " + d("to")
	},
	"partner.end_unschedule": func(t string, d func(string) string) string {
		return "cancelled the end of the partnership of " + t + " scheduled on " + d("was")
	},
	"partner.manager_assign": func(t string, d func(string) string) string {
		return "made " + d("manager") + " an account manager of " + t
	},
	"partner.manager_unassign": func(t string, d func(string) string) string {
		return "removed " + d("manager") + " from the account managers of " + t
	},
	"partner.live_approval": func(t string, d func(string) string) string {
		if d("to") == "true" {
			return "required approval of live tokens at " + t
		}
		return "stopped requiring approval of live tokens at " + t
	},
	"partner.developer_clients": func(t string, d func(string) string) string {
		if d("to") == "true" {
			return "let developers register OAuth clients at " + t
		}
		return "stopped developers registering OAuth clients at " + t
	},
	"partner.rate_limit": func(t string, d func(string) string) string {
		if d("to") == "" {
			return "removed the ceiling on requests per minute of " + t
		}
		return "set the ceiling of " + t + " to " + count(d("to"), "request per minute", "requests per minute")
	},
	"partner.token_max_days": func(t string, d func(string) string) string {
		if d("to") == "" {
			return "let the tokens of " + t + " live as long as the portal allows"
		}
		return "set the longest token lifetime of " + t + " to " + count(d("to"), "day", "days")
	},
	"settings.access_token_minutes": func(t string, d func(string) string) string {
		return "set the OAuth access token lifetime to " + d("to") + " minutes"
	},
	"resource_server.create": func(t string, d func(string) string) string {
		return "issued resource server credential " + q(t) + " (" + d("client_id") + ")"
	},
	"resource_server.revoke": func(t string, d func(string) string) string {
		return "revoked resource server credential " + q(t) + " (" + d("client_id") + ")"
	},
	"sandbox.reset":       func(t string, d func(string) string) string { return "reset the sandbox data of " + t },
	"access_group.create": func(t string, d func(string) string) string { return "created access group " + q(t) },
	"access_group.update": func(t string, d func(string) string) string { return "changed access group " + q(t) },
	"access_group.delete": func(t string, d func(string) string) string { return "deleted access group " + q(t) },
	"access_group.api_include": func(t string, d func(string) string) string {
		return "included " + d("api") + " in access group " + q(t)
	},
	"access_group.api_remove": func(t string, d func(string) string) string {
		return "took " + d("api") + " out of access group " + q(t)
	},
	"api.import": func(t string, d func(string) string) string { return "imported API " + t },
	"api.revision": func(t string, d func(string) string) string {
		return "added revision " + d("revision") + " of API " + t
	},
	"api.status":     func(t string, d func(string) string) string { return "made API " + t + " " + d("to") },
	"api.upstream":   func(t string, d func(string) string) string { return "changed the live upstream of API " + t },
	"api.body_limit": func(t string, d func(string) string) string { return "changed the request body limit of API " + t },
	"api.delete":     func(t string, d func(string) string) string { return "deleted API " + t },
	"staff.create": func(t string, d func(string) string) string {
		return "added " + t + " to the provider's staff as " + role(d("role"))
	},
	"settings.token_max_days": func(t string, d func(string) string) string {
		return "set the longest token lifetime to " + d("to") + " days"
	},
	"settings.retention": func(t string, d func(string) string) string {
		return "set call retention to " + d("calls_to") + " days and usage retention to " + d("rollups_to") + " days"
	},
	"retention.run": func(t string, d func(string) string) string {
		s := "ran retention: dropped " + count(d("partitions"), "day partition", "day partitions") + " of calls older than " + d("calls_before") +
			", deleted " + count(d("default_rows_deleted"), "stray call", "stray calls") +
			" and " + count(d("rollup_rows_deleted"), "usage minute", "usage minutes") + " older than " + d("rollups_before")
		if n := d("oauth_tokens_deleted"); n != "" && n != "0" {
			s += ", and " + count(n, "expired OAuth access token", "expired OAuth access tokens")
		}
		if d("complete") == "false" {
			s += " (cut short: " + d("error") + ")"
		}
		return s
	},
	"user.sign_in": func(t string, d func(string) string) string {
		if d("break_glass") == "true" {
			return "signed in with their password past the staff's enforced single sign-on (break-glass)"
		}
		if d("method") != "sso" {
			return "signed in"
		}
		switch {
		case d("joined") == "true":
			return "joined and signed in through " + d("provider")
		case d("reauthenticated") == "true":
			return "confirmed who they are through " + d("provider")
		}
		return "signed in through " + d("provider")
	},
	"user.sso_refused": func(t string, d func(string) string) string {
		return "was refused signing in as " + t + " through " + d("provider") + " (" + strings.ReplaceAll(d("reason"), "_", " ") + ")"
	},
	"member.joined": func(t string, d func(string) string) string {
		return "joined as " + role(d("role")) + " through " + d("provider")
	},
	"member.deprovisioned": func(t string, d func(string) string) string {
		why := "the identity provider no longer vouches for them"
		if d("reason") == "left_groups" {
			why = "they left every group mapped to the portal"
		}
		return "ended the access of " + t + " because " + why + ": revoked " + count(d("tokens_revoked"), "token", "tokens") +
			" and " + count(d("clients_revoked"), "OAuth client", "OAuth clients")
	},
	"member.sso_groups_applied": func(t string, d func(string) string) string {
		s := "applied the groups " + d("provider") + " gives " + t
		if to := d("role_to"); to != "" {
			s += ": made them " + role(to)
		}
		return s
	},
	"sso.role_kept": func(t string, d func(string) string) string {
		return "kept " + t + " " + role(d("role")) + ", the partner's last, although " + d("provider") + " no longer maps them to the role"
	},
	"sso.synced": func(t string, d func(string) string) string {
		if d("unreachable") == "true" {
			return "could not sync with " + q(t) + ": it could not be reached, and nobody's access changed"
		}
		return "synced with " + q(t) + ": checked " + count(d("checked"), "person", "people") + ", kept " + d("kept") +
			", ended the access of " + count(d("deprovisioned"), "person", "people")
	},
	"sso.provider_saved":   func(t string, d func(string) string) string { return "set up single sign-on through " + q(t) },
	"sso.provider_removed": func(t string, d func(string) string) string { return "removed single sign-on through " + q(t) },
	"sso.mapping_added": func(t string, d func(string) string) string {
		if d("role") != "" {
			return "mapped group " + q(t) + " to the " + role(d("role")) + " role"
		}
		return "mapped group " + q(t) + " to team " + q(d("team"))
	},
	"sso.mapping_removed": func(t string, d func(string) string) string {
		if d("role") != "" {
			return "stopped mapping group " + q(t) + " to the " + role(d("role")) + " role"
		}
		return "stopped mapping group " + q(t) + " to team " + q(d("team"))
	},
	"user.sign_in_failed": func(t string, d func(string) string) string {
		if d("reason") == "sso_required" {
			return "was refused a password sign-in: their organisation signs in through its identity provider"
		}
		return "failed to sign in"
	},
	"webhook.endpoint_created": func(t string, d func(string) string) string {
		return "registered webhook endpoint " + t
	},
	"webhook.endpoint_updated": func(t string, d func(string) string) string {
		if from := d("from"); from != "" {
			return "moved webhook endpoint " + from + " to " + t
		}
		return "changed the event types of webhook endpoint " + t
	},
	"webhook.secret_rotated": func(t string, d func(string) string) string {
		return "rotated the signing secret of webhook endpoint " + t
	},
	"webhook.endpoint_enabled": func(t string, d func(string) string) string { return "enabled webhook endpoint " + t },
	"webhook.endpoint_disabled": func(t string, d func(string) string) string {
		return "disabled webhook endpoint " + t
	},
	"webhook.endpoint_deleted":    func(t string, d func(string) string) string { return "deleted webhook endpoint " + t },
	"user.name_change":            func(t string, d func(string) string) string { return "changed their name to " + q(d("to")) },
	"user.password_change":        func(t string, d func(string) string) string { return "changed their password" },
	"user.password_reset_request": func(t string, d func(string) string) string { return "asked for a password reset link" },
	"user.password_reset":         func(t string, d func(string) string) string { return "reset their password" },
	"user.email_change_request":   func(t string, d func(string) string) string { return "asked to change their email to " + d("to") },
	"user.email_change_cancel":    func(t string, d func(string) string) string { return "cancelled the change of their email" },
	"user.email_change": func(t string, d func(string) string) string {
		return "changed their email from " + d("from") + " to " + d("to")
	},
}

// Sentence says an event in words, as the audit trail shows it: "Ada
// Harbor revoked token “ci-deploy” of dev@harbor.test". actor is the
// actor's name (or email); an event without actor is the portal's own.
func Sentence(actor, action, target string, details json.RawMessage) string {
	if actor == "" {
		actor = "The portal"
	}
	var m map[string]any
	_ = json.Unmarshal(details, &m)
	d := func(k string) string {
		v, ok := m[k]
		if !ok || v == nil {
			return ""
		}
		if s, ok := v.(string); ok {
			return s
		}
		return strings.TrimSpace(fmt.Sprint(v))
	}
	if p := phrases[action]; p != nil {
		return actor + " " + strings.TrimSpace(strings.ReplaceAll(p(target, d), "  ", " "))
	}
	if target != "" {
		return actor + ": " + action + " " + q(target)
	}
	return actor + ": " + action
}

// count says n things, n a JSON number (which decodes as a float: 1e+06).
func count(n, one, many string) string {
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return n + " " + many
	}
	if f == 1 {
		return "1 " + one
	}
	return strconv.FormatFloat(f, 'f', 0, 64) + " " + many
}

func q(s string) string { return "“" + s + "”" }

func of(owner string) string {
	if owner == "" {
		return ""
	}
	return " of " + owner
}

func role(r string) string { return strings.ReplaceAll(r, "_", " ") }

// ShowsActor reports whether viewer may see who exactly acted in an event
// (the actor's address and, in exports, their email): staff see everyone's,
// a user their own, a partner admin their own partner's people's. A
// developer's trail holds what their admin or account manager did to their
// tokens; it says who, by name, but not from where.
func ShowsActor(viewer access.Actor, actorID, actorPartnerID *int64) bool {
	switch {
	case viewer.Staff():
		return true
	case actorID != nil && *actorID == viewer.UserID:
		return true
	case viewer.Role == access.RolePartnerAdmin && actorPartnerID != nil && *actorPartnerID == viewer.PartnerID:
		return true
	}
	return false
}
