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
		{"", "member.sso_groups_applied", "dev@harbor.test", `{"provider":"Harbor ID","teams_added":["Platform"],"teams_removed":[],"role_from":"developer","role_to":"partner_admin"}`,
			"The portal updated the mapped teams of dev@harbor.test from their groups at Harbor ID and made them partner admin"},
		{"", "sso.role_kept", "admin@harbor.test", `{"provider":"Harbor ID","role":"partner_admin","reason":"last_admin"}`,
			"The portal kept admin@harbor.test partner admin, the partner's last, though their groups at Harbor ID map to no admin role"},
		{"Ada Harbor", "member.deprovisioned", "dev@harbor.test", `{"provider":"Harbor ID","reason":"refused","role":"developer","tokens_revoked":1,"clients_revoked":0}`,
			"Ada Harbor ended the access of dev@harbor.test because Harbor ID says so (it no longer signs them in): revoked 1 token and 0 OAuth clients"},
		{"", "sso.synced", "Harbor ID", `{"people":3,"checked":0,"kept":0,"deprovisioned":0,"unchecked":0,"unreachable":true,"error":"The identity provider could not be reached; nobody's access was changed."}`,
			"The portal synced identity provider “Harbor ID”: checked 0 of 3 people, 0 lost access (The identity provider could not be reached; nobody's access was changed)"},
		{"Ada Harbor", "something.new", "x", `null`, "Ada Harbor: something.new “x”"},
	} {
		if got := Sentence(tc.actor, tc.action, tc.target, json.RawMessage(tc.details)); got != tc.want {
			t.Errorf("Sentence(%s) = %q, want %q", tc.action, got, tc.want)
		}
	}
}
