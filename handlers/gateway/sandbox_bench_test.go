package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/sandbox"
	"github.com/portico/portico/internal/store"
)

// BenchmarkSandbox compares, over loopback HTTP with keep-alive, a Fleet
// list call through the whole chain to the built-in sandbox ("portico")
// with a bare handler writing the same bytes and headers ("bare"), as
// wrk compares /sandbox with a bare echo server. Their ns/op give the
// ratio (bare / portico); compare them within one run only.
func BenchmarkSandbox(b *testing.B) {
	l := newLimitedWith(b, pgtest.DB(b), 1<<30, nil, ratelimit.NewMemory(), true, limitedOptions{
		sandbox: func(st *store.Store) gateway.Sandbox { return realSandbox{sandbox.New(st)} },
	})
	sbx := l.token(b, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	b.Cleanup(client.CloseIdleConnections)
	get := func(b *testing.B, url string) []byte {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+sbx)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s = %d %s", url, resp.StatusCode, body)
		}
		return body
	}
	body := get(b, l.srv.URL+"/sandbox/fleet/spreaders")
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
	b.Cleanup(bare.Close)
	for _, c := range []struct{ name, url string }{
		{"bare", bare.URL + "/sandbox/fleet/spreaders"},
		{"portico", l.srv.URL + "/sandbox/fleet/spreaders"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for i := 0; b.Loop(); i++ {
				if i%4096 == 4095 {
					// Let the audit queue drain (untimed), as benchRequest does.
					b.StopTimer()
					for l.writer.Stats().Queued > 0 {
						time.Sleep(time.Millisecond)
					}
					b.StartTimer()
				}
				get(b, c.url)
			}
		})
	}
}
