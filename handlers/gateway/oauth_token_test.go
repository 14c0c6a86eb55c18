package gateway_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTokenEndpointRefusals: every refusal RFC 6749 §5.2 names, each with
// its status, the no-store headers, invalid_client's Basic challenge, a
// description, and nothing of what was sent in the body.
func TestTokenEndpointRefusals(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	ok := f.client(t, nil)
	revoked := f.client(t, nil)
	if _, err := f.pats.Revoke(context.Background(), f.dev, revoked.Token.ID); err != nil {
		t.Fatal(err)
	}
	expired := f.client(t, nil)
	f.exec(t, `UPDATE tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`, expired.Token.ID)
	pending := f.client(t, nil)
	f.exec(t, `UPDATE tokens SET pending = true WHERE id = $1`, pending.Token.ID)
	fenced := f.client(t, []string{"203.0.113.0/24"})
	cc := url.Values{"grant_type": {"client_credentials"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	big := "grant_type=client_credentials&scope=" + strings.Repeat("a", 9<<10)
	basic := [2]string{ok.ClientID, ok.Secret}
	wrong := strings.Replace(ok.Secret, ok.Secret[10:14], "AAAA", 1)
	unknownID := "pcl_" + strings.Repeat("Z", 22)
	tests := []struct {
		name   string
		rq     oauthReq
		status int
		code   string
	}{
		{"GET", oauthReq{method: "GET", basic: basic}, 405, "invalid_request"},
		{"JSON body", oauthReq{basic: basic, header: map[string]string{"Content-Type": "application/json"}, form: cc}, 400, "invalid_request"},
		{"parameters in the URL", oauthReq{path: "?grant_type=client_credentials", basic: basic, form: cc}, 400, "invalid_request"},
		{"body over 8 KiB", oauthReq{basic: basic, rawBody: &big}, 400, "invalid_request"},
		{"repeated parameter", oauthReq{basic: basic, form: with("grant_type", "client_credentials", "grant_type", "client_credentials")}, 400, "invalid_request"},
		{"repeated scope", oauthReq{basic: basic, form: with("grant_type", "client_credentials", "scope", "a", "scope", "b")}, 400, "invalid_request"},
		{"no grant_type", oauthReq{basic: basic, form: with("scope", "fleet/fleet:read")}, 400, "invalid_request"},
		{"password grant", oauthReq{basic: basic, form: with("grant_type", "password", "username", "u", "password", "p")}, 400, "unsupported_grant_type"},
		{"authorization code grant", oauthReq{basic: basic, form: with("grant_type", "authorization_code", "code", "x")}, 400, "unsupported_grant_type"},
		{"Basic and client_secret", oauthReq{basic: basic, form: with("grant_type", "client_credentials", "client_id", ok.ClientID, "client_secret", ok.Secret)}, 400, "invalid_request"},
		{"Basic and another client_id", oauthReq{basic: basic, form: with("grant_type", "client_credentials", "client_id", unknownID)}, 400, "invalid_request"},
		{"two Authorization headers", oauthReq{form: cc, auths: []string{"Basic eDp5", "Basic eDp6"}}, 400, "invalid_request"},
		{"no client authentication", oauthReq{form: cc}, 401, "invalid_client"},
		{"client_id without secret", oauthReq{form: with("grant_type", "client_credentials", "client_id", ok.ClientID)}, 401, "invalid_client"},
		{"bearer at the token endpoint", oauthReq{form: cc, header: map[string]string{"Authorization": "Bearer " + ok.Secret}}, 401, "invalid_client"},
		{"Basic not base64", oauthReq{form: cc, header: map[string]string{"Authorization": "Basic !!!"}}, 401, "invalid_client"},
		{"wrong secret", oauthReq{form: cc, basic: [2]string{ok.ClientID, wrong}}, 401, "invalid_client"},
		{"another client's secret", oauthReq{form: cc, basic: [2]string{ok.ClientID, revoked.Secret}}, 401, "invalid_client"},
		{"unknown client", oauthReq{form: cc, basic: [2]string{unknownID, ok.Secret}}, 401, "invalid_client"},
		{"malformed client id", oauthReq{form: cc, basic: [2]string{"someone", ok.Secret}}, 401, "invalid_client"},
		{"revoked client", oauthReq{form: cc, basic: [2]string{revoked.ClientID, revoked.Secret}}, 401, "invalid_client"},
		{"expired client", oauthReq{form: cc, basic: [2]string{expired.ClientID, expired.Secret}}, 401, "invalid_client"},
		{"pending client", oauthReq{form: cc, basic: [2]string{pending.ClientID, pending.Secret}}, 400, "unauthorized_client"},
		{"outside the allowed networks", oauthReq{form: cc, basic: [2]string{fenced.ClientID, fenced.Secret}, ip: "198.51.100.7"}, 400, "unauthorized_client"},
		{"scope not the client's", oauthReq{form: with("grant_type", "client_credentials", "scope", "fleet/fleet:read maintenance/maintenance:write"), basic: basic}, 400, "invalid_scope"},
		{"scope of another API", oauthReq{form: with("grant_type", "client_credentials", "scope", "telemetry/telemetry:read"), basic: basic}, 400, "invalid_scope"},
	}
	// The refusals of a client's credentials are one answer, whichever
	// the reason: it tells nothing of which ids exist.
	var invalidClient string
	compared := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rq.path == "" || strings.HasPrefix(tc.rq.path, "?") {
				tc.rq.path = "/oauth/token" + tc.rq.path
			}
			r := f.do(t, f.srv, tc.rq)
			if r.status != tc.status || r.str("error") != tc.code || r.str("error_description") == "" {
				t.Fatalf("= %d %s, want %d %s with a description", r.status, r.raw, tc.status, tc.code)
			}
			if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" ||
				!strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("headers %v", r.header)
			}
			if got := r.header.Get("WWW-Authenticate"); (tc.status == 401) != (got == `Basic realm="portico"`) {
				t.Errorf("WWW-Authenticate = %q on a %d", got, tc.status)
			}
			if tc.status == 405 && r.header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q", r.header.Get("Allow"))
			}
			for _, sent := range []string{ok.Secret, wrong, revoked.Secret, expired.Secret, pending.Secret, fenced.Secret, unknownID, "maintenance/maintenance:write", "telemetry/telemetry:read", "someone"} {
				if strings.Contains(r.raw, sent) {
					t.Errorf("the answer repeats what was sent: %s", r.raw)
				}
			}
			if strings.Contains(r.str("error_description"), "active client") {
				compared++
				if invalidClient == "" {
					invalidClient = r.raw
				} else if r.raw != invalidClient {
					t.Errorf("answer %s differs from another client's refusal %s", r.raw, invalidClient)
				}
			}
		})
	}
	if compared != 6 {
		t.Errorf("%d refusals of a client's credentials were compared, want 6", compared)
	}
	// None of it stopped the client itself (9 failures so far, under
	// the per-client budget).
	f.tokenFor(t, ok, "")
}

// TestTokenIssued: both ways of authenticating, the answer's shape and
// headers, the lifetime setting and the client's own expiry, and scope
// narrowing, which the gateway then enforces.
func TestTokenIssued(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	c := f.client(t, nil)
	// Basic with the id and secret form-encoded (RFC 6749 §2.3.1): an
	// escaped character is decoded.
	escapedID := strings.Replace(c.ClientID, "_", "%5F", 1)
	r := f.do(t, f.srv, oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: [2]string{escapedID, c.Secret}})
	if r.status != 200 {
		t.Fatalf("Basic: %d %s", r.status, r.raw)
	}
	f.saw(r.str("access_token"))
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Errorf("headers %v", r.header)
	}
	delete(r.body, "access_token")
	want := map[string]any{"token_type": "Bearer", "expires_in": float64(900), "scope": "fleet/fleet:read maintenance/maintenance:read"}
	if exp, _ := r.body["expires_in"].(float64); exp >= 899 && exp <= 900 {
		r.body["expires_in"] = float64(900)
	}
	if diff := cmp.Diff(want, r.body); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	// client_secret_post, narrowed to one scope (twice, and with extra
	// spaces, is still that one scope).
	r = f.do(t, f.srv, oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"},
		"client_id": {c.ClientID}, "client_secret": {c.Secret}, "scope": {" fleet/fleet:read  fleet/fleet:read"}}})
	if r.status != 200 || r.str("scope") != "fleet/fleet:read" {
		t.Fatalf("form: %d %s", r.status, r.raw)
	}
	narrow := r.str("access_token")
	f.saw(narrow)
	if got := callAPI(t, f.srv, "/sandbox/fleet/spreaders", narrow); got != 200 {
		t.Errorf("fleet with the narrowed token = %d", got)
	}
	// An API the credential holds no scope of answers 404, as an
	// ungranted one does.
	if got := callAPI(t, f.srv, "/sandbox/maintenance/work-orders", narrow); got != http.StatusNotFound {
		t.Errorf("maintenance with the token narrowed to fleet = %d, want 404", got)
	}
	full := f.tokenFor(t, c, "").str("access_token")
	if got := callAPI(t, f.srv, "/sandbox/maintenance/work-orders", full); got != 200 {
		t.Errorf("maintenance with the full token = %d", got)
	}
	// The lifetime is the portal's setting, cut at the client's expiry.
	if err := f.st.SetAccessTokenMinutes(context.Background(), 5, f.staffID(t)); err != nil {
		t.Fatal(err)
	}
	if exp := f.tokenFor(t, c, "").body["expires_in"].(float64); exp < 299 || exp > 300 {
		t.Errorf("expires_in = %v with a 5-minute setting", exp)
	}
	f.exec(t, `UPDATE tokens SET expires_at = now() + interval '2 minutes' WHERE id = $1`, c.Token.ID)
	if exp := f.tokenFor(t, c, "").body["expires_in"].(float64); exp < 115 || exp > 120 {
		t.Errorf("expires_in = %v for a client expiring in 2 minutes", exp)
	}
	// A token of the sandbox client is no live credential.
	if got := callAPI(t, f.srv, "/live/fleet/spreaders", full); got != http.StatusForbidden && got != http.StatusUnauthorized {
		t.Errorf("live with a sandbox client's token = %d", got)
	}
}

// TestTokenRotationGrace: after the client's secret is regenerated with a
// grace period, the old secret still gets tokens until the period ends;
// regenerated without one, it stops at once.
func TestTokenRotationGrace(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	ctx := context.Background()
	c := f.client(t, nil)
	cc := url.Values{"grant_type": {"client_credentials"}}
	status := func(secret string) int {
		return f.do(t, f.srv, oauthReq{path: "/oauth/token", form: cc, basic: [2]string{c.ClientID, secret}}).status
	}
	r, err := f.pats.Regenerate(ctx, f.dev, c.Token.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.saw(r.Plaintext)
	if got := status(c.Secret); got != 200 {
		t.Errorf("old secret during the grace period = %d", got)
	}
	if got := status(r.Plaintext); got != 200 {
		t.Errorf("new secret = %d", got)
	}
	// The grace period ends (as an hour passing would).
	f.exec(t, `UPDATE tokens SET previous_until = now() - interval '1 second' WHERE id = $1`, c.Token.ID)
	if got := status(c.Secret); got != 401 {
		t.Errorf("old secret after the grace period = %d, want 401", got)
	}
	if got := status(r.Plaintext); got != 200 {
		t.Errorf("new secret after the grace period = %d", got)
	}
	r2, err := f.pats.Regenerate(ctx, f.dev, c.Token.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.saw(r2.Plaintext)
	if got := status(r.Plaintext); got != 401 {
		t.Errorf("secret replaced without grace = %d, want 401", got)
	}
	if got := status(r2.Plaintext); got != 200 {
		t.Errorf("newest secret = %d", got)
	}
}

// TestRevokedClientRefused: revoking a client in the portal refuses its
// next token request and the access tokens it already has.
func TestRevokedClientRefused(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	c := f.client(t, nil)
	at := f.tokenFor(t, c, "").str("access_token")
	if got := callAPI(t, f.srv, "/sandbox/fleet/spreaders", at); got != 200 {
		t.Fatalf("before revocation = %d", got)
	}
	if _, err := f.pats.Revoke(context.Background(), f.dev, c.Token.ID); err != nil {
		t.Fatal(err)
	}
	r := f.do(t, f.srv, oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: [2]string{c.ClientID, c.Secret}})
	if r.status != 401 || r.str("error") != "invalid_client" {
		t.Errorf("token request of a revoked client = %d %s", r.status, r.raw)
	}
	if got := callAPI(t, f.srv, "/sandbox/fleet/spreaders", at); got != 401 {
		t.Errorf("access token of a revoked client = %d, want 401", got)
	}
	// A suspended partner's and a removed owner's clients get nothing
	// either, answered as an unknown client is.
	other := f.client(t, nil)
	ask := func() oauthReply {
		return f.do(t, f.srv, oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: [2]string{other.ClientID, other.Secret}})
	}
	for _, tc := range []struct{ name, off, on string }{
		{"suspended partner", `UPDATE partners SET status = 'suspended' WHERE id = $1`, `UPDATE partners SET status = 'active' WHERE id = $1`},
		{"removed owner", `UPDATE users SET status = 'removed' WHERE partner_id = $1 AND role = 'developer'`, `UPDATE users SET status = 'active' WHERE partner_id = $1`},
	} {
		f.exec(t, tc.off, f.dev.PartnerID)
		if r := ask(); r.status != 401 || r.str("error") != "invalid_client" {
			t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
		}
		f.exec(t, tc.on, f.dev.PartnerID)
		if r := ask(); r.status != 200 {
			t.Errorf("%s, active again: %d %s", tc.name, r.status, r.raw)
		} else {
			f.saw(r.str("access_token"))
		}
	}
}

// TestTokenScopeIsWhatTheOwnerHolds: the answer's scope (and the token) are
// the client's scopes its owner still holds, so a client whose owner lost
// an API is not told it may call it; losing every one is invalid_scope.
func TestTokenScopeIsWhatTheOwnerHolds(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	c := f.client(t, nil)
	revokeAPI := func(slug string) {
		// Every access group stops including the API (one group of the
		// demo includes both APIs, so revoking grants would take both).
		f.exec(t, `DELETE FROM access_group_apis WHERE api_id = (SELECT id FROM apis WHERE slug = $1)`, slug)
	}
	revokeAPI("maintenance")
	for _, scope := range []string{"", "fleet/fleet:read maintenance/maintenance:read"} {
		r := f.tokenFor(t, c, scope)
		if r.status != 200 || r.str("scope") != "fleet/fleet:read" {
			t.Fatalf("scope %q without maintenance's grant: %d %s", scope, r.status, r.raw)
		}
		f.saw(r.str("access_token"))
	}
	// Asking only for what the owner lost, or losing everything.
	ask := func(scope string) oauthReply {
		form := url.Values{"grant_type": {"client_credentials"}}
		if scope != "" {
			form.Set("scope", scope)
		}
		return f.do(t, f.srv, oauthReq{path: "/oauth/token", form: form, basic: [2]string{c.ClientID, c.Secret}})
	}
	r := ask("maintenance/maintenance:read")
	if r.status != 400 || r.str("error") != "invalid_scope" {
		t.Errorf("only the lost scope: %d %s", r.status, r.raw)
	}
	revokeAPI("fleet")
	r = ask("")
	if r.status != 400 || r.str("error") != "invalid_scope" || !strings.Contains(r.str("error_description"), "holds none") {
		t.Errorf("owner holds nothing: %d %s", r.status, r.raw)
	}
}
