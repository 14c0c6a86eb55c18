package gateway_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/portico/portico/handlers/gateway"
)

// TestEdgeClientAddress: the edge takes the client's address from the
// connection, or from X-Forwarded-For when the connection is a trusted
// proxy's (the rightmost address it does not trust), as the portal's
// listener does; the upstream is told that address and nothing the
// caller claimed.
func TestEdgeClientAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var mu sync.Mutex
	var seen string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Get("X-Forwarded-For")
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(up.Close)
	f.setUpstream(t, "fleet", up.URL)
	tok := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	_, other, _ := net.ParseCIDR("10.0.0.0/8")
	for _, tc := range []struct {
		name    string
		trusted []*net.IPNet
		xff     string
		want    string
	}{
		{"no proxy trusted", nil, "203.0.113.7", "127.0.0.1"},
		{"another proxy trusted", []*net.IPNet{other}, "203.0.113.7", "127.0.0.1"},
		{"the proxy trusted", []*net.IPNet{loopback}, "203.0.113.7", "203.0.113.7"},
		{"a chain of trusted proxies", []*net.IPNet{loopback, other}, "198.51.100.1, 203.0.113.7, 10.1.2.3", "203.0.113.7"},
		{"garbage named", []*net.IPNet{loopback}, "not-an-address", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edge := gateway.NewEdge(f.gw, gateway.EdgeConfig{TrustedProxies: tc.trusted})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = edge.Serve(ln) }()
			defer func() { _ = edge.Shutdown(context.Background()) }()
			req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/live/fleet/spreaders", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("X-Forwarded-For", tc.xff)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status %d", resp.StatusCode)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen != tc.want {
				t.Errorf("the upstream was told X-Forwarded-For %q, want %q", seen, tc.want)
			}
		})
	}
}
