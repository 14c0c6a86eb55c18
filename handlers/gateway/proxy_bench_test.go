package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkLiveDirect and BenchmarkLiveThroughGateway compare a trivial
// upstream called directly with the same upstream behind /live, over real
// loopback HTTP with keep-alive clients (the in-process version of
// cmd/portico-bench, which make bench runs).
func BenchmarkLiveDirect(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(trivialBody)
	}))
	defer up.Close()
	loop(b, up.URL+"/spreaders", "")
}

func BenchmarkLiveThroughGateway(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(trivialBody)
	}))
	defer up.Close()
	l := newLimited(b, 1<<30, nil)
	l.setUpstream(b, "fleet", up.URL)
	tok := l.token(b, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	loop(b, l.srv.URL+"/live/fleet/spreaders", tok)
}

func loop(b *testing.B, url, tok string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
