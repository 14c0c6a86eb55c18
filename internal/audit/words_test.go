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
		{"Ada Harbor", "something.new", "x", `null`, "Ada Harbor: something.new “x”"},
	} {
		if got := Sentence(tc.actor, tc.action, tc.target, json.RawMessage(tc.details)); got != tc.want {
			t.Errorf("Sentence(%s) = %q, want %q", tc.action, got, tc.want)
		}
	}
}
