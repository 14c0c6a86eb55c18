package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/metrics/metricstest"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/ratelimit"
)

// wantSeries is one expected series value.
type wantSeries struct {
	name   string
	labels []string
	want   float64
}

func checkSeries(t *testing.T, fams metricstest.Families, want []wantSeries) {
	t.Helper()
	for _, w := range want {
		if got, _ := fams.Value(w.name, w.labels...); got != w.want {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.want)
		}
	}
}

// TestMetricsCountCalls makes real calls through the gateway and reads
// the registry the metrics listener serves: every call is counted once
// under its environment, API and status class, refusals by limit by
// their limit, and the credential cache's hits and misses.
func TestMetricsCountCalls(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	l := newLimitedWith(t, pgtest.DB(t), 2, nil, ratelimit.NewMemory(), true, limitedOptions{metrics: reg})
	sbx := l.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	for i, want := range []int{200, 200, 429} { // the partner's limit is 2 a minute
		if resp, _ := l.call(t, "GET", "/sandbox/fleet/spreaders", sbx, nil); resp.StatusCode != want {
			t.Fatalf("call %d = %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	// A token with its own limit of 1, of another partner (whose limit
	// of 2 it does not reach).
	own := l.limitedToken(t, "dev@crane.test", 1)
	for i, want := range []int{200, 429} {
		if resp, _ := l.call(t, "GET", "/sandbox/fleet/spreaders", own, nil); resp.StatusCode != want {
			t.Fatalf("limited token, call %d = %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	// Refused before matching an API: no token; a slug made up by the
	// caller (a 404 that must not become a label value).
	if resp, _ := l.call(t, "GET", "/sandbox/fleet/spreaders", "", nil); resp.StatusCode != 401 {
		t.Fatalf("no token = %d", resp.StatusCode)
	}
	if resp, _ := l.call(t, "GET", "/sandbox/made-up-api/x", sbx, nil); resp.StatusCode != 404 {
		t.Fatalf("made-up API = %d", resp.StatusCode)
	}
	l.stop() // flush the audit queue: written counts every call

	fams := metricstest.Gather(t, reg)
	checkSeries(t, fams, []wantSeries{
		{"portico_gateway_requests_total", []string{"environment", "sandbox", "api", "fleet", "class", "2xx"}, 3},
		{"portico_gateway_requests_total", []string{"environment", "sandbox", "api", "fleet", "class", "4xx"}, 2},
		{"portico_gateway_requests_total", []string{"environment", "sandbox", "api", "(none)", "class", "4xx"}, 2},
		{"portico_gateway_requests_total", []string{"class", "5xx"}, 0},
		{"portico_gateway_requests_total", []string{"environment", "live"}, 0},
		{"portico_gateway_request_duration_seconds", []string{"environment", "sandbox"}, 7},
		{"portico_gateway_rate_limited_total", []string{"environment", "sandbox", "api", "fleet", "limit", "partner"}, 1},
		{"portico_gateway_rate_limited_total", []string{"environment", "sandbox", "api", "fleet", "limit", "token"}, 1},
		{"portico_gateway_rate_limited_total", []string{"limit", "quota"}, 0},
		// Two tokens: each read once, then from the cache (the
		// made-up API's call included; the tokenless one verifies
		// nothing).
		{"portico_verifier_cache_misses_total", nil, 2},
		{"portico_verifier_cache_hits_total", nil, 4},
		{"portico_calls_written_total", nil, 7},
		{"portico_calls_queue_depth", nil, 0},
		{"portico_calls_queue_full_total", nil, 0},
		{"portico_outbox_backlog", nil, 0},
	})
	for _, m := range fams["portico_gateway_requests_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if strings.Contains(lp.GetValue(), "made-up") {
				t.Errorf("a label holds the caller's path: %s=%q", lp.GetName(), lp.GetValue())
			}
		}
	}
	if _, ok := fams.Value("go_sql_open_connections", "db_name", "portico"); !ok {
		t.Error("no database pool series")
	}
}

// TestMetricsQuotaAndFullQueue counts quota refusals and the 503s of a
// full audit queue (the writer is not running, so its queue of two fills).
func TestMetricsQuotaAndFullQueue(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	quota := int64(1)
	l := newLimitedWith(t, pgtest.DB(t), 1000, &quota, ratelimit.NewMemory(), true,
		limitedOptions{metrics: reg, writer: calls.WriterConfig{QueueSize: 2}, stopped: true})
	sbx := l.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	for i, want := range []int{200, 429, http.StatusServiceUnavailable} {
		if resp, _ := l.call(t, "GET", "/sandbox/fleet/spreaders", sbx, nil); resp.StatusCode != want {
			t.Fatalf("call %d = %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	checkSeries(t, metricstest.Gather(t, reg), []wantSeries{
		{"portico_gateway_requests_total", []string{"environment", "sandbox", "api", "fleet", "class", "2xx"}, 1},
		{"portico_gateway_requests_total", []string{"environment", "sandbox", "api", "fleet", "class", "4xx"}, 1},
		// Refused before the token is read: no API matched yet.
		{"portico_gateway_requests_total", []string{"environment", "sandbox", "api", "(none)", "class", "5xx"}, 1},
		{"portico_gateway_rate_limited_total", []string{"environment", "sandbox", "api", "fleet", "limit", "quota"}, 1},
		{"portico_calls_queue_full_total", nil, 1},
		{"portico_calls_queue_depth", nil, 2},
		{"portico_calls_queue_capacity", nil, 2},
	})
}
