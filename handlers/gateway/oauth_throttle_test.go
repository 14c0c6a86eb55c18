package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/oauth"
)

// TestTokenThrottle: failed client authentication is limited per client
// id and per address. Past the id's budget, the addresses that failed
// with it are answered 429 with Retry-After, the right secret included,
// until the window ends; past an address's budget, everything from it
// is. Other clients and other addresses are not affected.
func TestTokenThrottle(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	victim := f.client(t, nil)
	bystander := f.client(t, nil)
	cc := url.Values{"grant_type": {"client_credentials"}}
	ask := func(clientID, secret, ip string) oauthReply {
		t.Helper()
		return f.do(t, f.srv, oauthReq{path: "/oauth/token", form: cc, basic: [2]string{clientID, secret}, ip: ip})
	}
	wrong := strings.Replace(victim.Secret, victim.Secret[10:14], "AAAA", 1)
	// Per client id: its failures from many addresses add up.
	for i := range oauth.MaxClientFailures {
		if r := ask(victim.ClientID, wrong, "198.51.100."+strconv.Itoa(i+1)); r.status != 401 {
			t.Fatalf("failure %d: %d %s", i+1, r.status, r.raw)
		}
	}
	r := ask(victim.ClientID, victim.Secret, "198.51.100.3")
	retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != http.StatusTooManyRequests || r.str("error") != "temporarily_unavailable" || retry < 290 || retry > 300 {
		t.Errorf("right secret past the client's budget, from an address that failed: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.raw)
	}
	if r := ask(victim.ClientID, victim.Secret, "192.0.2.1"); r.status != 200 {
		t.Errorf("right secret past the client's budget, from an address that did not fail: %d %s", r.status, r.raw)
	}
	if r := ask(bystander.ClientID, bystander.Secret, "198.51.100.1"); r.status != 200 {
		t.Errorf("another client from a guessing address: %d %s", r.status, r.raw)
	}
	// The window ends (as five minutes passing would): the client is
	// served again from the addresses that failed.
	f.exec(t, `UPDATE attempt_counters SET window_start = window_start - interval '5 minutes' WHERE kind = 'oauth_client'`)
	if r := ask(victim.ClientID, victim.Secret, "198.51.100.3"); r.status != 200 {
		t.Errorf("after the window: %d %s", r.status, r.raw)
	}

	// Per address: failures with any ids, unknown ones included.
	for i := range oauth.MaxIPFailures {
		id := "pcl_" + strings.Repeat(string(rune('A'+i%26)), 21) + strconv.Itoa(i%10)
		if r := ask(id, wrong, "203.0.113.9"); r.status != 401 {
			t.Fatalf("address failure %d: %d %s", i+1, r.status, r.raw)
		}
	}
	if r := ask(bystander.ClientID, bystander.Secret, "203.0.113.9"); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("right secret from an address past its budget: %d %s", r.status, r.raw)
	}
	// An IPv6 caller's budget is its /64's.
	for range oauth.MaxIPFailures {
		ask("nonsense", wrong, "2001:db8:1:2::17")
	}
	if r := ask(bystander.ClientID, bystander.Secret, "2001:db8:1:2::99"); r.status != http.StatusTooManyRequests {
		t.Errorf("same /64: %d %s", r.status, r.raw)
	}
	if r := ask(bystander.ClientID, bystander.Secret, "2001:db8:1:3::17"); r.status != 200 {
		t.Errorf("another /64: %d %s", r.status, r.raw)
	}
	// Refused requests past the budget are not counted: the counters
	// stay where the budgets ran out.
	var n int
	_ = f.db.Get(&n, `SELECT count FROM attempt_counters WHERE kind = 'oauth_ip' AND key = '203.0.113.9'`)
	if n != oauth.MaxIPFailures {
		t.Errorf("address counter = %d, want %d", n, oauth.MaxIPFailures)
	}
}

// TestTokenThrottleSpares: client ids are not secrets, so whoever spends
// a client id's budget from their own addresses must not lock the client
// out. The addresses that failed are refused; the client, from an address
// that did not fail with its id, still gets its tokens; a newcomer with a
// wrong secret gets one invalid_client and is refused after it.
func TestTokenThrottleSpares(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	victim := f.client(t, nil)
	cc := url.Values{"grant_type": {"client_credentials"}}
	ask := func(secret, ip string) oauthReply {
		t.Helper()
		return f.do(t, f.srv, oauthReq{path: "/oauth/token", form: cc, basic: [2]string{victim.ClientID, secret}, ip: ip})
	}
	const attacker, home = "203.0.113.66", "192.0.2.10"
	wrong := strings.Replace(victim.Secret, victim.Secret[10:14], "AAAA", 1)
	for i := range oauth.MaxClientFailures {
		if r := ask(wrong, attacker); r.status != 401 || r.str("error") != "invalid_client" {
			t.Fatalf("failure %d: %d %s", i+1, r.status, r.raw)
		}
	}
	for round := range 3 {
		for _, secret := range []string{wrong, victim.Secret} {
			if r := ask(secret, attacker); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
				t.Errorf("round %d: the attacking address = %d %s, want 429 with Retry-After", round, r.status, r.raw)
			}
		}
		r := ask(victim.Secret, home)
		if r.status != 200 || !strings.HasPrefix(r.str("access_token"), "ptc_at_") {
			t.Fatalf("round %d: the client from its own address = %d %s, want a token", round, r.status, r.raw)
		}
		f.saw(r.str("access_token"))
	}

	for _, tc := range []struct{ name, failing, sameNet, otherNet string }{
		{"IPv4", "198.51.100.20", "198.51.100.20", "198.51.100.21"},
		{"IPv6 by /64", "2001:db8:1:2::17", "2001:db8:1:2::99", "2001:db8:1:3::17"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := ask(wrong, tc.failing); r.status != 401 || r.str("error") != "invalid_client" {
				t.Errorf("a new address's wrong secret = %d %s, want 401 invalid_client", r.status, r.raw)
			}
			if r := ask(victim.Secret, tc.sameNet); r.status != http.StatusTooManyRequests {
				t.Errorf("after its failure, %s = %d %s, want 429", tc.sameNet, r.status, r.raw)
			}
			if r := ask(victim.Secret, tc.otherNet); r.status != 200 {
				t.Errorf("%s, which did not fail = %d %s, want 200", tc.otherNet, r.status, r.raw)
			}
		})
	}

	// Refused requests are not counted, and right secrets cost nothing:
	// the id's counter holds the attacker's failures and the two
	// newcomers', the attacker's pair its own.
	counts := map[string]int{}
	rows, err := f.db.Query(`SELECT kind, key, count FROM attempt_counters WHERE kind IN ('oauth_client', 'oauth_client_ip')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var kind, key string
		var n int
		if err := rows.Scan(&kind, &key, &n); err != nil {
			t.Fatal(err)
		}
		counts[kind+" "+key] = n
	}
	rows.Close()
	want := map[string]int{
		"oauth_client " + victim.ClientID:                           oauth.MaxClientFailures + 2,
		"oauth_client_ip " + victim.ClientID + " " + attacker:       oauth.MaxClientFailures,
		"oauth_client_ip " + victim.ClientID + " 198.51.100.20":     1,
		"oauth_client_ip " + victim.ClientID + " 2001:db8:1:2::/64": 1,
	}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}

	// The attacker's window ends (as five minutes passing would): its
	// address is authenticated again.
	f.exec(t, `UPDATE attempt_counters SET window_start = window_start - interval '5 minutes' WHERE kind = 'oauth_client_ip' AND key = $1`,
		victim.ClientID+" "+attacker)
	if r := ask(victim.Secret, attacker); r.status != 200 {
		t.Errorf("after the address's window: %d %s", r.status, r.raw)
	}
}

// TestTokenAllowedNetworks: a client limited to networks gets tokens from
// inside them only; outside, unauthorized_client says why, and only to a
// caller holding the secret.
func TestTokenAllowedNetworks(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	c := f.client(t, []string{"203.0.113.0/24", "2001:db8::/48"})
	cc := url.Values{"grant_type": {"client_credentials"}}
	for _, tc := range []struct {
		ip, secret string
		status     int
		code       string
	}{
		{"203.0.113.77", c.Secret, 200, ""},
		{"2001:db8:0:5::1", c.Secret, 200, ""},
		{"198.51.100.7", c.Secret, 400, "unauthorized_client"},
		{"2001:db9::1", c.Secret, 400, "unauthorized_client"},
		{"198.51.100.7", "ptc_cs_wrong", 401, "invalid_client"},
	} {
		r := f.do(t, f.srv, oauthReq{path: "/oauth/token", form: cc, basic: [2]string{c.ClientID, tc.secret}, ip: tc.ip})
		if r.status != tc.status || r.str("error") != tc.code {
			t.Errorf("from %s: %d %s, want %d %s", tc.ip, r.status, r.raw, tc.status, tc.code)
		}
		if tc.code == "unauthorized_client" && (!strings.Contains(r.str("error_description"), tc.ip) || strings.Contains(r.raw, "203.0.113")) {
			t.Errorf("from %s: the description should name the caller's address and not the networks: %s", tc.ip, r.raw)
		}
		if tc.status == 200 {
			f.saw(r.str("access_token"))
			// The gateway holds the token to the same networks.
			if got := callFrom(t, f, r.str("access_token"), tc.ip); got != 200 {
				t.Errorf("API call from %s = %d", tc.ip, got)
			}
			if got := callFrom(t, f, r.str("access_token"), "198.51.100.7"); got != http.StatusForbidden {
				t.Errorf("API call from outside = %d, want 403", got)
			}
		}
	}
}

func callFrom(t *testing.T, f *oauthFixture, tok, ip string) int {
	t.Helper()
	hr, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/sandbox/fleet/spreaders", nil)
	hr.Header.Set("Authorization", "Bearer "+tok)
	hr.Header.Set("X-Forwarded-For", ip)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestOAuthMetadata: RFC 8414's document at its well-known path, on the
// machine surface (a cross-site request sets no cookie and meets no CSRF
// check, as the OAuth endpoints' POSTs do not either).
func TestOAuthMetadata(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	r := f.do(t, f.srv, oauthReq{method: "GET", path: "/.well-known/oauth-authorization-server"})
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("= %d %v %s", r.status, r.header, r.raw)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(r.raw), &m)
	scopes, _ := m["scopes_supported"].([]any)
	if len(scopes) == 0 || scopes[0] != "portal:catalog:read" {
		t.Errorf("scopes_supported = %v", scopes)
	}
	delete(m, "scopes_supported")
	methods := []any{"client_secret_basic", "client_secret_post"}
	want := map[string]any{
		"issuer":                                        "https://portal.test",
		"token_endpoint":                                "https://portal.test/oauth/token",
		"introspection_endpoint":                        "https://portal.test/oauth/introspect",
		"revocation_endpoint":                           "https://portal.test/oauth/revoke",
		"grant_types_supported":                         []any{"client_credentials"},
		"response_types_supported":                      []any{},
		"token_endpoint_auth_methods_supported":         methods,
		"introspection_endpoint_auth_methods_supported": methods,
		"revocation_endpoint_auth_methods_supported":    methods,
		"service_documentation":                         "https://portal.test/apis",
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if r := f.do(t, f.srv, oauthReq{path: "/.well-known/oauth-authorization-server"}); r.status != 405 {
		t.Errorf("POST = %d", r.status)
	}
	cross := map[string]string{"Origin": "https://elsewhere.test", "Sec-Fetch-Site": "cross-site"}
	r = f.do(t, f.srv, oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, header: cross})
	if r.status != 401 || r.str("error") != "invalid_client" || r.header.Get("Set-Cookie") != "" {
		t.Errorf("cross-site POST /oauth/token = %d %s, want the OAuth 401", r.status, r.raw)
	}
	if r := f.do(t, f.srv, oauthReq{method: "GET", path: "/oauth/tokens", header: map[string]string{"Accept": "text/html"}}); r.status != 404 || r.header.Get("WWW-Authenticate") != "" {
		t.Errorf("/oauth/tokens = %d, want the portal's 404", r.status)
	}
}
