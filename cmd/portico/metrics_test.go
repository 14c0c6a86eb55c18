package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/metrics/metricstest"
	"github.com/portico/portico/internal/pgtest"
)

// TestMetricsListener runs `portico serve` with PORTICO_METRICS_ADDR: the
// metrics listener serves every named series, its gateway counts follow
// real calls, and the public listener has no /metrics.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	envv := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t), "PORTICO_ADDR": addr, "PORTICO_METRICS_ADDR": metricsAddr}
	done := make(chan error, 1)
	go func() {
		_, _, err := runCmd(ctx, t, envv, "", "serve")
		done <- err
	}()
	base := "http://" + addr
	waitReady(t, base)
	scrapeURL := "http://" + metricsAddr + "/metrics"

	// Calls refused before they match an API count under api="(none)".
	for _, path := range []string{"/sandbox/fleet/spreaders", "/sandbox/made-up-" + strings.Repeat("x", 20), "/live/fleet/spreaders"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET %s without a token = %d, want 401", path, resp.StatusCode)
		}
	}

	fams := metricstest.Scrape(t, scrapeURL)
	for _, name := range []string{
		"portico_gateway_requests_total", "portico_gateway_request_duration_seconds", "portico_gateway_rate_limited_total",
		"portico_calls_queue_depth", "portico_calls_queue_capacity", "portico_calls_queue_full_total",
		"portico_verifier_cache_hits_total", "portico_verifier_cache_misses_total", "portico_outbox_backlog",
		"go_sql_open_connections", "go_sql_wait_count_total", "go_goroutines", "go_memstats_heap_alloc_bytes",
		"process_cpu_seconds_total", "process_resident_memory_bytes",
	} {
		if _, ok := fams.Value(name); !ok {
			t.Errorf("the metrics listener does not serve %s", name)
		}
	}
	for _, c := range []struct {
		env  string
		want float64
	}{{"sandbox", 2}, {"live", 1}} {
		if got, _ := fams.Value("portico_gateway_requests_total", "environment", c.env, "api", "(none)", "class", "4xx"); got != c.want {
			t.Errorf("requests_total{environment=%q,api=(none),class=4xx} = %v, want %v", c.env, got, c.want)
		}
		if got, _ := fams.Value("portico_gateway_request_duration_seconds", "environment", c.env); got != c.want {
			t.Errorf("request_duration_seconds{environment=%q} count = %v, want %v", c.env, got, c.want)
		}
	}
	// No label carries what a caller put in the path.
	for _, m := range fams["portico_gateway_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), "made-up") {
				t.Errorf("a label holds the caller's path: %s=%q", l.GetName(), l.GetValue())
			}
		}
	}
	if got, _ := fams.Value("go_sql_max_open_connections", "db_name", "portico"); got <= 0 {
		t.Errorf("go_sql_max_open_connections{db_name=portico} = %v, want the pool's limit", got)
	}
	if got, ok := fams.Value("portico_outbox_backlog"); !ok || got != 0 {
		t.Errorf("portico_outbox_backlog = %v (%v), want 0 on a fresh database", got, ok)
	}

	// The public listener has no /metrics; the metrics one nothing else.
	for _, u := range []string{base + "/metrics", "http://" + metricsAddr + "/", "http://" + metricsAddr + "/healthz"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", u, resp.StatusCode)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return within 30s of cancel")
	}
	if _, err := http.Get(scrapeURL); err == nil {
		t.Error("the metrics listener still answers after shutdown")
	}
}

// TestMetricsOffWhenUnset: without PORTICO_METRICS_ADDR no metrics
// listener is started and the public listener has no /metrics.
func TestMetricsOffWhenUnset(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := freeAddr(t)
	envv := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t), "PORTICO_ADDR": addr}
	type result struct {
		stderr string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		_, stderr, err := runCmd(ctx, t, envv, "", "serve")
		done <- result{stderr, err}
	}()
	waitReady(t, "http://"+addr)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the public listener = %d, want 404", resp.StatusCode)
	}
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if strings.Contains(r.stderr, "metrics listening") {
		t.Errorf("a metrics listener started without PORTICO_METRICS_ADDR:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "portico ready") {
		t.Errorf("the log checked is not serve's (no \"portico ready\"):\n%s", r.stderr)
	}
}

// TestHelpNamesMetricsSetting: `portico serve --help` documents the
// setting.
func TestHelpNamesMetricsSetting(t *testing.T) {
	t.Parallel()
	_, stderr, _ := runCmd(context.Background(), t, map[string]string{}, "", "serve", "--help")
	if !strings.Contains(stderr, "-metrics-addr") || !strings.Contains(stderr, "PORTICO_METRICS_ADDR") {
		t.Errorf("serve --help does not document the metrics listener:\n%s", stderr)
	}
}
