package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLiveProxyClientHeaders: the upstream learns the client's address as
// the gateway saw it, never as the caller claims it (spelt with dashes or
// with underscores, which CGI, WSGI and Rack fold into the same variable);
// the caller never gets the upstream's cookies (on the portal's own
// origin) or its Server header.
func TestLiveProxyClientHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var mu sync.Mutex
	var seen http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		w.Header().Set("Server", "upstream-httpd/2.4.1")
		w.Header().Set("X-Powered-By", "PHP/5.6")
		w.Header().Set("Clear-Site-Data", `"cookies", "storage"`)
		w.Header().Set("Service-Worker-Allowed", "/")
		w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		w.Header().Set("Alt-Svc", `h2="evil.example:443"`)
		w.Header().Add("Set-Cookie", "upstream_session=abc; Path=/")
		w.Header().Add("Set-Cookie", "__Host-portico=forged; Path=/; Secure")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[]}`))
	}))
	t.Cleanup(up.Close)
	f.setUpstream(t, "fleet", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	resp, _ := f.call(t, "GET", "/live/fleet/spreaders", live, map[string]string{
		"X-Real-IP":          "6.6.6.6",
		"X-Forwarded-For":    "6.6.6.6",
		"Forwarded":          "for=6.6.6.6",
		"X-Forwarded-Host":   "evil.example",
		"X-Forwarded-Proto":  "gopher",
		"X-Forwarded-Port":   "6666",
		"X-Forwarded-Prefix": "/admin",
		"X-Client-IP":        "6.6.6.6",
		"True-Client-IP":     "6.6.6.6",
		"X-Portico_partner":  "999",
		"X_portico_token_id": "999",
		"X_forwarded_for":    "6.6.6.6",
		"X_real_ip":          "6.6.6.6",
		"X-Real_IP":          "6.6.6.6",
		"Accept_Language":    "en",
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	mu.Lock()
	got := map[string][]string{}
	for _, k := range []string{"X-Real-Ip", "X-Forwarded-For", "Forwarded", "X-Forwarded-Host", "X-Forwarded-Proto",
		"X-Forwarded-Port", "X-Forwarded-Prefix", "X-Client-Ip", "True-Client-Ip"} {
		if v, ok := seen[k]; ok {
			got[k] = v
		}
	}
	for k, v := range seen {
		if strings.ContainsRune(k, '_') {
			got[k] = v
		}
	}
	partner := seen.Get("X-Portico-Partner")
	mu.Unlock()
	if partner == "" || partner == "999" {
		t.Errorf("X-Portico-Partner the upstream saw = %q, want Harbor's id", partner)
	}
	// The test's client is the gateway's TCP peer: 127.0.0.1.
	want := map[string][]string{"X-Real-Ip": {"127.0.0.1"}, "X-Forwarded-For": {"127.0.0.1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("client address headers the upstream saw (-want +got):\n%s", diff)
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("the caller got the upstream's cookies: %q", c)
	}
	for _, k := range []string{"Server", "X-Powered-By", "Clear-Site-Data", "Service-Worker-Allowed", "Strict-Transport-Security", "Alt-Svc"} {
		if v := resp.Header.Get(k); v != "" {
			t.Errorf("the caller got the upstream's %s: %q", k, v)
		}
	}
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q: the upstream's other headers must pass", resp.Header.Get("Content-Type"))
	}
}

// TestGatewayAnswersAreSandboxed: every gateway answer, whatever its
// content type (an upstream may answer text/html on the portal's origin),
// is kept from being sniffed into a page or run as one: nosniff, and a
// policy that sandboxes it and loads nothing.
func TestGatewayAnswersAreSandboxed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<script>fetch("/account").then(r => r.text()).then(alert)</script>`))
	}))
	t.Cleanup(up.Close)
	f.setUpstream(t, "fleet", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	sbx := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	for _, tc := range []struct {
		name, path, tok string
		status          int
	}{
		{"live html", "/live/fleet/spreaders", live, 200},
		{"sandbox", "/sandbox/fleet/spreaders", sbx, 200},
		{"error", "/sandbox/fleet/spreaders", "", 401},
		{"no api", "/sandbox/", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := f.call(t, "GET", tc.path, tc.tok, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			got := map[string][]string{
				"X-Content-Type-Options":  resp.Header.Values("X-Content-Type-Options"),
				"Content-Security-Policy": resp.Header.Values("Content-Security-Policy"),
			}
			want := map[string][]string{
				"X-Content-Type-Options":  {"nosniff"},
				"Content-Security-Policy": {"default-src 'none'; frame-ancestors 'none'; sandbox"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("security headers (-want +got):\n%s", diff)
			}
		})
	}
}
