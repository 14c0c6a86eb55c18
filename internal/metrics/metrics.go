// Package metrics exposes Portico's Prometheus metrics: the gateway's
// calls, the call audit queue, the credential cache, the mail outbox, the
// database pool and the Go runtime. Everything registers on a registry
// the caller builds (cmd/portico, one per process; no global registry)
// and is served by Handler on a listener apart from the public one.
//
// The other packages do not import this one nor Prometheus: the gateway
// takes a small interface (gateway.Metrics), the rest are read at scrape
// time through func fields of Sources.
package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portico/portico/internal/calls"
)

// OutboxBacklogLimit caps the outbox backlog read at each scrape: beyond
// it the gauge says "at least this many", at a bounded cost.
const OutboxBacklogLimit = 10000

// Sources are what the metrics read at scrape time; a nil field leaves
// its series out.
type Sources struct {
	// DB is the database pool (go_sql_* series, db_name "portico").
	DB *sql.DB
	// Calls returns the call audit writer's counters and QueueCapacity is
	// its queue's size (calls.Writer Stats and Capacity).
	Calls         func() calls.Stats
	QueueCapacity int
	// VerifierCache returns the credential cache's hits and misses
	// (credential.Verifier CacheCounts).
	VerifierCache func() (hits, misses uint64)
	// OutboxBacklog counts the mails waiting for delivery, up to limit
	// (store.Store OutboxBacklog).
	OutboxBacklog func(ctx context.Context, limit int) (int, error)
	// Log receives the errors of scrapes; slog.Default when nil.
	Log *slog.Logger
}

// New registers every series on reg and returns the gateway's counters,
// to pass to the gateway as its gateway.Metrics.
func New(reg prometheus.Registerer, src Sources) (*Gateway, error) {
	if src.Log == nil {
		src.Log = slog.Default()
	}
	g := newGateway()
	cs := []prometheus.Collector{g.requests, g.latency, g.limited, g.oauth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	if src.DB != nil {
		cs = append(cs, collectors.NewDBStatsCollector(src.DB, "portico"))
	}
	if src.Calls != nil {
		stats := src.Calls
		cs = append(cs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portico_calls_queue_depth",
				Help: "Gateway calls waiting in the audit queue to be written to PostgreSQL."},
				func() float64 { return float64(stats().Queued) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portico_calls_queue_capacity",
				Help: "Calls the audit queue holds; when it is full the gateway answers 503."},
				func() float64 { return float64(src.QueueCapacity) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portico_calls_queue_full_total",
				Help: "Gateway calls refused with 503 because the audit queue was full."},
				func() float64 { return float64(stats().Refused) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portico_calls_written_total",
				Help: "Gateway calls written to the audit trail."},
				func() float64 { return float64(stats().Written) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portico_calls_dropped_total",
				Help: "Queued gateway calls given up at shutdown because PostgreSQL did not take them in time."},
				func() float64 { return float64(stats().Dropped) }),
		)
	}
	if src.VerifierCache != nil {
		counts := src.VerifierCache
		cs = append(cs,
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portico_verifier_cache_hits_total",
				Help: "Token verifications answered from the credential cache."},
				func() float64 { h, _ := counts(); return float64(h) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portico_verifier_cache_misses_total",
				Help: "Token verifications that read the database (not cached, or stale)."},
				func() float64 { _, m := counts(); return float64(m) }),
		)
	}
	if src.OutboxBacklog != nil {
		cs = append(cs, &outboxCollector{read: src.OutboxBacklog, log: src.Log,
			desc: prometheus.NewDesc("portico_outbox_backlog",
				"Mails waiting in the outbox for delivery (pending or being sent), counted up to 10000.", nil, nil)})
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// outboxCollector reads the outbox backlog at scrape time, with a bounded
// query and a deadline, so a slow database delays a scrape by at most
// scrapeTimeout and never the portal.
type outboxCollector struct {
	read func(ctx context.Context, limit int) (int, error)
	log  *slog.Logger
	desc *prometheus.Desc
}

const scrapeTimeout = 2 * time.Second

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	n, err := c.read(ctx, OutboxBacklogLimit)
	if err != nil {
		// Left out of this scrape rather than reported as 0: an absent
		// series is what alerting on a stale gauge expects.
		c.log.Warn("metrics: outbox backlog", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}

// Handler serves the registry's series at /metrics and nothing else.
func Handler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:      reg,
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		Timeout:       10 * time.Second,
	}))
	return mux
}
