package audit

import (
	"encoding/json"
	"testing"
)

func TestSentence(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		actor, action, target, details, want string
	}{
		{"Ada Harbor", "token.revoke", "ci-deploy", `{"owner":"dev@harbor.test","hint":"ptk_s…x"}`, "Ada Harbor revoked token “ci-deploy” of dev@harbor.test"},
		{"Ada Harbor", "member.role_change", "dev@harbor.test", `{"from":"developer","to":"partner_admin"}`, "Ada Harbor made dev@harbor.test partner admin"},
		{"Morgan Account", "grant.create", "Fleet basics", `{"grantee":"team Integrations"}`, "Morgan Account granted “Fleet basics” to team Integrations"},
		{"Pat Admin", "settings.token_max_days", "Longest token lifetime", `{"from":90,"to":30}`, "Pat Admin set the longest token lifetime to 30 days"},
		{"", "token.revoke", "old", `{}`, "The portal revoked token “old”"},
		{"Pat Admin", "settings.retention", "Retention", `{"calls_from":400,"calls_to":90,"rollups_from":800,"rollups_to":365}`, "Pat Admin set call retention to 90 days and usage retention to 365 days"},
		{"", "retention.run", "Retention", `{"partitions":3,"default_rows_deleted":1,"rollup_rows_deleted":1250000,"calls_before":"2025-10-30","rollups_before":"2024-09-25","complete":true,"error":""}`,
			"The portal ran retention: dropped 3 day partitions of calls older than 2025-10-30, deleted 1 stray call and 1250000 usage minutes older than 2024-09-25"},
		{"", "retention.run", "Retention", `{"partitions":1,"default_rows_deleted":0,"rollup_rows_deleted":0,"calls_before":"2025-10-30","rollups_before":"2024-09-25","complete":false,"error":"lock timeout"}`,
			"The portal ran retention: dropped 1 day partition of calls older than 2025-10-30, deleted 0 stray calls and 0 usage minutes older than 2024-09-25 (cut short: lock timeout)"},
		{"", "token.access_token_revoke", "Billing server", `{"owner":"dev@harbor.test","resource_server":"Edge gateway","hint":"ptc_at_…abcd"}`,
			"The portal revoked an access token of OAuth client “Billing server” of dev@harbor.test at the request of resource server “Edge gateway”"},
		{"", "retention.run", "Retention", `{"partitions":0,"default_rows_deleted":0,"rollup_rows_deleted":2,"oauth_tokens_deleted":120,"calls_before":"2025-10-30","rollups_before":"2024-09-25","complete":true,"error":""}`,
			"The portal ran retention: dropped 0 day partitions of calls older than 2025-10-30, deleted 0 stray calls and 2 usage minutes older than 2024-09-25, and 120 expired OAuth access tokens"},
		{"Morgan Account", "partner.end", "Harbor Logistics", `{"credentials_revoked":12,"people_closed":1,"invitations_cancelled":0,"grants_ended":3}`,
			"Morgan Account ended the partnership of Harbor Logistics: revoked 12 credentials, closed 1 account, cancelled 0 invitations and ended 3 grants"},
		{"", "partner.end", "Harbor Logistics", `{"credentials_revoked":1,"people_closed":2,"invitations_cancelled":1,"grants_ended":1,"scheduled_for":"2027-03-01"}`,
			"The portal ended the partnership of Harbor Logistics: revoked 1 credential, closed 2 accounts, cancelled 1 invitation and ended 1 grant (scheduled for 2027-03-01)"},
		{"Morgan Account", "partner.end_schedule", "Harbor Logistics", `{"to":"2027-03-01"}`, "Morgan Account scheduled the end of the partnership of Harbor Logistics on 2027-03-01"},
		{"Morgan Account", "partner.end_schedule", "Harbor Logistics", `{"from":"2027-03-01","to":"2027-04-01"}`,
			"Morgan Account moved the end of the partnership of Harbor Logistics from 2027-03-01 to 2027-04-01"},
		{"Morgan Account", "partner.end_unschedule", "Harbor Logistics", `{"was":"2027-03-01"}`,
			"Morgan Account cancelled the end of the partnership of Harbor Logistics scheduled on 2027-03-01"},
		{"Morgan Account", "partner.rate_limit", "Harbor Logistics", `{"from":null,"to":1000000}`, "Morgan Account set the ceiling of Harbor Logistics to 1000000 requests per minute"},
		{"Morgan Account", "partner.rate_limit", "Harbor Logistics", `{"from":1,"to":null}`, "Morgan Account removed the ceiling on requests per minute of Harbor Logistics"},
		{"Morgan Account", "partner.token_max_days", "Harbor Logistics", `{"from":null,"to":1,"portal":90}`, "Morgan Account set the longest token lifetime of Harbor Logistics to 1 day"},
		{"Morgan Account", "partner.token_max_days", "Harbor Logistics", `{"from":30,"to":null,"portal":90}`, "Morgan Account let the tokens of Harbor Logistics live as long as the portal allows"},
		{"Ada Harbor", "webhook.endpoint_created", "https://hooks.harbor.test/portico", `{"event_types":["token.created"],"secret_hint":"whsec_…abcd"}`,
			"Ada Harbor registered webhook endpoint https://hooks.harbor.test/portico"},
		{"Ada Harbor", "webhook.endpoint_updated", "https://b.harbor.test/x", `{"from":"https://a.harbor.test/x"}`,
			"Ada Harbor moved webhook endpoint https://a.harbor.test/x to https://b.harbor.test/x"},
		{"", "webhook.endpoint_disabled", "https://hooks.harbor.test/portico", `{"reason":"Every delivery failed for 24 hours"}`,
			"The portal disabled webhook endpoint https://hooks.harbor.test/portico"},
		{"Dana", "user.sign_in", "dana@harbor.test", `{"method":"sso","provider":"Harbor Entra ID","joined":true}`, "Dana joined and signed in through Harbor Entra ID"},
		{"Dana", "user.sign_in", "dana@harbor.test", `{"method":"sso","provider":"Harbor Entra ID"}`, "Dana signed in through Harbor Entra ID"},
		{"Pat Admin", "user.sign_in", "admin@portico.test", `{"break_glass":true}`, "Pat Admin signed in with their password past the staff's enforced single sign-on (break-glass)"},
		{"Dev Harbor", "user.sign_in_failed", "dev@harbor.test", `{"reason":"sso_required"}`, "Dev Harbor was refused a password sign-in: their organisation signs in through its identity provider"},
		{"Dana", "user.sign_in", "dana@harbor.test", `{"method":"sso","provider":"Harbor Entra ID","reauthenticated":true}`, "Dana confirmed who they are through Harbor Entra ID"},
		{"", "user.sso_refused", "eve@elsewhere.test", `{"reason":"domain","provider":"Harbor Entra ID"}`, "The portal was refused signing in as eve@elsewhere.test through Harbor Entra ID (domain)"},
		{"Dana", "member.joined", "dana@harbor.test", `{"role":"developer","via":"sso","provider":"Harbor Entra ID"}`, "Dana joined as developer through Harbor Entra ID"},
		{"", "member.deprovisioned", "dana@harbor.test", `{"reason":"left_groups","tokens_revoked":2,"clients_revoked":1}`,
			"The portal ended the access of dana@harbor.test because they left every group mapped to the portal: revoked 2 tokens and 1 OAuth client"},
		{"Ada Harbor", "member.deprovisioned", "dana@harbor.test", `{"reason":"refused","tokens_revoked":0,"clients_revoked":0}`,
			"Ada Harbor ended the access of dana@harbor.test because the identity provider no longer vouches for them: revoked 0 tokens and 0 OAuth clients"},
		{"", "member.sso_groups_applied", "dana@harbor.test", `{"provider":"Harbor Entra ID","role_from":"developer","role_to":"partner_admin"}`,
			"The portal applied the groups Harbor Entra ID gives dana@harbor.test: made them partner admin"},
		{"Ada Harbor", "sso.synced", "Harbor Entra ID", `{"checked":3,"kept":2,"deprovisioned":1,"unreachable":false}`,
			"Ada Harbor synced with “Harbor Entra ID”: checked 3 people, kept 2, ended the access of 1 person"},
		{"Ada Harbor", "sso.synced", "Harbor Entra ID", `{"checked":0,"unreachable":true}`,
			"Ada Harbor could not sync with “Harbor Entra ID”: it could not be reached, and nobody's access changed"},
		{"Ada Harbor", "sso.mapping_added", "yard", `{"group":"yard","team":"Yard operations"}`, "Ada Harbor mapped group “yard” to team “Yard operations”"},
		{"Ada Harbor", "sso.mapping_removed", "admins", `{"group":"admins","role":"partner_admin"}`, "Ada Harbor stopped mapping group “admins” to the partner admin role"},
		{"Morgan Account", "sso.provider_saved", "Harbor Entra ID", `{}`, "Morgan Account set up single sign-on through “Harbor Entra ID”"},
		{"Ada Harbor", "something.new", "x", `null`, "Ada Harbor: something.new “x”"},
	} {
		if got := Sentence(tc.actor, tc.action, tc.target, json.RawMessage(tc.details)); got != tc.want {
			t.Errorf("Sentence(%s) = %q, want %q", tc.action, got, tc.want)
		}
	}
}
