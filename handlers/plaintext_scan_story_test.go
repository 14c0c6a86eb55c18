package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portico/portico/internal/token"
)

var resourceServerID = regexp.MustCompile(`prs_[0-9A-Za-z]{22}`)

// TestNoPlaintextCredentialAtRest: after every way Portico issues a
// credential or takes a password (sign-in, right and wrong; PATs created,
// regenerated, used and reported as leaked; a console token; an OAuth
// client created and rotated, its access token issued, introspected and
// revoked; a resource server; an invitation accepted; a password reset; an
// email change; a password change; a staff account), with the portal
// logging at debug level, no credential and no password is anywhere at
// rest: not in any column of any table (the audit trail's JSON included),
// not in the logs, not in the audit API or its exports. Each credential is
// looked for whole, without its prefix, and without its checksum. The one
// place a link's secret may wait is the body of a mail not yet delivered
// (the mail package redacts it once sent).
func TestNoPlaintextCredentialAtRest(t *testing.T) {
	t.Parallel()
	s := newPlaintextScan(t)
	p := s.p
	p.exec(t, `INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name = 'Port operations' AND u.email = 'admin@harbor.test'`)

	// Passwords: a wrong one, then the right one.
	if st, _ := s.do(t, nil, http.MethodPost, "/sign-in", url.Values{"email": {"dev@harbor.test"}, "password": {scanWrongPassword}}.Encode()); st != http.StatusUnprocessableEntity {
		t.Fatalf("wrong password = %d", st)
	}
	dev := s.signIn(t, "dev@harbor.test", "portico-demo")

	// Personal access tokens: created, regenerated, used, reported.
	sbx := s.must(t, dev, http.MethodPost, "/api/v1/tokens", `{"name": "scan sandbox", "environment": "sandbox", "expires_in_days": 7, "scopes": ["fleet/fleet:read"]}`, http.StatusCreated)
	live := s.must(t, dev, http.MethodPost, "/api/v1/tokens", `{"name": "scan live", "environment": "live", "expires_in_days": 7, "scopes": ["fleet/fleet:read"]}`, http.StatusCreated)
	s.must(t, dev, http.MethodPost, "/api/v1/tokens/"+jsonField(t, sbx, "id")+"/regenerate", `{}`, http.StatusOK, http.StatusCreated)
	s.must(t, dev, http.MethodPost, "/apis/fleet/console-token", "", http.StatusCreated)
	var regenerated string
	for k := range s.issued {
		if strings.HasPrefix(k, "ptc_sbx_") && k != jsonField(t, sbx, "token") {
			regenerated = k
		}
	}
	s.must(t, nil, http.MethodGet, "/sandbox/fleet/spreaders", "", http.StatusUnauthorized)
	if st, _ := s.do(t, nil, http.MethodGet, "/sandbox/fleet/spreaders", "", "Authorization", "Bearer "+regenerated); st != http.StatusOK {
		t.Errorf("a call with the regenerated token = %d", st)
	}
	s.do(t, nil, http.MethodGet, "/sandbox/fleet/spreaders?access_token="+regenerated, "")
	s.must(t, nil, http.MethodPost, "/security/report-token", url.Values{"token": {jsonField(t, live, "token")}, "where": {"a paste site"}}.Encode(), http.StatusOK)

	// OAuth: a client created and rotated, an access token issued, used,
	// introspected and revoked by a resource server.
	admin := s.signIn(t, "admin@harbor.test", "portico-demo")
	client := s.must(t, admin, http.MethodPost, "/api/v1/oauth-clients", `{"name": "scan client", "environment": "sandbox", "expires_in_days": 7, "scopes": ["fleet/fleet:read"]}`, http.StatusCreated)
	rotated := s.must(t, admin, http.MethodPost, "/api/v1/tokens/"+jsonField(t, client, "id")+"/regenerate", `{}`, http.StatusOK, http.StatusCreated)
	secret := jsonField(t, rotated, "client_secret")
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {jsonField(t, client, "client_id")}, "client_secret": {secret}}
	at := jsonField(t, s.must(t, nil, http.MethodPost, "/oauth/token", form.Encode(), http.StatusOK), "access_token")
	if st, _ := s.do(t, nil, http.MethodGet, "/sandbox/fleet/spreaders", "", "Authorization", "Bearer "+at); st != http.StatusOK {
		t.Errorf("a call with the access token = %d", st)
	}
	staff := s.signIn(t, "admin@portico.test", "portico-demo")
	page := s.must(t, staff, http.MethodPost, "/resource-servers", "name=Scan+server", http.StatusOK)
	var srvSecret string
	for k := range s.issued {
		if strings.HasPrefix(k, "ptc_srv_") {
			srvSecret = k
		}
	}
	rs := url.Values{"client_id": {resourceServerID.FindString(page)}, "client_secret": {srvSecret}, "token": {at}}
	s.must(t, nil, http.MethodPost, "/oauth/introspect", rs.Encode(), http.StatusOK)
	s.must(t, nil, http.MethodPost, "/oauth/revoke", rs.Encode(), http.StatusOK)

	// Links by mail: an invitation accepted, a password reset, an email
	// change, a staff account.
	s.must(t, admin, http.MethodPost, "/members/invitations", "email=scan-new%40harbor.test&role=developer", http.StatusSeeOther)
	s.must(t, nil, http.MethodPost, "/invitations/"+s.link(t, "scan-new@harbor.test", token.KindInvite),
		url.Values{"name": {"Ivy Newcomer"}, "password": {scanInvitePassword}}.Encode(), http.StatusSeeOther)
	s.must(t, nil, http.MethodPost, "/forgot-password", "email=dev%40harbor.test", http.StatusOK)
	s.must(t, nil, http.MethodPost, "/reset-password/"+s.link(t, "dev@harbor.test", token.KindPasswordReset),
		url.Values{"password": {scanResetPassword}}.Encode(), http.StatusSeeOther)
	dev = s.signIn(t, "dev@harbor.test", scanResetPassword)
	s.must(t, dev, http.MethodPost, "/account/email", "email=scan-moved%40harbor.test", http.StatusSeeOther)
	s.must(t, dev, http.MethodPost, "/account/email/confirm/"+s.link(t, "scan-moved@harbor.test", token.KindEmailChange), "", http.StatusSeeOther)
	dev = s.signIn(t, "scan-moved@harbor.test", scanResetPassword)
	s.must(t, dev, http.MethodPost, "/account/password", url.Values{"current_password": {scanResetPassword}, "new_password": {scanNewPassword}}.Encode(), http.StatusSeeOther)
	s.must(t, staff, http.MethodPost, "/staff", "name=Scan+Staff&email=scan-staff%40portico.test&role=account_manager", http.StatusSeeOther)
	s.link(t, "scan-staff@portico.test", token.KindPasswordReset)

	// Every kind was issued, or the scan would look for nothing.
	kinds := map[token.Kind]bool{}
	for k := range s.issued {
		pk, _ := token.Parse(k)
		kinds[pk.Kind] = true
	}
	for _, k := range []token.Kind{token.KindSandbox, token.KindLive, token.KindClientSecret, token.KindAccessToken, token.KindInvite,
		token.KindPasswordReset, token.KindEmailChange, token.KindResourceServer} {
		if !kinds[k] {
			t.Errorf("no %s credential was issued: the story misses a step", k)
		}
	}
	if t.Failed() {
		return
	}

	// The audit trail as its readers get it.
	var trail []string
	for _, path := range []string{"/api/v1/audit?limit=200", "/audit/export?format=ndjson", "/audit/export?format=csv"} {
		for _, b := range []*browser{staff, admin} {
			trail = append(trail, s.must(t, b, http.MethodGet, path, "", http.StatusOK))
		}
	}
	s.scan(t, "the audit trail's API and exports", strings.Join(trail, "\n"))
	s.scan(t, "the logs", s.logs.String())
	s.scanDatabase(t)
}
