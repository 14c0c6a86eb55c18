package gateway_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/leak"
	"github.com/portico/portico/internal/pat"
)

// scanner is a secret scanner with its own signing key.
type scanner struct {
	key *ecdsa.PrivateKey
	id  string
}

func newScanner(t testing.TB, id string) *scanner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &scanner{key: k, id: id}
}

// pem is the scanner's public key as the portal's key file holds it.
func (s *scanner) pem(t testing.TB) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Key-Id": s.id}, Bytes: der})
}

// report posts found, signed with the scanner's key (or with sign's
// result, to forge), and returns the status and answer.
func (s *scanner) report(t testing.TB, srv *httptest.Server, found []leak.Found, tamper func([]byte) []byte) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(found)
	sum := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		body = tamper(body)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+handlers.LeakPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Github-Public-Key-Identifier", s.id)
	req.Header.Set("Github-Public-Key-Signature", base64.StdEncoding.EncodeToString(sig))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestLeakedTokenReports: a signed report revokes every credential it
// names that still works (a live and a sandbox token, an OAuth access
// token, a resource server secret), mails the owner and the partner's
// admins once with where it was found, audits it without the secret, and
// labels each string; a string that is no credential is a false
// positive; a report again changes nothing.
func TestLeakedTokenReports(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	sc := newScanner(t, "scanner-key-1")
	keys, err := leak.ParseKeys(sc.pem(t))
	if err != nil {
		t.Fatal(err)
	}
	f.leakKeys = keys
	srv := f.node(t, nil)
	ctx := context.Background()

	mint := func(env string) string {
		c, err := f.pats.Create(ctx, f.dev, pat.Input{Name: "leaky " + env, Environment: env, Days: 30, Scopes: []string{"fleet/fleet:read"}})
		if err != nil {
			t.Fatal(err)
		}
		f.exec(t, `UPDATE tokens SET pending = false WHERE id = $1`, c.Token.ID)
		f.saw(c.Plaintext)
		return c.Plaintext
	}
	sbx, live := mint("sandbox"), mint("live")
	client := f.client(t, nil)
	at := f.tokenFor(t, client, "").str("access_token")
	_, _, srvSecret := f.resourceServer(t, "Billing gateway")
	if got := callAPI(t, srv, "/sandbox/fleet/spreaders", sbx); got != 200 {
		t.Fatalf("sandbox token before the report = %d", got)
	}
	notToken := "ptc_sbx_" + strings.Repeat("A", 49)
	found := []leak.Found{
		{Token: sbx, Type: "portico_token", URL: "https://github.com/acme/app/blob/main/.env", Source: "content"},
		{Token: live, Type: "portico_token", URL: "https://github.com/acme/app/commit/1", Source: "commit"},
		{Token: notToken, Type: "portico_token"},
		{Token: at, Type: "portico_access_token"},
		{Token: srvSecret, Type: "portico_resource_server"},
		{Token: sbx, Type: "portico_token"}, // twice in one report
	}
	status, body := sc.report(t, srv, found, nil)
	if status != 200 {
		t.Fatalf("report = %d %s", status, body)
	}
	var got []leak.Verdict
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := []leak.Verdict{
		{TokenHash: sha(sbx), TokenType: "portico_token", Label: "true_positive"},
		{TokenHash: sha(live), TokenType: "portico_token", Label: "true_positive"},
		{TokenHash: sha(notToken), TokenType: "portico_token", Label: "false_positive"},
		{TokenHash: sha(at), TokenType: "portico_access_token", Label: "true_positive"},
		{TokenHash: sha(srvSecret), TokenType: "portico_resource_server", Label: "true_positive"},
		{TokenHash: sha(sbx), TokenType: "portico_token", Label: "true_positive"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	for _, s := range []string{sbx, live, at, srvSecret} {
		if bytes.Contains(body, []byte(s)) {
			t.Error("the answer carries a reported secret")
		}
	}
	// Revoked at once: the gateway and the introspection refuse them.
	if got := callAPI(t, srv, "/sandbox/fleet/spreaders", sbx); got != http.StatusUnauthorized {
		t.Errorf("sandbox token after the report = %d, want 401", got)
	}
	if got := callAPI(t, srv, "/sandbox/fleet/spreaders", at); got != http.StatusUnauthorized {
		t.Errorf("access token after the report = %d, want 401", got)
	}
	var liveRevoked, reason string
	if err := f.db.QueryRow(`SELECT revoked_at IS NOT NULL, revoke_reason FROM tokens WHERE name = 'leaky live'`).Scan(&liveRevoked, &reason); err != nil {
		t.Fatal(err)
	}
	if liveRevoked != "true" || !strings.Contains(reason, "leaked") {
		t.Errorf("live token: revoked %s, reason %q", liveRevoked, reason)
	}
	var serverOpen bool
	if err := f.db.QueryRow(`SELECT revoked_at IS NULL FROM resource_servers WHERE name = 'Billing gateway'`).Scan(&serverOpen); err != nil || serverOpen {
		t.Errorf("resource server still open (%v)", err)
	}
	// Mails: the developer (the owner) and Harbor's admin, one per
	// credential each (the token reported twice is mailed about once),
	// naming where it was found; the platform admin for the server.
	mails := map[string]int{}
	rows, err := f.db.Query(`SELECT to_email, subject, text_body FROM outbox WHERE subject LIKE '%leaked%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var to, subject, text string
		if err := rows.Scan(&to, &subject, &text); err != nil {
			t.Fatal(err)
		}
		mails[to]++
		for _, s := range []string{sbx, live, at, srvSecret} {
			if strings.Contains(text, s) {
				t.Errorf("mail to %s carries a reported secret", to)
			}
		}
		if strings.Contains(text, "leaky sandbox") && !strings.Contains(text, "https://github.com/acme/app/blob/main/.env") {
			t.Errorf("mail to %s does not say where the token was found:\n%s", to, text)
		}
	}
	rows.Close()
	if diff := cmp.Diff(map[string]int{"dev@harbor.test": 3, "admin@harbor.test": 3, "admin@portico.test": 1}, mails); diff != "" {
		t.Errorf("leak mails per recipient (-want +got):\n%s", diff)
	}
	var audited int
	if err := f.db.QueryRow(`SELECT count(*) FROM audit_events WHERE action LIKE '%.leaked'
		AND details::text NOT LIKE '%' || $1 || '%'`, sbx).Scan(&audited); err != nil || audited != 4 {
		t.Errorf("leak audit events without the secret = %d (%v), want 4", audited, err)
	}
	// The same report again: the same labels, nothing new written.
	if status, body2 := sc.report(t, srv, found, nil); status != 200 || !bytes.Equal(body, body2) {
		t.Errorf("second report = %d %s", status, body2)
	}
	var after int
	_ = f.db.QueryRow(`SELECT count(*) FROM outbox WHERE subject LIKE '%leaked%'`).Scan(&after)
	if after != 7 {
		t.Errorf("%d leak mails after the report came again, want 7", after)
	}
}

// TestLeakedTokenReportRefusals: a report that is unsigned, signed by an
// unknown key, or whose body was changed after signing is refused and
// revokes nothing; a portal without keys answers 404; a report of a
// rotated token's previous secret stops it and leaves the new one working.
func TestLeakedTokenReportRefusals(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	sc, stranger := newScanner(t, "scanner-key-1"), newScanner(t, "scanner-key-2")
	off := f.node(t, nil)
	keys, err := leak.ParseKeys(sc.pem(t))
	if err != nil {
		t.Fatal(err)
	}
	f.leakKeys = keys
	srv := f.node(t, nil)
	ctx := context.Background()
	c, err := f.pats.Create(ctx, f.dev, pat.Input{Name: "kept", Environment: "sandbox", Days: 30, Scopes: []string{"fleet/fleet:read"}})
	if err != nil {
		t.Fatal(err)
	}
	f.saw(c.Plaintext)
	found := []leak.Found{{Token: c.Plaintext, Type: "portico_token"}}
	for _, tc := range []struct {
		name   string
		srv    *httptest.Server
		sc     *scanner
		tamper func([]byte) []byte
		status int
		code   string
	}{
		{"not enabled", off, sc, nil, 404, "not_enabled"},
		{"unknown key", srv, stranger, nil, 401, "invalid_signature"},
		{"key id of another key", srv, &scanner{key: stranger.key, id: sc.id}, nil, 401, "invalid_signature"},
		{"body changed", srv, sc, func(b []byte) []byte { return bytes.Replace(b, []byte("portico_token"), []byte("portico_tokeN"), 1) }, 401, "invalid_signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := tc.sc.report(t, tc.srv, found, tc.tamper)
			var e struct {
				Error struct{ Code, RequestID string } `json:"error"`
			}
			_ = json.Unmarshal(body, &e)
			if status != tc.status || e.Error.Code != tc.code {
				t.Errorf("= %d %s, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
	if got := callAPI(t, srv, "/sandbox/fleet/spreaders", c.Plaintext); got != 200 {
		t.Errorf("token after refused reports = %d, want 200", got)
	}
	// Rotated with a grace period: the previous secret is reported.
	next, err := f.pats.Regenerate(ctx, f.dev, c.Token.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.saw(next.Plaintext)
	if got := callAPI(t, srv, "/sandbox/fleet/spreaders", c.Plaintext); got != 200 {
		t.Fatalf("previous secret in its grace period = %d", got)
	}
	if status, body := sc.report(t, srv, found, nil); status != 200 || !strings.Contains(string(body), "true_positive") {
		t.Fatalf("report of the previous secret = %d %s", status, body)
	}
	if got := callAPI(t, srv, "/sandbox/fleet/spreaders", c.Plaintext); got != http.StatusUnauthorized {
		t.Errorf("previous secret after the report = %d, want 401", got)
	}
	if got := callAPI(t, srv, "/sandbox/fleet/spreaders", next.Plaintext); got != 200 {
		t.Errorf("current secret after its predecessor's report = %d, want 200", got)
	}
}
