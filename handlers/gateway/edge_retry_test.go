package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A live call the upstream is too slow to answer is sent to it once and
// answered 504 after one UpstreamTimeout: retried, the upstream would run
// it again (the audit recording one call) and the caller would wait for
// every attempt.
func TestSlowUpstreamIsCalledOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}))
	t.Cleanup(up.Close)
	f.setUpstream(t, "fleet", up.URL)
	const timeout = 500 * time.Millisecond
	f.gw.UpstreamTimeout = timeout
	f.gw.Forget()
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	start := time.Now()
	resp, e := f.call(t, "GET", "/live/fleet/spreaders", live, nil)
	took := time.Since(start)
	if resp.StatusCode != http.StatusGatewayTimeout || e.Error.Code != "gateway_timeout" {
		t.Errorf("slow upstream: %d %s, want 504 gateway_timeout", resp.StatusCode, e.Error.Code)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the upstream received the call %d times, want 1", n)
	}
	// Generous (a loaded machine's call takes its time too), yet short
	// of the five timeouts fasthttp's retries would take.
	if took > 3*timeout {
		t.Errorf("answered after %v, want about one UpstreamTimeout (%v)", took, timeout)
	}
}

// An upstream that closed the gateway's idle connection to it (its idle
// timeout shorter than the gateway's) still gets the next call: the
// call is sent again, once, on a new connection, as net/http's transport
// does for a reused connection closed before any answer byte.
func TestUpstreamClosedIdleConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var hits atomic.Int64
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[]`))
	}))
	up.Config.IdleTimeout = 50 * time.Millisecond
	up.Start()
	t.Cleanup(up.Close)
	f.setUpstream(t, "fleet", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	for i := range 2 {
		if resp, e := f.call(t, "GET", "/live/fleet/spreaders", live, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("call %d: %d %s, want 200", i+1, resp.StatusCode, e.Error.Code)
		}
		time.Sleep(200 * time.Millisecond) // the upstream closes the idle connection
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("the upstream received %d calls, want 2", n)
	}
}
