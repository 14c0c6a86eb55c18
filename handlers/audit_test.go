package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
)

// auditRow is what the audit tests compare of an event: the partner by
// name, so expectations read like the trail a person would see.
type auditRow struct {
	Action  string
	Actor   string
	Partner string
	Target  string
}

type auditedEvent struct {
	auditRow
	IP        string `db:"ip"`
	RequestID string `db:"request_id"`
	Details   string `db:"details"`
}

// eventsOf returns the events a request wrote, oldest first.
func (p *portal) eventsOf(t *testing.T, requestID string) []auditedEvent {
	t.Helper()
	var es []auditedEvent
	err := p.store.DB().Select(&es, `
		SELECT a.action, a.actor, COALESCE(p.name, '') AS partner, a.target, COALESCE(host(a.ip), '') AS ip, a.request_id, a.details::text AS details
		FROM audit_events a LEFT JOIN partners p ON p.id = a.partner_id
		WHERE a.request_id = $1 ORDER BY a.id`, requestID)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// id returns the single id a query finds.
func (p *portal) id(t *testing.T, query string, args ...any) string {
	t.Helper()
	var id int64
	if err := p.store.DB().Get(&id, query, args...); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	return strconv.FormatInt(id, 10)
}

// sendJSON sends a management API request with the browser's session.
func (b *browser) sendJSON(method, path, body string) page {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	return b.do(req)
}

// Passwords the audit scenario types; none may reach the trail.
const (
	auditNewPassword   = "Tide-tables-2024"
	auditResetPassword = "Harbour-lights-99"
	auditWrongPassword = "not-the-password-1"
)

// TestEveryActionIsAudited performs every portal action through HTTP as a
// role allowed to, in an order where each builds on the last, and checks
// the events each request wrote: action, actor, partner, target, the
// client's IP and the request id the response carried.
func TestEveryActionIsAudited(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	staff := signedInAs(t, p, "admin@portico.test")
	am := signedInAs(t, p, "am@portico.test")
	harbor := signedInAs(t, p, "admin@harbor.test")
	newbie, stranger := p.browser(t), p.browser(t)
	var tokens []string // links' secrets seen in mails, for the scan at the end

	partner := func() string { return p.id(t, `SELECT id FROM partners WHERE name = 'Quay Services'`) }
	invitation := func(email string) string {
		return p.id(t, `SELECT id FROM invitations WHERE email = $1 ORDER BY id DESC LIMIT 1`, email)
	}
	team := func() string { return p.id(t, `SELECT id FROM teams WHERE name IN ('Night shift', 'Day shift')`) }
	group := func() string { return p.id(t, `SELECT id FROM access_groups WHERE name = 'Gatekeepers'`) }
	newbieID := func() string {
		return p.id(t, `SELECT id FROM users WHERE email IN ('new@harbor.test', 'newt@harbor.test')`)
	}
	dev := strconv.FormatInt(p.userID(t, "dev@harbor.test"), 10)
	gate := []byte(smallSpec)
	// What the newest event of some steps says in its details (the keys
	// given; ids vary and are left out).
	wantDetails := map[string]map[string]any{
		"partner.suspend":           {"from": "active", "to": "suspended"},
		"member.role_change":        {"from": "developer", "to": "partner_admin"},
		"team.rename":               {"from": "Night shift", "to": "Day shift"},
		"team.member_add":           {"member": "new@harbor.test"},
		"api.revision":              {"revision": 2.0, "added": 0.0, "removed": 0.0},
		"api.status":                {"from": "active", "to": "deprecated", "sunset": "2031-01-31"},
		"access_group.update":       {"rate_limit_per_minute": map[string]any{"from": 600.0, "to": 900.0}, "monthly_quota": map[string]any{"from": nil, "to": 5000.0}},
		"access_group.api_include":  {"api": "gate", "scopes": []any{"gate:read"}},
		"grant.create":              {"grantee": "Newt Harbor", "email": "new@harbor.test"},
		"grant.revoke":              {"grantee": "Newt Harbor"},
		"user.name_change":          {"from": "Newt Harbor", "to": "Newt Quay"},
		"user.email_change_request": {"to": "newt@harbor.test"},
		"user.email_change_cancel":  {"to": "newt@harbor.test"},
		"user.email_change":         {"from": "new@harbor.test", "to": "newt@harbor.test"},
		"user.sign_in_failed":       {"reason": "wrong_password"},
	}

	for _, step := range []struct {
		name string
		do   func() page
		want []auditRow
	}{
		{"staff.create", func() page {
			return staff.post("/staff", url.Values{"name": {"Sam Staff"}, "email": {"sam@portico.test"}, "role": {"account_manager"}})
		}, []auditRow{{"staff.create", "admin@portico.test", "", "sam@portico.test"}}},
		{"partner.create", func() page {
			return staff.post("/partners", url.Values{"name": {"Quay Services"}, "admin_email": {"boss@quay.test"}})
		}, []auditRow{
			{"partner.create", "admin@portico.test", "Quay Services", "Quay Services"},
			{"invitation.create", "admin@portico.test", "Quay Services", "boss@quay.test"},
		}},
		{"partner.suspend", func() page {
			return staff.post("/partners/"+partner()+"/status", url.Values{"status": {"suspended"}})
		}, []auditRow{{"partner.suspend", "admin@portico.test", "Quay Services", "Quay Services"}}},
		{"partner.reactivate", func() page {
			return staff.post("/partners/"+partner()+"/status", url.Values{"status": {"active"}})
		}, []auditRow{{"partner.reactivate", "admin@portico.test", "Quay Services", "Quay Services"}}},
		{"invitation.create", func() page {
			return harbor.post("/members/invitations", url.Values{"email": {"new@harbor.test"}, "role": {"developer"}})
		}, []auditRow{{"invitation.create", "admin@harbor.test", "Harbor Logistics", "new@harbor.test"}}},
		{"invitation.resend", func() page {
			return harbor.post("/members/invitations/"+invitation("new@harbor.test")+"/resend", nil)
		}, []auditRow{{"invitation.resend", "admin@harbor.test", "Harbor Logistics", "new@harbor.test"}}},
		{"invitation.accept", func() page {
			link := p.lastInvitationPath(t, "new@harbor.test")
			tokens = append(tokens, strings.TrimPrefix(link, "/invitations/"))
			return newbie.post(link, url.Values{"name": {"Newt Harbor"}, "password": {demo.Password}})
		}, []auditRow{{"invitation.accept", "new@harbor.test", "Harbor Logistics", "new@harbor.test"}}},
		{"invitation.cancel", func() page {
			if res := harbor.post("/members/invitations", url.Values{"email": {"gone@harbor.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
				t.Fatalf("invite gone@harbor.test = %d", res.status)
			}
			return harbor.post("/members/invitations/"+invitation("gone@harbor.test")+"/cancel", nil)
		}, []auditRow{{"invitation.cancel", "admin@harbor.test", "Harbor Logistics", "gone@harbor.test"}}},
		{"member.role_change", func() page {
			return harbor.post("/members/"+dev+"/role", url.Values{"role": {"partner_admin"}})
		}, []auditRow{{"member.role_change", "admin@harbor.test", "Harbor Logistics", "dev@harbor.test"}}},
		{"team.create", func() page {
			return harbor.post("/teams", url.Values{"name": {"Night shift"}})
		}, []auditRow{{"team.create", "admin@harbor.test", "Harbor Logistics", "Night shift"}}},
		{"team.rename", func() page {
			return harbor.post("/teams/"+team()+"/rename", url.Values{"name": {"Day shift"}})
		}, []auditRow{{"team.rename", "admin@harbor.test", "Harbor Logistics", "Day shift"}}},
		{"team.member_add", func() page {
			return harbor.post("/teams/"+team()+"/members", url.Values{"user_id": {newbieID()}})
		}, []auditRow{{"team.member_add", "admin@harbor.test", "Harbor Logistics", "Day shift"}}},
		{"team.member_remove", func() page {
			return harbor.post("/teams/"+team()+"/members/"+newbieID()+"/remove", nil)
		}, []auditRow{{"team.member_remove", "admin@harbor.test", "Harbor Logistics", "Day shift"}}},
		{"team.delete", func() page {
			return harbor.post("/teams/"+team()+"/delete", nil)
		}, []auditRow{{"team.delete", "admin@harbor.test", "Harbor Logistics", "Day shift"}}},
		{"team.create through the management API", func() page {
			return harbor.sendJSON(http.MethodPost, "/api/v1/teams", `{"name": "Robots"}`)
		}, []auditRow{{"team.create", "admin@harbor.test", "Harbor Logistics", "Robots"}}},
		{"team.delete through the management API", func() page {
			return harbor.sendJSON(http.MethodDelete, "/api/v1/teams/"+p.id(t, `SELECT id FROM teams WHERE name = 'Robots'`), "")
		}, []auditRow{{"team.delete", "admin@harbor.test", "Harbor Logistics", "Robots"}}},
		{"api.import", func() page {
			return am.postFile("/catalog/import", map[string]string{"slug": "gate"}, gate)
		}, []auditRow{{"api.import", "am@portico.test", "", "Gate API"}}},
		{"api.revision", func() page {
			return am.postFile("/catalog/gate/revisions", nil, gate)
		}, []auditRow{{"api.revision", "am@portico.test", "", "Gate API"}}},
		{"api.status", func() page {
			return am.post("/catalog/gate/status", url.Values{"status": {"deprecated"}, "sunset": {"2031-01-31"}})
		}, []auditRow{{"api.status", "am@portico.test", "", "Gate API"}}},
		{"access_group.create", func() page {
			return am.post("/access-groups", groupForm("Gatekeepers", "600", ""))
		}, []auditRow{{"access_group.create", "am@portico.test", "", "Gatekeepers"}}},
		{"access_group.update", func() page {
			return am.post(groupPath(mustInt(t, group())), groupForm("Gatekeepers", "900", "5000"))
		}, []auditRow{{"access_group.update", "am@portico.test", "", "Gatekeepers"}}},
		{"access_group.api_include", func() page {
			return am.post(groupPath(mustInt(t, group()), "apis"), url.Values{"api": {"gate"}, "scope": {"gate:read"}})
		}, []auditRow{{"access_group.api_include", "am@portico.test", "", "Gatekeepers"}}},
		{"grant.create", func() page {
			return grant(am, mustInt(t, group()), "user:"+newbieID())
		}, []auditRow{{"grant.create", "am@portico.test", "Harbor Logistics", "Gatekeepers"}}},
		{"grant.revoke", func() page {
			return am.post(groupPath(mustInt(t, group()), "grants", p.id(t, `SELECT id FROM grants WHERE revoked_at IS NULL ORDER BY id DESC LIMIT 1`), "revoke"), nil)
		}, []auditRow{{"grant.revoke", "am@portico.test", "Harbor Logistics", "Gatekeepers"}}},
		{"access_group.api_remove", func() page {
			return am.post(groupPath(mustInt(t, group()), "apis", "gate", "remove"), nil)
		}, []auditRow{{"access_group.api_remove", "am@portico.test", "", "Gatekeepers"}}},
		{"access_group.delete", func() page {
			return am.post(groupPath(mustInt(t, group()), "delete"), nil)
		}, []auditRow{{"access_group.delete", "am@portico.test", "", "Gatekeepers"}}},
		{"api.delete", func() page {
			return am.post("/catalog/gate/delete", nil)
		}, []auditRow{{"api.delete", "am@portico.test", "", "Gate API"}}},
		{"user.name_change", func() page {
			return newbie.post("/account/name", url.Values{"name": {"Newt Quay"}})
		}, []auditRow{{"user.name_change", "new@harbor.test", "Harbor Logistics", "new@harbor.test"}}},
		{"user.email_change_request", func() page {
			return newbie.post("/account/email", url.Values{"email": {"newt@harbor.test"}})
		}, []auditRow{{"user.email_change_request", "new@harbor.test", "Harbor Logistics", "new@harbor.test"}}},
		{"user.email_change_cancel", func() page {
			return newbie.post("/account/email/cancel", nil)
		}, []auditRow{{"user.email_change_cancel", "new@harbor.test", "Harbor Logistics", "new@harbor.test"}}},
		{"user.email_change_request again", func() page {
			return newbie.post("/account/email", url.Values{"email": {"newt@harbor.test"}})
		}, []auditRow{{"user.email_change_request", "new@harbor.test", "Harbor Logistics", "new@harbor.test"}}},
		{"user.email_change", func() page {
			link := p.emailChangePath(t, "newt@harbor.test")
			tokens = append(tokens, strings.TrimPrefix(link, "/account/email/confirm/"))
			return newbie.post(link, nil)
		}, []auditRow{{"user.email_change", "new@harbor.test", "Harbor Logistics", "newt@harbor.test"}}},
		{"user.password_change", func() page {
			return newbie.post("/account/password", url.Values{"current_password": {demo.Password}, "new_password": {auditNewPassword}})
		}, []auditRow{{"user.password_change", "newt@harbor.test", "Harbor Logistics", "newt@harbor.test"}}},
		{"user.sign_out", func() page {
			return newbie.post("/sign-out", nil)
		}, []auditRow{{"user.sign_out", "newt@harbor.test", "Harbor Logistics", "newt@harbor.test"}}},
		{"user.password_reset_request", func() page {
			return stranger.post("/forgot-password", url.Values{"email": {"newt@harbor.test"}})
		}, []auditRow{{"user.password_reset_request", "", "Harbor Logistics", "newt@harbor.test"}}},
		{"user.password_reset_request for an unknown email writes nothing", func() page {
			return stranger.post("/forgot-password", url.Values{"email": {"nobody@harbor.test"}})
		}, nil},
		{"user.password_reset", func() page {
			var body string
			if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE to_email = 'newt@harbor.test' AND subject = 'Reset your Portico password' ORDER BY id DESC LIMIT 1`); err != nil {
				t.Fatal(err)
			}
			token := resetLink.FindStringSubmatch(body)[1]
			tokens = append(tokens, token)
			return stranger.post("/reset-password/"+token, url.Values{"password": {auditResetPassword}})
		}, []auditRow{{"user.password_reset", "newt@harbor.test", "Harbor Logistics", "newt@harbor.test"}}},
		{"user.sign_in_failed", func() page {
			return newbie.signIn("newt@harbor.test", auditWrongPassword)
		}, []auditRow{{"user.sign_in_failed", "", "Harbor Logistics", "newt@harbor.test"}}},
		{"user.sign_in_failed for an unknown email writes nothing", func() page {
			return newbie.signIn("nobody@harbor.test", auditWrongPassword)
		}, nil},
		{"user.sign_in", func() page {
			return newbie.signIn("newt@harbor.test", auditResetPassword)
		}, []auditRow{{"user.sign_in", "newt@harbor.test", "Harbor Logistics", "newt@harbor.test"}}},
		{"member.remove", func() page {
			return harbor.post("/members/"+newbieID()+"/remove", nil)
		}, []auditRow{{"member.remove", "admin@harbor.test", "Harbor Logistics", "newt@harbor.test"}}},
	} {
		t.Run(step.name, func(t *testing.T) {
			res := step.do()
			if res.status >= 500 {
				t.Fatalf("request = %d", res.status)
			}
			rid := res.header.Get("X-Request-Id")
			if rid == "" {
				t.Fatal("no X-Request-Id")
			}
			es := p.eventsOf(t, rid)
			var got []auditRow
			for _, e := range es {
				got = append(got, e.auditRow)
				if e.IP != "127.0.0.1" || e.RequestID != rid {
					t.Errorf("%s: ip %q, request id %q; want 127.0.0.1 and %q", e.Action, e.IP, e.RequestID, rid)
				}
			}
			if diff := cmp.Diff(step.want, got); diff != "" {
				t.Errorf("events of the request (-want +got):\n%s", diff)
			}
			if want := wantDetails[step.name]; want != nil && len(es) > 0 {
				var all map[string]any
				if err := json.Unmarshal([]byte(es[len(es)-1].Details), &all); err != nil {
					t.Fatal(err)
				}
				got := map[string]any{}
				for k := range want {
					got[k] = all[k]
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("details (-want +got):\n%s", diff)
				}
			}
		})
	}

	t.Run("no secret in the trail", func(t *testing.T) {
		var rows []string
		if err := p.store.DB().Select(&rows, `SELECT row_to_json(a)::text FROM audit_events a`); err != nil {
			t.Fatal(err)
		}
		if len(tokens) != 3 {
			t.Fatalf("saw %d link tokens, want the invitation's, the email change's and the reset's", len(tokens))
		}
		secrets := append([]string{"ptc_inv_", "ptc_rst_", "ptc_eml_", demo.Password, auditNewPassword, auditResetPassword, auditWrongPassword}, tokens...)
		for _, row := range rows {
			for _, s := range secrets {
				if strings.Contains(row, s) {
					t.Errorf("audit event contains %q: %s", s, row)
				}
			}
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
