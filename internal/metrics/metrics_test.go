package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/metrics"
	"github.com/portico/portico/internal/metrics/metricstest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestCountingAllocatesNothing: the gateway counts every call, so
// counting must not allocate.
func TestCountingAllocatesNothing(t *testing.T) {
	g, err := metrics.New(prometheus.NewRegistry(), metrics.Sources{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	c := g.API("sandbox", "fleet")
	if n := testing.AllocsPerRun(1000, func() {
		c.Call(200, 3*time.Millisecond)
		c.Call(503, time.Millisecond)
		c.Limited("partner")
	}); n != 0 {
		t.Errorf("counting a call allocates %v times, want 0", n)
	}
}

// TestLabels: label values are bounded whatever the gateway is handed:
// an unknown environment is "other", no API is "(none)", a status out of
// range is class "other", an unknown limit counts nothing.
func TestLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	g, err := metrics.New(reg, metrics.Sources{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	g.API("", "").Call(0, time.Millisecond)
	g.API("live", "fleet").Call(101, time.Millisecond)
	g.API("live", "fleet").Limited("made-up")
	fams := metricstest.Gather(t, reg)
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"environment", "other", "api", "(none)", "class", "other"}, 1},
		{[]string{"environment", "live", "api", "fleet", "class", "1xx"}, 1},
		{[]string{"environment", "live", "api", "fleet", "class", "2xx"}, 0},
	} {
		if got, ok := fams.Value("portico_gateway_requests_total", c.labels...); !ok || got != c.want {
			t.Errorf("requests_total%v = %v (present %v), want %v", c.labels, got, ok, c.want)
		}
	}
	if got, _ := fams.Value("portico_gateway_rate_limited_total"); got != 0 {
		t.Errorf("an unknown limit was counted: rate_limited_total = %v", got)
	}
	g.OAuth("token", "invalid_scope")
	g.OAuth("/oauth/x", "made-up")
	fams = metricstest.Gather(t, reg)
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"endpoint", "token", "outcome", "invalid_scope"}, 1},
		{[]string{"endpoint", "other", "outcome", "other"}, 1},
	} {
		if got, ok := fams.Value("portico_oauth_requests_total", c.labels...); !ok || got != c.want {
			t.Errorf("oauth_requests_total%v = %v (present %v), want %v", c.labels, got, ok, c.want)
		}
	}
}

// TestHandler scrapes a real registry over HTTP: /metrics serves the
// series of the sources, read at scrape time; any other path is 404; an
// outbox that cannot be read leaves its gauge out and the rest served.
func TestHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	queued := int64(0)
	outboxErr := error(nil)
	_, err := metrics.New(reg, metrics.Sources{
		Calls:         func() calls.Stats { return calls.Stats{Queued: queued, Refused: 3} },
		QueueCapacity: 100,
		VerifierCache: func() (uint64, uint64) { return 7, 2 },
		OutboxBacklog: func(ctx context.Context, limit int) (int, error) {
			if limit != metrics.OutboxBacklogLimit {
				t.Errorf("outbox backlog read with limit %d, want %d", limit, metrics.OutboxBacklogLimit)
			}
			return 12, outboxErr
		},
		Log: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(metrics.Handler(reg, quiet))
	defer srv.Close()
	queued = 5
	fams := metricstest.Scrape(t, srv.URL+"/metrics")
	for name, want := range map[string]float64{
		"portico_calls_queue_depth": 5, "portico_calls_queue_capacity": 100, "portico_calls_queue_full_total": 3,
		"portico_verifier_cache_hits_total": 7, "portico_verifier_cache_misses_total": 2, "portico_outbox_backlog": 12,
	} {
		if got, ok := fams.Value(name); !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if _, ok := fams.Value("go_goroutines"); !ok {
		t.Error("no Go runtime series")
	}
	outboxErr = errors.New("database down")
	fams = metricstest.Scrape(t, srv.URL+"/metrics")
	if _, ok := fams.Value("portico_outbox_backlog"); ok {
		t.Error("an unreadable outbox backlog is still reported")
	}
	if _, ok := fams.Value("portico_calls_queue_depth"); !ok {
		t.Error("an unreadable outbox hides the other series")
	}
	for _, path := range []string{"/", "/metrics/x", "/debug/pprof/"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

// BenchmarkCall is the metrics' share of a gateway call.
func BenchmarkCall(b *testing.B) {
	g, err := metrics.New(prometheus.NewRegistry(), metrics.Sources{Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	c := g.API("sandbox", "fleet")
	b.ReportAllocs()
	for b.Loop() {
		c.Call(200, 3*time.Millisecond)
	}
}
