package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portico/portico/internal/nginxtest"
)

// BenchmarkNGINX is what Portico's check costs a provider that keeps its
// own proxy (issue 14): the same Debian NGINX (one worker) in front of a
// trivial API server, "direct" proxying every call, "auth_request" asking
// Portico's /auth/verify first with the README's block (credential, API
// and operation match, scope, limits, audit). Clients are concurrent
// keep-alive connections over loopback; each reports req/s beside ns/op,
// so `make bench` shows the two throughputs side by side.
func BenchmarkNGINX(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		up, _ := countingServer(b)
		ngx := nginxtest.Start(b, `upstream api_servers { server `+strings.TrimPrefix(up.URL, "http://")+`; keepalive 16; }
server {
    listen {{listen}};
    location /live/ {
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://api_servers;
    }
}`)
		throughput(b, ngx.URL()+"/live/fleet/spreaders", "")
	})
	b.Run("auth_request", func(b *testing.B) {
		up, identified := countingServer(b)
		l := newLimited(b, 1<<30, nil)
		ngx := nginxtest.Start(b, readmeNGINX(b, strings.TrimPrefix(l.srv.URL, "http://"), strings.TrimPrefix(up.URL, "http://")))
		tok := l.token(b, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
		throughput(b, ngx.URL()+"/live/fleet/spreaders", tok)
		// Every measured call went through Portico's check: the API's
		// server saw its identity on each one.
		if got := identified.Load(); got < int64(b.N) {
			b.Errorf("the API's server saw Portico's identity on %d calls of %d", got, b.N)
		}
	})
}

// countingServer is the trivial API server behind NGINX; identified
// counts the calls that reached it with X-Portico-Partner set.
func countingServer(b *testing.B) (*httptest.Server, *atomic.Int64) {
	var identified atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Portico-Partner") != "" {
			identified.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(trivialBody)
	}))
	b.Cleanup(up.Close)
	return up, &identified
}

// throughput checks one call answers 200, then runs loop's concurrent
// keep-alive clients and reports requests per second.
func throughput(b *testing.B, url, tok string) {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("warm-up call = %d", resp.StatusCode)
	}
	loop(b, url, tok)
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "req/s")
	}
}
