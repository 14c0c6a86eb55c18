package gateway_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/pat"
)

// TestIntrospection: an active access token is described (its effective
// scopes, client, partner, environment, times); a personal access token
// too, as its owner; everything else says exactly {"active": false}.
func TestIntrospection(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	ctx := context.Background()
	_, rsID, rsSecret := f.resourceServer(t, "Edge gateway")
	c := f.client(t, nil)
	issued := f.tokenFor(t, c, "fleet/fleet:read")
	at := issued.str("access_token")
	introspect := func(tok string) oauthReply {
		t.Helper()
		return f.do(t, f.srv, oauthReq{path: "/oauth/introspect", form: url.Values{"token": {tok}}, basic: [2]string{rsID, rsSecret}})
	}
	before := time.Now().Unix()
	r := introspect(at)
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("active: %d %s %v", r.status, r.raw, r.header)
	}
	exp, iat := r.body["exp"].(float64), r.body["iat"].(float64)
	if exp < float64(before+890) || exp > float64(before+910) || iat < float64(before-10) || iat > float64(before+10) {
		t.Errorf("exp %v, iat %v around %d", exp, iat, before)
	}
	delete(r.body, "exp")
	delete(r.body, "iat")
	want := map[string]any{"active": true, "scope": "fleet/fleet:read", "client_id": c.ClientID, "sub": c.ClientID,
		"token_type": "Bearer", "iss": "https://portal.test", "portico_partner_id": float64(f.dev.PartnerID),
		"portico_environment": "sandbox"}
	if diff := cmp.Diff(want, r.body); diff != "" {
		t.Errorf("active access token (-want +got):\n%s", diff)
	}
	// The scopes are those the token may use now: the owner losing a
	// grant shows at once.
	f.exec(t, `UPDATE grants SET revoked_at = now() WHERE partner_id = $1`, f.dev.PartnerID)
	if r := introspect(at); r.body["active"] != true || r.str("scope") != "" {
		t.Errorf("after the owner's grants were revoked: %s", r.raw)
	}
	f.exec(t, `UPDATE grants SET revoked_at = NULL WHERE partner_id = $1`, f.dev.PartnerID)

	// A personal access token is introspected too, as its owner.
	p, err := f.pats.Create(ctx, f.dev, pat.Input{Name: "ci", Environment: "sandbox", Days: 30, Scopes: []string{"fleet/fleet:read"}})
	if err != nil {
		t.Fatal(err)
	}
	f.saw(p.Plaintext)
	r = introspect(p.Plaintext)
	if r.body["active"] != true || r.str("sub") != strconv.FormatInt(f.dev.UserID, 10) || r.body["client_id"] != nil || r.str("scope") != "fleet/fleet:read" {
		t.Errorf("PAT: %s", r.raw)
	}

	// Inactive, whatever the reason, says only that.
	expired := f.tokenFor(t, c, "").str("access_token")
	f.exec(t, `UPDATE oauth_access_tokens SET expires_at = now() - interval '1 second' WHERE hash = $1`, f.hasher.Hash(expired))
	revoked := f.tokenFor(t, c, "").str("access_token")
	f.exec(t, `UPDATE oauth_access_tokens SET revoked_at = now() WHERE hash = $1`, f.hasher.Hash(revoked))
	other := f.client(t, nil)
	f.exec(t, `UPDATE tokens SET revoked_at = now() WHERE id = $1`, other.Token.ID)
	unknown := strings.Replace(at, at[10:14], "AAAA", 1)
	for name, tok := range map[string]string{"expired": expired, "revoked": revoked, "unknown": unknown, "garbage": "hello",
		"client secret": c.Secret, "resource server secret": rsSecret, "revoked client's secret": other.Secret,
		"PAT with a wrong checksum": p.Plaintext[:len(p.Plaintext)-1] + "x"} {
		if r := introspect(tok); r.status != 200 || r.raw != "{\"active\":false}\n" {
			t.Errorf("%s: %d %q, want exactly {\"active\":false}", name, r.status, r.raw)
		}
	}
}

// TestIntrospectionCallers: only resource servers introspect, by Basic,
// by the form or with their secret as a bearer credential; revoked ones,
// clients and anonymous callers are invalid_client with both challenges.
func TestIntrospectionCallers(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	id, rsID, rsSecret := f.resourceServer(t, "Edge gateway")
	c := f.client(t, nil)
	at := f.tokenFor(t, c, "").str("access_token")
	tokForm := url.Values{"token": {at}}
	post := url.Values{"token": {at}, "client_id": {rsID}, "client_secret": {rsSecret}}
	for name, rq := range map[string]oauthReq{
		"basic":  {form: tokForm, basic: [2]string{rsID, rsSecret}},
		"form":   {form: post},
		"bearer": {form: tokForm, auths: []string{"Bearer " + rsSecret}},
	} {
		rq.path = "/oauth/introspect"
		if r := f.do(t, f.srv, rq); r.status != 200 || r.body["active"] != true {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	var used *time.Time
	if err := f.db.Get(&used, `SELECT last_used_at FROM resource_servers WHERE id = $1`, id); err != nil || used == nil {
		t.Errorf("last use not recorded: %v %v", used, err)
	}
	_, _, other := f.resourceServer(t, "Other")
	for name, rq := range map[string]oauthReq{
		"anonymous":               {form: tokForm},
		"a client's credentials":  {form: tokForm, basic: [2]string{c.ClientID, c.Secret}},
		"another server's secret": {form: tokForm, basic: [2]string{rsID, other}},
		"an access token":         {form: tokForm, auths: []string{"Bearer " + at}},
		"bearer and Basic":        {form: post, auths: []string{"Bearer " + rsSecret}},
	} {
		rq.path = "/oauth/introspect"
		r := f.do(t, f.srv, rq)
		wantStatus, wantCode := 401, "invalid_client"
		if name == "bearer and Basic" {
			wantStatus, wantCode = 400, "invalid_request"
		}
		if r.status != wantStatus || r.str("error") != wantCode || r.body["active"] != nil {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
		if wantStatus == 401 && len(r.header.Values("WWW-Authenticate")) != 2 {
			t.Errorf("%s: challenges %q", name, r.header.Values("WWW-Authenticate"))
		}
	}
	if r := f.do(t, f.srv, oauthReq{path: "/oauth/introspect", basic: [2]string{rsID, rsSecret}}); r.status != 400 || r.str("error") != "invalid_request" {
		t.Errorf("no token: %d %s", r.status, r.raw)
	}
	if err := f.st.RevokeResourceServer(context.Background(), id, new(f.staffID(t))); err != nil {
		t.Fatal(err)
	}
	if r := f.do(t, f.srv, oauthReq{path: "/oauth/introspect", form: tokForm, basic: [2]string{rsID, rsSecret}}); r.status != 401 {
		t.Errorf("revoked resource server: %d %s", r.status, r.raw)
	}
	if r := f.do(t, f.srv, oauthReq{path: "/oauth/introspect", form: tokForm, auths: []string{"Bearer " + rsSecret}}); r.status != 401 {
		t.Errorf("revoked resource server as bearer: %d %s", r.status, r.raw)
	}
}

// TestRevocationEndpoint: a resource server revokes any access token
// (audited), a client only its own; unknown, foreign and already revoked
// tokens answer 200 with nothing done; a personal access token is
// unsupported_token_type. A revocation takes effect at once on another
// node whose cache holds the token, through the database's notification.
func TestRevocationEndpoint(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	other := f.node(t, f.listening(t))
	_, rsID, rsSecret := f.resourceServer(t, "Edge gateway")
	c := f.client(t, nil)
	mine := f.client(t, nil)
	at := f.tokenFor(t, c, "").str("access_token")
	revoke := func(tok string, basic [2]string, hint string) oauthReply {
		t.Helper()
		form := url.Values{"token": {tok}}
		if hint != "" {
			form.Set("token_type_hint", hint)
		}
		return f.do(t, f.srv, oauthReq{path: "/oauth/revoke", form: form, basic: basic})
	}
	// The other node serves the token from its cache from now on.
	if got := callAPI(t, other, "/sandbox/fleet/spreaders", at); got != 200 {
		t.Fatalf("other node before = %d", got)
	}
	// Another client cannot revoke it: 200, nothing done.
	if r := revoke(at, [2]string{mine.ClientID, mine.Secret}, ""); r.status != 200 || r.raw != "" {
		t.Errorf("foreign client's revocation: %d %q", r.status, r.raw)
	}
	if got := callAPI(t, other, "/sandbox/fleet/spreaders", at); got != 200 {
		t.Errorf("after a foreign client's revocation = %d", got)
	}
	// The resource server can, whatever the (wrong) hint says.
	if r := revoke(at, [2]string{rsID, rsSecret}, "refresh_token"); r.status != 200 || r.raw != "" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("resource server's revocation: %d %q", r.status, r.raw)
	}
	if !within(time.Second, func() bool { return callAPI(t, other, "/sandbox/fleet/spreaders", at) == 401 }) {
		t.Error("the other node still honours the revoked access token after 1 s")
	}
	if got := callAPI(t, f.srv, "/sandbox/fleet/spreaders", at); got != 401 {
		t.Errorf("this node after revocation = %d", got)
	}
	var action, target, details string
	err := f.db.QueryRow(`SELECT action, target, details::text FROM audit_events WHERE action LIKE 'token.access%' ORDER BY id DESC LIMIT 1`).Scan(&action, &target, &details)
	if err != nil || target != "Billing server" || !strings.Contains(details, `"resource_server": "Edge gateway"`) || strings.Contains(details, at) {
		t.Errorf("audit: %s %s %s %v", action, target, details, err)
	}
	// Again, unknown, garbage: 200 with nothing done.
	for name, tok := range map[string]string{"again": at, "unknown": strings.Replace(at, at[10:14], "AAAA", 1), "garbage": "hello"} {
		if r := revoke(tok, [2]string{rsID, rsSecret}, "access_token"); r.status != 200 {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	var events int
	_ = f.db.Get(&events, `SELECT count(*) FROM audit_events WHERE action = 'token.access_token_revoke'`)
	if events != 1 {
		t.Errorf("%d revocation events, want 1", events)
	}
	// A client revokes its own access token.
	own := f.tokenFor(t, mine, "").str("access_token")
	if r := revoke(own, [2]string{mine.ClientID, mine.Secret}, ""); r.status != 200 {
		t.Errorf("own revocation: %d %s", r.status, r.raw)
	}
	if got := callAPI(t, f.srv, "/sandbox/fleet/spreaders", own); got != 401 {
		t.Errorf("after the client revoked its token = %d", got)
	}
	// Personal access tokens are revoked in the portal, not here.
	p, err := f.pats.Create(context.Background(), access.Actor{UserID: f.dev.UserID, Role: f.dev.Role, PartnerID: f.dev.PartnerID},
		pat.Input{Name: "ci", Environment: "sandbox", Days: 30, Scopes: []string{"fleet/fleet:read"}})
	if err != nil {
		t.Fatal(err)
	}
	f.saw(p.Plaintext)
	if r := revoke(p.Plaintext, [2]string{rsID, rsSecret}, ""); r.status != 400 || r.str("error") != "unsupported_token_type" || strings.Contains(r.raw, p.Plaintext) {
		t.Errorf("PAT: %d %s", r.status, r.raw)
	}
	if got := callAPI(t, f.srv, "/sandbox/fleet/spreaders", p.Plaintext); got != 200 {
		t.Errorf("the PAT after /oauth/revoke refused it = %d", got)
	}
	for name, rq := range map[string]oauthReq{
		"anonymous": {form: url.Values{"token": {own}}},
		"no token":  {basic: [2]string{rsID, rsSecret}},
		"GET":       {method: "GET", basic: [2]string{rsID, rsSecret}},
	} {
		rq.path = "/oauth/revoke"
		want := map[string]int{"anonymous": 401, "no token": 400, "GET": 405}[name]
		if r := f.do(t, f.srv, rq); r.status != want || r.str("error") == "" {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
}
